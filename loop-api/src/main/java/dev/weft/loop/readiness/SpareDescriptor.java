package dev.weft.loop.readiness;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One descriptor held in reserve (a read-only {@code /dev/null}) so that a server out of
 * descriptors can give it up, accept a waiting connection into the freed number and close it at
 * once, then take the spare again (libuv's EMFILE handling). Where {@code /dev/null} does not exist
 * (Windows) there is no spare and {@link #release()} returns false. Not thread-safe: the loop
 * thread owns it.
 */
final class SpareDescriptor {
    private static final Path DEV_NULL = Path.of("/dev/null");

    private FileChannel held;

    /** Takes the spare unless it is already held; false when no descriptor could be had. */
    boolean acquire() {
        if (held != null) {
            return true;
        }
        try {
            held = FileChannel.open(DEV_NULL, StandardOpenOption.READ);
            return true;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /** Closes the spare, freeing its descriptor; false when none was held. */
    boolean release() {
        FileChannel f = held;
        if (f == null) {
            return false;
        }
        held = null;
        try {
            f.close();
        } catch (IOException e) {
            // A close of /dev/null that reports an error has still released the descriptor.
        }
        return true;
    }

    boolean isHeld() {
        return held != null;
    }
}
