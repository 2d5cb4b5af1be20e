package dev.weft.loop.nio;

import java.nio.ByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One loop's staging buffer: java.nio reads and writes only through {@link ByteBuffer}s, and the
 * readiness transports hand over raw addresses, so every nio read and write costs one memory copy
 * through this direct buffer (no allocation). The native backends do not have this copy.
 */
final class NioStaging {
    static final int SIZE = 256 * 1024;
    final ByteBuffer buffer = ByteBuffer.allocateDirect(SIZE);
    final UnsafeBuffer view = new UnsafeBuffer(buffer);
    final UnsafeBuffer target = new UnsafeBuffer(0, 0);
}
