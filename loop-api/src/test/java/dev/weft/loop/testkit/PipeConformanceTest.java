package dev.weft.loop.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.Capability;
import dev.weft.loop.Connection;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.PipeEnd;
import dev.weft.loop.Protocol;
import dev.weft.loop.Transport;
import dev.weft.loop.UnsupportedCapabilityException;
import java.io.IOException;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipe suite (asyncio's {@code connect_read_pipe} / {@code connect_write_pipe}): every backend
 * with {@link Capability#PIPES} runs it through a subclass naming the backend and the kind of pipe
 * end it takes; the others skip it with their reason. Each test ends, in {@link LoopTestSupport}, by
 * checking that the loop closes with no live handle and no leaked descriptor.
 */
@Timeout(60)
public abstract class PipeConformanceTest extends DescriptorTestSupport {
    @TempDir
    Path tmp;

    @BeforeEach
    void requirePipes() {
        requireCapability(Capability.PIPES);
    }

    static byte[] pattern(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Writes its data in chunks while not paused; closes the transport when all is written if asked. */
    static final class Writer implements Protocol {
        static final int CHUNK = 64 * 1024;
        final byte[] data;
        final boolean closeWhenDone;
        final LoopFuture<Throwable> lost;
        Transport transport;
        int sent;
        int pauses;
        int maxWriteBuffer;
        boolean paused;

        Writer(dev.weft.loop.EventLoop loop, byte[] data, boolean closeWhenDone) {
            this.data = data;
            this.closeWhenDone = closeWhenDone;
            this.lost = loop.createFuture();
        }

        @Override
        public void connectionMade(Transport t) {
            transport = t;
            pump();
        }

        void pump() {
            while (!paused && sent < data.length && !transport.isClosing()) {
                int n = Math.min(CHUNK, data.length - sent);
                transport.write(data, sent, n);
                sent += n;
                maxWriteBuffer = Math.max(maxWriteBuffer, transport.getWriteBufferSize());
            }
            if (sent == data.length && closeWhenDone) {
                transport.close();
            }
        }

        @Override
        public void pauseWriting() {
            paused = true;
            pauses++;
        }

        @Override
        public void resumeWriting() {
            paused = false;
            pump();
        }

        @Override
        public void dataReceived(DirectBuffer data) {
            throw new AssertionError("a write pipe transport never reads");
        }

        @Override
        public void connectionLost(Throwable cause) {
            lost.setResult(cause);
        }
    }

    @Test
    void shouldDeliverDataThenEofFromAReadPipe() throws Exception {
        TestPipe p = newPipe();
        PipeEnd end = p.giveRead();
        TestProtocols.Collector c = new TestProtocols.Collector(loop);
        Connection<TestProtocols.Collector> conn = await(loop.connectReadPipe(() -> c, end));
        assertTrue(c.made.isDone(), "connectionMade ran before the future completed");
        assertEquals(end.handle(), conn.transport().extraInfo(Transport.PIPE));
        assertTrue(conn.transport().isReading());
        whileLoopRuns(() -> {
            p.write("hello, pipe".getBytes(StandardCharsets.US_ASCII));
            p.closeWrite();
            return null;
        });
        assertNull(await(c.lost), "a pipe's EOF is an orderly close");
        assertTrue(c.eof.isDone(), "eofReceived before connectionLost");
        assertEquals("hello, pipe", c.bytes.toString(StandardCharsets.US_ASCII));
        assertTrue(conn.transport().isClosing());
    }

    @Test
    void shouldCloseAReadPipeAtEofEvenWhenTheProtocolAsksToKeepItOpen() throws Exception {
        TestPipe p = newPipe();
        TestProtocols.Collector c = new TestProtocols.Collector(loop);
        c.keepOpenOnEof = true;
        await(loop.connectReadPipe(() -> c, p.giveRead()));
        p.closeWrite();
        assertNull(await(c.lost), "nothing is left to do after a pipe's EOF: the transport closes");
        assertTrue(c.eof.isDone());
    }

    @Test
    void shouldRefuseEveryWriteOnAReadPipe() throws Exception {
        TestPipe p = newPipe();
        TestProtocols.Collector c = new TestProtocols.Collector(loop);
        Transport t = await(loop.connectReadPipe(() -> c, p.giveRead())).transport();
        assertFalse(t.canWriteEof());
        for (Runnable write : new Runnable[] {() -> t.write(new byte[] {1}), () -> t.write(java.nio.ByteBuffer.allocate(1)),
                () -> t.writeLines(java.util.List.of(new byte[] {1})), t::writeEof}) {
            IllegalStateException e = assertThrows(IllegalStateException.class, write::run);
            assertEquals("cannot write to a read pipe transport", e.getMessage());
        }
        assertFalse(t.isClosing(), "a refused write changes nothing");
        t.close();
        assertNull(await(c.lost));
    }

    @Test
    void shouldWriteThroughAWritePipeThenCloseOnWriteEof() throws Exception {
        TestPipe p = newPipe();
        Writer w = new Writer(loop, "to the reader".getBytes(StandardCharsets.US_ASCII), false);
        Transport t = await(loop.connectWritePipe(() -> w, p.giveWrite())).transport();
        assertTrue(t.canWriteEof());
        assertFalse(t.isReading(), "a write pipe never reads");
        t.writeEof();
        assertTrue(t.isClosing(), "a pipe has no half-close: writeEof closes it");
        byte[] got = whileLoopRuns(p::readToEof);
        assertEquals("to the reader", new String(got, StandardCharsets.US_ASCII));
        assertNull(await(w.lost));
    }

    @Test
    void shouldMoveSixteenMebibytesBetweenTwoPipeTransportsHonouringFlowControl() throws Exception {
        int total = 16 << 20;
        byte[] data = pattern(total, 16);
        TestPipe p = newPipe();
        TestProtocols.Collector reader = new TestProtocols.Collector(loop);
        await(loop.connectReadPipe(() -> reader, p.giveRead()));
        Writer w = new Writer(loop, data, true);
        await(loop.connectWritePipe(() -> w, p.giveWrite()));
        assertNull(await(w.lost), "the writer closes cleanly once everything went out");
        assertNull(await(reader.lost), "the reader sees EOF after the last byte");
        assertArrayEquals(data, reader.bytes.toByteArray(), "16 MiB through the pipe byte for byte");
        assertTrue(w.pauses > 0, "the pipe filled and the writer was paused");
        assertTrue(w.maxWriteBuffer <= Transport.DEFAULT_HIGH_WATER + Writer.CHUNK,
                "write buffer " + w.maxWriteBuffer + " exceeded the high-water mark plus one write");
    }

    @Test
    void shouldReadSixteenMebibytesWrittenByAnotherThread() throws Exception {
        int total = 16 << 20;
        byte[] data = pattern(total, 17);
        TestPipe p = newPipe();
        TestProtocols.Collector c = new TestProtocols.Collector(loop);
        await(loop.connectReadPipe(() -> c, p.giveRead()));
        whileLoopRuns(() -> {
            p.write(data);
            p.closeWrite();
            return null;
        });
        assertNull(await(c.lost));
        assertArrayEquals(data, c.bytes.toByteArray());
    }

    @Test
    void shouldStopReadingWhilePaused() throws Exception {
        TestPipe p = newPipe();
        TestProtocols.Collector c = new TestProtocols.Collector(loop);
        Transport t = await(loop.connectReadPipe(() -> c, p.giveRead())).transport();
        t.pauseReading();
        assertFalse(t.isReading());
        whileLoopRuns(() -> {
            p.write(new byte[] {1, 2, 3});
            return null;
        });
        runFor(100);
        assertEquals(0, c.bytes.size(), "nothing is read while reading is paused");
        t.resumeReading();
        assertTrue(t.isReading());
        assertEquals(3, await(c.atLeast(3)));
        t.close();
        assertNull(await(c.lost));
    }

    @Test
    void shouldFlushQueuedBytesOnClose() throws Exception {
        byte[] data = pattern(1 << 20, 3);
        TestPipe p = newPipe();
        Writer w = new Writer(loop, new byte[0], false);
        Transport t = await(loop.connectWritePipe(() -> w, p.giveWrite())).transport();
        t.write(data);
        assertTrue(t.getWriteBufferSize() > 0, "1 MiB does not fit in a pipe: some is queued");
        t.close();
        assertTrue(t.isClosing());
        byte[] got = whileLoopRuns(p::readToEof);
        assertArrayEquals(data, got, "close sends what was queued, then EOF");
        assertNull(await(w.lost));
    }

    @Test
    void shouldDropQueuedBytesOnAbort() throws Exception {
        byte[] data = pattern(1 << 20, 4);
        TestPipe p = newPipe();
        Writer w = new Writer(loop, new byte[0], false);
        Transport t = await(loop.connectWritePipe(() -> w, p.giveWrite())).transport();
        t.write(data);
        int queued = t.getWriteBufferSize();
        assertTrue(queued > 0);
        t.abort();
        byte[] got = whileLoopRuns(p::readToEof);
        assertEquals(data.length - queued, got.length, "abort drops what was queued");
        assertNull(await(w.lost));
    }

    @Test
    void shouldReportABrokenPipeWhenTheReaderClosesWhileWriting() throws Exception {
        TestPipe p = newPipe();
        Writer w = new Writer(loop, pattern(4 << 20, 5), false);
        Transport t = await(loop.connectWritePipe(() -> w, p.giveWrite())).transport();
        assertTrue(w.paused && t.getWriteBufferSize() > 0, "the pipe is full and bytes are queued");
        p.closeRead();
        Throwable cause = await(w.lost);
        assertInstanceOf(IOException.class, cause, "queued bytes cannot reach a closed reader");
        String msg = cause.getMessage().toLowerCase(java.util.Locale.ROOT);
        assertTrue(msg.contains("broken pipe") || msg.contains("epipe"), cause.getMessage());
        assertTrue(t.isClosing());
    }

    @Test
    void shouldFailTheNextWriteWhenTheReaderHasClosed() throws Exception {
        TestPipe p = newPipe();
        Writer w = new Writer(loop, new byte[0], false);
        Transport t = await(loop.connectWritePipe(() -> w, p.giveWrite())).transport();
        p.closeRead();
        t.write(new byte[] {1, 2, 3});
        Throwable cause = await(w.lost);
        assertInstanceOf(IOException.class, cause);
        String msg = cause.getMessage().toLowerCase(java.util.Locale.ROOT);
        assertTrue(msg.contains("broken pipe") || msg.contains("epipe"), cause.getMessage());
    }

    @Test
    void shouldCloseAnIdleWritePipeWhenItsReaderCloses() throws Exception {
        requireRawDescriptors("a java.nio Pipe.SinkChannel cannot be watched for its reader closing");
        TestPipe p = newPipe();
        Writer w = new Writer(loop, new byte[0], false);
        Transport t = await(loop.connectWritePipe(() -> w, p.giveWrite())).transport();
        p.closeRead();
        assertNull(await(w.lost), "nothing was queued, so nothing was lost (as asyncio)");
        assertTrue(t.isClosing());
    }

    @Test
    void shouldReadAndWriteThroughAFifo() throws Exception {
        requireRawDescriptors("java.nio cannot open a FIFO as a selectable channel");
        Path fifo = tmp.resolve("weft.fifo");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).redirectErrorStream(true).start();
        assertEquals(0, mk.waitFor(), "mkfifo " + fifo + ": " + new String(mk.getInputStream().readAllBytes()));
        int readFd = PosixTestCalls.openPath(fifo.toString(), PosixTestCalls.O_RDONLY | PosixTestCalls.O_NONBLOCK);
        int writeFd;
        try {
            writeFd = PosixTestCalls.openPath(fifo.toString(), PosixTestCalls.O_WRONLY | PosixTestCalls.O_NONBLOCK);
        } catch (IOException e) {
            PosixTestCalls.close(readFd);
            throw e;
        }
        TestProtocols.Collector reader = new TestProtocols.Collector(loop);
        await(loop.connectReadPipe(() -> reader, PipeEnd.ofFd(readFd)));
        byte[] data = pattern(1 << 20, 6);
        Writer w = new Writer(loop, data, true);
        await(loop.connectWritePipe(() -> w, PipeEnd.ofFd(writeFd)));
        assertNull(await(w.lost));
        assertNull(await(reader.lost));
        assertArrayEquals(data, reader.bytes.toByteArray());
    }

    @Test
    void shouldReadThroughASocketGivenAsAPipe() throws Exception {
        requireRawDescriptors("covered by the channel kinds on java.nio");
        int[] sv = PosixTestCalls.socketPair();
        TestProtocols.Collector c = new TestProtocols.Collector(loop);
        try {
            await(loop.connectReadPipe(() -> c, PipeEnd.ofFd(sv[0])));
            PosixTestCalls.writeAll(sv[1], "over a socket".getBytes(StandardCharsets.US_ASCII));
        } finally {
            PosixTestCalls.close(sv[1]);
        }
        assertNull(await(c.lost));
        assertEquals("over a socket", c.bytes.toString(StandardCharsets.US_ASCII));
    }

    @Test
    void shouldReadAndWriteThroughACharacterDevice() throws Exception {
        requireRawDescriptors("java.nio has no selectable channel over a terminal");
        int[] pty = PosixTestCalls.openPty();
        int slave = pty[1];
        try {
            TestProtocols.Collector fromTerminal = new TestProtocols.Collector(loop);
            Transport master = await(loop.connectReadPipe(() -> fromTerminal, PipeEnd.ofFd(pty[0]))).transport();
            PosixTestCalls.writeAll(slave, "ping\n".getBytes(StandardCharsets.US_ASCII));
            await(fromTerminal.atLeast(5));
            assertTrue(fromTerminal.bytes.toString(StandardCharsets.US_ASCII).startsWith("ping"),
                    fromTerminal.bytes.toString(StandardCharsets.US_ASCII));
            master.close();
            assertNull(await(fromTerminal.lost));
        } finally {
            PosixTestCalls.close(slave);
        }
    }

    @Test
    void shouldCloseThePipeWhenTheLoopClosesWithTheTransportOpen() throws Exception {
        TestPipe p = newPipe();
        TestProtocols.Collector c = new TestProtocols.Collector(loop);
        await(loop.connectReadPipe(() -> c, p.giveRead()));
        assertEquals(1, loop.liveHandles());
        loop.close();
        // The descriptor check after the test proves the read end was closed with the loop.
        assertFalse(c.lost.isDone(), "no callback runs once the loop is closed");
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void shouldRejectANegativeDescriptorNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PipeEnd.ofFd(-1));
        assertEquals("fd must be >= 0: -1", e.getMessage());
    }

    @Test
    void shouldRejectNullArguments() throws Exception {
        TestPipe p = newPipe();
        assertThrows(NullPointerException.class, () -> loop.connectReadPipe(null, p.readEnd()));
        assertThrows(NullPointerException.class, () -> loop.connectWritePipe(() -> new Writer(loop, new byte[0], false), null));
        assertEquals(0, loop.liveHandles());
    }

    @Test
    void shouldRejectAClosedDescriptorNamingIt() throws Exception {
        requireRawDescriptors("a channel cannot be given as a descriptor number");
        int[] fds = PosixTestCalls.pipe();
        PosixTestCalls.close(fds[0]);
        PosixTestCalls.close(fds[1]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> loop.connectReadPipe(() -> new TestProtocols.Collector(loop), PipeEnd.ofFd(fds[0])));
        assertTrue(e.getMessage().startsWith("pipe: fd " + fds[0] + " is not an open descriptor"), e.getMessage());
        assertTrue(e.getMessage().contains("EBADF"), e.getMessage());
        assertEquals(0, loop.liveHandles());
    }

    @Test
    void shouldRejectARegularFileAsAsyncioDoes() throws Exception {
        requireRawDescriptors("java.nio has no selectable channel over a regular file");
        Path file = Files.writeString(tmp.resolve("plain.txt"), "not a pipe");
        int fd = PosixTestCalls.openPath(file.toString(), PosixTestCalls.O_RDONLY);
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> loop.connectReadPipe(() -> new TestProtocols.Collector(loop), PipeEnd.ofFd(fd)));
            assertEquals("pipe: fd " + fd + " is a regular file: not a pipe, FIFO, socket or character device", e.getMessage());
            byte[] buf = new byte[16];
            assertEquals(10, PosixTestCalls.readSome(fd, buf), "the caller keeps a rejected descriptor, unchanged");
        } finally {
            PosixTestCalls.close(fd);
        }
        assertEquals(0, loop.liveHandles());
    }

    @Test
    void shouldRejectADirectory() throws Exception {
        requireRawDescriptors("java.nio has no selectable channel over a directory");
        int fd = PosixTestCalls.openPath(tmp.toString(), PosixTestCalls.O_RDONLY | PosixTestCalls.O_DIRECTORY);
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> loop.connectWritePipe(() -> new Writer(loop, new byte[0], false), PipeEnd.ofFd(fd)));
            assertEquals("pipe: fd " + fd + " is a directory: not a pipe, FIFO, socket or character device", e.getMessage());
        } finally {
            PosixTestCalls.close(fd);
        }
    }

    @Test
    void shouldRejectAnEndOpenInTheWrongDirection() throws Exception {
        TestPipe p = newPipe();
        Exception e = assertThrows(IllegalArgumentException.class,
                () -> loop.connectReadPipe(() -> new TestProtocols.Collector(loop), p.writeEnd()));
        assertTrue(e.getMessage().startsWith("pipe: "), e.getMessage());
        assertTrue(e.getMessage().contains(takesRawDescriptors() ? "open for writing only" : "not a ReadableByteChannel"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> loop.connectWritePipe(() -> new Writer(loop, new byte[0], false), p.readEnd()));
        assertTrue(e.getMessage().contains(takesRawDescriptors() ? "open for reading only" : "not a WritableByteChannel"),
                e.getMessage());
        // Both ends are still the test's and still work.
        whileLoopRuns(() -> {
            p.write(new byte[] {42});
            byte[] one = new byte[1];
            assertEquals(1, p.read(one));
            return null;
        });
        assertEquals(0, loop.liveHandles());
    }

    @Test
    void shouldRejectTheKindOfPipeEndTheBackendCannotUse() throws Exception {
        if (takesRawDescriptors()) {
            Pipe nio = Pipe.open();
            try {
                UnsupportedCapabilityException e = assertThrows(UnsupportedCapabilityException.class,
                        () -> loop.connectReadPipe(() -> new TestProtocols.Collector(loop), PipeEnd.of(nio.source())));
                assertTrue(e.getMessage().startsWith("unsupported on " + loop.backendName() + ": java.nio does not expose"),
                        e.getMessage());
                assertTrue(nio.source().isOpen());
            } finally {
                nio.source().close();
                nio.sink().close();
            }
        } else {
            UnsupportedCapabilityException e = assertThrows(UnsupportedCapabilityException.class,
                    () -> loop.connectReadPipe(() -> new TestProtocols.Collector(loop), PipeEnd.ofFd(0)));
            assertTrue(e.getMessage().startsWith("unsupported on " + loop.backendName()
                    + ": java.nio cannot watch a raw descriptor"), e.getMessage());
        }
        assertEquals(0, loop.liveHandles());
    }

    @Test
    void shouldRejectAClosedOrUnreadableChannel() throws Exception {
        assumeChannels();
        Pipe nio = Pipe.open();
        nio.source().close();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> loop.connectReadPipe(() -> new TestProtocols.Collector(loop), PipeEnd.of(nio.source())));
        assertTrue(e.getMessage().endsWith(" is closed"), e.getMessage());
        nio.sink().close();
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            e = assertThrows(IllegalArgumentException.class,
                    () -> loop.connectReadPipe(() -> new TestProtocols.Collector(loop), PipeEnd.of(listener)));
            assertTrue(e.getMessage().contains("is not a ReadableByteChannel"), e.getMessage());
        }
        assertEquals(0, loop.liveHandles());
    }

    private void assumeChannels() {
        org.junit.jupiter.api.Assumptions.assumeFalse(takesRawDescriptors(),
                "the " + loop.backendName() + " backend takes raw descriptors, not channels");
    }

    @Test
    void shouldFailTheFutureAndCloseThePipeWhenTheProtocolFactoryFails() throws Exception {
        TestPipe p = newPipe();
        LoopFuture<Connection<TestProtocols.Collector>> f = loop.connectReadPipe(() -> {
            throw new IllegalStateException("no protocol today");
        }, p.giveRead());
        assertTrue(f.isDone());
        assertEquals("no protocol today", f.exception().getMessage());
        assertEquals(0, loop.liveHandles());
        // The descriptor check after the test proves the read end was closed.
    }
}
