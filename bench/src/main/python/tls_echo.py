"""Protocol-based TLS echo server for the Weft benchmark report (asyncio or uvloop loop).

Usage: tls_echo.py --port P --cert PEM --key PEM [--host 127.0.0.1] [--loop asyncio|uvloop]
The same server as echo.py with ssl= on create_server (the loop's own TLS layer: asyncio's
sslproto, uvloop's sslproto). Prints one line "listening on HOST:PORT backend=NAME" when ready.
"""
import argparse
import asyncio
import socket
import ssl
import sys


class Echo(asyncio.Protocol):
    __slots__ = ("transport",)

    def connection_made(self, transport):
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data):
        self.transport.write(data)

    def connection_lost(self, exc):
        self.transport = None


async def serve(host, port, name, ctx):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, host, port, reuse_address=True, backlog=1024, ssl=ctx)
    bound = server.sockets[0].getsockname()
    print(f"listening on {bound[0]}:{bound[1]} backend={name}-tls ({ssl.OPENSSL_VERSION})", flush=True)
    await server.serve_forever()


def main():
    p = argparse.ArgumentParser(prog="tls_echo.py")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    a = p.parse_args()
    if a.loop == "uvloop":
        try:
            import uvloop
        except ImportError as e:
            print(f"tls_echo.py: uvloop is not installed for {sys.executable}: {e}", file=sys.stderr)
            sys.exit(3)
        uvloop.install()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    name = "uvloop" if a.loop == "uvloop" else "asyncio"
    try:
        asyncio.run(serve(a.host, a.port, name, ctx))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
