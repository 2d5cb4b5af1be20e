package dev.weft.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.format.OutputFormat;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * {@code jmh [REGEX] [--quick] [--json FILE] [--list]}: runs the JMH suite packed in this jar
 * ({@code dev.weft.bench.jmh.*Bench}) with {@code -prof gc}, by
 * starting {@code java -cp weft-bench.jar org.openjdk.jmh.Main} (JMH then forks one JVM per
 * benchmark). The forks get the JVM flags Weft needs and the same heap and GC as the report's
 * servers. {@code WriteBench}'s {@code backend} parameter is set to every Weft backend available
 * here. REGEX (default: the whole suite) selects benchmarks as JMH's own include pattern does.
 * {@code TaskBench} runs as a second JMH run whose forks are a JDK 21+ ({@link #taskJvm()}), with
 * {@code mode=virtual,handoff}; without a JDK 21+ only {@code handoff} runs and the reason is printed.
 * The quick suite (no REGEX) runs only {@code TaskBench.awaitResume}, to stay within the quick report's time.
 */
final class Jmh {
    /** JMH's include pattern for the whole suite. */
    static final String SUITE = "dev\\.weft\\..*Bench\\.";
    /** JMH's pattern for TaskBench, which runs on its own (see {@link #runSuite}). */
    static final String TASKS = "dev\\.weft\\.bench\\.jmh\\.TaskBench\\.";
    /** The only TaskBench benchmark of the quick suite (an explicit REGEX runs what it matches). */
    static final String QUICK_TASKS = "dev.weft.bench.jmh.TaskBench.awaitResume";
    static final List<String> FORK_FLAGS = List.of("--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED");

    /** Iterations and times: {@code quick} for the ≤ 3-minute report, else the full one. */
    record Settings(int forks, int warmupIterations, String warmupTime, int iterations, String time) {
        static Settings of(boolean quick) {
            return quick ? new Settings(1, 1, "500ms", 2, "500ms") : new Settings(1, 3, "1s", 5, "1s");
        }

        /**
         * TaskBench's: at least 2 × 1 s warm-up and 2 × 1 s measured even when quick, since hand-off
         * mode starts a thread per task and the virtual mode needs its JIT warm-up.
         */
        static Settings tasks(Settings s) {
            boolean quick = s.equals(of(true));
            return quick ? new Settings(1, 2, "1s", 2, "1s") : s;
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

    /** The command line that runs the suite (or the part matching {@code regex}), TaskBench excluded. */
    static List<String> command(String regex, Settings s, Path json) {
        List<String> cmd = base(Proc.javaBin(), regex == null ? SUITE : regex, s);
        cmd.addAll(List.of("-e", TASKS));
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
     * The command line that runs the TaskBench benchmarks {@code names} (full names), forks on
     * {@code jvm}'s launcher when there is a JDK 21+ (both modes), else on this JVM (hand-off only).
     */
    static List<String> taskCommand(List<String> names, TaskJvm jvm, Settings s, Path json) {
        StringBuilder include = new StringBuilder("^(");
        for (String n : names) {
            include.append(include.length() == 2 ? "" : "|").append(java.util.regex.Pattern.quote(n));
        }
        List<String> cmd = base(Proc.javaBin(), include.append(")$").toString(), s);
        if (jvm.java() != null) {
            cmd.addAll(List.of("-jvm", jvm.java(), "-p", "mode=virtual,handoff"));
        } else {
            cmd.addAll(List.of("-p", "mode=handoff"));
        }
        if (json != null) {
            cmd.addAll(List.of("-rf", "json", "-rff", json.toString()));
        }
        return cmd;
    }

    private static List<String> base(String java, String include, Settings s) {
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(FORK_FLAGS);
        cmd.addAll(List.of("-cp", Proc.selfJar().toString(), "org.openjdk.jmh.Main", include,
                "-f", String.valueOf(s.forks()), "-wi", String.valueOf(s.warmupIterations()), "-w", s.warmupTime(),
                "-i", String.valueOf(s.iterations()), "-r", s.time(), "-prof", "gc", "-foe", "false"));
        List<String> fork = new ArrayList<>(FORK_FLAGS);
        fork.addAll(Servers.JVM_FLAGS);
        cmd.add("-jvmArgsAppend");
        cmd.add(String.join(" ", fork));
        return cmd;
    }

    /** The packed benchmarks matching {@code regex} (null: the suite), as JMH's include does: one entry per benchmark and mode. */
    private static List<BenchmarkListEntry> find(String regex) {
        OutputFormat quiet = OutputFormatFactory.createFormatInstance(
                new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8), VerboseMode.SILENT);
        return new ArrayList<>(BenchmarkList.defaultList().find(quiet, List.of(regex == null ? SUITE : regex), List.of()));
    }

    /** Full names of the packed benchmarks matching {@code regex} (null: the suite), as JMH's include does. */
    static List<String> matching(String regex) {
        return names(find(regex));
    }

    private static List<String> names(List<BenchmarkListEntry> entries) {
        List<String> out = new ArrayList<>();
        for (BenchmarkListEntry e : entries) {
            if (!out.contains(e.getUsername())) {
                out.add(e.getUsername());
            }
        }
        return out;
    }

    /** What {@link #runSuite} runs: the suite's benchmarks in one JMH run, TaskBench's in another. */
    private record Selection(List<BenchmarkListEntry> suite, List<BenchmarkListEntry> tasks) {
    }

    private static Selection select(String regex, Settings s) {
        // the quick suite keeps TaskBench to the round trip the target is about (≤ 3-minute report)
        boolean quickSuite = regex == null && s.equals(Settings.of(true));
        List<BenchmarkListEntry> suite = new ArrayList<>();
        List<BenchmarkListEntry> tasks = new ArrayList<>();
        for (BenchmarkListEntry e : find(regex)) {
            if (!e.getUsername().matches(TASKS + ".*")) {
                suite.add(e);
            } else if (!quickSuite || e.getUsername().equals(QUICK_TASKS)) {
                tasks.add(e);
            }
        }
        return new Selection(suite, tasks);
    }

    /**
     * How many benchmark runs {@link #runSuite} makes: one per benchmark, mode and parameter
     * combination (JMH announces each with a {@code # Fork: 1 of N} line), in the suite's JMH run
     * and in TaskBench's.
     */
    record Runs(int suite, int tasks) {
    }

    /**
     * The {@link Runs} of {@link #runSuite}{@code (regex, s, ...)} on a machine with
     * {@code backends} Weft backends ({@code WriteBench.backend} takes that many values) and, when
     * {@code virtual}, a JDK 21+ for TaskBench's forks ({@code mode} takes both values, else
     * {@code handoff} only). Reads the benchmark list packed in this jar; starts nothing.
     */
    static Runs runs(String regex, Settings s, int backends, boolean virtual) {
        Selection sel = select(regex, s);
        int suite = 0;
        for (BenchmarkListEntry e : sel.suite()) {
            suite += combinations(e, "backend", Math.max(1, backends));
        }
        int tasks = 0;
        for (BenchmarkListEntry e : sel.tasks()) {
            tasks += combinations(e, "mode", virtual ? 2 : 1);
        }
        return new Runs(suite, tasks);
    }

    /** The parameter combinations of {@code e} when parameter {@code name} takes {@code values} values. */
    private static int combinations(BenchmarkListEntry e, String name, int values) {
        int n = 1;
        if (e.getParams().hasValue()) {
            for (Map.Entry<String, String[]> p : e.getParams().get().entrySet()) {
                n *= p.getKey().equals(name) ? values : p.getValue().length;
            }
        }
        return n;
    }

    /**
     * Runs the suite, passing each output line to {@code lines}; returns JMH's exit status (the
     * worse of the two runs). JMH goes on after a failing benchmark ({@code -foe false}); the JSON
     * holds those that ran. TaskBench runs separately, its forks on {@link #taskJvm()}, and its
     * results are appended to {@code json}.
     */
    static int runSuite(String regex, Settings s, Path json, Consumer<String> lines) throws IOException, InterruptedException {
        Selection sel = select(regex, s);
        List<String> tasks = names(sel.tasks());
        if (json != null) {
            Files.deleteIfExists(json); // the TaskBench results are appended to this run's only
        }
        int rc = 0;
        if (!sel.suite().isEmpty() || tasks.isEmpty()) {
            rc = run(command(regex, s, json), lines);
        }
        if (!tasks.isEmpty()) {
            TaskJvm jvm = taskJvm();
            lines.accept("# TaskBench forks: " + jvm.describe());
            Path tj = json == null ? null : json.resolveSibling(json.getFileName() + ".tasks");
            if (tj != null) {
                Files.deleteIfExists(tj);
            }
            rc = Math.max(rc, run(taskCommand(tasks, jvm, Settings.tasks(s), tj), lines));
            if (tj != null && Files.exists(tj)) {
                List<Object> merged = new ArrayList<>();
                if (Files.exists(json)) {
                    merged.addAll((List<?>) Json.parse(JmhResults.bareNonFiniteToNull(Files.readString(json, StandardCharsets.UTF_8))));
                }
                merged.addAll((List<?>) Json.parse(JmhResults.bareNonFiniteToNull(Files.readString(tj, StandardCharsets.UTF_8))));
                Files.writeString(json, Json.pretty(merged), StandardCharsets.UTF_8);
                Files.delete(tj);
            }
        }
        return rc;
    }

    private static int run(List<String> cmd, Consumer<String> lines) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String l;
            while ((l = r.readLine()) != null) {
                lines.accept(l);
            }
        }
        return p.waitFor();
    }

    /**
     * The JVM TaskBench forks on. {@code java} is the launcher of a JDK 21+ (virtual-thread tasks
     * need one), or null when there is none, with {@code skipReason} saying why; {@code version} is
     * its {@code JAVA_VERSION}.
     */
    record TaskJvm(String java, String version, String skipReason) {
        String describe() {
            return java != null ? java + " (JDK " + version + "), modes virtual and handoff"
                    : "this JVM (JDK " + Runtime.version() + "), mode handoff only; virtual skipped: " + skipReason;
        }
    }

    /** Where the build looks for its JDK 21+ ({@code weft.jdk21.home} in the root pom). */
    static final String DEFAULT_JDK21_HOME = "/usr/lib/jvm/temurin-25-jdk-amd64";

    /**
     * Finds the JDK 21+ for TaskBench's virtual mode: {@code -Dweft.jdk21.home}, else
     * {@code $WEFT_JDK21_HOME}, else {@value #DEFAULT_JDK21_HOME} if it exists, else this JVM if it
     * is 21+. An override that is not a JDK 21+ is not passed over silently: the virtual runs are
     * skipped, naming it.
     */
    static TaskJvm taskJvm() {
        String home = System.getProperty("weft.jdk21.home");
        String from = "-Dweft.jdk21.home";
        if (home == null || home.isBlank()) {
            home = System.getenv("WEFT_JDK21_HOME");
            from = "WEFT_JDK21_HOME";
        }
        if (home == null || home.isBlank()) {
            if (Files.isDirectory(Path.of(DEFAULT_JDK21_HOME))) {
                home = DEFAULT_JDK21_HOME;
                from = "the default place";
            } else if (Runtime.version().feature() >= 21) {
                return new TaskJvm(Proc.javaBin(), Runtime.version().toString(), null);
            } else {
                return new TaskJvm(null, null, "no JDK 21+: not at " + DEFAULT_JDK21_HOME + ", -Dweft.jdk21.home and"
                        + " WEFT_JDK21_HOME unset, and this JVM is JDK " + Runtime.version().feature());
            }
        }
        Path java = Path.of(home, "bin", "java");
        if (!Files.isExecutable(java)) {
            return new TaskJvm(null, null, home + " (" + from + ") has no executable bin/java");
        }
        String version = releaseVersion(Path.of(home, "release"));
        int feature;
        try {
            feature = Integer.parseInt(version.split("[.+-]")[0]);
        } catch (RuntimeException e) {
            return new TaskJvm(null, null, home + " (" + from + "): cannot tell its version from its release file");
        }
        if (feature < 21) {
            return new TaskJvm(null, null, home + " (" + from + ") is JDK " + version + ", virtual-thread tasks need 21+");
        }
        return new TaskJvm(java.toString(), version, null);
    }

    /** {@code JAVA_VERSION} of a JDK's {@code release} file, or "" when there is none. */
    static String releaseVersion(Path release) {
        try {
            for (String l : Files.readAllLines(release, StandardCharsets.UTF_8)) {
                if (l.startsWith("JAVA_VERSION=")) {
                    return l.substring(13).replace("\"", "").trim();
                }
            }
        } catch (IOException e) {
            // no release file: unknown version
        }
        return "";
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
            TaskJvm jvm = taskJvm();
            Map<String, Object> t = JmhResults.taskModes(es, jvm.describe(), jvm.skipReason());
            if (t != null) {
                System.out.println(JmhResults.taskTable(t));
            }
        }
        return rc;
    }
}
