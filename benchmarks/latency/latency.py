#!/usr/bin/env python3
"""Commit -> delivered latency of single edits (issue "Latency"), driven by benchmarks/latency/run.sh.

Tessera and a Python peer pipeline (peer.py: row trigger + pg_notify -> asyncpg listener ->
coalescing window -> HMAC-signed aiohttp POST) get the same edits, one after the other in the same
run, each in a fresh database of the throwaway cluster, each posting to the same receiver process
(receiver.py). Every timestamp is time.time() or PostgreSQL's clock_timestamp()/now() on this host.

The workload: table edits(id bigserial primary key, n int, geom geometry(Point, 4326)). Edit n
puts a point in the centre of its own z15 tile (x = X0 + n % WIDTH, y = Y0 + n // WIDTH), so each
z15 tile that arrives names its edit. Edit n is one INSERT in its own autocommit transaction,
sent open-loop on a schedule (edit n is due at t0 + n / rate) over --connections asyncpg sessions;
its commit time is the client's clock right after the INSERT returned, its latency the first
arrival of its tile minus that.

  steady  every rate x window, for both systems: warm-up (excluded), measurement, then wait until
          everything arrived. Tessera's subscription has debounce_ms = max_delay_ms = window; the
          peer closes a window that long after its first notification. After each run the stages
          of each delivery are read back (Tessera: tessera.deliveries / delivery_attempts; the
          peer: its own log).
  flood   the table pre-filled with --flood-rows points (before Tessera's watch / the peer's trigger
          exist), then --flood-batch-row UPDATEs for --flood-seconds that move each point within its
          own z15 tile (a real geometry change that keeps its tile), statement k on rows
          (k % batches) * batch ... + batch. A feature's latency is the first arrival of its tile
          at or after its statement's commit (a cache told after the commit renders the committed
          state, whichever change the message was sent for); "drained" is when the last feature's
          last update had arrived, after the last commit.
  outage  --outage-rate edits/s, window --outage-window; the receiver stops listening (socket closed,
          connections aborted: connection refused) at +--outage-at s for D s, then listens again;
          edits go on --outage-tail s past that. Receiver up -> first request; receiver up -> the
          last edit committed during the outage arrived (backlog drained); lost.
"""
import argparse
import asyncio
import bisect
import json
import math
import os
import pickle
import signal
import socket
import sys
import textwrap
import time

import aiohttp
import asyncpg

X0, Y0, WIDTH, ZOOM = 17000, 10000, 1000, 15
HERE = os.path.dirname(os.path.abspath(__file__))

# The table and a function for the point at fraction (fx, fy) of edit n's z15 tile (0.5, 0.5: the centre).
TABLE_SQL = f"""
    CREATE TABLE public.edits (id bigserial PRIMARY KEY, n int, geom geometry(Point, 4326));
    CREATE FUNCTION public.tile_point(n int, fx float8, fy float8) RETURNS geometry LANGUAGE sql IMMUTABLE AS $$
        SELECT ST_SetSRID(ST_MakePoint(({X0} + n % {WIDTH} + fx) / {2 ** ZOOM}.0 * 360 - 180,
               degrees(atan(sinh(pi() * (1 - 2 * ({Y0} + n / {WIDTH} + fy) / {2 ** ZOOM}.0))))), 4326) $$;
"""
INSERT_SQL = "INSERT INTO public.edits (n, geom) VALUES ($1, public.tile_point($1, 0.5, 0.5))"
UPDATE_SQL = "UPDATE public.edits SET geom = public.tile_point(n, $3, $3) WHERE n >= $1 AND n < $2"

# The peer's capture, the way the seeds do it: a row trigger that NOTIFYs the row's position.
PEER_SQL = """
    CREATE FUNCTION public.edits_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM pg_notify('edits', json_build_object('n', NEW.n, 'lon', ST_X(NEW.geom), 'lat', ST_Y(NEW.geom),
                                                         'ts', extract(epoch FROM clock_timestamp()))::text);
        ELSIF TG_OP = 'UPDATE' THEN
            PERFORM pg_notify('edits', json_build_object('n', NEW.n, 'lon', ST_X(NEW.geom), 'lat', ST_Y(NEW.geom),
                                                         'olon', ST_X(OLD.geom), 'olat', ST_Y(OLD.geom),
                                                         'ts', extract(epoch FROM clock_timestamp()))::text);
        ELSE
            PERFORM pg_notify('edits', json_build_object('n', OLD.n, 'olon', ST_X(OLD.geom), 'olat', ST_Y(OLD.geom),
                                                         'ts', extract(epoch FROM clock_timestamp()))::text);
        END IF;
        RETURN NULL;
    END $$;
    CREATE TRIGGER edits_notify AFTER INSERT OR UPDATE OR DELETE ON public.edits
        FOR EACH ROW EXECUTE FUNCTION public.edits_notify();
"""


# What the stage tables' columns are made of.
STAGE_LEGEND = {
    "tessera": "commit = deliveries.window_start (the trigger's clock_timestamp() of the "
               "window's first change, in ms), processed/due = processed_at/due_at (newer builds), flush start = "
               "created_at, claimed = claimed_at, request sent = delivery_attempts.started_at, answered = + "
               "duration_ms (whole ms), arrival = the receiver's clock",
    "peer": "from its own log: commit = the trigger's clock_timestamp() of the window's first change, "
            "notified = the listener got it, flushed = the window closed, request sent / answered = the "
            "first / the successful attempt",
}


def die(message):
    print(f"latency: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def pct(values, q):
    """Nearest-rank percentile (nan when empty)."""
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(q * len(v)) - 1))]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def remember_pid(args, pid):
    """run.sh kills every process listed here on exit."""
    with open(os.path.join(args.work, "pids"), "a") as f:
        f.write(f"{pid}\n")


async def sql(dsn, text, *params, fetch=False):
    connection = await asyncpg.connect(dsn)
    try:
        if fetch:
            return await connection.fetch(text, *params)
        await connection.execute(text, *params)
    finally:
        await connection.close()


async def new_database(args, name, migrate):
    """A fresh PostGIS database from tessera_template; migrated by the binary under test if asked."""
    await sql(f"{args.base_url}/postgres",
              f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await sql(f"{args.base_url}/postgres", f"CREATE DATABASE {name} TEMPLATE tessera_template")
    dsn = f"{args.base_url}/{name}"
    if migrate:
        p = await asyncio.create_subprocess_exec(args.tessera, "migrate", "--database-url", dsn,
                                                 stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await p.communicate()
        if p.returncode != 0:
            die(f"tessera migrate failed on {name} ({p.returncode}):\n{out.decode()[-3000:]}")
    return dsn


async def drop_database(args, name):
    if not args.keep:
        await sql(f"{args.base_url}/postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --------------------------------------------------------------------------------------------
# The receiver process and what it saw


class Request:
    __slots__ = ("t", "path", "id", "attempt", "ns")

    def __init__(self, record):
        self.t, head, body = record
        lines = head.split(b"\r\n")
        self.path = lines[0].split(b" ")[1].decode()
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(b":")
            headers[key.strip().lower()] = value.strip().decode()
        self.id = headers.get(b"webhook-id")
        self.attempt = headers.get(b"tessera-attempt")
        self.ns = []
        doc = json.loads(body) if body else {}
        for z in doc.get("zooms", ()):
            if z.get("zoom") == ZOOM:
                if z.get("rolled_up_from"):
                    die(f"a z{ZOOM} list was rolled up (raise max_tiles): {z.get('rolled_up_from')}")
                self.ns.extend((y - Y0) * WIDTH + (x - X0) for x, y in z["tiles"])


class Receiver:
    """receiver.py as a child process, controlled over its stdin/stdout."""

    async def start(self, args):
        self.dump_path = os.path.join(args.work, "receiver-dump.pickle")
        self.proc = await asyncio.create_subprocess_exec(
            args.python, os.path.join(HERE, "receiver.py"),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, start_new_session=True)
        remember_pid(args, self.proc.pid)
        word, port = (await self.proc.stdout.readline()).decode().split()
        assert word == "listening"
        self.port = int(port)

    async def command(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()
        answer = (await self.proc.stdout.readline()).decode().split()
        if not answer or answer[0] == "error":
            die(f"receiver: {line!r} -> {answer}")
        return answer

    async def down(self):
        return float((await self.command("down"))[1])

    async def up(self):
        return float((await self.command("up"))[1])

    async def collect(self):
        """The requests received since the last call."""
        await self.command(f"dump {self.dump_path}")
        with open(self.dump_path, "rb") as f:
            return [Request(r) for r in pickle.load(f)]

    async def stop(self):
        self.proc.stdin.write(b"quit\n")
        await self.proc.stdin.drain()
        await self.proc.wait()


class Arrivals:
    """The requests of one run (one path), and when each edit's tile first arrived."""

    def __init__(self, path, keep_times=False):
        self.path = path
        self.requests = []
        self.first = {}
        self.foreign = 0
        self.times = {} if keep_times else None   # n -> every arrival time (flood)

    def add(self, requests):
        for r in requests:
            if r.path != self.path:
                self.foreign += 1
                continue
            self.requests.append(r)
            for n in r.ns:
                if n not in self.first:
                    self.first[n] = r.t
                if self.times is not None:
                    self.times.setdefault(n, []).append(r.t)

    def first_by_id(self):
        out = {}
        for r in self.requests:
            out.setdefault(r.id, r.t)
        return out


async def wait_for(receiver, arrivals, done, deadline, interval=0.25):
    """Collects requests until done() is true or the deadline passes; returns done()."""
    while True:
        arrivals.add(await receiver.collect())
        if done() or time.time() > deadline:
            return done()
        await asyncio.sleep(interval)


# --------------------------------------------------------------------------------------------
# The two systems


class Tessera:
    name = "tessera"

    def __init__(self, args, receiver):
        self.args, self.receiver = args, receiver
        self.proc = None

    async def setup(self, db, window_ms, path, retry_schedule_ms=None, before_capture=None):
        """A migrated database with the table, the layer, the watch and one subscription."""
        self.db = db
        self.dsn = await new_database(self.args, db, migrate=True)
        await sql(self.dsn, TABLE_SQL)
        if before_capture:
            await before_capture(self.dsn)
        # The subscription's default retry schedule unless one is given (the outage).
        retry = ("ARRAY[" + ",".join(str(int(v)) for v in retry_schedule_ms) + "]::int[]"
                 if retry_schedule_ms is not None else "DEFAULT")
        await sql(self.dsn, f"""
            INSERT INTO tessera.layers (name, min_zoom, max_zoom, buffer_pixels) VALUES ('edits', {ZOOM}, {ZOOM}, 0);
            SELECT tessera.watch('public.edits', layers => ARRAY['edits']);
            INSERT INTO tessera.subscriptions (name, url, layers, format, debounce_ms, max_delay_ms, retry_schedule_ms)
            VALUES ('cache', 'http://127.0.0.1:{self.receiver.port}{path}', ARRAY['edits'], 'json',
                    {int(window_ms)}, {int(window_ms)}, {retry});
            INSERT INTO tessera.subscription_secrets (subscription_id, secret)
            SELECT id, decode(md5(id::text) || md5(name), 'hex') FROM tessera.subscriptions;
        """)
        return self.dsn

    async def start(self):
        api_port = free_port()
        config = {"database_url": self.dsn, "allow_networks": ["127.0.0.0/8"],
                  "api": {"listen": f"127.0.0.1:{api_port}"}, "log_level": self.args.log_level}
        for key, value in json.loads(self.args.serve_extra).items():
            config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
        path = os.path.join(self.args.work, f"{self.db}.json")
        with open(path, "w") as f:
            json.dump(config, f)
        self.log_path = os.path.join(self.args.work, f"{self.db}.log")
        log = open(self.log_path, "a")
        self.proc = await asyncio.create_subprocess_exec(self.args.tessera, "serve", "--config", path,
                                                         stdout=log, stderr=asyncio.subprocess.STDOUT,
                                                         start_new_session=True)
        log.close()
        remember_pid(self.args, self.proc.pid)
        deadline = time.time() + 60
        async with aiohttp.ClientSession() as session:
            while time.time() < deadline:
                if self.proc.returncode is not None:
                    die(f"tessera serve exited with {self.proc.returncode}; see {self.log_path}")
                try:
                    async with session.get(f"http://127.0.0.1:{api_port}/health",
                                           timeout=aiohttp.ClientTimeout(total=1)) as r:
                        if r.status == 200:
                            return
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
                await asyncio.sleep(0.05)
        die(f"tessera serve not healthy after 60 s; see {self.log_path}")

    async def stop(self):
        if self.proc and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()

    async def stages(self, arrivals, since, until):
        """Per delivery (first changes captured in [since, until)), the time between its recorded
        steps. Steps that this binary's schema lacks are left out (processed_at and due_at come with
        a newer build, claimed_at with migration 9)."""
        columns = {r["column_name"] for r in await sql(
            self.dsn, "SELECT column_name FROM information_schema.columns "
                      "WHERE table_schema = 'tessera' AND table_name = 'deliveries'", fetch=True)}
        chain = [("window_start", "commit")]
        chain += [(c, label) for c, label in (("processed_at", "processed"), ("due_at", "due")) if c in columns]
        chain += [("created_at", "flush start")]
        chain += [("claimed_at", "claimed")] if "claimed_at" in columns else []
        select = ", ".join(f"extract(epoch FROM d.{c})::float8" for c, _ in chain)
        rows = await sql(self.dsn, f"""
            SELECT d.event_id::text, {select}, extract(epoch FROM a.started_at)::float8, a.duration_ms
            FROM tessera.deliveries d
            JOIN LATERAL (SELECT started_at, duration_ms FROM tessera.delivery_attempts a
                          WHERE a.delivery_id = d.id AND a.status_code BETWEEN 200 AND 299
                          ORDER BY a.attempt LIMIT 1) a ON true
            WHERE d.window_start >= to_timestamp($1) AND d.window_start < to_timestamp($2)""",
                         since, until, fetch=True)
        arrived = arrivals.first_by_id()
        labels = [f"{a}→{b}" for (_, a), (_, b) in zip(chain, chain[1:])]
        labels += [f"{chain[-1][1]}→request sent", "request→answered", "arrival−request sent"]
        out = {label: [] for label in labels}
        for row in rows:
            event_id, times, sent, duration = row[0], list(row[1:len(chain) + 1]), row[-2], row[-1]
            points = times + [sent]
            for label, a, b in zip(labels, points, points[1:]):
                if a is not None and b is not None:
                    out[label].append(b - a)
            out["request→answered"].append(duration / 1000)
            if event_id in arrived:
                out["arrival−request sent"].append(arrived[event_id] - sent)
        return out

    async def failed_attempts(self):
        rows = await sql(self.dsn, "SELECT count(*) FROM tessera.delivery_attempts "
                                   "WHERE status_code IS NULL OR status_code NOT BETWEEN 200 AND 299", fetch=True)
        return rows[0][0]


class Peer:
    name = "peer"

    def __init__(self, args, receiver):
        self.args, self.receiver = args, receiver
        self.proc = None

    async def setup(self, db, window_ms, path, retry_schedule_ms=None, before_capture=None):
        """A database with the table and the row trigger (no tessera schema)."""
        self.db, self.window_ms, self.path = db, window_ms, path
        self.dsn = await new_database(self.args, db, migrate=False)
        await sql(self.dsn, TABLE_SQL)
        if before_capture:
            await before_capture(self.dsn)
        await sql(self.dsn, PEER_SQL)
        return self.dsn

    async def start(self):
        self.log_path = os.path.join(self.args.work, f"{self.db}.jsonl")
        self.err = open(os.path.join(self.args.work, f"{self.db}.stderr"), "a")
        self.proc = await asyncio.create_subprocess_exec(
            self.args.python, os.path.join(HERE, "peer.py"), "--dsn", self.dsn,
            "--url", f"http://127.0.0.1:{self.receiver.port}{self.path}", "--window-ms", str(self.window_ms),
            "--log", self.log_path, stdout=asyncio.subprocess.PIPE, stderr=self.err, start_new_session=True)
        remember_pid(self.args, self.proc.pid)
        line = await asyncio.wait_for(self.proc.stdout.readline(), 30)
        if line.strip() != b"ready":
            die(f"peer did not start; see {self.err.name}")

    async def stop(self):
        self.log = []
        if self.proc and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        self.err.close()
        if os.path.exists(self.log_path):
            with open(self.log_path) as f:
                self.log = [json.loads(line) for line in f]

    async def stages(self, arrivals, since, until):
        arrived = arrivals.first_by_id()
        labels = ["commit→notified", "notified→flushed", "flushed→request sent", "request→answered",
                  "arrival−request sent"]
        out = {label: [] for label in labels}
        for r in self.log:
            if not r["ok"] or not since <= float(r["capture"]) < until:
                continue
            out["commit→notified"].append(r["notified"] - float(r["capture"]))
            out["notified→flushed"].append(r["flushed"] - r["notified"])
            out["flushed→request sent"].append(r["first_sent"] - r["flushed"])
            out["request→answered"].append(r["answered"] - r["sent"])
            if r["id"] in arrived:
                out["arrival−request sent"].append(arrived[r["id"]] - r["sent"])
        return out

    async def failed_attempts(self):
        return sum(r.get("attempts", 1) - 1 for r in self.log) + sum(1 for r in self.log if not r["ok"])


# --------------------------------------------------------------------------------------------
# The edit driver


async def drive_inserts(dsn, rate, seconds, connections, timeline=()):
    """INSERTs edit 0, 1, ... due at t0 + n / rate (open loop: a queue feeds `connections` sessions,
    so a slow commit delays the edits behind it but not the schedule). `timeline`: (offset s, async
    fn) run at t0 + offset. Returns t0 and the commit time of each edit (None: it failed)."""
    sessions = await asyncio.gather(*(asyncpg.connect(dsn) for _ in range(connections)))
    total = int(rate * seconds)
    commits = [None] * total
    queue = asyncio.Queue()
    failures = []

    async def worker(insert):
        while True:
            n = await queue.get()
            if n is None:
                return
            try:
                await insert.fetch(n)
                commits[n] = time.time()
            except (asyncpg.PostgresError, OSError) as error:
                failures.append(repr(error))

    # Prepared before the clock starts.
    inserts = await asyncio.gather(*(s.prepare(INSERT_SQL) for s in sessions))
    workers = [asyncio.create_task(worker(i)) for i in inserts]
    t0 = time.time() + 0.05

    async def run_timeline():
        for offset, fn in timeline:
            await asyncio.sleep(max(0, t0 + offset - time.time()))
            await fn()

    timeline_task = asyncio.create_task(run_timeline())
    n = 0
    while n < total:
        due = min(total, max(0, int((time.time() - t0) * rate) + 1))
        while n < due:
            queue.put_nowait(n)
            n += 1
        await asyncio.sleep(0.001)
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    await timeline_task
    await asyncio.gather(*(s.close() for s in sessions))
    if failures:
        print(f"latency:   {len(failures)} edits failed, e.g. {failures[0]}", flush=True)
    return t0, commits


# --------------------------------------------------------------------------------------------
# Scenarios


def summary(latencies, window_s):
    return {"n": len(latencies), "p50": pct(latencies, .5), "p90": pct(latencies, .9), "p99": pct(latencies, .99),
            "max": max(latencies, default=float("nan")), "p99_minus_window": pct(latencies, .99) - window_s}


def stage_summary(stages):
    return {label: {"n": len(v), "p50": pct(v, .5), "p99": pct(v, .99)} for label, v in stages.items()}


async def steady_run(args, receiver, system, rate, window_ms):
    db = f"latency_steady_{system.name}_{int(rate)}_{int(window_ms)}"
    path = f"/steady/{system.name}/{int(rate)}/{int(window_ms)}"
    await system.setup(db, window_ms, path)
    await system.start()
    await asyncio.sleep(0.5)
    await receiver.collect()   # forget anything left from before
    arrivals = Arrivals(path)
    t0, commits = await drive_inserts(system.dsn, rate, args.warmup + args.measure, args.connections)
    end = time.time()
    since, until = t0 + args.warmup, t0 + args.warmup + args.measure
    expected = {n for n, c in enumerate(commits) if c is not None}
    await wait_for(receiver, arrivals, lambda: expected <= arrivals.first.keys(),
                   end + window_ms / 1000 + args.drain_timeout)
    await asyncio.sleep(0.3)
    arrivals.add(await receiver.collect())
    await system.stop()
    measured = [n for n, c in enumerate(commits) if c is not None and since <= c < until]
    latencies = [arrivals.first[n] - commits[n] for n in measured if n in arrivals.first]
    stages = await system.stages(arrivals, since, until)
    await drop_database(args, db)
    out = {"system": system.name, "rate": rate, "window_ms": window_ms,
           "achieved": len(measured) / args.measure, "committed": len(expected),
           "lost": sum(1 for n in measured if n not in arrivals.first),
           "lost_all": len(expected - arrivals.first.keys()),
           "requests": len(arrivals.requests), "foreign_requests": arrivals.foreign,
           "late_p99": pct([commits[n] - (t0 + n / rate) for n in measured], .99),
           **summary(latencies, window_ms / 1000), "stages": stage_summary(stages)}
    return out


async def flood_run(args, receiver, system):
    db = f"latency_flood_{system.name}"
    path = f"/flood/{system.name}"
    rows, batch = args.flood_rows, args.flood_batch
    batches = rows // batch

    async def prefill(dsn):
        await sql(dsn, f"""
            INSERT INTO public.edits (n, geom)
            SELECT g, public.tile_point(g, 0.5, 0.5) FROM generate_series(0, {rows - 1}) g;
            CREATE INDEX edits_n ON public.edits (n);""")
        await sql(dsn, "VACUUM ANALYZE public.edits")

    await system.setup(db, args.flood_window, path, before_capture=prefill)
    await system.start()
    await asyncio.sleep(0.5)
    await receiver.collect()
    arrivals = Arrivals(path, keep_times=True)
    session = await asyncpg.connect(system.dsn)
    update = await session.prepare(UPDATE_SQL)
    statements = []   # (batch index, commit time)
    t0 = time.time()
    k = 0
    while True:
        due = t0 + k / args.flood_rate if args.flood_rate else time.time()
        if due >= t0 + args.flood_seconds:
            break
        if due > time.time():
            await asyncio.sleep(due - time.time())
        b, round_ = k % batches, k // batches
        await update.fetch(b * batch, (b + 1) * batch, 0.3 if round_ % 2 == 0 else 0.7)
        statements.append((b, time.time()))
        k += 1
    await session.close()
    end = statements[-1][1]
    last_commit = {}
    for b, c in statements:
        for n in range(b * batch, (b + 1) * batch):
            last_commit[n] = c
    remaining = set(last_commit)

    def done():
        for n in [n for n in remaining if n in arrivals.times and arrivals.times[n][-1] >= last_commit[n]]:
            remaining.discard(n)
        return not remaining

    await wait_for(receiver, arrivals, done, end + args.flood_window / 1000 + args.flood_drain_timeout, 0.5)
    await asyncio.sleep(0.3)
    arrivals.add(await receiver.collect())
    await system.stop()
    latencies, lost, completed = [], 0, []
    for b, c in statements:
        for n in range(b * batch, (b + 1) * batch):
            times = arrivals.times.get(n, [])
            i = bisect.bisect_left(times, c)
            if i < len(times):
                latencies.append(times[i] - c)
                if c == last_commit[n]:
                    completed.append(times[i])
            else:
                lost += 1
    await drop_database(args, db)
    return {"system": system.name, "statements": len(statements), "features": len(statements) * batch,
            "features_per_s": len(statements) * batch / (end - t0), "p50": pct(latencies, .5),
            "p99": pct(latencies, .99), "max": max(latencies, default=float("nan")), "lost": lost,
            "drained": (max(completed) - end) if completed and not remaining else None,
            "requests": len(arrivals.requests),
            "tiles_per_request_max": max((len(r.ns) for r in arrivals.requests), default=0)}


async def outage_run(args, receiver, system, down_s):
    db = f"latency_outage_{system.name}_{int(down_s)}"
    path = f"/outage/{system.name}/{int(down_s)}"
    retry = None if system.name != "tessera" else tessera_retry_schedule(args)
    await system.setup(db, args.outage_window, path, retry_schedule_ms=retry)
    await system.start()
    await asyncio.sleep(0.5)
    await receiver.collect()
    arrivals = Arrivals(path)
    marks = {}

    async def down():
        marks["down"] = await receiver.down()

    async def up():
        marks["up"] = await receiver.up()

    seconds = args.outage_at + down_s + args.outage_tail
    t0, commits = await drive_inserts(system.dsn, args.outage_rate, seconds, args.connections,
                                      timeline=[(args.outage_at, down), (args.outage_at + down_s, up)])
    expected = {n for n, c in enumerate(commits) if c is not None}
    await wait_for(receiver, arrivals, lambda: expected <= arrivals.first.keys(),
                   marks["up"] + args.outage_drain_timeout, 0.5)
    await asyncio.sleep(0.3)
    arrivals.add(await receiver.collect())
    await system.stop()
    during = [n for n in expected if marks["down"] <= commits[n] < marks["up"]]
    # Edits whose window closed well before the receiver went down (the later ones wait out the outage).
    settled = marks["down"] - args.outage_window / 1000 - 1
    before = [arrivals.first[n] - commits[n] for n in expected if commits[n] < settled and n in arrivals.first]
    after_up = [r.t for r in arrivals.requests if r.t >= marks["up"]]
    lost_during = [n for n in during if n not in arrivals.first]
    failed = await system.failed_attempts()
    await drop_database(args, db)
    return {"system": system.name, "down_s": down_s, "outage": marks["up"] - marks["down"],
            "committed": len(expected), "committed_during": len(during),
            "first_request": (min(after_up) - marks["up"]) if after_up else None,
            "drained": (max(arrivals.first[n] for n in during) - marks["up"]) if during and not lost_during else None,
            "lost": len(expected - arrivals.first.keys()), "requests": len(arrivals.requests),
            "failed_attempts": failed, "before_p99": pct(before, .99),
            "retry_schedule_ms": retry}


RETRY_NAMES = {"peer": "the peer's 1, 2, 4, ... s (each drawn from [0, step])",
               "default": "the shipped default (5 s, 5 min, 30 min, ...)"}


def tessera_retry_schedule(args):
    """The outage's retry_schedule_ms for Tessera: 'peer' mirrors the peer's 2^attempt s (1, 2, 4, ...
    s; Tessera draws each delay from [0, step]); 'default' leaves the subscription's default."""
    if args.tessera_retry == "default":
        return None
    if args.tessera_retry == "peer":
        return [1000 * 2 ** k for k in range(12)]
    return [int(v) for v in args.tessera_retry.split(",")]


# --------------------------------------------------------------------------------------------
# Report


def ms(v, signed=False):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    v *= 1000
    digits = 1 if abs(v) < 100 else 0
    return f"{v:+.{digits}f}" if signed else f"{v:.{digits}f}"


def sec(v):
    return "-" if v is None else f"{v:.1f} s"


def table(headers, rows, right=()):
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows)]

    def line(cells):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row) if row else "")


def report(args, results):
    print()
    print(f"tessera latency: {args.tessera}; {results['started']} to {results['finished']}, load average "
          f"{results['load_before']:.1f} before, {results['load_after']:.1f} after; all times in ms unless marked")
    if results.get("steady"):
        runs = results["steady"]
        print(f"\nsteady: single-row INSERTs, open loop, {args.connections} sessions; "
              f"{args.warmup:.0f} s warm-up, {args.measure:.0f} s measured; commit -> first arrival of the edit's z15 tile")
        rows = []
        keys = sorted({(r["rate"], r["window_ms"]) for r in runs})
        for rate, window in keys:
            pair = {r["system"]: r for r in runs if (r["rate"], r["window_ms"]) == (rate, window)}
            for i, name in enumerate(s for s in ("tessera", "peer") if s in pair):
                r = pair[name]
                ratio = ""
                if name == "tessera" and "peer" in pair:
                    ratio = f"{r['p99'] / pair['peer']['p99']:.2f}" if pair["peer"]["p99"] else "-"
                rows.append((f"{rate:.0f}" if i == 0 else "", f"{window:.0f}" if i == 0 else "", name,
                             f"{r['achieved']:.0f}", ms(r["p50"]), ms(r["p90"]), ms(r["p99"]), ms(r["max"]),
                             f"{r['lost']}", ms(r["p99_minus_window"], signed=True), f"{r['requests']}", ratio))
        table(("rate/s", "window", "system", "achieved/s", "p50", "p90", "p99", "max", "lost", "p99−window",
               "requests", "p99 T/peer"), rows, right=set(range(3, 12)))
        short = [f"{r['system']} {r['rate']:.0f}/s window {r['window_ms']:.0f}" for r in runs
                 if r["achieved"] < 0.95 * r["rate"]]
        if short:
            print(f"(below 95 % of the asked rate, the machine could not commit that fast: {'; '.join(short)})")
        for name in ("tessera", "peer"):
            mine = [r for r in runs if r["system"] == name]
            if not mine:
                continue
            labels = list(mine[0]["stages"])
            print(f"\nsteady, {name}: stages per {'delivery' if name == 'tessera' else 'POST'}, p50 / p99")
            print(textwrap.fill(STAGE_LEGEND[name], 110, initial_indent="  ", subsequent_indent="  "))
            rows = [(f"{r['rate']:.0f}", f"{r['window_ms']:.0f}", f"{next(iter(r['stages'].values()))['n']}",
                     *(f"{ms(r['stages'][label]['p50'])} / {ms(r['stages'][label]['p99'])}" for label in labels))
                    for r in mine]
            table(("rate/s", "window", "n", *labels), rows, right=set(range(2, 3 + len(labels))))
    if results.get("flood"):
        pace = f"paced at {args.flood_rate:g}/s" if args.flood_rate else "back to back"
        print(f"\nflood: {args.flood_rows} points, {args.flood_batch}-row UPDATEs moving each within its z15 tile, "
              f"{pace} for {args.flood_seconds:g} s, window {args.flood_window:g} ms; per feature: commit -> first "
              f"arrival of its tile after the commit; drained: the last feature's last update arrived, after the "
              f"last commit")
        rows = [(r["system"], f"{r['statements']}", f"{r['features_per_s']:.0f}", ms(r["p50"]), ms(r["p99"]),
                 ms(r["max"]), f"{r['lost']}", sec(r["drained"]), f"{r['requests']}", f"{r['tiles_per_request_max']}")
                for r in results["flood"]]
        table(("system", "UPDATEs", "features/s", "p50", "p99", "max", "lost", "drained", "requests",
               "max tiles/request"), rows, right=set(range(1, 10)))
    if results.get("outage"):
        print(f"\noutage: {args.outage_rate:g} edits/s, window {args.outage_window:g} ms; the receiver stops listening at "
              f"+{args.outage_at:g} s (connection refused) for D s; Tessera's retry_schedule_ms: {RETRY_NAMES.get(args.tessera_retry, args.tessera_retry)}")
        rows = [(f"{r['down_s']:.0f} s", r["system"], sec(r["outage"]), f"{r['committed_during']}",
                 sec(r["first_request"]), sec(r["drained"]), f"{r['lost']}", f"{r['failed_attempts']}",
                 f"{r['requests']}", ms(r["before_p99"]))
                for r in results["outage"]]
        table(("D", "system", "down for", "edits while down", "up → first request", "up → backlog drained", "lost",
               "failed attempts", "requests", "p99 before"), rows, right=set(range(2, 10)))
        print("(failed attempts: Tessera's non-2xx rows of delivery_attempts, the peer's failed POSTs; p99 before: "
              "commit -> arrival of the edits committed until a window + 1 s before the outage)")


# --------------------------------------------------------------------------------------------


async def main_async(args):
    receiver = Receiver()
    await receiver.start(args)
    systems = {"tessera": Tessera(args, receiver), "peer": Peer(args, receiver)}
    order = [systems[s] for s in args.systems.split(",")]
    results = {"args": vars(args), "started": time.strftime("%Y-%m-%d %H:%M:%S"), "load_before": os.getloadavg()[0]}

    def ordered(i):
        """Alternate which system goes first, so a drift of the machine does not favour one."""
        return order if i % 2 == 0 else order[::-1]

    for scenario in args.scenarios.split(","):
        started = time.time()
        print(f"latency: {scenario} ...", flush=True)
        if scenario == "steady":
            runs = []
            combos = [(float(r), float(w)) for r in args.rates.split(",") for w in args.windows.split(",")]
            for i, (rate, window) in enumerate(combos):
                for system in ordered(i):
                    t = time.time()
                    r = await steady_run(args, receiver, system, rate, window)
                    runs.append(r)
                    print(f"latency:   steady {rate:.0f}/s window {window:.0f} ms {system.name}: achieved "
                          f"{r['achieved']:.0f}/s, p50 {ms(r['p50'])} p99 {ms(r['p99'])} ms, lost {r['lost']} "
                          f"({time.time() - t:.0f} s)", flush=True)
            results["steady"] = runs
        elif scenario == "flood":
            results["flood"] = []
            for system in order:
                t = time.time()
                r = await flood_run(args, receiver, system)
                results["flood"].append(r)
                print(f"latency:   flood {system.name}: {r['features_per_s']:.0f} features/s, p99 {ms(r['p99'])} ms, "
                      f"drained {sec(r['drained'])} ({time.time() - t:.0f} s)", flush=True)
        elif scenario == "outage":
            results["outage"] = []
            for i, d in enumerate(float(v) for v in args.outages.split(",")):
                for system in ordered(i):
                    t = time.time()
                    r = await outage_run(args, receiver, system, d)
                    results["outage"].append(r)
                    print(f"latency:   outage {d:.0f} s {system.name}: first request {sec(r['first_request'])}, "
                          f"drained {sec(r['drained'])}, lost {r['lost']} ({time.time() - t:.0f} s)", flush=True)
        else:
            die(f"unknown scenario {scenario}")
        print(f"latency: {scenario} done in {time.time() - started:.0f} s", flush=True)
    await receiver.stop()
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    results["load_after"] = os.getloadavg()[0]
    report(args, results)
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump(results, f, indent=1, default=str)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tessera", required=True, help="the tessera binary")
    p.add_argument("--base-url", required=True, help="postgres://tessera@127.0.0.1:PORT (no database)")
    p.add_argument("--work", required=True, help="logs, configurations and results.json go here")
    p.add_argument("--python", default=sys.executable, help="runs receiver.py and peer.py")
    p.add_argument("--scenarios", default="steady,flood,outage")
    p.add_argument("--systems", default="tessera,peer")
    p.add_argument("--rates", default="500,1500", help="steady: edits/s")
    p.add_argument("--windows", default="0,100,250,1000", help="steady: window ms (debounce = max delay)")
    p.add_argument("--warmup", type=float, default=2)
    p.add_argument("--measure", type=float, default=10)
    p.add_argument("--connections", type=int, default=8, help="driver sessions")
    p.add_argument("--drain-timeout", type=float, default=30, help="s past the end (+ window) before an edit is lost")
    p.add_argument("--flood-rows", type=int, default=100_000)
    p.add_argument("--flood-batch", type=int, default=1000)
    p.add_argument("--flood-seconds", type=float, default=10)
    p.add_argument("--flood-rate", type=float, default=29, help="UPDATEs/s; 0: back to back")
    p.add_argument("--flood-window", type=float, default=250)
    p.add_argument("--flood-drain-timeout", type=float, default=120)
    p.add_argument("--outage-rate", type=float, default=200)
    p.add_argument("--outage-window", type=float, default=250)
    p.add_argument("--outages", default="20,90", help="outage lengths D in s")
    p.add_argument("--outage-at", type=float, default=5)
    p.add_argument("--outage-tail", type=float, default=5, help="s of edits after the receiver is back")
    p.add_argument("--outage-drain-timeout", type=float, default=240, help="s after the receiver is back")
    p.add_argument("--tessera-retry", default="default",
                   help="outage: Tessera's retry_schedule_ms: peer (1, 2, 4, ... s), default, or a list of ms")
    p.add_argument("--serve-extra", default="{}", help='JSON merged into the serve config, e.g. {"processor": {...}}')
    p.add_argument("--log-level", default="notice")
    p.add_argument("--keep", action="store_true", help="keep each run's database")
    args = p.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
