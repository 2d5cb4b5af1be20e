package dev.weft.loop.tls;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.BufferedProtocol;
import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Protocol;
import dev.weft.loop.TimerHandle;
import dev.weft.loop.Transport;
import dev.weft.loop.core.StreamProtocols;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * TLS as a protocol over any stream transport: it is the {@link Protocol} of the transport below
 * (TCP, Unix, or another TLS layer) and offers a {@link Transport} ({@link TlsTransport}) to the
 * application protocol above, moving bytes through one {@link SSLEngine}. Backends know nothing of
 * it.
 *
 * <h2>States</h2>
 * <pre>
 *   UNWRAPPED ──connectionMade──▶ DO_HANDSHAKE ──handshake done──▶ WRAPPED ──close() or peer close_notify──▶ FLUSHING
 *                                     │                                                                        │
 *                                     │ timeout, error, EOF, close()                      app data wrapped,   │
 *                                     ▼                                                   closeOutbound()      ▼
 *                                  SHUTDOWN ◀──────────── peer's close_notify, EOF, shutdown timeout ─── SHUTDOWN
 * </pre>
 * <ul>
 *   <li><b>UNWRAPPED</b>: built, not yet over a transport.</li>
 *   <li><b>DO_HANDSHAKE</b>: the engine handshakes; the handshake timer runs. The application sees
 *       nothing: on failure (an {@link SSLHandshakeException} naming the reason, the timeout, or the
 *       peer leaving with a {@link SocketException}) only the handshake future fails, and the
 *       application gets neither {@code connectionMade} nor {@code connectionLost}. The alert the
 *       engine makes is written before the transport closes.</li>
 *   <li><b>WRAPPED</b>: application data flows both ways. Entered when the engine reports the
 *       handshake done, possibly inside an unwrap that also produced application data (TLS 1.3):
 *       that data is delivered right after {@code connectionMade}. Post-handshake messages (session
 *       tickets, key updates) go through the same engine loop at any time.</li>
 *   <li><b>FLUSHING</b> (after {@code close()}, or after the peer's close_notify when the
 *       application does not keep the connection half-open): application bytes not yet wrapped are
 *       wrapped; then {@code closeOutbound()} and the state becomes SHUTDOWN. The shutdown timer
 *       starts here.</li>
 *   <li><b>SHUTDOWN</b>: our close_notify is written; data still arriving is delivered; the transport
 *       below is closed once the peer's close_notify (or its EOF) arrives, or aborted when the
 *       shutdown timeout passes. Also the final state after an abort or an error.</li>
 * </ul>
 *
 * <h2>Promises</h2>
 * <ul>
 *   <li>The engine loop runs until an iteration makes no progress, so a wrap that produces and
 *       consumes nothing (0/0), NEED_WRAP with nothing to write, and NEED_TASK never spin.</li>
 *   <li>Delegated tasks run on {@link TlsOptions#taskExecutor()} (a shared daemon pool by default),
 *       never on the loop thread; the engine resumes on the loop through
 *       {@link EventLoop#callSoonThreadsafe}. The handshake timer is independent of them.</li>
 *   <li>BUFFER_OVERFLOW hands on what the destination holds first (or, for plaintext the application
 *       cannot take now, waits until it can), else grows the destination to at least the session's
 *       current size, up to {@link #MAX_RECORD_BUFFER}, and retries; nothing is consumed by an
 *       overflowing call, so no plaintext is lost, and an engine overflowing past the bound fails the
 *       connection with an {@link SSLException} saying so. BUFFER_UNDERFLOW grows the inbound buffer to
 *       the session's packet size when needed and waits for more bytes. Post-handshake messages of any
 *       size (session tickets, key updates, spread over several records) take this same path.</li>
 *   <li>A TCP EOF without the peer's close_notify fails the connection with
 *       {@link TlsTruncatedException}; bytes received before it are delivered first.</li>
 *   <li>Flow control: the application's {@code pauseWriting}/{@code resumeWriting} follow the
 *       transport below; the application's {@code pauseReading} pauses the transport below and stops
 *       decrypting (ciphertext already received waits in the inbound buffer).</li>
 * </ul>
 *
 * <p><b>Threads.</b> Loop thread only, as every protocol and transport. Buffers are heap buffers
 * owned by this object and reused; the view passed to the application's {@code dataReceived} is
 * valid during the call only.
 */
public final class TlsProtocol implements Protocol {
    private static final System.Logger LOG = System.getLogger("dev.weft.loop.tls");
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private static final int BACKLOG_KEEP = 1 << 20;
    /** A TLS record header: type, version, length. */
    private static final int RECORD_HEADER = 5;
    /** How many full records {@code netOut} holds before it is written to the transport below. */
    private static final int NET_OUT_RECORDS = 4;

    /**
     * The most a record buffer grows to when the engine reports BUFFER_OVERFLOW into an empty one:
     * many times the largest record any engine produces (2^14 bytes of plaintext, 2^15 with the
     * JDK's large fragments, plus headers and padding).
     */
    static final int MAX_RECORD_BUFFER = 1 << 18;

    /** The states; see the class comment. */
    enum State { UNWRAPPED, DO_HANDSHAKE, WRAPPED, FLUSHING, SHUTDOWN }

    private final EventLoop loop;
    private final TlsOptions options;
    private final SSLEngine engine;
    private final boolean serverSide;
    private final String serverHostname;
    private final boolean callConnectionMade;
    private final LoopFuture<Transport> handshake;
    private final TlsTransport appTransport;
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    /**
     * One-element arrays for the engine's array forms of wrap and unwrap: the single-buffer forms
     * allocate such an array on every call (SSLEngine's default methods), 24 bytes a record each way.
     */
    private final ByteBuffer[] wrapSource = new ByteBuffer[1];
    private final ByteBuffer[] unwrapTarget = new ByteBuffer[1];

    private BaseProtocol app;
    private Protocol appStream;
    private BufferedProtocol appBuffered;
    private Transport lower;
    private State state = State.UNWRAPPED;

    /** Ciphertext received, not yet unwrapped (write mode: [0, position) holds it). */
    private ByteBuffer netIn;
    /** Plaintext unwrapped, not yet delivered (write mode). */
    private ByteBuffer appIn;
    /** Ciphertext wrapped, not yet written to the transport below (write mode). */
    private ByteBuffer netOut;
    /** Plaintext the application wrote, not yet wrapped (write mode). */
    private ByteBuffer backlog;

    /**
     * True while the engine is known to be in the steady wrapped state: the last wrap or unwrap
     * returned OK or a buffer status with NOT_HANDSHAKING, and nothing that changes the engine's
     * state ran since. While it holds and the state is {@link State#WRAPPED} ({@link #steady()}),
     * the engine loop does not ask the engine for its handshake status or whether either side is
     * done: each of those calls takes the engine's lock, and an echo asked a dozen of them per
     * message. Cleared by every call that can change the answer (beginHandshake, closeInbound,
     * closeOutbound, delegated tasks, an error, a CLOSED result, FINISHED).
     */
    private boolean quiet;
    /** The session's buffer sizes, read again whenever the engine reports a buffer too small. */
    private int packetSize;
    private int appSize;
    private boolean inPump;
    private boolean pumpAgain;
    private boolean taskRunning;
    private boolean appConnected;
    private boolean appLostCalled;
    private boolean appReadingPaused;
    private boolean lowerWritePaused;
    private boolean tcpEof;
    private boolean peerClosed;
    private boolean eofHandled;
    private boolean halfOpen;
    private boolean closeRequested;
    /** True once this layer closed or aborted the transport below (or it was lost). */
    private boolean done;
    private boolean lowerLost;
    private Throwable failure;
    private TimerHandle handshakeTimer;
    private TimerHandle shutdownTimer;

    TlsProtocol(EventLoop loop, TlsOptions options, boolean serverSide, String serverHostname, int peerPort,
                BaseProtocol app, boolean callConnectionMade) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.options = Objects.requireNonNull(options, "options");
        if (options.isServer() != serverSide) {
            throw new IllegalArgumentException("TLS options are for the " + (options.isServer() ? "server" : "client")
                    + " side, but the connection is on the " + (serverSide ? "server" : "client") + " side: " + options);
        }
        this.serverSide = serverSide;
        this.serverHostname = serverHostname == null || serverHostname.isEmpty() ? null : serverHostname;
        this.callConnectionMade = callConnectionMade;
        bindApp(app);
        this.engine = newEngine(options, serverSide, this.serverHostname, peerPort);
        this.packetSize = engine.getSession().getPacketBufferSize();
        this.appSize = engine.getSession().getApplicationBufferSize();
        this.netIn = ByteBuffer.allocate(packetSize);
        this.netOut = ByteBuffer.allocate(packetSize * 2);
        this.appIn = ByteBuffer.allocate(appSize * 2);
        this.backlog = ByteBuffer.allocate(appSize);
        this.handshake = loop.createFuture();
        this.appTransport = new TlsTransport(this);
        handshake.addDoneCallback(f -> {
            if (f.isCancelled() && (state == State.DO_HANDSHAKE || state == State.UNWRAPPED)) {
                abortNow(null);
            }
        });
    }

    private static SSLEngine newEngine(TlsOptions o, boolean serverSide, String host, int port) {
        SSLEngine e = serverSide || host == null ? o.context().createSSLEngine()
                : o.context().createSSLEngine(host, port);
        e.setUseClientMode(!serverSide);
        SSLParameters p = e.getSSLParameters();
        List<String> supported = List.of(e.getSupportedProtocols());
        List<String> enabled = new ArrayList<>();
        for (String v : o.protocolArray()) {
            if (supported.contains(v)) {
                enabled.add(v);
            }
        }
        if (enabled.isEmpty()) {
            throw new IllegalArgumentException("none of the TLS versions " + o.protocols()
                    + " is supported by this SSLContext: " + supported);
        }
        p.setProtocols(enabled.toArray(new String[0]));
        if (o.cipherSuiteArray() != null) {
            p.setCipherSuites(o.cipherSuiteArray());
        }
        if (o.applicationProtocolArray().length > 0) {
            p.setApplicationProtocols(o.applicationProtocolArray());
        }
        if (serverSide) {
            p.setNeedClientAuth(o.clientAuth() == TlsOptions.ClientAuth.NEED);
            if (o.clientAuth() == TlsOptions.ClientAuth.WANT) {
                p.setWantClientAuth(true);
            }
        } else {
            if (o.hostnameVerification()) {
                if (host == null) {
                    throw new IllegalArgumentException("serverHostname is required when host name verification is on: "
                            + host);
                }
                p.setEndpointIdentificationAlgorithm("HTTPS");
            }
            if (host != null && !isIpLiteral(host)) {
                p.setServerNames(List.of(new SNIHostName(host)));
            }
        }
        e.setSSLParameters(p);
        return e;
    }

    private static boolean isIpLiteral(String host) {
        if (host.indexOf(':') >= 0) {
            return true;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c != '.' && (c < '0' || c > '9')) {
                return false;
            }
        }
        return true;
    }

    private void bindApp(BaseProtocol p) {
        app = StreamProtocols.requireStream(p);
        appStream = p instanceof Protocol sp ? sp : null;
        appBuffered = p instanceof BufferedProtocol bp ? bp : null;
    }

    // ------------------------------------------------------------------ what callers see

    /**
     * Done with the application's transport once the handshake completed (after the application's
     * {@code connectionMade}), or failed with the reason; cancelling it during the handshake aborts
     * the connection.
     */
    public LoopFuture<Transport> handshake() {
        return handshake;
    }

    /** The transport offered to the application protocol. */
    public Transport appTransport() {
        return appTransport;
    }

    /** The application protocol. */
    public BaseProtocol appProtocol() {
        return app;
    }

    State state() {
        return state;
    }

    /** Feeds ciphertext that arrived before this layer was installed (start_tls). */
    void feed(DirectBuffer data, int offset, int length) {
        if (length > 0) {
            appendNetIn(data, offset, length);
            pump();
        }
    }

    // ------------------------------------------------------------------ Protocol (transport below)

    @Override
    public void connectionMade(Transport transport) {
        if (state != State.UNWRAPPED) {
            throw new IllegalStateException("connectionMade called twice on a TLS layer (state " + state + ")");
        }
        lower = transport;
        state = State.DO_HANDSHAKE;
        handshakeTimer = loop.callLater(options.handshakeTimeout(), this::onHandshakeTimeout);
        quiet = false;
        try {
            engine.beginHandshake();
        } catch (SSLException e) {
            onEngineError(e);
            return;
        }
        pump();
    }

    @Override
    public void dataReceived(DirectBuffer data) {
        if (done) {
            return;
        }
        appendNetIn(data, 0, data.capacity());
        pump();
    }

    @Override
    public boolean eofReceived() {
        tcpEof = true;
        pump();
        // This layer closes the transport below itself, once it has decided what the EOF means.
        return true;
    }

    @Override
    public void connectionLost(Throwable cause) {
        lowerLost = true;
        done = true;
        cancelTimers();
        State was = state;
        state = State.SHUTDOWN;
        quiet = false;
        engine.closeOutbound();
        if (was == State.DO_HANDSHAKE || was == State.UNWRAPPED) {
            SocketException e = new SocketException("connection lost during the TLS handshake"
                    + (cause == null ? " (closed)" : ": " + cause));
            if (cause != null) {
                e.initCause(cause);
            }
            failHandshake(e);
        }
        if (appConnected && !appLostCalled) {
            appLostCalled = true;
            try {
                app.connectionLost(failure != null ? failure : cause);
            } catch (Throwable t) {
                loop.callExceptionHandler(new ExceptionContext("protocol.connectionLost() failed", t, appTransport));
            }
        }
    }

    @Override
    public void pauseWriting() {
        lowerWritePaused = true;
        if (appConnected && !appLostCalled) {
            try {
                app.pauseWriting();
            } catch (Throwable t) {
                appFailed("protocol.pauseWriting() failed", t);
            }
        }
    }

    @Override
    public void resumeWriting() {
        lowerWritePaused = false;
        if (appConnected && !appLostCalled) {
            try {
                app.resumeWriting();
            } catch (Throwable t) {
                appFailed("protocol.resumeWriting() failed", t);
            }
        }
    }

    // ------------------------------------------------------------------ the engine loop

    /** Runs the engine until nothing moves; re-entrant calls (from application callbacks) loop once more. */
    private void pump() {
        if (inPump) {
            pumpAgain = true;
            return;
        }
        inPump = true;
        try {
            do {
                pumpAgain = false;
                try {
                    runEngine();
                    flushNetOut();
                    afterEngine();
                } catch (SSLException e) {
                    onEngineError(e);
                }
            } while (pumpAgain && !done);
        } finally {
            inPump = false;
        }
        if (backlog.position() == 0 && backlog.capacity() > BACKLOG_KEEP) {
            backlog = ByteBuffer.allocate(appSize);
        }
    }

    private void runEngine() throws SSLException {
        while (!done && !taskRunning) {
            boolean progress = false;
            HandshakeStatus hs = handshakeStatus();
            if (hs == HandshakeStatus.NEED_TASK) {
                startTasks();
                return;
            }
            if (state == State.FLUSHING && backlog.position() == 0) {
                quiet = false;
                engine.closeOutbound();
                state = State.SHUTDOWN;
                hs = engine.getHandshakeStatus();
            }
            boolean appData = (state == State.WRAPPED || state == State.FLUSHING) && backlog.position() > 0;
            if (hs == HandshakeStatus.NEED_WRAP || appData
                    || (state == State.SHUTDOWN && !engine.isOutboundDone())) {
                progress = wrap();
                if (done) {
                    return;
                }
                hs = handshakeStatus();
            }
            if (state == State.DO_HANDSHAKE && hs == HandshakeStatus.NOT_HANDSHAKING) {
                flushNetOut();
                onHandshakeComplete();
                continue;
            }
            if (hs != HandshakeStatus.NEED_WRAP && hs != HandshakeStatus.NEED_TASK && mayUnwrap()
                    && (netIn.position() > 0 || hs == HandshakeStatus.NEED_UNWRAP_AGAIN)) {
                progress |= unwrap();
                if (done) {
                    return;
                }
                if (state == State.DO_HANDSHAKE && engine.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING) {
                    flushNetOut();
                    onHandshakeComplete();
                    continue;
                }
            }
            if (appIn.position() > 0 && mayDeliver() && !(progress && moreToUnwrap())) {
                deliver();
                progress = true;
            }
            if (!progress) {
                return;
            }
        }
    }

    /**
     * Whether the engine's answers are known without asking it: {@link #quiet} holds and the state
     * is {@link State#WRAPPED}. While true, its handshake status is NOT_HANDSHAKING and it is done
     * neither for reading nor for writing, so {@link #handshakeStatus()}, {@link #outboundDone()}
     * and {@link #mayUnwrap()} give those answers without taking the engine's lock.
     */
    private boolean steady() {
        return quiet && state == State.WRAPPED;
    }

    /** The engine's handshake status; without asking the engine while it is {@link #steady()}. */
    private HandshakeStatus handshakeStatus() {
        return steady() ? HandshakeStatus.NOT_HANDSHAKING : engine.getHandshakeStatus();
    }

    /** Whether the engine is done for writing; false without asking while it is {@link #steady()}. */
    private boolean outboundDone() {
        return !steady() && engine.isOutboundDone();
    }

    /** Notes what a wrap or unwrap result says about the engine's state (see {@link #quiet}). */
    private void noteResult(SSLEngineResult r) {
        quiet = r.getStatus() != SSLEngineResult.Status.CLOSED
                && r.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING;
    }

    private boolean mayUnwrap() {
        if (!steady() && engine.isInboundDone()) {
            return false;
        }
        return state == State.DO_HANDSHAKE || !appReadingPaused;
    }

    /**
     * Whether the engine loop should unwrap once more before delivering: the session is wrapped,
     * {@code netIn} holds at least one whole record and {@code appIn} has room for its plaintext.
     * Delivering several records in one {@code dataReceived} lets an application that answers each
     * read (an echo, a proxy) write once per read rather than once per 16 KiB record.
     */
    private boolean moreToUnwrap() {
        if (state != State.WRAPPED || appIn.remaining() < appSize
                || netIn.position() < RECORD_HEADER) {
            return false;
        }
        int length = (netIn.get(3) & 0xff) << 8 | (netIn.get(4) & 0xff);
        return RECORD_HEADER + length <= netIn.position();
    }

    private boolean mayDeliver() {
        return appConnected && !appLostCalled && !appReadingPaused && !done;
    }

    private boolean wrap() throws SSLException {
        backlog.flip();
        SSLEngineResult r;
        try {
            wrapSource[0] = state == State.DO_HANDSHAKE ? EMPTY : backlog;
            r = engine.wrap(wrapSource, 0, 1, netOut);
            noteResult(r);
        } finally {
            wrapSource[0] = null;
            backlog.compact();
        }
        switch (r.getStatus()) {
            case BUFFER_OVERFLOW:
                if (netOut.position() > 0) {
                    flushNetOut();
                } else {
                    packetSize = engine.getSession().getPacketBufferSize();
                    netOut = growForEngine(netOut, packetSize, "wrap");
                }
                return true;
            case CLOSED:
                return r.bytesProduced() > 0;
            default:
                int packet = packetSize;
                if (netOut.remaining() < packet) {
                    // Records written in one pass of the engine loop leave in one write below, up
                    // to NET_OUT_RECORDS records: the buffer grows to that once and then stays.
                    if (netOut.capacity() < NET_OUT_RECORDS * packet) {
                        netOut = grow(netOut, packet);
                    } else {
                        flushNetOut();
                    }
                }
                return r.bytesConsumed() > 0 || r.bytesProduced() > 0;
        }
    }

    private boolean unwrap() throws SSLException {
        netIn.flip();
        SSLEngineResult r;
        try {
            unwrapTarget[0] = appIn;
            r = engine.unwrap(netIn, unwrapTarget, 0, 1);
            noteResult(r);
        } finally {
            unwrapTarget[0] = null;
            netIn.compact();
        }
        switch (r.getStatus()) {
            case BUFFER_OVERFLOW:
                if (appIn.position() > 0) {
                    if (!mayDeliver()) {
                        // Room comes from delivery: resumeReading() or the deferred connectionMade pumps again.
                        return false;
                    }
                    deliver();
                } else {
                    appSize = engine.getSession().getApplicationBufferSize();
                    appIn = growForEngine(appIn, appSize, "unwrap");
                }
                return true;
            case BUFFER_UNDERFLOW:
                packetSize = engine.getSession().getPacketBufferSize();
                int need = packetSize;
                if (netIn.capacity() < need) {
                    netIn = grow(netIn, need - netIn.capacity());
                }
                return false;
            case CLOSED:
                if (engine.isInboundDone()) {
                    peerClosed = true;
                }
                return true;
            default:
                return r.bytesConsumed() > 0 || r.bytesProduced() > 0;
        }
    }

    /** Hands the unwrapped plaintext to the application (all of it, unless it pauses reading). */
    private void deliver() {
        if (appStream != null) {
            view.wrap(appIn.array(), 0, appIn.position());
            try {
                appStream.dataReceived(view);
            } catch (Throwable t) {
                appFailed("protocol.dataReceived() failed", t);
            } finally {
                view.wrap(EMPTY_ARRAY);
                appIn.clear();
            }
            return;
        }
        appIn.flip();
        try {
            while (appIn.hasRemaining() && !appReadingPaused && !done) {
                MutableDirectBuffer b = appBuffered.getBuffer(appIn.remaining());
                if (b == null || b.capacity() == 0) {
                    throw new IllegalStateException("getBuffer() returned " + (b == null ? "null" : "an empty buffer"));
                }
                int k = Math.min(b.capacity(), appIn.remaining());
                b.putBytes(0, appIn.array(), appIn.position(), k);
                appIn.position(appIn.position() + k);
                appBuffered.bufferUpdated(k);
            }
        } catch (Throwable t) {
            appFailed("protocol.getBuffer() or bufferUpdated() failed", t);
        } finally {
            appIn.compact();
        }
    }

    private static final byte[] EMPTY_ARRAY = new byte[0];

    private void flushNetOut() {
        if (netOut.position() == 0) {
            return;
        }
        if (lower != null && !lower.isClosing()) {
            lower.write(netOut.array(), 0, netOut.position());
        }
        netOut.clear();
    }

    /** What follows the engine loop: the peer's close_notify, our shutdown, a TCP EOF. */
    private void afterEngine() {
        if (done || taskRunning) {
            return;
        }
        if (peerClosed && !eofHandled && appIn.position() == 0) {
            eofHandled = true;
            if (state == State.WRAPPED) {
                boolean keepOpen = false;
                if (appConnected && !appLostCalled) {
                    try {
                        keepOpen = appStream != null ? appStream.eofReceived() : appBuffered.eofReceived();
                    } catch (Throwable t) {
                        appFailed("protocol.eofReceived() failed", t);
                        return;
                    }
                }
                if (keepOpen && !engine.isOutboundDone()) {
                    halfOpen = true;
                } else {
                    startShutdown();
                    return;
                }
            }
        }
        if (state == State.SHUTDOWN && engine.isOutboundDone() && netOut.position() == 0
                && (peerClosed || engine.isInboundDone() || tcpEof)) {
            closeLower();
            return;
        }
        if (tcpEof && !appReadingPaused) {
            onTcpEof();
        }
    }

    private void onTcpEof() {
        switch (state) {
            case DO_HANDSHAKE:
                SocketException e = new SocketException("connection reset: the peer closed the connection during the TLS handshake");
                failHandshake(e);
                state = State.SHUTDOWN;
                closeLower();
                break;
            case WRAPPED:
                if (!peerClosed) {
                    quiet = false;
                    try {
                        engine.closeInbound();
                        failure = new TlsTruncatedException("TLS stream truncated: TCP EOF without close_notify", null);
                    } catch (SSLException ex) {
                        failure = new TlsTruncatedException("TLS stream truncated: TCP EOF without close_notify ("
                                + ex.getMessage() + ")", ex);
                    }
                    state = State.SHUTDOWN;
                    closeLower();
                } else if (!halfOpen) {
                    startShutdown();
                }
                break;
            case FLUSHING:
            case SHUTDOWN:
                // We are closing anyway: the peer's EOF ends the wait for its close_notify.
                state = State.SHUTDOWN;
                closeLower();
                break;
            default:
                break;
        }
    }

    // ------------------------------------------------------------------ delegated tasks

    private void startTasks() {
        quiet = false;
        List<Runnable> tasks = new ArrayList<>(2);
        Runnable t;
        while ((t = engine.getDelegatedTask()) != null) {
            tasks.add(t);
        }
        if (tasks.isEmpty()) {
            return;
        }
        taskRunning = true;
        Executor ex = options.taskExecutor() != null ? options.taskExecutor() : TlsTaskPool.INSTANCE;
        try {
            ex.execute(() -> {
                Throwable thrown = null;
                for (Runnable task : tasks) {
                    try {
                        task.run();
                    } catch (Throwable x) {
                        thrown = x;
                        break;
                    }
                }
                Throwable failed = thrown;
                try {
                    loop.callSoonThreadsafe(() -> onTasksDone(failed));
                } catch (IllegalStateException closed) {
                    // The loop is closed: nobody is left to resume.
                }
            });
        } catch (RejectedExecutionException e) {
            taskRunning = false;
            onEngineError(new SSLException("the TLS task executor rejected a delegated task: " + e.getMessage(), e));
        }
    }

    private void onTasksDone(Throwable thrown) {
        taskRunning = false;
        quiet = false;
        if (done) {
            return;
        }
        if (thrown != null) {
            onEngineError(thrown instanceof SSLException s ? s : new SSLException("delegated task failed: " + thrown, thrown));
            return;
        }
        pump();
    }

    // ------------------------------------------------------------------ handshake outcome

    private void onHandshakeComplete() {
        if (handshakeTimer != null) {
            handshakeTimer.cancel();
            handshakeTimer = null;
        }
        state = State.WRAPPED;
        packetSize = engine.getSession().getPacketBufferSize();
        appSize = engine.getSession().getApplicationBufferSize();
        if (!callConnectionMade) {
            // start_tls: the caller learns the transport from the handshake future, whose callbacks
            // run first; plaintext waits until after them.
            handshake.setResult(appTransport);
            loop.callSoon(this::connectAfterStartTls);
            return;
        }
        appConnected = true;
        if (callConnectionMade) {
            try {
                app.connectionMade(appTransport);
            } catch (Throwable t) {
                appFailed("protocol.connectionMade() failed", t);
            }
        }
        if (!done && lowerWritePaused) {
            try {
                app.pauseWriting();
            } catch (Throwable t) {
                appFailed("protocol.pauseWriting() failed", t);
            }
        }
        if (!handshake.isDone()) {
            if (done) {
                handshake.setException(failure != null ? failure : new SocketException("connection closed"));
            } else {
                handshake.setResult(appTransport);
            }
        }
    }

    private void connectAfterStartTls() {
        if (done || appConnected) {
            return;
        }
        appConnected = true;
        if (lowerWritePaused) {
            try {
                app.pauseWriting();
            } catch (Throwable t) {
                appFailed("protocol.pauseWriting() failed", t);
                return;
            }
        }
        pump();
    }

    private void failHandshake(Throwable cause) {
        if (handshakeTimer != null) {
            handshakeTimer.cancel();
            handshakeTimer = null;
        }
        if (!handshake.isDone()) {
            handshake.setException(cause);
        }
        LOG.log(System.Logger.Level.DEBUG, () -> "TLS handshake failed (" + (serverSide ? "server" : "client")
                + (lower == null ? "" : ", " + lower.extraInfo(Transport.PEER_NAME)) + "): " + cause);
    }

    private void onHandshakeTimeout() {
        handshakeTimer = null;
        if (state != State.DO_HANDSHAKE || done) {
            return;
        }
        SSLHandshakeException e = new SSLHandshakeException("TLS handshake did not complete within "
                + options.handshakeTimeout().toMillis() + " ms; connection aborted");
        e.initCause(new TimeoutException("handshake timeout " + options.handshakeTimeout()));
        failHandshake(e);
        abortNow(e);
    }

    private void onEngineError(SSLException e) {
        if (done) {
            return;
        }
        SSLException reported = e;
        if (state == State.DO_HANDSHAKE || state == State.UNWRAPPED) {
            if (!(e instanceof SSLHandshakeException)) {
                reported = new SSLHandshakeException(e.getMessage());
                reported.initCause(e);
            }
            failHandshake(reported);
        }
        failure = reported;
        state = State.SHUTDOWN;
        quiet = false;
        // The engine holds an alert for the peer: write it before closing (netty/netty#5003).
        engine.closeOutbound();
        for (int i = 0; i < 4 && !engine.isOutboundDone(); i++) {
            try {
                SSLEngineResult r = engine.wrap(EMPTY, netOut);
                if (r.bytesProduced() == 0) {
                    break;
                }
            } catch (SSLException | RuntimeException ignored) {
                break;
            }
        }
        flushNetOut();
        closeLower();
    }

    // ------------------------------------------------------------------ closing

    private void startShutdown() {
        if (state != State.WRAPPED) {
            return;
        }
        state = State.FLUSHING;
        shutdownTimer = loop.callLater(options.shutdownTimeout(), this::onShutdownTimeout);
        pump();
    }

    private void onShutdownTimeout() {
        shutdownTimer = null;
        if (done) {
            return;
        }
        failure = new SocketTimeoutException("the peer did not answer close_notify within "
                + options.shutdownTimeout().toMillis() + " ms; connection aborted");
        abortNow(failure);
    }

    private void closeLower() {
        if (done) {
            return;
        }
        done = true;
        cancelTimers();
        if (lower != null && !lower.isClosing()) {
            lower.close();
        }
    }

    private void abortNow(Throwable cause) {
        if (done) {
            return;
        }
        done = true;
        state = State.SHUTDOWN;
        quiet = false;
        cancelTimers();
        engine.closeOutbound();
        if (lower != null) {
            lower.abort();
        }
    }

    private void cancelTimers() {
        if (handshakeTimer != null) {
            handshakeTimer.cancel();
            handshakeTimer = null;
        }
        if (shutdownTimer != null) {
            shutdownTimer.cancel();
            shutdownTimer = null;
        }
    }

    /** An application callback threw: report it and drop the connection. */
    private void appFailed(String message, Throwable t) {
        loop.callExceptionHandler(new ExceptionContext(message, t, appTransport));
        if (failure == null) {
            failure = t;
        }
        abortNow(t);
    }

    // ------------------------------------------------------------------ the application's transport

    EventLoop loop() {
        return loop;
    }

    Transport lower() {
        return lower;
    }

    void appWrite(DirectBuffer data, int offset, int length) {
        loop.assertInLoop("Transport.write");
        Objects.requireNonNull(data, "data");
        if (offset < 0 || length < 0 || offset > data.capacity() - length) {
            throw new IndexOutOfBoundsException("offset " + offset + " length " + length + " outside [0, "
                    + data.capacity() + ")");
        }
        if (closeRequested || done || state == State.FLUSHING || state == State.SHUTDOWN) {
            throw new IllegalStateException("cannot write: the transport is closing");
        }
        if (outboundDone()) {
            throw new IllegalStateException("cannot write: the TLS session is closed for writing");
        }
        if (length == 0) {
            return;
        }
        if (backlog.remaining() < length) {
            backlog = grow(backlog, length - backlog.remaining());
        }
        data.getBytes(offset, backlog.array(), backlog.position(), length);
        backlog.position(backlog.position() + length);
        if (inPump) {
            // Called from an application callback inside the engine loop: wrap now, so the
            // backlog stays small; the records leave with the loop's next flush (or sooner, once
            // NET_OUT_RECORDS of them wait), and until then count in getWriteBufferSize().
            wrapBacklog();
            pumpAgain = true;
        } else {
            pump();
        }
    }

    /** Wraps application bytes while the engine allows it; touches only the outbound buffers. */
    private void wrapBacklog() {
        try {
            while (!done && backlog.position() > 0 && (state == State.WRAPPED || state == State.FLUSHING)
                    && handshakeStatus() == HandshakeStatus.NOT_HANDSHAKING && !outboundDone()) {
                if (!wrap()) {
                    break;
                }
            }
        } catch (SSLException e) {
            onEngineError(e);
        }
    }

    void appClose() {
        loop.assertInLoop("Transport.close");
        if (closeRequested || done) {
            return;
        }
        closeRequested = true;
        if (state == State.DO_HANDSHAKE || state == State.UNWRAPPED) {
            abortNow(null);
            return;
        }
        if (state == State.WRAPPED) {
            startShutdown();
        }
    }

    void appAbort() {
        loop.assertInLoop("Transport.abort");
        closeRequested = true;
        abortNow(null);
    }

    boolean appIsClosing() {
        return closeRequested || done || state == State.FLUSHING || state == State.SHUTDOWN;
    }

    void appPauseReading() {
        loop.assertInLoop("Transport.pauseReading");
        if (!appReadingPaused) {
            appReadingPaused = true;
            if (lower != null && !done) {
                lower.pauseReading();
            }
        }
    }

    void appResumeReading() {
        loop.assertInLoop("Transport.resumeReading");
        if (appReadingPaused) {
            appReadingPaused = false;
            if (lower != null && !done) {
                lower.resumeReading();
                // Ciphertext and plaintext held while paused are processed without waiting for more.
                loop.callSoon(() -> {
                    if (!done && !appReadingPaused) {
                        pump();
                    }
                });
            }
        }
    }

    boolean appIsReading() {
        return !appReadingPaused && !appIsClosing();
    }

    int appWriteBufferSize() {
        return backlog.position() + netOut.position() + (lower == null || done ? 0 : lower.getWriteBufferSize());
    }

    void setAppProtocol(BaseProtocol p) {
        loop.assertInLoop("Transport.setProtocol");
        bindApp(p);
    }

    SSLEngine engine() {
        return engine;
    }

    String serverHostname() {
        return serverHostname;
    }

    boolean isServerSide() {
        return serverSide;
    }

    private void appendNetIn(DirectBuffer data, int offset, int length) {
        if (netIn.remaining() < length) {
            netIn = grow(netIn, length - netIn.remaining());
        }
        data.getBytes(offset, netIn.array(), netIn.position(), length);
        netIn.position(netIn.position() + length);
    }

    /**
     * An empty record buffer the engine found too small ({@code BUFFER_OVERFLOW} with nothing in it):
     * a larger one, at least the size the session now reports (it grows for large fragments and
     * post-handshake messages) and at least double, up to {@link #MAX_RECORD_BUFFER}; an engine that
     * still overflows there fails the connection instead of growing the buffer without end.
     */
    private static ByteBuffer growForEngine(ByteBuffer b, int sessionSize, String op) throws SSLException {
        if (b.capacity() >= MAX_RECORD_BUFFER) {
            throw new SSLException("SSLEngine." + op + " reported BUFFER_OVERFLOW into an empty buffer of "
                    + b.capacity() + " bytes (the session asks for " + sessionSize + "); the TLS layer grows it to "
                    + MAX_RECORD_BUFFER + " bytes at most");
        }
        int cap = Math.min(MAX_RECORD_BUFFER, Math.max(b.capacity() * 2, sessionSize));
        return grow(b, cap - b.capacity());
    }

    /** A copy of {@code b} (write mode) with at least {@code extra} more bytes free; doubles at least. */
    private static ByteBuffer grow(ByteBuffer b, int extra) {
        int cap = Math.max(b.capacity() * 2, b.capacity() + extra);
        ByteBuffer n = ByteBuffer.allocate(cap);
        b.flip();
        n.put(b);
        return n;
    }

    @Override
    public String toString() {
        return "TlsProtocol[" + (serverSide ? "server" : "client") + ", " + state
                + (lower == null ? "" : ", " + lower) + "]";
    }
}
