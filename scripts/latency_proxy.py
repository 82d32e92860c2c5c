"""An HTTP/1.1 proxy on 127.0.0.1 that puts a Region's distance between a client and the emulator.

Each request reaches the emulator half a round trip after its last byte left the client, and its
answer reaches the client half a round trip after the emulator gave it: one round trip a call,
however the client split its writes. A new connection costs `connect_round_trips` more before
its first request arrives (TCP's handshake is one; TLS 1.3 adds one, and AWS speaks TLS).

Connections are kept alive towards the client, as AWS's endpoints keep them (the emulator's
server closes each one after its answer, so every request goes to it on a fresh connection):
what a client gains by reusing a connection, and loses by opening one per concurrent call,
shows as it would against AWS.

The proxy never holds small writes back (TCP_NODELAY on its sockets): a pause between one answer
and the next call is the client's own. It notes, for each request, when the client began to send
it and when the last byte of its answer reached the client (`requests`), and counts connections.
"""

import asyncio
import socket
import threading
import time


class LatencyProxy:
    def __init__(self, target_port, round_trip, connect_round_trips=1):
        self.target_port = target_port
        self.round_trip = round_trip
        self.connect_round_trips = connect_round_trips
        self.requests = []  # [{"sent", "answered"}], loop time, in the order sent
        self.connections = 0  # connections the clients opened so far
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait()

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    def reset(self):
        """Forgets the requests noted so far and returns them, times as `time.time()`."""
        offset = time.time() - self.loop.time()
        taken, self.requests = self.requests, []
        return [{k: (v + offset if v is not None else None) for k, v in r.items()} for r in taken]

    async def _until(self, when):
        delay = when - self.loop.time()
        if delay > 0:
            await asyncio.sleep(delay)

    async def _handle(self, reader, writer):
        ready = self.loop.time() + self.connect_round_trips * self.round_trip
        self.connections += 1
        nodelay(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                request = {"sent": self.loop.time(), "answered": None}
                self.requests.append(request)
                headers = header_map(head)
                if headers.get("expect", "").lower() == "100-continue":
                    await self._until(max(self.loop.time(), ready) + self.round_trip)
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    await writer.drain()
                if "chunked" in headers.get("transfer-encoding", "").lower():
                    raise ValueError("chunked request bodies are not supported by this proxy")
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                await self._until(max(self.loop.time(), ready) + self.round_trip / 2)
                answer = await self._forward(head + body)
                await asyncio.sleep(self.round_trip / 2)
                writer.write(answer)
                await writer.drain()
                request["answered"] = self.loop.time()
                if headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, OSError):
            return
        finally:
            writer.close()

    async def _forward(self, request):
        """The emulator's whole answer to one request, framed to keep the connection open."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        nodelay(writer)
        writer.write(request)
        await writer.drain()
        raw = await reader.read(-1)
        writer.close()
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
        headers = header_map(head + b"\r\n\r\n")
        if "content-length" not in headers and "chunked" not in headers.get("transfer-encoding", "").lower():
            lines.append(b"Content-Length: " + str(len(body)).encode())
        return b"\r\n".join(lines) + b"\r\n\r\n" + body

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)


def nodelay(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def header_map(head):
    """The header fields of a request or response head, lower-cased names (the last one wins)."""
    fields = {}
    for line in head.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            fields[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return fields
