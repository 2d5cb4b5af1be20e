/**
 * What a backend implements.
 *
 * <h2>Required types</h2>
 * <ul>
 *   <li>{@link dev.weft.loop.spi.LoopBackend}: the {@link java.util.ServiceLoader} entry point, with
 *       an availability probe ({@code isAvailable}, {@code unavailabilityCause}) and a rank for
 *       {@code auto}.</li>
 *   <li>{@link dev.weft.loop.spi.IoDriver}: the I/O half of one loop ({@code poll}, {@code wakeup},
 *       servers and connections). The loop core (timers, queues, the one {@code runOnce()}) is not
 *       the backend's business.</li>
 * </ul>
 *
 * <h2>Readiness backends (nio, epoll, kqueue)</h2>
 * Supply a {@link dev.weft.loop.spi.Poller} and a {@link dev.weft.loop.spi.SocketFactory} making
 * {@link dev.weft.loop.spi.NetSocket}s, and hand both to {@link dev.weft.loop.spi.ReadinessDriver}:
 * the TCP transports, the accept loop and flow control are written once there, over those calls.
 *
 * <h2>Completion backends (IOCP)</h2>
 * A completion port reports finished operations instead of ready sockets, and the memory of an
 * operation in flight belongs to the kernel until it completes, so readiness transports cannot be
 * reused. Such a backend implements {@link dev.weft.loop.spi.IoDriver} directly with its own
 * transports honouring the same {@link dev.weft.loop.Transport} contract, and maps
 * {@code poll}/{@code wakeup} onto dequeueing completions and posting a wake-up packet.
 *
 * <h2>Portability</h2>
 * Readiness-only operations (watching an arbitrary fd) are not part of the portable contract.
 */
package dev.weft.loop.spi;
