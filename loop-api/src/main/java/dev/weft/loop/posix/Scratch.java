package dev.weft.loop.posix;

import java.nio.ByteBuffer;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A thread's native scratch memory for call arguments: a {@code sockaddr_storage}, a
 * {@code socklen_t}, an option value and a {@code msghdr}. One per thread ({@link ThreadLocal}), so
 * socket calls from a loop thread and, say, {@code extraInfo} from another cannot trample each
 * other; allocated once per thread, never per call. Valid only during one call.
 */
final class Scratch {
    static final int ADDR = 0;
    static final int ADDR_LEN = 128;
    static final int OPT = 136;
    static final int OPT_LEN = 152;
    static final int MSGHDR = 160;
    static final int SIZE = 256;

    private static final ThreadLocal<Scratch> PER_THREAD = ThreadLocal.withInitial(Scratch::new);

    private final ByteBuffer memory = ByteBuffer.allocateDirect(SIZE);
    final long address = BufferUtil.address(memory);
    final UnsafeBuffer buffer = new UnsafeBuffer(memory);

    static Scratch get() {
        return PER_THREAD.get();
    }

    long addr() {
        return address + ADDR;
    }

    long addrLen() {
        return address + ADDR_LEN;
    }

    long opt() {
        return address + OPT;
    }

    long optLen() {
        return address + OPT_LEN;
    }

    long msghdr() {
        return address + MSGHDR;
    }
}
