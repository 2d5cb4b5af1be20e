/**
 * The kqueue backend of macOS and FreeBSD (JNA).
 *
 * <p>Exports nothing: the loop finds it with {@link java.util.ServiceLoader} as a provider of
 * {@code dev.weft.loop.spi.LoopBackend}, chosen by {@code -Dweft.loop.backend=kqueue} or by
 * {@code auto}.
 */
module dev.weft.loop.kqueue {
    requires dev.weft.loop;
    requires org.agrona;
    requires com.sun.jna;

    provides dev.weft.loop.spi.LoopBackend with dev.weft.loop.kqueue.KqueueBackend;
}
