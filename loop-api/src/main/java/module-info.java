/**
 * Weft's API and the core every backend shares.
 *
 * <p>Exported to everyone: the API ({@code dev.weft.loop}), tasks ({@code .task}), synchronization
 * primitives ({@code .sync}), queues ({@code .queue}), streams ({@code .stream}) and TLS
 * ({@code .tls}). Exported only to the backend modules: the contracts a backend implements
 * ({@code .spi}), the transport core ({@code .transport}), the readiness implementation
 * ({@code .readiness}), the POSIX socket layer ({@code .posix}) and the loop internals
 * ({@code .core}). The subprocess implementation ({@code .process}) is exported to iocp only, which
 * starts its children itself and plugs them into the shared subprocess transport.
 *
 * <p>Backends are found with {@link java.util.ServiceLoader} as providers of
 * {@code dev.weft.loop.spi.LoopBackend}.
 *
 * <p>JNA binds native methods by direct mapping ({@code Native.register}) and through
 * {@code Library} interfaces, neither of which needs deep reflection; a package that adds a JNA
 * {@code Structure} must be opened to {@code com.sun.jna}.
 */
module dev.weft.loop {
    // Agrona's DirectBuffer is part of the API (Protocol.dataReceived, Transport.write).
    requires transitive org.agrona;
    requires com.sun.jna;
    // sun.misc.Signal: the loop's signal handlers.
    requires jdk.unsupported;
    // Flight Recorder events of the loop.
    requires jdk.jfr;

    exports dev.weft.loop;
    exports dev.weft.loop.task;
    exports dev.weft.loop.sync;
    exports dev.weft.loop.queue;
    exports dev.weft.loop.stream;
    exports dev.weft.loop.tls;

    exports dev.weft.loop.spi to
            dev.weft.loop.nio, dev.weft.loop.epoll, dev.weft.loop.kqueue, dev.weft.loop.iocp;
    exports dev.weft.loop.transport to
            dev.weft.loop.nio, dev.weft.loop.epoll, dev.weft.loop.kqueue, dev.weft.loop.iocp;
    exports dev.weft.loop.readiness to
            dev.weft.loop.nio, dev.weft.loop.epoll, dev.weft.loop.kqueue;
    exports dev.weft.loop.posix to
            dev.weft.loop.epoll, dev.weft.loop.kqueue;
    // SubprocessCore and ChildProcess: the one subprocess transport, which iocp's children plug into.
    exports dev.weft.loop.process to
            dev.weft.loop.iocp;
    exports dev.weft.loop.core to
            dev.weft.loop.nio, dev.weft.loop.epoll, dev.weft.loop.kqueue, dev.weft.loop.iocp;

    uses dev.weft.loop.spi.LoopBackend;
}
