package dev.weft.loop.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The per-OS tables: complete everywhere; the Linux one equal to the installed C headers. */
@Timeout(60)
class PosixAbiTest {
    /**
     * Table entries that are not C expressions (facts about the OS, checked by behaviour instead), and
     * SO_REUSEPORT_LB, FreeBSD's name, which on Linux stands for SO_REUSEPORT (checked below).
     */
    private static final List<String> NOT_IN_HEADERS = List.of("HAS_ACCEPT4", "SOCKADDR_HAS_LEN", "SO_NOSIGPIPE",
            "SO_REUSEPORT_LB");

    @Test
    void shouldLoadEveryOsTableWithEveryValue() {
        for (PosixAbi abi : List.of(LinuxAbi.ABI, DarwinAbi.ABI, FreeBsdAbi.ABI)) {
            assertEquals(16, abi.IOVEC_SIZE, abi.os);
            assertEquals("EAGAIN", abi.errnoName(abi.EAGAIN), abi.os);
            assertEquals("ECONNRESET", abi.errnoName(abi.ECONNRESET), abi.os);
        }
        assertEquals(LinuxAbi.VALUES.keySet(), DarwinAbi.VALUES.keySet());
        assertEquals(LinuxAbi.VALUES.keySet(), FreeBsdAbi.VALUES.keySet());
        assertFalse(LinuxAbi.ABI.SOCKADDR_HAS_LEN);
        assertTrue(DarwinAbi.ABI.SOCKADDR_HAS_LEN);
        assertTrue(FreeBsdAbi.ABI.SOCKADDR_HAS_LEN);
    }

    @Test
    void shouldPickTheTableByOsName() {
        assertSame(LinuxAbi.ABI, PosixAbi.forOsName("Linux"));
        assertSame(DarwinAbi.ABI, PosixAbi.forOsName("Mac OS X"));
        assertSame(FreeBsdAbi.ABI, PosixAbi.forOsName("FreeBSD"));
        assertEquals(null, PosixAbi.forOsName("Windows 11"));
    }

    @Test
    void shouldMatchTheLinuxHeadersForEveryConstantSizeAndOffset() throws Exception {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "Linux only");
        String cc = findCompiler();
        assumeTrue(cc != null, "no C compiler (cc/gcc) on PATH: the header check is skipped");
        Path dir = Files.createTempDirectory("weft-abi");
        try {
            StringBuilder c = new StringBuilder();
            c.append("#define _GNU_SOURCE\n#include <stdio.h>\n#include <stddef.h>\n#include <errno.h>\n")
                    .append("#include <fcntl.h>\n#include <sys/socket.h>\n#include <sys/uio.h>\n")
                    .append("#include <sys/un.h>\n#include <netinet/in.h>\n#include <netinet/tcp.h>\n\nint main(void) {\n");
            List<String> keys = new ArrayList<>();
            for (String k : LinuxAbi.VALUES.keySet()) {
                if (!NOT_IN_HEADERS.contains(k)) {
                    keys.add(k);
                    c.append("    printf(\"%ld\\n\", (long) (").append(k).append("));\n");
                }
            }
            c.append("    return 0;\n}\n");
            Path src = dir.resolve("abi.c");
            Files.writeString(src, c.toString());
            Path exe = dir.resolve("abi");
            run(dir, cc, "-o", exe.toString(), src.toString());
            List<String> out = run(dir, exe.toString());
            assertEquals(keys.size(), out.size(), "one line per value");
            Map<String, String> mismatches = new LinkedHashMap<>();
            for (int i = 0; i < keys.size(); i++) {
                long header = Long.parseLong(out.get(i).trim());
                int table = LinuxAbi.VALUES.get(keys.get(i));
                if (header != table) {
                    mismatches.put(keys.get(i), "table " + table + ", header " + header);
                }
            }
            assertTrue(mismatches.isEmpty(), "LinuxAbi differs from the headers: " + mismatches);
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void shouldNameErrnosLikeTheCLibraryDescribesThem() {
        assumeTrue(PosixAbi.current() == LinuxAbi.ABI, "Linux only");
        // strerror comes from the C library; the name from our table: both must agree on the number.
        assertEquals("Connection refused", Posix.strerror(LinuxAbi.ABI.ECONNREFUSED));
        assertEquals("Connection reset by peer", Posix.strerror(LinuxAbi.ABI.ECONNRESET));
        assertEquals("Operation now in progress", Posix.strerror(LinuxAbi.ABI.EINPROGRESS));
        assertEquals("Too many open files", Posix.strerror(LinuxAbi.ABI.EMFILE));
        assertEquals("Broken pipe", Posix.strerror(LinuxAbi.ABI.EPIPE));
        var e = Posix.error("connect(127.0.0.1:9)", LinuxAbi.ABI.ECONNREFUSED);
        assertEquals("connect(127.0.0.1:9) failed: ECONNREFUSED (111): Connection refused", e.getMessage());
        assertNotNull(Posix.os());
    }

    private static String findCompiler() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : List.of("cc", "gcc")) {
                File f = new File(dir, name);
                if (f.canExecute()) {
                    return f.getPath();
                }
            }
        }
        return null;
    }

    private static List<String> run(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "timed out: " + String.join(" ", cmd));
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + text);
        return text.isEmpty() ? List.of() : List.of(text.split("\n"));
    }

    @Test
    void shouldBalanceListenersWithSoReusePortOnLinuxAndSoReusePortLbOnFreeBsdOnly() {
        assertEquals(LinuxAbi.VALUES.get("SO_REUSEPORT"), LinuxAbi.VALUES.get("SO_REUSEPORT_LB"),
                "Linux spreads connections over the SO_REUSEPORT listeners of a port");
        assertEquals(0x10000, FreeBsdAbi.VALUES.get("SO_REUSEPORT_LB"), "FreeBSD 12+ <sys/socket.h>");
        assertEquals(0, DarwinAbi.VALUES.get("SO_REUSEPORT_LB"), "macOS has none");
    }
}
