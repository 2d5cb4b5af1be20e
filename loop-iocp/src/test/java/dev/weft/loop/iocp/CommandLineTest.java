package dev.weft.loop.iocp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The command line and environment block given to CreateProcessW (pure Java: runs on every OS). */
class CommandLineTest {
    @Test
    void shouldQuoteAsTheMsvcrtRulesReadItBack() {
        // Python's subprocess.list2cmdline examples, and the cases of its test_list2cmdline.
        assertEquals("\"a b c\" d e", CommandLine.quote(List.of("a b c", "d", "e")));
        assertEquals("ab\\\"c \\ d", CommandLine.quote(List.of("ab\"c", "\\", "d")));
        assertEquals("ab\\\"c \" \\\\\" d", CommandLine.quote(List.of("ab\"c", " \\", "d")));
        assertEquals("a\\\\\\b \"de fg\" h", CommandLine.quote(List.of("a\\\\\\b", "de fg", "h")));
        assertEquals("a\\\\\\\"b c d", CommandLine.quote(List.of("a\\\"b", "c", "d")));
        assertEquals("\"a\\\\b c\" d e", CommandLine.quote(List.of("a\\\\b c", "d", "e")));
        assertEquals("\"a\\\\b\\ c\" d e", CommandLine.quote(List.of("a\\\\b\\ c", "d", "e")));
        assertEquals("ab \"\"", CommandLine.quote(List.of("ab", "")));
        assertEquals("\"tab\there\"", CommandLine.quote(List.of("tab\there")));
    }

    @Test
    void shouldRoundTripRandomArgumentsThroughTheMsvcrtParse() {
        Random random = new Random(42);
        char[] alphabet = {'a', 'b', ' ', '\t', '"', '\\', 'x'};
        for (int round = 0; round < 2000; round++) {
            int n = 1 + random.nextInt(4);
            List<String> argv = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                StringBuilder b = new StringBuilder();
                int len = random.nextInt(8);
                for (int k = 0; k < len; k++) {
                    b.append(alphabet[random.nextInt(alphabet.length)]);
                }
                argv.add(b.toString());
            }
            String line = CommandLine.quote(argv);
            assertEquals(argv, CommandLine.parse(line), "through " + line);
        }
    }

    @Test
    void shouldSortTheEnvironmentBlockByNameIgnoringCaseAndEndItWithTwoNuls() {
        assertEquals("a=1\0B=2\0c=3\0\0", CommandLine.environmentBlock(Map.of("c", "3", "B", "2", "a", "1")));
        assertEquals("\0\0", CommandLine.environmentBlock(Map.of()));
    }
}
