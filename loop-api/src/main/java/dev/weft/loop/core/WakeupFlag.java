package dev.weft.loop.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The loop's "I may sleep: wake me" flag, alone on its cache line. The loop thread arms it before
 * its last look at the inbox and disarms it after the poll; a producer reads it on every hand-off
 * and takes it (one CAS) to wake the loop at most once per sleep. Kept apart from every field the
 * loop thread writes each iteration, so a producer's read does not miss because the loop touched
 * a neighbour.
 *
 * <p><b>Threads.</b> {@link #arm} and {@link #disarm} from the loop thread; {@link #take} from any
 * thread.
 */
public final class WakeupFlag extends WakeupFlagValue {
    long q01, q02, q03, q04, q05, q06, q07, q08;

    /** Armed: a producer that offers after this must wake the loop. Volatile store (full fence). */
    public void arm() {
        ARMED.setVolatile(this, 1);
    }

    /** Disarmed after the poll. An ordered store: a producer still seeing 1 adds a spurious wake-up. */
    public void disarm() {
        ARMED.setRelease(this, 0);
    }

    /** True for the one caller that found the flag armed and cleared it: that caller wakes the loop. */
    public boolean take() {
        return (int) ARMED.getVolatile(this) != 0 && ARMED.compareAndSet(this, 1, 0);
    }
}

abstract class WakeupFlagPad {
    long p01, p02, p03, p04, p05, p06, p07, p08;
}

abstract class WakeupFlagValue extends WakeupFlagPad {
    static final VarHandle ARMED;

    static {
        try {
            ARMED = MethodHandles.lookup().findVarHandle(WakeupFlagValue.class, "armed", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** 1 while the loop may be asleep in (or about to enter) its poll. */
    volatile int armed;
}
