package dev.weft.loop.iocp;

import dev.weft.loop.Capability;
import dev.weft.loop.EventLoop;
import dev.weft.loop.spi.IoDriver;
import dev.weft.loop.spi.LoopBackend;
import java.io.IOException;
import java.util.Locale;

/**
 * The Windows I/O completion port backend. Selected by {@code auto} on Windows (rank 100); never
 * elsewhere (rank -1). Availability is probed once, lazily: the OS must be Windows, JNA must load
 * kernel32 and ws2_32, and a completion port must open and close.
 *
 * <p>Tested on Linux under Wine 8 with a Windows JRE (loop-iocp/wine/run-tests.sh); not yet run on
 * real Windows.
 */
public final class IocpBackend implements LoopBackend {
    private static final boolean WINDOWS =
            System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
    private static volatile Probe probe;

    /** Public and cheap, for {@link java.util.ServiceLoader}: no native work here. */
    public IocpBackend() {
    }

    @Override
    public String name() {
        return "iocp";
    }

    @Override
    public boolean isAvailable() {
        return probe().cause == null;
    }

    @Override
    public Throwable unavailabilityCause() {
        return probe().cause;
    }

    @Override
    public int autoPriority() {
        return WINDOWS ? 100 : -1;
    }

    @Override
    public IoDriver open(EventLoop loop) throws IOException {
        Throwable cause = unavailabilityCause();
        if (cause != null) {
            throw new IOException("the iocp backend is unavailable: " + cause.getMessage(), cause);
        }
        return new IocpDriver(name(), loop);
    }

    private static Probe probe() {
        Probe p = probe;
        if (p == null) {
            synchronized (IocpBackend.class) {
                p = probe;
                if (p == null) {
                    probe = p = new Probe(check());
                }
            }
        }
        return p;
    }

    private static Throwable check() {
        if (!WINDOWS) {
            return new UnsupportedOperationException("unsupported on iocp: requires Windows (os.name="
                    + System.getProperty("os.name") + ")");
        }
        try {
            try (CompletionPort port = new CompletionPort(1)) {
                if (!port.post(0, 0L, 0L) || port.dequeue(0) != 1) {
                    return new IllegalStateException("unsupported on iocp: a completion port did not deliver a posted packet");
                }
            }
            return null;
        } catch (IOException e) {
            return new IllegalStateException("unsupported on iocp: " + e.getMessage(), e);
        } catch (LinkageError e) {
            return new IllegalStateException("unsupported on iocp: cannot load kernel32/ws2_32 through JNA: " + e, e);
        }
    }

    private record Probe(Throwable cause) {
    }

    @Override
    public String unsupportedReason(Capability capability) {
        switch (capability) {
            case TCP:
            case DATAGRAM:
            case SUBPROCESS:
            case SENDFILE:
                return null;
            case PIPES:
                return "connectReadPipe/connectWritePipe take a POSIX descriptor or a java.nio channel (PipeEnd),"
                        + " neither of which is a Windows pipe handle (subprocess pipes are overlapped named pipes"
                        + " on the completion port)";
            case WATCH_FD:
                return "an I/O completion port reports finished operations, not readiness, so there is nothing"
                        + " to watch (asyncio's proactor loop has no add_reader either)";
            case UNIX_STREAM:
                return AfUnixSupport.unsupportedReason();
            case UNIX_DATAGRAM:
                return "Windows has no Unix datagram sockets (its AF_UNIX offers SOCK_STREAM only)";
            case UNIX_ABSTRACT:
                return "Windows has no abstract Unix socket names";
            case SIGNALS:
                return "Windows has no POSIX signals (its JVM maps only console events to INT, TERM and BREAK)";
            default:
                return "not implemented on iocp yet (" + capability.description() + ")";
        }
    }
}
