package dev.weft.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The peers' sources shipped inside the jar ({@code /peers/...}), extracted on demand into a cache
 * folder keyed by content hash: {@code $WEFT_BENCH_CACHE}, else {@code $XDG_CACHE_HOME/weft-bench},
 * else {@code ~/.cache/weft-bench}. Thread-safe enough for one process (extraction writes a temp
 * file, then renames it atomically).
 */
final class Resources {
    private Resources() {
    }

    static Path cacheRoot() {
        String env = System.getenv("WEFT_BENCH_CACHE");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "weft-bench");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "weft-bench");
    }

    static byte[] read(String resource) throws IOException {
        try (InputStream in = Resources.class.getResourceAsStream("/peers/" + resource)) {
            if (in == null) {
                throw new IOException("resource /peers/" + resource + " is missing from the bench jar");
            }
            return in.readAllBytes();
        }
    }

    static String hash(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Extracts {@code /peers/<resource>} and returns its path in the cache. */
    static Path extract(String resource) throws IOException {
        byte[] data = read(resource);
        return write(cacheRoot().resolve(hash(data)), resource, data);
    }

    /**
     * Extracts {@code /peers/<resource>} for each of {@code resources} into one cache folder, keyed
     * by the hash of them all (sources that include each other must sit side by side); returns the
     * path of the first.
     */
    static Path extractTogether(List<String> resources) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        List<byte[]> data = new ArrayList<>();
        for (String r : resources) {
            byte[] d = read(r);
            data.add(d);
            all.writeBytes(r.getBytes(StandardCharsets.UTF_8));
            all.write(0);
            all.writeBytes(d);
        }
        Path dir = cacheRoot().resolve(hash(all.toByteArray()));
        Path first = null;
        for (int i = 0; i < resources.size(); i++) {
            Path p = write(dir, resources.get(i), data.get(i));
            first = first == null ? p : first;
        }
        return first;
    }

    private static Path write(Path dir, String resource, byte[] data) throws IOException {
        Path target = dir.resolve(Path.of(resource).getFileName().toString());
        if (Files.isRegularFile(target) && Files.size(target) == data.length) {
            return target;
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "extract", ".tmp");
        Files.write(tmp, data);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    /**
     * Compiles the C echo server with {@code gcc} (once per source version) and returns the binary.
     * Fails with the compiler's output when it does not build.
     */
    static Path compileCEcho(Path gcc) throws IOException {
        Path src = extract("c/echo_epoll.c");
        Path bin = src.resolveSibling("echo_epoll");
        if (Files.isExecutable(bin)) {
            return bin;
        }
        Path tmp = src.resolveSibling("echo_epoll." + ProcessHandle.current().pid() + ".tmp");
        Proc.Result r = Proc.run(List.of(gcc.toString(), "-O2", "-Wall", "-o", tmp.toString(), src.toString()), 120);
        if (r.exit() != 0) {
            Files.deleteIfExists(tmp);
            throw new IOException("gcc failed (" + r.exit() + "): " + r.out());
        }
        Files.move(tmp, bin, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return bin;
    }
}
