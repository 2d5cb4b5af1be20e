package dev.weft.loop.iocp;

import static dev.weft.loop.iocp.IocpTestLoops.driver;
import static dev.weft.loop.iocp.IocpTestLoops.runFor;
import static dev.weft.loop.iocp.WinConstants.ERROR_OPERATION_ABORTED;
import static dev.weft.loop.iocp.WinConstants.WSAECONNRESET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Protocol;
import dev.weft.loop.transport.StreamCore;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * sendfile on an {@link IocpStream} whose handle is played by the test: the test decides in which
 * order the port delivers the completions of a read and a TransmitFile that both end when the peer
 * resets the connection. The kernel gives no order between them; the bytes the sendfile reports,
 * and the file's position, must not depend on it.
 */
@EnabledOnOs(OS.WINDOWS)
@Timeout(60)
class IocpStreamSendfileTest {
    private static final int SENT_BEFORE_RESET = 256 * 1024;
    private static final int FILE_SIZE = 1 << 20;

    /** A handle that starts nothing: it records the OVERLAPPED of each operation the stream starts. */
    static final class ScriptedHandle implements StreamHandle {
        long readOverlapped;
        long transmitOverlapped;
        int transmitCount;
        long cancelled;
        boolean closed;

        @Override
        public int register(Completion owner) {
            return Integer.MAX_VALUE;
        }

        @Override
        public void read(Completion owner, long overlapped, long buffer, int length, long area) {
            readOverlapped = overlapped;
        }

        @Override
        public void write(Completion owner, long overlapped, long buffer, int length, long area) {
            throw new AssertionError("no write is expected");
        }

        @Override
        public boolean emptyReadIsEof() {
            return true;
        }

        @Override
        public boolean isEnd(int error) {
            return false;
        }

        @Override
        public IOException readFailure(int error) {
            return WinError.exception("WSARecv", error);
        }

        @Override
        public IOException writeFailure(int error) {
            return WinError.exception("WSASend", error);
        }

        @Override
        public int sendNow(long address, int length) {
            return 0;
        }

        @Override
        public void shutdownOutput() {
        }

        @Override
        public void cancel(long overlapped) {
            cancelled = overlapped;
        }

        @Override
        public void close(boolean reset, boolean inFlight, long area) {
            closed = true;
        }

        @Override
        public String sendFileUnsupported(FileChannel file) {
            return FileHandles.unsupported(file);
        }

        @Override
        public void transmit(Completion owner, long overlapped, long file, int count) {
            transmitOverlapped = overlapped;
            transmitCount = count;
        }

        @Override
        public Object info(String name) {
            return null;
        }
    }

    static final class Lost implements Protocol {
        final LoopFuture<Throwable> lost;

        Lost(EventLoop loop) {
            lost = loop.createFuture();
        }

        @Override
        public void dataReceived(DirectBuffer data) {
        }

        @Override
        public void connectionLost(Throwable cause) {
            lost.setResult(cause);
        }
    }

    /**
     * Best effort: after a failed assertion the duplicate of the file's handle that a TransmitFile
     * in flight holds is still open, and deleting would hide the failure.
     */
    private static void removeQuietly(Path file, Path dir) {
        try {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // Left in the temporary folder.
        }
    }

    /**
     * An iocp loop, a file of {@link #FILE_SIZE} zero bytes, and a started, reading stream over a
     * {@link ScriptedHandle}. Closing closes the file and the loop and removes the file.
     */
    private static final class Scripted implements AutoCloseable {
        final Path dir = Files.createTempDirectory("weft-iocp-sendfile");
        final Path path = dir.resolve("f.bin");
        final EventLoop loop;
        final FileChannel file;
        final ScriptedHandle handle = new ScriptedHandle();
        final Lost protocol;
        final IocpStream stream;
        final StreamCore transport;

        Scripted() throws Exception {
            Files.write(path, new byte[FILE_SIZE]);
            loop = EventLoop.builder().backend("iocp").build();
            file = FileChannel.open(path, StandardOpenOption.READ);
            protocol = new Lost(loop);
            stream = new IocpStream(driver(loop), handle, protocol, null, StreamCore.Direction.BOTH,
                    IocpStream.READ_SIZE);
            transport = stream.transport();
            transport.start();
        }

        @Override
        public void close() throws IOException {
            try {
                file.close();
                loop.close();
            } finally {
                removeQuietly(path, dir);
            }
        }
    }

    /** What the sendfile's future said when it completed, and the file's position at that moment. */
    private static final class Outcome {
        String message;
        long positionWhenDone = -1;
    }

    /**
     * The peer resets after {@link #SENT_BEFORE_RESET} bytes: the read fails, and the TransmitFile
     * completes with {@code transmitError} (the reset, or ERROR_OPERATION_ABORTED when the stream
     * cancelled it) and those bytes.
     */
    private void resetDuringTransmitFile(boolean readCompletesFirst, int transmitError) throws Exception {
        long blocks = Mem.liveAllocations();
        try (Scripted s = new Scripted()) {
            EventLoop loop = s.loop;
            FileChannel file = s.file;
            ScriptedHandle handle = s.handle;
            IocpStream stream = s.stream;
            StreamCore transport = s.transport;
            assertNotEquals(0, handle.readOverlapped, "reading: a read is posted");

            LoopFuture<Long> done = loop.sendfile(transport, file, 0, 0, true);
            assertNotEquals(0, handle.transmitOverlapped, "the whole file in one TransmitFile");
            assertEquals(FILE_SIZE, handle.transmitCount);
            Outcome outcome = new Outcome();
            done.addDoneCallback(f -> {
                outcome.message = f.exception() == null ? "completed" : f.exception().getMessage();
                try {
                    outcome.positionWhenDone = file.position();
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });

            // The peer read 256 KiB and reset: the read and the TransmitFile both fail.
            Runnable readFails = () -> stream.complete(handle.readOverlapped, WSAECONNRESET, 0);
            Runnable transmitFails = () -> stream.complete(handle.transmitOverlapped, transmitError,
                    SENT_BEFORE_RESET);
            loop.callSoon(readCompletesFirst ? readFails : transmitFails);
            runFor(loop, 20);
            if (readCompletesFirst) {
                assertFalse(done.isDone(), "the sendfile waits for the TransmitFile in flight: " + outcome.message);
                assertEquals(handle.transmitOverlapped, handle.cancelled,
                        "the TransmitFile is cancelled once the read has failed (Wine may never complete it)");
            } else {
                assertEquals(0, handle.cancelled, "nothing is cancelled");
            }
            loop.callSoon(readCompletesFirst ? transmitFails : readFails);
            Throwable cause = loop.runUntilComplete(s.protocol.lost);

            assertTrue(done.isDone());
            assertTrue(outcome.message.startsWith("sendfile: the connection was lost after " + SENT_BEFORE_RESET
                    + " bytes"), outcome.message);
            assertEquals(SENT_BEFORE_RESET, outcome.positionWhenDone, "the position counts the TransmitFile's bytes");
            assertTrue(String.valueOf(cause.getMessage()).contains("WSAECONNRESET"), String.valueOf(cause));
            assertTrue(transport.isClosing());
            assertTrue(handle.closed, "the handle is closed");
            runFor(loop, 20);
            assertEquals(0, loop.liveHandles());
        }
        assertEquals(blocks, Mem.liveAllocations(), "the stream's memory is freed: nothing is left in flight");
    }

    @Test
    void shouldCountTheTransmitFileBytesWhenTheFailedReadCompletesFirst() throws Exception {
        resetDuringTransmitFile(true, WSAECONNRESET);
    }

    @Test
    void shouldCountTheBytesOfTheTransmitFileCancelledAfterTheReadFailedAndReportTheReset() throws Exception {
        resetDuringTransmitFile(true, ERROR_OPERATION_ABORTED);
    }

    @Test
    void shouldCountTheTransmitFileBytesWhenTheFailedTransmitFileCompletesFirst() throws Exception {
        resetDuringTransmitFile(false, WSAECONNRESET);
    }

    /** The TransmitFile sent its whole range before the reset reached the read. */
    @Test
    void shouldReportAReadFailureHeldDuringTransmitFileOnceItCompleted() throws Exception {
        try (Scripted s = new Scripted()) {
            LoopFuture<Long> done = s.loop.sendfile(s.transport, s.file, 0, 0, true);
            s.loop.callSoon(() -> s.stream.complete(s.handle.readOverlapped, WSAECONNRESET, 0));
            runFor(s.loop, 20);
            s.loop.callSoon(() -> s.stream.complete(s.handle.transmitOverlapped, 0, FILE_SIZE));
            Throwable cause = s.loop.runUntilComplete(s.protocol.lost);
            assertEquals(Long.valueOf(FILE_SIZE), done.result(), "every byte went before the reset was seen");
            assertEquals(FILE_SIZE, s.file.position());
            assertTrue(String.valueOf(cause.getMessage()).contains("WSARecv"), String.valueOf(cause));
            assertTrue(s.transport.isClosing());
            runFor(s.loop, 20);
            assertEquals(0, s.loop.liveHandles());
        }
    }
}
