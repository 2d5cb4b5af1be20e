/**
 * What a backend implements: contracts only, no implementation.
 *
 * <h2>Required types</h2>
 * <ul>
 *   <li>{@link dev.weft.loop.spi.LoopBackend}: the {@link java.util.ServiceLoader} entry point, with
 *       an availability probe ({@code isAvailable}, {@code unavailabilityCause}), a rank for
 *       {@code auto}, and an answer for every {@link dev.weft.loop.Capability}
 *       ({@code unsupportedReason}).</li>
 *   <li>{@link dev.weft.loop.spi.IoDriver}: the I/O half of one loop ({@code poll}, {@code wakeup},
 *       servers and connections). The loop core (timers, queues, the one {@code runOnce()}) is not
 *       the backend's business.</li>
 * </ul>
 *
 * <h2>Readiness backends (nio, epoll, kqueue)</h2>
 * Supply a {@link dev.weft.loop.spi.Poller} over {@link dev.weft.loop.spi.Pollable}s (a POSIX
 * descriptor or a {@link java.nio.channels.SelectableChannel}) and a
 * {@link dev.weft.loop.spi.SocketFactory} making {@link dev.weft.loop.spi.NetSocket}s (TCP) and
 * {@link dev.weft.loop.spi.DatagramSocket}s (UDP, optional), and hand both to
 * {@link dev.weft.loop.readiness.ReadinessDriver}: the accept loop, connects and the transports'
 * readiness half (streams and datagrams) are written once there.
 *
 * <h2>Completion backends (IOCP)</h2>
 * A completion port reports finished operations instead of ready sockets, and the memory of an
 * operation in flight belongs to the kernel until it completes. Such a backend implements
 * {@link dev.weft.loop.spi.IoDriver} directly and supplies its own
 * {@link dev.weft.loop.transport.StreamIo}; the stream state machine
 * ({@link dev.weft.loop.transport.StreamCore}) is shared with the readiness backends.
 *
 * <h2>Portability</h2>
 * Readiness-only operations (watching an arbitrary descriptor) are a capability a completion
 * backend reports as unsupported.
 */
package dev.weft.loop.spi;
