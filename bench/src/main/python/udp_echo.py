"""UDP echo server for the Weft benchmark report (asyncio or uvloop loop).

Usage: udp_echo.py --port P [--host 127.0.0.1] [--loop asyncio|uvloop]
Prints one line "listening on HOST:PORT backend=NAME udp" when ready; quiet afterwards.
Every datagram goes back to its sender (DatagramProtocol + DatagramTransport.sendto).
"""
import argparse
import asyncio
import sys


class Echo(asyncio.DatagramProtocol):
    __slots__ = ("transport",)

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)

    def error_received(self, exc):
        pass  # ICMP port unreachable from a client that left: keep serving


async def serve(host, port, name):
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(Echo, local_addr=(host, port))
    bound = transport.get_extra_info("sockname")
    print(f"listening on {bound[0]}:{bound[1]} backend={name} udp", flush=True)
    await asyncio.Event().wait()


def main():
    p = argparse.ArgumentParser(prog="udp_echo.py")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    a = p.parse_args()
    if a.loop == "uvloop":
        try:
            import uvloop
        except ImportError as e:
            print(f"udp_echo.py: uvloop is not installed for {sys.executable}: {e}", file=sys.stderr)
            sys.exit(3)
        uvloop.install()
    try:
        asyncio.run(serve(a.host, a.port, a.loop))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
