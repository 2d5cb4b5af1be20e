/**
 * The POSIX socket layer of the native readiness backends (epoll, kqueue): TCP sockets on file
 * descriptors through the C library, by JNA direct mapping.
 *
 * <h2>Public types</h2>
 * <ul>
 *   <li>{@link dev.weft.loop.posix.PosixSocketFactory}: the {@link dev.weft.loop.spi.SocketFactory}
 *       a backend hands to {@link dev.weft.loop.readiness.ReadinessDriver}.</li>
 *   <li>{@link dev.weft.loop.posix.PosixSocket}: the {@link dev.weft.loop.spi.NetSocket}; its
 *       {@code fd()} is what the backend's poller watches.</li>
 *   <li>{@link dev.weft.loop.posix.Posix}: the availability probe, errno, and the
 *       {@link dev.weft.loop.NativeIOException} naming a failed call.</li>
 * </ul>
 *
 * <h2>Portability</h2>
 * Constants and struct layouts live in one table per OS ({@code LinuxAbi}, {@code DarwinAbi},
 * {@code FreeBsdAbi}), selected by {@code os.name}; 64-bit only. The Linux table is pinned by tests
 * against the installed headers (when a C compiler is present) and the running kernel. The layer
 * smooths over: {@code sin_len} in BSD sockaddrs; {@code SOCK_NONBLOCK}/{@code accept4} missing on
 * macOS; {@code MSG_NOSIGNAL} versus {@code SO_NOSIGPIPE}; {@code SO_LINGER} in ticks on macOS.
 *
 * <h2>Implementation notes</h2>
 * errno is read with {@code Native.getLastError()} right after the call, not through
 * {@code LastErrorException}, which a direct-mapped method can only throw (one allocation and
 * stack trace per EAGAIN). Native binding classes are package-private.
 */
package dev.weft.loop.posix;
