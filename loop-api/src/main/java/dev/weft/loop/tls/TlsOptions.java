package dev.weft.loop.tls;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;

/**
 * How one side of a TLS connection is set up: an {@link SSLContext} (keys and trust), the side, and
 * the few settings Weft adds on top. Immutable; every {@code with...} method returns a copy, and a
 * bad value fails there with {@link IllegalArgumentException} naming the value.
 *
 * <h2>Defaults (safe ones)</h2>
 * <ul>
 *   <li>Protocols TLSv1.3 and TLSv1.2 only; nothing older can be asked for.</li>
 *   <li>A client verifies the server's host name (endpoint identification {@code "HTTPS"}) against
 *       the server name given to the connect call; turning it off is an explicit
 *       {@link #withHostnameVerification(boolean) withHostnameVerification(false)}. Certificate
 *       chains are checked by the context's trust managers; there is no trust-all switch.</li>
 *   <li>Handshake timeout 60 s, shutdown timeout 30 s (asyncio's constants).</li>
 *   <li>No ALPN, no client certificate asked for, the JDK's cipher suites.</li>
 * </ul>
 *
 * <p>Thread-safe (immutable); one instance may serve any number of connections and loops.
 */
public final class TlsOptions {
    /** Default handshake timeout: 60 s. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(60);
    /** Default shutdown timeout: 30 s. */
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

    private static final List<String> ALLOWED_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /**
     * Whether a server asks for a client certificate.
     *
     * <p>Constants: any thread.
     */
    public enum ClientAuth {
        /** No client certificate is asked for. */
        NONE,
        /** A certificate is asked for; the handshake goes on without one. */
        WANT,
        /** A certificate is required; the handshake fails without a valid one. */
        NEED
    }

    private final SSLContext context;
    private final boolean server;
    private final String[] protocols;
    private final String[] cipherSuites;
    private final String[] applicationProtocols;
    private final ClientAuth clientAuth;
    private final boolean hostnameVerification;
    private final Duration handshakeTimeout;
    private final Duration shutdownTimeout;
    private final Executor taskExecutor;

    private TlsOptions(SSLContext context, boolean server, String[] protocols, String[] cipherSuites,
                       String[] applicationProtocols, ClientAuth clientAuth, boolean hostnameVerification,
                       Duration handshakeTimeout, Duration shutdownTimeout, Executor taskExecutor) {
        this.context = context;
        this.server = server;
        this.protocols = protocols;
        this.cipherSuites = cipherSuites;
        this.applicationProtocols = applicationProtocols;
        this.clientAuth = clientAuth;
        this.hostnameVerification = hostnameVerification;
        this.handshakeTimeout = handshakeTimeout;
        this.shutdownTimeout = shutdownTimeout;
        this.taskExecutor = taskExecutor;
    }

    /** Client options over {@code context} (its trust managers check the server's chain). */
    public static TlsOptions client(SSLContext context) {
        Objects.requireNonNull(context, "context");
        return new TlsOptions(context, false, ALLOWED_PROTOCOLS.toArray(new String[0]), null, new String[0],
                ClientAuth.NONE, true, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_SHUTDOWN_TIMEOUT, null);
    }

    /** Client options over the JDK's default context (the JDK's trust store). */
    public static TlsOptions client() {
        try {
            return client(SSLContext.getDefault());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("no default SSLContext: " + e.getMessage(), e);
        }
    }

    /** Server options over {@code context} (its key managers hold the server's certificate and key). */
    public static TlsOptions server(SSLContext context) {
        Objects.requireNonNull(context, "context");
        return new TlsOptions(context, true, ALLOWED_PROTOCOLS.toArray(new String[0]), null, new String[0],
                ClientAuth.NONE, false, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_SHUTDOWN_TIMEOUT, null);
    }

    /**
     * The protocol versions to enable, a non-empty subset of {@code TLSv1.3} and {@code TLSv1.2};
     * anything else fails (older versions are not offered at all).
     */
    public TlsOptions withProtocols(String... versions) {
        Objects.requireNonNull(versions, "versions");
        if (versions.length == 0) {
            throw new IllegalArgumentException("versions must not be empty");
        }
        for (String v : versions) {
            if (!ALLOWED_PROTOCOLS.contains(v)) {
                throw new IllegalArgumentException("unsupported TLS protocol version '" + v
                        + "' (allowed: " + ALLOWED_PROTOCOLS + ")");
            }
        }
        return new TlsOptions(context, server, versions.clone(), cipherSuites, applicationProtocols, clientAuth,
                hostnameVerification, handshakeTimeout, shutdownTimeout, taskExecutor);
    }

    /** The cipher suites to enable (JDK names); none given means the context's defaults. */
    public TlsOptions withCipherSuites(String... suites) {
        Objects.requireNonNull(suites, "suites");
        if (suites.length == 0) {
            throw new IllegalArgumentException("suites must not be empty (leave them unset for the defaults)");
        }
        for (String s : suites) {
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("cipher suite name must not be empty: " + Arrays.toString(suites));
            }
        }
        return new TlsOptions(context, server, protocols, suites.clone(), applicationProtocols, clientAuth,
                hostnameVerification, handshakeTimeout, shutdownTimeout, taskExecutor);
    }

    /** ALPN protocol names in preference order ({@code "h2"}, {@code "http/1.1"}, ...); none: no ALPN. */
    public TlsOptions withApplicationProtocols(String... names) {
        Objects.requireNonNull(names, "names");
        for (String n : names) {
            if (n == null || n.isEmpty() || n.length() > 255) {
                throw new IllegalArgumentException("ALPN protocol name must be 1..255 characters: '" + n + "'");
            }
        }
        return new TlsOptions(context, server, protocols, cipherSuites, names.clone(), clientAuth,
                hostnameVerification, handshakeTimeout, shutdownTimeout, taskExecutor);
    }

    /** Whether a server asks for client certificates. Fails on client options. */
    public TlsOptions withClientAuth(ClientAuth mode) {
        Objects.requireNonNull(mode, "mode");
        if (!server) {
            throw new IllegalArgumentException("client authentication is a server option; these are client options: "
                    + mode);
        }
        return new TlsOptions(context, server, protocols, cipherSuites, applicationProtocols, mode,
                hostnameVerification, handshakeTimeout, shutdownTimeout, taskExecutor);
    }

    /**
     * Whether a client checks that the server's certificate names the server (on by default).
     * Fails on server options.
     */
    public TlsOptions withHostnameVerification(boolean on) {
        if (server) {
            throw new IllegalArgumentException("host name verification is a client option; these are server options: "
                    + on);
        }
        return new TlsOptions(context, server, protocols, cipherSuites, applicationProtocols, clientAuth, on,
                handshakeTimeout, shutdownTimeout, taskExecutor);
    }

    /** How long the handshake may take before the connection is aborted; must be positive. */
    public TlsOptions withHandshakeTimeout(Duration timeout) {
        return new TlsOptions(context, server, protocols, cipherSuites, applicationProtocols, clientAuth,
                hostnameVerification, positive("handshakeTimeout", timeout), shutdownTimeout, taskExecutor);
    }

    /** How long {@code close()} waits for the peer's close_notify before aborting; must be positive. */
    public TlsOptions withShutdownTimeout(Duration timeout) {
        return new TlsOptions(context, server, protocols, cipherSuites, applicationProtocols, clientAuth,
                hostnameVerification, handshakeTimeout, positive("shutdownTimeout", timeout), taskExecutor);
    }

    /**
     * Where the engine's delegated tasks (key exchange, certificate checks) run; null means a shared
     * pool of daemon threads. Never the loop thread.
     */
    public TlsOptions withTaskExecutor(Executor executor) {
        return new TlsOptions(context, server, protocols, cipherSuites, applicationProtocols, clientAuth,
                hostnameVerification, handshakeTimeout, shutdownTimeout, executor);
    }

    private static Duration positive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
        return d;
    }

    public SSLContext context() {
        return context;
    }

    public boolean isServer() {
        return server;
    }

    public List<String> protocols() {
        return List.of(protocols);
    }

    /** The cipher suites asked for, or an empty list for the context's defaults. */
    public List<String> cipherSuites() {
        return cipherSuites == null ? List.of() : List.of(cipherSuites);
    }

    public List<String> applicationProtocols() {
        return List.of(applicationProtocols);
    }

    public ClientAuth clientAuth() {
        return clientAuth;
    }

    public boolean hostnameVerification() {
        return hostnameVerification;
    }

    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    public Duration shutdownTimeout() {
        return shutdownTimeout;
    }

    /** The executor for delegated tasks, or null for the shared pool. */
    public Executor taskExecutor() {
        return taskExecutor;
    }

    String[] protocolArray() {
        return protocols;
    }

    String[] cipherSuiteArray() {
        return cipherSuites;
    }

    String[] applicationProtocolArray() {
        return applicationProtocols;
    }

    @Override
    public String toString() {
        return "TlsOptions[" + (server ? "server" : "client") + ", " + String.join("/", protocols)
                + (applicationProtocols.length > 0 ? ", alpn=" + String.join(",", applicationProtocols) : "")
                + (server ? ", clientAuth=" + clientAuth : ", verifyHostname=" + hostnameVerification)
                + ", handshake=" + handshakeTimeout + ", shutdown=" + shutdownTimeout + "]";
    }
}
