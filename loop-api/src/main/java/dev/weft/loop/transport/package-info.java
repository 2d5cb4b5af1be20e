/**
 * The transport core every backend shares: {@link dev.weft.loop.transport.StreamCore} (protocol
 * binding, the EOF / close / abort state machine, write flow control, {@code connectionLost}) over a
 * backend's {@link dev.weft.loop.transport.StreamIo}; the stream server
 * ({@link dev.weft.loop.transport.ServerCore}: the {@code Server} calls, closing, throttled reports
 * of accept failures, hand-off to other loops) under a backend's accept, with its bookkeeping
 * ({@link dev.weft.loop.transport.ServerClients}); the stream connect
 * ({@link dev.weft.loop.transport.ConnectCore}: address order, the happy-eyeballs stagger, failures,
 * cancellation, the single winner) over a backend's {@link dev.weft.loop.transport.ConnectIo}. For
 * backends only; not API.
 */
package dev.weft.loop.transport;
