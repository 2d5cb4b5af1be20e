package dev.weft.loop.core;

import dev.weft.loop.DatagramTransport;
import dev.weft.loop.Transport;
import dev.weft.loop.spi.Poller;

/**
 * Where the loop reports what Java Flight Recorder may record: slow callbacks and task steps, loop
 * lag, transport errors. {@link #INSTANCE} records JFR events ({@code dev.weft.loop.jfr}) when the
 * JVM has the {@code jdk.jfr} module, and is this class itself, which does nothing, when it has not
 * (a runtime linked without it): nothing in the loop names a JFR type.
 *
 * <p>Every method is cheap when no recording enables the event: one check of the event type's
 * enabled flag, no allocation. The loop asks {@link #timeCallbacks()} once per iteration and calls
 * {@link #callbackStarted()} and {@link #callbackEnded} only when it said yes. Loop thread only,
 * except {@link #transportError}, which the transport's loop thread calls too.
 */
public class LoopProbe {
    /** The JVM's probe: JFR's when {@code jdk.jfr} is present, else one that does nothing. */
    public static final LoopProbe INSTANCE = load();

    protected LoopProbe() {
    }

    private static LoopProbe load() {
        if (ModuleLayer.boot().findModule("jdk.jfr").isEmpty()) {
            return new LoopProbe();
        }
        try {
            return (LoopProbe) Class.forName("dev.weft.loop.jfr.JfrProbe").getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            System.getLogger("dev.weft.loop").log(System.Logger.Level.WARNING,
                    "JFR events of the loop are off: " + e);
            return new LoopProbe();
        }
    }

    /** Whether a recording wants slow callbacks: then the loop brackets each callback. */
    public boolean timeCallbacks() {
        return false;
    }

    /** Before a callback runs; returns what {@link #callbackEnded} takes (may be null). */
    public Object callbackStarted() {
        return null;
    }

    /** After the callback {@code callback} (its handle {@code handle}) ran; commits when it was slow. */
    public void callbackEnded(Object token, Object handle, Object callback) {
    }

    /**
     * Runs one I/O event's handler ({@code handler.onReady(ready)}: the protocol's
     * {@code dataReceived}, {@code connectionMade}, ... that the event leads to), timed as one
     * callback. The pollers call it instead of {@code onReady} for the events of a poll that began
     * with {@link #timeCallbacks()} true. The callback's identity is the protocol class of the
     * handler's {@link Poller.ReadyHandler#owner() owner} where that is a transport, else the owner's class.
     */
    public final void timedReady(Poller.ReadyHandler handler, int ready) {
        Object token = callbackStarted();
        try {
            handler.onReady(ready);
        } finally {
            Object owner = handler.owner();
            Object identity = owner;
            if (owner instanceof Transport t && t.protocol() != null) {
                identity = t.protocol();
            } else if (owner instanceof DatagramTransport d && d.protocol() != null) {
                identity = d.protocol();
            }
            callbackEnded(token, owner, identity);
        }
    }

    /** Before a task step; returns what {@link #taskStepEnded} takes (may be null). */
    public Object taskStepStarted() {
        return null;
    }

    /** After a step of the task named {@code task}; commits when it was slow. */
    public void taskStepEnded(Object token, String task) {
    }

    /** A timer phase fired timers, the latest {@code lagNanos} late. */
    public void loopLag(long lagNanos, String backend) {
    }

    /** {@code transport} ends with {@code cause}. */
    public void transportError(Object transport, Throwable cause) {
    }
}
