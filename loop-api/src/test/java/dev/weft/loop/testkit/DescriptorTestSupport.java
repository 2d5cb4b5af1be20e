package dev.weft.loop.testkit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.loop.Capability;
import dev.weft.loop.PipeEnd;
import dev.weft.loop.UnsupportedCapabilityException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * What the pipe and descriptor-watch suites share: pipes of the kind the backend takes (a POSIX
 * {@code pipe(2)} pair where it takes raw descriptors, {@link Pipe#open()} on java.nio), whose ends
 * the test either hands to the loop or uses itself with blocking calls, and which are closed after
 * each test unless the loop owns them.
 */
public abstract class DescriptorTestSupport extends LoopTestSupport {
    private final List<TestPipe> pipes = new ArrayList<>();

    /** True where the backend takes POSIX descriptors (epoll, kqueue); false where it takes channels (nio). */
    protected abstract boolean takesRawDescriptors();

    /** Skips the test, with the backend's reason, unless the loop offers {@code capability}. */
    protected void requireCapability(Capability capability) {
        try {
            loop.requireCapability(capability);
        } catch (UnsupportedCapabilityException e) {
            assumeTrue(false, e.getMessage());
        }
    }

    protected void requireRawDescriptors(String why) {
        assumeTrue(takesRawDescriptors(), "the " + loop.backendName() + " backend takes channels, not raw descriptors: " + why);
    }

    protected TestPipe newPipe() throws IOException {
        TestPipe p = takesRawDescriptors() ? new FdPipe(PosixTestCalls.pipe()) : new ChannelPipe(Pipe.open());
        pipes.add(p);
        return p;
    }

    @AfterEach
    void closeTestPipes() {
        for (TestPipe p : pipes) {
            p.closeOwned();
        }
    }

    /** A pipe whose ends are the test's until handed to the loop with {@link #giveRead()} or {@link #giveWrite()}. */
    public abstract static class TestPipe {
        boolean readGiven;
        boolean writeGiven;
        boolean readClosed;
        boolean writeClosed;

        /** The read end, now owned by whatever the test hands it to. */
        public PipeEnd giveRead() {
            readGiven = true;
            return readEnd();
        }

        /** The write end, now owned by whatever the test hands it to. */
        public PipeEnd giveWrite() {
            writeGiven = true;
            return writeEnd();
        }

        public abstract PipeEnd readEnd();

        public abstract PipeEnd writeEnd();

        /** Writes all of {@code data} to the write end, blocking. */
        public abstract void write(byte[] data) throws IOException;

        /** One blocking read from the read end: bytes read, -1 at EOF. */
        public abstract int read(byte[] buf) throws IOException;

        /** Reads the read end until EOF. */
        public byte[] readToEof() throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = read(buf)) > 0) {
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        }

        public void closeRead() throws IOException {
            if (!readClosed && !readGiven) {
                readClosed = true;
                closeReadEnd();
            }
        }

        public void closeWrite() throws IOException {
            if (!writeClosed && !writeGiven) {
                writeClosed = true;
                closeWriteEnd();
            }
        }

        abstract void closeReadEnd() throws IOException;

        abstract void closeWriteEnd() throws IOException;

        void closeOwned() {
            try {
                closeRead();
            } catch (IOException e) {
                // The end is gone either way.
            }
            try {
                closeWrite();
            } catch (IOException e) {
                // The end is gone either way.
            }
        }
    }

    static final class FdPipe extends TestPipe {
        final int readFd;
        final int writeFd;

        FdPipe(int[] fds) {
            readFd = fds[0];
            writeFd = fds[1];
        }

        @Override
        public PipeEnd readEnd() {
            return PipeEnd.ofFd(readFd);
        }

        @Override
        public PipeEnd writeEnd() {
            return PipeEnd.ofFd(writeFd);
        }

        @Override
        public void write(byte[] data) throws IOException {
            PosixTestCalls.writeAll(writeFd, data);
        }

        @Override
        public int read(byte[] buf) throws IOException {
            int n = PosixTestCalls.readSome(readFd, buf);
            if (n < 0) {
                throw new IOException("read(fd " + readFd + ") failed: errno " + -n);
            }
            return n == 0 ? -1 : n;
        }

        @Override
        void closeReadEnd() {
            PosixTestCalls.close(readFd);
        }

        @Override
        void closeWriteEnd() {
            PosixTestCalls.close(writeFd);
        }
    }

    static final class ChannelPipe extends TestPipe {
        final Pipe pipe;

        ChannelPipe(Pipe pipe) {
            this.pipe = pipe;
        }

        @Override
        public PipeEnd readEnd() {
            return PipeEnd.of(pipe.source());
        }

        @Override
        public PipeEnd writeEnd() {
            return PipeEnd.of(pipe.sink());
        }

        @Override
        public void write(byte[] data) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) {
                if (pipe.sink().write(b) == 0) {
                    Thread.onSpinWait();
                }
            }
        }

        @Override
        public int read(byte[] buf) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(buf);
            int n;
            while ((n = pipe.source().read(b)) == 0) {
                Thread.onSpinWait();
            }
            return n;
        }

        @Override
        void closeReadEnd() throws IOException {
            pipe.source().close();
        }

        @Override
        void closeWriteEnd() throws IOException {
            pipe.sink().close();
        }
    }
}
