package dev.weft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.Capability;
import dev.weft.loop.EventLoopPolicy;
import dev.weft.loop.spi.LoopBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's feature table against what each backend declares: every {@link Capability} has one
 * row (tagged {@code `Capability.NAME`} in its first cell), and in each backend's column the cell
 * starts with "yes" exactly when the backend offers it, and with "unsupported on BACKEND" when it
 * does not. A backend not on the class path has "-" everywhere.
 */
class FeatureTableTest {
    private static final Pattern TAG = Pattern.compile("`Capability\\.([A-Z_]+)`");

    @Test
    void shouldMatchWhatEachBackendDeclaresForEveryCapability() throws IOException {
        Path readme = Path.of("..", "README.md");
        List<String> lines = Files.readAllLines(readme);
        List<String> header = null;
        Map<Capability, List<String>> rows = new HashMap<>();
        for (String line : lines) {
            if (!line.startsWith("| ")) {
                continue;
            }
            List<String> cells = cells(line);
            if (header == null && cells.size() > 1 && cells.get(0).equals("feature")) {
                header = cells;
                continue;
            }
            Matcher m = TAG.matcher(cells.get(0));
            if (header != null && m.find()) {
                Capability c = Capability.valueOf(m.group(1));
                assertTrue(rows.put(c, cells) == null, "two rows for " + c);
            }
        }
        assertNotNull(header, "no feature table in README.md");
        Map<String, LoopBackend> backends = new HashMap<>();
        for (LoopBackend b : EventLoopPolicy.backends()) {
            backends.put(b.name(), b);
        }
        List<String> wrong = new ArrayList<>();
        for (Capability c : Capability.values()) {
            List<String> row = rows.get(c);
            if (row == null) {
                wrong.add("no row tagged `Capability." + c.name() + "`");
                continue;
            }
            for (int col = 1; col < header.size(); col++) {
                String name = header.get(col);
                String cell = col < row.size() ? row.get(col) : "";
                LoopBackend b = backends.get(name);
                if (b == null) {
                    if (!cell.equals("-")) {
                        wrong.add(c + "/" + name + ": backend not in this build, cell should be '-': " + cell);
                    }
                    continue;
                }
                String reason = b.unsupportedReason(c);
                if (reason == null && !cell.startsWith("yes")) {
                    wrong.add(c + "/" + name + ": declared supported, README says: " + cell);
                } else if (reason != null && !cell.startsWith("unsupported on " + name)) {
                    wrong.add(c + "/" + name + ": declared unsupported (" + reason + "), README says: " + cell);
                }
            }
        }
        assertEquals(List.of(), wrong);
    }

    private static List<String> cells(String line) {
        String body = line.trim();
        body = body.substring(1, body.endsWith("|") ? body.length() - 1 : body.length());
        List<String> out = new ArrayList<>();
        for (String c : body.split("\\|", -1)) {
            out.add(c.trim());
        }
        return out;
    }
}
