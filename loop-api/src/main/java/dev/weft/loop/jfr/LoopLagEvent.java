package dev.weft.loop.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.SettingDefinition;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * Timers fired later than the event's {@code lagThreshold} setting (default 20 ms) after their
 * deadline: the loop was busy (a slow callback, a flood of I/O) or its thread was not scheduled.
 * One event per timer phase, with the lag of its latest timer (see {@code LoopStats}).
 *
 * <p>The setting is {@code lagThreshold}, not JFR's {@code threshold}: JFR's compares the event's
 * own duration, measured between {@code begin()} and {@code end()}, and a lag is only known once it
 * has happened. It takes JFR's time spans ({@code "20 ms"}, {@code "1 s"}, {@code "0 ns"}); with
 * several recordings the smallest wins.
 */
@Name("dev.weft.LoopLag")
@Label("Loop Lag")
@Category("Weft")
@Description("Timers fired late by more than lagThreshold")
@StackTrace(false)
final class LoopLagEvent extends jdk.jfr.Event {
    @Label("Lag")
    @Description("How late the latest timer of the phase fired")
    @Timespan(Timespan.NANOSECONDS)
    long lag;

    @Label("Backend")
    String backend;

    @SettingDefinition
    @Name("lagThreshold")
    @Label("Lag Threshold")
    @Description("Record only lags at least this long")
    boolean lagThreshold(LagThreshold setting) {
        return lag >= setting.nanos();
    }
}
