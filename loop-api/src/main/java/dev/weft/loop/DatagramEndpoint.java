package dev.weft.loop;

/** The result of {@link EventLoop#createDatagramEndpoint}: the transport and its protocol. */
public record DatagramEndpoint<P extends DatagramProtocol>(DatagramTransport transport, P protocol) {
}
