package dev.weft.loop.iocp;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * The kernel32 calls for named pipes and child processes, by JNA direct mapping: primitives and raw
 * addresses only (strings are NUL-terminated UTF-16 in native memory, see {@link #wide}). {@code BOOL}
 * results are {@code int} (0 is failure); read the error with {@link Native#getLastError()} right
 * after a failing call, on the same thread. Loaded only on Windows.
 *
 * <p>Struct layouts (x64, from {@code minwinbase.h}, {@code processthreadsapi.h}): the offsets below,
 * pinned under Windows by what the child sees in IocpSubprocessTest: SECURITY_ATTRIBUTES by its
 * inherited handles, STARTUPINFOW's three handles by where its stdin, stdout and stderr go,
 * STARTUPINFOEXW's attribute list by the handle-list test, PROCESS_INFORMATION by its own pid.
 */
final class ProcessCalls {
    static {
        Native.register(ProcessCalls.class, NativeLibrary.getInstance("kernel32"));
    }

    // ---- named pipes (namedpipeapi.h, winbase.h) ---------------------------------------------------
    static final int PIPE_ACCESS_INBOUND = 0x1;
    static final int PIPE_ACCESS_DUPLEX = 0x3;
    static final int FILE_FLAG_FIRST_PIPE_INSTANCE = 0x00080000;
    static final int FILE_FLAG_OVERLAPPED = 0x40000000;
    // PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, the pipe mode used, are all 0.

    // ---- files (winnt.h, fileapi.h) ---------------------------------------------------------------
    static final int GENERIC_READ = 0x80000000;
    static final int GENERIC_WRITE = 0x40000000;
    static final int FILE_SHARE_READ = 0x1;
    static final int FILE_SHARE_WRITE = 0x2;
    static final int CREATE_ALWAYS = 2;
    static final int OPEN_EXISTING = 3;
    static final int FILE_ATTRIBUTE_NORMAL = 0x80;

    // ---- errors (winerror.h) ----------------------------------------------------------------------
    static final int ERROR_ACCESS_DENIED = 5;
    static final int ERROR_HANDLE_EOF = 38;
    static final int ERROR_BROKEN_PIPE = 109;
    static final int ERROR_NO_DATA = 232;
    static final int ERROR_PIPE_NOT_CONNECTED = 233;
    static final int ERROR_PIPE_CONNECTED = 535;

    // ---- processes (winbase.h, processthreadsapi.h) -----------------------------------------------
    static final int STARTF_USESTDHANDLES = 0x100;
    static final int CREATE_UNICODE_ENVIRONMENT = 0x400;
    static final int EXTENDED_STARTUPINFO_PRESENT = 0x80000;
    static final long PROC_THREAD_ATTRIBUTE_HANDLE_LIST = 0x20002L;
    static final int DUPLICATE_SAME_ACCESS = 0x2;
    static final int STD_INPUT_HANDLE = -10;
    static final int STD_OUTPUT_HANDLE = -11;
    static final int STD_ERROR_HANDLE = -12;

    /** SECURITY_ATTRIBUTES: nLength, lpSecurityDescriptor, bInheritHandle. */
    static final int SA_SIZE = 24;
    static final int SA_LENGTH = 0;
    static final int SA_INHERIT = 16;

    /** STARTUPINFOEXW: STARTUPINFOW (104 bytes) and lpAttributeList. */
    static final int SI_SIZE = 104;
    static final int SIEX_SIZE = 112;
    static final int SI_CB = 0;
    static final int SI_FLAGS = 60;
    static final int SI_STD_INPUT = 80;
    static final int SI_STD_OUTPUT = 88;
    static final int SI_STD_ERROR = 96;
    static final int SIEX_ATTRIBUTE_LIST = 104;

    /** PROCESS_INFORMATION: hProcess, hThread, dwProcessId, dwThreadId. */
    static final int PI_SIZE = 24;
    static final int PI_PROCESS = 0;
    static final int PI_THREAD = 8;
    static final int PI_PROCESS_ID = 16;

    private ProcessCalls() {
    }

    static native long CreateNamedPipeW(long name, int openMode, int pipeMode, int maxInstances, int outBufferSize,
                                        int inBufferSize, int defaultTimeout, long securityAttributes);

    /** Returns INVALID_HANDLE_VALUE (-1) on failure. */
    static native long CreateFileW(long name, int access, int shareMode, long securityAttributes, int disposition,
                                   int flagsAndAttributes, long template);

    static native int ConnectNamedPipe(long pipe, long overlapped);

    static native int ReadFile(long file, long buffer, int toRead, long bytesReadAddress, long overlapped);

    static native int WriteFile(long file, long buffer, int toWrite, long bytesWrittenAddress, long overlapped);

    static native int CreateProcessW(long applicationName, long commandLine, long processAttributes,
                                     long threadAttributes, int inheritHandles, int creationFlags, long environment,
                                     long currentDirectory, long startupInfo, long processInformation);

    static native int GetExitCodeProcess(long process, long exitCodeAddress);

    static native int TerminateProcess(long process, int exitCode);

    static native int WaitForSingleObject(long handle, int millis);

    static native long GetStdHandle(int which);

    static native long GetCurrentProcess();

    static native int DuplicateHandle(long sourceProcess, long source, long targetProcess, long targetAddress,
                                      int access, int inherit, int options);

    static native int InitializeProcThreadAttributeList(long list, int count, int flags, long sizeAddress);

    static native int UpdateProcThreadAttribute(long list, int flags, long attribute, long value, long size,
                                                long previousValue, long returnSize);

    static native void DeleteProcThreadAttributeList(long list);

    static native int GetCurrentProcessId();

    /** Peeks into a pipe: fails with ERROR_BROKEN_PIPE once no handle to its other end is left. */
    static native int PeekNamedPipe(long pipe, long buffer, int size, long bytesRead, long totalAvailable,
                                    long bytesLeftThisMessage);

    /** {@code s} as NUL-terminated UTF-16 in new native memory; free with {@link Mem#free}. */
    static long wide(String s) {
        long address = Mem.allocate(2L * s.length() + 2);
        for (int i = 0; i < s.length(); i++) {
            Mem.putShort(address + 2L * i, (short) s.charAt(i));
        }
        return address;
    }
}
