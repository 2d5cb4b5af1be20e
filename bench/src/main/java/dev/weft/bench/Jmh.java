package dev.weft.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code jmh [REGEX] [--quick] [--json FILE] [--list]}: runs the JMH suite packed in this jar
 * ({@code dev.weft.loop.Timer*Bench}, {@code dev.weft.bench.jmh.*Bench}) with {@code -prof gc}, by
 * starting {@code java -cp weft-bench.jar org.openjdk.jmh.Main} (JMH then forks one JVM per
 * benchmark). The forks get the JVM flags Weft needs and the same heap and GC as the report's
 * servers. {@code WriteBench}'s {@code backend} parameter is set to every Weft backend available
 * here. REGEX (default: the whole suite) selects benchmarks as JMH's own include pattern does.
 */
final class Jmh {
    /** JMH's include pattern for the whole suite. */
    static final String SUITE = "dev\\.weft\\..*Bench\\.";
    static final List<String> FORK_FLAGS = List.of("--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED");

    /** Iterations and times: {@code quick} for the ≤ 3-minute report, else the full one. */
    record Settings(int forks, int warmupIterations, String warmupTime, int iterations, String time) {
        static Settings of(boolean quick) {
            return quick ? new Settings(1, 1, "500ms", 2, "500ms") : new Settings(1, 3, "1s", 5, "1s");
        }

        /** A rough duration of one benchmark (one parameter combination), fork start included. */
        double secondsPerBenchmark() {
            return forks * (1.2 + warmupIterations * seconds(warmupTime) + iterations * seconds(time));
        }

        private static double seconds(String t) {
            return t.endsWith("ms") ? Integer.parseInt(t.substring(0, t.length() - 2)) / 1000.0
                    : Integer.parseInt(t.substring(0, t.length() - 1));
        }
    }

    private Jmh() {
    }

    /** Available Weft backends, for {@code WriteBench.backend}. */
    static List<String> backends() {
        List<String> out = new ArrayList<>();
        for (String[] b : dev.weft.bench.weft.WeftBackends.list()) {
            if (b[1] == null) {
                out.add(b[0]);
            }
        }
        return out;
    }

    /** The command line that runs the suite (or the part matching {@code regex}). */
    static List<String> command(String regex, Settings s, Path json) {
        List<String> cmd = new ArrayList<>(List.of(Proc.javaBin()));
        cmd.addAll(FORK_FLAGS);
        cmd.addAll(List.of("-cp", Proc.selfJar().toString(), "org.openjdk.jmh.Main",
                regex == null ? SUITE : regex,
                "-f", String.valueOf(s.forks()), "-wi", String.valueOf(s.warmupIterations()), "-w", s.warmupTime(),
                "-i", String.valueOf(s.iterations()), "-r", s.time(), "-prof", "gc", "-foe", "false"));
        List<String> fork = new ArrayList<>(FORK_FLAGS);
        fork.addAll(Servers.JVM_FLAGS);
        cmd.add("-jvmArgsAppend");
        cmd.add(String.join(" ", fork));
        List<String> b = backends();
        if (!b.isEmpty()) {
            cmd.addAll(List.of("-p", "backend=" + String.join(",", b)));
        }
        if (json != null) {
            cmd.addAll(List.of("-rf", "json", "-rff", json.toString()));
        }
        return cmd;
    }

    /**
     * Runs the suite, passing each output line to {@code lines}; returns JMH's exit status. JMH
     * goes on after a failing benchmark ({@code -foe false}); the JSON holds those that ran.
     */
    static int runSuite(String regex, Settings s, Path json, Consumer<String> lines) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command(regex, s, json)).redirectErrorStream(true).start();
        p.getOutputStream().close();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String l;
            while ((l = r.readLine()) != null) {
                lines.accept(l);
            }
        }
        return p.waitFor();
    }

    /** Lines announcing a benchmark, such as {@code # Benchmark: dev.weft...expiry} and its parameters. */
    static boolean isProgressLine(String l) {
        return l.startsWith("# Benchmark: ") || l.startsWith("# Parameters: ");
    }

    static int run(String[] argv, int from) throws Exception {
        Args a = Args.parse("jmh", argv, from, Set.of("json"), Set.of("quick", "list"));
        if (a.positional().size() > 1) {
            throw new UsageException("jmh: expected at most one REGEX, got " + a.positional());
        }
        String regex = a.positional().isEmpty() ? null : a.positional().get(0);
        if (a.flag("list")) {
            List<String> cmd = new ArrayList<>(List.of(Proc.javaBin(), "-cp", Proc.selfJar().toString(),
                    "org.openjdk.jmh.Main", "-l", regex == null ? SUITE : regex));
            return new ProcessBuilder(cmd).inheritIO().start().waitFor();
        }
        Path json = a.string("json", null) == null ? null : Path.of(a.string("json", null)).toAbsolutePath();
        if (json != null && json.getParent() != null) {
            Files.createDirectories(json.getParent());
        }
        int rc = runSuite(regex, Settings.of(a.flag("quick")), json, System.out::println);
        if (json != null && Files.exists(json)) {
            List<JmhResults.Entry> es = JmhResults.parse(Files.readString(json, StandardCharsets.UTF_8));
            System.out.println();
            System.out.println(JmhResults.table(es));
        }
        return rc;
    }
}
