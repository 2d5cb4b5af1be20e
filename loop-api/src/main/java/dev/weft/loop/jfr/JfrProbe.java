package dev.weft.loop.jfr;

import dev.weft.loop.Transport;
import dev.weft.loop.core.CallbackWrapper;
import dev.weft.loop.core.LoopProbe;
import jdk.jfr.EventType;

/**
 * The loop's probe when the JVM has {@code jdk.jfr}: each method first asks the event type whether
 * a recording enables it, and does nothing more (no allocation) when none does.
 */
public final class JfrProbe extends LoopProbe {
    private final EventType slowCallback = EventType.getEventType(SlowCallbackEvent.class);
    private final EventType slowTaskStep = EventType.getEventType(SlowTaskStepEvent.class);
    private final EventType loopLag = EventType.getEventType(LoopLagEvent.class);
    private final EventType transportError = EventType.getEventType(TransportErrorEvent.class);

    /** Made once by {@link LoopProbe#INSTANCE}. */
    public JfrProbe() {
    }

    @Override
    public boolean timeCallbacks() {
        return slowCallback.isEnabled();
    }

    @Override
    public Object callbackStarted() {
        if (!slowCallback.isEnabled()) {
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
        if (!slowTaskStep.isEnabled()) {
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
        if (loopLag.isEnabled()) {
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
        if (transportError.isEnabled()) {
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
