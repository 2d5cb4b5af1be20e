package dev.weft.loop;

/**
 * The result of {@link EventLoop#createConnection}: the transport and the protocol bound to it.
 *
 * <p>Immutable: any thread may read it; the transport and the protocol it holds are the loop
 * thread's.
 */
public record Connection<P extends BaseProtocol>(Transport transport, P protocol) {
}
