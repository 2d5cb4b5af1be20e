"""HTTP/1.1 plaintext server for the Weft benchmark report: an asyncio Protocol (asyncio or uvloop).

Usage: http.py --port P [--host 127.0.0.1] [--loop asyncio|uvloop]
Prints one line "listening on HOST:PORT backend=NAME" when ready; quiet afterwards.

Like the Weft server it parses only request boundaries (an empty line, CRLF CRLF; no request
bodies) and answers each request, pipelined ones included, with the same fixed response.
"""
import argparse
import asyncio
import socket
import sys

RESPONSE = (b"HTTP/1.1 200 OK\r\n"
            b"Server: python\r\n"
            b"Content-Type: text/plain\r\n"
            b"Content-Length: 13\r\n"
            b"\r\n"
            b"Hello, World!")
END = b"\r\n\r\n"


class Http(asyncio.Protocol):
    __slots__ = ("transport", "tail")

    def connection_made(self, transport):
        self.transport = transport
        self.tail = b""
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data):
        buf = self.tail + data if self.tail else data
        n = buf.count(END)
        if n:
            rest = buf[buf.rfind(END) + 4:]
            self.tail = rest[-3:]
            self.transport.write(RESPONSE * n)
        else:
            self.tail = buf[-3:]

    def connection_lost(self, exc):
        self.transport = None


async def serve(host, port, name):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Http, host, port, reuse_address=True, backlog=1024)
    bound = server.sockets[0].getsockname()
    print(f"listening on {bound[0]}:{bound[1]} backend={name}", flush=True)
    await server.serve_forever()


def main():
    p = argparse.ArgumentParser(prog="http.py")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    a = p.parse_args()
    if a.loop == "uvloop":
        try:
            import uvloop
        except ImportError as e:
            print(f"http.py: uvloop is not installed for {sys.executable}: {e}", file=sys.stderr)
            sys.exit(3)
        uvloop.install()
    name = "uvloop" if a.loop == "uvloop" else "asyncio"
    try:
        asyncio.run(serve(a.host, a.port, name))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
