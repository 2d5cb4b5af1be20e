package dev.weft.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The machine section of the report: CPU model, cores, memory, kernel, OS, JVM. */
final class Machine {
    private Machine() {
    }

    static Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu_model", cpuModel(read("/proc/cpuinfo")));
        m.put("cores_online", onlineCpus(read("/proc/cpuinfo")));
        m.put("cores_available", Runtime.getRuntime().availableProcessors());
        m.put("memory_total_kib", memTotalKib(read("/proc/meminfo")));
        String kernel = read("/proc/sys/kernel/osrelease");
        m.put("kernel", kernel == null ? System.getProperty("os.version") : kernel.trim());
        m.put("os", osName(read("/etc/os-release")));
        m.put("arch", System.getProperty("os.arch"));
        m.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vendor") + ")");
        m.put("clk_tck", ProcStat.clockTicks());
        return m;
    }

    private static String read(String path) {
        try {
            return Files.readString(Path.of(path));
        } catch (Exception e) {
            return null;
        }
    }

    /** The first {@code model name} of /proc/cpuinfo, or "unknown". */
    static String cpuModel(String cpuinfo) {
        if (cpuinfo != null) {
            for (String l : cpuinfo.split("\n")) {
                if (l.startsWith("model name")) {
                    int c = l.indexOf(':');
                    if (c > 0) {
                        return l.substring(c + 1).trim();
                    }
                }
            }
        }
        return "unknown";
    }

    static int onlineCpus(String cpuinfo) {
        int n = 0;
        if (cpuinfo != null) {
            for (String l : cpuinfo.split("\n")) {
                if (l.startsWith("processor")) {
                    n++;
                }
            }
        }
        return n;
    }

    static Long memTotalKib(String meminfo) {
        if (meminfo != null) {
            for (String l : meminfo.split("\n")) {
                if (l.startsWith("MemTotal:")) {
                    String[] f = l.trim().split("\\s+");
                    try {
                        return Long.parseLong(f[1]);
                    } catch (RuntimeException e) {
                        return null;
                    }
                }
            }
        }
        return null;
    }

    static String osName(String osRelease) {
        if (osRelease != null) {
            for (String l : osRelease.split("\n")) {
                if (l.startsWith("PRETTY_NAME=")) {
                    return l.substring(12).replace("\"", "").trim();
                }
            }
        }
        return System.getProperty("os.name");
    }
}
