package dev.weft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * What the load generator tests share: an echo server in this JVM, plain ({@link #plain}) or TLS
 * ({@link #tls}), one thread per connection, that misbehaves once it has echoed some bytes
 * ({@link Fault}); and {@link #runJson}, which runs a generator's process and parses the JSON line
 * it printed. A test closes its server when done; the threads are daemons and end with it.
 */
final class EchoHarness implements AutoCloseable {
    /** What the server does to the (plaintext) stream once it has echoed {@code after} bytes. */
    enum Fault {
        NONE,
        /** Flips the byte at stream offset {@code after}, once. */
        FLIP_BYTE,
        /** Closes the connection. */
        CLOSE,
        /** Never echoes the last (up to) 100 bytes of the read that crosses {@code after}, once. */
        DROP_BYTES,
        /** Flips every byte from {@code after} on. */
        FLIP_ALL
    }

    private final ServerSocket server;

    private EchoHarness(ServerSocket server, Fault fault, long after, int socketBuffer) {
        this.server = server;
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    if (socketBuffer > 0) {
                        s.setSendBufferSize(socketBuffer);
                    }
                    Thread c = new Thread(() -> echo(s, fault, after), "test-echo-conn");
                    c.setDaemon(true);
                    c.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "test-echo-accept");
        t.setDaemon(true);
        t.start();
    }

    /** A plain TCP echo server on loopback doing {@code fault}, with the kernel's socket buffers. */
    static EchoHarness plain(Fault fault, long after) throws IOException {
        return plain(fault, after, 0);
    }

    /**
     * A plain TCP echo server on loopback doing {@code fault}; {@code socketBuffer} &gt; 0 sets
     * {@code SO_RCVBUF} (before bind, so accepted sockets inherit it) and {@code SO_SNDBUF} of each
     * connection to that many bytes, which turns off the kernel's autotuning of both.
     */
    static EchoHarness plain(Fault fault, long after, int socketBuffer) throws IOException {
        ServerSocket s = new ServerSocket();
        if (socketBuffer > 0) {
            s.setReceiveBufferSize(socketBuffer);
        }
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        return new EchoHarness(s, fault, after, socketBuffer);
    }

    /** A TLS echo server on loopback with {@code context}'s certificate, doing {@code fault} to the plaintext. */
    static EchoHarness tls(SSLContext context, Fault fault, long after) throws IOException {
        return new EchoHarness(context.getServerSocketFactory().createServerSocket(0, 200, InetAddress.getLoopbackAddress()),
                fault, after, 0);
    }

    int port() {
        return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }

    private static void echo(Socket s, Fault fault, long after) {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                int drop = 0;
                if (fault == Fault.FLIP_ALL && total + n > after) {
                    for (int i = (int) Math.max(0, after - total); i < n; i++) {
                        buf[i] ^= 0x5a;
                    }
                } else if (fault != Fault.NONE && total + n > after) {
                    if (fault == Fault.CLOSE) {
                        return;
                    }
                    if (fault == Fault.DROP_BYTES) {
                        drop = Math.min(n, 100); // the last bytes of this read are never echoed
                    } else {
                        buf[(int) (after - total)] ^= 0x5a;
                    }
                    fault = Fault.NONE;
                }
                out.write(buf, 0, n - drop);
                total += n;
            }
        } catch (IOException ignored) {
            // the load generator closed its end
        }
    }

    /**
     * Runs {@code cmd} (up to {@code timeoutS} seconds), checks that it exits with
     * {@code exitWanted} and printed a JSON line, and returns the last such line parsed.
     */
    static Map<String, Object> runJson(List<String> cmd, int timeoutS, int exitWanted) {
        Proc.Result r = Proc.run(cmd, timeoutS);
        String json = null;
        for (String l : r.out().split("\n")) {
            if (l.startsWith("{")) {
                json = l;
            }
        }
        assertEquals(exitWanted, r.exit(), r.out());
        assertTrue(json != null, "no JSON line: " + r.out());
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.parse(json);
        return m;
    }
}
