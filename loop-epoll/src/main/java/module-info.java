/**
 * The Linux epoll backend (JNA, and a small JNI library for the calls on the per-message path).
 *
 * <p>Exports nothing: the loop finds it with {@link java.util.ServiceLoader} as a provider of
 * {@code dev.weft.loop.spi.LoopBackend}, chosen by {@code -Dweft.loop.backend=epoll} or by
 * {@code auto}.
 */
module dev.weft.loop.epoll {
    requires dev.weft.loop;
    requires org.agrona;
    requires com.sun.jna;

    provides dev.weft.loop.spi.LoopBackend with dev.weft.loop.epoll.EpollBackend;
}
