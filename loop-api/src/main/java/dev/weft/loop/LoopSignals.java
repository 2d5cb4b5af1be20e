package dev.weft.loop;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The signal handlers of one loop, built on the JVM's own signal dispatch ({@code sun.misc.Signal}
 * in {@code jdk.unsupported}); {@code signalfd} cannot work in a JVM, whose threads start before
 * any code could block the signal in all of them (alexcrichton/tokio-signal#10).
 *
 * <h2>Delivery</h2>
 * The JVM runs a Java signal handler on a thread of its own. That thread only sets the signal's
 * pending flag and, unless a drain is already queued, queues one with
 * {@link EventLoop#callSoonThreadsafe}, which wakes a sleeping poll. The drain runs on the loop
 * thread: it clears the queued mark first, then runs the callback of every signal whose flag it
 * clears. So a burst of one signal is coalesced into at least one call, never lost entirely: a
 * signal raised after the mark is cleared queues a new drain (per-signal flags and one wake-up, as
 * uvloop does after python/cpython#74224 showed a wake-up fd losing signals when it overflows).
 *
 * <h2>Ownership</h2>
 * A signal has at most one handler in the JVM, so at most one loop handles it at a time. Adding a
 * handler remembers the handler it displaced; removing it, or closing the loop, puts that one back
 * (not {@code SIG_DFL}: libuv/libuv#2435).
 *
 * <h2>Threads</h2>
 * {@link #add}, {@link #remove} and {@link #drain} run on the loop thread; {@link #raised} on the
 * JVM's signal thread. {@link #removeAll} runs in {@link EventLoop#close()}.
 */
final class LoopSignals {
    /** The signals HotSpot leaves ignored when the process started with them ignored. */
    private static final java.util.Set<String> JVM_SHUTDOWN_SIGNALS = java.util.Set.of("HUP", "INT", "TERM");

    /** Which loop handles each signal number, across the JVM. */
    private static final ConcurrentHashMap<Integer, LoopSignals> OWNERS = new ConcurrentHashMap<>();

    /** Signals refused, with the reason. */
    private static final Map<String, String> RESERVED = Map.of(
            "KILL", "the kernel never lets a process catch it",
            "STOP", "the kernel never lets a process catch it",
            "SEGV", "the JVM uses it to detect faults (implicit null checks, stack overflow)",
            "BUS", "the JVM uses it to detect faults (memory-mapped files)",
            "FPE", "the JVM uses it to detect faults (integer division)",
            "ILL", "the JVM uses it to detect faults",
            "QUIT", "the JVM prints a thread dump on it",
            "USR2", "HotSpot suspends and resumes threads with it",
            "CHLD", "java.lang.Process and subprocess watchers need its default disposition");

    /** Names the JVM may know, for finding the name of a signal given by number. */
    private static final String[] NAMES = {
        "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
        "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
        "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS", "EMT", "INFO"
    };

    private static volatile Map<Integer, String> byNumber;

    private final EventLoop loop;
    private final Map<Integer, Entry> entries = new LinkedHashMap<>();
    private final ConcurrentHashMap<Integer, Entry> live = new ConcurrentHashMap<>();
    private final AtomicBoolean drainQueued = new AtomicBoolean();
    private final Runnable drain = this::drain;

    LoopSignals(EventLoop loop) {
        this.loop = loop;
    }

    /** One handled signal. */
    private static final class Entry implements SignalHandler {
        final LoopSignals owner;
        final Signal signal;
        final String name;
        final AtomicBoolean pending = new AtomicBoolean();
        volatile Runnable callback;
        SignalHandler previous;

        Entry(LoopSignals owner, Signal signal, String name, Runnable callback) {
            this.owner = owner;
            this.signal = signal;
            this.name = name;
            this.callback = callback;
        }

        @Override
        public void handle(Signal sig) {
            owner.raised(this);
        }
    }

    /** The signal's canonical name without "SIG" ({@code "USR1"}), checked for being handleable. */
    static String resolve(String signal) {
        if (signal == null) {
            throw new NullPointerException("signal");
        }
        String name = signal.toUpperCase(Locale.ROOT);
        if (name.startsWith("SIG")) {
            name = name.substring(3);
        }
        checkNotReserved(name);
        if (name.isEmpty() || numberOf(name) < 0) {
            throw new IllegalArgumentException("signal: unknown signal name '" + signal + "'");
        }
        return name;
    }

    /** As {@link #resolve(String)} for a signal number. */
    static String resolve(int signal) {
        if (signal < 1 || signal > 64) {
            throw new IllegalArgumentException("signal: number out of range 1..64: " + signal);
        }
        String name = names().get(signal);
        if (name == null) {
            throw new IllegalArgumentException("signal: " + signal + " has no name the JVM can handle");
        }
        checkNotReserved(name);
        return name;
    }

    private static void checkNotReserved(String name) {
        String why = RESERVED.get(name);
        if (why != null) {
            throw new IllegalArgumentException("signal: SIG" + name + " cannot be handled on the loop: " + why);
        }
    }

    private static int numberOf(String name) {
        try {
            return new Signal(name).getNumber();
        } catch (IllegalArgumentException e) {
            return -1;
        }
    }

    private static Map<Integer, String> names() {
        Map<Integer, String> m = byNumber;
        if (m == null) {
            m = new ConcurrentHashMap<>();
            for (String n : NAMES) {
                int number = numberOf(n);
                if (number > 0) {
                    m.putIfAbsent(number, n);
                }
            }
            byNumber = m;
        }
        return m;
    }

    /**
     * Installs {@code callback} for the signal named {@code name} (already resolved), replacing this
     * loop's earlier callback for it. Fails, changing nothing, when another loop handles it or the
     * JVM refuses it.
     */
    void add(String name, Runnable callback) {
        Signal sig = new Signal(name);
        int number = sig.getNumber();
        Entry existing = entries.get(number);
        if (existing != null) {
            existing.callback = callback;
            return;
        }
        LoopSignals other = OWNERS.putIfAbsent(number, this);
        if (other != null && other != this) {
            throw new IllegalStateException("signal: SIG" + name + " already has a handler on another loop ("
                    + other.loop + "); remove it there first");
        }
        Entry e = new Entry(this, sig, name, callback);
        live.put(number, e);
        try {
            e.previous = Signal.handle(sig, e);
        } catch (IllegalArgumentException refused) {
            live.remove(number);
            OWNERS.remove(number, this);
            throw new IllegalArgumentException("signal: the JVM refuses to let SIG" + name + " be handled ("
                    + refused.getMessage() + "); it is in use by the JVM or the OS, or the JVM runs with -Xrs",
                    refused);
        }
        if (e.previous == SignalHandler.SIG_IGN && JVM_SHUTDOWN_SIGNALS.contains(name)) {
            // HotSpot installs no handler for SIGHUP, SIGINT or SIGTERM when the process ignores the
            // signal (started under nohup, or with it set to SIG_IGN), yet reports success.
            Signal.handle(sig, SignalHandler.SIG_IGN);
            live.remove(number);
            OWNERS.remove(number, this);
            throw new IllegalStateException("signal: SIG" + name + " is ignored by this process (it was started"
                    + " with the signal ignored, as under nohup, or it was set to SIG_IGN), and the JVM installs no"
                    + " handler for an ignored SIGHUP, SIGINT or SIGTERM: the callback would never run");
        }
        entries.put(number, e);
    }

    /** Removes the handler of {@code name}, restoring the one it displaced; false when there was none. */
    boolean remove(String name) {
        int number = numberOf(name);
        Entry e = entries.remove(number);
        if (e == null) {
            return false;
        }
        restore(number, e);
        return true;
    }

    /** Removes every handler of this loop, restoring what each displaced. */
    void removeAll() {
        for (Map.Entry<Integer, Entry> me : entries.entrySet()) {
            restore(me.getKey(), me.getValue());
        }
        entries.clear();
    }

    private void restore(int number, Entry e) {
        live.remove(number);
        e.pending.set(false);
        try {
            Signal.handle(e.signal, e.previous);
        } finally {
            OWNERS.remove(number, this);
        }
    }

    int size() {
        return entries.size();
    }

    /** On the JVM's signal thread: mark the signal pending and queue one drain. */
    private void raised(Entry e) {
        if (live.get(e.signal.getNumber()) != e) {
            return;
        }
        e.pending.set(true);
        if (drainQueued.compareAndSet(false, true)) {
            try {
                loop.callSoonThreadsafe(drain);
            } catch (IllegalStateException closed) {
                drainQueued.set(false);
            }
        }
    }

    /** On the loop thread: run the callback of each pending signal once. */
    private void drain() {
        drainQueued.set(false);
        for (Entry e : entries.values().toArray(new Entry[0])) {
            if (entries.get(e.signal.getNumber()) != e || !e.pending.getAndSet(false)) {
                continue;
            }
            try {
                e.callback.run();
            } catch (Throwable t) {
                if (t instanceof VirtualMachineError vme && !(t instanceof StackOverflowError)) {
                    throw vme;
                }
                loop.callExceptionHandler(new ExceptionContext("exception in the handler of SIG" + e.name, t, e.callback));
            }
        }
    }
}
