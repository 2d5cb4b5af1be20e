/**
 * The transport core every backend shares: {@link dev.weft.loop.transport.StreamCore} (protocol
 * binding, the EOF / close / abort state machine, write flow control, {@code connectionLost}) over a
 * backend's {@link dev.weft.loop.transport.StreamIo}, and the server bookkeeping
 * ({@link dev.weft.loop.transport.ServerClients}). For backends only; not API.
 */
package dev.weft.loop.transport;
