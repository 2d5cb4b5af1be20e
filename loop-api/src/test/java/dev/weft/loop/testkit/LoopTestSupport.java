package dev.weft.loop.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.TimerHandle;
import java.io.File;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What every conformance test shares: a loop on the backend under test, blocking clients on other
 * threads, and the end-of-test check that the loop closes with no live handle and no descriptor
 * more than before the test (counted in /proc/self/fd where it exists).
 */
public abstract class LoopTestSupport {
    protected EventLoop loop;
    protected ExecutorService clients;
    private int fdsBefore;

    /**
     * Whether a blocking client in this JVM sees a reset that arrives after data as an error. False
     * only where the platform under the JVM loses it (Wine reports it as EOF); the backend's own
     * tests must then prove the reset another way.
     */
    protected boolean peerSeesResetAfterData() {
        return true;
    }

    /** The backend under test, as named in {@code -Dweft.loop.backend}. */
    protected abstract String backend();

    protected EventLoop newLoop() {
        return EventLoop.builder().backend(backend()).build();
    }

    @BeforeEach
    void openLoop() {
        // One throwaway loop first, so descriptors a backend opens once per JVM are not counted.
        newLoop().close();
        // Likewise the socket pair the JDK keeps from the first FileChannel on (its pre-close
        // descriptor): servers open their spare descriptor as a FileChannel.
        try {
            java.nio.channels.FileChannel.open(java.nio.file.Path.of("/dev/null")).close();
        } catch (java.io.IOException | UnsupportedOperationException e) {
            // No /dev/null: servers hold no spare descriptor either.
        }
        // The JDK keeps one descriptor from its first java.net socket on (the socket pair its
        // dispatcher uses to close sockets safely); the blocking test clients would count it.
        try (java.net.ServerSocket warm = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            warm.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        fdsBefore = openDescriptors();
        loop = newLoop();
        clients = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "test-client");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterEach
    void closeLoopAndCheckLeaks() throws Exception {
        clients.shutdownNow();
        clients.awaitTermination(10, TimeUnit.SECONDS);
        if (loop != null && !loop.isClosed()) {
            // Let pending connectionLost callbacks run before counting.
            for (int i = 0; i < 5 && loop.liveHandles() != 0; i++) {
                LoopFuture<Void> tick = loop.createFuture();
                loop.callLater(10, TimeUnit.MILLISECONDS, () -> tick.setResult(null));
                loop.runUntilComplete(tick);
            }
            int live = loop.liveHandles();
            loop.close();
            assertEquals(0, live, "the loop must close with no live handle");
        }
        if (fdsBefore >= 0) {
            int after = openDescriptors();
            for (int i = 0; i < 50 && after > fdsBefore; i++) {
                Thread.sleep(20);
                after = openDescriptors();
            }
            // Fewer is not a leak: the JVM may close a descriptor of its own meanwhile.
            assertTrue(after <= fdsBefore, "file descriptors leaked by the test: " + fdsBefore + " before, " + after + " after");
        }
    }

    /**
     * Open descriptors of the kinds a loop makes (sockets, pipes, anonymous inodes such as epoll
     * and eventfd), or -1 where /proc/self/fd does not exist. Regular files are left out: the JVM
     * and the test runner open those on their own schedule (class files, redirected test output).
     */
    protected static int openDescriptors() {
        File dir = new File("/proc/self/fd");
        String[] fds = dir.list();
        if (fds == null) {
            return -1;
        }
        int n = 0;
        for (String fd : fds) {
            try {
                String target = java.nio.file.Files.readSymbolicLink(dir.toPath().resolve(fd)).toString();
                if (target.startsWith("socket:") || target.startsWith("pipe:") || target.startsWith("anon_inode:")) {
                    n++;
                }
            } catch (java.io.IOException | UnsupportedOperationException e) {
                // Closed between list and readlink (the listing's own descriptor, for one).
            }
        }
        return n;
    }

    /** Runs {@code work} on a client thread while the loop runs, and returns its result. */
    protected <T> T whileLoopRuns(Callable<T> work) {
        CompletableFuture<T> cf = CompletableFuture.supplyAsync(() -> {
            try {
                return work.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, clients);
        return await(LoopFuture.fromStage(loop, cf));
    }

    /**
     * Runs the loop until {@code f} completes and returns its result (or throws what
     * {@link EventLoop#runUntilComplete} throws). Fails, naming {@code f}, when it has not
     * completed after {@link #AWAIT_SECONDS} of loop time, so that an event a backend never
     * delivers fails one test instead of holding the whole run.
     */
    protected <T> T await(LoopFuture<T> f) {
        return awaitWithin(f, TimeUnit.SECONDS.toMillis(AWAIT_SECONDS));
    }

    /** Runs the loop until {@code f} is done, failing the test if it is not done within {@code millis}. */
    protected <T> T awaitWithin(LoopFuture<T> f, long millis) {
        if (!f.isDone()) {
            LoopFuture<Void> either = loop.createFuture();
            f.addDoneCallback(done -> {
                if (!either.isDone()) {
                    either.setResult(null);
                }
            });
            TimerHandle bound = loop.callLater(millis, TimeUnit.MILLISECONDS, () -> {
                if (!either.isDone()) {
                    either.setResult(null);
                }
            });
            loop.runUntilComplete(either);
            bound.cancel();
            assertTrue(f.isDone(), () -> "not done within " + millis + " ms: " + f);
        }
        return loop.runUntilComplete(f);
    }

    /** The bound of {@link #await}, in seconds: {@code -Dweft.test.await.seconds}, default 120. */
    protected static final long AWAIT_SECONDS = Long.getLong("weft.test.await.seconds", 120);

    /**
     * Runs the loop until {@code done} holds, failing with {@code what} when it does not within
     * 10 s of loop time. For what a later loop iteration brings about: a server accepts the
     * connection of a blocking client when the loop sees its listener ready, which can be after
     * that client has finished and {@link #whileLoopRuns} has returned.
     */
    protected void runLoopUntil(String what, BooleanSupplier done) {
        for (int i = 0; i < 1000 && !done.getAsBoolean(); i++) {
            runFor(10);
        }
        assertTrue(done.getAsBoolean(), what + ": not reached in 10 s of loop time");
    }

    /** Runs the loop for {@code millis} of loop time. */
    protected void runFor(long millis) {
        LoopFuture<Void> done = loop.createFuture();
        loop.callLater(millis, TimeUnit.MILLISECONDS, () -> done.setResult(null));
        loop.runUntilComplete(done);
    }
}
