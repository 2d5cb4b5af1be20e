package dev.weft.loop.iocp;

import dev.weft.loop.Capability;
import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.NativeIOException;
import dev.weft.loop.ProcessLookupException;
import dev.weft.loop.Protocol;
import dev.weft.loop.SubprocessOptions;
import dev.weft.loop.SubprocessProtocol;
import dev.weft.loop.SubprocessTransport;
import dev.weft.loop.Transport;
import dev.weft.loop.UnsupportedCapabilityException;
import dev.weft.loop.core.LoopInternals;
import dev.weft.loop.process.StdinTransport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import org.agrona.DirectBuffer;
import static dev.weft.loop.iocp.ProcessCalls.*;

/**
 * A child started with CreateProcessW on the iocp backend, as asyncio's proactor loop starts one: its
 * pipes are overlapped named pipes whose ReadFile and WriteFile complete on the loop's port
 * ({@link IocpPipe}, the shared stream-transport core), its exit is watched by one daemon thread
 * per child blocked in WaitForSingleObject on the process handle, which hands the exit to the loop,
 * and its return code is GetExitCodeProcess's.
 *
 * <h2>Order</h2>
 * As on the other backends: the pipes connect first, reading held until the protocol's
 * {@code connectionMade} has run; then {@code pipeDataReceived}, {@code pipeConnectionLost} (once per
 * pipe) and {@code processExited}; {@code connectionLost(null)} last, in a later callback once the
 * exit was seen and every pipe is lost.
 *
 * <h2>Signals and return code</h2>
 * Windows has no POSIX signals. {@code terminate()} and {@code kill()} (and {@code sendSignal} of
 * TERM or KILL) call TerminateProcess with exit code 128 + 15 or 128 + 9, as a shell reports a
 * child ended by that signal; the return code is then reported as -15 or -9, the portable
 * convention, when this transport ended the child with it. Any other signal fails with
 * {@link UnsupportedCapabilityException}. The process handle stays open until the loop has read the
 * exit code, so its id cannot be reused under a TerminateProcess.
 *
 * <h2>Options</h2>
 * stdin, stdout and stderr each PIPE, DEVNULL (the NUL device), INHERIT (a duplicate of this process's
 * standard handle), FILE, or stderr to STDOUT; cwd and environment. A POSIX descriptor
 * ({@code Stdio.fd}), a new session and a process group are refused with
 * {@link UnsupportedCapabilityException} before anything starts.
 *
 * <p>Loop thread only, except {@link #pid()} and {@link #loop()}.
 */
final class IocpSubprocess implements SubprocessTransport {
    private static final int SIGKILL = 9;
    private static final int SIGTERM = 15;
    /** POSIX signal names: known, but not something a Windows process can be sent. */
    private static final Set<String> POSIX_SIGNALS = Set.of("HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS",
            "FPE", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
            "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS", "BREAK");

    private final IocpDriver driver;
    private final EventLoop loop;
    private final SubprocessProtocol protocol;
    private final int pid;
    private final Pipe[] pipes = new Pipe[3];
    private final Runnable closer = this::closeWithLoop;
    private LoopFuture<SubprocessTransport> result;
    private Integer returnCode;
    /** The signal this transport ended the child with (its TerminateProcess came first), else 0. */
    private int endedWith;
    private boolean connected;
    private boolean closing;
    private boolean finished;
    private boolean pipesStarted;

    // Shared with the waiter thread, under this object's lock.
    private long process;
    private boolean waiterStarted;
    private boolean exitSeen;
    private boolean exitPosted;
    private boolean abandoned;

    private IocpSubprocess(IocpDriver driver, SubprocessProtocol protocol, long process, int pid) {
        this.driver = driver;
        this.loop = driver.loop;
        this.protocol = protocol;
        this.process = process;
        this.pid = pid;
    }

    /**
     * Checks the arguments (an {@link IllegalArgumentException} naming the bad one, or an
     * {@link UnsupportedCapabilityException}, before anything is opened or started), starts the
     * child and completes {@code result} once the protocol's {@code connectionMade} has run. A
     * failing CreateProcessW fails {@code result} with an {@link IOException} naming it, every
     * handle opened for it closed again. Cancelling {@code result} before then kills the child.
     */
    static void start(IocpDriver driver, Supplier<? extends SubprocessProtocol> factory, List<String> argv,
                      SubprocessOptions options, LoopFuture<SubprocessTransport> result) {
        String program = WinSpawnCheck.check(driver.name, argv, options);
        start(driver, factory, argv, program, CommandLine.quote(argv), options, result);
    }

    /**
     * Runs {@code command} with {@code cmd.exe /d /s /c "command"} (the ComSpec variable names the
     * shell when set): cmd.exe reads the rest of its command line as written, so the command is
     * not quoted (with /s cmd.exe removes exactly the outer quotes added here). As {@link #start}
     * otherwise.
     */
    static void startShell(IocpDriver driver, Supplier<? extends SubprocessProtocol> factory, String command,
                           SubprocessOptions options, LoopFuture<SubprocessTransport> result) {
        String comspec = System.getenv("ComSpec");
        if (comspec == null || comspec.isBlank()) {
            comspec = System.getenv("SystemRoot") + "\\System32\\cmd.exe";
        }
        List<String> argv = List.of(comspec, "/d", "/s", "/c", command);
        String program = WinSpawnCheck.check(driver.name, argv, options);
        String line = CommandLine.quote(List.of(comspec)) + " /d /s /c \"" + command + "\"";
        start(driver, factory, argv, program, line, options, result);
    }

    private static void start(IocpDriver driver, Supplier<? extends SubprocessProtocol> factory, List<String> argv,
                              String program, String commandLine, SubprocessOptions options,
                              LoopFuture<SubprocessTransport> result) {
        SubprocessProtocol protocol = factory.get();
        if (protocol == null) {
            throw new NullPointerException("the protocol factory returned null");
        }
        SubprocessOptions.Stdio[] stdio = {options.stdin(), options.stdout(), options.stderr()};
        long[] parentEnd = {0, 0, 0};
        String[] names = new String[3];
        long[] childEnd = {0, 0, 0};
        List<Long> toClose = new ArrayList<>();
        WinSpawn.Child child;
        try {
            for (int i = 0; i < 3; i++) {
                SubprocessOptions.Stdio s = stdio[i];
                switch (s.kind()) {
                    case PIPE -> {
                        WinSpawn.Pipe p = WinSpawn.pipe(i == 0);
                        parentEnd[i] = p.server();
                        names[i] = p.name();
                        childEnd[i] = p.client();
                        toClose.add(p.client());
                    }
                    case DEVNULL -> {
                        childEnd[i] = WinSpawn.nul(i != 0);
                        toClose.add(childEnd[i]);
                    }
                    case FILE -> {
                        childEnd[i] = openFile(s.file(), i);
                        toClose.add(childEnd[i]);
                    }
                    case INHERIT -> {
                        childEnd[i] = WinSpawn.inheritStd(i == 0 ? STD_INPUT_HANDLE
                                : i == 1 ? STD_OUTPUT_HANDLE : STD_ERROR_HANDLE);
                        toClose.add(childEnd[i]);
                    }
                    case STDOUT -> childEnd[i] = childEnd[1];
                    default -> throw new IllegalStateException("unexpected stdio " + s);
                }
            }
            child = WinSpawn.spawn(program, commandLine, options.environment(), options.cwd(), childEnd);
        } catch (IOException | RuntimeException e) {
            toClose.forEach(WinSpawn::closeQuietly);
            for (long h : parentEnd) {
                WinSpawn.closeQuietly(h);
            }
            if (e instanceof IllegalArgumentException iae) {
                throw iae;
            }
            result.setException(e instanceof IOException ? new IOException("cannot start " + argv + ": " + e.getMessage(), e) : e);
            return;
        }
        toClose.forEach(WinSpawn::closeQuietly);
        IocpSubprocess t = new IocpSubprocess(driver, protocol, child.process(), child.pid());
        t.result = result;
        if (child.handleListFailure() != null) {
            driver.loop.callExceptionHandler(new ExceptionContext("child " + child.pid() + " was started without "
                    + "PROC_THREAD_ATTRIBUTE_HANDLE_LIST, so it inherited every inheritable handle of this process: "
                    + child.handleListFailure(), null, t));
        }
        for (int i = 0; i < 3; i++) {
            if (parentEnd[i] == 0) {
                continue;
            }
            Pipe p = t.new Pipe(i);
            try {
                p.io = new IocpPipe(driver, parentEnd[i], names[i], i == 0, p);
            } catch (NativeIOException e) {
                // Registration failed (the handle is closed): undo the rest and end the child.
                for (int j = i + 1; j < 3; j++) {
                    WinSpawn.closeQuietly(parentEnd[j]);
                }
                for (Pipe made : t.pipes) {
                    if (made != null && made.io != null) {
                        made.io.closeNow();
                    }
                }
                TerminateProcess(t.process, 128 + SIGKILL);
                Kernel32.CloseHandle(t.process);
                result.setException(new IOException("cannot start " + argv + ": " + e.getMessage(), e));
                return;
            }
            t.pipes[i] = p;
        }
        LoopInternals.loop().childOpened(driver.loop, t.closer);
        driver.loop.callSoon(t::connect);
    }

    private static long openFile(Path file, int fd) throws NativeIOException {
        try {
            return WinSpawn.file(file, fd != 0);
        } catch (NativeIOException e) {
            throw new IllegalArgumentException((fd == 0 ? "stdin" : fd == 1 ? "stdout" : "stderr")
                    + " file cannot be opened: " + file + " (" + e.getMessage() + ")", e);
        }
    }

    // ------------------------------------------------------------ start

    private void connect() {
        pipesStarted = true;
        for (Pipe p : pipes) {
            if (p != null) {
                p.io.transport().start();
            }
        }
        if (result.isDone()) {
            // Cancelled meanwhile: the protocol never hears of this child.
            close();
        } else {
            connected = true;
            for (Pipe p : pipes) {
                if (p != null && p.fd != 0 && !p.lost && !closing) {
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
        startWaiter();
        tryFinish();
    }

    // ------------------------------------------------------------ exit

    private void startWaiter() {
        synchronized (this) {
            if (waiterStarted || abandoned) {
                return;
            }
            waiterStarted = true;
        }
        Thread waiter = new Thread(this::waitOffLoop, "weft-child-" + pid);
        waiter.setDaemon(true);
        waiter.start();
    }

    /** The waiter thread: blocks until the child exits, then lets the loop read its exit code. */
    private void waitOffLoop() {
        long h;
        synchronized (this) {
            h = process;
        }
        ProcessCalls.WaitForSingleObject(h, WinConstants.INFINITE);
        synchronized (this) {
            exitSeen = true;
            if (!abandoned) {
                try {
                    loop.callSoonThreadsafe(this::exited);
                    exitPosted = true;
                    return;
                } catch (IllegalStateException closed) {
                    // The loop closed: nobody will read the exit code.
                }
            }
            closeProcessHandle();
        }
    }

    /** Closes the process handle once; under this object's lock. */
    private void closeProcessHandle() {
        if (process != 0) {
            Kernel32.CloseHandle(process);
            process = 0;
        }
    }

    /** Loop thread: the child has exited. */
    private void exited() {
        int code;
        synchronized (this) {
            if (abandoned || returnCode != null || process == 0) {
                return;
            }
            long slot = Mem.allocate(8);
            try {
                if (GetExitCodeProcess(process, slot) == 0) {
                    int error = WinError.last();
                    loop.callExceptionHandler(new ExceptionContext("GetExitCodeProcess of child " + pid + " failed: "
                            + WinError.describe(error) + "; return code 255", null, this));
                    code = 255;
                } else {
                    code = Mem.getInt(slot);
                }
            } finally {
                Mem.free(slot);
            }
            closeProcessHandle();
        }
        if (endedWith != 0 && code == 128 + endedWith) {
            code = -endedWith;
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

    // ------------------------------------------------------------ pipes

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
        if (finished || returnCode == null || !pipesStarted) {
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

    /**
     * The loop closes (the driver closes the pipes after this): end a running child; the waiter
     * thread, or this call when no waiter will, closes the process handle. No callback runs any more.
     */
    private void closeWithLoop() {
        connected = false;
        synchronized (this) {
            abandoned = true;
            if (returnCode == null && !exitSeen && process != 0) {
                TerminateProcess(process, 128 + SIGKILL);
            }
            if (!waiterStarted || exitPosted) {
                closeProcessHandle();
            }
        }
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
        if (fd < 0 || fd > 2) {
            throw new IllegalArgumentException("fd must be 0, 1 or 2: " + fd);
        }
        Pipe p = pipes[fd];
        return p == null ? null : fd == 0 ? p.stdin : p.transport;
    }

    /**
     * TERM and KILL (with or without {@code SIG}) end the child with TerminateProcess; any other
     * POSIX signal fails with {@link UnsupportedCapabilityException} (once the child has exited,
     * with {@link ProcessLookupException} first); an unknown name with
     * {@link IllegalArgumentException}.
     */
    @Override
    public void sendSignal(String signal) {
        loop.assertInLoop("sendSignal");
        if (signal == null) {
            throw new NullPointerException("signal");
        }
        String name = signal.toUpperCase(Locale.ROOT);
        if (name.startsWith("SIG")) {
            name = name.substring(3);
        }
        if (name.equals("TERM")) {
            end(SIGTERM, "SIGTERM");
        } else if (name.equals("KILL")) {
            end(SIGKILL, "SIGKILL");
        } else if (POSIX_SIGNALS.contains(name)) {
            requireRunning("SIG" + name);
            throw new UnsupportedCapabilityException(driver.name, Capability.SUBPROCESS, "sendSignal(" + signal
                    + "): Windows has no POSIX signals; a child can only be ended, with TERM or KILL (TerminateProcess)");
        } else {
            throw new IllegalArgumentException("signal: unknown signal name '" + signal + "'");
        }
    }

    @Override
    public void terminate() {
        loop.assertInLoop("terminate");
        end(SIGTERM, "SIGTERM");
    }

    @Override
    public void kill() {
        loop.assertInLoop("kill");
        end(SIGKILL, "SIGKILL");
    }

    private void requireRunning(String name) {
        if (returnCode != null) {
            throw new ProcessLookupException("cannot send " + name + " to process " + pid + ": the process has exited"
                    + " (return code " + returnCode + ")");
        }
    }

    private void end(int sig, String name) {
        requireRunning(name);
        int error = 0;
        synchronized (this) {
            // The handle is closed only once the loop has read the exit code (returnCode set), so
            // this TerminateProcess cannot reach a process that reused the id.
            if (TerminateProcess(process, 128 + sig) == 0) {
                error = WinError.last();
            }
        }
        if (error == ERROR_ACCESS_DENIED) {
            // What TerminateProcess reports for a process that is exiting or has exited.
            throw new ProcessLookupException("cannot send " + name + " to process " + pid + ": the process has exited");
        }
        if (error != 0) {
            throw new IllegalStateException("TerminateProcess(" + pid + ") failed: " + WinError.describe(error));
        }
        if (endedWith == 0) {
            endedWith = sig;
        }
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
            synchronized (this) {
                if (process != 0 && TerminateProcess(process, 128 + SIGKILL) != 0 && endedWith == 0) {
                    endedWith = SIGKILL;
                }
            }
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
        return "IocpSubprocess[pid " + pid + (returnCode != null ? ", returned " + returnCode : "") + "]";
    }

    /** The protocol of one pipe transport: forwards to the child's protocol with the fd. */
    private final class Pipe implements Protocol {
        final int fd;
        IocpPipe io;
        Transport transport;
        Transport stdin;
        boolean lost;

        Pipe(int fd) {
            this.fd = fd;
        }

        @Override
        public void connectionMade(Transport t) {
            transport = t;
            stdin = fd == 0 ? new StdinTransport(t) : null;
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
