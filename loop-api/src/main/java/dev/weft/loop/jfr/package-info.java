/**
 * Java Flight Recorder events of the loop, category "Weft": {@code dev.weft.SlowCallback},
 * {@code dev.weft.SlowTaskStep}, {@code dev.weft.LoopLag}, {@code dev.weft.TransportError}. They
 * cost nothing until a recording enables them (every JFR recording does, with the defaults
 * below, unless its settings turn them off). Loaded only where the JVM has {@code jdk.jfr}; the
 * loop reaches them through {@link dev.weft.loop.core.LoopProbe}. Not API: the events' names and
 * fields are.
 */
package dev.weft.loop.jfr;
