package dev.weft.loop.iocp;

/**
 * The completion SPI: what owns a socket registered with the driver's port and hears how its
 * overlapped operations ended. It lives in this module, not in loop-api's {@code spi} package,
 * because no second completion backend needs it yet (io_uring would be the next candidate).
 *
 * <p><b>Contract.</b> Every operation started with one of the owner's OVERLAPPED blocks produces
 * exactly one {@link #complete} call, on the loop thread: from the port, or from the driver's list of
 * operations that finished at once (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS) or failed to start, so an
 * owner is never re-entered from inside one of its own calls. Until that call the kernel owns the
 * OVERLAPPED and the buffers of the operation: the owner must not free or reuse them. After closing
 * its socket an owner stays registered until its last operation has completed (cancelled ones
 * complete with ERROR_OPERATION_ABORTED); then it calls {@link IocpDriver#release}.
 */
interface Completion {
    /**
     * Operation {@code overlapped} finished: {@code error} 0 on success, else a Win32 or WSA error
     * code; {@code bytes} transferred.
     */
    void complete(long overlapped, int error, int bytes);

    /** The loop is closing: close the socket at once, with no protocol callback. */
    void closeNow();
}
