/**
 * The readiness implementation (nio, epoll, kqueue): the {@link dev.weft.loop.spi.IoDriver} written
 * once over a backend's {@link dev.weft.loop.spi.Poller} and {@link dev.weft.loop.spi.SocketFactory},
 * with its listeners, connects in progress and the readiness half of each stream transport.
 * For backends only; not API.
 */
package dev.weft.loop.readiness;
