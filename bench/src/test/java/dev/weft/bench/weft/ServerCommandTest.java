package dev.weft.bench.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ServerCommandTest {
    @Test
    void shouldTakeAUnixPathInPlaceOfHostAndPort() throws Exception {
        ServerCommand c = ServerCommand.parse("echo-server", WeftEchoServer.USAGE, null,
                new String[] {"--backend", "nio", "--unix", "/tmp/weft-echo.sock"}, 0, true);
        try {
            assertEquals("/tmp/weft-echo.sock", c.unixPath);
            assertEquals(-1, c.port);
        } finally {
            c.loop.close();
        }
    }

    @Test
    void shouldReadAnAtSignAsAnAbstractName() throws Exception {
        ServerCommand c = ServerCommand.parse("echo-server", WeftEchoServer.USAGE, null,
                new String[] {"--backend", "nio", "--unix", "@weft-echo"}, 0, true);
        try {
            assertEquals("\0weft-echo", c.unixPath);
        } finally {
            c.loop.close();
        }
    }

    @Test
    void shouldRefuseUnixTogetherWithHostOrPort() {
        for (String[] argv : new String[][] {
            {"--backend", "nio", "--unix", "/tmp/x.sock", "--port", "0"},
            {"--backend", "nio", "--host", "127.0.0.1", "--unix", "/tmp/x.sock"},
            {"--backend", "nio", "--unix", ""},
        }) {
            ServerCommand.Exit e = assertThrows(ServerCommand.Exit.class,
                    () -> ServerCommand.parse("echo-server", WeftEchoServer.USAGE, null, argv, 0, true));
            assertEquals(2, e.code);
        }
    }

    @Test
    void shouldRefuseUnixWhereTheSubcommandHasNoUnixServer() {
        ServerCommand.Exit e = assertThrows(ServerCommand.Exit.class, () -> ServerCommand.parse("http-server",
                "--backend B --port P", null, new String[] {"--backend", "nio", "--unix", "/tmp/x.sock"}, 0));
        assertEquals(2, e.code);
    }

    @Test
    void shouldKeepTcpParsingAsItWas() throws Exception {
        ServerCommand c = ServerCommand.parse("echo-server", WeftEchoServer.USAGE, null,
                new String[] {"--backend", "nio", "--port", "0"}, 0, true);
        try {
            assertNull(c.unixPath);
            assertEquals("127.0.0.1", c.host);
            assertEquals(0, c.port);
        } finally {
            c.loop.close();
        }
    }

    @Test
    void shouldTakeLoopsForAGroupWithoutMakingALoop() throws Exception {
        ServerCommand c = ServerCommand.parse("echo-server", WeftEchoServer.USAGE, null,
                new String[] {"--backend", "nio", "--port", "0", "--loops", "2"}, 0, true);
        assertEquals(2, c.loops);
        assertEquals("nio", c.backend);
        assertNull(c.loop, "the group makes its own loops");
    }

    @Test
    void shouldRefuseBadLoopCountsAndLoopsWithTlsOrUdpOrWhereTheSubcommandHasNone() {
        for (String[] argv : new String[][] {
            {"--backend", "nio", "--port", "0", "--loops", "0"},
            {"--backend", "nio", "--port", "0", "--loops", "two"},
            {"--backend", "nio", "--port", "0", "--loops", "2", "--udp"},
            {"--backend", "nio", "--port", "0", "--loops", "2", "--tls"},
        }) {
            ServerCommand.Exit e = assertThrows(ServerCommand.Exit.class,
                    () -> ServerCommand.parse("echo-server", WeftEchoServer.USAGE, null, argv, 0, true));
            assertEquals(2, e.code, String.join(" ", argv));
        }
        ServerCommand.Exit e = assertThrows(ServerCommand.Exit.class, () -> ServerCommand.parse("http-server",
                "--backend B --port P", null, new String[] {"--backend", "nio", "--port", "0", "--loops", "2"}, 0));
        assertEquals(2, e.code);
    }

    @Test
    void shouldTakeTrainSecondsOnTcp() throws Exception {
        ServerCommand c = ServerCommand.parse("echo-server", WeftEchoServer.USAGE, null,
                new String[] {"--backend", "nio", "--port", "0", "--train", "2"}, 0, true);
        try {
            assertEquals(2, c.trainSeconds);
            assertEquals(0, c.warmSeconds);
        } finally {
            c.loop.close();
        }
    }

    @Test
    void shouldRefuseTrainOrWarmWithBadSecondsOrOffTcpOrWhereTheSubcommandHasNone() {
        for (String[] argv : new String[][] {
            {"--backend", "nio", "--port", "0", "--train", "0"},
            {"--backend", "nio", "--port", "0", "--train", "soon"},
            {"--backend", "nio", "--port", "0", "--train", "3601"},
            {"--backend", "nio", "--port", "0", "--train", "2", "--udp"},
            {"--backend", "nio", "--port", "0", "--train", "2", "--tls"},
            {"--backend", "nio", "--unix", "/tmp/x.sock", "--train", "2"},
            {"--backend", "nio", "--port", "0", "--warm", "0"},
            {"--backend", "nio", "--port", "0", "--warm", "2", "--train", "2"},
            {"--backend", "nio", "--port", "0", "--warm", "2", "--loops", "2"},
            {"--backend", "nio", "--port", "0", "--warm", "2", "--tls"},
        }) {
            ServerCommand.Exit e = assertThrows(ServerCommand.Exit.class,
                    () -> ServerCommand.parse("echo-server", WeftEchoServer.USAGE, null, argv, 0, true));
            assertEquals(2, e.code, String.join(" ", argv));
        }
        ServerCommand.Exit e = assertThrows(ServerCommand.Exit.class, () -> ServerCommand.parse("http-server",
                "--backend B --port P", null, new String[] {"--backend", "nio", "--port", "0", "--train", "2"}, 0));
        assertEquals(2, e.code);
    }
}
