package dev.weft.loop.kqueue;

import com.sun.jna.Native;
import dev.weft.loop.core.LoopProbe;
import dev.weft.loop.posix.Posix;
import dev.weft.loop.posix.PosixDatagramSocket;
import dev.weft.loop.posix.PosixSocket;
import dev.weft.loop.spi.Pollable;
import dev.weft.loop.spi.Poller;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.BufferUtil;
import org.agrona.collections.Int2IntHashMap;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * {@link Poller} over one kqueue: level-triggered {@code EVFILT_READ} and {@code EVFILT_WRITE}
 * filters, one per interest bit.
 *
 * <p><b>Registration.</b> An interest set maps to the filters it names; a change adds the filters
 * that became wanted and deletes those that no longer are, in one {@code kevent} call that waits for
 * nothing, so a failure surfaces at once as the call's errno. Interest 0 means no filter: a hung-up
 * socket whose reading is paused is not reported, so it cannot make the loop spin.
 * {@link #deregister} deletes the filters; the transports call it before closing the descriptor
 * (libkqueue keeps a filter whose descriptor was closed, and a reused number would inherit it).
 * Deleting a filter that the kernel already dropped (ENOENT, EBADF) is not an error.
 *
 * <p><b>Dispatch.</b> kqueue reports each filter separately; a poll folds the reports of one socket
 * into one ready set and calls its handler once, in the order its first report came. A read filter
 * reports {@link #READABLE}, a write filter {@link #WRITABLE}, {@code EV_ERROR} both. {@code EV_EOF}
 * is readiness only: the transport reads until {@code read} returns end of stream, so data still
 * buffered when the peer closed is delivered first, and a local {@code shutdown(SHUT_WR)}, which
 * also raises {@code EV_EOF} on some systems, ends nothing. A failed connect shows as
 * {@code EVFILT_WRITE} with {@code EV_EOF}: reported writable, and the connect reads
 * {@code SO_ERROR}. Bits for an interest dropped earlier in the same batch are masked off; a report
 * for a descriptor number reused within the batch reaches the new handler as a spurious event,
 * which the contract allows.
 *
 * <p><b>Wake-up.</b> An {@code EVFILT_USER} event with {@code EV_CLEAR} (without it the event stays
 * triggered and every poll returns at once), triggered by {@code NOTE_TRIGGER}. Where adding it
 * fails (kernels without EVFILT_USER, libuv/libuv#4330) a non-blocking pipe watched by
 * {@code EVFILT_READ} takes its place; {@link #wakeMode()} says which. Wake-ups coalesce: only the
 * first {@link #wakeup()} after the loop consumed the previous one makes a call.
 *
 * <p><b>Memory.</b> Events land in a reused native array (doubled, up to {@value #MAX_EVENTS}, when
 * a poll fills it); the ident is the descriptor, mapped to its registration by an Agrona map, and
 * the per-poll fold uses a primitive map: a poll allocates nothing after warm-up.
 *
 * <p><b>Calls.</b> Through JNA ({@link KqueueNative}); there is no JNI fast path for kevent.
 *
 * <p><b>Threads.</b> All but {@link #wakeup()} on the loop thread.
 */
final class KqueuePoller implements Poller {
    private static final LoopProbe PROBE = LoopProbe.INSTANCE;

    static final int INITIAL_EVENTS = 256;
    static final int MAX_EVENTS = 4096;
    /** The ident of the EVFILT_USER wake-up event (idents are per filter: no clash with descriptors). */
    static final long WAKE_IDENT = 0x5745_4654L;
    /** Events a change call may return under libkqueue; more stay queued (they are level-triggered). */
    private static final int RECEIPTS = 4;
    /** In the per-poll fold: an EV_ERROR report, dispatched as both bits whatever the interest. */
    private static final int FAILED = 4;

    private final KqueueNative.Abi abi;
    private final int size;
    private final int kq;
    /** The wake-up pipe's ends, or -1 when EVFILT_USER wakes the poll. */
    private final int pipeRead;
    private final int pipeWrite;
    private final String wakeMode;

    private final Int2ObjectHashMap<Registration> registrations = new Int2ObjectHashMap<>();
    /** Ready bits per descriptor within one poll; empty between polls. */
    private final Int2IntHashMap ready = new Int2IntHashMap(0);

    private ByteBuffer eventsMemory;
    private long eventsAddress;
    private int capacity;
    private final UnsafeBuffer events = new UnsafeBuffer(0, 0);

    /** Two change records, a timespec, and room to drain the pipe. */
    private final ByteBuffer scratchMemory;
    private final long changesAddress;
    /** Room for what a change call returns under libkqueue (see {@link KqueueNative.Abi#libkqueue}). */
    private final long receiptsAddress;
    private final long timespecAddress;
    /** A timespec of zero, never written after construction. */
    private final long zeroTimespecAddress;
    private final int timespecOffset;
    private final long drainAddress;
    private final int drainOffset;
    private final UnsafeBuffer scratch;
    /** The NOTE_TRIGGER change (or the pipe's byte); written once, then only read (by any thread). */
    private final ByteBuffer wakeMemory;
    private final long wakeAddress;

    private final AtomicInteger wakePending = new AtomicInteger();
    private final Object wakeLock = new Object();
    private boolean wakeClosed;
    private boolean closed;
    private int sockets;
    /** The wake-up event came back from a change call (libkqueue): the next poll returns at once. */
    private boolean wokenEarly;

    /** What one registered socket asked for. */
    private static final class Registration {
        final int fd;
        /** The stream socket of the POSIX layer, when that is what was registered (else null). */
        final PosixSocket socket;
        /** The UDP socket of the POSIX layer, when that is what was registered (else null). */
        final PosixDatagramSocket datagram;
        final ReadyHandler handler;
        int interest;
        /** The ident of the write filter: the descriptor, or its dup under libkqueue (-1 until made). */
        int writeIdent;

        Registration(Pollable target, int fd, ReadyHandler handler, int writeIdent) {
            this.socket = target instanceof PosixSocket p ? p : null;
            this.datagram = target instanceof PosixDatagramSocket d ? d : null;
            this.fd = fd;
            this.handler = handler;
            this.writeIdent = writeIdent;
        }
    }

    /**
     * {@code -Dweft.kqueue.wakeup=auto|pipe}: {@code auto} (the default) tries EVFILT_USER and falls
     * back to the pipe where adding it fails; {@code pipe} always uses the pipe (to run the suites
     * on that path too).
     */
    static final String WAKEUP_PROPERTY = "weft.kqueue.wakeup";

    KqueuePoller() throws IOException {
        this(INITIAL_EVENTS, tryUserEvent(System.getProperty(WAKEUP_PROPERTY, "auto")));
    }

    static boolean tryUserEvent(String property) {
        return switch (property) {
            case "auto" -> true;
            case "pipe" -> false;
            default -> throw new IllegalArgumentException("-D" + WAKEUP_PROPERTY + " must be auto or pipe, not '"
                    + property + "'");
        };
    }

    /**
     * @param initialEvents the first size of the event array
     * @param tryUserEvent  false to use the pipe wake-up even where EVFILT_USER works (for tests)
     */
    KqueuePoller(int initialEvents, boolean tryUserEvent) throws IOException {
        abi = KqueueNative.Abi.CURRENT;
        if (abi == null) {
            throw new IOException("kqueue has no struct layout for os.name=" + System.getProperty("os.name"));
        }
        size = abi.keventSize;
        scratchMemory = ByteBuffer.allocateDirect((2 + RECEIPTS) * size + 2 * KqueueNative.TIMESPEC_SIZE + 64);
        scratch = new UnsafeBuffer(scratchMemory);
        changesAddress = BufferUtil.address(scratchMemory);
        receiptsAddress = changesAddress + 2L * size;
        timespecOffset = (2 + RECEIPTS) * size;
        timespecAddress = changesAddress + timespecOffset;
        zeroTimespecAddress = timespecAddress + KqueueNative.TIMESPEC_SIZE;
        drainOffset = timespecOffset + 2 * KqueueNative.TIMESPEC_SIZE;
        drainAddress = changesAddress + drainOffset;
        wakeMemory = ByteBuffer.allocateDirect(size);
        wakeAddress = BufferUtil.address(wakeMemory);

        int q = KqueueNative.kqueue();
        if (q < 0) {
            int e = Native.getLastError();
            freeMemory();
            throw Posix.error("kqueue()", e);
        }
        kq = q;
        allocateEvents(Math.max(1, initialEvents));
        String why = tryUserEvent ? addUserEvent() : "not tried";
        int[] fds = {-1, -1};
        if (why != null) {
            try {
                fds = openPipe();
                change(fds[0], KqueueNative.EVFILT_READ, KqueueNative.EV_ADD, "wake-up pipe");
            } catch (IOException | RuntimeException e) {
                for (int fd : fds) {
                    if (fd >= 0) {
                        KqueueNative.Fd.close(fd);
                    }
                }
                KqueueNative.Fd.close(kq);
                BufferUtil.free(eventsMemory);
                freeMemory();
                throw e;
            }
        }
        pipeRead = fds[0];
        pipeWrite = fds[1];
        if (why == null) {
            wakeMode = "EVFILT_USER";
            putChange(new UnsafeBuffer(wakeMemory), 0, WAKE_IDENT, abi.evfiltUser, 0, KqueueNative.NOTE_TRIGGER);
        } else {
            wakeMode = "pipe (EVFILT_USER: " + why + ")";
            wakeMemory.put(0, (byte) 1);
        }
    }

    /** Adds the EVFILT_USER wake-up event; null if that worked, else why not. */
    private String addUserEvent() {
        putChange(scratch, 0, WAKE_IDENT, abi.evfiltUser, KqueueNative.EV_ADD | KqueueNative.EV_CLEAR, 0);
        // Without an event array, as the trigger in wakeup() is made (libkqueue takes both for EVFILT_USER).
        if (KqueueNative.kevent(kq, changesAddress, 1, 0L, 0, 0L) == 0) {
            return null;
        }
        return Posix.errnoName(Native.getLastError());
    }

    private int[] openPipe() throws IOException {
        if (KqueueNative.Fd.pipe(drainAddress) != 0) {
            throw Posix.error("pipe()", Native.getLastError());
        }
        int[] fds = {scratch.getInt(drainOffset), scratch.getInt(drainOffset + 4)};
        KqueueNative.Fcntl f = KqueueNative.Fcntl.INSTANCE;
        for (int fd : fds) {
            int flags = f.fcntl(fd, KqueueNative.Abi.F_GETFL);
            if (flags == -1 || f.fcntl(fd, KqueueNative.Abi.F_SETFL, flags | abi.oNonblock) == -1
                    || f.fcntl(fd, KqueueNative.Abi.F_SETFD, KqueueNative.Abi.FD_CLOEXEC) == -1) {
                int e = Native.getLastError();
                KqueueNative.Fd.close(fds[0]);
                KqueueNative.Fd.close(fds[1]);
                throw Posix.error("fcntl(wake-up pipe fd " + fd + ", O_NONBLOCK|FD_CLOEXEC)", e);
            }
        }
        return fds;
    }

    /** How a blocked poll is woken: {@code "EVFILT_USER"} or {@code "pipe (EVFILT_USER: <why not>)"}. */
    String wakeMode() {
        return wakeMode;
    }

    private void allocateEvents(int n) {
        ByteBuffer old = eventsMemory;
        eventsMemory = ByteBuffer.allocateDirect(n * size);
        eventsAddress = BufferUtil.address(eventsMemory);
        events.wrap(eventsMemory);
        capacity = n;
        if (old != null) {
            BufferUtil.free(old);
        }
    }

    private void putChange(UnsafeBuffer b, int at, long ident, short filter, int flags, int fflags) {
        b.setMemory(at, size, (byte) 0);
        b.putLong(at + KqueueNative.KEVENT_IDENT, ident);
        b.putShort(at + KqueueNative.KEVENT_FILTER, filter);
        b.putShort(at + KqueueNative.KEVENT_FLAGS, (short) flags);
        b.putInt(at + KqueueNative.KEVENT_FFLAGS, fflags);
    }

    /**
     * Submits {@code n} prepared changes; 0, or the errno of the first that failed. The kernels take
     * changes with no room for events and fail the call on the first bad change; libkqueue 2.3 needs
     * an event array (see {@link KqueueNative.Abi#libkqueue}), and what it returns there is either a
     * ready event, which is level-triggered and is reported again by the next poll, or an error.
     */
    private int submit(int n) {
        if (!abi.libkqueue) {
            return KqueueNative.kevent(kq, changesAddress, n, 0L, 0, 0L) == 0 ? 0 : Native.getLastError();
        }
        int r = KqueueNative.kevent(kq, changesAddress, n, receiptsAddress, RECEIPTS, zeroTimespecAddress);
        if (r < 0) {
            return Native.getLastError();
        }
        int error = 0;
        for (int i = 0; i < r; i++) {
            int at = (2 + i) * size;
            short filter = scratch.getShort(at + KqueueNative.KEVENT_FILTER);
            int flags = scratch.getShort(at + KqueueNative.KEVENT_FLAGS);
            if ((flags & KqueueNative.EV_ERROR) != 0) {
                error = error != 0 ? error : (int) scratch.getLong(at + KqueueNative.KEVENT_DATA);
            } else if (filter == abi.evfiltUser) {
                wokenEarly = true; // consumed here (EV_CLEAR): the next poll must not sleep
            } else {
                noteSocketError(scratch, at);
            }
        }
        return error;
    }

    private void change(int fd, short filter, int flags, String what) throws IOException {
        putChange(scratch, 0, fd, filter, flags, 0);
        int e = submit(1);
        if (e != 0) {
            throw Posix.error(call(filter, flags, what), e);
        }
    }

    private static String call(short filter, int flags, String what) {
        return "kevent(" + (filter == KqueueNative.EVFILT_READ ? "EVFILT_READ" : "EVFILT_WRITE")
                + ((flags & KqueueNative.EV_ADD) != 0 ? ", EV_ADD, " : ", EV_DELETE, ") + what + ")";
    }

    private static int fd(Pollable target) {
        int fd = target == null ? -1 : target.fd();
        if (fd < 0) {
            throw new IllegalArgumentException("the kqueue poller watches file descriptors, not "
                    + (target == null ? "null" : target));
        }
        return fd;
    }

    /**
     * Moves a registration's filters from interest {@code from} to {@code to}: the adds and deletes
     * go in one call. If that call fails, each change is retried alone so the one that failed is
     * named and the others still apply; a delete failing with ENOENT or EBADF (the kernel dropped
     * the filter with its descriptor) is not an error.
     */
    private void apply(Registration r, int from, int to) throws IOException {
        int added = to & ~from;
        int removed = from & ~to;
        if ((added & WRITABLE) != 0 && r.writeIdent < 0) {
            r.writeIdent = duplicate(r.fd);
            registrations.put(r.writeIdent, r);
        }
        int n = 0;
        if ((added & READABLE) != 0) {
            putChange(scratch, n++ * size, r.fd, KqueueNative.EVFILT_READ, KqueueNative.EV_ADD, 0);
        } else if ((removed & READABLE) != 0) {
            putChange(scratch, n++ * size, r.fd, KqueueNative.EVFILT_READ, KqueueNative.EV_DELETE, 0);
        }
        if ((added & WRITABLE) != 0) {
            putChange(scratch, n++ * size, r.writeIdent, KqueueNative.EVFILT_WRITE, KqueueNative.EV_ADD, 0);
        } else if ((removed & WRITABLE) != 0) {
            putChange(scratch, n++ * size, r.writeIdent, KqueueNative.EVFILT_WRITE, KqueueNative.EV_DELETE, 0);
        }
        if (n == 0) {
            return;
        }
        int e = submit(n);
        if (e == 0) {
            return;
        }
        if (n == 1) {
            short filter = scratch.getShort(KqueueNative.KEVENT_FILTER);
            int flags = scratch.getShort(KqueueNative.KEVENT_FLAGS);
            if (!tolerated(flags, e)) {
                throw Posix.error(call(filter, flags, "fd " + r.fd), e);
            }
            return;
        }
        IOException first = null;
        for (int bit = READABLE; bit <= WRITABLE; bit <<= 1) {
            short filter = bit == READABLE ? KqueueNative.EVFILT_READ : KqueueNative.EVFILT_WRITE;
            int flags = (added & bit) != 0 ? KqueueNative.EV_ADD : KqueueNative.EV_DELETE;
            putChange(scratch, 0, bit == READABLE ? r.fd : r.writeIdent, filter, flags, 0);
            int err = submit(1);
            if (err != 0 && !tolerated(flags, err) && first == null) {
                first = Posix.error(call(filter, flags, "fd " + r.fd), err);
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** A close-on-exec duplicate of {@code fd} to hold its write filter under libkqueue. */
    private static int duplicate(int fd) throws IOException {
        int d = KqueueNative.Fcntl.INSTANCE.fcntl(fd, KqueueNative.F_DUPFD_CLOEXEC_LINUX, 0);
        if (d < 0) {
            throw Posix.error("fcntl(fd " + fd + ", F_DUPFD_CLOEXEC) for its write filter", Native.getLastError());
        }
        return d;
    }

    private static boolean tolerated(int flags, int errno) {
        return (flags & KqueueNative.EV_DELETE) != 0 && (errno == KqueueNative.ENOENT || errno == KqueueNative.EBADF);
    }

    @Override
    public void register(Pollable socket, int interest, ReadyHandler handler) throws IOException {
        int fd = fd(socket);
        if (handler == null) {
            throw new NullPointerException("handler");
        }
        if (registrations.containsKey(fd)) {
            throw new IllegalStateException("fd " + fd + " is already registered");
        }
        int want = interest & (READABLE | WRITABLE);
        Registration r = new Registration(socket, fd, handler, abi.libkqueue ? -1 : fd);
        registrations.put(fd, r);
        try {
            apply(r, 0, want);
        } catch (IOException e) {
            try {
                release(r, want);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        r.interest = want;
        sockets++;
    }

    @Override
    public void reregister(Pollable socket, int interest) throws IOException {
        int fd = fd(socket);
        Registration r = registrations.get(fd);
        if (r == null || r.fd != fd) {
            throw new IOException("fd " + fd + " is not registered with this poller");
        }
        int want = interest & (READABLE | WRITABLE);
        int had = r.interest;
        r.interest = want;
        apply(r, had, want);
    }

    @Override
    public void deregister(Pollable socket) throws IOException {
        int fd = fd(socket);
        Registration r = registrations.get(fd);
        if (r != null && r.fd == fd) {
            sockets--;
            release(r, r.interest);
        }
    }

    /** Deletes the filters, then closes the write filter's duplicate, if there is one. */
    private void release(Registration r, int interest) throws IOException {
        registrations.remove(r.fd);
        try {
            apply(r, interest, 0);
        } finally {
            if (r.writeIdent >= 0 && r.writeIdent != r.fd) {
                registrations.remove(r.writeIdent);
                KqueueNative.Fd.close(r.writeIdent);
                r.writeIdent = -1;
            }
        }
    }

    /** Number of registered sockets (the wake-up not counted). */
    int registered() {
        return sockets;
    }

    @Override
    public int poll(long timeoutNanos) throws IOException {
        long ts = 0L;
        boolean woken = wokenEarly;
        wokenEarly = false;
        if (woken) {
            ts = zeroTimespecAddress;
        } else if (timeoutNanos >= 0) {
            scratch.putLong(timespecOffset, timeoutNanos / 1_000_000_000L);
            scratch.putLong(timespecOffset + 8, timeoutNanos % 1_000_000_000L);
            ts = timespecAddress;
        }
        int n = KqueueNative.kevent(kq, 0L, 0, eventsAddress, capacity, ts);
        if (n < 0) {
            int e = Native.getLastError();
            if (e == KqueueNative.EINTR) {
                return 0;
            }
            throw Posix.error("kevent(kq " + kq + ")", e);
        }
        UnsafeBuffer ev = events;
        Int2IntHashMap fold = ready;
        if (!fold.isEmpty()) {
            fold.clear(); // a handler threw during the previous dispatch
        }
        for (int i = 0; i < n; i++) {
            int at = i * size;
            short filter = ev.getShort(at + KqueueNative.KEVENT_FILTER);
            int fd = (int) ev.getLong(at + KqueueNative.KEVENT_IDENT);
            if (filter == abi.evfiltUser || (fd == pipeRead && filter == KqueueNative.EVFILT_READ)) {
                woken = true;
                continue;
            }
            Registration r = registrations.get(fd);
            if (r == null) {
                continue;
            }
            int bits;
            if ((ev.getShort(at + KqueueNative.KEVENT_FLAGS) & KqueueNative.EV_ERROR) != 0) {
                bits = FAILED;
            } else if (filter == KqueueNative.EVFILT_READ) {
                bits = READABLE;
            } else if (filter == KqueueNative.EVFILT_WRITE) {
                bits = WRITABLE;
            } else {
                continue;
            }
            noteSocketError(ev, at);
            fold.put(r.fd, fold.get(r.fd) | bits);
        }
        if (woken) {
            drainWakeup();
        }
        int dispatched = 0;
        boolean timed = PROBE.timeCallbacks();
        for (int i = 0; i < n; i++) {
            Registration r = registrations.get((int) ev.getLong(i * size + KqueueNative.KEVENT_IDENT));
            if (r == null) {
                continue; // the wake-up, or deregistered by a handler in this batch
            }
            int bits = fold.remove(r.fd);
            if (bits == 0) {
                continue; // this socket's ready set went out already
            }
            bits = (bits & FAILED) != 0 ? READABLE | WRITABLE : bits & r.interest;
            if (bits == 0) {
                continue;
            }
            dispatched++;
            if (timed) {
                PROBE.timedReady(r.handler, bits);
            } else {
                r.handler.onReady(bits);
            }
        }
        if (n == capacity && capacity < MAX_EVENTS) {
            allocateEvents(Math.min(MAX_EVENTS, capacity * 2));
        }
        return dispatched;
    }

    /**
     * A filter with EV_EOF carries the socket's pending error in {@code fflags} (a failed connect,
     * a reset). libkqueue 2.3.1 takes it from SO_ERROR, which then reads 0, whenever epoll reports
     * EPOLLERR, with or without EV_EOF (an ICMP port unreachable on a UDP socket comes without), so
     * the socket is told ({@link PosixSocket#socketErrorSeen}, {@link PosixDatagramSocket#socketErrorSeen}).
     * A pipe's error there is always EIO, and a pipe reports its own errors on the next call. A
     * stream socket's EPIPE is not handed over: it is what a reset after the peer's FIN leaves
     * (Linux's tcp_reset in CLOSE_WAIT), where the kernel's read returns that FIN's end of stream
     * first, and the next write fails with EPIPE by itself.
     */
    private void noteSocketError(UnsafeBuffer b, int at) {
        if (abi.libkqueue || (b.getShort(at + KqueueNative.KEVENT_FLAGS) & KqueueNative.EV_EOF) != 0) {
            int error = b.getInt(at + KqueueNative.KEVENT_FFLAGS);
            if (error != 0) {
                Registration r = registrations.get((int) b.getLong(at + KqueueNative.KEVENT_IDENT));
                if (r == null) {
                    return;
                }
                if (r.socket != null) {
                    if (error != KqueueNative.EPIPE) {
                        r.socket.socketErrorSeen(error);
                    }
                } else if (r.datagram != null) {
                    r.datagram.socketErrorSeen(error);
                }
            }
        }
    }

    private void drainWakeup() {
        if (pipeRead >= 0) {
            while (KqueueNative.Fd.read(pipeRead, drainAddress, 64) > 0) {
                // drain: one byte per coalesced wake-up, at most one pending
            }
        }
        // Consume first, then clear (see EpollPoller): a wakeup() between the two is only skipped
        // while this thread is awake, and the loop re-checks its inbox before it sleeps again.
        wakePending.set(0);
    }

    @Override
    public void wakeup() {
        if (wakePending.get() == 0 && wakePending.compareAndSet(0, 1)) {
            synchronized (wakeLock) {
                // Never call on a closed descriptor: its number may belong to another file by now.
                if (!wakeClosed) {
                    if (pipeWrite >= 0) {
                        KqueueNative.Fd.write(pipeWrite, wakeAddress, 1);
                    } else if (KqueueNative.kevent(kq, wakeAddress, 1, 0L, 0, 0L) != 0) {
                        wakePending.set(0); // not sent: let the next wakeup() try again
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (wakeLock) {
            wakeClosed = true;
            if (pipeRead >= 0) {
                // Filters go before their descriptor (libkqueue keeps them otherwise).
                putChange(scratch, 0, pipeRead, KqueueNative.EVFILT_READ, KqueueNative.EV_DELETE, 0);
                submit(1);
                KqueueNative.Fd.close(pipeRead);
                KqueueNative.Fd.close(pipeWrite);
            } else {
                putChange(scratch, 0, WAKE_IDENT, abi.evfiltUser, KqueueNative.EV_DELETE, 0);
                submit(1);
            }
        }
        KqueueNative.Fd.close(kq);
        for (Registration r : registrations.values()) {
            if (r.writeIdent >= 0 && r.writeIdent != r.fd) {
                KqueueNative.Fd.close(r.writeIdent); // a socket still registered: its filters went with kq
                r.writeIdent = -1;
            }
        }
        registrations.clear();
        BufferUtil.free(eventsMemory);
        freeMemory();
    }

    private void freeMemory() {
        BufferUtil.free(scratchMemory);
        // wakeMemory is left to the GC: a wakeup() on another thread may be reading it right now.
    }

    @Override
    public String toString() {
        return "KqueuePoller[kq " + kq + ", " + registrations.size() + " registered, wake-up " + wakeMode + "]";
    }
}
