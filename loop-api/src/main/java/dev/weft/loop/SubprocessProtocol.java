package dev.weft.loop;

import org.agrona.DirectBuffer;

/**
 * What a child process's transport tells its protocol (asyncio's {@code SubprocessProtocol}). All
 * methods run on the loop thread, one at a time: {@code connectionMade} once; then any number of
 * {@code pipeDataReceived}, {@code pipeConnectionLost} (once per pipe), flow-control calls for the
 * child's stdin, and {@code processExited} once; then {@code connectionLost} once, after the
 * process exited and every pipe is closed.
 */
public interface SubprocessProtocol {
    /** The child runs; {@code transport} stays valid until {@link #connectionLost}. */
    default void connectionMade(SubprocessTransport transport) {
    }

    /**
     * The child wrote to its stdout ({@code fd} 1) or stderr ({@code fd} 2). {@code data} holds
     * {@code data.capacity()} bytes and is valid during this call only.
     */
    default void pipeDataReceived(int fd, DirectBuffer data) {
    }

    /** The pipe to the child's {@code fd} closed: {@code cause} null at EOF or a regular close, else the error. */
    default void pipeConnectionLost(int fd, Throwable cause) {
    }

    /** The child exited; {@link SubprocessTransport#returnCode()} has its return code. */
    default void processExited() {
    }

    /** The transport is closed: the child exited and its pipes are closed. Called once, last. */
    default void connectionLost(Throwable cause) {
    }

    /** The child's stdin buffer went over its high-water mark. */
    default void pauseWriting() {
    }

    /** The child's stdin buffer drained to its low-water mark. */
    default void resumeWriting() {
    }
}
