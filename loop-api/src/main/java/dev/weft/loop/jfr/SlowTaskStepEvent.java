package dev.weft.loop.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/**
 * One step of a task (from a resumption to its next suspension or its end) that ran longer than the
 * event's {@code threshold} setting (default 100 ms). The duration is the step's.
 */
@Name("dev.weft.SlowTaskStep")
@Label("Slow Task Step")
@Category("Weft")
@Description("A task step that ran longer than the threshold without suspending")
@Threshold("100 ms")
@StackTrace(false)
final class SlowTaskStepEvent extends jdk.jfr.Event {
    @Label("Task")
    @Description("The task's name")
    String task;
}
