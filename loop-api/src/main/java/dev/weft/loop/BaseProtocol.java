package dev.weft.loop;

/**
 * What every protocol hears from its transport. All methods are called on the loop thread, one at a
 * time, in this order: {@code connectionMade} once, then any number of data and flow-control calls,
 * then {@code connectionLost} once.
 */
public interface BaseProtocol {
    /** The connection is up; {@code transport} stays valid until {@link #connectionLost}. */
    default void connectionMade(Transport transport) {
    }

    /**
     * The connection is gone. {@code cause} is null after a regular close or EOF, else the error
     * (for example a reset by the peer). Called once; the transport is closed when it runs.
     */
    default void connectionLost(Throwable cause) {
    }

    /** The transport's write buffer went over its high-water mark: stop writing until resumed. */
    default void pauseWriting() {
    }

    /** The transport's write buffer drained to its low-water mark. */
    default void resumeWriting() {
    }
}
