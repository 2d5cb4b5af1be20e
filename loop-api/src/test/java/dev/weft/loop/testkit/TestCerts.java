package dev.weft.loop.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates made at test time with the JDK's {@code keytool} (no key is committed): self-signed
 * EC P-256 certificates valid for three days, in a temporary directory removed when the JVM exits.
 * Made once per JVM. Test-only: the keys protect nothing.
 */
public final class TestCerts {
    static final char[] PASSWORD = "weft-test-only".toCharArray();
    private static TestCerts instance;
    /**
     * Whether this JRE has EC keys. A runtime without the {@code jdk.crypto.ec} module (JDK 17; the
     * Windows JRE the iocp suite runs on under Wine) has none: there the certificates are RSA 2048.
     */
    static final boolean EC = hasEc();

    private static boolean hasEc() {
        try {
            java.security.KeyPairGenerator.getInstance("EC");
            return true;
        } catch (java.security.NoSuchAlgorithmException e) {
            return false;
        }
    }

    final Path dir;
    final KeyStore server;
    final KeyStore other;
    final KeyStore client;

    private TestCerts() throws Exception {
        dir = Files.createTempDirectory("weft-tls-test");
        dir.toFile().deleteOnExit();
        // Three keytool processes at once: each is a JVM start.
        Process a = start("localhost", "CN=localhost", "SAN=dns:localhost,ip:127.0.0.1");
        Process b = start("other", "CN=other.example", "SAN=dns:other.example");
        Process c = start("client", "CN=weft-client", null);
        server = finish(a, "localhost");
        other = finish(b, "other");
        client = finish(c, "client");
    }

    /** The certificates, made on first use. */
    public static synchronized TestCerts get() {
        if (instance == null) {
            try {
                instance = new TestCerts();
            } catch (Exception e) {
                throw new IllegalStateException("cannot make test certificates with keytool: " + e, e);
            }
        }
        return instance;
    }

    private Process start(String alias, String dname, String ext) throws IOException {
        Path file = dir.resolve(alias + ".p12");
        file.toFile().deleteOnExit();
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keystore", file.toString(), "-storetype", "PKCS12",
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD),
                "-alias", alias));
        cmd.addAll(EC ? List.of("-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA")
                : List.of("-keyalg", "RSA", "-keysize", "2048", "-sigalg", "SHA256withRSA"));
        cmd.addAll(List.of("-dname", dname, "-validity", "3"));
        if (ext != null) {
            cmd.add("-ext");
            cmd.add(ext);
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        return p;
    }

    private KeyStore finish(Process p, String alias) throws Exception {
        awaitKeytool(p, alias);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve(alias + ".p12"))) {
            ks.load(in, PASSWORD);
        }
        return ks;
    }

    private static Certificate cert(KeyStore ks) throws Exception {
        return ks.getCertificate(ks.aliases().nextElement());
    }

    private static SSLContext context(KeyStore keys, KeyStore... trusted) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (KeyStore t : trusted) {
                trust.setCertificateEntry("trusted" + i++, cert(t));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = null;
            if (keys != null) {
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, PASSWORD);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private KeyStore ca;
    private KeyStore expired;
    private KeyStore caSigned;

    /**
     * A CA and two localhost certificates it signed: one valid, one whose validity ended days ago.
     * Made on first use (keytool runs: a CA, two key pairs, two signatures, two imports each).
     * A chain is needed: a self-signed certificate trusted directly is a trust anchor, and the JDK
     * does not check an anchor's dates.
     */
    private synchronized void makeCaChain() throws Exception {
        if (ca != null) {
            return;
        }
        String kt = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Path caFile = dir.resolve("ca.p12");
        caFile.toFile().deleteOnExit();
        List<String> alg = EC ? List.of("-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA")
                : List.of("-keyalg", "RSA", "-keysize", "2048", "-sigalg", "SHA256withRSA");
        List<String> pass = List.of("-storetype", "PKCS12", "-storepass", new String(PASSWORD),
                "-keypass", new String(PASSWORD));
        List<String> cmd = new ArrayList<>(List.of(kt, "-genkeypair", "-keystore", caFile.toString(), "-alias", "ca",
                "-dname", "CN=Weft Test CA", "-validity", "30", "-ext", "bc:c"));
        cmd.addAll(pass);
        cmd.addAll(alg);
        keytool(cmd);
        Path caCert = dir.resolve("ca.crt");
        caCert.toFile().deleteOnExit();
        cmd = new ArrayList<>(List.of(kt, "-exportcert", "-rfc", "-keystore", caFile.toString(), "-alias", "ca",
                "-file", caCert.toString()));
        cmd.addAll(pass);
        keytool(cmd);
        // The two leaves at once: each is five keytool runs, a JVM start each.
        java.util.concurrent.CompletableFuture<KeyStore> old = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return leaf(kt, "expired", caFile, caCert, alg, pass, List.of("-startdate", "-10d", "-validity", "2"));
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        caSigned = leaf(kt, "signed", caFile, caCert, alg, pass, List.of("-validity", "3"));
        expired = old.join();
        KeyStore c = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(caFile)) {
            c.load(in, PASSWORD);
        }
        ca = c;
    }

    private KeyStore leaf(String kt, String alias, Path caFile, Path caCert, List<String> alg, List<String> pass,
                          List<String> dates) throws Exception {
        Path file = dir.resolve(alias + ".p12");
        Path csr = dir.resolve(alias + ".csr");
        Path crt = dir.resolve(alias + ".crt");
        for (Path f : List.of(file, csr, crt)) {
            f.toFile().deleteOnExit();
        }
        List<String> cmd = new ArrayList<>(List.of(kt, "-genkeypair", "-keystore", file.toString(), "-alias", alias,
                "-dname", "CN=localhost", "-validity", "3"));
        cmd.addAll(pass);
        cmd.addAll(alg);
        keytool(cmd);
        cmd = new ArrayList<>(List.of(kt, "-certreq", "-keystore", file.toString(), "-alias", alias,
                "-file", csr.toString()));
        cmd.addAll(pass);
        keytool(cmd);
        cmd = new ArrayList<>(List.of(kt, "-gencert", "-rfc", "-keystore", caFile.toString(), "-alias", "ca",
                "-infile", csr.toString(), "-outfile", crt.toString(), "-ext", "SAN=dns:localhost,ip:127.0.0.1"));
        cmd.addAll(dates);
        cmd.addAll(pass);
        keytool(cmd);
        cmd = new ArrayList<>(List.of(kt, "-importcert", "-noprompt", "-keystore", file.toString(), "-alias", "ca",
                "-file", caCert.toString()));
        cmd.addAll(pass);
        keytool(cmd);
        cmd = new ArrayList<>(List.of(kt, "-importcert", "-keystore", file.toString(), "-alias", alias,
                "-file", crt.toString()));
        cmd.addAll(pass);
        keytool(cmd);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, PASSWORD);
        }
        ks.deleteEntry("ca");
        return ks;
    }

    private static void keytool(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        awaitKeytool(p, String.join(" ", cmd));
    }

    /** Waits for a keytool run; fails with its output unless it exited 0. */
    private static void awaitKeytool(Process p, String what) throws Exception {
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed for " + what + ": " + out);
        }
    }

    private KeyStore caChain(boolean wantExpired) {
        try {
            makeCaChain();
        } catch (Exception e) {
            throw new IllegalStateException("cannot make the CA test chain with keytool: " + e, e);
        }
        return wantExpired ? expired : caSigned;
    }

    /** A server context whose localhost certificate, signed by the test CA, expired days ago. */
    public SSLContext expiredServerContext() {
        return context(caChain(true), client);
    }

    /** A server context whose localhost certificate, signed by the test CA, is valid. */
    public SSLContext caSignedServerContext() {
        return context(caChain(false), client);
    }

    /** A client context trusting the test CA only. */
    public SSLContext clientContextTrustingTheCa() {
        caChain(false);
        return context(null, ca);
    }

    /** The server's context: the localhost certificate; trusts the client certificate. */
    public SSLContext serverContext() {
        return context(server, client);
    }

    /** A server context whose certificate (CN=other.example) no client here trusts. */
    public SSLContext untrustedServerContext() {
        return context(other, client);
    }

    /** A client context trusting the localhost certificate, with no key of its own. */
    public SSLContext clientContext() {
        return context(null, server);
    }

    /** A client context trusting the localhost certificate, with the client certificate. */
    public SSLContext clientContextWithKey() {
        return context(client, server);
    }

    /** The server certificate as PEM, for outside tools. */
    public Path serverCertPem() throws Exception {
        Path f = dir.resolve("localhost.crt");
        if (!Files.exists(f)) {
            write(f, "CERTIFICATE", cert(server).getEncoded());
        }
        return f;
    }

    /** The server key as unencrypted PKCS#8 PEM, for outside tools. */
    public Path serverKeyPem() throws Exception {
        Path f = dir.resolve("localhost.key");
        if (!Files.exists(f)) {
            PrivateKey k = (PrivateKey) server.getKey("localhost", PASSWORD);
            write(f, "PRIVATE KEY", k.getEncoded());
        }
        return f;
    }

    private static void write(Path f, String type, byte[] der) throws IOException {
        String b64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        Files.writeString(f, "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n");
        f.toFile().deleteOnExit();
    }
}
