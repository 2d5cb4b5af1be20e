package dev.weft.loop.epoll;

import com.sun.jna.Native;
import dev.weft.loop.core.LoopProbe;
import dev.weft.loop.posix.Posix;
import dev.weft.loop.spi.Pollable;
import dev.weft.loop.spi.Poller;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.BufferUtil;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * {@link Poller} over one epoll instance ({@code epoll_create1(EPOLL_CLOEXEC)}).
 *
 * <p><b>Level-triggered</b>, chosen over edge-triggered by measurement. Sockets are registered
 * with exactly the interest asked for, so the Poller contract (a socket that stays ready is
 * reported again) holds by construction, and the transports call {@code reregister} only when their
 * interest changes, which keeps {@code epoll_ctl} off the per-message path: an echo whose write goes
 * out at once costs one {@code epoll_wait}, one {@code read} and one {@code send}. Edge-triggered
 * (registered once for in and out) saves the two {@code EPOLL_CTL_MOD}s around a write that has to
 * queue, but {@link Poller.ReadyHandler} does not say whether it drained the socket, so honouring
 * the level contract means re-dispatching each reported socket until a read finds EAGAIN: one more
 * {@code read} per readiness event. {@code JnaCallBenchmark} (JMH, this machine, JDK 17, JNA
 * 5.17): {@code EPOLL_CTL_MOD} 0.59 µs, a would-block {@code read} 0.61 µs. Edge-triggered wins
 * only if more than about half of the readiness events end with a queued write; in the echo runs
 * that matter (64 B and 1 KiB messages) almost none do. Revisit if the SPI ever lets a handler
 * report "drained".
 *
 * <p><b>Interest 0</b> is registered as {@code EPOLLET} with no in/out bits: epoll always reports
 * EPOLLERR and EPOLLHUP, and level-triggered it would report a hung-up socket whose reading is
 * paused on every poll, a busy loop; edge-triggered it is reported once. Errors and hang-ups are
 * reported as {@code READABLE | WRITABLE}, as the contract says.
 *
 * <p><b>Memory.</b> Events land in a reused native array of {@code struct epoll_event} (doubled,
 * up to {@value #MAX_EVENTS}, when a poll fills it); the data word holds the fd, mapped to its
 * handler by an Agrona {@link Int2ObjectHashMap}: a poll allocates nothing. An event for an fd
 * deregistered earlier in the same batch is dropped; one whose number was reused in that batch
 * reaches the new handler as a spurious event, which the contract allows.
 *
 * <p><b>Calls.</b> {@code epoll_wait} and {@code epoll_ctl} go through the JNI {@link FastPath}
 * when its library is loaded (about 15 ns a call against JNA's 70), else through JNA
 * ({@link EpollNative}); {@code -Dweft.epoll.fastpath=false} forces JNA.
 *
 * <p><b>Wake-up</b> is an {@code eventfd} registered for EPOLLIN; {@link #wakeup()} coalesces:
 * only the first call after the loop consumed the previous wake-up writes to it.
 *
 * <p><b>Threads.</b> All but {@link #wakeup()} on the loop thread.
 */
final class EpollPoller implements Poller {
    private static final LoopProbe PROBE = LoopProbe.INSTANCE;

    static final int INITIAL_EVENTS = 256;
    static final int MAX_EVENTS = 4096;
    /** epoll_wait and epoll_ctl through JNI when the library loaded (see {@link FastPath}), else JNA. */
    private static final boolean FAST = EpollFastPath.AVAILABLE;

    private final int epfd;
    private final int eventFd;
    private final Int2ObjectHashMap<ReadyHandler> handlers = new Int2ObjectHashMap<>();

    private ByteBuffer eventsMemory;
    private long eventsAddress;
    private int capacity;
    private final UnsafeBuffer events = new UnsafeBuffer(0, 0);

    private final ByteBuffer ctlMemory = ByteBuffer.allocateDirect(16);
    private final long ctlAddress = BufferUtil.address(ctlMemory);
    private final UnsafeBuffer ctl = new UnsafeBuffer(ctlMemory);
    private final ByteBuffer drainMemory = ByteBuffer.allocateDirect(8);
    private final long drainAddress = BufferUtil.address(drainMemory);
    /** Holds the value 1 for eventfd writes; written once, then only read (by any thread). */
    private final ByteBuffer oneMemory = ByteBuffer.allocateDirect(8);
    private final long oneAddress = BufferUtil.address(oneMemory);

    private final AtomicInteger wakePending = new AtomicInteger();
    private final Object wakeLock = new Object();
    private boolean eventFdClosed;
    private boolean closed;

    /** Whether epoll_wait and epoll_ctl use the JNI fast path, and if not, why not. */
    static String fastPathStatus() {
        return EpollFastPath.status();
    }

    EpollPoller() throws IOException {
        this(INITIAL_EVENTS);
    }

    EpollPoller(int initialEvents) throws IOException {
        int ep = EpollNative.epoll_create1(EpollNative.EPOLL_CLOEXEC);
        if (ep < 0) {
            throw Posix.error("epoll_create1(EPOLL_CLOEXEC)", Native.getLastError());
        }
        int ev = EpollNative.eventfd(0, EpollNative.EFD_NONBLOCK | EpollNative.EFD_CLOEXEC);
        if (ev < 0) {
            int e = Native.getLastError();
            EpollNative.close(ep);
            throw Posix.error("eventfd(EFD_NONBLOCK|EFD_CLOEXEC)", e);
        }
        epfd = ep;
        eventFd = ev;
        new UnsafeBuffer(oneMemory).putLong(0, 1L);
        allocateEvents(Math.max(1, initialEvents));
        try {
            ctl(EpollNative.EPOLL_CTL_ADD, eventFd, EpollNative.EPOLLIN, "wake-up eventfd");
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    private void allocateEvents(int n) {
        ByteBuffer old = eventsMemory;
        eventsMemory = ByteBuffer.allocateDirect(n * EpollNative.EVENT_SIZE);
        eventsAddress = BufferUtil.address(eventsMemory);
        events.wrap(eventsMemory);
        capacity = n;
        if (old != null) {
            BufferUtil.free(old);
        }
    }

    private static int fd(Pollable target) {
        int fd = target == null ? -1 : target.fd();
        if (fd < 0) {
            throw new IllegalArgumentException("the epoll poller watches file descriptors, not "
                    + (target == null ? "null" : target));
        }
        return fd;
    }

    private static int epollEvents(int interest) {
        int ev = 0;
        if ((interest & READABLE) != 0) {
            ev |= EpollNative.EPOLLIN;
        }
        if ((interest & WRITABLE) != 0) {
            ev |= EpollNative.EPOLLOUT;
        }
        return ev == 0 ? EpollNative.EPOLLET : ev;
    }

    private void ctl(int op, int fd, int ev, String what) throws IOException {
        ctl.putInt(EpollNative.EVENT_EVENTS, ev);
        ctl.putLong(EpollNative.EVENT_DATA, fd);
        int r = FAST ? EpollFastPath.epollCtl(epfd, op, fd, ctlAddress) : EpollNative.epoll_ctl(epfd, op, fd, ctlAddress);
        if (r != 0) {
            int e = FAST ? -r : Native.getLastError();
            String name = op == EpollNative.EPOLL_CTL_ADD ? "EPOLL_CTL_ADD"
                    : op == EpollNative.EPOLL_CTL_MOD ? "EPOLL_CTL_MOD" : "EPOLL_CTL_DEL";
            throw Posix.error("epoll_ctl(" + name + ", " + what + ")", e);
        }
    }

    @Override
    public void register(Pollable socket, int interest, ReadyHandler handler) throws IOException {
        int fd = fd(socket);
        if (handler == null) {
            throw new NullPointerException("handler");
        }
        if (handlers.containsKey(fd)) {
            throw new IllegalStateException("fd " + fd + " is already registered");
        }
        ctl(EpollNative.EPOLL_CTL_ADD, fd, epollEvents(interest), "fd " + fd);
        handlers.put(fd, handler);
    }

    @Override
    public void reregister(Pollable socket, int interest) throws IOException {
        int fd = fd(socket);
        if (!handlers.containsKey(fd)) {
            throw new IOException("fd " + fd + " is not registered with this poller");
        }
        ctl(EpollNative.EPOLL_CTL_MOD, fd, epollEvents(interest), "fd " + fd);
    }

    @Override
    public void deregister(Pollable socket) throws IOException {
        int fd = fd(socket);
        if (handlers.remove(fd) != null) {
            ctl(EpollNative.EPOLL_CTL_DEL, fd, 0, "fd " + fd);
        }
    }

    /** Number of registered sockets (the wake-up eventfd not counted). */
    int registered() {
        return handlers.size();
    }

    @Override
    public int poll(long timeoutNanos) throws IOException {
        int timeout;
        if (timeoutNanos < 0) {
            timeout = -1;
        } else if (timeoutNanos == 0) {
            timeout = 0;
        } else {
            // Round up: waking before the timer is due would only cost a second poll.
            timeout = (int) Math.min(Integer.MAX_VALUE, (timeoutNanos - 1) / 1_000_000 + 1);
        }
        int n = FAST ? EpollFastPath.epollWait(epfd, eventsAddress, capacity, timeout)
                : EpollNative.epoll_wait(epfd, eventsAddress, capacity, timeout);
        if (n < 0) {
            int e = FAST ? -n : Native.getLastError();
            if (e == EpollNative.EINTR) {
                return 0;
            }
            throw Posix.error("epoll_wait(epfd " + epfd + ")", e);
        }
        int dispatched = 0;
        boolean timed = PROBE.timeCallbacks();
        UnsafeBuffer ev = events;
        for (int i = 0; i < n; i++) {
            int at = i * EpollNative.EVENT_SIZE;
            int bits = ev.getInt(at + EpollNative.EVENT_EVENTS);
            int fd = (int) ev.getLong(at + EpollNative.EVENT_DATA);
            if (fd == eventFd) {
                drainWakeup();
                continue;
            }
            ReadyHandler h = handlers.get(fd);
            if (h == null) {
                continue;
            }
            int ready = 0;
            if ((bits & (EpollNative.EPOLLERR | EpollNative.EPOLLHUP)) != 0) {
                ready = READABLE | WRITABLE;
            } else {
                if ((bits & (EpollNative.EPOLLIN | EpollNative.EPOLLRDHUP)) != 0) {
                    ready |= READABLE;
                }
                if ((bits & EpollNative.EPOLLOUT) != 0) {
                    ready |= WRITABLE;
                }
            }
            dispatched++;
            if (timed) {
                PROBE.timedReady(h, ready);
            } else {
                h.onReady(ready);
            }
        }
        if (n == capacity && capacity < MAX_EVENTS) {
            allocateEvents(Math.min(MAX_EVENTS, capacity * 2));
        }
        return dispatched;
    }

    private void drainWakeup() {
        // Read first, then clear. Clearing first loses wake-ups: a wakeup() between the two sets
        // the flag and writes, the read consumes that write, and the flag stays set with the
        // counter at zero, so every later wakeup() is skipped. Read-then-clear only skips a
        // wakeup() while this thread is awake, and the loop re-checks its inbox before sleeping.
        EpollNative.read(eventFd, drainAddress, 8);
        wakePending.set(0);
    }

    @Override
    public void wakeup() {
        if (wakePending.get() == 0 && wakePending.compareAndSet(0, 1)) {
            synchronized (wakeLock) {
                // Never write to a closed descriptor: its number may belong to another file by now.
                if (!eventFdClosed) {
                    EpollNative.write(eventFd, oneAddress, 8);
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
            eventFdClosed = true;
            EpollNative.close(eventFd);
        }
        EpollNative.close(epfd);
        handlers.clear();
        BufferUtil.free(eventsMemory);
        BufferUtil.free(ctlMemory);
        BufferUtil.free(drainMemory);
        // oneMemory is left to the GC: a wakeup() on another thread may be reading it right now.
    }

    @Override
    public String toString() {
        return "EpollPoller[epfd " + epfd + ", " + handlers.size() + " registered]";
    }
}
