package dev.weft.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The published javadoc's promise: every public type of a package that {@code module-info.java}
 * exports to everyone says which threads may use it (the loop thread only, or any thread). Read
 * from the sources, so that a new public type without that sentence fails here, not in a review.
 */
class ApiJavadocTest {
    private static final Path SOURCES = Path.of("src/main/java");
    private static final Pattern EXPORT = Pattern.compile("^\\s*exports\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern PUBLIC_TYPE = Pattern.compile(
            "^\\s*public\\s+(?:(?:static|final|abstract|sealed|non-sealed|strictfp)\\s+)*"
                    + "(?:class|interface|enum|record|@interface)\\s+(\\w+)");
    private static final Pattern THREADS = Pattern.compile("thread", Pattern.CASE_INSENSITIVE);

    static List<String> exportedToAll() throws IOException {
        Matcher m = EXPORT.matcher(Files.readString(SOURCES.resolve("module-info.java")));
        List<String> packages = new ArrayList<>();
        while (m.find()) {
            packages.add(m.group(1));
        }
        return packages;
    }

    /** "File:line Type" of every public type in {@code source} whose javadoc says nothing of threads. */
    static List<String> silentOnThreads(Path file, String source) {
        List<String> silent = new ArrayList<>();
        String[] lines = source.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher m = PUBLIC_TYPE.matcher(lines[i]);
            if (!m.find()) {
                continue;
            }
            int j = i - 1;
            while (j >= 0 && lines[j].trim().startsWith("@")) {
                j--;
            }
            StringBuilder doc = new StringBuilder();
            if (j >= 0 && lines[j].trim().endsWith("*/")) {
                int k = j;
                while (k >= 0 && !lines[k].contains("/**")) {
                    k--;
                }
                for (int n = Math.max(k, 0); n <= j; n++) {
                    doc.append(lines[n]).append('\n');
                }
            }
            if (!THREADS.matcher(doc).find()) {
                silent.add(file.getFileName() + ":" + (i + 1) + " " + m.group(1));
            }
        }
        return silent;
    }

    @Test
    void shouldSayWhichThreadsMayUseEveryPublicTypeOfAnExportedPackage() throws IOException {
        List<String> packages = exportedToAll();
        assertFalse(packages.isEmpty(), "no unqualified export found in " + SOURCES.resolve("module-info.java"));
        List<String> silent = new ArrayList<>();
        for (String p : packages) {
            try (Stream<Path> files = Files.list(SOURCES.resolve(p.replace('.', '/')))) {
                for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                    String name = f.getFileName().toString();
                    if (name.endsWith(".java") && !name.equals("package-info.java")) {
                        silent.addAll(silentOnThreads(f, Files.readString(f)));
                    }
                }
            }
        }
        assertEquals(List.of(), silent, "public types whose javadoc does not say which threads may use them");
    }

    @Test
    void shouldFindAPublicTypeWithoutAThreadSentence() {
        String source = "/** A value. */\n@Deprecated\npublic final class Quiet {\n"
                + "    /** Loop thread only. */\n    public interface Told {\n    }\n"
                + "    public enum Undocumented { A }\n}\n";
        assertEquals(List.of("Quiet.java:3 Quiet", "Quiet.java:7 Undocumented"),
                silentOnThreads(Path.of("Quiet.java"), source));
    }
}
