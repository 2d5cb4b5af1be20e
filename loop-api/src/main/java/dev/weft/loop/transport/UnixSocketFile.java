package dev.weft.loop.transport;

import dev.weft.loop.UnixSocketAddress;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * The file of a Unix server's socket, or of a Unix datagram endpoint bound to a path, for every
 * backend: what is done before {@code bind} and after the socket closes. The probe is a stream
 * connect for both kinds: refused (ECONNREFUSED) only when no socket at all is bound to the file. An abstract name has no file, so every step does nothing for one.
 *
 * <ul>
 *   <li>{@link #prepare}: a file already at the path is removed only when it is a socket <em>and</em>
 *       a connect probe is refused (nobody listens: a stale file a crashed server left). A socket
 *       someone listens on, or any file that is not a socket, fails with {@link BindException}
 *       "address already in use" naming the path, and is left as it was (asyncio's check unlinked
 *       live servers' sockets, python/cpython#121252).</li>
 *   <li>{@link #bound}: remembers the identity of the file bind made (device and inode, through
 *       {@link BasicFileAttributes#fileKey()}).</li>
 *   <li>{@link #release}: with cleanup on, removes the file if it is still the one bound; one
 *       removed or replaced meanwhile by another server is left alone (asyncio 3.13's
 *       {@code cleanup_socket}, python/cpython#111246).</li>
 * </ul>
 * Loop thread only; the probe is a non-blocking connect, so nothing here waits.
 */
public final class UnixSocketFile {
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final UnixSocketAddress address;
    private final Path path;
    private final boolean cleanup;
    private Object fileKey;

    private UnixSocketFile(UnixSocketAddress address, boolean cleanup) {
        this.address = address;
        this.path = address.toPath();
        this.cleanup = cleanup;
    }

    /**
     * Makes the path ready for {@code bind}: removes a stale socket file, fails with
     * {@link BindException} naming the path when the file is live or not a socket.
     */
    public static UnixSocketFile prepare(UnixSocketAddress address, boolean cleanup) throws IOException {
        UnixSocketFile f = new UnixSocketFile(Objects.requireNonNull(address, "address"), cleanup);
        if (f.path != null) {
            f.removeIfStale();
        }
        return f;
    }

    private void removeIfStale() throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if (!isSocket(path, attrs)) {
            throw inUse("the path exists and is not a socket" + (attrs.isDirectory() ? " (a directory)" : ""));
        }
        String probe = probe(path);
        if (probe != null) {
            throw inUse(probe);
        }
        try {
            Files.delete(path);
        } catch (NoSuchFileException e) {
            // Removed by someone else meanwhile: the path is free all the same.
        }
    }

    /** Null when a connect to {@code path} is refused (nobody listens); else what the probe saw. */
    private static String probe(Path path) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.configureBlocking(false);
            try {
                ch.connect(UnixDomainSocketAddress.of(path));
                return "a server is listening on it";
            } catch (ConnectException refused) {
                return null;
            } catch (IOException e) {
                if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                    return null;
                }
                if (String.valueOf(e.getMessage()).contains("wrong type")) {
                    // EPROTOTYPE: a live socket of another type (a datagram socket) is bound there.
                    return "a socket of another type (datagram) is bound to it";
                }
                // EAGAIN (a full backlog: someone listens), EACCES: either way the file is not ours to remove.
                return "a connect probe did not show it stale (" + e.getMessage() + ")";
            }
        }
    }

    private BindException inUse(String why) {
        return new BindException("Address already in use: " + quote(address) + ": " + why);
    }

    private static String quote(UnixSocketAddress a) {
        return "'" + a + "'";
    }

    /** Whether the file is a socket ({@code S_ISSOCK}; any special file where the OS has no unix view). */
    static boolean isSocket(Path path, BasicFileAttributes attrs) throws IOException {
        if (!attrs.isOther()) {
            return false;
        }
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & S_IFMT) == S_IFSOCK;
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return true;
        }
    }

    /**
     * Records the identity of the file bind made; call once the bind succeeded (java.nio binds in
     * its listen call). Once recorded it stays: a later call does nothing.
     */
    public void bound() {
        if (path == null || fileKey != null) {
            return;
        }
        try {
            fileKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            // No file yet (java.nio before listen) or unreadable: release removes nothing it cannot recognise.
        }
    }

    /**
     * After the listening socket is closed: removes the file when cleanup is on and it is still the
     * one bound. Returns a failure to report (the file could not be removed), or null. Idempotent.
     */
    public IOException release() {
        Object key = fileKey;
        fileKey = null;
        if (!cleanup || path == null || key == null) {
            return null;
        }
        try {
            Object now = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            if (key.equals(now)) {
                Files.delete(path);
            }
            return null;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return new IOException("cannot remove the socket file " + quote(address) + ": " + e.getMessage(), e);
        }
    }

    /** The address this file belongs to. */
    public UnixSocketAddress address() {
        return address;
    }
}
