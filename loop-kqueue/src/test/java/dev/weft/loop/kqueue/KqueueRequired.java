package dev.weft.loop.kqueue;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Skips, with the backend's own reason, every test run with {@code -Dweft.test.backend=kqueue}
 * when kqueue cannot run here (on Linux: libkqueue not found). It is how loop-api's task suite,
 * run from this module, is skipped rather than failed without libkqueue; it is registered by
 * auto-detection, which only the task-suite executions in this module's pom turn on. The module's
 * own tests check availability themselves.
 */
public final class KqueueRequired implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (!"kqueue".equals(System.getProperty("weft.test.backend"))) {
            return ConditionEvaluationResult.enabled("not a kqueue run");
        }
        Throwable cause = new KqueueBackend().unavailabilityCause();
        return cause == null ? ConditionEvaluationResult.enabled("kqueue is available")
                : ConditionEvaluationResult.disabled("skipped: " + cause.getMessage());
    }
}
