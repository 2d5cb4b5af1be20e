package dev.weft.loop.testkit;

import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Prints every thread's stack to standard error when one test method has run longer than
 * {@value #SECONDS} seconds (configuration parameter, default 120), naming the test. A run that
 * is stopped from outside (a time-out around a whole JVM, as under Wine) then still says which test
 * was stuck and where. The test itself is left alone: JUnit's own time-out ends it, when one is set.
 * Registered by extension autodetection where a module lists it.
 */
public final class StallWatch implements BeforeTestExecutionCallback, AfterTestExecutionCallback {
    /** The configuration parameter that sets the threshold, in seconds. */
    public static final String SECONDS = "weft.test.stall.seconds";

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "weft-stall-watch");
        t.setDaemon(true);
        return t;
    });
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(StallWatch.class);

    @Override
    public void beforeTestExecution(ExtensionContext context) {
        long seconds = context.getConfigurationParameter(SECONDS).map(s -> Long.parseLong(s.trim())).orElse(120L);
        String test = context.getRequiredTestClass().getName() + "#" + context.getDisplayName();
        ScheduledFuture<?> dump = TIMER.schedule(() -> dump(test, seconds), seconds, TimeUnit.SECONDS);
        context.getStore(NS).put("dump", dump);
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        ScheduledFuture<?> dump = context.getStore(NS).remove("dump", ScheduledFuture.class);
        if (dump != null) {
            dump.cancel(false);
        }
    }

    private static void dump(String test, long seconds) {
        StringBuilder out = new StringBuilder();
        out.append("STALL: ").append(test).append(" has run for ").append(seconds).append(" s; every thread's stack:\n");
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            Thread t = e.getKey();
            out.append("\"").append(t.getName()).append("\" ").append(t.getState()).append('\n');
            for (StackTraceElement frame : e.getValue()) {
                out.append("    at ").append(frame).append('\n');
            }
        }
        System.err.print(out);
        System.err.flush();
    }
}
