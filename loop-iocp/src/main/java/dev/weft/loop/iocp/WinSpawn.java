package dev.weft.loop.iocp;

import dev.weft.loop.NativeIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import static dev.weft.loop.iocp.ProcessCalls.*;
import static dev.weft.loop.iocp.WinConstants.INVALID_HANDLE_VALUE;

/**
 * The native steps of starting a child on Windows: the handles it is given and CreateProcessW.
 *
 * <p><b>Pipes</b> are named pipes with a unique name ({@code \\.\pipe\weft-<pid>-<n>-<nanos>}, made
 * with FILE_FLAG_FIRST_PIPE_INSTANCE so nobody else's instance can be taken for ours). This process
 * keeps the server end, overlapped, for the completion port; the child gets the client end,
 * opened without FILE_FLAG_OVERLAPPED (a child reads and writes its standard handles synchronously)
 * and inheritable. As asyncio's {@code windows_utils.pipe}.
 *
 * <p><b>Inheritance.</b> CreateProcessW runs with bInheritHandles, and a PROC_THREAD_ATTRIBUTE_HANDLE_LIST
 * names the child's three handles, so no other inheritable handle of this process reaches the
 * child. Where the attribute list cannot be made, the child is started without it and
 * {@link Child#handleListFailure} says why; every other inheritable handle then leaks into it (the
 * JDK's own ProcessImpl makes its pipe ends inheritable only while it starts a child). The
 * reverse cannot be prevented from here: a child another thread starts with bInheritHandles while
 * this one's handles exist (between their creation and their close right after CreateProcessW) and
 * without a handle list inherits them.
 *
 * <p>Loop thread (or any one thread at a time); every handle is owned by the caller.
 */
final class WinSpawn {
    static final int PIPE_BUFFER_SIZE = 64 * 1024;
    private static final AtomicLong PIPES = new AtomicLong();

    private WinSpawn() {
    }

    /** A started child: its process handle (the caller's to close) and id. */
    record Child(long process, int pid, String handleListFailure) {
    }

    /** One pipe: the server end (this process's, overlapped), the client end (the child's), the name. */
    record Pipe(long server, long client, String name) {
    }

    /**
     * A named pipe for one standard stream of a child: {@code childReads} for its stdin (the server
     * end is duplex so a read can wait on it for the child's close), else for its stdout or stderr.
     */
    static Pipe pipe(boolean childReads) throws NativeIOException {
        int openMode = (childReads ? PIPE_ACCESS_DUPLEX : PIPE_ACCESS_INBOUND) | FILE_FLAG_OVERLAPPED
                | FILE_FLAG_FIRST_PIPE_INSTANCE;
        long server;
        String name;
        while (true) {
            name = "\\\\.\\pipe\\weft-" + GetCurrentProcessId() + "-" + PIPES.incrementAndGet() + "-"
                    + Long.toHexString(System.nanoTime());
            long wname = wide(name);
            try {
                server = CreateNamedPipeW(wname, openMode, 0, 1, PIPE_BUFFER_SIZE, PIPE_BUFFER_SIZE, 0, 0L);
            } finally {
                Mem.free(wname);
            }
            if (server != INVALID_HANDLE_VALUE) {
                break;
            }
            int error = WinError.last();
            // ERROR_ACCESS_DENIED with FILE_FLAG_FIRST_PIPE_INSTANCE: the name is taken; try another.
            if (error != ERROR_ACCESS_DENIED) {
                throw WinError.exception("CreateNamedPipeW(" + name + ")", error);
            }
        }
        long client;
        try {
            client = open(name, childReads ? GENERIC_READ : GENERIC_WRITE, OPEN_EXISTING, "CreateFileW(" + name + ")");
        } catch (NativeIOException e) {
            Kernel32.CloseHandle(server);
            throw e;
        }
        // The client is already there: ConnectNamedPipe reports ERROR_PIPE_CONNECTED at once.
        long ov = Mem.allocate(WinConstants.OVERLAPPED_SIZE + 8);
        try {
            if (ConnectNamedPipe(server, ov) == 0) {
                int error = WinError.last();
                if (error == WinConstants.ERROR_IO_PENDING) {
                    if (Kernel32.GetOverlappedResult(server, ov, ov + WinConstants.OVERLAPPED_SIZE, 1) == 0) {
                        error = WinError.last();
                    } else {
                        error = ERROR_PIPE_CONNECTED;
                    }
                }
                if (error != ERROR_PIPE_CONNECTED) {
                    Kernel32.CloseHandle(client);
                    Kernel32.CloseHandle(server);
                    throw WinError.exception("ConnectNamedPipe(" + name + ")", error);
                }
            }
        } finally {
            Mem.free(ov);
        }
        return new Pipe(server, client, name);
    }

    /** The null device for one stream of the child, inheritable. */
    static long nul(boolean write) throws NativeIOException {
        return open("NUL", write ? GENERIC_WRITE : GENERIC_READ, OPEN_EXISTING, "CreateFileW(NUL)");
    }

    /** A file for one stream of the child, inheritable: read for stdin, created or truncated for output. */
    static long file(Path file, boolean write) throws NativeIOException {
        return open(file.toAbsolutePath().toString(), write ? GENERIC_WRITE : GENERIC_READ,
                write ? CREATE_ALWAYS : OPEN_EXISTING, "CreateFileW(" + file + ")");
    }

    private static long open(String path, int access, int disposition, String call) throws NativeIOException {
        long wpath = wide(path);
        long sa = Mem.allocate(SA_SIZE);
        try {
            Mem.putInt(sa + SA_LENGTH, SA_SIZE);
            Mem.putInt(sa + SA_INHERIT, 1);
            long h = CreateFileW(wpath, access, FILE_SHARE_READ | FILE_SHARE_WRITE, sa, disposition,
                    FILE_ATTRIBUTE_NORMAL, 0L);
            if (h == INVALID_HANDLE_VALUE) {
                throw WinError.exception(call, WinError.last());
            }
            return h;
        } finally {
            Mem.free(sa);
            Mem.free(wpath);
        }
    }

    /**
     * An inheritable duplicate of this process's standard handle {@code which} (STD_INPUT_HANDLE,
     * ...), or 0 when this process has none.
     */
    static long inheritStd(int which) throws NativeIOException {
        long h = GetStdHandle(which);
        if (h == 0 || h == INVALID_HANDLE_VALUE) {
            return 0;
        }
        long slot = Mem.allocate(8);
        try {
            long self = GetCurrentProcess();
            if (DuplicateHandle(self, h, self, slot, 0, 1, DUPLICATE_SAME_ACCESS) == 0) {
                throw WinError.exception("DuplicateHandle(standard handle " + which + ")", WinError.last());
            }
            return Mem.getLong(slot);
        } finally {
            Mem.free(slot);
        }
    }

    /**
     * CreateProcessW of {@code application} (an absolute path) with {@code commandLine},
     * {@code environment} (null: this process's), {@code cwd} (null: this process's) and the standard
     * handles {@code std} (0: none). Throws the Windows error of the call that failed.
     */
    static Child spawn(String application, String commandLine, Map<String, String> environment, Path cwd, long[] std)
            throws NativeIOException {
        List<Long> distinct = new ArrayList<>();
        for (long h : std) {
            if (h != 0 && h != INVALID_HANDLE_VALUE && !distinct.contains(h)) {
                distinct.add(h);
            }
        }
        List<Long> memory = new ArrayList<>();
        long attributes = 0;
        String listFailure = null;
        try {
            long app = remember(memory, wide(application));
            long cmd = remember(memory, wide(commandLine));
            long env = environment == null ? 0 : remember(memory, wide(CommandLine.environmentBlock(environment)));
            long dir = cwd == null ? 0 : remember(memory, wide(cwd.toAbsolutePath().toString()));
            long si = remember(memory, Mem.allocate(SIEX_SIZE));
            long pi = remember(memory, Mem.allocate(PI_SIZE));
            Mem.putInt(si + SI_FLAGS, STARTF_USESTDHANDLES);
            Mem.putLong(si + SI_STD_INPUT, std[0]);
            Mem.putLong(si + SI_STD_OUTPUT, std[1]);
            Mem.putLong(si + SI_STD_ERROR, std[2]);
            int flags = CREATE_UNICODE_ENVIRONMENT;
            if (!distinct.isEmpty()) {
                long handles = remember(memory, Mem.allocate(8L * distinct.size()));
                for (int i = 0; i < distinct.size(); i++) {
                    Mem.putLong(handles + 8L * i, distinct.get(i));
                }
                long size = remember(memory, Mem.allocate(8));
                InitializeProcThreadAttributeList(0L, 1, 0, size);
                long needed = Mem.getLong(size);
                if (needed <= 0) {
                    listFailure = "InitializeProcThreadAttributeList gave no size (" + WinError.describe(WinError.last()) + ")";
                } else {
                    long list = remember(memory, Mem.allocate(needed));
                    if (InitializeProcThreadAttributeList(list, 1, 0, size) == 0) {
                        listFailure = "InitializeProcThreadAttributeList failed: " + WinError.describe(WinError.last());
                    } else {
                        attributes = list;
                        if (UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles,
                                8L * distinct.size(), 0L, 0L) == 0) {
                            listFailure = "UpdateProcThreadAttribute(PROC_THREAD_ATTRIBUTE_HANDLE_LIST) failed: "
                                    + WinError.describe(WinError.last());
                        } else {
                            Mem.putLong(si + SIEX_ATTRIBUTE_LIST, list);
                            flags |= EXTENDED_STARTUPINFO_PRESENT;
                        }
                    }
                }
            }
            Mem.putInt(si + SI_CB, (flags & EXTENDED_STARTUPINFO_PRESENT) != 0 ? SIEX_SIZE : SI_SIZE);
            int ok = CreateProcessW(app, cmd, 0L, 0L, distinct.isEmpty() ? 0 : 1, flags, env, dir, si, pi);
            if (ok == 0) {
                throw WinError.exception("CreateProcessW(" + application + ")", WinError.last());
            }
            Kernel32.CloseHandle(Mem.getLong(pi + PI_THREAD));
            return new Child(Mem.getLong(pi + PI_PROCESS), Mem.getInt(pi + PI_PROCESS_ID), listFailure);
        } finally {
            if (attributes != 0) {
                DeleteProcThreadAttributeList(attributes);
            }
            memory.forEach(Mem::free);
        }
    }

    private static long remember(List<Long> memory, long address) {
        memory.add(address);
        return address;
    }

    static void closeQuietly(long handle) {
        if (handle != 0 && handle != INVALID_HANDLE_VALUE) {
            Kernel32.CloseHandle(handle);
        }
    }
}
