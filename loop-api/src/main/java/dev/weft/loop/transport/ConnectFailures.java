package dev.weft.loop.transport;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The failures of one {@code createConnection} or {@code createUnixConnection}, one per address
 * tried, in the order the attempts started; {@link #toException()} makes the single error the
 * caller sees. A Unix socket path is named in quotes. Confined to the loop thread, as the connect
 * that owns it.
 */
public final class ConnectFailures {
    private final List<SocketAddress> addresses = new ArrayList<>(2);
    private final List<IOException> causes = new ArrayList<>(2);

    /** Records that the attempt on {@code address} failed with {@code cause}. */
    public void add(SocketAddress address, IOException cause) {
        addresses.add(address);
        causes.add(cause);
    }

    /**
     * One address: "cannot connect to ADDRESS: ERROR". Several: "cannot connect to any of N
     * addresses: ADDRESS (ERROR); ...", every cause attached as suppressed, the first as the cause.
     * A {@link ConnectException} when every attempt was refused, unreachable or timed out (or found
     * no socket file), else an {@link IOException}.
     */
    public IOException toException() {
        if (causes.isEmpty()) {
            return new ConnectException("no address to connect to");
        }
        boolean allRefused = true;
        for (IOException c : causes) {
            allRefused &= isRefusedOrUnreachable(c);
        }
        String msg;
        if (causes.size() == 1) {
            msg = "cannot connect to " + name(addresses.get(0)) + ": " + causes.get(0).getMessage();
        } else {
            StringBuilder b = new StringBuilder("cannot connect to any of ").append(causes.size()).append(" addresses: ");
            for (int i = 0; i < causes.size(); i++) {
                if (i > 0) {
                    b.append("; ");
                }
                b.append(name(addresses.get(i))).append(" (").append(causes.get(i).getMessage()).append(')');
            }
            msg = b.toString();
        }
        IOException e = allRefused ? new ConnectException(msg) : new IOException(msg);
        e.initCause(causes.get(0));
        if (causes.size() > 1) {
            for (IOException c : causes) {
                e.addSuppressed(c);
            }
        }
        return e;
    }

    private static String name(SocketAddress a) {
        return a instanceof dev.weft.loop.UnixSocketAddress ? "'" + a + "'" : String.valueOf(a);
    }

    /**
     * Whether {@code e} says the peer refused, or no route or no answer came, or no socket file is
     * at the path (errno or WSA name, or strerror text).
     */
    static boolean isRefusedOrUnreachable(IOException e) {
        if (e instanceof ConnectException) {
            return true;
        }
        if (e instanceof dev.weft.loop.NativeIOException n) {
            // POSIX names (ECONNREFUSED) and Windows ones (WSAECONNREFUSED, ERROR_CONNECTION_REFUSED).
            String name = n.errorName();
            return name.contains("REFUSED") || name.contains("NETUNREACH") || name.contains("HOSTUNREACH")
                    || name.contains("TIMEDOUT") || name.equals("ERROR_SEM_TIMEOUT") || name.equals("ENOENT");
        }
        // java.nio gives only the text of strerror(3); WinError names the WSA error.
        String m = String.valueOf(e.getMessage());
        return m.contains("ECONNREFUSED") || m.contains("ENETUNREACH") || m.contains("EHOSTUNREACH")
                || m.contains("ETIMEDOUT") || m.contains("refused") || m.contains("REFUSED")
                || m.contains("UNREACH") || m.contains("TIMEDOUT") || m.contains("TIMEOUT")
                || m.contains("No such file");
    }
}
