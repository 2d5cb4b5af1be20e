package dev.weft.loop;

/**
 * The result of {@link EventLoop#createDatagramEndpoint}: the transport and its protocol.
 *
 * <p>Immutable: any thread may read it; the transport and the protocol it holds are the loop
 * thread's.
 */
public record DatagramEndpoint<P extends DatagramProtocol>(DatagramTransport transport, P protocol) {
}
