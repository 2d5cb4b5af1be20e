package dev.weft.loop;

import java.util.PriorityQueue;

/**
 * Interim timer queue with the wheel's contract (a binary heap: O(log n)); replaced by the
 * hierarchical wheel.
 */
final class TimerWheel {
    static final long NULL_TIMER = -1L;

    private final PriorityQueue<long[]> heap = new PriorityQueue<>((a, b) -> a[0] != b[0]
            ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    private final java.util.HashMap<Long, Object> payloads = new java.util.HashMap<>();
    private final java.util.HashMap<Long, long[]> entries = new java.util.HashMap<>();
    private long seq;

    TimerWheel(long tickNanos, long startNanos) {
    }

    long schedule(long deadlineNanos, Object payload) {
        long id = seq++;
        long[] e = {deadlineNanos, id};
        heap.add(e);
        payloads.put(id, payload);
        entries.put(id, e);
        return id;
    }

    boolean cancel(long timerId) {
        long[] e = entries.remove(timerId);
        if (e == null) {
            return false;
        }
        heap.remove(e);
        payloads.remove(timerId);
        return true;
    }

    int poll(long nowNanos, Handler handler, int limit) {
        int fired = 0;
        long bound = seq;
        java.util.ArrayList<long[]> later = new java.util.ArrayList<>();
        while (fired < limit && !heap.isEmpty() && heap.peek()[0] <= nowNanos) {
            long[] e = heap.poll();
            if (e[1] >= bound) {
                later.add(e);
                continue;
            }
            entries.remove(e[1]);
            Object p = payloads.remove(e[1]);
            fired++;
            handler.onTimer(e[1], p);
        }
        heap.addAll(later);
        return fired;
    }

    long earliestDeadline() {
        long[] e = heap.peek();
        return e == null ? Long.MAX_VALUE : e[0];
    }

    int size() {
        return heap.size();
    }

    long deadline(long timerId) {
        long[] e = entries.get(timerId);
        return e == null ? Long.MIN_VALUE : e[0];
    }

    @FunctionalInterface
    interface Handler {
        void onTimer(long timerId, Object payload);
    }
}
