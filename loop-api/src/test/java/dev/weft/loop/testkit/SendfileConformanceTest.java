package dev.weft.loop.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.loop.Capability;
import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Protocol;
import dev.weft.loop.SendfileNotAvailableException;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.Transport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.lang.reflect.Proxy;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * {@link EventLoop#sendfile} on a backend: asyncio's {@code test_sendfile.py} cases, over real
 * loopback sockets, a blocking reader on another thread as the peer. Each test ends (in
 * {@link LoopTestSupport}) by checking the loop closes with no live handle and no leaked descriptor.
 * The 1 GiB test runs only with {@code -Dweft.test.large=true}.
 */
@Timeout(120)
@TestMethodOrder(SeededRandomOrder.class)
public abstract class SendfileConformanceTest extends LoopTestSupport {
    private Path dir;
    private final List<FileChannel> opened = new ArrayList<>();

    @BeforeEach
    void makeDir() throws IOException {
        dir = Files.createTempDirectory("weft-sendfile");
    }

    @AfterEach
    void removeFiles() throws IOException {
        for (FileChannel f : opened) {
            f.close();
        }
        try (var s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }

    // ------------------------------------------------------------------ fixture

    /** The accepted side of one connection, and what its blocking peer received. */
    protected final class Link {
        final Server server;
        final Transport transport;
        final Receiver protocol;
        final CompletableFuture<byte[]> received;
        final Socket[] peer;

        Link(Server server, Transport transport, Receiver protocol, CompletableFuture<byte[]> received, Socket[] peer) {
            this.server = server;
            this.transport = transport;
            this.protocol = protocol;
            this.received = received;
            this.peer = peer;
        }

        /** Closes the transport, waits for everything the peer read until EOF, closes the server. */
        byte[] finish() {
            if (!transport.isClosing()) {
                transport.close();
            }
            byte[] got = await(LoopFuture.fromStage(loop, received));
            closeServer();
            return got;
        }

        void closeServer() {
            server.close();
            await(server.waitClosed());
            await(protocol.lost);
        }
    }

    /** Records its transport and what it reads. */
    protected static final class Receiver implements Protocol {
        final LoopFuture<Transport> made;
        final LoopFuture<Throwable> lost;
        final ByteArrayOutputStream data = new ByteArrayOutputStream();

        Receiver(EventLoop loop) {
            made = loop.createFuture();
            lost = loop.createFuture();
        }

        @Override
        public void connectionMade(Transport t) {
            made.setResult(t);
        }

        @Override
        public void dataReceived(DirectBuffer d) {
            byte[] b = new byte[d.capacity()];
            d.getBytes(0, b);
            data.write(b, 0, b.length);
        }

        @Override
        public void connectionLost(Throwable cause) {
            lost.setResult(cause);
        }
    }

    /** What the blocking peer does with its socket; returns what it received. */
    @FunctionalInterface
    protected interface Peer {
        byte[] run(Socket s) throws Exception;
    }

    /** A connection whose peer reads until EOF (or, with {@code readLimit} >= 0, resets after that many bytes). */
    protected Link connect(long readLimit) {
        return connect(s -> {
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                total += n;
                if (readLimit >= 0 && total >= readLimit) {
                    s.setSoLinger(true, 0);
                    break;
                }
            }
            return out.toByteArray();
        });
    }

    protected Link connect(Peer peerWork) {
        Receiver[] protocol = new Receiver[1];
        Server server = await(loop.createServer(() -> protocol[0] = new Receiver(loop), "127.0.0.1", 0,
                ServerOptions.DEFAULTS));
        int port = server.addresses().get(0).getPort();
        Socket[] peer = new Socket[1];
        CompletableFuture<Void> connected = new CompletableFuture<>();
        CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
                peer[0] = s;
                connected.complete(null);
                return peerWork.run(s);
            } catch (Exception e) {
                connected.complete(null);
                throw new CompletionException(e);
            }
        }, clients);
        await(LoopFuture.fromStage(loop, connected));
        Transport t = await(awaitMade(protocol));
        return new Link(server, t, protocol[0], received, peer);
    }

    private LoopFuture<Transport> awaitMade(Receiver[] protocol) {
        LoopFuture<Transport> f = loop.createFuture();
        Runnable[] poll = new Runnable[1];
        poll[0] = () -> {
            if (protocol[0] != null) {
                protocol[0].made.addDoneCallback(m -> f.setResult(m.result()));
            } else {
                loop.callLater(1, java.util.concurrent.TimeUnit.MILLISECONDS, poll[0]);
            }
        };
        loop.callSoon(poll[0]);
        return f;
    }

    protected FileChannel file(byte[] content) throws IOException {
        Path p = Files.createTempFile(dir, "f", ".bin");
        Files.write(p, content);
        FileChannel f = FileChannel.open(p, StandardOpenOption.READ);
        opened.add(f);
        return f;
    }

    protected static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p, 0, p.length);
        }
        return out.toByteArray();
    }

    // ------------------------------------------------------------------ tests

    @Test
    void shouldSendARandomFileByteForByteAndReturnTheCount() throws IOException {
        byte[] content = random(3 * 1024 * 1024 + 17, 1);
        FileChannel f = file(content);
        Link link = connect(-1);
        long sent = await(loop.sendfile(link.transport, f, 0, 0, true));
        assertEquals(content.length, sent);
        assertArrayEquals(content, link.finish());
        assertEquals(content.length, f.position(), "the file position is advanced by the bytes sent");
    }

    @Test
    void shouldUseTheKernelPathWithoutFallbackWhereTheBackendHasOne() throws IOException {
        assumeTrue(loop.supports(Capability.SENDFILE), "no kernel path on " + loop.backendName());
        byte[] content = random(2 * 1024 * 1024, 2);
        FileChannel f = file(content);
        Link link = connect(-1);
        long sent = await(loop.sendfile(link.transport, f, 0, 0, false));
        assertEquals(content.length, sent);
        assertArrayEquals(content, link.finish());
    }

    @Test
    void shouldHonourOffsetAndCount() throws IOException {
        byte[] content = random(1024 * 1024, 3);
        FileChannel f = file(content);
        Link link = connect(-1);
        long sent = await(loop.sendfile(link.transport, f, 1000, 300_001, true));
        assertEquals(300_001, sent);
        assertArrayEquals(Arrays.copyOfRange(content, 1000, 301_001), link.finish());
        assertEquals(301_001, f.position());
    }

    @Test
    void shouldSendNothingForAZeroSizeFileAndKeepTheStreamUsable() throws IOException {
        FileChannel f = file(new byte[0]);
        Link link = connect(-1);
        link.transport.write("a".getBytes(), 0, 1);
        long sent = await(loop.sendfile(link.transport, f, 0, 0, true));
        assertEquals(0, sent);
        link.transport.write("b".getBytes(), 0, 1);
        assertArrayEquals("ab".getBytes(), link.finish());
        assertEquals(0, f.position(), "nothing sent: the position stays");
    }

    @Test
    void shouldEndAtTheEndOfAFileShorterThanOffsetPlusCount() throws IOException {
        byte[] content = random(5000, 4);
        FileChannel f = file(content);
        Link link = connect(-1);
        assertEquals(4000, await(loop.sendfile(link.transport, f, 1000, 1_000_000, true)));
        assertEquals(0, await(loop.sendfile(link.transport, f, 9000, 10, true)), "an offset past the end sends nothing");
        assertArrayEquals(Arrays.copyOfRange(content, 1000, 5000), link.finish());
    }

    @Test
    void shouldKeepTheOrderOfWritesBeforeAndAfter() throws IOException {
        byte[] before = random(4 * 1024 * 1024, 5);
        byte[] content = random(1024 * 1024 + 3, 6);
        byte[] after = random(100_000, 7);
        FileChannel f = file(content);
        Link link = connect(-1);
        link.transport.write(before, 0, before.length);
        LoopFuture<Long> done = loop.sendfile(link.transport, f, 0, 0, true);
        assertEquals(content.length, await(done));
        link.transport.write(after, 0, after.length);
        assertArrayEquals(concat(before, content, after), link.finish());
    }

    @Test
    void shouldRefuseWritesWhileSendfileIsInProgress() throws IOException {
        byte[] content = random(8 * 1024 * 1024, 8);
        FileChannel f = file(content);
        // The peer reads only once the refusals are checked: a peer draining at once could take all
        // 8 MiB inside the sendfile call on the copying path, which would then be over already.
        CompletableFuture<Void> go = new CompletableFuture<>();
        Link link = connect(s -> {
            go.get(30, java.util.concurrent.TimeUnit.SECONDS);
            return s.getInputStream().readAllBytes();
        });
        LoopFuture<Long> done = loop.sendfile(link.transport, f, 0, 0, true);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> link.transport.write(new byte[1], 0, 1));
        assertTrue(e.getMessage().contains("sendfile is in progress"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> link.transport.write(ByteBuffer.allocate(1)));
        assertThrows(IllegalStateException.class, () -> link.transport.writeLines(List.of(new byte[1])));
        assertThrows(IllegalStateException.class, link.transport::writeEof);
        assertThrows(IllegalStateException.class, () -> loop.sendfile(link.transport, f, 0, 0, true));
        assertFalse(link.transport.isReading(), "reading is paused during sendfile");
        go.complete(null);
        assertEquals(content.length, await(done));
        assertTrue(link.transport.isReading(), "reading resumes after sendfile");
        link.transport.write(new byte[] {42}, 0, 1);
        assertArrayEquals(concat(content, new byte[] {42}), link.finish());
    }

    @Test
    void shouldDeliverDataReceivedDuringSendfileAfterwards() throws Exception {
        FileChannel f = file(random(4 * 1024 * 1024, 9));
        Link link = connect(-1);
        LoopFuture<Long> done = loop.sendfile(link.transport, f, 0, 0, true);
        whileLoopRuns(() -> {
            link.peer[0].getOutputStream().write("hello".getBytes());
            return null;
        });
        await(done);
        runFor(50);
        assertArrayEquals("hello".getBytes(), link.protocol.data.toByteArray());
        link.finish();
    }

    @Test
    void shouldCopyThroughTheTransportForAFileWithoutKernelPath() throws IOException {
        byte[] content = random(3 * 1024 * 1024 + 5, 10);
        FileChannel f = new ForeignChannel(file(content));
        Link link = connect(-1);
        link.transport.write("<".getBytes(), 0, 1);
        long sent = await(loop.sendfile(link.transport, f, 10, 0, true));
        assertEquals(content.length - 10, sent);
        link.transport.write(">".getBytes(), 0, 1);
        assertArrayEquals(concat("<".getBytes(), Arrays.copyOfRange(content, 10, content.length), ">".getBytes()),
                link.finish());
        assertEquals(content.length, f.position());
    }

    @Test
    void shouldFailWithSendfileNotAvailableWhenFallbackIsOffAndThereIsNoKernelPath() throws IOException {
        FileChannel f = loop.supports(Capability.SENDFILE) ? new ForeignChannel(file(random(1000, 11)))
                : file(random(1000, 11));
        Link link = connect(-1);
        SendfileNotAvailableException e = assertThrows(SendfileNotAvailableException.class,
                () -> loop.sendfile(link.transport, f, 0, 0, false));
        assertTrue(e.getMessage().startsWith("sendfile not available: "), e.getMessage());
        link.transport.write("still usable".getBytes(), 0, 12);
        assertArrayEquals("still usable".getBytes(), link.finish());
        assertEquals(0, f.position());
    }

    @Test
    void shouldFailAndCloseTheTransportWhenThePeerClosesMidway() throws IOException {
        byte[] content = random(32 * 1024 * 1024, 12);
        FileChannel f = file(content);
        Link link = connect(256 * 1024);
        LoopFuture<Long> done = loop.sendfile(link.transport, f, 0, 0, true);
        assertLostAfterTheBytesReported(link, done, f, content.length);
    }

    /**
     * {@code done} fails with a connection error that starts "sendfile: " and says how many bytes
     * went; the file's position (offset 0) is that count, more than none and less than
     * {@code size}; the transport is closed; the peer has finished.
     */
    private void assertLostAfterTheBytesReported(Link link, LoopFuture<Long> done, FileChannel f, int size)
            throws IOException {
        CompletionException e = assertThrows(CompletionException.class, () -> await(done));
        assertInstanceOf(IOException.class, e.getCause(), "a connection error: " + e.getCause());
        String message = e.getCause().getMessage();
        assertTrue(message.startsWith("sendfile: "), message);
        assertTrue(link.transport.isClosing(), "the transport is closed");
        long pos = f.position();
        Matcher reported = Pattern.compile(" after (\\d+) bytes").matcher(message);
        assertTrue(reported.find(), "the error says how many bytes went: " + message);
        assertEquals(Long.parseLong(reported.group(1)), pos, "the position is the bytes the error reports: " + message);
        assertTrue(pos > 0 && pos < size, "some of the file went, not all: " + pos);
        link.received.orTimeout(AWAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS).join();
        link.closeServer();
    }

    /**
     * The peer resets while the transfer waits for room in the socket buffers (the peer never
     * read): the read and the send fail together, in no order the kernel promises. The sendfile
     * fails, says how many bytes went, and leaves the position past them.
     */
    @Test
    void shouldFailWhenThePeerResetsWhileTheTransferWaitsForRoom() throws IOException {
        byte[] content = random(32 * 1024 * 1024, 16);
        FileChannel f = file(content);
        CompletableFuture<Void> reset = new CompletableFuture<>();
        Link link = connect(s -> {
            reset.join();
            s.setSoLinger(true, 0);
            return new byte[0];
        });
        LoopFuture<Long> done = loop.sendfile(link.transport, f, 0, 0, true);
        runFor(200);
        assertFalse(done.isDone(), "the file is larger than what the socket buffers hold");
        reset.complete(null);
        assertLostAfterTheBytesReported(link, done, f, content.length);
    }

    @Test
    void shouldFailWhenTheTransportIsClosedDuringSendfile() throws IOException {
        FileChannel f = file(random(32 * 1024 * 1024, 13));
        // The peer reads only after the close: a peer draining on another core while sendfile
        // starts can take the whole file before the close comes, and then nothing is in progress.
        CompletableFuture<Void> closed = new CompletableFuture<>();
        Link link = connect(s -> {
            closed.join();
            return s.getInputStream().readAllBytes();
        });
        LoopFuture<Long> done = loop.sendfile(link.transport, f, 0, 0, true);
        assertFalse(done.isDone(), "the file is larger than what the socket buffers hold");
        link.transport.close();
        closed.complete(null);
        CompletionException e = assertThrows(CompletionException.class, () -> await(done));
        assertInstanceOf(IOException.class, e.getCause());
        link.finish();
    }

    @Test
    void shouldStopWhenCancelledAndLeaveTheTransportUsable() throws IOException {
        byte[] content = random(16 * 1024 * 1024, 14);
        FileChannel f = file(content);
        Link link = connect(-1);
        LoopFuture<Long> done = loop.sendfile(link.transport, f, 0, 0, true);
        runFor(1);
        done.cancel();
        runFor(20);
        link.transport.write(new byte[] {1}, 0, 1);
        assertTrue(link.transport.isReading());
        byte[] got = link.finish();
        long pos = f.position();
        assertEquals(pos + 1, got.length, "the position counts the bytes the peer received");
        assertArrayEquals(Arrays.copyOf(content, (int) pos), Arrays.copyOf(got, (int) pos));
    }

    @Test
    void shouldRejectBadArgumentsBeforeChangingAnything() throws IOException {
        FileChannel f = file(random(100, 15));
        f.position(7);
        Link link = connect(-1);
        Transport t = link.transport;
        assertMessage(IllegalArgumentException.class, "offset must be >= 0: -1", () -> loop.sendfile(t, f, -1, 0, true));
        assertMessage(IllegalArgumentException.class, "count must be >= 0", () -> loop.sendfile(t, f, 0, -5, true));
        Path p = Files.createTempFile(dir, "w", ".bin");
        try (FileChannel writeOnly = FileChannel.open(p, StandardOpenOption.WRITE)) {
            assertMessage(IllegalArgumentException.class, "file is not open for reading",
                    () -> loop.sendfile(t, writeOnly, 0, 0, true));
        }
        FileChannel closed = FileChannel.open(p, StandardOpenOption.READ);
        closed.close();
        assertMessage(IllegalArgumentException.class, "file is closed", () -> loop.sendfile(t, closed, 0, 0, true));
        try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
            assertMessage(IllegalArgumentException.class, "file cannot be read",
                    () -> loop.sendfile(t, directory, 0, 0, true));
        } catch (IOException e) {
            // This platform does not open a directory as a channel: nothing to check.
        }
        Transport foreign = (Transport) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {Transport.class}, (proxy, m, args) -> m.getName().equals("toString") ? "a foreign transport" : null);
        assertMessage(IllegalArgumentException.class, "transport is not a stream transport of this loop",
                () -> loop.sendfile(foreign, f, 0, 0, true));
        assertThrows(NullPointerException.class, () -> loop.sendfile(null, f, 0, 0, true));
        assertThrows(NullPointerException.class, () -> loop.sendfile(t, null, 0, 0, true));
        assertEquals(7, f.position(), "nothing changed");
        assertTrue(t.isReading());
        t.write("ok".getBytes(), 0, 2);
        assertArrayEquals("ok".getBytes(), link.finish());
    }

    @Test
    void shouldSendAOneGibibyteFileInChunks() throws Exception {
        assumeTrue(Boolean.getBoolean("weft.test.large"), "1 GiB sendfile runs with -Dweft.test.large=true");
        long size = Long.getLong("weft.test.large.bytes", (1L << 30) + 4097);
        Path p = Files.createTempFile(dir, "big", ".bin");
        MessageDigest expected = MessageDigest.getInstance("SHA-256");
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(size);
            Random r = new Random(16);
            byte[] block = new byte[1 << 20];
            for (long at = 0; at < size; at += block.length) {
                int n = (int) Math.min(block.length, size - at);
                if ((at >> 20) % 7 == 0) {
                    r.nextBytes(block);
                    raf.seek(at);
                    raf.write(block, 0, n);
                } else {
                    Arrays.fill(block, (byte) 0);
                }
                expected.update(block, 0, n);
            }
        }
        FileChannel f = FileChannel.open(p, StandardOpenOption.READ);
        opened.add(f);
        Link link = connect(s -> {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            InputStream in = s.getInputStream();
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return md.digest();
        });
        long start = System.nanoTime();
        long sent = await(loop.sendfile(link.transport, f, 0, 0, true));
        long micros = (System.nanoTime() - start) / 1000;
        assertEquals(size, sent);
        assertArrayEquals(expected.digest(), link.finish(), "SHA-256 of what the peer received");
        System.out.println("sendfile of " + size + " bytes on " + loop.backendName() + ": " + micros + " us");
    }

    private static void assertMessage(Class<? extends Throwable> type, String start, org.junit.jupiter.api.function.Executable call) {
        Throwable e = assertThrows(type, call);
        assertTrue(e.getMessage().startsWith(start), "message '" + e.getMessage() + "' should start with '" + start + "'");
    }

    /** A FileChannel that is not the JDK's: no descriptor, so sendfile copies. */
    static final class ForeignChannel extends FileChannel {
        private final FileChannel in;

        ForeignChannel(FileChannel in) {
            this.in = in;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return in.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return in.read(dsts, offset, length);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return in.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            return in.write(srcs, offset, length);
        }

        @Override
        public long position() throws IOException {
            return in.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            in.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return in.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            in.truncate(size);
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            in.force(metaData);
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            throw new UnsupportedOperationException("the copying path must not call transferTo");
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            return in.transferFrom(src, position, count);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return in.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            return in.write(src, position);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return in.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return in.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return in.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            in.close();
        }
    }
}
