package dev.weft.loop.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.loop.NativeIOException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileKindTest {
    @TempDir
    Path tmp;

    @Test
    void shouldMatchTheHeaderOffsetOfStModeOnThisMachine() throws Exception {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "Linux only");
        String cc = findCompiler();
        assumeTrue(cc != null, "no C compiler (cc/gcc) on PATH: the header check is skipped");
        Path src = tmp.resolve("stat.c");
        Files.writeString(src, "#include <stdio.h>\n#include <stddef.h>\n#include <sys/stat.h>\n"
                + "int main(void) { printf(\"%ld %ld %ld\\n\", (long) offsetof(struct stat, st_mode),"
                + " (long) sizeof(((struct stat *)0)->st_mode), (long) sizeof(struct stat)); return 0; }\n");
        Path exe = tmp.resolve("stat");
        run(cc, "-o", exe.toString(), src.toString());
        String[] v = run(exe.toString()).trim().split(" ");
        assertEquals(Integer.parseInt(v[0]), FileKind.modeOffset("Linux", System.getProperty("os.arch")), "offsetof st_mode");
        assertTrue(Integer.parseInt(v[1]) >= 2, "st_mode holds at least the 16 bits read");
        assertTrue(Integer.parseInt(v[2]) <= FileKind.STAT_BUFFER, "struct stat fits the buffer");
    }

    @Test
    void shouldTellPipesSocketsDevicesFilesAndDirectoriesApart() throws Exception {
        assumeTrue(Posix.unavailabilityCause() == null, "no POSIX layer here");
        Path file = Files.writeString(tmp.resolve("f"), "x");
        assertEquals(FileKind.REGULAR_FILE, kindOfPath(file.toString()));
        assertEquals(FileKind.CHARACTER_DEVICE, kindOfPath("/dev/null"));
        assertEquals(FileKind.DIRECTORY, kindOfPath(tmp.toString()));
        PosixSocket s = new PosixSocketFactory().openStream(java.net.StandardProtocolFamily.INET);
        try {
            assertEquals(FileKind.SOCKET, FileKind.of(s.fd()));
        } finally {
            s.close();
        }
        assertEquals(FileKind.FIFO, FileKind.ofMode(FileKind.S_IFIFO | 0600));
    }

    @Test
    void shouldFailWithEbadfForAClosedDescriptor() throws Exception {
        assumeTrue(Posix.unavailabilityCause() == null, "no POSIX layer here");
        PosixSocket s = new PosixSocketFactory().openStream(java.net.StandardProtocolFamily.INET);
        int fd = s.fd();
        s.close();
        NativeIOException e = assertThrows(NativeIOException.class, () -> FileKind.of(fd));
        assertEquals("EBADF", e.errorName());
        assertTrue(e.getMessage().startsWith("fstat(fd " + fd + ")"), e.getMessage());
    }

    /** Opens {@code path} read-only, asks its kind, closes it. */
    private static FileKind kindOfPath(String path) throws Exception {
        com.sun.jna.Function open = com.sun.jna.Function.getFunction(com.sun.jna.Platform.C_LIBRARY_NAME, "open");
        int fd = open.invokeInt(new Object[] {path, 0});
        assertTrue(fd >= 0, "open(" + path + ")");
        try {
            return FileKind.of(fd);
        } finally {
            Posix.close(fd, path);
        }
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

    private String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "timed out: " + String.join(" ", cmd));
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + text);
        return text;
    }
}
