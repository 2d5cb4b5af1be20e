package dev.weft.loop.iocp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

@EnabledOnOs(OS.WINDOWS)
@Timeout(30)
class CompletionPortTest {
    @Test
    void shouldDequeuePostedPacketsInBatchesIntoTheSameArray() throws Exception {
        try (CompletionPort port = new CompletionPort(4)) {
            for (int i = 1; i <= 10; i++) {
                assertTrue(port.post(100 + i, 1000L + i, 0x10000L * i));
            }
            long array = port.entriesAddress();
            Set<Long> keys = new HashSet<>();
            int batches = 0;
            while (keys.size() < 10) {
                int n = port.dequeue(1000);
                assertTrue(n >= 1 && n <= 4, "batch size within capacity: " + n);
                assertEquals(array, port.entriesAddress(), "the array is reused");
                for (int i = 0; i < n; i++) {
                    long key = port.key(i);
                    int index = (int) (key - 1000);
                    assertEquals(100 + index, port.bytes(i));
                    assertEquals(0x10000L * index, port.overlapped(i));
                    assertTrue(keys.add(key), "each packet once: " + key);
                }
                batches++;
            }
            assertTrue(batches >= 3, "10 packets in batches of at most 4 need 3 dequeues, took " + batches);
            assertEquals(0, port.dequeue(0), "nothing left");
        }
    }

    @Test
    void shouldReturnZeroOnTimeOutAndWakeUpWhenAnotherThreadPosts() throws Exception {
        try (CompletionPort port = new CompletionPort(8)) {
            assertEquals(0, port.dequeue(10));
            Thread poster = new Thread(() -> port.post(0, 42L, 0L));
            poster.start();
            int n = port.dequeue(-1);
            poster.join();
            assertEquals(1, n);
            assertEquals(42L, port.key(0));
        }
    }
}
