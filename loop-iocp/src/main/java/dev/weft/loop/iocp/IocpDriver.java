package dev.weft.loop.iocp;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.ConnectOptions;
import dev.weft.loop.Connection;
import dev.weft.loop.DatagramEndpoint;
import dev.weft.loop.DatagramOptions;
import dev.weft.loop.DatagramProtocol;
import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.NativeIOException;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.spi.IoDriver;
import dev.weft.loop.transport.ConnectCore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import static dev.weft.loop.iocp.WinConstants.*;

/**
 * The I/O half of a loop on a completion port: one port per loop, every socket associated with it
 * under its own completion key, and {@link #poll} dequeueing up to {@value #BATCH} completions per
 * GetQueuedCompletionStatusEx into a reused native array.
 *
 * <p><b>Dispatch.</b> A completion key names the {@link Completion} owning the socket (key 0 is the
 * wake-up packet); the OVERLAPPED address tells the owner which of its operations finished; the
 * status is read from that OVERLAPPED. Operations that finish at once (sockets are set to
 * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS) or fail to start are queued in this driver and dispatched by
 * the next poll, which then does not block: an owner is never called back from inside its own call.
 * Only the operations queued when a poll begins are dispatched by it.
 *
 * <p><b>Memory.</b> The kernel owns an operation's OVERLAPPED and buffers until its completion is
 * dequeued, even after the socket is closed or the operation cancelled; owners keep their memory and
 * stay registered until then. {@link #close()} closes every socket and waits (bounded) for those
 * completions; memory whose completion never came is leaked rather than freed under the kernel.
 *
 * <p><b>Threads.</b> Everything runs on the loop thread but {@link #wakeup()}, a posted packet.
 * Dispatch allocates nothing.
 */
final class IocpDriver implements IoDriver {
    static final int BATCH = 256;
    static final long WAKEUP_KEY = 0;
    /** Scratch memory for staging heap bytes into a non-blocking send. */
    static final int SCRATCH_SIZE = 64 * 1024;
    /** How long close() waits for cancelled operations to complete before leaking their memory. */
    static final int CLOSE_DRAIN_MILLIS = 2000;

    final String name;
    final EventLoop loop;
    final CompletionPort port;
    final long scratchAddress;
    final UnsafeBuffer scratch;
    final UnsafeBuffer readView = new UnsafeBuffer(0, 0);

    private final Int2ObjectHashMap<Completion> owners = new Int2ObjectHashMap<>();
    private int nextKey = 1;
    /** What is open from the user's view: transports, servers, connects in progress. */
    private final Map<Object, Boolean> live = new IdentityHashMap<>();
    private final IocpConnect connects = new IocpConnect(this);

    private Completion[] deferredOwner = new Completion[16];
    private long[] deferredOverlapped = new long[16];
    private int[] deferredError = new int[16];
    private int[] deferredBytes = new int[16];
    private int deferredCount;
    private Completion[] runningOwner = new Completion[16];
    private long[] runningOverlapped = new long[16];
    private int[] runningError = new int[16];
    private int[] runningBytes = new int[16];

    private boolean closed;

    IocpDriver(String name, EventLoop loop) throws IOException {
        this.name = name;
        this.loop = loop;
        this.port = new CompletionPort(BATCH);
        this.scratchAddress = Mem.allocate(SCRATCH_SIZE);
        this.scratch = new UnsafeBuffer(scratchAddress, SCRATCH_SIZE);
    }

    @Override
    public String backendName() {
        return name;
    }

    @Override
    public int poll(long timeoutNanos) throws IOException {
        int timeout;
        if (deferredCount > 0 || timeoutNanos == 0) {
            timeout = 0;
        } else if (timeoutNanos < 0) {
            timeout = -1;
        } else {
            long ms = (timeoutNanos - 1) / 1_000_000 + 1;
            timeout = (int) Math.min(ms, Integer.MAX_VALUE - 1);
        }
        int work = runDeferred();
        int n = port.dequeue(timeout);
        for (int i = 0; i < n; i++) {
            long key = port.key(i);
            if (key == WAKEUP_KEY) {
                continue;
            }
            Completion owner = owners.get((int) key);
            if (owner == null) {
                continue;
            }
            long overlapped = port.overlapped(i);
            int status = Mem.getInt(overlapped + OVERLAPPED_INTERNAL);
            int error = status == STATUS_SUCCESS ? 0 : toWin32(status);
            owner.complete(overlapped, error, port.bytes(i));
            work++;
        }
        return work;
    }

    /**
     * The error code of a finished socket operation from its NTSTATUS, as WSAGetOverlappedResult
     * would report it: the Winsock code for the socket statuses (RtlNtStatusToDosError would turn a
     * reset into ERROR_NETNAME_DELETED), the Win32 code for the others.
     */
    static int toWin32(int ntStatus) {
        switch (ntStatus) {
            case STATUS_CANCELLED:
                return ERROR_OPERATION_ABORTED;
            case STATUS_CONNECTION_RESET:
            case STATUS_CONNECTION_DISCONNECTED:
            case STATUS_REMOTE_DISCONNECT:
                return WSAECONNRESET;
            case STATUS_CONNECTION_ABORTED:
            case STATUS_LOCAL_DISCONNECT:
                return WSAECONNABORTED;
            case STATUS_CONNECTION_REFUSED:
                return WSAECONNREFUSED;
            case STATUS_NETWORK_UNREACHABLE:
                return WSAENETUNREACH;
            case STATUS_HOST_UNREACHABLE:
            case STATUS_PORT_UNREACHABLE:
                return WSAEHOSTUNREACH;
            case STATUS_IO_TIMEOUT:
                return WSAETIMEDOUT;
            default:
                return Ntdll.RtlNtStatusToDosError(ntStatus);
        }
    }

    private int runDeferred() {
        int n = deferredCount;
        if (n == 0) {
            return 0;
        }
        // Swap the queues: what finishes during this dispatch waits for the next poll.
        Completion[] o = deferredOwner;
        long[] ov = deferredOverlapped;
        int[] e = deferredError;
        int[] b = deferredBytes;
        deferredOwner = runningOwner;
        deferredOverlapped = runningOverlapped;
        deferredError = runningError;
        deferredBytes = runningBytes;
        runningOwner = o;
        runningOverlapped = ov;
        runningError = e;
        runningBytes = b;
        deferredCount = 0;
        for (int i = 0; i < n; i++) {
            Completion owner = o[i];
            o[i] = null;
            owner.complete(ov[i], e[i], b[i]);
        }
        return n;
    }

    /**
     * Records an operation that finished without a completion packet (at once, or failing to start),
     * for the next poll to dispatch.
     */
    void defer(Completion owner, long overlapped, int error, int bytes) {
        if (deferredCount == deferredOwner.length) {
            int size = deferredCount * 2;
            deferredOwner = java.util.Arrays.copyOf(deferredOwner, size);
            deferredOverlapped = java.util.Arrays.copyOf(deferredOverlapped, size);
            deferredError = java.util.Arrays.copyOf(deferredError, size);
            deferredBytes = java.util.Arrays.copyOf(deferredBytes, size);
            runningOwner = java.util.Arrays.copyOf(runningOwner, size);
            runningOverlapped = java.util.Arrays.copyOf(runningOverlapped, size);
            runningError = java.util.Arrays.copyOf(runningError, size);
            runningBytes = java.util.Arrays.copyOf(runningBytes, size);
        }
        deferredOwner[deferredCount] = owner;
        deferredOverlapped[deferredCount] = overlapped;
        deferredError[deferredCount] = error;
        deferredBytes[deferredCount] = bytes;
        deferredCount++;
    }

    /**
     * Handles the result of starting an overlapped operation on a socket associated with
     * skip-on-success: {@code rc} 0 (finished at once: no packet comes, the byte count is in the
     * OVERLAPPED) or failed with {@code error}. Returns true while the kernel owns the operation.
     */
    void started(Completion owner, long overlapped, int rc, int error) {
        if (rc == 0) {
            defer(owner, overlapped, 0, (int) Mem.getLong(overlapped + OVERLAPPED_INTERNAL_HIGH));
        } else if (error != ERROR_IO_PENDING) {
            defer(owner, overlapped, error, 0);
        }
    }

    @Override
    public void wakeup() {
        port.post(0, WAKEUP_KEY, 0L);
    }

    /**
     * Associates {@code socket} with the port under a new key owned by {@code owner}, with
     * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, and puts it in non-blocking mode (for the plain
     * {@code send} a write tries first; overlapped calls ignore the mode).
     */
    int register(long socket, Completion owner) throws NativeIOException {
        return register(socket, owner, true);
    }

    /**
     * As {@link #register(long, Completion)}; with {@code skipOnSuccess} false every overlapped
     * operation that does not fail at once posts a packet, even one finished at once (see
     * {@link IocpDatagram} for why).
     */
    int register(long socket, Completion owner, boolean skipOnSuccess) throws NativeIOException {
        int key = nextKey();
        port.associate(socket, key, skipOnSuccess);
        long arg = scratchAddress;
        Mem.putInt(arg, 1);
        if (Ws2.ioctlsocket(socket, FIONBIO, arg) != 0) {
            throw WinError.exception("ioctlsocket(FIONBIO)", WinError.last());
        }
        owners.put(key, owner);
        return key;
    }

    /**
     * Associates a file or pipe handle (not a socket) with the port under a new key owned by
     * {@code owner}; every operation on it that starts completes through the port.
     */
    int registerHandle(long handle, Completion owner) throws NativeIOException {
        int key = nextKey();
        port.associate(handle, key, false);
        owners.put(key, owner);
        return key;
    }

    /** Hands a socket's key to a new owner (a connect becoming a transport). */
    void transfer(int key, Completion owner) {
        owners.put(key, owner);
    }

    /** The owner of {@code key} has no operation left in flight: forget it. */
    void release(int key) {
        owners.remove(key);
    }

    private int nextKey() {
        int k = nextKey;
        while (k == 0 || owners.containsKey(k)) {
            k++;
        }
        nextKey = k + 1;
        return k;
    }

    @Override
    public Server createServer(Supplier<? extends BaseProtocol> protocolFactory, List<InetSocketAddress> addresses,
                               ServerOptions options) throws IOException {
        return IocpServer.open(this, protocolFactory, addresses, options);
    }

    @Override
    public Server createHandOffTarget(Supplier<? extends BaseProtocol> protocolFactory, ServerOptions options) {
        return IocpServer.openHandOffTarget(this, protocolFactory, options);
    }

    @Override
    public void handOff(Server acceptor, List<Server> targets) {
        dev.weft.loop.transport.ServerCore.handOffTo(acceptor, targets);
    }

    @Override
    public <P extends BaseProtocol> void connect(Supplier<P> protocolFactory, List<InetSocketAddress> addresses,
                                                 ConnectOptions options, LoopFuture<Connection<P>> result) {
        ConnectCore.start(loop, connects, protocolFactory, addresses, options, result);
    }

    @Override
    public <P extends DatagramProtocol> void openDatagram(Supplier<P> protocolFactory, InetSocketAddress local,
                                                          InetSocketAddress remote, DatagramOptions options,
                                                          LoopFuture<DatagramEndpoint<P>> result) {
        IocpDatagram.open(this, protocolFactory, local, remote, options, result, IocpDatagram.READ_SIZE);
    }

    @Override
    public void subprocessExec(EventLoop loop, Supplier<? extends dev.weft.loop.SubprocessProtocol> factory,
                               List<String> argv, dev.weft.loop.SubprocessOptions options,
                               LoopFuture<dev.weft.loop.SubprocessTransport> result) {
        IocpSubprocess.start(this, factory, argv, options, result);
    }

    /** cmd.exe takes its command line unsplit: {@link #subprocessShell} writes it as given. */
    @Override
    public List<String> shellArgv(String command) {
        return null;
    }

    @Override
    public void subprocessShell(EventLoop loop, Supplier<? extends dev.weft.loop.SubprocessProtocol> factory,
                                String command, dev.weft.loop.SubprocessOptions options,
                                LoopFuture<dev.weft.loop.SubprocessTransport> result) {
        IocpSubprocess.startShell(this, factory, command, options, result);
    }

    @Override
    public int liveHandles() {
        return live.size();
    }

    void opened(Object handle) {
        live.put(handle, Boolean.TRUE);
    }

    void closed(Object handle) {
        live.remove(handle);
    }

    /** Operations still owned by the kernel (for tests). */
    int registeredOwners() {
        return owners.size();
    }

    /** The registered owners, each as its toString says (for messages). */
    String describeOwners() {
        return owners.values().toString();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Object h : new ArrayList<>(live.keySet())) {
            if (h instanceof IocpServer server) {
                // Closes out sockets other loops handed to it (a server with no listener owns no key).
                server.closeListeners();
            } else if (h instanceof ConnectCore<?, ?> c) {
                c.closeNow();
            }
        }
        for (Completion c : new ArrayList<>(owners.values())) {
            c.closeNow();
        }
        live.clear();
        long deadline = System.nanoTime() + CLOSE_DRAIN_MILLIS * 1_000_000L;
        try {
            while (!owners.isEmpty() && System.nanoTime() < deadline) {
                poll(deferredCount > 0 ? 0 : 50_000_000L);
            }
        } catch (IOException | RuntimeException e) {
            loop.callExceptionHandler(new dev.weft.loop.ExceptionContext(
                    "draining completions while closing the iocp driver failed", e, this));
        }
        if (!owners.isEmpty()) {
            // Their memory stays allocated: the kernel may still write into it.
            loop.callExceptionHandler(new dev.weft.loop.ExceptionContext(owners.size()
                    + " socket(s) still had operations in flight after " + CLOSE_DRAIN_MILLIS
                    + " ms; their memory is leaked, not freed: " + describeOwners(), null, this));
            owners.clear();
        }
        port.close();
        Mem.free(scratchAddress);
    }

    @Override
    public String toString() {
        return "IocpDriver[" + live.size() + " live, " + owners.size() + " registered]";
    }
}
