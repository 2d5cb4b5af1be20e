package dev.weft.loop.iocp;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * The kernel32 calls of the backend, by JNA direct mapping: primitives and raw addresses only, so a
 * call allocates nothing. {@code BOOL} results are {@code int} (0 is failure); read the error with
 * {@link Native#getLastError()} right after a failing call, on the same thread.
 *
 * <p>Loaded only on Windows: touching this class elsewhere fails with {@link UnsatisfiedLinkError}.
 */
final class Kernel32 {
    static {
        Native.register(Kernel32.class, NativeLibrary.getInstance("kernel32"));
    }

    private Kernel32() {
    }

    /** Creates a port ({@code file} = INVALID_HANDLE_VALUE, {@code existing} = 0) or associates a handle. */
    static native long CreateIoCompletionPort(long file, long existing, long completionKey, int concurrentThreads);

    /**
     * Dequeues up to {@code count} completions into the OVERLAPPED_ENTRY array at {@code entries}, the
     * number removed into the ULONG at {@code removedAddress}. Fails with WAIT_TIMEOUT when none came.
     */
    static native int GetQueuedCompletionStatusEx(long port, long entries, int count, long removedAddress,
                                                  int timeoutMillis, int alertable);

    static native int PostQueuedCompletionStatus(long port, int bytes, long completionKey, long overlapped);

    /** Cancels the I/O of {@code handle} started with {@code overlapped} (0: all of its I/O), any thread. */
    static native int CancelIoEx(long handle, long overlapped);

    /** {@code flags} is a UCHAR: FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, FILE_SKIP_SET_EVENT_ON_HANDLE. */
    static native int SetFileCompletionNotificationModes(long handle, byte flags);

    static native int CloseHandle(long handle);

    /** {@code GetCurrentProcess()}'s pseudo handle, for {@link #DuplicateHandle}. */
    static final long CURRENT_PROCESS = -1L;

    /** {@code DUPLICATE_SAME_ACCESS}: the copy has the source handle's access rights. */
    static final int DUPLICATE_SAME_ACCESS = 2;

    /** Copies {@code source} of {@code sourceProcess} into {@code targetProcess}; the new handle at {@code targetAddress}. */
    static native int DuplicateHandle(long sourceProcess, long source, long targetProcess, long targetAddress,
                                      int access, int inherit, int options);

    /**
     * Reads the result of an overlapped operation on {@code handle} from its OVERLAPPED (bytes into the
     * DWORD at {@code bytesAddress}); with {@code wait} 0 it fails with ERROR_IO_INCOMPLETE if pending.
     */
    static native int GetOverlappedResult(long handle, long overlapped, long bytesAddress, int wait);

    /** FORMAT_MESSAGE_FROM_SYSTEM text of an error into a UTF-16 buffer; returns chars written. */
    static native int FormatMessageW(int flags, long source, int messageId, int languageId, char[] buffer,
                                     int size, long arguments);
}
