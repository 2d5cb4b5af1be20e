package dev.weft.loop.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/**
 * A callback of the ready queue (a timer, {@code callSoon}, a future's callback, a task step)
 * that ran longer than the event's {@code threshold} setting (default 100 ms, asyncio's
 * {@code slow_callback_duration}). The event's duration is the callback's. No stack trace: it
 * would be the loop's own; the creation site is in {@code createdAt} when the loop is in debug
 * mode.
 */
@Name("dev.weft.SlowCallback")
@Label("Slow Callback")
@Category("Weft")
@Description("A loop callback that ran longer than the threshold, blocking every other callback and I/O of its loop")
@Threshold("100 ms")
@StackTrace(false)
final class SlowCallbackEvent extends jdk.jfr.Event {
    @Label("Callback Class")
    @Description("Class of the callback (a future's done callback: the callback given to addDoneCallback;"
            + " a lambda's class names the class that wrote it)")
    String callbackClass;

    @Label("Handle")
    @Description("The handle, as its toString: kind, callback, deadline for a timer")
    String handle;

    @Label("Created At")
    @Description("Where the handle was made (debug mode only), innermost frame first")
    String createdAt;
}
