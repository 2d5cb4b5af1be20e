/**
 * The java.nio backend: Selector and channels, the fallback on every system.
 *
 * <p>Exports nothing: the loop finds it with {@link java.util.ServiceLoader} as a provider of
 * {@code dev.weft.loop.spi.LoopBackend}, chosen by {@code -Dweft.loop.backend=nio} or by
 * {@code auto}.
 */
module dev.weft.loop.nio {
    requires dev.weft.loop;
    requires org.agrona;

    provides dev.weft.loop.spi.LoopBackend with dev.weft.loop.nio.NioBackend;
}
