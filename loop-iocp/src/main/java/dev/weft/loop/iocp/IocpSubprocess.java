package dev.weft.loop.iocp;

import dev.weft.loop.Capability;
import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.NativeIOException;
import dev.weft.loop.ProcessLookupException;
import dev.weft.loop.SubprocessOptions;
import dev.weft.loop.SubprocessProtocol;
import dev.weft.loop.SubprocessTransport;
import dev.weft.loop.UnsupportedCapabilityException;
import dev.weft.loop.process.ChildProcess;
import dev.weft.loop.process.SubprocessCore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import static dev.weft.loop.iocp.ProcessCalls.*;

/**
 * A child started with CreateProcessW on the iocp backend, as asyncio's proactor loop starts one;
 * its transport is a {@link SubprocessCore}. Its pipes are overlapped named pipes whose ReadFile
 * and WriteFile complete on the loop's port (an {@link IocpStream} over an {@link IocpPipe}, the
 * shared stream-transport core); its exit is watched by one daemon thread per child blocked in
 * WaitForSingleObject on the process handle, which hands the exit to the loop; its return code is
 * GetExitCodeProcess's.
 *
 * <h2>Signals and return code</h2>
 * Windows has no POSIX signals. {@code terminate()} and {@code kill()} (and {@code sendSignal} of
 * TERM or KILL) call TerminateProcess with exit code 128 + 15 or 128 + 9, as a shell reports a
 * child ended by that signal; the return code is then reported as -15 or -9, the portable
 * convention, when this transport ended the child with it. Any other POSIX signal fails with
 * {@link UnsupportedCapabilityException} (once the child has exited, with
 * {@link ProcessLookupException} first); an unknown name with {@link IllegalArgumentException}.
 * The process handle stays open until the loop has read the exit code, so its id cannot be reused
 * under a TerminateProcess.
 *
 * <h2>Options</h2>
 * stdin, stdout and stderr each PIPE, DEVNULL (the NUL device), INHERIT (a duplicate of this process's
 * standard handle), FILE, or stderr to STDOUT; cwd and environment. A POSIX descriptor
 * ({@code Stdio.fd}), a new session and a process group are refused with
 * {@link UnsupportedCapabilityException} before anything starts.
 *
 * <p>Loop thread only, except where a method says otherwise.
 */
final class IocpSubprocess implements ChildProcess {
    private static final int SIGKILL = 9;
    private static final int SIGTERM = 15;
    /** What {@link #signalNumber} gives a POSIX signal a Windows process cannot be sent. */
    private static final int NOT_ON_WINDOWS = 0;
    /** POSIX signal names: known, but not something a Windows process can be sent. */
    private static final Set<String> POSIX_SIGNALS = Set.of("HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS",
            "FPE", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
            "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS", "BREAK");

    private final IocpDriver driver;
    private final EventLoop loop;
    private final int pid;
    private final IocpStream[] pipes = new IocpStream[3];
    private SubprocessCore core;
    /** The signal this transport ended the child with (its TerminateProcess came first), else 0. */
    private int endedWith;

    // Shared with the waiter thread, under this object's lock.
    private long process;
    private boolean waiterStarted;
    private boolean exitSeen;
    private boolean exitPosted;
    private boolean abandoned;

    private IocpSubprocess(IocpDriver driver, long process, int pid) {
        this.driver = driver;
        this.loop = driver.loop;
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
        IocpSubprocess t = new IocpSubprocess(driver, child.process(), child.pid());
        SubprocessCore core = new SubprocessCore(driver.loop, protocol, child.pid(), t, result);
        t.core = core;
        if (child.handleListFailure() != null) {
            driver.loop.callExceptionHandler(new ExceptionContext("child " + child.pid() + " was started without "
                    + "PROC_THREAD_ATTRIBUTE_HANDLE_LIST, so it inherited every inheritable handle of this process: "
                    + child.handleListFailure(), null, core));
        }
        for (int i = 0; i < 3; i++) {
            if (parentEnd[i] == 0) {
                continue;
            }
            try {
                t.pipes[i] = IocpPipe.open(driver, parentEnd[i], names[i], i == 0, core.pipeProtocol(i));
            } catch (NativeIOException e) {
                // Registration failed (the handle is closed): undo the rest and end the child.
                for (int j = i + 1; j < 3; j++) {
                    WinSpawn.closeQuietly(parentEnd[j]);
                }
                for (IocpStream made : t.pipes) {
                    if (made != null) {
                        made.closeNow();
                    }
                }
                TerminateProcess(t.process, 128 + SIGKILL);
                Kernel32.CloseHandle(t.process);
                result.setException(new IOException("cannot start " + argv + ": " + e.getMessage(), e));
                return;
            }
        }
        core.open();
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

    /** Starts the pipe transports (their connectionMade), then the core's life cycle. */
    private void connect() {
        for (int fd = 0; fd < 3; fd++) {
            if (pipes[fd] != null) {
                pipes[fd].transport().start();
                core.pipeConnected(fd, pipes[fd].transport());
            }
        }
        core.pipesConnected();
    }

    // ------------------------------------------------------------ exit

    @Override
    public void watchExit(SubprocessCore core) {
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

    /** The child has exited: reads its exit code, closes its handle and reports the exit. */
    private void exited() {
        int code;
        synchronized (this) {
            if (abandoned || process == 0) {
                return;
            }
            long slot = Mem.allocate(8);
            try {
                if (GetExitCodeProcess(process, slot) == 0) {
                    int error = WinError.last();
                    loop.callExceptionHandler(new ExceptionContext("GetExitCodeProcess of child " + pid + " failed: "
                            + WinError.describe(error) + "; return code 255", null, core));
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
        core.exited(code);
    }

    /**
     * Ends a running child; the waiter thread, or this call when no waiter will, closes the process
     * handle (the driver closes the pipes after this).
     */
    @Override
    public void abandon() {
        synchronized (this) {
            abandoned = true;
            if (!exitSeen && process != 0) {
                TerminateProcess(process, 128 + SIGKILL);
            }
            if (!waiterStarted || exitPosted) {
                closeProcessHandle();
            }
        }
    }

    // ------------------------------------------------------------ signals

    /** TERM and KILL; any other POSIX signal is known but cannot be sent ({@link #signal} says so). */
    @Override
    public int signalNumber(String signal) {
        String name = SubprocessCore.bareSignalName(signal);
        if (name.equals("TERM")) {
            return SIGTERM;
        } else if (name.equals("KILL")) {
            return SIGKILL;
        } else if (POSIX_SIGNALS.contains(name)) {
            return NOT_ON_WINDOWS;
        }
        throw new IllegalArgumentException("signal: unknown signal name '" + signal + "'");
    }

    /** TERM and KILL end the child with TerminateProcess (exit code 128 + the signal). */
    @Override
    public void signal(int sig, String name) {
        if (sig == NOT_ON_WINDOWS) {
            throw new UnsupportedCapabilityException(driver.name, Capability.SUBPROCESS, "sendSignal(" + name
                    + "): Windows has no POSIX signals; a child can only be ended, with TERM or KILL (TerminateProcess)");
        }
        int error = 0;
        synchronized (this) {
            // The handle is closed only once the loop has read the exit code (and reported it), so
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
    public void killQuietly() {
        synchronized (this) {
            if (process != 0 && TerminateProcess(process, 128 + SIGKILL) != 0 && endedWith == 0) {
                endedWith = SIGKILL;
            }
        }
    }

    @Override
    public String toString() {
        return "CreateProcessW pid " + pid;
    }
}
