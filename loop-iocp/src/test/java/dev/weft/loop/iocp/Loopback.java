package dev.weft.loop.iocp;

import static dev.weft.loop.iocp.WinConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Function;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * A connected loopback TCP pair made with raw AcceptEx and ConnectEx on one completion port: the
 * listener, the accepted socket ({@link #server}) and the connecting one ({@link #client}). Keys:
 * 1 listener, 2 server, 3 client.
 */
final class Loopback implements AutoCloseable {
    static final long LISTENER_KEY = 1;
    static final long SERVER_KEY = 2;
    static final long CLIENT_KEY = 3;

    final long listener;
    final long server;
    final long client;
    final InetSocketAddress address;

    private Loopback(long listener, long server, long client, InetSocketAddress address) {
        this.listener = listener;
        this.server = server;
        this.client = client;
        this.address = address;
    }

    static Loopback open(CompletionPort port) throws Exception {
        return open(port, "127.0.0.1");
    }

    static Loopback open(CompletionPort port, String host) throws Exception {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getByName(host), 0);
        short family = WinSock.family(any);
        long listener = WinSock.open(family);
        long server = WinSock.open(family);
        long client = WinSock.open(family);
        long mem = Mem.allocate(2 * OVERLAPPED_SIZE + 2 * (SOCKADDR_STORAGE_SIZE + 16) + SOCKADDR_STORAGE_SIZE + 16);
        try {
            WinSock.bind(listener, any);
            WinSock.listen(listener, 16);
            InetSocketAddress address = WinSock.localAddress(listener);
            port.associate(listener, LISTENER_KEY, false);
            port.associate(server, SERVER_KEY, false);
            port.associate(client, CLIENT_KEY, false);

            long acceptOv = mem;
            long connectOv = mem + OVERLAPPED_SIZE;
            long acceptBuf = mem + 2 * OVERLAPPED_SIZE;
            long remote = acceptBuf + 2 * (SOCKADDR_STORAGE_SIZE + 16);
            long bytes = remote + SOCKADDR_STORAGE_SIZE;

            Function acceptEx = WinSock.acceptEx(listener, family);
            int rc = WinSock.acceptEx(acceptEx, listener, server, acceptBuf, SOCKADDR_STORAGE_SIZE + 16, bytes, acceptOv);
            assertTrue(rc == 0 || rc == ERROR_IO_PENDING, "AcceptEx: " + WinError.name(rc));

            // ConnectEx needs a bound socket.
            WinSock.bind(client, new InetSocketAddress(address.getAddress(), 0));
            int length = WinSock.writeAddress(address, remote);
            Function connectEx = WinSock.connectEx(client, family);
            rc = WinSock.connectEx(connectEx, client, remote, length, connectOv);
            assertTrue(rc == 0 || rc == ERROR_IO_PENDING, "ConnectEx: " + WinError.name(rc));

            boolean accepted = false;
            boolean connected = false;
            while (!accepted || !connected) {
                int n = port.dequeue(5000);
                assertTrue(n > 0, "accept and connect complete");
                for (int i = 0; i < n; i++) {
                    if (port.overlapped(i) == acceptOv) {
                        assertEquals(LISTENER_KEY, port.key(i));
                        assertEquals(STATUS_SUCCESS, Mem.getInt(acceptOv + OVERLAPPED_INTERNAL));
                        accepted = true;
                    } else if (port.overlapped(i) == connectOv) {
                        assertEquals(CLIENT_KEY, port.key(i));
                        assertEquals(STATUS_SUCCESS, Mem.getInt(connectOv + OVERLAPPED_INTERNAL));
                        connected = true;
                    }
                }
            }
            WinSock.updateContext(server, SO_UPDATE_ACCEPT_CONTEXT, listener);
            WinSock.updateContext(client, SO_UPDATE_CONNECT_CONTEXT, 0L);
            return new Loopback(listener, server, client, address);
        } catch (Exception | Error e) {
            WinSock.close(listener);
            WinSock.close(server);
            WinSock.close(client);
            throw e;
        } finally {
            Mem.free(mem);
        }
    }

    @Override
    public void close() {
        WinSock.close(client);
        WinSock.close(server);
        WinSock.close(listener);
    }
}
