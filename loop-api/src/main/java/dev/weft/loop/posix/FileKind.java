package dev.weft.loop.posix;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import dev.weft.loop.NativeIOException;
import java.nio.ByteBuffer;
import java.util.Locale;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The kind of file behind a descriptor ({@code fstat(2)}'s {@code st_mode & S_IFMT}): what a pipe
 * transport checks before it adopts one. Off the hot path: one call per adopted descriptor.
 *
 * <p><b>Layout.</b> {@code struct stat} differs per OS and, on Linux, per architecture; only the
 * offset of {@code st_mode} and an upper bound of the struct's size are needed (table below,
 * pinned on Linux x86_64 against the installed header by {@code FileKindTest}). The {@code S_IF*}
 * values are the historical ones, the same on Linux, macOS and FreeBSD. glibc exports {@code fstat}
 * since 2.33; before that only {@code __fxstat(_STAT_VER, fd, buf)}, used as the fallback.
 */
public enum FileKind {
    FIFO("a pipe or FIFO"),
    CHARACTER_DEVICE("a character device"),
    DIRECTORY("a directory"),
    BLOCK_DEVICE("a block device"),
    REGULAR_FILE("a regular file"),
    SYMLINK("a symbolic link"),
    SOCKET("a socket"),
    UNKNOWN("of an unknown kind");

    static final int S_IFMT = 0170000;
    static final int S_IFIFO = 0010000;
    static final int S_IFCHR = 0020000;
    static final int S_IFDIR = 0040000;
    static final int S_IFBLK = 0060000;
    static final int S_IFREG = 0100000;
    static final int S_IFLNK = 0120000;
    static final int S_IFSOCK = 0140000;

    /** Bytes reserved for {@code struct stat}: more than any supported OS needs (FreeBSD's 224). */
    static final int STAT_BUFFER = 512;

    private final String description;

    FileKind(String description) {
        this.description = description;
    }

    /** {@code "a regular file"}, {@code "a directory"}, ... */
    public String description() {
        return description;
    }

    /** The kind of {@code mode & S_IFMT}. */
    static FileKind ofMode(int mode) {
        switch (mode & S_IFMT) {
            case S_IFIFO:
                return FIFO;
            case S_IFCHR:
                return CHARACTER_DEVICE;
            case S_IFDIR:
                return DIRECTORY;
            case S_IFBLK:
                return BLOCK_DEVICE;
            case S_IFREG:
                return REGULAR_FILE;
            case S_IFLNK:
                return SYMLINK;
            case S_IFSOCK:
                return SOCKET;
            default:
                return UNKNOWN;
        }
    }

    /** The kind of file {@code fd} refers to; fails with the call's errno (EBADF for a closed fd). */
    public static FileKind of(int fd) throws NativeIOException {
        return ofMode(Stat.mode(fd));
    }

    /** {@code offsetof(struct stat, st_mode)} for an OS name and architecture, or -1 where unknown. */
    static int modeOffset(String osName, String arch) {
        String os = osName.toLowerCase(Locale.ROOT);
        String a = arch.toLowerCase(Locale.ROOT);
        boolean x64 = a.equals("amd64") || a.equals("x86_64");
        boolean arm64 = a.equals("aarch64") || a.equals("arm64");
        if (os.startsWith("linux")) {
            return x64 ? 24 : arm64 ? 16 : -1;
        }
        if (os.startsWith("mac") || os.startsWith("darwin")) {
            return x64 || arm64 ? 4 : -1;
        }
        if (os.startsWith("freebsd")) {
            return x64 || arm64 ? 24 : -1;
        }
        return -1;
    }

    /** The binding, made on first use. */
    private static final class Stat {
        private static final int OFFSET = modeOffset(System.getProperty("os.name", "?"), System.getProperty("os.arch", "?"));
        private static final Function FSTAT;
        /** {@code _STAT_VER} when only {@code __fxstat} exists (glibc before 2.33), else -1. */
        private static final int XSTAT_VERSION;
        private static final ThreadLocal<ByteBuffer> BUFFER =
                ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(STAT_BUFFER));

        static {
            NativeLibrary c = NativeLibrary.getInstance(Platform.C_LIBRARY_NAME);
            boolean macX64 = Platform.isMac() && Platform.is64Bit() && !Platform.isARM();
            Function f;
            int version = -1;
            try {
                // On macOS x86_64 the plain symbol is the 32-bit-inode struct; the 64-bit one has a suffix.
                f = c.getFunction(macX64 ? "fstat$INODE64" : "fstat");
            } catch (UnsatisfiedLinkError e) {
                f = c.getFunction("__fxstat");
                version = Platform.isARM() ? 0 : 1;
            }
            FSTAT = f;
            XSTAT_VERSION = version;
        }

        static int mode(int fd) throws NativeIOException {
            if (OFFSET < 0) {
                throw new UnsupportedOperationException("the layout of struct stat is not known for os.name="
                        + System.getProperty("os.name") + ", os.arch=" + System.getProperty("os.arch"));
            }
            ByteBuffer b = BUFFER.get();
            Pointer p = new Pointer(BufferUtil.address(b));
            int r = XSTAT_VERSION < 0 ? FSTAT.invokeInt(new Object[] {fd, p})
                    : FSTAT.invokeInt(new Object[] {XSTAT_VERSION, fd, p});
            if (r != 0) {
                throw Posix.error("fstat(fd " + fd + ")", Native.getLastError());
            }
            return new UnsafeBuffer(b).getShort(OFFSET) & 0xFFFF;
        }
    }
}
