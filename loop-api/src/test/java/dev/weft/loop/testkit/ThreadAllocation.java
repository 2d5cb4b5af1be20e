package dev.weft.loop.testkit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Bytes the calling thread allocates, counted over a few windows of the same work, for tests that
 * claim a path allocates nothing once warm. An allocation per call shows in every window; a
 * one-off on the thread (a JIT tier change, a table growing once) shows in one. So such a test
 * requires the least of its windows to be clean.
 */
public final class ThreadAllocation {
    private ThreadAllocation() {
    }

    /** One window of work; may throw what the work throws. */
    @FunctionalInterface
    public interface Window {
        void run() throws Exception;
    }

    /** Skips the calling test where the JVM has no per-thread allocation counter. */
    public static void assumeCounter() {
        assumeTrue(threads().isThreadAllocatedMemorySupported(), "no per-thread allocation counter");
    }

    /** Runs {@code window} {@code windows} times on this thread; the bytes it allocated in each run. */
    public static long[] perWindow(int windows, Window window) throws Exception {
        assumeCounter();
        var threads = threads();
        long tid = Thread.currentThread().getId();
        long[] bytes = new long[windows];
        for (int w = 0; w < windows; w++) {
            long start = threads.getThreadAllocatedBytes(tid);
            window.run();
            bytes[w] = threads.getThreadAllocatedBytes(tid) - start;
        }
        return bytes;
    }

    /** The least of {@code bytes}. */
    public static long least(long[] bytes) {
        return Arrays.stream(bytes).min().orElseThrow();
    }

    private static com.sun.management.ThreadMXBean threads() {
        return (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    }
}
