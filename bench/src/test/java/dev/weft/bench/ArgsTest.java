package dev.weft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class ArgsTest {
    static Args parse(String... argv) {
        return Args.parse("t", argv, 0, Set.of("port", "size", "host"), Set.of("quick"));
    }

    @Test
    void shouldParseOptionsFlagsAndSizes() {
        Args a = parse("--port", "8080", "--quick", "--size=100KiB");
        assertEquals(8080, a.port("port", null, false));
        assertTrue(a.flag("quick"));
        assertEquals(102400, a.size("size", null, 1, 1 << 20));
        assertEquals(1024, Args.parseSize("1k"));
        assertEquals(64, Args.parseSize("64B"));
    }

    @Test
    void shouldNameTheBadArgument() {
        UsageException e = assertThrows(UsageException.class, () -> parse("--bogus", "1"));
        assertTrue(e.getMessage().contains("--bogus"), e.getMessage());
        e = assertThrows(UsageException.class, () -> parse("--port", "x").port("port", null, false));
        assertTrue(e.getMessage().contains("--port") && e.getMessage().contains("'x'"), e.getMessage());
        e = assertThrows(UsageException.class, () -> parse("--port", "70000").port("port", null, false));
        assertTrue(e.getMessage().contains("70000"), e.getMessage());
        e = assertThrows(UsageException.class, () -> parse("--port"));
        assertTrue(e.getMessage().contains("needs a value"), e.getMessage());
        e = assertThrows(UsageException.class, () -> parse().port("port", null, false));
        assertTrue(e.getMessage().contains("missing required option --port"), e.getMessage());
        e = assertThrows(UsageException.class, () -> parse("--host", "10.0.0.1").loopbackHost("host", "127.0.0.1"));
        assertTrue(e.getMessage().contains("loopback"), e.getMessage());
    }

    @Test
    void shouldExitNonZeroOnAnUnknownSubcommandOrBadOption() {
        assertEquals(2, Main.dispatch(new String[] {"no-such-command"}));
        assertEquals(2, Main.dispatch(new String[] {"loadgen", "--port", "notaport"}));
        assertEquals(2, Main.dispatch(new String[] {}));
        assertEquals(0, Main.dispatch(new String[] {"help"}));
    }
}
