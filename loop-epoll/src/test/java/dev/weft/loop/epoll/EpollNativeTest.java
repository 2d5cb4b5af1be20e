package dev.weft.loop.epoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Native;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every epoll constant and the epoll_event layout, against the headers and the kernel. */
@Timeout(60)
class EpollNativeTest {
    @BeforeAll
    static void linux() {
        assumeTrue(new EpollBackend().isAvailable(), "epoll unavailable here");
    }

    @Test
    void shouldWriteEpollEventsWithTheStrideAndDataOffsetTheKernelUses() {
        if (EpollNative.isX86_64(System.getProperty("os.arch"))) {
            assertEquals(12, EpollNative.EVENT_SIZE, "packed on x86_64");
            assertEquals(4, EpollNative.EVENT_DATA);
        }
        int ep = EpollNative.epoll_create1(EpollNative.EPOLL_CLOEXEC);
        int a = EpollNative.eventfd(0, EpollNative.EFD_NONBLOCK | EpollNative.EFD_CLOEXEC);
        int b = EpollNative.eventfd(0, EpollNative.EFD_NONBLOCK | EpollNative.EFD_CLOEXEC);
        assertTrue(ep >= 0 && a >= 0 && b >= 0);
        ByteBuffer mem = ByteBuffer.allocateDirect(256);
        long addr = BufferUtil.address(mem);
        UnsafeBuffer buf = new UnsafeBuffer(mem);
        try {
            long dataA = 0x1122334455667788L;
            long dataB = 0x0102030405060708L;
            buf.putInt(EpollNative.EVENT_EVENTS, EpollNative.EPOLLIN);
            buf.putLong(EpollNative.EVENT_DATA, dataA);
            assertEquals(0, EpollNative.epoll_ctl(ep, EpollNative.EPOLL_CTL_ADD, a, addr));
            buf.putLong(EpollNative.EVENT_DATA, dataB);
            assertEquals(0, EpollNative.epoll_ctl(ep, EpollNative.EPOLL_CTL_ADD, b, addr));
            buf.putLong(0, 1L);
            assertEquals(8, EpollNative.write(a, addr, 8));
            assertEquals(8, EpollNative.write(b, addr, 8));
            buf.setMemory(0, 256, (byte) 0xAA);
            assertEquals(2, EpollNative.epoll_wait(ep, addr, 2, 1000));
            long seen0 = buf.getLong(EpollNative.EVENT_DATA);
            long seen1 = buf.getLong(EpollNative.EVENT_SIZE + EpollNative.EVENT_DATA);
            assertEquals(EpollNative.EPOLLIN, buf.getInt(EpollNative.EVENT_EVENTS));
            assertEquals(EpollNative.EPOLLIN, buf.getInt(EpollNative.EVENT_SIZE + EpollNative.EVENT_EVENTS));
            assertEquals(Math.min(dataA, dataB), Math.min(seen0, seen1), "data words at the expected offsets");
            assertEquals(Math.max(dataA, dataB), Math.max(seen0, seen1));
            assertEquals((byte) 0xAA, buf.getByte(2 * EpollNative.EVENT_SIZE), "the kernel wrote 2 events, no more");
            // Errors come back through getLastError, without an exception.
            assertEquals(-1, EpollNative.epoll_ctl(ep, EpollNative.EPOLL_CTL_ADD, a, addr));
            assertEquals(17, Native.getLastError(), "EEXIST");
        } finally {
            EpollNative.close(a);
            EpollNative.close(b);
            EpollNative.close(ep);
        }
    }

    @Test
    void shouldMatchTheHeaders() throws Exception {
        String cc = null;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (new File(dir, "cc").canExecute()) {
                cc = new File(dir, "cc").getPath();
                break;
            }
        }
        assumeTrue(cc != null, "no C compiler: the header check is skipped");
        Map<String, Long> expect = new LinkedHashMap<>();
        expect.put("EPOLL_CLOEXEC", (long) EpollNative.EPOLL_CLOEXEC);
        expect.put("EPOLL_CTL_ADD", (long) EpollNative.EPOLL_CTL_ADD);
        expect.put("EPOLL_CTL_DEL", (long) EpollNative.EPOLL_CTL_DEL);
        expect.put("EPOLL_CTL_MOD", (long) EpollNative.EPOLL_CTL_MOD);
        expect.put("EPOLLIN", (long) EpollNative.EPOLLIN);
        expect.put("EPOLLOUT", (long) EpollNative.EPOLLOUT);
        expect.put("EPOLLERR", (long) EpollNative.EPOLLERR);
        expect.put("EPOLLHUP", (long) EpollNative.EPOLLHUP);
        expect.put("EPOLLRDHUP", (long) EpollNative.EPOLLRDHUP);
        expect.put("(int) EPOLLET", (long) EpollNative.EPOLLET);
        expect.put("EFD_CLOEXEC", (long) EpollNative.EFD_CLOEXEC);
        expect.put("EFD_NONBLOCK", (long) EpollNative.EFD_NONBLOCK);
        expect.put("EINTR", (long) EpollNative.EINTR);
        expect.put("EAGAIN", (long) EpollNative.EAGAIN);
        expect.put("sizeof(struct epoll_event)", (long) EpollNative.EVENT_SIZE);
        expect.put("offsetof(struct epoll_event, events)", (long) EpollNative.EVENT_EVENTS);
        expect.put("offsetof(struct epoll_event, data)", (long) EpollNative.EVENT_DATA);
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include <errno.h>\n"
                + "#include <sys/epoll.h>\n#include <sys/eventfd.h>\nint main(void) {\n");
        for (String k : expect.keySet()) {
            c.append("    printf(\"%ld\\n\", (long) (").append(k).append("));\n");
        }
        c.append("    return 0;\n}\n");
        Path dir = Files.createTempDirectory("weft-epoll");
        Path src = dir.resolve("e.c");
        Files.writeString(src, c.toString());
        Path exe = dir.resolve("e");
        try {
            run(cc, "-o", exe.toString(), src.toString());
            List<String> out = run(exe.toString());
            int i = 0;
            Map<String, String> bad = new LinkedHashMap<>();
            for (Map.Entry<String, Long> e : expect.entrySet()) {
                long header = Long.parseLong(out.get(i++).trim());
                if (header != e.getValue()) {
                    bad.put(e.getKey(), "java " + e.getValue() + ", header " + header);
                }
            }
            assertTrue(bad.isEmpty(), "EpollNative differs from the headers: " + bad);
        } finally {
            Files.deleteIfExists(exe);
            Files.deleteIfExists(src);
            Files.deleteIfExists(dir);
        }
    }

    private static List<String> run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return List.of(out.split("\n"));
    }
}
