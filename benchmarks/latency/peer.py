#!/usr/bin/env python3
"""The Python peer pipeline of benchmarks/latency, built the way the seeds build it:

  row trigger with pg_notify  ->  asyncio listener (asyncpg)  ->  coalescing window  ->
  one HMAC-SHA256-signed aiohttp POST per window, retried with 2^attempt + random() s backoff

The trigger (installed by latency.py, see PEER_SQL there) sends one NOTIFY per row on channel
`edits`: {"n", "lon", "lat" (new position), "olon", "olat" (old, for updates and deletes),
"ts" (clock_timestamp() in the editing transaction)}. The listener turns each notification into
its z15 tiles with mercantile (old and new position: both are stale) as it arrives, so a window
only has to be serialised when it closes.

Coalescing: a window opens with the first notification after the previous one was taken, and
closes `--window-ms` later (0: at once); everything that arrived by then becomes one event, in
Tessera's JSON shape (`zooms`: [{"zoom", "count", "tiles": [[x, y], ...]}]). One sender sends
the events in order over a keep-alive aiohttp ClientSession; while a POST is in flight or being
retried, new notifications gather in the next window, which is sent as soon as the sender is free
(and its window has run out). A failed POST (connection error, timeout or non-2xx answer) is
retried, same webhook-id, signed again, after 2^attempt + random() seconds (attempt 0, 1, 2, ...),
with no limit unless --max-attempts is given (then the event is dropped and logged).
Notifications are only in memory: a peer that dies loses what it had not sent.

Prints "ready" once it is LISTENing. On SIGTERM it stops (whatever is still unsent is dropped) and
writes its log: one JSON line per event with the stage times, all time.time() seconds:
  capture   the trigger's clock_timestamp() of the window's first change
  notified  when that notification reached the listener
  flushed   when the window closed
  first_sent / sent   when the first / the successful attempt's request started
  answered  when the successful answer was read
plus id, edits, tiles, attempts and ok (false: dropped after --max-attempts).
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import random
import secrets
import signal
import sys
import time
import uuid

import aiohttp
import asyncpg
import mercantile

ZOOM = 15


class Peer:
    def __init__(self, args, session):
        self.args = args
        self.session = session
        self.window = args.window_ms / 1000
        self.key = base64.b64decode(args.secret.removeprefix("whsec_")) if args.secret else secrets.token_bytes(32)
        self.log = []
        # The window being filled.
        self.tiles = set()
        self.edits = 0
        self.first_capture = None
        self.first_notified = None
        self.arrived = asyncio.Event()

    # --- listener -----------------------------------------------------------------------------

    def on_notify(self, connection, pid, channel, payload):
        now = time.time()
        change = json.loads(payload)
        if change.get("lon") is not None:
            self.tiles.add(mercantile.tile(change["lon"], change["lat"], ZOOM)[:2])
        if change.get("olon") is not None:
            self.tiles.add(mercantile.tile(change["olon"], change["olat"], ZOOM)[:2])
        if self.edits == 0:
            self.first_capture = change["ts"]
            self.first_notified = now
            self.arrived.set()
        self.edits += 1

    # --- coalescing and sending ---------------------------------------------------------------

    async def run(self):
        while True:
            await self.arrived.wait()
            wait = self.first_notified + self.window - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            # Take the window (no await in between, so no notification is split off).
            tiles, edits, capture, notified = self.tiles, self.edits, self.first_capture, self.first_notified
            self.tiles, self.edits = set(), 0
            self.arrived.clear()
            await self.send(tiles, edits, capture, notified, time.time())

    async def send(self, tiles, edits, capture, notified, flushed):
        event_id = f"msg_{uuid.uuid4().hex}"
        tile_list = [list(t) for t in tiles]
        body = json.dumps({
            "type": "tiles.invalidated", "event_id": event_id, "layer": "edits",
            "tile_matrix_set": "WebMercatorQuad", "change_count": edits, "tile_count": len(tile_list),
            "window": {"start_ms": int(notified * 1000), "end_ms": int(flushed * 1000)},
            "zooms": [{"zoom": ZOOM, "count": len(tile_list), "tiles": tile_list}],
        }, separators=(",", ":")).encode()
        record = {"id": event_id, "edits": edits, "tiles": len(tile_list), "capture": capture,
                  "notified": notified, "flushed": flushed, "first_sent": None, "ok": False}
        attempt = 0
        while True:
            timestamp = str(int(time.time()))
            signature = base64.b64encode(
                hmac.new(self.key, f"{event_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()).decode()
            headers = {"content-type": "application/json", "webhook-id": event_id,
                       "webhook-timestamp": timestamp, "webhook-signature": f"v1,{signature}"}
            sent = time.time()
            if record["first_sent"] is None:
                record["first_sent"] = sent
            try:
                async with self.session.post(self.args.url, data=body, headers=headers) as response:
                    await response.read()
                    if 200 <= response.status < 300:
                        record.update(sent=sent, answered=time.time(), attempts=attempt + 1, ok=True)
                        break
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
                pass
            if self.args.max_attempts and attempt + 1 >= self.args.max_attempts:
                record.update(attempts=attempt + 1)
                break
            await asyncio.sleep(2 ** attempt + random.random())
            attempt += 1
        self.log.append(record)


async def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dsn", required=True, help="the peer's database")
    p.add_argument("--url", required=True, help="the webhook receiver")
    p.add_argument("--window-ms", type=float, required=True)
    p.add_argument("--log", required=True, help="where the per-event JSON lines go at exit")
    p.add_argument("--channel", default="edits")
    p.add_argument("--secret", help="whsec_… signing secret (default: a random one)")
    p.add_argument("--timeout", type=float, default=30, help="seconds per request")
    p.add_argument("--max-attempts", type=int, default=0, help="0: retry until it succeeds")
    args = p.parse_args()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)

    connector = aiohttp.TCPConnector(limit=8, keepalive_timeout=60)
    session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=args.timeout))
    peer = Peer(args, session)
    connection = await asyncpg.connect(args.dsn)
    await connection.add_listener(args.channel, peer.on_notify)
    sender = asyncio.create_task(peer.run())
    print("ready", flush=True)

    await stop.wait()
    sender.cancel()
    with open(args.log, "w") as f:
        for record in peer.log:
            f.write(json.dumps(record) + "\n")
    await session.close()
    await connection.close()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
