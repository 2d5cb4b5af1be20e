package dev.weft.loop.tls;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The shared pool that runs {@link javax.net.ssl.SSLEngine} delegated tasks off the loop threads:
 * daemon threads, at most one per processor (a handshake storm queues here instead of taking the
 * machine from the loops, netty/netty#7020), each ending after 30 s idle.
 */
final class TlsTaskPool {
    static final Executor INSTANCE;

    static {
        int n = Math.max(2, Runtime.getRuntime().availableProcessors());
        AtomicInteger count = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(n, n, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "weft-tls-task-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        INSTANCE = pool;
    }

    private TlsTaskPool() {
    }
}
