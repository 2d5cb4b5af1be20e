package dev.weft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void shouldRoundTripNestedValuesKeepingKeyOrder() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("z", 1L);
        m.put("a", "tab\there \"quoted\" <script> é");
        m.put("list", Arrays.asList(1.5, true, null, List.of()));
        m.put("empty", Map.of());
        String s = Json.write(m);
        assertEquals(m, Json.parse(s));
        assertEquals(m, Json.parse(Json.pretty(m)));
        assertEquals("z", ((Map<?, ?>) Json.parse(s)).keySet().iterator().next());
    }

    @Test
    void shouldWriteNonFiniteNumbersAsNullAndWholeDoublesWithoutFraction() {
        assertEquals("[null,null,3,0.25]", Json.write(List.of(Double.NaN, Double.POSITIVE_INFINITY, 3.0, 0.25)));
    }

    @Test
    void shouldNeverLetAStringCloseAnHtmlScriptElement() {
        assertFalse(Json.write("</script>").contains("</"));
    }

    @Test
    void shouldRejectMalformedInput() {
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\":1"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\":1} x"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[1,,2]"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("\"unterminated"));
    }

    @Test
    void shouldParseTheLoadGeneratorsLine() {
        String line = "{\"schema\":\"weft-loadgen/1\",\"messages\":276151,\"msgs_per_s\":138109.69,"
                + "\"latency_us\":{\"p50\":598.015,\"p99\":4980.735},\"client_cpu\":{\"saturated\":true}}";
        Map<?, ?> m = (Map<?, ?>) Json.parse(line);
        assertEquals(276151L, m.get("messages"));
        assertEquals(138109.69, m.get("msgs_per_s"));
        assertEquals(Boolean.TRUE, ((Map<?, ?>) m.get("client_cpu")).get("saturated"));
    }
}
