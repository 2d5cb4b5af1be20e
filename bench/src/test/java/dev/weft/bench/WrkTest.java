package dev.weft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class WrkTest {
    static final String OUTPUT = String.join("\n",
            "Running 2s test @ http://127.0.0.1:40123/",
            "  1 threads and 64 connections",
            "  Thread Stats   Avg      Stdev     Max   +/- Stdev",
            "    Latency   485.66us  150.54us   4.04ms   86.77%",
            "    Req/Sec    66.26k     2.31k   70.05k    80.00%",
            "  Latency Distribution",
            "     50%  462.00us",
            "     75%  517.00us",
            "     90%  595.00us",
            "     99%    1.06ms",
            "  131864 requests in 2.00s, 14.46MB read",
            "  Socket errors: connect 0, read 2, write 1, timeout 3",
            "  Non-2xx or 3xx responses: 5",
            "Requests/sec:  65932.13",
            "Transfer/sec:      7.23MB",
            "");

    @Test
    void shouldReadTotalsPercentilesAndErrorsFromWrkOutput() {
        Wrk.Result r = Wrk.parse(OUTPUT);
        assertEquals(131864, r.requests());
        assertEquals(2.0, r.seconds(), 1e-9);
        assertEquals(65932.13, r.requestsPerSec(), 1e-9);
        assertEquals(485.66, r.avgLatencyUs(), 1e-9);
        assertEquals(462.0, r.percentilesUs().get("p50"), 1e-9);
        assertEquals(595.0, r.percentilesUs().get("p90"), 1e-9);
        assertEquals(1060.0, r.percentilesUs().get("p99"), 1e-9);
        assertEquals(6, r.socketErrors());
        assertEquals(5, r.non2xx3xx());
    }

    @Test
    void shouldTreatMissingErrorLinesAsZeroAndMissingLatencyAsNull() {
        String out = "Running 1s test @ http://127.0.0.1:1/\n  10 requests in 1.00s, 1KB read\nRequests/sec: 10.00\n";
        Wrk.Result r = Wrk.parse(out);
        assertEquals(10, r.requests());
        assertEquals(0, r.socketErrors());
        assertEquals(0, r.non2xx3xx());
        assertNull(r.avgLatencyUs());
        assertNull(r.percentilesUs().get("p99"));
    }

    @Test
    void shouldConvertEveryWrkTimeUnitToMicroseconds() {
        assertEquals(12.5, Wrk.micros("12.50us"), 1e-9);
        assertEquals(1060.0, Wrk.micros("1.06ms"), 1e-9);
        assertEquals(2_000_000.0, Wrk.micros("2.00s"), 1e-9);
        assertEquals(90_000_000.0, Wrk.micros("1.50m"), 1e-9);
        assertEquals(3_600_000_000.0, Wrk.micros("1.00h"), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> Wrk.micros("3.0 parsecs"));
        assertThrows(IllegalArgumentException.class, () -> Wrk.micros("ms"));
    }

    @Test
    void shouldRejectTextThatIsNotWrkOutput() {
        assertThrows(IllegalArgumentException.class, () -> Wrk.parse("unable to connect to 127.0.0.1:1 Connection refused"));
    }
}
