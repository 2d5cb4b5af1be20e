package dev.weft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UdpPartTest {
    private static Map<String, Object> run(double pps, double cpuNs, long sent, long lost) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("pps", pps);
        r.put("cpu_ns_per_datagram", cpuNs);
        r.put("sent", sent);
        r.put("lost", lost);
        r.put("received", sent - lost);
        return r;
    }

    private static ServerSpec spec(String name) {
        return new ServerSpec(name, "x", false, port -> List.of(), null, "v");
    }

    @Test
    void shouldTakeMediansAndRatiosAgainstNettyEpollOfTheSameRun() {
        Map<String, List<Map<String, Object>>> runs = new LinkedHashMap<>();
        runs.put("64|netty-epoll", List.of(run(100, 1000, 100, 0), run(300, 3000, 100, 0)));
        runs.put("64|weft-epoll", List.of(run(400, 500, 1000, 10), Map.of("error", "boom")));
        UdpPart.Plan plan = new UdpPart.Plan(2, 0.1, 0.2, 0.1, List.of(64));
        Map<String, Object> doc = UdpPart.results(plan, List.of(spec("weft-epoll"), spec("netty-epoll"), spec("asyncio")),
                Map.of(), runs, Path.of("udp_load"));
        List<Map<String, Object>> cells = ReportWriter.list(doc.get("cells"));
        assertEquals(2, cells.size(), "a server without runs has no cell");
        Map<String, Object> weft = cells.get(0);
        assertEquals("weft-epoll", weft.get("server"));
        assertEquals(400.0, Report.num(weft, "pps"));
        assertEquals(2.0, Report.num(weft, "pps_vs_netty_epoll"), 1e-9, "400 against the median 200");
        assertEquals(0.25, Report.num(weft, "cpu_vs_netty_epoll"), 1e-9, "500 ns against the median 2,000");
        assertEquals(1.0, Report.num(weft, "loss_pct"), 1e-9);
        assertEquals(Map.of("weft-epoll 64 B", "boom"), doc.get("errors"));
        ReportWriter.Section s = UdpPart.section(doc);
        assertTrue(s.rows().get(0).contains("2.00"), s.rows().toString());
        assertNull(UdpPart.section(Report.skippedPart("no gcc")));
    }
}
