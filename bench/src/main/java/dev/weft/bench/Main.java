package dev.weft.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import dev.weft.bench.weft.ExampleEcho;
import dev.weft.bench.weft.WeftHttpServer;
import dev.weft.bench.weft.WeftEchoServer;

/**
 * Entry point of {@code weft-bench.jar}: dispatches to a subcommand. Exit status 0 on success, 2 on
 * a bad command line (the message names the argument), 3 when what was asked cannot run here (an
 * unavailable backend or peer), 1 on any other failure.
 */
public final class Main {
    interface Command {
        int run(String[] argv, int from) throws Exception;
    }

    private static final Map<String, String> HELP = new LinkedHashMap<>();
    private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static {
        add("echo-server", "--backend B (--port P [--host H] [--tls [--cert F --key F]] [--udp] | --unix PATH) [--loops N] [--train SEC]   Weft echo server (quiet; N loops: a loop group; SEC: drive itself, then end)",
                WeftEchoServer::run);
        add("example-echo", "--port P [--backend B] [--host 127.0.0.1]   the seed's EchoServer example (talkative, 5 s idle timeout)",
                ExampleEcho::run);
        add("netty-echo", "--transport epoll|nio|io_uring --port P [--host H]   Netty 4.2 echo server",
                NettyEcho::run);
        add("netty-udp-echo", "--transport epoll|nio --port P [--host H]   Netty 4.2 UDP echo server (recvmmsg on epoll)",
                NettyUdpEcho::run);
        add("peers", "                  list the echo servers (Weft and peers) and why any is unavailable",
                Main::peers);
        add("peer", "NAME --port P      run one echo server from 'peers' in the foreground",
                Main::peer);
        add("loadgen", "--port P --connections C --size S --pipeline D --duration SEC --warmup SEC [--pid PID]",
                LoadGen::run);
        add("netty-tls-echo", "--provider jdk|openssl --port P --cert F --key F   Netty 4.2 echo server behind SslHandler",
                NettyTlsEcho::run);
        add("tls-loadgen", "--port P --ca PEM [--connections C --size S | --handshakes] --duration SEC --warmup SEC [--pid PID]",
                TlsLoadGen::run);
        add("timers", "--impl weft-loop|netty-loop|netty-hwt [--count N] [--reps R]   1M timers: schedule+cancel, expiry (JSON lines)",
                TimerCell::run);
        add("http-server", "--backend B --port P [--host 127.0.0.1] [--tls [--cert F --key F]]   Weft HTTP/1.1 server (Hello, World!)",
                WeftHttpServer::run);
        add("netty-http", "--transport epoll|nio|io_uring --port P   Netty 4.2 HTTP/1.1 plaintext server (HttpServerCodec)",
                NettyHttp::run);
        add("jmh", "[REGEX] [--quick] [--json FILE] [--list]   the JMH suite (-prof gc) in forked JVMs",
                Jmh::run);
        add("report", "[--quick] [--out DIR]   run the benchmark matrix, write results.json, report.md, index.html",
                Report::run);
    }

    private static void add(String name, String help, Command c) {
        HELP.put(name, help);
        COMMANDS.put(name, c);
    }

    private Main() {
    }

    public static void main(String[] argv) {
        System.exit(dispatch(argv));
    }

    static int dispatch(String[] argv) {
        if (argv.length == 0 || argv[0].equals("help") || argv[0].equals("--help") || argv[0].equals("-h")) {
            usage(argv.length == 0 ? System.err : System.out);
            return argv.length == 0 ? 2 : 0;
        }
        Command c = COMMANDS.get(argv[0]);
        if (c == null) {
            System.err.println("weft-bench: unknown subcommand '" + argv[0] + "' (known: "
                    + String.join(", ", COMMANDS.keySet()) + ")");
            return 2;
        }
        try {
            return c.run(argv, 1);
        } catch (UsageException e) {
            System.err.println("weft-bench " + e.getMessage());
            return 2;
        } catch (Exception e) {
            System.err.println("weft-bench " + argv[0] + ": " + e);
            e.printStackTrace();
            return 1;
        }
    }

    private static void usage(java.io.PrintStream out) {
        out.println("usage: java -jar weft-bench.jar SUBCOMMAND [options]");
        HELP.forEach((k, v) -> out.println("  " + k + " " + v));
    }

    private static int peers(String[] argv, int from) {
        Args.parse("peers", argv, from, Set.of(), Set.of()).expectPositional(0, "");
        System.out.println(Uvloop.ensure(Servers.pythonBin()));
        for (ServerSpec s : Servers.discover()) {
            System.out.printf("%-16s %-11s %s%n", s.name(), s.available() ? "available" : "unavailable",
                    s.available() ? s.version() : s.unavailable());
        }
        return 0;
    }

    private static int peer(String[] argv, int from) throws Exception {
        Args a = Args.parse("peer", argv, from, Set.of("port"), Set.of()).expectPositional(1, "one server NAME");
        String name = a.positional().get(0);
        int port = a.port("port", null, true);
        Uvloop.ensure(Servers.pythonBin());
        ServerSpec s = Servers.byName(name);
        if (s == null) {
            throw new UsageException("peer: unknown server '" + name + "' (see the 'peers' subcommand)");
        }
        if (!s.available()) {
            System.err.println("weft-bench peer: " + name + " is unavailable: " + s.unavailable());
            return 3;
        }
        List<String> cmd = s.command().apply(port);
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        Uvloop.environment(pb.environment());
        Process p = pb.start();
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
        return p.waitFor();
    }
}
