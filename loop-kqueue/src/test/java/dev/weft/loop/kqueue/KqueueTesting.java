package dev.weft.loop.kqueue;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What the kqueue tests share. */
final class KqueueTesting {
    private KqueueTesting() {
    }

    /** Skips the calling test (or class, from {@code @BeforeAll}) with the backend's reason when kqueue cannot run here. */
    static void assumeAvailable() {
        Throwable cause = new KqueueBackend().unavailabilityCause();
        assumeTrue(cause == null, () -> "skipped: " + cause.getMessage());
    }
}
