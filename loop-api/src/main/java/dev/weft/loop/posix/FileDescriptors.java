package dev.weft.loop.posix;

import java.nio.channels.FileChannel;
import org.agrona.UnsafeApi;

/**
 * The descriptor number behind a JDK {@link FileChannel} ({@code sun.nio.ch.FileChannelImpl}'s
 * {@code fd} field, then {@code java.io.FileDescriptor}'s), read through Agrona's
 * {@link UnsafeApi} because the JDK has no public accessor. Another {@code FileChannel}
 * implementation has no descriptor: {@link #of} returns -1 and the caller copies instead.
 * Thread-safe.
 */
final class FileDescriptors {
    private static final Class<?> CHANNEL_CLASS;
    private static final long CHANNEL_FD;
    private static final long DESCRIPTOR_FD;
    private static final String UNAVAILABLE;

    static {
        Class<?> c = null;
        long channelFd = -1;
        long descriptorFd = -1;
        String why = null;
        try {
            c = Class.forName("sun.nio.ch.FileChannelImpl");
            channelFd = UnsafeApi.objectFieldOffset(c, "fd");
            descriptorFd = UnsafeApi.objectFieldOffset(java.io.FileDescriptor.class, "fd");
        } catch (Throwable t) {
            why = "cannot find the descriptor of a JDK FileChannel: " + t;
        }
        CHANNEL_CLASS = c;
        CHANNEL_FD = channelFd;
        DESCRIPTOR_FD = descriptorFd;
        UNAVAILABLE = why;
    }

    private FileDescriptors() {
    }

    /** Why {@code file}'s descriptor cannot be read, or null when {@link #of} returns it. */
    static String unsupported(FileChannel file) {
        if (UNAVAILABLE != null) {
            return UNAVAILABLE;
        }
        if (file.getClass() != CHANNEL_CLASS) {
            return file.getClass().getName() + " is not a JDK file channel with a descriptor";
        }
        return null;
    }

    /** {@code file}'s descriptor, or -1 when it has none (closed, or not a JDK file channel). */
    static int of(FileChannel file) {
        if (UNAVAILABLE != null || file.getClass() != CHANNEL_CLASS || !file.isOpen()) {
            return -1;
        }
        Object descriptor = UnsafeApi.getReference(file, CHANNEL_FD);
        return descriptor == null ? -1 : UnsafeApi.getInt(descriptor, DESCRIPTOR_FD);
    }
}
