package dev.weft.loop.process;

/**
 * What one platform supplies to a {@link SubprocessCore}: the child it started, the watch on its
 * exit and the delivery of signals. The core holds the protocol's life cycle, the pipes and the
 * {@link dev.weft.loop.SubprocessTransport} calls; an implementation holds only what its platform
 * does differently ({@link PosixSubprocess}: posix_spawn, a pidfd or a waiter thread;
 * {@link JdkSubprocess}: {@code java.lang.Process}; iocp: CreateProcessW and a waiter thread).
 *
 * <p>The core calls each method on the loop thread. An implementation reports the exit with
 * {@link SubprocessCore#exited} on the loop thread, and never after {@link #abandon()}.
 */
public interface ChildProcess {
    /**
     * Starts watching for the child's exit and reports it to {@code core} with
     * {@link SubprocessCore#exited}: the exit status, or minus the number of the signal that ended
     * the child. Called once, after the protocol's {@code connectionMade} (or after the creation
     * failed or was cancelled).
     */
    void watchExit(SubprocessCore core);

    /**
     * The number {@link #signal} takes for the signal named {@code signal} ({@code "TERM"},
     * {@code "SIGHUP"}, in any case).
     *
     * @throws IllegalArgumentException naming {@code signal} when this platform does not know it
     */
    int signalNumber(String signal);

    /**
     * Sends signal {@code sig} (called {@code name}, such as {@code "SIGTERM"}) to the child, whose
     * exit the core has not been told of yet.
     *
     * @throws dev.weft.loop.ProcessLookupException when the child has exited meanwhile
     * @throws dev.weft.loop.UnsupportedCapabilityException when this platform cannot deliver it
     */
    void signal(int sig, String name);

    /**
     * Kills the child, whose exit the core has not been told of yet, for the transport's
     * {@code close()}: quietly, as it may have exited meanwhile.
     */
    void killQuietly();

    /**
     * The loop closes while the child is one of its live handles: ends the child if it still runs
     * (its exit may have been reported already) and releases what watches it, waiting off the loop
     * thread where waiting is needed. No exit is reported after this.
     */
    void abandon();
}
