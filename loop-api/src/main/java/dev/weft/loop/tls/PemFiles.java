package dev.weft.loop.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * An {@link SSLContext} from PEM files, the form servers' certificates usually come in: a
 * certificate chain ({@code BEGIN CERTIFICATE} blocks, leaf first) and an unencrypted PKCS#8 key
 * ({@code BEGIN PRIVATE KEY}; RSA, EC or EdDSA). A PKCS#1 or SEC1 key ({@code BEGIN RSA PRIVATE KEY},
 * {@code BEGIN EC PRIVATE KEY}) fails with the openssl command that converts it. Thread-safe.
 */
public final class PemFiles {
    private PemFiles() {
    }

    /** A context presenting the chain in {@code certChain} with the key in {@code key}; the JDK's trust store. */
    public static SSLContext serverContext(Path certChain, Path key) throws IOException, GeneralSecurityException {
        Collection<? extends Certificate> chain;
        try (InputStream in = Files.newInputStream(certChain)) {
            chain = CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
        if (chain.isEmpty()) {
            throw new IOException("no certificate in " + certChain);
        }
        PrivateKey pk = readKey(key);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] pw = new char[0];
        ks.setKeyEntry("key", pk, pw, chain.toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    /** Reads an unencrypted PKCS#8 private key in PEM. */
    public static PrivateKey readKey(Path file) throws IOException, GeneralSecurityException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        if (text.contains("BEGIN RSA PRIVATE KEY") || text.contains("BEGIN EC PRIVATE KEY")
                || text.contains("BEGIN ENCRYPTED PRIVATE KEY")) {
            throw new IOException("key file " + file + " is not an unencrypted PKCS#8 key; convert it with: "
                    + "openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key.pk8.pem");
        }
        String begin = "-----BEGIN PRIVATE KEY-----";
        int b = text.indexOf(begin);
        int e = text.indexOf("-----END PRIVATE KEY-----");
        if (b < 0 || e < b) {
            throw new IOException("no '" + begin + "' block in " + file);
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String alg : new String[] {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(spec);
            } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException wrongType) {
                // Try the next algorithm.
            }
        }
        throw new IOException("unsupported private key algorithm in " + file + " (RSA, EC and EdDSA are read)");
    }
}
