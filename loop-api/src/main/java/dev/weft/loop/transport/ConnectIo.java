package dev.weft.loop.transport;

import dev.weft.loop.BaseProtocol;
import java.io.IOException;
import java.net.SocketAddress;

/**
 * The backend's half of a connect: how one attempt opens a socket, connects it to one address and
 * turns it into the backend's stream transport, and how the driver counts a connect among its live
 * handles. The other half, {@link ConnectCore}, is the same for every backend and owns the order of
 * the attempts, the happy-eyeballs stagger, the failures, cancellation and the single winner; it
 * calls these methods on the loop thread only.
 *
 * <p>A readiness backend implements an attempt as a non-blocking connect waited for on
 * writability and finished with {@code SO_ERROR}; a completion backend as a bound socket with a
 * connect operation in flight. Either way an attempt in progress reports back to its core once:
 * {@link ConnectCore#connected} or {@link ConnectCore#failed}.
 *
 * @param <A> the kind of address the backend connects to
 */
public interface ConnectIo<A extends SocketAddress> {
    /** A new attempt of {@code connect} on {@code target}, not started yet. */
    Attempt attempt(ConnectCore<?, A> connect, A target);

    /** {@code connect} has started: count it among the driver's live handles. */
    void opened(ConnectCore<?, A> connect);

    /**
     * {@code connect} is over (won, failed, cancelled or closed with the loop): stop counting it.
     * May be called more than once.
     */
    void closed(ConnectCore<?, A> connect);

    /** One socket connecting to one address. */
    interface Attempt {
        /** The address this attempt connects to, as its failure names it. */
        SocketAddress target();

        /**
         * Opens the socket and starts the connect: true when it connected at once; false when it
         * is in progress, its outcome to be reported through {@link ConnectCore#connected} or
         * {@link ConnectCore#failed} from a later poll (never from inside this call). Throws when
         * it failed at once; the core then {@linkplain #close() closes} it.
         */
        boolean start() throws IOException;

        /**
         * The winner's socket becomes the backend's stream transport carrying {@code protocol},
         * counted among the driver's live handles and not yet started. Called once, after the
         * attempt connected. When it throws, the socket is still the attempt's and the core
         * closes it.
         */
        StreamCore transport(BaseProtocol protocol) throws IOException;

        /**
         * Closes the socket unless it became a transport; what the kernel still holds of an
         * operation in flight is freed when that operation comes back. Reports nothing; may be
         * called more than once.
         */
        void close();
    }
}
