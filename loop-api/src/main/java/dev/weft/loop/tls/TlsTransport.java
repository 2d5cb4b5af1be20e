package dev.weft.loop.tls;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.EventLoop;
import dev.weft.loop.Transport;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.util.Objects;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.StandardConstants;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The transport a TLS layer ({@link TlsProtocol}) offers the application: writes are wrapped and
 * go to the transport below in order; {@link #close()} sends close_notify after what was written and
 * waits (up to the shutdown timeout) for the peer's; {@link #abort()} does not wait. Flow control
 * and water marks are those of the transport below, plus the plaintext not yet wrapped.
 * {@link #writeEof()} is not supported: TLS has close_notify, not half-close by FIN.
 * Loop thread only.
 */
final class TlsTransport implements Transport {
    private final TlsProtocol tls;
    private final UnsafeBuffer writeView = new UnsafeBuffer(0, 0);

    TlsTransport(TlsProtocol tls) {
        this.tls = tls;
    }

    @Override
    public EventLoop loop() {
        return tls.loop();
    }

    @Override
    public void write(DirectBuffer data, int offset, int length) {
        tls.appWrite(data, offset, length);
    }

    @Override
    public void write(byte[] data, int offset, int length) {
        Objects.requireNonNull(data, "data");
        writeView.wrap(data);
        try {
            tls.appWrite(writeView, offset, length);
        } finally {
            writeView.wrap(EMPTY);
        }
    }

    @Override
    public void write(ByteBuffer data) {
        Objects.requireNonNull(data, "data");
        if (data.isReadOnly() && !data.isDirect()) {
            byte[] copy = new byte[data.remaining()];
            data.duplicate().get(copy);
            write(copy, 0, copy.length);
            return;
        }
        writeView.wrap(data);
        try {
            tls.appWrite(writeView, data.position(), data.remaining());
        } finally {
            writeView.wrap(EMPTY);
        }
    }

    @Override
    public void writeLines(Iterable<?> parts) {
        Objects.requireNonNull(parts, "parts");
        for (Object p : parts) {
            if (!(p instanceof DirectBuffer) && !(p instanceof byte[]) && !(p instanceof ByteBuffer)) {
                throw new IllegalArgumentException("writeLines takes DirectBuffer, byte[] or ByteBuffer parts, not "
                        + (p == null ? "null" : p.getClass().getName()));
            }
        }
        for (Object p : parts) {
            if (p instanceof DirectBuffer d) {
                write(d);
            } else if (p instanceof byte[] b) {
                write(b);
            } else {
                write((ByteBuffer) p);
            }
        }
    }

    @Override
    public void writeEof() {
        throw new UnsupportedOperationException("writeEof is not supported over TLS; close() sends close_notify");
    }

    @Override
    public boolean canWriteEof() {
        return false;
    }

    @Override
    public void close() {
        tls.appClose();
    }

    @Override
    public void abort() {
        tls.appAbort();
    }

    @Override
    public boolean isClosing() {
        return tls.appIsClosing();
    }

    @Override
    public void pauseReading() {
        tls.appPauseReading();
    }

    @Override
    public void resumeReading() {
        tls.appResumeReading();
    }

    @Override
    public boolean isReading() {
        return tls.appIsReading();
    }

    @Override
    public void setWriteBufferLimits(int high, int low) {
        tls.lower().setWriteBufferLimits(high, low);
    }

    @Override
    public int getWriteBufferLimitHigh() {
        return tls.lower().getWriteBufferLimitHigh();
    }

    @Override
    public int getWriteBufferLimitLow() {
        return tls.lower().getWriteBufferLimitLow();
    }

    @Override
    public int getWriteBufferSize() {
        return tls.appWriteBufferSize();
    }

    @Override
    public Object extraInfo(String name) {
        SSLSession s = tls.engine().getSession();
        switch (name) {
            case TlsInfo.SSL_OBJECT:
                return tls.engine();
            case TlsInfo.SSL_SESSION:
                return s;
            case TlsInfo.PEER_CERT:
                try {
                    Certificate[] chain = s.getPeerCertificates();
                    return chain.clone();
                } catch (SSLPeerUnverifiedException e) {
                    return null;
                }
            case TlsInfo.CIPHER:
                return s.getCipherSuite();
            case TlsInfo.PROTOCOL:
                return s.getProtocol();
            case TlsInfo.ALPN:
                String p = tls.engine().getApplicationProtocol();
                return p == null || p.isEmpty() ? null : p;
            case TlsInfo.SERVER_HOSTNAME:
                if (!tls.isServerSide()) {
                    return tls.serverHostname();
                }
                if (s instanceof ExtendedSSLSession es) {
                    for (SNIServerName n : es.getRequestedServerNames()) {
                        if (n.getType() == StandardConstants.SNI_HOST_NAME) {
                            return n instanceof SNIHostName h ? h.getAsciiName()
                                    : new String(n.getEncoded(), StandardCharsets.US_ASCII);
                        }
                    }
                }
                return null;
            default:
                Transport lower = tls.lower();
                return lower == null ? null : lower.extraInfo(name);
        }
    }

    @Override
    public BaseProtocol protocol() {
        return tls.appProtocol();
    }

    @Override
    public void setProtocol(BaseProtocol protocol) {
        tls.setAppProtocol(protocol);
    }

    @Override
    public String toString() {
        return "TlsTransport[" + tls + "]";
    }

    private static final byte[] EMPTY = new byte[0];
}
