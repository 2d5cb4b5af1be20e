package dev.weft.loop.iocp;

import java.nio.channels.FileChannel;
import org.agrona.UnsafeApi;

/**
 * The Windows file handle behind a JDK {@link FileChannel}: {@code sun.nio.ch.FileChannelImpl}'s
 * {@code fd} field, then {@code java.io.FileDescriptor}'s {@code handle} (a {@code long} on Windows),
 * read through Agrona's {@link UnsafeApi} because the JDK has no public accessor. Another
 * {@code FileChannel} implementation has no handle: {@link #of} returns -1 and the caller copies.
 * Thread-safe.
 */
final class FileHandles {
    private static final Class<?> CHANNEL_CLASS;
    private static final long CHANNEL_FD;
    private static final long DESCRIPTOR_HANDLE;
    private static final String UNAVAILABLE;

    static {
        Class<?> c = null;
        long channelFd = -1;
        long handle = -1;
        String why = null;
        try {
            c = Class.forName("sun.nio.ch.FileChannelImpl");
            channelFd = UnsafeApi.objectFieldOffset(c, "fd");
            handle = UnsafeApi.objectFieldOffset(java.io.FileDescriptor.class, "handle");
        } catch (Throwable t) {
            why = "cannot find the handle of a JDK FileChannel: " + t;
        }
        CHANNEL_CLASS = c;
        CHANNEL_FD = channelFd;
        DESCRIPTOR_HANDLE = handle;
        UNAVAILABLE = why;
    }

    private FileHandles() {
    }

    /** Why {@code file}'s handle cannot be read, or null when {@link #of} returns it. */
    static String unsupported(FileChannel file) {
        if (UNAVAILABLE != null) {
            return UNAVAILABLE;
        }
        if (file.getClass() != CHANNEL_CLASS) {
            return file.getClass().getName() + " is not a JDK file channel with a handle";
        }
        return null;
    }

    /** {@code file}'s handle, or -1 when it has none (closed, or not a JDK file channel). */
    static long of(FileChannel file) {
        if (UNAVAILABLE != null || file.getClass() != CHANNEL_CLASS || !file.isOpen()) {
            return -1;
        }
        Object descriptor = UnsafeApi.getReference(file, CHANNEL_FD);
        return descriptor == null ? -1 : UnsafeApi.getLong(descriptor, DESCRIPTOR_HANDLE);
    }
}
