package dev.weft.loop.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.Capability;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.UnsupportedCapabilityException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectableChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The descriptor-watch suite (asyncio's {@code add_reader} / {@code add_writer}): every backend with
 * {@link Capability#WATCH_FD} runs it with the kind of handle it watches (raw descriptors, or
 * java.nio channels); the others skip it with their reason. The watched handles are the test's and
 * stay open; each test ends by checking no live handle and no leaked descriptor.
 */
@Timeout(60)
public abstract class FdWatchConformanceTest extends DescriptorTestSupport {
    @TempDir
    Path tmp;

    @BeforeEach
    void requireWatching() {
        requireCapability(Capability.WATCH_FD);
    }

    /**
     * Why the backend cannot watch an eventfd (an anonymous inode), or null when it can. Where it
     * cannot, {@code shouldIntegrateAnEventfd} checks instead that the watch is refused cleanly.
     */
    protected String refusesAnonymousInodes() {
        return null;
    }

    /** The read end of a fresh pipe as the backend watches it, with reads the callback can make. */
    private Watched readEndOf(TestPipe p) throws IOException {
        if (takesRawDescriptors()) {
            int fd = ((FdPipe) p).readFd;
            return new Watched(fd, null);
        }
        Pipe.SourceChannel src = ((ChannelPipe) p).pipe.source();
        src.configureBlocking(false);
        return new Watched(-1, src);
    }

    private Watched writeEndOf(TestPipe p) throws IOException {
        if (takesRawDescriptors()) {
            return new Watched(((FdPipe) p).writeFd, null);
        }
        Pipe.SinkChannel sink = ((ChannelPipe) p).pipe.sink();
        sink.configureBlocking(false);
        return new Watched(-1, sink);
    }

    /** A descriptor or a channel, with the loop calls for whichever it is. */
    private final class Watched {
        final int fd;
        final SelectableChannel channel;

        Watched(int fd, SelectableChannel channel) {
            this.fd = fd;
            this.channel = channel;
        }

        void addReader(Runnable r) {
            if (channel != null) {
                loop.addReader(channel, r);
            } else {
                loop.addReader(fd, r);
            }
        }

        boolean removeReader() {
            return channel != null ? loop.removeReader(channel) : loop.removeReader(fd);
        }

        void addWriter(Runnable r) {
            if (channel != null) {
                loop.addWriter(channel, r);
            } else {
                loop.addWriter(fd, r);
            }
        }

        boolean removeWriter() {
            return channel != null ? loop.removeWriter(channel) : loop.removeWriter(fd);
        }
    }

    @Test
    void shouldCallTheReaderWhenAPipeBecomesReadableAndNeverCloseIt() throws Exception {
        TestPipe p = newPipe();
        Watched w = readEndOf(p);
        LoopFuture<String> got = loop.createFuture();
        StringBuilder seen = new StringBuilder();
        w.addReader(() -> {
            byte[] buf = new byte[64];
            try {
                int n = p.read(buf);
                seen.append(new String(buf, 0, n, java.nio.charset.StandardCharsets.US_ASCII));
            } catch (IOException e) {
                got.setException(e);
                return;
            }
            if (seen.length() >= 4 && !got.isDone()) {
                got.setResult(seen.toString());
            }
        });
        assertEquals(1, loop.liveHandles(), "a watched descriptor is a live handle");
        whileLoopRuns(() -> {
            p.write("ping".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return null;
        });
        assertEquals("ping", await(got));
        assertTrue(w.removeReader(), "there was a reader");
        assertFalse(w.removeReader(), "there is none any more");
        assertEquals(0, loop.liveHandles());
        // Still open and still the test's.
        p.write(new byte[] {7});
        byte[] one = new byte[1];
        assertEquals(1, p.read(one));
        assertEquals(7, one[0]);
    }

    @Test
    void shouldReplaceTheReaderCallback() throws Exception {
        TestPipe p = newPipe();
        Watched w = readEndOf(p);
        AtomicInteger first = new AtomicInteger();
        LoopFuture<Void> second = loop.createFuture();
        w.addReader(first::incrementAndGet);
        w.addReader(() -> {
            try {
                p.read(new byte[16]);
            } catch (IOException e) {
                second.setException(e);
                return;
            }
            if (!second.isDone()) {
                second.setResult(null);
            }
        });
        p.write(new byte[] {1});
        await(second);
        assertEquals(0, first.get(), "the replaced callback is not called");
        assertEquals(1, loop.liveHandles(), "one target, one handle");
        assertTrue(w.removeReader());
    }

    @Test
    void shouldCallTheWriterWhileWritableUntilRemoved() throws Exception {
        TestPipe p = newPipe();
        Watched w = writeEndOf(p);
        AtomicInteger calls = new AtomicInteger();
        LoopFuture<Void> called = loop.createFuture();
        w.addWriter(() -> {
            if (calls.incrementAndGet() == 3) {
                called.setResult(null);
            }
        });
        await(called);
        assertTrue(w.removeWriter());
        assertFalse(w.removeWriter());
        int after = calls.get();
        runFor(50);
        assertEquals(after, calls.get(), "a removed writer is not called");
        assertEquals(0, loop.liveHandles());
    }

    @Test
    void shouldKeepTheWriterWhenTheReaderOfTheSameTargetIsRemoved() throws Exception {
        requireRawDescriptors("a java.nio pipe end is either readable or writable, not both");
        int[] sv = PosixTestCalls.socketPair();
        try {
            AtomicInteger reads = new AtomicInteger();
            LoopFuture<Void> wrote = loop.createFuture();
            loop.addReader(sv[0], reads::incrementAndGet);
            loop.addWriter(sv[0], () -> {
                if (!wrote.isDone()) {
                    wrote.setResult(null);
                }
            });
            assertEquals(1, loop.liveHandles());
            assertTrue(loop.removeReader(sv[0]));
            await(wrote);
            assertEquals(0, reads.get(), "nothing was readable");
            assertTrue(loop.removeWriter(sv[0]));
            assertEquals(0, loop.liveHandles());
        } finally {
            PosixTestCalls.close(sv[0]);
            PosixTestCalls.close(sv[1]);
        }
    }

    @Test
    void shouldIntegrateAnEventfd() throws Exception {
        requireRawDescriptors("an eventfd is a raw descriptor");
        int efd = PosixTestCalls.eventfd(0, PosixTestCalls.O_NONBLOCK | PosixTestCalls.O_CLOEXEC);
        assertTrue(efd >= 0, "eventfd");
        if (refusesAnonymousInodes() != null) {
            try {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loop.addReader(efd, () -> { }),
                        refusesAnonymousInodes());
                assertTrue(e.getMessage().startsWith("fd " + efd + " cannot be watched"), e.getMessage());
                assertFalse(loop.removeReader(efd));
                assertEquals(0, loop.liveHandles());
            } finally {
                PosixTestCalls.close(efd);
            }
            return;
        }
        try {
            List<Long> counts = new ArrayList<>();
            LoopFuture<Void> done = loop.createFuture();
            loop.addReader(efd, () -> {
                byte[] b = new byte[8];
                if (PosixTestCalls.readSome(efd, b) == 8) {
                    counts.add(ByteBuffer.wrap(b).order(java.nio.ByteOrder.nativeOrder()).getLong());
                    if (!done.isDone()) {
                        done.setResult(null);
                    }
                }
            });
            byte[] five = ByteBuffer.allocate(8).order(java.nio.ByteOrder.nativeOrder()).putLong(5).array();
            whileLoopRuns(() -> {
                PosixTestCalls.writeAll(efd, five);
                return null;
            });
            await(done);
            assertEquals(List.of(5L), counts);
            assertTrue(loop.removeReader(efd));
        } finally {
            PosixTestCalls.close(efd);
        }
    }

    @Test
    void shouldWatchASocketOwnedByTheTest() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            if (takesRawDescriptors()) {
                int[] sv = PosixTestCalls.socketPair();
                try {
                    watchSocket(sv);
                } finally {
                    PosixTestCalls.close(sv[0]);
                    PosixTestCalls.close(sv[1]);
                }
                return;
            }
            try (SocketChannel client = SocketChannel.open(listener.getLocalAddress());
                 SocketChannel server = listener.accept()) {
                server.configureBlocking(false);
                LoopFuture<String> got = loop.createFuture();
                loop.addReader(server, () -> {
                    ByteBuffer b = ByteBuffer.allocate(16);
                    try {
                        int n = server.read(b);
                        got.setResult(new String(b.array(), 0, n, java.nio.charset.StandardCharsets.US_ASCII));
                    } catch (IOException e) {
                        got.setException(e);
                    }
                    loop.removeReader(server);
                });
                client.write(ByteBuffer.wrap("sock".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
                assertEquals("sock", await(got));
                assertFalse(loop.removeReader(server), "the callback removed itself");
                assertTrue(server.isOpen(), "the loop never closes a watched channel");
            }
        }
    }

    private void watchSocket(int[] sv) throws Exception {
        LoopFuture<String> got = loop.createFuture();
        loop.addReader(sv[0], () -> {
            byte[] b = new byte[16];
            int n = PosixTestCalls.readSome(sv[0], b);
            got.setResult(new String(b, 0, n, java.nio.charset.StandardCharsets.US_ASCII));
            loop.removeReader(sv[0]);
        });
        PosixTestCalls.writeAll(sv[1], "sock".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals("sock", await(got));
        assertFalse(loop.removeReader(sv[0]), "the callback removed itself");
        PosixTestCalls.writeAll(sv[1], new byte[] {1});
        assertEquals(1, PosixTestCalls.readSome(sv[0], new byte[1]), "the loop never closes a watched descriptor");
    }

    @Test
    void shouldReportWhatACallbackThrowsAndGoOn() throws Exception {
        TestPipe p = newPipe();
        Watched w = readEndOf(p);
        List<ExceptionContext> errors = new ArrayList<>();
        loop.setExceptionHandler((l, ctx) -> errors.add(ctx));
        LoopFuture<Void> later = loop.createFuture();
        w.addReader(() -> {
            try {
                p.read(new byte[16]);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            throw new IllegalStateException("reader failed");
        });
        p.write(new byte[] {1});
        loop.callLater(50, java.util.concurrent.TimeUnit.MILLISECONDS, () -> later.setResult(null));
        await(later);
        assertFalse(errors.isEmpty(), "the exception handler heard of it");
        assertEquals("reader failed", errors.get(0).exception().getMessage());
        assertTrue(errors.get(0).message().contains("reader callback"), errors.get(0).message());
        assertTrue(w.removeReader(), "the watch survives a throwing callback");
    }

    @Test
    void shouldDropWatchesButNotCloseTargetsWhenTheLoopCloses() throws Exception {
        TestPipe p = newPipe();
        Watched w = readEndOf(p);
        w.addReader(() -> { });
        loop.close();
        p.write(new byte[] {9});
        byte[] one = new byte[1];
        assertEquals(1, p.read(one), "the watched end is still open after the loop closed");
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void shouldRejectANegativeDescriptor() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loop.addReader(-1, () -> { }));
        assertEquals("fd must be >= 0: -1", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> loop.removeWriter(-2));
        assertEquals(0, loop.liveHandles());
    }

    @Test
    void shouldRejectANullCallback() throws Exception {
        TestPipe p = newPipe();
        Watched w = readEndOf(p);
        assertThrows(NullPointerException.class, () -> w.addReader(null));
        assertEquals(0, loop.liveHandles());
    }

    @Test
    void shouldRejectAClosedDescriptorNamingIt() throws Exception {
        requireRawDescriptors("a channel cannot be given as a descriptor number");
        // A number far above the lowest free one: a descriptor just closed could be reused at once
        // by another thread of this JVM (a class file opened) before the call, and be a regular file.
        int closed = 10_000;
        while (PosixTestCalls.isOpen(closed)) {
            closed++;
        }
        int fd = closed;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loop.addReader(fd, () -> { }));
        assertTrue(e.getMessage().startsWith("fd " + fd + " cannot be watched"), e.getMessage());
        assertTrue(e.getMessage().contains("EBADF"), e.getMessage());
        assertFalse(loop.removeReader(fd));
        assertEquals(0, loop.liveHandles());
    }

    @Test
    void shouldRejectARegularFile() throws Exception {
        requireRawDescriptors("java.nio has no selectable channel over a regular file");
        Path file = Files.writeString(tmp.resolve("plain.txt"), "x");
        int fd = PosixTestCalls.openPath(file.toString(), PosixTestCalls.O_RDONLY);
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loop.addReader(fd, () -> { }));
            assertTrue(e.getMessage().startsWith("fd " + fd + " cannot be watched"), e.getMessage());
            assertEquals(0, loop.liveHandles());
        } finally {
            PosixTestCalls.close(fd);
        }
    }

    @Test
    void shouldRejectADescriptorATransportOfTheLoopOwns() throws Exception {
        requireRawDescriptors("a pipe transport's channel is the loop's");
        TestPipe p = newPipe();
        int fd = ((FdPipe) p).readFd;
        TestProtocols.Collector c = new TestProtocols.Collector(loop);
        dev.weft.loop.Transport t = await(loop.connectReadPipe(() -> c, p.giveRead())).transport();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loop.addReader(fd, () -> { }));
        assertTrue(e.getMessage().contains("already registered"), e.getMessage());
        assertFalse(loop.removeReader(fd), "the transport's registration is not the user's to remove");
        t.close();
        await(c.lost);
    }

    @Test
    void shouldRejectTheKindOfHandleTheBackendCannotWatch() throws Exception {
        if (takesRawDescriptors()) {
            Pipe nio = Pipe.open();
            try {
                nio.source().configureBlocking(false);
                UnsupportedCapabilityException e = assertThrows(UnsupportedCapabilityException.class,
                        () -> loop.addReader(nio.source(), () -> { }));
                assertTrue(e.getMessage().startsWith("unsupported on " + loop.backendName() + ": java.nio does not expose"),
                        e.getMessage());
            } finally {
                nio.source().close();
                nio.sink().close();
            }
        } else {
            UnsupportedCapabilityException e = assertThrows(UnsupportedCapabilityException.class,
                    () -> loop.addReader(0, () -> { }));
            assertTrue(e.getMessage().startsWith("unsupported on nio: java.nio cannot watch a raw descriptor"), e.getMessage());
            assertSame(Capability.WATCH_FD, e.capability());
            assertFalse(loop.removeReader(0));
        }
        assertEquals(0, loop.liveHandles());
    }

    @Test
    void shouldRejectABlockingOrClosedChannel() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(takesRawDescriptors(),
                "the " + loop.backendName() + " backend watches raw descriptors, not channels");
        Pipe nio = Pipe.open();
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> loop.addReader(nio.source(), () -> { }));
            assertTrue(e.getMessage().contains("is in blocking mode"), e.getMessage());
            assertTrue(nio.source().isBlocking(), "the caller's channel is left as it was");
            nio.source().close();
            e = assertThrows(IllegalArgumentException.class, () -> loop.addReader(nio.source(), () -> { }));
            assertTrue(e.getMessage().endsWith(" is closed"), e.getMessage());
        } finally {
            nio.source().close();
            nio.sink().close();
        }
        assertEquals(0, loop.liveHandles());
    }
}
