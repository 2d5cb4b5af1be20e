package dev.weft.loop.task;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Virtual threads with a custom scheduler, through the JDK's non-public
 * {@code java.lang.ThreadBuilders.VirtualThreadBuilder(Executor)} constructor (JDK 21 to 25 at
 * least). Compiled for Java 17, so everything is looked up reflectively. Needs
 * {@code --add-opens java.base/java.lang=ALL-UNNAMED}; the availability probe starts one thread on a
 * scheduler that runs it on the probing thread, so a JDK that changed the contract is detected here
 * instead of hanging a loop.
 */
final class VirtualThreads {
    private static final MethodHandle NEW_BUILDER;
    private static final MethodHandle NAME;
    private static final MethodHandle UNSTARTED;
    private static final Throwable UNAVAILABLE;

    static {
        MethodHandle newBuilder = null;
        MethodHandle name = null;
        MethodHandle unstarted = null;
        Throwable cause = null;
        try {
            if (Runtime.version().feature() < 21) {
                throw new UnsupportedOperationException("virtual threads need JDK 21+, this is JDK "
                        + Runtime.version());
            }
            Class<?> builderClass = Class.forName("java.lang.ThreadBuilders$VirtualThreadBuilder");
            Constructor<?> k = builderClass.getDeclaredConstructor(Executor.class);
            try {
                k.setAccessible(true);
            } catch (RuntimeException e) {
                throw new UnsupportedOperationException("the JVM refuses access to java.lang's virtual-thread builder"
                        + " (start it with --add-opens java.base/java.lang=ALL-UNNAMED): " + e.getMessage(), e);
            }
            Class<?> builderApi = Class.forName("java.lang.Thread$Builder");
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            newBuilder = lookup.unreflectConstructor(k).asType(MethodType.methodType(Object.class, Executor.class));
            name = lookup.findVirtual(builderApi, "name", MethodType.methodType(builderApi, String.class))
                    .asType(MethodType.methodType(Object.class, Object.class, String.class));
            unstarted = lookup.findVirtual(builderApi, "unstarted", MethodType.methodType(Thread.class, Runnable.class))
                    .asType(MethodType.methodType(Thread.class, Object.class, Runnable.class));
            probe(newBuilder, name, unstarted);
        } catch (Throwable t) {
            cause = t;
            newBuilder = null;
            name = null;
            unstarted = null;
        }
        NEW_BUILDER = newBuilder;
        NAME = name;
        UNSTARTED = unstarted;
        UNAVAILABLE = cause;
    }

    private VirtualThreads() {
    }

    static boolean isAvailable() {
        return UNAVAILABLE == null;
    }

    /** Why virtual-thread tasks are unavailable, or null. */
    static Throwable unavailabilityCause() {
        return UNAVAILABLE;
    }

    /** An unstarted virtual thread that runs on {@code scheduler}. */
    static Thread newThread(Executor scheduler, String threadName, Runnable body) {
        try {
            Object b = NEW_BUILDER.invokeExact(scheduler);
            b = NAME.invokeExact(b, threadName);
            return (Thread) UNSTARTED.invokeExact(b, body);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cannot create a virtual thread: " + t, t);
        }
    }

    private static void probe(MethodHandle newBuilder, MethodHandle name, MethodHandle unstarted) throws Throwable {
        List<Runnable> queue = new ArrayList<>();
        Thread caller = Thread.currentThread();
        Thread[] ranOn = new Thread[1];
        Executor ex = queue::add;
        Object b = newBuilder.invokeExact(ex);
        b = name.invokeExact(b, "weft-probe");
        Thread vt = (Thread) unstarted.invokeExact(b, (Runnable) () -> ranOn[0] = Thread.currentThread());
        vt.start();
        for (int i = 0; i < 100 && !queue.isEmpty(); i++) {
            queue.remove(0).run();
        }
        if (ranOn[0] == null || ranOn[0] == caller || vt.isAlive()) {
            throw new UnsupportedOperationException("a virtual thread with a custom scheduler did not run as expected"
                    + " on JDK " + Runtime.version());
        }
    }
}
