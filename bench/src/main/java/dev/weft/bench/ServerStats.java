package dev.weft.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

/**
 * Lets the report ask a JVM echo server how many bytes it has allocated: a daemon thread reads
 * lines from stdin; on {@code alloc} it prints {@code alloc <bytes>} (the sum of
 * {@code ThreadMXBean.getThreadAllocatedBytes} over live threads). Servers run by hand with a
 * terminal on stdin are unaffected; stdin at EOF ends the thread.
 */
public final class ServerStats {
    private ServerStats() {
    }

    public static void start() {
        Thread t = new Thread(ServerStats::serve, "bench-stats");
        t.setDaemon(true);
        t.start();
    }

    /** Bytes allocated so far by all live threads, or -1 when the JVM cannot tell. */
    static long allocatedBytes() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!(mx instanceof com.sun.management.ThreadMXBean)) {
            return -1;
        }
        com.sun.management.ThreadMXBean sun = (com.sun.management.ThreadMXBean) mx;
        if (!sun.isThreadAllocatedMemorySupported() || !sun.isThreadAllocatedMemoryEnabled()) {
            return -1;
        }
        long sum = 0;
        for (long b : sun.getThreadAllocatedBytes(sun.getAllThreadIds())) {
            if (b > 0) {
                sum += b;
            }
        }
        return sum;
    }

    private static void serve() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.trim().equals("alloc")) {
                    System.out.println("alloc " + allocatedBytes());
                    System.out.flush();
                }
            }
        } catch (IOException ignored) {
            // stdin closed
        }
    }
}
