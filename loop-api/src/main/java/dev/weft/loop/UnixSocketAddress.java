package dev.weft.loop;

import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The address of a Unix domain socket (stream, or datagram): a file system path, or on Linux an abstract name (a
 * leading NUL, {@code "\0name"}, which names no file and vanishes with the last socket bound to
 * it). Immutable, thread-safe; equal when the paths are equal.
 *
 * <p><b>Length.</b> A path is sent to the kernel as its bytes in UTF-8 inside {@code sockaddr_un}:
 * a file system path must leave room for the terminating NUL ({@link #maxPathBytes()} bytes at
 * most: 107 on Linux, 103 on macOS and FreeBSD), an abstract name is counted with its leading NUL
 * and needs no terminator (108 on Linux). {@link #of} checks this, so a path that is too long fails
 * before any socket or file is made.
 */
public final class UnixSocketAddress extends SocketAddress {
    private static final long serialVersionUID = 1L;

    /**
     * A socket bound to no path (a connecting client's own end, an unbound datagram sender), as the
     * kernel reports it: its path is empty and nothing can be sent to it.
     */
    public static final UnixSocketAddress UNNAMED = new UnixSocketAddress("", 0);

    private final String path;
    private final int length;

    private UnixSocketAddress(String path, int length) {
        this.path = path;
        this.length = length;
    }

    /**
     * The address of {@code path}. Fails with {@link IllegalArgumentException} naming the value when
     * it is null, empty, holds a NUL anywhere but first, or is longer than this OS allows.
     */
    public static UnixSocketAddress of(String path) {
        if (path == null) {
            throw new IllegalArgumentException("path must name a Unix socket, got null");
        }
        if (path.isEmpty()) {
            throw new IllegalArgumentException("path must name a Unix socket, got an empty string");
        }
        if (path.indexOf('\0', 1) >= 0) {
            throw new IllegalArgumentException("path holds a NUL character after its first: " + quote(path));
        }
        int bytes = path.getBytes(StandardCharsets.UTF_8).length;
        boolean abstractName = path.charAt(0) == '\0';
        int limit = abstractName ? sunPathSize() : sunPathSize() - 1;
        if (bytes > limit) {
            throw new IllegalArgumentException("path too long for a Unix socket: " + bytes + " bytes, "
                    + (abstractName ? "an abstract name may have " + limit + " with its leading NUL"
                    : "a file system path may have " + limit + " (sun_path is " + sunPathSize()
                    + " bytes with the terminating NUL)") + " on " + osName() + ": " + quote(path));
        }
        return new UnixSocketAddress(path, bytes);
    }

    /** The address of a file system path. */
    public static UnixSocketAddress of(Path path) {
        if (path == null) {
            throw new IllegalArgumentException("path must name a Unix socket, got null");
        }
        return of(path.toString());
    }

    /**
     * An address the kernel reported (getsockname, getpeername), taken as it is: for backends,
     * which must not fail on a name another program bound. Empty gives {@link #UNNAMED}.
     */
    public static UnixSocketAddress fromKernel(String path) {
        return path.isEmpty() ? UNNAMED : new UnixSocketAddress(path, path.getBytes(StandardCharsets.UTF_8).length);
    }

    /** The path as given ({@code "\0name"} for an abstract name; empty for {@link #UNNAMED}). */
    public String path() {
        return path;
    }

    /** Whether this is a Linux abstract name (a leading NUL). */
    public boolean isAbstract() {
        return !path.isEmpty() && path.charAt(0) == '\0';
    }

    /** The file system path, or null for an abstract name or {@link #UNNAMED}. */
    public Path toPath() {
        return isAbstract() || path.isEmpty() ? null : Path.of(path);
    }

    /** Bytes of the path in UTF-8 (with the leading NUL of an abstract name, without a terminator). */
    public int byteLength() {
        return length;
    }

    /**
     * The most bytes a file system path may have on this OS: {@code sizeof(sun_path) - 1} (107 on
     * Linux and Windows, 103 on macOS and FreeBSD).
     */
    public static int maxPathBytes() {
        return sunPathSize() - 1;
    }

    /** {@code sizeof(((struct sockaddr_un *) 0)->sun_path)} on this OS. */
    static int sunPathSize() {
        String os = osName().toLowerCase(Locale.ROOT);
        return os.startsWith("mac") || os.startsWith("darwin") || os.contains("bsd") ? 104 : 108;
    }

    private static String osName() {
        return System.getProperty("os.name", "?");
    }

    /** The path in quotes, an abstract name's NUL shown as {@code \0}. */
    static String quote(String path) {
        return "'" + path.replace("\0", "\\0") + "'";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UnixSocketAddress u && u.path.equals(path);
    }

    @Override
    public int hashCode() {
        return path.hashCode();
    }

    /** The path; an abstract name as {@code @name}, as ss(8) and /proc/net/unix show it. */
    @Override
    public String toString() {
        return isAbstract() ? "@" + path.substring(1) : path;
    }
}
