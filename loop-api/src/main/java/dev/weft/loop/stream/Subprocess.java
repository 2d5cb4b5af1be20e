package dev.weft.loop.stream;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.SubprocessOptions;
import dev.weft.loop.SubprocessProtocol;
import dev.weft.loop.SubprocessTransport;
import dev.weft.loop.Transport;
import dev.weft.loop.task.Task;
import dev.weft.loop.task.Tasks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import org.agrona.DirectBuffer;

/**
 * A child process for tasks (asyncio's {@code asyncio.subprocess.Process}): {@link #stdin()} a
 * {@link StreamWriter} with {@code drain}, {@link #stdout()} and {@link #stderr()}
 * {@link StreamReader}s (null where the stream is not a pipe), {@link #waitFor()},
 * {@link #communicate(byte[])}, and the signals. Made by {@link #exec}; loop thread (task steps) only.
 *
 * <p>{@link #waitFor()} returns when the child exits, even if a grandchild still holds one of its
 * pipes open. A stdout reader over its limit pauses the pipe and resumes it as it is read.
 */
public final class Subprocess {
    private final SubprocessTransport transport;
    private final Adapter adapter;

    private Subprocess(SubprocessTransport transport, Adapter adapter) {
        this.transport = transport;
        this.adapter = adapter;
    }

    /**
     * What {@link #communicate} returns: everything the child wrote, null where not a pipe.
     *
     * <p>Any thread may read it once returned; the arrays are the caller's.
     */
    public record Output(byte[] stdout, byte[] stderr) {
    }

    /**
     * Starts {@code argv} (asyncio's {@code create_subprocess_exec}) inside a task and returns once
     * it runs. Bad input fails as {@link EventLoop#subprocessExec} says, before anything starts.
     */
    public static Subprocess exec(List<String> argv, SubprocessOptions options) {
        return exec(argv, options, StreamReader.DEFAULT_LIMIT);
    }

    /** As {@link #exec(List, SubprocessOptions)}, with the readers' limit. */
    public static Subprocess exec(List<String> argv, SubprocessOptions options, int limit) {
        Task<?> task = Task.current();
        if (task == null) {
            throw new IllegalStateException("Subprocess.exec must be called inside a task");
        }
        EventLoop loop = task.loop();
        Adapter adapter = new Adapter(loop, limit);
        SubprocessTransport t = Tasks.await(loop.subprocessExec(() -> adapter, argv, options));
        return new Subprocess(t, adapter);
    }

    /** As {@link #exec(List, SubprocessOptions)} for {@code /bin/sh -c command}. */
    public static Subprocess shell(String command, SubprocessOptions options) {
        return exec(List.of("/bin/sh", "-c", command), options);
    }

    public long pid() {
        return transport.pid();
    }

    /** The return code once the child exited (negative: the signal that ended it), else null. */
    public Integer returnCode() {
        return transport.returnCode();
    }

    public StreamWriter stdin() {
        return adapter.stdinWriter;
    }

    public StreamReader stdout() {
        return adapter.stdout;
    }

    public StreamReader stderr() {
        return adapter.stderr;
    }

    /** The transport underneath. */
    public SubprocessTransport transport() {
        return transport;
    }

    /** Waits until the child exits and returns its return code. Cancelling the wait leaves the child alone. */
    public int waitFor() {
        Integer code = transport.returnCode();
        if (code != null) {
            return code;
        }
        // A future per call, so cancelling one wait cancels nothing shared.
        LoopFuture<Integer> w = transport.loop().createFuture();
        adapter.waiters.add(w);
        try {
            return Tasks.await(w);
        } finally {
            adapter.waiters.remove(w);
        }
    }

    /**
     * Writes {@code input} (null: nothing) to stdin and closes it, reads stdout and stderr to their
     * end, waits for the exit, and returns what was read. A child that exits without reading its
     * input (broken pipe) is no error here.
     */
    public Output communicate(byte[] input) {
        EventLoop loop = transport.loop();
        Task<Void> feed = null;
        if (adapter.stdinWriter != null) {
            feed = loop.createTask(() -> {
                try {
                    if (input != null && input.length > 0) {
                        adapter.stdinWriter.write(input);
                        adapter.stdinWriter.drain();
                    }
                } catch (IOException brokenPipe) {
                    // The child does not read: what it wrote is still collected.
                }
                if (!adapter.stdinWriter.isClosing()) {
                    adapter.stdinWriter.close();
                }
                return null;
            }, "subprocess-stdin");
        }
        Task<byte[]> out = adapter.stdout == null ? null : loop.createTask(() -> readAll(adapter.stdout), "subprocess-stdout");
        Task<byte[]> err = adapter.stderr == null ? null : loop.createTask(() -> readAll(adapter.stderr), "subprocess-stderr");
        if (feed != null) {
            Tasks.await(feed);
        }
        byte[] o = out == null ? null : Tasks.await(out);
        byte[] e = err == null ? null : Tasks.await(err);
        waitFor();
        return new Output(o, e);
    }

    private static byte[] readAll(StreamReader r) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        while (true) {
            byte[] b = r.read(r.limit());
            if (b.length == 0) {
                return all.toByteArray();
            }
            all.write(b, 0, b.length);
        }
    }

    public void sendSignal(String signal) {
        transport.sendSignal(signal);
    }

    public void terminate() {
        transport.terminate();
    }

    public void kill() {
        transport.kill();
    }

    @Override
    public String toString() {
        return "Subprocess[pid " + pid() + ", returnCode " + returnCode() + "]";
    }

    /** The subprocess protocol feeding the readers and tracking stdin's flow control (asyncio's SubprocessStreamProtocol). */
    private static final class Adapter implements SubprocessProtocol {
        private final EventLoop loop;
        private final int limit;
        final java.util.List<LoopFuture<Integer>> waiters = new java.util.ArrayList<>();
        StreamProtocol stdinProtocol;
        StreamWriter stdinWriter;
        StreamReader stdout;
        StreamReader stderr;
        private SubprocessTransport transport;

        Adapter(EventLoop loop, int limit) {
            this.loop = loop;
            this.limit = limit;
        }

        @Override
        public void connectionMade(SubprocessTransport t) {
            transport = t;
            Transport in = t.pipeTransport(0);
            if (in != null) {
                stdinProtocol = new StreamProtocol(loop, new StreamReader(limit), null);
                stdinProtocol.connectionMade(in);
                stdinWriter = stdinProtocol.writer();
            }
            stdout = reader(t.pipeTransport(1));
            stderr = reader(t.pipeTransport(2));
        }

        private StreamReader reader(Transport pipe) {
            if (pipe == null) {
                return null;
            }
            StreamReader r = new StreamReader(limit);
            r.setTransport(pipe);
            return r;
        }

        @Override
        public void pipeDataReceived(int fd, DirectBuffer data) {
            StreamReader r = fd == 1 ? stdout : fd == 2 ? stderr : null;
            if (r != null) {
                r.feedData(data);
            }
        }

        @Override
        public void pipeConnectionLost(int fd, Throwable cause) {
            if (fd == 0) {
                if (stdinProtocol != null) {
                    stdinProtocol.connectionLost(cause);
                }
                return;
            }
            StreamReader r = fd == 1 ? stdout : stderr;
            if (r == null) {
                return;
            }
            if (cause == null) {
                r.feedEof();
            } else {
                r.setException(cause);
            }
        }

        @Override
        public void processExited() {
            for (LoopFuture<Integer> w : new java.util.ArrayList<>(waiters)) {
                if (!w.isDone()) {
                    w.setResult(transport.returnCode());
                }
            }
        }

        @Override
        public void pauseWriting() {
            if (stdinProtocol != null) {
                stdinProtocol.pauseWriting();
            }
        }

        @Override
        public void resumeWriting() {
            if (stdinProtocol != null) {
                stdinProtocol.resumeWriting();
            }
        }
    }
}
