package dev.weft.loop.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class InboxTest {

    @Test
    void shouldRefuseACapacityThatIsNotAPowerOfTwo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Inbox(6));
        assertTrue(e.getMessage().contains("6"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Inbox(1));
    }

    @Test
    void shouldCountWaitingElementsInTheRingAndTheOverflowList() {
        Inbox q = new Inbox(4);
        assertEquals(0, q.size());
        for (int i = 0; i < 3; i++) {
            q.offer(i);
        }
        assertEquals(3, q.size(), "in the ring");
        for (int i = 3; i < 10; i++) {
            q.offer(i);
        }
        assertTrue(q.isOverflowing());
        assertEquals(10, q.size(), "ring plus overflow list");
        q.poll();
        q.poll();
        assertEquals(8, q.size());
        while (q.poll() != null || !q.isEmpty()) {
            // drain
        }
        assertEquals(0, q.size());
    }

    @Test
    void shouldKeepFifoOrderThroughTheOverflowListAndBack() {
        Inbox q = new Inbox(4);
        List<Integer> out = new ArrayList<>();
        int next = 0;
        // Fill past the ring several times, taking some in between, so the queue goes into the
        // overflow list and comes back to the ring while elements are waiting in both.
        for (int round = 0; round < 50; round++) {
            int burst = 1 + (round * 7) % 11;
            for (int i = 0; i < burst; i++) {
                q.offer(next++);
            }
            if (round % 5 == 0) {
                assertTrue(q.isOverflowing() || burst <= 4, "round " + round);
            }
            int take = (round * 3) % 9;
            for (int i = 0; i < take; i++) {
                Object o = q.poll();
                if (o == null) {
                    break;
                }
                out.add((Integer) o);
            }
        }
        Object o;
        while ((o = q.poll()) != null || !q.isEmpty()) {
            if (o != null) {
                out.add((Integer) o);
            }
        }
        assertEquals(next, out.size(), "nothing lost");
        for (int i = 0; i < out.size(); i++) {
            assertEquals(i, out.get(i), "order at " + i);
        }
        assertFalse(q.isOverflowing(), "the ring is used again once the overflow list is empty");
        assertTrue(q.isEmpty());
        assertNull(q.poll());
    }

    @Test
    void shouldDeliverEveryElementOfEveryProducerInItsOrderUnderContention() throws Exception {
        Inbox q = new Inbox(8);
        int producers = 4;
        int each = 200_000;
        CountDownLatch start = new CountDownLatch(1);
        Thread[] threads = new Thread[producers];
        for (int p = 0; p < producers; p++) {
            int id = p;
            threads[p] = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    q.offer(new long[] {id, i});
                }
            });
            threads[p].start();
        }
        start.countDown();
        int[] nextOf = new int[producers];
        long total = (long) producers * each;
        long seen = 0;
        boolean sawOverflow = false;
        while (seen < total) {
            sawOverflow |= q.isOverflowing();
            Object o = q.poll();
            if (o == null) {
                Thread.onSpinWait();
                continue;
            }
            long[] e = (long[]) o;
            int id = (int) e[0];
            assertEquals(nextOf[id], (int) e[1], "producer " + id + " out of order");
            nextOf[id]++;
            seen++;
        }
        for (Thread t : threads) {
            t.join();
        }
        assertTrue(q.isEmpty());
        assertNull(q.poll());
        for (int p = 0; p < producers; p++) {
            assertEquals(each, nextOf[p]);
        }
        // Not asserted: whether this run happened to overflow depends on scheduling.
        System.out.println("InboxTest: overflow path seen under contention: " + sawOverflow);
    }

    @Test
    void shouldReportNotEmptyWhileAnElementWaitsInTheOverflowList() {
        Inbox q = new Inbox(2);
        q.offer("a");
        q.offer("b");
        q.offer("c");
        assertTrue(q.isOverflowing());
        assertEquals("a", q.poll());
        assertEquals("b", q.poll());
        assertFalse(q.isEmpty());
        assertEquals("c", q.poll());
        assertNull(q.poll());
        assertTrue(q.isEmpty());
        assertFalse(q.isOverflowing());
        q.offer("d");
        assertEquals("d", q.poll());
    }
}
