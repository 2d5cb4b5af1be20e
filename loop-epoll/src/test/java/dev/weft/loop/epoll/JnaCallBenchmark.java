package dev.weft.loop.epoll;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import dev.weft.loop.posix.PosixSocket;
import dev.weft.loop.posix.PosixSocketFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.agrona.BufferUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one JNA call costs, next to the same work through java.nio. Run by hand (not a test):
 * <pre>
 * mvn -o -q -pl loop-api,loop-epoll test-compile
 * java $(weft.jvm.flags) -cp loop-epoll/target/test-classes:loop-epoll/target/classes:loop-api/target/classes:$CP \
 *      org.openjdk.jmh.Main JnaCallBenchmark -prof gc
 * </pre>
 * <ul>
 *   <li>{@code directAbs}: a direct-mapped libc call that enters no kernel: JNA's own overhead.</li>
 *   <li>{@code directGetppid}: a trivial system call, direct-mapped.</li>
 *   <li>{@code posixReadWouldBlock} / {@code nioReadWouldBlock}: a read on an empty non-blocking
 *       socket (EAGAIN), the call a level-triggered loop makes most, through this layer and through
 *       {@link SocketChannel}.</li>
 *   <li>{@code epollCtlMod}: one {@code EPOLL_CTL_MOD}, what a level-triggered poller pays twice
 *       per write that has to queue (add EPOLLOUT, then drop it).</li>
 *   <li>{@code lastErrorExceptionRead}: the same failing read through an interface mapping that
 *       declares {@link LastErrorException}: the exception per EAGAIN the layer avoids.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "--enable-native-access=ALL-UNNAMED"})
public class JnaCallBenchmark {
    /** Direct mapping of two libc calls, for the benchmark only. */
    static final class Direct {
        static {
            Native.register(Direct.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }

        static native int abs(int x);

        static native int getppid();
    }

    /** The mapping the layer does not use: throws on every failed call. */
    interface Throwing extends Library {
        Throwing INSTANCE = Native.load(Platform.C_LIBRARY_NAME, Throwing.class);

        long read(int fd, long buf, long count) throws LastErrorException;
    }

    private ServerSocket server;
    private Socket peerOfPosix;
    private Socket peerOfNio;
    private PosixSocket posix;
    private SocketChannel nio;
    private final ByteBuffer direct = ByteBuffer.allocateDirect(64 * 1024);
    private final long address = BufferUtil.address(direct);
    private int x;
    private int epfd;
    private final ByteBuffer ctlMemory = ByteBuffer.allocateDirect(16);
    private final long ctlAddress = BufferUtil.address(ctlMemory);
    private final org.agrona.concurrent.UnsafeBuffer ctlEvent = new org.agrona.concurrent.UnsafeBuffer(ctlMemory);

    @Setup(Level.Trial)
    public void open() throws IOException {
        server = new ServerSocket(0, 8, InetAddress.getByName("127.0.0.1"));
        InetSocketAddress at = (InetSocketAddress) server.getLocalSocketAddress();
        posix = new PosixSocketFactory().openStream(StandardProtocolFamily.INET);
        posix.connect(at);
        peerOfPosix = server.accept();
        nio = SocketChannel.open(at);
        nio.configureBlocking(false);
        peerOfNio = server.accept();
        epfd = EpollNative.epoll_create1(EpollNative.EPOLL_CLOEXEC);
        ctlEvent.putInt(EpollNative.EVENT_EVENTS, EpollNative.EPOLLIN);
        ctlEvent.putLong(EpollNative.EVENT_DATA, posix.fd());
        if (EpollNative.epoll_ctl(epfd, EpollNative.EPOLL_CTL_ADD, posix.fd(), ctlAddress) != 0) {
            throw new IOException("epoll_ctl ADD failed: errno " + Native.getLastError());
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        EpollNative.close(epfd);
        posix.close();
        nio.close();
        peerOfPosix.close();
        peerOfNio.close();
        server.close();
    }

    /** One level-triggered interest change, as a write that has to queue costs twice. */
    @Benchmark
    public int epollCtlMod() {
        ctlEvent.putInt(EpollNative.EVENT_EVENTS, (x++ & 1) == 0 ? EpollNative.EPOLLIN : EpollNative.EPOLLIN | EpollNative.EPOLLOUT);
        return EpollNative.epoll_ctl(epfd, EpollNative.EPOLL_CTL_MOD, posix.fd(), ctlAddress);
    }

    @Benchmark
    public int directAbs() {
        return Direct.abs(x++);
    }

    @Benchmark
    public int directGetppid() {
        return Direct.getppid();
    }

    @Benchmark
    public int posixReadWouldBlock() throws IOException {
        return posix.read(address, 65536);
    }

    @Benchmark
    public int nioReadWouldBlock() throws IOException {
        direct.clear();
        return nio.read(direct);
    }

    @Benchmark
    public long lastErrorExceptionRead() {
        try {
            return Throwing.INSTANCE.read(-1, address, 1);
        } catch (LastErrorException e) {
            return e.getErrorCode();
        }
    }
}
