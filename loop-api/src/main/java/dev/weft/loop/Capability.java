package dev.weft.loop;

/**
 * A family of operations a backend may or may not offer. {@link EventLoop#supports(Capability)}
 * answers for the loop's backend; asking a backend for one it lacks fails with
 * {@link UnsupportedCapabilityException} ("unsupported on &lt;backend&gt;: &lt;reason&gt;"), never
 * with a silent fallback. The README's feature table is checked against what each backend declares.
 *
 * <p>Constants: any thread.
 */
public enum Capability {
    /** TCP servers and connections ({@code createServer}, {@code createConnection}). */
    TCP("TCP client and server"),
    /** Unix domain stream sockets ({@code createUnixServer}, {@code createUnixConnection}). */
    UNIX_STREAM("Unix domain stream sockets"),
    /** Linux abstract Unix socket names (a leading NUL, no file); needs {@link #UNIX_STREAM}. */
    UNIX_ABSTRACT("abstract Unix socket names"),
    /** Transports over pipes, FIFOs and character devices ({@code connectReadPipe}, {@code connectWritePipe}). */
    PIPES("pipe transports"),
    /** Watching a descriptor the caller owns ({@code addReader}, {@code addWriter}). */
    WATCH_FD("watching raw descriptors"),
    /** Sending a file through the kernel ({@code sendfile}); the copying fallback works everywhere. */
    SENDFILE("native sendfile"),
    /** UDP endpoints ({@code createDatagramEndpoint}). */
    DATAGRAM("UDP datagram endpoints"),
    /**
     * Unix domain datagram endpoints ({@code createDatagramEndpoint} with {@link UnixSocketAddress}es:
     * {@code AF_UNIX}, {@code SOCK_DGRAM}); abstract names need {@link #UNIX_ABSTRACT} too.
     */
    UNIX_DATAGRAM("Unix domain datagram sockets"),
    /** Signal handlers run on the loop ({@code addSignalHandler}, {@code removeSignalHandler}). */
    SIGNALS("POSIX signal handlers"),
    /** Child processes with pipes watched by the loop ({@code subprocessExec}). */
    SUBPROCESS("subprocesses");

    private final String description;

    Capability(String description) {
        this.description = description;
    }

    /** What the capability covers, in a few words. */
    public String description() {
        return description;
    }
}
