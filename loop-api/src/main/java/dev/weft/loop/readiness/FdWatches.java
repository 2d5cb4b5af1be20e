package dev.weft.loop.readiness;

import dev.weft.loop.spi.Pollable;
import dev.weft.loop.spi.Poller;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.NativeIOException;
import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.util.HashMap;
import java.util.Map;

/**
 * Descriptors and channels users watch through the loop (asyncio's {@code add_reader} /
 * {@code add_writer}): at most one reader and one writer callback per target, one poller
 * registration per target whose interest is the callbacks set. Callbacks run on the loop thread in
 * the I/O phase, reader first; what they throw goes to the loop's exception handler. A target is
 * never closed here; it counts as a live handle of the driver while watched. Loop thread only.
 */
final class FdWatches {
    private final ReadinessDriver driver;
    private final Map<Object, Watch> byTarget = new HashMap<>();

    FdWatches(ReadinessDriver driver) {
        this.driver = driver;
    }

    /** {@code target}: an {@link Integer} descriptor or a {@link SelectableChannel}. */
    void add(Object target, boolean write, Runnable callback) {
        Watch w = byTarget.get(target);
        if (w != null) {
            int before = w.interest();
            w.set(write, callback);
            if (w.interest() != before) {
                reregister(w);
            }
            return;
        }
        Pollable p = target instanceof Integer fd ? driver.userHandles.watchable(fd)
                : driver.userHandles.watchable((SelectableChannel) target);
        w = new Watch(target, p);
        w.set(write, callback);
        try {
            driver.poller.register(p, w.interest(), w);
        } catch (IOException e) {
            throw new IllegalArgumentException(describe(target) + " cannot be watched: " + e.getMessage() + hint(e), e);
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException(describe(target) + " cannot be watched: it is already registered with"
                    + " this loop (by one of its transports?): " + e.getMessage(), e);
        }
        byTarget.put(target, w);
        driver.opened(w);
    }

    boolean remove(Object target, boolean write) {
        Watch w = byTarget.get(target);
        if (w == null || w.callback(write) == null) {
            return false;
        }
        w.set(write, null);
        if (w.interest() == 0) {
            drop(w);
        } else {
            reregister(w);
        }
        return true;
    }

    private void reregister(Watch w) {
        try {
            driver.poller.reregister(w.pollable, w.interest());
        } catch (IOException e) {
            // Closed behind the loop's back: nothing more can be watched on it.
            drop(w);
            throw new IllegalArgumentException(describe(w.target) + " cannot be watched: " + e.getMessage(), e);
        }
    }

    private void drop(Watch w) {
        byTarget.remove(w.target);
        driver.closed(w);
        try {
            driver.poller.deregister(w.pollable);
        } catch (IOException | RuntimeException e) {
            // Already closed by its owner: the kernel dropped the registration with it.
        }
    }

    private static String describe(Object target) {
        return target instanceof Integer ? "fd " + target : "channel " + target;
    }

    private static String hint(IOException e) {
        return e instanceof NativeIOException n && "EPERM".equals(n.errorName())
                ? " (regular files and directories cannot be polled)" : "";
    }

    /** One watched target and its callbacks. */
    private final class Watch implements Poller.ReadyHandler {
        final Object target;
        final Pollable pollable;
        Runnable reader;
        Runnable writer;

        Watch(Object target, Pollable pollable) {
            this.target = target;
            this.pollable = pollable;
        }

        int interest() {
            return (reader != null ? Poller.READABLE : 0) | (writer != null ? Poller.WRITABLE : 0);
        }

        Runnable callback(boolean write) {
            return write ? writer : reader;
        }

        void set(boolean write, Runnable callback) {
            if (write) {
                writer = callback;
            } else {
                reader = callback;
            }
        }

        @Override
        public void onReady(int readyOps) {
            if ((readyOps & Poller.READABLE) != 0 && reader != null) {
                run(reader, "reader");
            }
            // The reader may have removed or replaced the writer: read the field again.
            if ((readyOps & Poller.WRITABLE) != 0 && writer != null) {
                run(writer, "writer");
            }
        }

        private void run(Runnable callback, String which) {
            try {
                callback.run();
            } catch (Throwable t) {
                driver.loop.callExceptionHandler(new ExceptionContext("the " + which + " callback of "
                        + describe(target) + " failed", t, callback));
            }
        }

        @Override
        public String toString() {
            return "Watch[" + describe(target) + "]";
        }
    }
}
