package example;

import dev.weft.loop.*;
import org.agrona.DirectBuffer;

public final class Echo implements Protocol {
    private Transport transport;

    @Override public void connectionMade(Transport t) { transport = t; }

    // `data` is a view of the loop's read buffer, valid during this call: writing it back copies
    // nothing the kernel takes at once.
    @Override public void dataReceived(DirectBuffer data) { transport.write(data); }

    // Back-pressure: a peer that sends without reading fills the write buffer. Stop reading from it
    // until the buffer drains, so a connection holds at most the high-water mark plus one read.
    @Override public void pauseWriting() { transport.pauseReading(); }

    @Override public void resumeWriting() { transport.resumeReading(); }

    public static void main(String[] args) {
        EventLoop loop = EventLoop.create();            // backend from -Dweft.loop.backend, default auto
        Server server = loop.runUntilComplete(
                loop.createServer(Echo::new, "127.0.0.1", 8007, ServerOptions.DEFAULTS));
        System.out.println("serving on " + server.addresses() + " with " + loop.backendName());
        loop.runForever();
    }
}
