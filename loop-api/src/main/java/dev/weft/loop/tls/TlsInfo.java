package dev.weft.loop.tls;

/**
 * The {@link dev.weft.loop.Transport#extraInfo(String)} keys a TLS transport answers, beside those of
 * the transport under it (peer and local address, socket, backend), which it passes through.
 *
 * <p>Constants only: any thread.
 */
public final class TlsInfo {
    /** The {@link javax.net.ssl.SSLEngine} of the connection. */
    public static final String SSL_OBJECT = "sslobject";
    /** The {@link javax.net.ssl.SSLSession}. */
    public static final String SSL_SESSION = "ssl_session";
    /** The peer's certificate chain, a {@link java.security.cert.Certificate}{@code []} (X.509, leaf first), or null. */
    public static final String PEER_CERT = "peercert";
    /** The negotiated cipher suite, for example {@code TLS_AES_128_GCM_SHA256}. */
    public static final String CIPHER = "cipher";
    /** The negotiated protocol version, for example {@code TLSv1.3}. */
    public static final String PROTOCOL = "protocol";
    /** The protocol chosen by ALPN, or null when none was. */
    public static final String ALPN = "alpn";
    /** The server name: on a client the one it sent (SNI), on a server the one the client asked for, or null. */
    public static final String SERVER_HOSTNAME = "server_hostname";

    private TlsInfo() {
    }
}
