package dev.weft.loop.spi;

import java.net.SocketOption;

/**
 * The socket option that lets several listening sockets of one user bind the same address and
 * port, with the kernel spreading new connections over them: {@code SO_REUSEPORT} on Linux (3.9+),
 * {@code SO_REUSEPORT_LB} on FreeBSD (12+). Where the OS has no such option (macOS, whose
 * {@code SO_REUSEPORT} hands every connection to one listener; Windows) a {@link NetSocket} refuses
 * it with {@link UnsupportedOperationException}. Set before {@code bind}.
 */
public final class BalancedReusePort {
    /** The option; its value is a {@link Boolean}. */
    public static final SocketOption<Boolean> OPTION = new SocketOption<>() {
        @Override
        public String name() {
            return "SO_REUSEPORT_LB";
        }

        @Override
        public Class<Boolean> type() {
            return Boolean.class;
        }

        @Override
        public String toString() {
            return name();
        }
    };

    private BalancedReusePort() {
    }
}
