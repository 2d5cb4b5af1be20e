package dev.weft.bench.jmh;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cost of a native call through JNA direct mapping ({@code Native.register}, primitives only:
 * what Weft's native backends use), against the JDK's own JNI path.
 *
 * <ul>
 *   <li>{@code jnaAbs}: libc {@code abs(int)}: JNA's call overhead alone, no system call.</li>
 *   <li>{@code jnaGetppid}: libc {@code getppid()}: JNA plus a trivial system call (getppid is not
 *       cached by glibc).</li>
 *   <li>{@code jdkFileChannelPosition}: {@code FileChannel.position()} on an open file: the JDK's JNI
 *       plus one {@code lseek(fd, 0, SEEK_CUR)} system call, with the JDK's own bookkeeping (a lock
 *       and interruptible begin/end). The closest JDK call to a trivial system call; the JDK has no
 *       getppid ({@code ProcessHandle} caches the pid).</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class JnaBench {
    /** Direct-mapped libc: static natives bound by {@code Native.register}. */
    static final class Libc {
        static {
            Native.register(Platform.C_LIBRARY_NAME);
        }

        static native int abs(int x);

        static native int getppid();

        private Libc() {
        }
    }

    private Path file;
    private FileChannel channel;
    private int x = -7;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        file = Files.createTempFile("weft-jna-bench", ".bin");
        channel = FileChannel.open(file, StandardOpenOption.READ);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        channel.close();
        Files.deleteIfExists(file);
    }

    @Benchmark
    public int jnaAbs() {
        return Libc.abs(x);
    }

    @Benchmark
    public int jnaGetppid() {
        return Libc.getppid();
    }

    @Benchmark
    public long jdkFileChannelPosition() throws IOException {
        return channel.position();
    }
}
