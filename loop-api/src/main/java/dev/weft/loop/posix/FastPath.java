package dev.weft.loop.posix;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * An optional JNI fast path for the socket layer's per-message system calls: {@code read},
 * {@code send} and {@code sendmsg} (a poller's own calls, such as epoll's, live with its backend and
 * load through {@link #loadLibrary}). A JNI call with primitive arguments costs about a fifth of a
 * JNA direct-mapped one (no closure trampoline, no {@code ffi_call}, no errno bookkeeping), and
 * these are the calls an echoed message makes. Everything else stays on JNA ({@link LibC}).
 *
 * <p>The library ({@code src/main/c/weft_fast.c}) is compiled by the build with the machine's gcc
 * and packed as {@code native/<os>-<os.arch>/libweftfast.so} next to this class; it is copied to a
 * temporary file, loaded with {@link System#load}, and the file deleted. If the library is not in
 * the jar (no gcc at build time), does not load, or reports another interface version, or if
 * {@code -D}{@value #PROPERTY}{@code =false}, {@link #AVAILABLE} is false, {@link #status()} says
 * why, and callers use JNA. Which path is in use is decided once, when this class initialises.
 *
 * <p>Every method returns the call's result, or {@code -errno} when it fails (never an exception,
 * EINTR included: callers retry). Addresses are raw native addresses. Thread-safe (stateless).
 */
public final class FastPath {
    /** The system property that turns the fast path off when {@code false}. */
    public static final String PROPERTY = "weft.epoll.fastpath";
    /** The interface version the library must report ({@code WEFT_FAST_VERSION} in the C file). */
    static final int VERSION = 2;
    static final String LIBRARY = "libweftfast.so";

    /** Whether the JNI library is loaded and callers should use it. A constant for the JIT. */
    public static final boolean AVAILABLE;
    private static final String WHY_NOT;
    /**
     * Whether {@link #recvmmsg} and {@link #sendmmsg} are in the loaded library (probed once with
     * descriptor -1: a library built before them lacks them and is still used for the others).
     */
    public static final boolean MMSG;

    static {
        String why;
        try {
            why = load();
        } catch (Throwable t) {
            why = "cannot load the JNI library: " + t;
        }
        WHY_NOT = why;
        AVAILABLE = why == null;
        boolean mmsg = false;
        if (AVAILABLE) {
            try {
                mmsg = recvmmsg(-1, 0, 0, 0) < 0 && mmsghdrSize() == PosixAbi.current().MSGHDR_SIZE + 8;
            } catch (Throwable t) {
                mmsg = false;
            }
        }
        MMSG = mmsg;
    }

    private FastPath() {
    }

    /** {@code "jni fast path"}, or {@code "jna (<why the fast path is off>)"}. */
    public static String status() {
        return AVAILABLE ? "jni fast path" : "jna (" + WHY_NOT + ")";
    }

    /** Null if the fast path is in use, else why not. */
    public static String unavailabilityReason() {
        return WHY_NOT;
    }

    /** The resource holding the library for this OS and architecture, or null if none is built for it. */
    static String resource(String osName, String arch) {
        return resource(osName, arch, LIBRARY);
    }

    static String resource(String osName, String arch, String library) {
        if (!osName.startsWith("Linux")) {
            return null;
        }
        return "native/linux-" + arch.toLowerCase(Locale.ROOT) + "/" + library;
    }

    private static String load() throws Exception {
        String why = loadLibrary(FastPath.class, LIBRARY);
        if (why != null) {
            return why;
        }
        int v = version();
        if (v != VERSION) {
            return LIBRARY + " reports interface version " + v + ", this class needs " + VERSION;
        }
        return null;
    }

    /**
     * Loads the JNI library {@code library} packed next to {@code owner} (under
     * {@code native/<os>-<arch>/}), unless {@code -D}{@value #PROPERTY}{@code =false}: null when
     * loaded, else why not. Backends with JNI calls of their own (epoll's poller) load theirs this way.
     */
    public static String loadLibrary(Class<?> owner, String library) throws Exception {
        String flag = System.getProperty(PROPERTY, "true").trim();
        if (flag.equalsIgnoreCase("false")) {
            return "disabled by -D" + PROPERTY + "=false";
        }
        String os = System.getProperty("os.name", "?");
        String arch = System.getProperty("os.arch", "?");
        String res = resource(os, arch, library);
        if (res == null) {
            return "no JNI library for " + os;
        }
        try (InputStream in = owner.getResourceAsStream(res)) {
            if (in == null) {
                return "no " + res + " next to " + owner.getName() + " (built without gcc?)";
            }
            Path tmp = Files.createTempFile("weft-", "-" + library);
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                System.load(tmp.toAbsolutePath().toString());
            } finally {
                // The mapping outlives the file on Linux; nothing is left behind in the temp folder.
                Files.deleteIfExists(tmp);
            }
        }
        return null;
    }

    static native int version();

    /** {@code read(fd, buf, len)}: bytes read (0 at end of stream), or -errno. */
    public static native int read(int fd, long buf, int len);

    /** {@code send(fd, buf, len, flags)}: bytes sent, or -errno. */
    public static native int send(int fd, long buf, int len, int flags);

    /** {@code sendmsg(fd, msghdr, flags)}: bytes sent, or -errno. */
    public static native long sendmsg(int fd, long msghdr, int flags);

    /** {@code recvmmsg(fd, msgvec, vlen, flags, NULL)}: datagrams received, or -errno. */
    public static native int recvmmsg(int fd, long msgvec, int vlen, int flags);

    /** {@code sendmmsg(fd, msgvec, vlen, flags)}: datagrams sent, or -errno. */
    public static native int sendmmsg(int fd, long msgvec, int vlen, int flags);

    /** {@code sizeof(struct mmsghdr)} as the library was compiled. */
    static native int mmsghdrSize();
}
