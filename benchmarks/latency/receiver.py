#!/usr/bin/env python3
"""The webhook receiver of benchmarks/latency: an HTTP/1.1 keep-alive server on raw asyncio.

It answers every request `200` with an empty body the moment the request is complete, and keeps
(time.time() at that moment, the request head, the body) in memory; nothing is parsed beyond the
Content-Length, so it keeps up with several thousand requests a second on one core. The driver
(latency.py) parses what it collected after the fact.

Controlled over stdin, one command a line, each answered with one line on stdout:
  down        close the listening socket and abort every open connection: a real outage, new
              connections are refused (RST) until `up`           -> "down <time>"
  up          listen again on the same port                      -> "up <time>"
  dump PATH   pickle the records collected since the last dump to PATH (a list of
              (arrival, head bytes, body bytes)) and forget them -> "dumped <count>"
  quit        exit
At start it prints "listening <port>".
"""
import argparse
import asyncio
import pickle
import sys
import time

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
OK_CLOSE = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class Receiver:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.server = None
        self.connections = set()
        self.records = []

    async def listen(self):
        loop = asyncio.get_running_loop()
        # SO_REUSEADDR (asyncio's default on POSIX) lets `up` bind the port again at once although
        # connections this side aborted may linger in TIME_WAIT.
        self.server = await loop.create_server(lambda: Connection(self), self.host, self.port,
                                               reuse_address=True, backlog=1024)
        self.port = self.server.sockets[0].getsockname()[1]

    def close(self):
        """Stops listening and aborts every connection (the clients see a reset)."""
        if self.server is not None:
            self.server.close()
            self.server = None
        for connection in list(self.connections):
            connection.transport.abort()
        self.connections.clear()


class Connection(asyncio.Protocol):
    """One keep-alive connection; requests are handled in order (clients do not pipeline)."""

    def __init__(self, receiver):
        self.receiver = receiver
        self.buffer = bytearray()
        self.head = None          # the current request's head, once complete
        self.end = 0              # the current request's end offset in the buffer
        self.close_after = False
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        self.receiver.connections.add(self)

    def connection_lost(self, exc):
        self.receiver.connections.discard(self)

    def data_received(self, data):
        self.buffer += data
        while True:
            if self.head is None:
                i = self.buffer.find(b"\r\n\r\n")
                if i < 0:
                    return
                self.head = bytes(self.buffer[:i])
                lower = self.head.lower()
                length = 0
                j = lower.find(b"\r\ncontent-length:")
                if j >= 0:
                    k = lower.find(b"\r\n", j + 2)
                    length = int(lower[j + 17:k if k >= 0 else len(lower)])
                self.close_after = b"\r\nconnection: close" in lower
                self.end = i + 4 + length
            if len(self.buffer) < self.end:
                return
            self.receiver.records.append((time.time(), self.head, bytes(self.buffer[len(self.head) + 4:self.end])))
            del self.buffer[:self.end]
            self.head = None
            if self.close_after:
                self.transport.write(OK_CLOSE)
                self.transport.close()
                return
            self.transport.write(OK)


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    receiver = Receiver(args.host, args.port)
    await receiver.listen()
    out = sys.stdout
    out.write(f"listening {receiver.port}\n")
    out.flush()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = (await reader.readline()).decode().strip()
        if not line or line == "quit":
            break
        command, _, argument = line.partition(" ")
        if command == "down":
            receiver.close()
            out.write(f"down {time.time():.6f}\n")
        elif command == "up":
            await receiver.listen()
            out.write(f"up {time.time():.6f}\n")
        elif command == "dump":
            records, receiver.records = receiver.records, []
            with open(argument, "wb") as f:
                pickle.dump(records, f, protocol=pickle.HIGHEST_PROTOCOL)
            out.write(f"dumped {len(records)}\n")
        else:
            out.write(f"error unknown command {command}\n")
        out.flush()
    receiver.close()


if __name__ == "__main__":
    asyncio.run(main())
