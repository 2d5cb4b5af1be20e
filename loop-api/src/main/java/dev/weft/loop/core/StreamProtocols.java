package dev.weft.loop.core;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.BufferedProtocol;
import dev.weft.loop.Protocol;
import java.util.Objects;

/** What a stream layer (the transport core, TLS) accepts as its protocol, checked in one place. Not API. */
public final class StreamProtocols {
    private StreamProtocols() {
    }

    /**
     * {@code p} itself when it is a stream protocol: a {@link Protocol}, a {@link BufferedProtocol},
     * or both. Fails with {@link NullPointerException} when it is null, with
     * {@link IllegalArgumentException} naming its class when it is neither.
     */
    public static BaseProtocol requireStream(BaseProtocol p) {
        Objects.requireNonNull(p, "protocol");
        if (!(p instanceof Protocol) && !(p instanceof BufferedProtocol)) {
            throw new IllegalArgumentException("a stream protocol must implement Protocol or BufferedProtocol: "
                    + p.getClass().getName());
        }
        return p;
    }
}
