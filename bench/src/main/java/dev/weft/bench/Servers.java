package dev.weft.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the echo servers of the report: every Weft backend (ServiceLoader, through
 * {@code dev.weft.bench.weft.WeftBackends}), Netty's three transports, the C epoll reference,
 * Python asyncio and uvloop, and Node.js. Each is returned, available or not, with its reason.
 */
final class Servers {
    /** The JVM flags every JVM server gets, the same for Weft and Netty. */
    static final List<String> JVM_FLAGS = List.of("-Xms256m", "-Xmx256m", "-XX:+UseParallelGC");

    private Servers() {
    }

    static String benchVersion() {
        String v = Servers.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }

    /** [name, unavailability cause or null] for each Weft backend on the class path. */
    static List<String[]> weftBackends(StringBuilder whyNone) {
        List<String[]> list = dev.weft.bench.weft.WeftBackends.list();
        if (list.isEmpty()) {
            whyNone.append("no Weft backend on the class path");
        }
        return list;
    }

    static List<ServerSpec> discover() {
        List<ServerSpec> out = new ArrayList<>();
        String java = Proc.javaBin();
        String jar = Proc.selfJar().toString();
        String jvmVersion = "Java " + System.getProperty("java.runtime.version");

        StringBuilder why = new StringBuilder();
        for (String[] b : weftBackends(why)) {
            String backend = b[0];
            out.add(new ServerSpec("weft-" + backend, "weft", true, port -> {
                List<String> cmd = new ArrayList<>(List.of(java));
                cmd.addAll(JVM_FLAGS);
                String kqueueLibrary = System.getProperty("weft.kqueue.library");
                if (backend.equals("kqueue") && kqueueLibrary != null) {
                    // On Linux kqueue runs over libkqueue, found where this JVM was told it is.
                    cmd.add("-Dweft.kqueue.library=" + kqueueLibrary);
                }
                cmd.addAll(List.of("-jar", jar, "echo-server", "--backend", backend, "--port", String.valueOf(port)));
                return cmd;
            }, b[1], "Weft " + benchVersion() + ", " + jvmVersion));
            if (backend.equals("epoll")) {
                // The same server with the JNI fast path forced off: every call through JNA.
                out.add(new ServerSpec("weft-epoll-jna", "weft", true, port -> {
                    List<String> cmd = new ArrayList<>(List.of(java));
                    cmd.addAll(JVM_FLAGS);
                    cmd.add("-D" + dev.weft.loop.posix.FastPath.PROPERTY + "=false");
                    cmd.addAll(List.of("-jar", jar, "echo-server", "--backend", backend, "--port", String.valueOf(port)));
                    return cmd;
                }, b[1], "Weft " + benchVersion() + ", " + jvmVersion + ", -D" + dev.weft.loop.posix.FastPath.PROPERTY + "=false"));
            }
        }
        if (why.length() > 0) {
            out.add(new ServerSpec("weft", "weft", true, port -> List.of(), why.toString(), "-"));
        }

        for (String t : NettyEcho.TRANSPORTS) {
            Throwable cause = NettyEcho.unavailability(t);
            out.add(new ServerSpec("netty-" + t, "netty", true, port -> {
                List<String> cmd = new ArrayList<>(List.of(java));
                cmd.addAll(JVM_FLAGS);
                cmd.addAll(List.of("-jar", jar, "netty-echo", "--transport", t, "--port", String.valueOf(port)));
                return cmd;
            }, cause == null ? null : String.valueOf(cause),
                    "Netty " + nettyVersion() + ", " + jvmVersion));
        }

        out.add(cEcho());
        out.addAll(python());
        out.add(node());
        return out;
    }

    private static ServerSpec cEcho() {
        Path gcc = Proc.which("gcc");
        if (gcc == null) {
            return new ServerSpec("c-epoll", "c", false, port -> List.of(), "no gcc on PATH to build echo_epoll.c", "-");
        }
        String version = "gcc " + Proc.run(List.of(gcc.toString(), "-dumpfullversion"), 10).out();
        try {
            Path bin = Resources.compileCEcho(gcc);
            return new ServerSpec("c-epoll", "c", false,
                    port -> List.of(bin.toString(), "--port", String.valueOf(port)), null, "echo_epoll.c, " + version + " -O2");
        } catch (Exception e) {
            return new ServerSpec("c-epoll", "c", false, port -> List.of(), "echo_epoll.c does not build: " + e.getMessage(), version);
        }
    }

    /**
     * The Python interpreter for both Python peers: Debian's {@code /usr/bin/python3} when it exists
     * (where {@code python3-uvloop} installs), so asyncio and uvloop run on the same interpreter;
     * else {@code python3} on PATH.
     */
    static Path pythonBin() {
        Path system = Path.of("/usr/bin/python3");
        if (Files.isExecutable(system)) {
            return system;
        }
        return Proc.which("python3");
    }

    private static List<ServerSpec> python() {
        Path py = pythonBin();
        if (py == null) {
            String why = "no python3 found (/usr/bin/python3 or PATH)";
            return List.of(new ServerSpec("asyncio", "python", false, port -> List.of(), why, "-"),
                    new ServerSpec("uvloop", "python", false, port -> List.of(), why, "-"));
        }
        String pyVersion = Proc.run(List.of(py.toString(), "--version"), 10).out();
        Path script;
        try {
            script = Resources.extract("python/echo.py");
        } catch (Exception e) {
            String why = "cannot extract echo.py: " + e.getMessage();
            return List.of(new ServerSpec("asyncio", "python", false, port -> List.of(), why, pyVersion),
                    new ServerSpec("uvloop", "python", false, port -> List.of(), why, pyVersion));
        }
        List<ServerSpec> out = new ArrayList<>();
        out.add(new ServerSpec("asyncio", "python", false,
                port -> List.of(py.toString(), script.toString(), "--loop", "asyncio", "--port", String.valueOf(port)),
                null, pyVersion + " (" + py + "), asyncio"));
        Proc.Result uv = Proc.run(List.of(py.toString(), "-c", "import uvloop; print(uvloop.__version__)"), 20);
        if (uv.exit() == 0) {
            out.add(new ServerSpec("uvloop", "python", false,
                    port -> List.of(py.toString(), script.toString(), "--loop", "uvloop", "--port", String.valueOf(port)),
                    null, pyVersion + " (" + py + "), uvloop " + uv.out()));
        } else {
            out.add(new ServerSpec("uvloop", "python", false, port -> List.of(),
                    "uvloop is not importable by " + py + " (Debian package python3-uvloop)", pyVersion));
        }
        return out;
    }

    private static ServerSpec node() {
        Path node = Proc.which("node");
        if (node == null) {
            node = Proc.which("nodejs");
        }
        if (node == null) {
            return new ServerSpec("node", "node", false, port -> List.of(), "no node or nodejs on PATH", "-");
        }
        Path bin = node;
        String version = "Node.js " + Proc.run(List.of(bin.toString(), "--version"), 10).out();
        try {
            Path script = Resources.extract("node/echo.js");
            return new ServerSpec("node", "node", false,
                    port -> List.of(bin.toString(), script.toString(), "--port", String.valueOf(port)), null, version);
        } catch (Exception e) {
            return new ServerSpec("node", "node", false, port -> List.of(), "cannot extract echo.js: " + e.getMessage(), version);
        }
    }

    static String nettyVersion() {
        io.netty.util.Version v = io.netty.util.Version.identify().get("netty-transport");
        return v != null ? v.artifactVersion() : "unknown";
    }

    static ServerSpec byName(String name) {
        for (ServerSpec s : discover()) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }
}
