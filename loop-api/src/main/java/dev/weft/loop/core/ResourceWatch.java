package dev.weft.loop.core;

import dev.weft.loop.EventLoop;
import java.lang.ref.Cleaner;
import java.util.function.Consumer;

/**
 * Debug mode's check that a transport or server was closed: made when the resource is opened on a
 * loop in debug mode, told when it closes, and reporting once, through the loop's warning handler,
 * a resource that was garbage-collected without being closed (asyncio's "unclosed transport"
 * {@code ResourceWarning}), with where it was opened.
 *
 * <p>A loop holds its open resources, so an unclosed one becomes garbage only with its loop: the
 * report says that a loop was dropped without {@link EventLoop#close()} while the resource was open.
 * The report holds neither the resource nor the loop; a warning handler that holds the loop keeps
 * the loop, and so the resource, reachable, and nothing is reported.
 *
 * <p>Thread-safety: {@link #closed()} on the loop thread; the report runs on the cleaner's thread.
 */
public final class ResourceWatch implements Runnable {
    private static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "weft-resource-cleaner");
        t.setDaemon(true);
        return t;
    });

    private final String what;
    private final StackTraceElement[] site;
    private final Consumer<String> sink;
    private volatile boolean closed;

    private ResourceWatch(String what, StackTraceElement[] site, Consumer<String> sink) {
        this.what = what;
        this.site = site;
        this.sink = sink;
    }

    /**
     * Starts watching {@code resource}, described as {@code description}, when {@code loop} is in
     * debug mode; else returns null and costs nothing more.
     */
    public static ResourceWatch open(EventLoop loop, Object resource, String description) {
        if (!loop.isDebug()) {
            return null;
        }
        ResourceWatch w = new ResourceWatch(description, CreationSite.capture(), LoopInternals.loop().warningHandler(loop));
        CLEANER.register(resource, w);
        return w;
    }

    /** Null-safe: marks {@code watch}'s resource closed. */
    public static void closed(ResourceWatch watch) {
        if (watch != null) {
            watch.closed = true;
        }
    }

    @Override
    public void run() {
        if (closed) {
            return;
        }
        try {
            sink.accept("unclosed " + what + " was garbage-collected without close() (its loop was dropped"
                    + " without EventLoop.close())" + CreationSite.format("opened at", site));
        } catch (RuntimeException e) {
            System.getLogger("dev.weft.loop").log(System.Logger.Level.WARNING, "unclosed " + what, e);
        }
    }
}
