package dev.weft.loop.spi;

import dev.weft.loop.Capability;
import dev.weft.loop.EventLoop;
import java.io.IOException;

/**
 * A backend, found by {@link java.util.ServiceLoader} (list the class in
 * {@code META-INF/services/dev.weft.loop.spi.LoopBackend}). It must have a public no-argument
 * constructor that does no native work: availability is probed lazily by {@link #isAvailable()}.
 */
public interface LoopBackend {
    /** The name users select it by: {@code nio}, {@code epoll}, {@code kqueue}, {@code iocp}. */
    String name();

    /** Whether this backend can run here (right OS, native library loads, probe call succeeds). */
    boolean isAvailable();

    /** Why it is unavailable (null when available); the message names the missing piece. */
    Throwable unavailabilityCause();

    /**
     * Rank for {@code -Dweft.loop.backend=auto} on this machine: the highest available wins.
     * Convention: native backend on its own OS 100, nio 10; negative means never chosen by auto.
     */
    int autoPriority();

    /**
     * How this backend reaches the OS, when that can vary at run time (for example epoll's
     * {@code "jni fast path"} or {@code "jna (disabled by -Dweft.epoll.fastpath=false)"}); empty
     * when there is nothing to say. Shown by {@link dev.weft.loop.EventLoopPolicy#describe()}.
     */
    default String detail() {
        return "";
    }

    /**
     * Why this backend does not offer {@code capability} here, or null when it does. Every backend
     * answers for every capability, so a user asking for a missing one reads the reason.
     */
    String unsupportedReason(Capability capability);

    /** Opens the I/O driver of one loop. Called on the thread creating the loop. */
    IoDriver open(EventLoop loop) throws IOException;
}
