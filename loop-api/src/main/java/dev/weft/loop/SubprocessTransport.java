package dev.weft.loop;

/**
 * A child process and the pipes to it (asyncio's {@code SubprocessTransport}). Loop thread only,
 * except {@link #loop()} and {@link #pid()}.
 */
public interface SubprocessTransport {
    /** The loop owning this transport. Thread-safe. */
    EventLoop loop();

    /** The child's process id. Thread-safe. */
    long pid();

    /**
     * The child's return code once it exited, else null: its exit status, or the negative number of
     * the signal that ended it ({@code -9} after {@link #kill()}).
     */
    Integer returnCode();

    /**
     * The transport of the pipe to the child's {@code fd} (0 stdin: write only; 1 stdout and 2
     * stderr: read only), or null when that stream is not a pipe.
     */
    Transport pipeTransport(int fd);

    /**
     * Sends {@code signal} ({@code "TERM"}, {@code "SIGHUP"}, ...) to the child.
     *
     * @throws ProcessLookupException when the child has exited
     * @throws IllegalArgumentException for an unknown signal name
     */
    void sendSignal(String signal);

    /** Sends SIGTERM. @throws ProcessLookupException when the child has exited */
    void terminate();

    /** Sends SIGKILL. @throws ProcessLookupException when the child has exited */
    void kill();

    /**
     * Closes the pipes and kills the child if it still runs (a child that exited is left alone);
     * the protocol's {@code connectionLost} follows once the child exited. Idempotent.
     */
    void close();

    /** True once {@link #close()} was called or the child exited and its pipes closed. */
    boolean isClosing();

    /** The protocol this transport reports to. */
    SubprocessProtocol protocol();
}
