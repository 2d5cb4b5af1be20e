package dev.weft.bench.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.tls.PemFiles;
import dev.weft.loop.tls.TlsOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsSetupTest {
    @Test
    void shouldMakeASelfSignedServerContextWithoutCertAndKey() throws Exception {
        TlsOptions o = TlsSetup.options("echo-server", null, null);
        assertTrue(o.isServer());
        SSLEngine e = o.context().createSSLEngine();
        e.setUseClientMode(false);
        e.beginHandshake();
    }

    @Test
    void shouldRefuseACertWithoutAKeyNamingWhatWasGiven() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TlsSetup.options("echo-server", "cert.pem", null));
        assertTrue(e.getMessage().contains("--cert only"), e.getMessage());
    }

    @Test
    void shouldExitWithUsageStatusWhenCertIsGivenWithoutTls() {
        ServerCommand.Exit e = assertThrows(ServerCommand.Exit.class, () -> ServerCommand.parse("echo-server", "usage",
                "nio", new String[] {"--port", "0", "--cert", "a.pem", "--key", "b.pem"}, 0));
        assertEquals(2, e.code);
    }

    @Test
    void shouldNameTheConversionForAPkcs1Key(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("rsa.key");
        Files.writeString(key, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        IOException e = assertThrows(IOException.class, () -> PemFiles.readKey(key));
        assertTrue(e.getMessage().contains("openssl pkcs8 -topk8 -nocrypt"), e.getMessage());
    }
}
