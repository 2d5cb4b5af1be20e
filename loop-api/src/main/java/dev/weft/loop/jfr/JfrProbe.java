package dev.weft.loop.jfr;

import dev.weft.loop.Transport;
import dev.weft.loop.core.CallbackWrapper;
import dev.weft.loop.core.LoopProbe;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;

/**
 * The loop's probe when the JVM has {@code jdk.jfr}: each method first asks the event type whether
 * a recording enables it, and does nothing more (no allocation) when none does.
 *
 * <p>The event types are looked up only once the Flight Recorder is initialized (a recording was
 * started: {@code -XX:StartFlightRecording}, {@code jcmd JFR.start}, or the JFR API). Looking one up
 * initializes JFR's metadata, which cost a server 150-250 ms of CPU at start (JDK 17) even when
 * nothing was ever recorded; before any recording no event can be enabled, and the check is one
 * read of a static flag.
 */
public final class JfrProbe extends LoopProbe {
    /** The event types, once the Flight Recorder is initialized; null before. */
    private volatile Types types;

    /** Made once by {@link LoopProbe#INSTANCE}. */
    public JfrProbe() {
    }

    private static final class Types {
        final EventType slowCallback = EventType.getEventType(SlowCallbackEvent.class);
        final EventType slowTaskStep = EventType.getEventType(SlowTaskStepEvent.class);
        final EventType loopLag = EventType.getEventType(LoopLagEvent.class);
        final EventType transportError = EventType.getEventType(TransportErrorEvent.class);
    }

    /** The event types, or null while no recording has ever initialized the Flight Recorder. */
    private Types types() {
        Types t = types;
        if (t == null && FlightRecorder.isInitialized()) {
            synchronized (this) {
                t = types;
                if (t == null) {
                    t = new Types();
                    types = t;
                }
            }
        }
        return t;
    }

    private boolean enabled(int which) {
        Types t = types();
        if (t == null) {
            return false;
        }
        return switch (which) {
            case SLOW_CALLBACK -> t.slowCallback.isEnabled();
            case SLOW_TASK_STEP -> t.slowTaskStep.isEnabled();
            case LOOP_LAG -> t.loopLag.isEnabled();
            default -> t.transportError.isEnabled();
        };
    }

    private static final int SLOW_CALLBACK = 0;
    private static final int SLOW_TASK_STEP = 1;
    private static final int LOOP_LAG = 2;
    private static final int TRANSPORT_ERROR = 3;

    @Override
    public boolean timeCallbacks() {
        return enabled(SLOW_CALLBACK);
    }

    @Override
    public Object callbackStarted() {
        if (!enabled(SLOW_CALLBACK)) {
            return null;
        }
        SlowCallbackEvent e = new SlowCallbackEvent();
        e.begin();
        return e;
    }

    @Override
    public void callbackEnded(Object token, Object handle, Object callback) {
        if (token instanceof SlowCallbackEvent e) {
            e.end();
            if (e.shouldCommit()) {
                Object target = callback instanceof CallbackWrapper w ? w.wrapped() : callback;
                e.callbackClass = target.getClass().getName();
                e.handle = String.valueOf(handle);
                e.createdAt = createdAt(handle);
                e.commit();
            }
        }
    }

    @Override
    public Object taskStepStarted() {
        if (!enabled(SLOW_TASK_STEP)) {
            return null;
        }
        SlowTaskStepEvent e = new SlowTaskStepEvent();
        e.begin();
        return e;
    }

    @Override
    public void taskStepEnded(Object token, String task) {
        if (token instanceof SlowTaskStepEvent e) {
            e.end();
            if (e.shouldCommit()) {
                e.task = task;
                e.commit();
            }
        }
    }

    @Override
    public void loopLag(long lagNanos, String backend) {
        if (enabled(LOOP_LAG)) {
            LoopLagEvent e = new LoopLagEvent();
            e.lag = lagNanos;
            if (e.shouldCommit()) {
                e.backend = backend;
                e.commit();
            }
        }
    }

    @Override
    public void transportError(Object transport, Throwable cause) {
        if (enabled(TRANSPORT_ERROR)) {
            TransportErrorEvent e = new TransportErrorEvent();
            if (e.shouldCommit()) {
                e.transport = String.valueOf(transport);
                if (transport instanceof Transport t && t.protocol() != null) {
                    e.protocolClass = t.protocol().getClass().getName();
                }
                e.errorClass = cause.getClass().getName();
                e.message = cause.getMessage();
                e.commit();
            }
        }
    }

    private static String createdAt(Object handle) {
        StackTraceElement[] site = handle instanceof dev.weft.loop.Handle h ? h.creationSite() : null;
        if (site == null) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        for (StackTraceElement f : site) {
            if (b.length() > 0) {
                b.append('\n');
            }
            b.append(f);
        }
        return b.toString();
    }
}
