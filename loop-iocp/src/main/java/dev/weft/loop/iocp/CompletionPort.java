package dev.weft.loop.iocp;

import dev.weft.loop.NativeIOException;
import static dev.weft.loop.iocp.WinConstants.*;

/**
 * One I/O completion port and the reused native array its completions are dequeued into.
 *
 * <p>{@link #dequeue} fills up to {@link #capacity()} OVERLAPPED_ENTRY records with one
 * GetQueuedCompletionStatusEx call and allocates nothing; read them with {@link #key},
 * {@link #overlapped} and {@link #bytes} until the next dequeue. The status of each operation is in its
 * own OVERLAPPED ({@code Internal}, an NTSTATUS), not in the entry.
 *
 * <p>Threads: {@link #post} may be called from any thread (that is how wake-ups cross threads);
 * everything else belongs to the one thread that dequeues.
 */
final class CompletionPort implements AutoCloseable {
    private final long handle;
    private final int capacity;
    private final long entries;
    private final long removed;
    private volatile boolean closed;

    CompletionPort(int capacity) throws NativeIOException {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1: " + capacity);
        }
        WinSock.startup();
        long port = Kernel32.CreateIoCompletionPort(INVALID_HANDLE_VALUE, 0L, 0L, 1);
        if (port == 0) {
            throw WinError.exception("CreateIoCompletionPort", WinError.last());
        }
        this.handle = port;
        this.capacity = capacity;
        this.entries = Mem.allocate((long) capacity * OVERLAPPED_ENTRY_SIZE + 8);
        this.removed = entries + (long) capacity * OVERLAPPED_ENTRY_SIZE;
    }

    long handle() {
        return handle;
    }

    int capacity() {
        return capacity;
    }

    /** Address of the entry array (for tests that check the layout). */
    long entriesAddress() {
        return entries;
    }

    /**
     * Associates a socket or file handle with this port; its completions carry {@code key}. With
     * {@code skipOnSuccess}, an operation that completes at once queues no packet (the caller handles
     * it inline): FILE_SKIP_COMPLETION_PORT_ON_SUCCESS.
     */
    void associate(long fileHandle, long key, boolean skipOnSuccess) throws NativeIOException {
        if (Kernel32.CreateIoCompletionPort(fileHandle, handle, key, 0) != handle) {
            throw WinError.exception("CreateIoCompletionPort(associate)", WinError.last());
        }
        if (skipOnSuccess) {
            byte flags = (byte) (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | FILE_SKIP_SET_EVENT_ON_HANDLE);
            if (Kernel32.SetFileCompletionNotificationModes(fileHandle, flags) == 0) {
                throw WinError.exception("SetFileCompletionNotificationModes", WinError.last());
            }
        }
    }

    /** Queues a packet; thread-safe. Returns false (not throwing) once the port is closed. */
    boolean post(int bytes, long key, long overlapped) {
        if (closed) {
            return false;
        }
        return Kernel32.PostQueuedCompletionStatus(handle, bytes, key, overlapped) != 0;
    }

    /**
     * Waits at most {@code timeoutMillis} (negative: forever) for completions and stores up to
     * {@link #capacity()} of them; returns how many (0 on time-out).
     */
    int dequeue(int timeoutMillis) throws NativeIOException {
        int timeout = timeoutMillis < 0 ? INFINITE : timeoutMillis;
        if (Kernel32.GetQueuedCompletionStatusEx(handle, entries, capacity, removed, timeout, 0) == 0) {
            int error = WinError.last();
            if (error == WAIT_TIMEOUT) {
                return 0;
            }
            throw WinError.exception("GetQueuedCompletionStatusEx", error);
        }
        return Mem.getInt(removed);
    }

    long key(int i) {
        return Mem.getLong(entries + (long) i * OVERLAPPED_ENTRY_SIZE + ENTRY_COMPLETION_KEY);
    }

    long overlapped(int i) {
        return Mem.getLong(entries + (long) i * OVERLAPPED_ENTRY_SIZE + ENTRY_OVERLAPPED);
    }

    int bytes(int i) {
        return Mem.getInt(entries + (long) i * OVERLAPPED_ENTRY_SIZE + ENTRY_BYTES);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Kernel32.CloseHandle(handle);
            Mem.free(entries);
        }
    }
}
