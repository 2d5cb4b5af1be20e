package dev.weft.loop;

/** The result of {@link EventLoop#createConnection}: the transport and the protocol bound to it. */
public record Connection<P extends BaseProtocol>(Transport transport, P protocol) {
}
