package dev.weft.loop.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A transport (stream or datagram) ended with an error: a reset or broken pipe, a failed read or
 * write, or a protocol callback that threw. Its protocol gets the same error in
 * {@code connectionLost}.
 */
@Name("dev.weft.TransportError")
@Label("Transport Error")
@Category("Weft")
@Description("A transport ended with an error")
@StackTrace(false)
final class TransportErrorEvent extends jdk.jfr.Event {
    @Label("Transport")
    String transport;

    @Label("Protocol Class")
    String protocolClass;

    @Label("Error Class")
    String errorClass;

    @Label("Message")
    String message;
}
