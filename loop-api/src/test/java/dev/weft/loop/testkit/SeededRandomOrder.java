package dev.weft.loop.testkit;

import java.util.Collections;
import java.util.Optional;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.MethodOrdererContext;

/**
 * JUnit's {@link MethodOrderer.Random} with its seed printed, so that an order in which a test
 * fails can be repeated. The methods of a class are shuffled by {@code java.util.Random(seed)} as
 * JUnit's orderer shuffles them; the seed is the configuration parameter (or system property)
 * {@value #SEED}, else one chosen per JVM. Each class prints one line to standard error:
 * {@code method order of CLASS: random, seed N (repeat with -Djunit.jupiter.execution.order.random.seed=N)}.
 * A test that passes only after another one warmed the JVM then fails in some runs instead of
 * never.
 */
public final class SeededRandomOrder implements MethodOrderer {
    /** JUnit's own parameter for {@link MethodOrderer.Random}'s seed. */
    public static final String SEED = MethodOrderer.Random.RANDOM_SEED_PROPERTY_NAME;

    private static final long JVM_SEED = System.nanoTime();

    @Override
    public void orderMethods(MethodOrdererContext context) {
        Optional<String> given = context.getConfigurationParameter(SEED);
        long seed = JVM_SEED;
        if (given.isPresent()) {
            try {
                seed = Long.parseLong(given.get().trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(SEED + " must be a long: " + given.get(), e);
            }
        }
        System.err.println("method order of " + context.getTestClass().getName() + ": random, seed " + seed
                + " (repeat with -D" + SEED + "=" + seed + ")");
        Collections.shuffle(context.getMethodDescriptors(), new java.util.Random(seed));
    }
}
