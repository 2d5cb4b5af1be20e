package dev.weft.bench;

import java.util.List;

/** One TCP echo workload of the report: C connections, S-byte messages, D in flight each. */
record Workload(String id, String label, int connections, int size, int pipeline) {
    static final List<Workload> TCP_ECHO = List.of(
            new Workload("1x64B", "1 connection × 64 B ping-pong", 1, 64, 1),
            new Workload("100x64B", "100 connections × 64 B", 100, 64, 1),
            new Workload("100x1KiB", "100 connections × 1 KiB", 100, 1024, 1),
            new Workload("10x16x64B", "10 connections × 16 pipelined × 64 B", 10, 64, 16),
            new Workload("10x100KiB", "10 connections × 100 KiB", 10, 100 * 1024, 1));
    /** Workload ids of a {@code --quick} run (the others need the default run's time). */
    static final List<String> QUICK = List.of("1x64B", "100x64B", "10x16x64B");
}
