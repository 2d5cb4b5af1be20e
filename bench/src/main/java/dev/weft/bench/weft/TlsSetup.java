package dev.weft.bench.weft;

import dev.weft.loop.tls.PemFiles;
import dev.weft.loop.tls.TlsOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The TLS options of {@code --tls} servers: from {@code --cert FILE --key FILE} (PEM; PKCS#8 key), or,
 * without them, a self-signed EC certificate for {@code localhost} and {@code 127.0.0.1} made at
 * start with the JDK's {@code keytool} into a fresh temporary directory, whose PEM paths are printed
 * so that clients can trust it ({@code curl --cacert}, {@code openssl s_client -CAfile}).
 */
public final class TlsSetup {
    private TlsSetup() {
    }

    static TlsOptions options(String name, String cert, String key) throws Exception {
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("--cert and --key go together (got " + (cert == null ? "--key" : "--cert")
                    + " only)");
        }
        if (cert != null) {
            TlsOptions o = TlsOptions.server(PemFiles.serverContext(Path.of(cert), Path.of(key)));
            System.err.println("weft-bench " + name + ": TLS with certificate " + cert);
            return o;
        }
        Path[] pem = selfSigned();
        Path certPem = pem[0];
        Path keyPem = pem[1];
        System.out.println("tls self-signed certificate for localhost: " + certPem + " (key " + keyPem + ")");
        return TlsOptions.server(PemFiles.serverContext(certPem, keyPem));
    }

    /**
     * Makes a self-signed EC P-256 certificate for {@code localhost} and {@code 127.0.0.1} (30 days)
     * with the JDK's {@code keytool} in a fresh temporary directory.
     *
     * @return the certificate and its PKCS#8 key, both PEM
     */
    public static Path[] selfSigned() throws Exception {
        Path dir = Files.createTempDirectory("weft-bench-tls");
        Path p12 = dir.resolve("localhost.p12");
        String pw = "weft-bench-self-signed";
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keystore", p12.toString(), "-storetype", "PKCS12", "-storepass", pw, "-keypass", pw,
                "-alias", "localhost", "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "30"))
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool could not make a self-signed certificate: " + out);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, pw.toCharArray());
        }
        Path certPem = dir.resolve("localhost.crt");
        Path keyPem = dir.resolve("localhost.key");
        writePem(certPem, "CERTIFICATE", ks.getCertificate("localhost").getEncoded());
        writePem(keyPem, "PRIVATE KEY", ((PrivateKey) ks.getKey("localhost", pw.toCharArray())).getEncoded());
        Files.delete(p12);
        return new Path[] {certPem, keyPem};
    }

    private static void writePem(Path f, String type, byte[] der) throws IOException {
        String b64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        Files.writeString(f, "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n");
    }
}
