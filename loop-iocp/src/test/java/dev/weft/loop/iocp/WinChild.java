package dev.weft.loop.iocp;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A child program for the subprocess tests on Windows, run by the Windows JRE's java.exe: each
 * mode plays one role of {@code SubprocessTests.Role} (lines end in {@code \n} alone), plus
 * {@code args}, which writes each argument it was given on a line of its own, for the command-line
 * quoting test.
 */
public final class WinChild {
    private WinChild() {
    }

    /** The argv that runs {@code mode} with {@code args} in a new JVM of this JRE. */
    static List<String> argv(String mode, Object... args) {
        List<String> argv = new ArrayList<>();
        argv.add(System.getProperty("java.home") + "\\bin\\java.exe");
        // A small, quick JVM: the child only copies bytes or sleeps.
        argv.addAll(List.of("-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx32m",
                "-cp", classPath(), WinChild.class.getName(), mode));
        for (Object a : args) {
            argv.add(String.valueOf(a));
        }
        return argv;
    }

    private static String classPath() {
        try {
            return java.nio.file.Path.of(WinChild.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true,
                StandardCharsets.UTF_8);
        switch (args[0]) {
            case "out-err-exit" -> {
                out.print("out\n");
                err.print("err\n");
                System.exit(Integer.parseInt(args[1]));
            }
            case "sleep" -> Thread.sleep(Long.parseLong(args[1]) * 1000);
            case "sleep-exit" -> {
                Thread.sleep(Long.parseLong(args[1]));
                System.exit(Integer.parseInt(args[2]));
            }
            case "cat" -> {
                InputStream in = new java.io.FileInputStream(java.io.FileDescriptor.in);
                OutputStream o = new java.io.FileOutputStream(java.io.FileDescriptor.out);
                in.transferTo(o);
                o.flush();
            }
            case "close-stdin-exit" -> new java.io.FileInputStream(java.io.FileDescriptor.in).close();
            case "close-stdin-echo" -> {
                new java.io.FileInputStream(java.io.FileDescriptor.in).close();
                out.print("done\n");
            }
            case "zeros" -> {
                OutputStream o = new java.io.FileOutputStream(java.io.FileDescriptor.out);
                byte[] zeros = new byte[64 * 1024];
                long left = Long.parseLong(args[1]);
                while (left > 0) {
                    int n = (int) Math.min(zeros.length, left);
                    o.write(zeros, 0, n);
                    left -= n;
                }
                o.flush();
            }
            case "grandchild" -> {
                new ProcessBuilder(argv("late"))
                        .redirectInput(ProcessBuilder.Redirect.PIPE)
                        .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start().getOutputStream().close();
                out.print("started\n");
                System.exit(6);
            }
            case "late" -> {
                Thread.sleep(1000);
                out.print("late\n");
                err.print("late\n");
            }
            case "pwd-env" -> {
                out.print(System.getProperty("user.dir") + "\n");
                out.print(System.getenv(args[1]) + "\n");
            }
            case "echo" -> out.print(args[1] + "\n");
            case "pid" -> out.print(ProcessHandle.current().pid() + "\n");
            case "args" -> {
                for (int i = 1; i < args.length; i++) {
                    out.print("[" + args[i] + "]\n");
                }
            }
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }
}
