package dev.weft.loop.testkit;

import java.nio.ByteBuffer;
import java.security.KeyManagementException;
import java.security.SecureRandom;
import java.util.function.BiFunction;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * SSLContexts whose engines, once the handshake is done, report {@code BUFFER_OVERFLOW} on wrap or
 * unwrap until the destination has {@code needs} bytes free, as an engine may whose buffer sizes
 * change after the handshake (or a broken one). Everything else is the real engine's. Test use only.
 */
final class OverflowingEngines {
    /** Which call overflows. */
    enum Op { WRAP, UNWRAP }

    private OverflowingEngines() {
    }

    /** {@code real}'s engines, overflowing on {@code op} below {@code needs} free destination bytes. */
    static SSLContext context(SSLContext real, Op op, int needs) {
        return new SSLContext(new Spi(real, (host, port) -> new Engine(
                host == null ? real.createSSLEngine() : real.createSSLEngine(host, port), op, needs)),
                real.getProvider(), real.getProtocol()) {
        };
    }

    private static final class Spi extends SSLContextSpi {
        private final SSLContext real;
        private final BiFunction<String, Integer, SSLEngine> engines;

        Spi(SSLContext real, BiFunction<String, Integer, SSLEngine> engines) {
            this.real = real;
            this.engines = engines;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) throws KeyManagementException {
            throw new KeyManagementException("already initialised");
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return real.getSocketFactory();
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return real.getServerSocketFactory();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return engines.apply(null, -1);
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return engines.apply(host, port);
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return real.getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return real.getClientSessionContext();
        }
    }

    private static final class Engine extends SSLEngine {
        private final SSLEngine e;
        private final Op op;
        private final int needs;

        Engine(SSLEngine e, Op op, int needs) {
            super(e.getPeerHost(), e.getPeerPort());
            this.e = e;
            this.op = op;
            this.needs = needs;
        }

        private boolean overflow(int free) {
            return e.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING && free < needs
                    && !e.getSession().getProtocol().equals("NONE");
        }

        @Override
        public SSLEngineResult wrap(ByteBuffer[] srcs, int off, int len, ByteBuffer dst) throws SSLException {
            boolean data = false;
            for (int i = off; i < off + len; i++) {
                data |= srcs[i].hasRemaining();
            }
            if (op == Op.WRAP && data && overflow(dst.remaining())) {
                return new SSLEngineResult(SSLEngineResult.Status.BUFFER_OVERFLOW, e.getHandshakeStatus(), 0, 0);
            }
            return e.wrap(srcs, off, len, dst);
        }

        @Override
        public SSLEngineResult unwrap(ByteBuffer src, ByteBuffer[] dsts, int off, int len) throws SSLException {
            int free = 0;
            for (int i = off; i < off + len; i++) {
                free += dsts[i].remaining();
            }
            if (op == Op.UNWRAP && src.hasRemaining() && overflow(free)) {
                return new SSLEngineResult(SSLEngineResult.Status.BUFFER_OVERFLOW, e.getHandshakeStatus(), 0, 0);
            }
            return e.unwrap(src, dsts, off, len);
        }

        @Override
        public Runnable getDelegatedTask() {
            return e.getDelegatedTask();
        }

        @Override
        public void closeInbound() throws SSLException {
            e.closeInbound();
        }

        @Override
        public boolean isInboundDone() {
            return e.isInboundDone();
        }

        @Override
        public void closeOutbound() {
            e.closeOutbound();
        }

        @Override
        public boolean isOutboundDone() {
            return e.isOutboundDone();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return e.getSupportedCipherSuites();
        }

        @Override
        public String[] getEnabledCipherSuites() {
            return e.getEnabledCipherSuites();
        }

        @Override
        public void setEnabledCipherSuites(String[] suites) {
            e.setEnabledCipherSuites(suites);
        }

        @Override
        public String[] getSupportedProtocols() {
            return e.getSupportedProtocols();
        }

        @Override
        public String[] getEnabledProtocols() {
            return e.getEnabledProtocols();
        }

        @Override
        public void setEnabledProtocols(String[] protocols) {
            e.setEnabledProtocols(protocols);
        }

        @Override
        public SSLSession getSession() {
            return e.getSession();
        }

        @Override
        public SSLSession getHandshakeSession() {
            return e.getHandshakeSession();
        }

        @Override
        public void beginHandshake() throws SSLException {
            e.beginHandshake();
        }

        @Override
        public SSLEngineResult.HandshakeStatus getHandshakeStatus() {
            return e.getHandshakeStatus();
        }

        @Override
        public void setUseClientMode(boolean mode) {
            e.setUseClientMode(mode);
        }

        @Override
        public boolean getUseClientMode() {
            return e.getUseClientMode();
        }

        @Override
        public void setNeedClientAuth(boolean need) {
            e.setNeedClientAuth(need);
        }

        @Override
        public boolean getNeedClientAuth() {
            return e.getNeedClientAuth();
        }

        @Override
        public void setWantClientAuth(boolean want) {
            e.setWantClientAuth(want);
        }

        @Override
        public boolean getWantClientAuth() {
            return e.getWantClientAuth();
        }

        @Override
        public void setEnableSessionCreation(boolean flag) {
            e.setEnableSessionCreation(flag);
        }

        @Override
        public boolean getEnableSessionCreation() {
            return e.getEnableSessionCreation();
        }

        @Override
        public SSLParameters getSSLParameters() {
            return e.getSSLParameters();
        }

        @Override
        public void setSSLParameters(SSLParameters p) {
            e.setSSLParameters(p);
        }

        @Override
        public String getApplicationProtocol() {
            return e.getApplicationProtocol();
        }

        @Override
        public String getHandshakeApplicationProtocol() {
            return e.getHandshakeApplicationProtocol();
        }
    }
}
