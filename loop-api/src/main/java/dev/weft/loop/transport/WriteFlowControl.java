package dev.weft.loop.transport;

import dev.weft.loop.Transport;

/**
 * A transport's write-buffer water marks and whether its protocol is paused: the flow-control
 * rule every backend shares. The protocol is paused when the buffer grows past the high-water mark
 * and resumed when it drains to the low-water mark; each transition is reported once. Loop thread
 * only; the transport calls the protocol.
 */
public final class WriteFlowControl {
    private int high = Transport.DEFAULT_HIGH_WATER;
    private int low = Transport.DEFAULT_LOW_WATER;
    private boolean paused;

    /**
     * {@link Transport#setWriteBufferLimits}: negative {@code high} means the default, negative
     * {@code low} means {@code high / 4}; {@code low > high} fails and changes nothing.
     */
    public void setLimits(int high, int low) {
        int h = high < 0 ? Transport.DEFAULT_HIGH_WATER : high;
        int l = low < 0 ? h / 4 : low;
        if (l > h) {
            throw new IllegalArgumentException("low-water mark " + l + " is above the high-water mark " + h);
        }
        this.high = h;
        this.low = l;
    }

    public int high() {
        return high;
    }

    public int low() {
        return low;
    }

    /** The buffer now holds {@code size} bytes: true when the protocol must be paused now. */
    public boolean pauseNeeded(int size) {
        if (!paused && size > high) {
            paused = true;
            return true;
        }
        return false;
    }

    /** The buffer now holds {@code size} bytes: true when the protocol must be resumed now. */
    public boolean resumeNeeded(int size) {
        if (paused && size <= low) {
            paused = false;
            return true;
        }
        return false;
    }
}
