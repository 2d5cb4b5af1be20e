package dev.weft.loop;

/**
 * The loop's backend does not offer what was asked for. The message reads
 * "unsupported on &lt;backend&gt;: &lt;reason&gt;".
 *
 * <p>Any thread may create, throw or read it: it holds only values fixed at construction.
 */
public final class UnsupportedCapabilityException extends UnsupportedOperationException {
    private static final long serialVersionUID = 1L;

    private final String backend;
    private final Capability capability;

    public UnsupportedCapabilityException(String backend, Capability capability, String reason) {
        super("unsupported on " + backend + ": " + reason);
        this.backend = backend;
        this.capability = capability;
    }

    /** The backend that lacks the capability. */
    public String backend() {
        return backend;
    }

    /** What was asked for. */
    public Capability capability() {
        return capability;
    }
}
