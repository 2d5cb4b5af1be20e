package dev.weft.loop.process;

import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.ProcessLookupException;
import dev.weft.loop.Protocol;
import dev.weft.loop.SubprocessProtocol;
import dev.weft.loop.SubprocessTransport;
import dev.weft.loop.Transport;
import dev.weft.loop.core.LoopInternals;
import java.util.Locale;
import org.agrona.DirectBuffer;

/**
 * The transport of a child process on every backend: the order of the protocol's calls, the pipes
 * to the child, the live-handle accounting and the {@link SubprocessTransport} calls. How the child
 * is started, signalled and seen to exit is its {@link ChildProcess}'s.
 *
 * <h2>Life cycle</h2>
 * A launcher starts the child, makes the core and {@link #open() opens} it: from then on the child
 * is a live handle of the loop, and closing the loop ends it ({@link ChildProcess#abandon()}). The
 * launcher connects one transport per pipe to the protocol {@link #pipeProtocol} gives, and calls
 * {@link #pipesConnected()} when every connect has completed. Then, unless the creation was
 * cancelled meanwhile:
 * <ol>
 * <li>reading starts and the protocol's {@code connectionMade} runs; the creation completes with
 * this transport, or fails with what {@code connectionMade} threw (and the child is killed);</li>
 * <li>the exit watch starts ({@link ChildProcess#watchExit});</li>
 * <li>{@code pipeDataReceived}, {@code pipeConnectionLost} (once per pipe) and
 * {@code processExited} ({@link #exited}), as they happen;</li>
 * <li>{@code connectionLost(null)} last, in a later callback, once the exit was seen and every
 * pipe is lost; the child then stops being a live handle.</li>
 * </ol>
 * The protocol hears nothing before {@code connectionMade}, nothing of a cancelled or failed
 * creation, and nothing after the loop closed.
 *
 * <h2>Signals and close</h2>
 * A signal name the child's platform does not know fails with {@link IllegalArgumentException};
 * once the exit was seen, with {@link ProcessLookupException}; else the {@link ChildProcess} sends
 * it. {@link #close()} closes the pipes and kills a child whose exit was not seen; a child that
 * exited is left alone.
 *
 * <p>Loop thread only, except {@link #pid()} and {@link #loop()}.
 */
public final class SubprocessCore implements SubprocessTransport {
    private final EventLoop loop;
    private final SubprocessProtocol protocol;
    private final long pid;
    private final ChildProcess child;
    private final LoopFuture<SubprocessTransport> result;
    private final Pipe[] pipes = new Pipe[3];
    private final Runnable closer = this::closeWithLoop;
    private Integer returnCode;
    private boolean connected;
    private boolean closing;
    private boolean finished;
    private boolean pipesConnected;

    /**
     * A transport for the started child {@code child} with process id {@code pid}, reporting to
     * {@code protocol}; {@code result} completes with it once the protocol's {@code connectionMade}
     * has run. Nothing is registered with the loop until {@link #open()}.
     */
    public SubprocessCore(EventLoop loop, SubprocessProtocol protocol, long pid, ChildProcess child,
                          LoopFuture<SubprocessTransport> result) {
        this.loop = loop;
        this.protocol = protocol;
        this.pid = pid;
        this.child = child;
        this.result = result;
    }

    /** Counts the child among the loop's live handles until {@code connectionLost}. Once. */
    public void open() {
        LoopInternals.loop().childOpened(loop, closer);
    }

    /**
     * The protocol of the pipe to the child's {@code fd} (0 stdin, 1 stdout, 2 stderr): the
     * launcher connects a transport to it (a write transport for 0, read transports for 1 and 2).
     * At most one per fd, before {@link #pipesConnected()}.
     */
    public Protocol pipeProtocol(int fd) {
        checkFd(fd);
        if (pipes[fd] != null) {
            throw new IllegalStateException("the child's fd " + fd + " has a pipe already");
        }
        Pipe p = new Pipe(fd);
        pipes[fd] = p;
        return p;
    }

    /**
     * The connect of the pipe to {@code fd} completed with transport {@code t}. A transport that
     * never called the pipe protocol's {@code connectionMade} was lost before it started (the child
     * closed its end at once): its loss is reported after the protocol's {@code connectionMade}.
     */
    public void pipeConnected(int fd, Transport t) {
        Pipe p = pipes[fd];
        if (p.transport == null) {
            p.adopt(t);
            p.lostEarly = true;
            if (pipesConnected && !p.lost) {
                pipeLost(p, null);
            }
        }
    }

    /** The connect of the pipe to {@code fd} failed: the creation fails with {@code cause}, the child is killed. */
    public void pipeFailed(int fd, Throwable cause) {
        pipes[fd].lost = true;
        if (!result.isDone()) {
            result.setException(cause);
        }
        close();
    }

    /** Every pipe's connect has completed (or failed): see the life cycle. Later calls do nothing. */
    public void pipesConnected() {
        if (pipesConnected) {
            return;
        }
        pipesConnected = true;
        if (result.isDone()) {
            // Cancelled or failed meanwhile: the protocol never hears of this child.
            close();
        } else {
            connected = true;
            for (Pipe p : pipes) {
                if (p != null && p.transport != null && p.fd != 0 && !p.lost && !closing) {
                    p.transport.resumeReading();
                }
            }
            try {
                protocol.connectionMade(this);
            } catch (RuntimeException e) {
                // As a stream transport does: the child is killed, the creation fails with the error.
                connected = false;
                result.setException(e);
                close();
            }
            if (!result.isDone()) {
                result.setResult(this);
            }
        }
        for (Pipe p : pipes) {
            if (p != null && p.lostEarly && !p.lost) {
                pipeLost(p, null);
            }
        }
        child.watchExit(this);
        tryFinish();
    }

    /**
     * Loop thread: the child exited with return code {@code code} (the exit status, or minus the
     * signal that ended it). The first report counts.
     */
    public void exited(int code) {
        if (returnCode != null) {
            return;
        }
        returnCode = code;
        if (connected) {
            try {
                protocol.processExited();
            } catch (RuntimeException e) {
                loop.callExceptionHandler(new ExceptionContext("exception in processExited", e, this));
            }
        }
        tryFinish();
    }

    private void pipeLost(Pipe p, Throwable cause) {
        p.lost = true;
        if (connected) {
            try {
                protocol.pipeConnectionLost(p.fd, cause);
            } catch (RuntimeException e) {
                loop.callExceptionHandler(new ExceptionContext("exception in pipeConnectionLost", e, this));
            }
        }
        tryFinish();
    }

    private void tryFinish() {
        if (finished || returnCode == null || !pipesConnected) {
            return;
        }
        for (Pipe p : pipes) {
            if (p != null && !p.lost) {
                return;
            }
        }
        finished = true;
        closing = true;
        loop.callSoon(() -> {
            LoopInternals.loop().childClosed(loop, closer);
            if (connected) {
                protocol.connectionLost(null);
            }
        });
    }

    /** The loop closes (its transports are closed by the driver after this): no callback runs any more. */
    private void closeWithLoop() {
        connected = false;
        child.abandon();
    }

    // ------------------------------------------------------------ SubprocessTransport

    @Override
    public EventLoop loop() {
        return loop;
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public Integer returnCode() {
        loop.assertInLoop("returnCode");
        return returnCode;
    }

    @Override
    public Transport pipeTransport(int fd) {
        loop.assertInLoop("pipeTransport");
        checkFd(fd);
        Pipe p = pipes[fd];
        return p == null ? null : fd == 0 ? p.stdin : p.transport;
    }

    private static void checkFd(int fd) {
        if (fd < 0 || fd > 2) {
            throw new IllegalArgumentException("fd must be 0, 1 or 2: " + fd);
        }
    }

    @Override
    public void sendSignal(String signal) {
        loop.assertInLoop("sendSignal");
        signal(signal);
    }

    @Override
    public void terminate() {
        loop.assertInLoop("terminate");
        signal("TERM");
    }

    @Override
    public void kill() {
        loop.assertInLoop("kill");
        signal("KILL");
    }

    private void signal(String signal) {
        int sig = child.signalNumber(signal);
        String name = "SIG" + bareSignalName(signal);
        // Each ChildProcess keeps the pid from being reused under this call (see its signal).
        if (returnCode != null) {
            throw new ProcessLookupException("cannot send " + name + " to process " + pid + ": the process has exited"
                    + " (return code " + returnCode + ")");
        }
        child.signal(sig, name);
    }

    /** {@code signal} in upper case without a leading {@code SIG}: {@code "sigterm"} is {@code "TERM"}. */
    public static String bareSignalName(String signal) {
        if (signal == null) {
            throw new NullPointerException("signal");
        }
        String name = signal.toUpperCase(Locale.ROOT);
        return name.startsWith("SIG") ? name.substring(3) : name;
    }

    @Override
    public void close() {
        loop.assertInLoop("close");
        if (closing) {
            return;
        }
        closing = true;
        for (Pipe p : pipes) {
            if (p != null && p.transport != null && !p.transport.isClosing()) {
                p.transport.close();
            }
        }
        if (returnCode == null) {
            child.killQuietly();
        }
    }

    @Override
    public boolean isClosing() {
        return closing;
    }

    @Override
    public SubprocessProtocol protocol() {
        return protocol;
    }

    @Override
    public String toString() {
        return "Subprocess[" + child + (returnCode != null ? ", returned " + returnCode : "") + "]";
    }

    /** The protocol of one pipe transport: forwards to the child's protocol with the fd. */
    private final class Pipe implements Protocol {
        final int fd;
        Transport transport;
        Transport stdin;
        boolean lost;
        boolean lostEarly;

        Pipe(int fd) {
            this.fd = fd;
        }

        void adopt(Transport t) {
            transport = t;
            stdin = fd == 0 ? new StdinTransport(t) : null;
        }

        @Override
        public void connectionMade(Transport t) {
            adopt(t);
            if (fd != 0 && !connected) {
                // Held until the child's protocol has had connectionMade.
                t.pauseReading();
            }
            if (closing) {
                t.close();
            }
        }

        @Override
        public void dataReceived(DirectBuffer data) {
            if (connected) {
                protocol.pipeDataReceived(fd, data);
            }
        }

        @Override
        public void connectionLost(Throwable cause) {
            pipeLost(this, cause);
        }

        @Override
        public void pauseWriting() {
            if (connected) {
                protocol.pauseWriting();
            }
        }

        @Override
        public void resumeWriting() {
            if (connected) {
                protocol.resumeWriting();
            }
        }
    }
}
