package dev.weft.loop.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.EventLoop;
import dev.weft.loop.EventLoopPolicy;
import dev.weft.loop.spi.LoopBackend;
import org.junit.jupiter.api.Test;

class EventLoopPolicyTest {
    @Test
    void shouldFindNioThroughServiceLoader() {
        LoopBackend nio = EventLoopPolicy.backend("nio");
        assertEquals("nio", nio.name());
        assertTrue(nio.isAvailable());
        assertEquals(null, nio.unavailabilityCause());
        assertTrue(EventLoopPolicy.backends().stream().anyMatch(b -> b.name().equals("nio")));
    }

    @Test
    void shouldFailForAnUnknownBackendNamingWhatExists() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EventLoopPolicy.backend("carrier-pigeon"));
        assertTrue(e.getMessage().contains("carrier-pigeon"), e.getMessage());
        assertTrue(e.getMessage().contains("nio"), e.getMessage());
    }

    @Test
    void shouldHonourTheSystemProperty() {
        String old = System.getProperty(EventLoopPolicy.BACKEND_PROPERTY);
        try {
            System.setProperty(EventLoopPolicy.BACKEND_PROPERTY, "nio");
            try (EventLoop loop = EventLoopPolicy.newEventLoop()) {
                assertEquals("nio", loop.backendName());
            }
            System.setProperty(EventLoopPolicy.BACKEND_PROPERTY, "no-such-backend");
            assertThrows(IllegalArgumentException.class, EventLoopPolicy::newEventLoop);
        } finally {
            if (old == null) {
                System.clearProperty(EventLoopPolicy.BACKEND_PROPERTY);
            } else {
                System.setProperty(EventLoopPolicy.BACKEND_PROPERTY, old);
            }
        }
    }

    @Test
    void shouldPickTheHighestRankedAvailableBackendForAutoAndSayWhy() {
        LoopBackend auto = EventLoopPolicy.backend("auto");
        assertTrue(auto.isAvailable());
        for (LoopBackend b : EventLoopPolicy.backends()) {
            if (b.isAvailable() && b.autoPriority() >= 0) {
                assertTrue(b.autoPriority() <= auto.autoPriority(), b.name() + " outranks " + auto.name());
            }
        }
        String why = EventLoopPolicy.describe();
        assertTrue(why.startsWith("auto picks " + auto.name()), why);
        assertTrue(why.contains("nio: rank 10, available"), why);
    }
}
