package dev.weft.loop.iocp;

import dev.weft.loop.testkit.SubprocessTests;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The subprocess suite on iocp (runs on Windows, and on Linux under Wine). Its children are Windows
 * programs: {@code cmd.exe} where it does the role exactly (exit codes), else a {@link WinChild}
 * on this JRE's {@code java.exe}.
 */
@EnabledOnOs(OS.WINDOWS)
class IocpSubprocessConformanceTest extends SubprocessTests {
    @Override
    protected String backend() {
        return "iocp";
    }

    @Override
    protected List<String> child(Role role, Object... args) {
        switch (role) {
            case OUT_ERR_EXIT:
                return WinChild.argv("out-err-exit", args);
            case SLEEP:
                return WinChild.argv("sleep", args);
            case EXIT:
                return List.of(cmd(), "/d", "/c", "exit " + args[0]);
            case CAT:
                return WinChild.argv("cat");
            case CLOSE_STDIN_EXIT:
                return WinChild.argv("close-stdin-exit");
            case CLOSE_STDIN_ECHO_DONE:
                return WinChild.argv("close-stdin-echo");
            case ZEROS:
                return WinChild.argv("zeros", args);
            case GRANDCHILD:
                return WinChild.argv("grandchild");
            case SLEEP_EXIT:
                return WinChild.argv("sleep-exit", args);
            case PWD_ENV:
                return WinChild.argv("pwd-env", args);
            case ECHO_TO_FD:
                return WinChild.argv("echo", "to-fd");
            default:
                throw new IllegalArgumentException("role " + role);
        }
    }

    static String cmd() {
        return System.getenv("SystemRoot") + "\\System32\\cmd.exe";
    }

    /** What a Windows program needs of the environment to start: the system folders. */
    @Override
    protected Map<String, String> childEnvironment(Map<String, String> variables) {
        Map<String, String> env = new HashMap<>(variables);
        for (String name : List.of("SystemRoot", "windir", "SystemDrive")) {
            String value = System.getenv(name);
            if (value != null) {
                env.put(name, value);
            }
        }
        return env;
    }

    @Override
    protected boolean posixSignals() {
        return false;
    }

    /**
     * Each child of this test is a Wine process under Wine (a Linux process of its own, with
     * Wine's start-up cost): 1000 at once would swamp a shared machine, 50 still run concurrently.
     */
    @Override
    protected int concurrentChildren() {
        return 50;
    }

    @Override
    protected String skipReason(String need) {
        switch (need) {
            case "fd":
                return "Stdio.fd takes a POSIX descriptor, which Windows does not give a child (iocp refuses it "
                        + "with UnsupportedCapabilityException: IocpSubprocessTest checks that)";
            case "proc":
                return "reads the child's descriptors in /proc/<pid>/fd, which Windows has not (IocpSubprocessTest"
                        + " checks instead that an inheritable handle outside PROC_THREAD_ATTRIBUTE_HANDLE_LIST"
                        + " does not reach the child)";
            default:
                return null;
        }
    }
}
