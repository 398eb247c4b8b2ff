#!/usr/bin/env python3
"""Fault-recovery scenarios for `tessera serve` (issue 19), driven by benchmarks/faults/run.sh.

Python 3 standard library only; talks to PostgreSQL through `psql` subprocesses. One process runs
the webhook receiver (a thread), the edit driver and the fault timeline, so every timestamp comes
from the same clock (time.time(); PostgreSQL's clock_timestamp() is the same host clock).

  postgres-restart  ~300 single-row INSERTs/s, each a point in the centre of its own z15 tile
                    (tile x = X0 + n % 1000, y = Y0 + n // 1000 for edit n), so every tile that
                    arrives names the edit it came from. PostgreSQL is stopped (`scripts/pg stop`,
                    pg_ctl -m fast) at +8 s and started at +14 s; edits go on until +24 s, then the
                    receiver is watched until every committed row has arrived.
  instance-killed   14 deliveries to a receiver that holds each first request 10 s; `tessera serve`
                    SIGKILLed while they are in flight, then started again at once.
  two-instances     two `tessera serve` on one database; the one holding the in-flight requests is
                    SIGKILLed, the other is left running.

The receiver answers a webhook-id it has already seen at once (only first sends are held), so
the run stays short; the held first sends of a killed process are answered into a dead socket.
"""
import argparse
import http.server
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

X0, Y0, WIDTH, ZOOM = 17000, 10000, 1000, 15


def die(message):
    print(f"faults: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def psql(url, text, timeout=60):
    """Runs SQL (several statements allowed) and returns the rows as lists of tab-separated fields."""
    p = subprocess.run(
        ["psql", "-X", "-qAt", "-F", "\t", "-v", "ON_ERROR_STOP=1", url, "-f", "-"],
        input=text, capture_output=True, text=True, timeout=timeout,
    )
    if p.returncode != 0:
        die(f"psql failed on {url}: {p.stderr.strip()}\n--- SQL ---\n{text}")
    return [line.split("\t") for line in p.stdout.splitlines() if line]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, q):
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(q * len(v)) - 1))]


# --------------------------------------------------------------------------------------------
# The receiver


class Receiver:
    """Records every request: arrival time, path, webhook-id, Tessera-Attempt, client port, body."""

    def __init__(self, hold_seconds, log_path):
        self.hold = hold_seconds
        self.lock = threading.Lock()
        self.events = []          # dicts, in arrival order
        self.seen_ids = set()
        self.log = open(log_path, "a", buffering=1)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"   # keep-alive, as the dispatcher's pool expects

            def log_message(self, *args):
                pass

            def do_POST(self):
                t = time.time()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                event = {
                    "t": t, "path": self.path.split("?")[0], "id": self.headers.get("webhook-id"),
                    "attempt": self.headers.get("Tessera-Attempt"), "port": self.client_address[1],
                }
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = {}
                if "n" in doc:
                    event["n"] = doc["n"]
                tiles = []
                for z in doc.get("zooms", []):
                    if z.get("zoom") == ZOOM:
                        tiles.extend(z.get("tiles", []))
                if tiles:
                    event["tiles"] = tiles
                with receiver.lock:
                    first = event["id"] not in receiver.seen_ids
                    receiver.seen_ids.add(event["id"])
                    event["first"] = first
                    receiver.events.append(event)
                    receiver.log.write(json.dumps({k: v for k, v in event.items() if k != "tiles"}
                                                  | {"tile_count": len(tiles)}) + "\n")
                if event["path"] == "/slow" and first:
                    time.sleep(receiver.hold)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    self.wfile.flush()
                    outcome = "answered"
                except OSError as error:
                    outcome = f"aborted ({type(error).__name__})"
                with receiver.lock:
                    receiver.log.write(json.dumps({"t": time.time(), "done": event["id"], "outcome": outcome}) + "\n")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def snapshot(self):
        with self.lock:
            return list(self.events)


# --------------------------------------------------------------------------------------------
# tessera serve processes


class Serve:
    def __init__(self, args, name, url, api_port):
        self.args, self.name, self.api_port = args, name, api_port
        self.config = os.path.join(args.work, f"{name}.json")
        self.log_path = os.path.join(args.work, f"{name}.log")
        with open(self.config, "w") as f:
            json.dump({"database_url": url, "allow_networks": ["127.0.0.0/8"],
                       "api": {"listen": f"127.0.0.1:{api_port}"}, "log_level": args.log_level}, f)
        self.proc = None
        self.started_at = None

    def start(self):
        log = open(self.log_path, "a")
        log.write(f"--- start {time.strftime('%H:%M:%S')} ---\n")
        log.flush()
        self.started_at = time.time()
        self.proc = subprocess.Popen([self.args.tessera, "serve", "--config", self.config],
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        with open(os.path.join(self.args.work, "pids"), "a") as f:
            f.write(f"{self.proc.pid}\n")
        return self.started_at

    def wait_healthy(self, seconds=60):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.proc.poll() is not None:
                die(f"{self.name} exited with {self.proc.returncode}; its log:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.api_port}/health", timeout=1) as r:
                    if r.status == 200:
                        return time.time()
            except OSError:
                pass
            time.sleep(0.05)
        die(f"{self.name} not healthy on port {self.api_port} after {seconds} s; its log:\n{self.tail()}")

    def kill9(self):
        t = time.time()
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        return t

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def tail(self, lines=30):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"


def socket_ports_of(pid, remote_port):
    """Local ports of `pid`'s TCP connections to 127.0.0.1:remote_port (from /proc)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            local, remote, inode = f[1], f[2], f[9]
            if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == remote_port:
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


# --------------------------------------------------------------------------------------------
# Fault 1: PostgreSQL restart under a steady edit stream


class EditDriver:
    """~rate INSERTs/s over a few psql sessions (autocommit, one edit per transaction). A session
    that loses its connection is replaced, at most every 100 ms, so edits resume as soon as
    PostgreSQL accepts connections again. What committed is read back from the table afterwards."""

    STATEMENT = "INSERT INTO public.edits (id, geom) SELECT n, public.tile_center(n) FROM nextval('public.edits_seq') n;\n"

    def __init__(self, url, rate, sessions, log_path):
        self.url, self.rate, self.log = url, rate, open(log_path, "a")
        self.workers = [None] * sessions
        self.last_spawn = [0.0] * sessions
        self.sent = 0
        self.dropped = 0

    def _spawn(self, i):
        now = time.time()
        if now - self.last_spawn[i] < 0.1:
            return None
        self.last_spawn[i] = now
        self.workers[i] = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", self.url],
                                           stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                           stderr=self.log, bufsize=0)
        return self.workers[i]

    def submit(self, k):
        i = k % len(self.workers)
        w = self.workers[i]
        if w is None or w.poll() is not None:
            w = self._spawn(i)
        if w is None:
            self.dropped += 1
            return
        try:
            w.stdin.write(self.STATEMENT.encode())
            self.sent += 1
        except OSError:
            self.workers[i] = None
            self.dropped += 1

    def close(self):
        for w in self.workers:
            if w is not None and w.poll() is None:
                try:
                    w.stdin.close()
                except OSError:
                    pass
        for w in self.workers:
            if w is not None:
                try:
                    w.wait(30)
                except subprocess.TimeoutExpired:
                    w.kill()


def pg_control(args, action):
    p = subprocess.run([args.pg_script, action], capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        die(f"scripts/pg {action} failed: {p.stderr.strip()}")


def new_database(args, name):
    """A fresh PostGIS database from tessera_template, migrated by the binary under test."""
    psql(f"{args.base_url}/postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE); CREATE DATABASE {name} TEMPLATE tessera_template")
    url = f"{args.base_url}/{name}"
    p = subprocess.run([args.tessera, "migrate", "--database-url", url], capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        die(f"tessera migrate failed on {name} ({p.returncode}):\n{(p.stdout + p.stderr)[-3000:]}")
    return url


def fault_postgres_restart(args, receiver, round_=1):
    url = new_database(args, f"faults_pg_{round_}")
    window = {"debounce_ms": args.debounce_ms, "max_delay_ms": args.max_delay_ms}
    psql(url, f"""
        CREATE TABLE public.edits (id bigint PRIMARY KEY, committed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                                   geom geometry(Point, 4326));
        CREATE SEQUENCE public.edits_seq;
        -- The centre of z{ZOOM} tile (X0 + n % {WIDTH}, Y0 + n / {WIDTH}).
        CREATE FUNCTION public.tile_center(n bigint) RETURNS geometry LANGUAGE sql IMMUTABLE AS $$
            SELECT ST_SetSRID(ST_MakePoint(({X0} + n % {WIDTH} + 0.5) / {2 ** ZOOM}.0 * 360 - 180,
                   degrees(atan(sinh(pi() * (1 - 2 * ({Y0} + n / {WIDTH} + 0.5) / {2 ** ZOOM}.0))))), 4326) $$;
        INSERT INTO tessera.layers (name, min_zoom, max_zoom, buffer_pixels) VALUES ('edits', {ZOOM}, {ZOOM}, 0);
        SELECT tessera.watch('public.edits', layers => ARRAY['edits']);
        INSERT INTO tessera.subscriptions (name, url, layers, format, debounce_ms, max_delay_ms, max_in_flight)
        VALUES ('cache', 'http://127.0.0.1:{receiver.port}/fast/{round_}', ARRAY['edits'], 'json',
                {window['debounce_ms']}, {window['max_delay_ms']}, 8);
        INSERT INTO tessera.subscription_secrets (subscription_id, secret)
        SELECT id, decode(md5(id::text) || md5(name), 'hex') FROM tessera.subscriptions;
    """)
    serve = Serve(args, f"pg-serve-{round_}", url, free_port())
    serve.start()
    serve.wait_healthy()
    driver = EditDriver(url, args.rate, 3, os.path.join(args.work, f"pg-driver-{round_}.log"))
    marks = {}

    def timeline(t0):
        time.sleep(max(0, t0 + args.stop_at - time.time()))
        marks["stop_called"] = time.time()
        pg_control(args, "stop")
        marks["stop_returned"] = time.time()
        time.sleep(max(0, t0 + args.start_at - time.time()))
        marks["start_called"] = time.time()
        pg_control(args, "start")
        marks["start_returned"] = time.time()

    t0 = time.time()
    control = threading.Thread(target=timeline, args=(t0,), daemon=True)
    control.start()
    k = 0
    end = t0 + args.run_for
    while True:
        due = t0 + k / args.rate
        now = time.time()
        if due >= end:
            break
        if due > now:
            time.sleep(due - now)
        driver.submit(k)
        k += 1
    driver.close()
    control.join(120)
    if "start_returned" not in marks:
        die("PostgreSQL did not come back")
    edits_end = time.time()

    def committed():
        return {int(n): float(t) for n, t in psql(url, "SELECT id, extract(epoch FROM committed_at) FROM public.edits")}

    rows = committed()
    deadline = edits_end + args.drain_timeout
    arrivals = {}
    path = f"/fast/{round_}"
    while True:
        arrivals = first_arrivals(e for e in receiver.snapshot() if e["path"] == path)
        if all(n in arrivals for n in rows) or time.time() > deadline:
            break
        time.sleep(0.25)
    time.sleep(1.0)   # late duplicates
    events = [e for e in receiver.snapshot() if e["path"] == path]
    arrivals = first_arrivals(events)
    serve.stop()
    rows = committed()
    tile_copies = sum(len(e.get("tiles", [])) for e in events)
    duplicates = tile_copies - len(arrivals)
    stop = marks["stop_called"]
    # Commits go on during the fast shutdown, until pg_ctl stop returns; none can happen before
    # pg_ctl start is called again.
    before = [arrivals[n] - t for n, t in rows.items() if t < marks["stop_returned"] and n in arrivals]
    after_rows = {n: t for n, t in rows.items() if t >= marks["start_called"]}
    after = [arrivals[n] - t for n, t in after_rows.items() if n in arrivals]
    missing = [n for n in rows if n not in arrivals]
    first_commit_n = min(after_rows, key=after_rows.get) if after_rows else None
    # Accepting connections again: pg_ctl start -w returned, or the first commit, if earlier (the
    # driver retries every 100 ms; pg_ctl polls more slowly).
    start = min(marks["start_returned"], after_rows[first_commit_n] if after_rows else math.inf)
    first_after_arrival = min((arrivals[n] for n in after_rows if n in arrivals), default=None)
    foreign = [n for n in arrivals if n not in rows]
    window_s = args.max_delay_ms / 1000
    return {
        "rate": args.rate,
        "edits_per_s_before_stop": len([t for t in rows.values() if t < stop]) / (stop - t0),
        "committed_during_stop": len([t for t in rows.values() if stop <= t < marks["stop_returned"]]),
        "committed_while_down": len([t for t in rows.values() if marks["stop_returned"] <= t < marks["start_called"]]),
        "window_s": window_s,
        "stop_at": stop - t0, "start_at": marks["start_called"] - t0,
        "outage": start - stop,
        "pg_start_to_first_arrival": (first_after_arrival - start) if first_after_arrival else None,
        "first_commit_to_arrival": (arrivals[first_commit_n] - after_rows[first_commit_n])
        if first_commit_n in arrivals else None,
        "before": before, "after": after,
        "committed": len(rows), "committed_after": len(after_rows), "delivered": len(rows) - len(missing),
        "missing": len(missing), "duplicates": duplicates, "foreign": len(foreign),
        "requests": len(events),
        "attempts_seen": sorted({e["attempt"] for e in events}),
    }


def first_arrivals(events):
    """Edit number -> time its tile first arrived."""
    out = {}
    for e in events:
        for x, y in e.get("tiles", []):
            n = (y - Y0) * WIDTH + (x - X0)
            if n not in out:
                out[n] = e["t"]
    return out


# --------------------------------------------------------------------------------------------
# Faults 2 and 3: in-flight deliveries of a killed instance


def slow_setup(args, receiver, db):
    url = new_database(args, db)
    psql(url, f"""
        INSERT INTO tessera.layers (name, min_zoom, max_zoom) VALUES ('edits', {ZOOM}, {ZOOM});
        INSERT INTO tessera.subscriptions (name, url, layers, format, timeout_ms, max_in_flight)
        VALUES ('slow', 'http://127.0.0.1:{receiver.port}/slow', ARRAY['edits'], 'json', {args.timeout_ms}, 20);
        INSERT INTO tessera.subscription_secrets (subscription_id, secret)
        SELECT id, decode(md5(id::text) || md5(name), 'hex') FROM tessera.subscriptions;
    """)
    return url


def enqueue(url, count):
    """`count` deliveries, body {"type": "tiles.invalidated", "n": i}; returns event id -> n."""
    rows = psql(url, f"""
        INSERT INTO tessera.deliveries (event_id, subscription_id, event_type, payload, content_type)
        SELECT gen_random_uuid(), s.id, 'tiles.invalidated',
               convert_to(json_build_object('type', 'tiles.invalidated', 'n', g)::text, 'UTF8'), 'application/json'
        FROM generate_series(1, {count}) g, tessera.subscriptions s WHERE s.name = 'slow'
        RETURNING event_id, convert_from(payload, 'UTF8')::json ->> 'n'
    """)
    return {eid: int(n) for eid, n in rows}


def wait_first_sends(receiver, ids, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        got = {e["id"]: e for e in receiver.snapshot() if e["path"] == "/slow" and e["first"] and e["id"] in ids}
        if len(got) == len(ids):
            return got
        time.sleep(0.05)
    got = {e["id"] for e in receiver.snapshot() if e["path"] == "/slow" and e["id"] in ids}
    die(f"only {len(got)} of {len(ids)} deliveries were sent within {seconds} s")


def wait_resends(receiver, ids, seconds):
    """id -> first re-send event (a second request with the same webhook-id), waiting up to `seconds`."""
    deadline = time.time() + seconds
    while True:
        again = {}
        for e in receiver.snapshot():
            if e["path"] == "/slow" and not e["first"] and e["id"] in ids and e["id"] not in again:
                again[e["id"]] = e
        if len(again) == len(ids) or time.time() > deadline:
            return again
        time.sleep(0.05)


def delivery_state(url, ids, seconds):
    """Waits (up to `seconds`) for the deliveries to settle; returns their rows and attempt rows."""
    id_list = ",".join(f"'{i}'" for i in ids)
    deadline = time.time() + seconds
    while True:
        rows = psql(url, f"SELECT event_id, status, attempts FROM tessera.deliveries WHERE event_id IN ({id_list})")
        if all(r[1] in ("delivered", "dead") for r in rows) or time.time() > deadline:
            break
        time.sleep(0.25)
    attempts = psql(url, f"""
        SELECT a.attempt, coalesce(a.status_code::text, '-'), coalesce(a.error, ''), count(*)
        FROM tessera.delivery_attempts a JOIN tessera.deliveries d ON d.id = a.delivery_id
        WHERE d.event_id IN ({id_list}) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""")
    return rows, attempts


def resend_summary(first, again, since, ids, id_to_n):
    delays = [again[i]["t"] - since for i in ids if i in again]
    same_body = sum(1 for i in ids if i in again and again[i].get("n") == id_to_n[i])
    return {
        "held": len(ids),
        "resent": len(delays),
        "resend_min": min(delays) if delays else None,
        "resend_max": max(delays) if delays else None,
        "first_attempts": sorted({first[i]["attempt"] for i in ids}),
        "resend_attempts": sorted({again[i]["attempt"] for i in ids if i in again}),
        "same_id_same_body": same_body,
    }


def fault_instance_killed(args, receiver):
    url = slow_setup(args, receiver, "faults_kill")
    serve = Serve(args, "kill-serve", url, free_port())
    serve.start()
    serve.wait_healthy()
    id_to_n = enqueue(url, args.in_flight)
    first = wait_first_sends(receiver, set(id_to_n), 20)
    time.sleep(1.0)
    sent_at = max(e["t"] for e in first.values())
    killed = serve.kill9()
    restarted = serve.start()
    healthy = serve.wait_healthy()
    again = wait_resends(receiver, set(id_to_n), args.timeout_ms / 1000 + 30 + args.extra_wait)
    rows, attempts = delivery_state(url, list(id_to_n), 15)
    serve.stop()
    out = resend_summary(first, again, restarted, list(id_to_n), id_to_n)
    out.update({"in_flight_at_kill": killed - sent_at, "restart_to_healthy": healthy - restarted,
                "rows": rows, "attempts": attempts})
    return out


def fault_two_instances(args, receiver):
    url = slow_setup(args, receiver, "faults_two")
    a = Serve(args, "two-serve-a", url, free_port())
    b = Serve(args, "two-serve-b", url, free_port())
    a.start()
    b.start()
    a.wait_healthy()
    b.wait_healthy()
    id_to_n = enqueue(url, args.in_flight)
    first = wait_first_sends(receiver, set(id_to_n), 20)
    time.sleep(1.0)
    held = {s.name: socket_ports_of(s.proc.pid, receiver.port) for s in (a, b)}
    by = {s.name: [i for i, e in first.items() if e["port"] in held[s.name]] for s in (a, b)}
    victim, survivor = (a, b) if len(by[a.name]) >= len(by[b.name]) else (b, a)
    victim_ids = by[victim.name]
    unknown = len(id_to_n) - len(by[a.name]) - len(by[b.name])
    killed = victim.kill9()
    again = wait_resends(receiver, set(victim_ids), args.timeout_ms / 1000 + 30 + args.extra_wait)
    survivor_ids = by[survivor.name]
    rows, attempts = delivery_state(url, list(id_to_n), max(15, args.hold + 5))
    time.sleep(0.5)
    survivor_dups = sum(1 for e in receiver.snapshot() if e["path"] == "/slow" and not e["first"] and e["id"] in survivor_ids)
    survivor.stop()
    out = resend_summary(first, again, killed, victim_ids, id_to_n)
    out.update({"victim": victim.name, "victim_held": len(victim_ids), "survivor_held": len(survivor_ids),
                "unmapped": unknown, "survivor_resent_own": survivor_dups, "rows": rows, "attempts": attempts})
    return out


# --------------------------------------------------------------------------------------------
# Report


def s(v, digits=1):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f} s"


def short(text, width=44):
    return text if len(text) <= width else text[:width - 1] + "…"


def verdict(ok):
    return "ok" if ok else "MISS"


def report(args, results):
    rows = []   # (fault, measure, value, target, verdict)
    for key, r in results.items():
        if not key.startswith("postgres-restart"):
            continue
        w = r["window_s"]
        p99 = pct(r["after"], 0.99)
        rows += [
            (key, f"edit rate (asked {r['rate']}/s), committed before the stop",
             f"{r['edits_per_s_before_stop']:.0f}/s", "", ""),
            ("", "PG stop / start issued at", f"+{r['stop_at']:.1f} s / +{r['start_at']:.1f} s", "", ""),
            ("", "outage (stop issued -> ready: first commit or pg_ctl start returned)", s(r["outage"]), "", ""),
            ("", "edits committed while stopping / while down",
             f"{r['committed_during_stop']} / {r['committed_while_down']}", "", ""),
            ("", "PG ready -> first post-restart change arrives", s(r["pg_start_to_first_arrival"]), "", ""),
            ("", "first post-restart commit -> its arrival", s(r["first_commit_to_arrival"]),
             f"<= {w + 2:.1f} s", verdict(r["first_commit_to_arrival"] is not None and r["first_commit_to_arrival"] <= w + 2)),
            ("", f"commit -> arrival before the stop p50 / p99 / max ({len(r['before'])})",
             f"{pct(r['before'], .5):.2f} / {pct(r['before'], .99):.2f} / {max(r['before'], default=float('nan')):.2f} s", "", ""),
            ("", f"commit -> arrival after the restart p50 / p99 / max ({len(r['after'])})",
             f"{pct(r['after'], .5):.2f} / {p99:.2f} / {max(r['after'], default=float('nan')):.2f} s",
             f"p99 <= {w + 2:.1f} s (window {w:.1f} + 2)", verdict(r["after"] and p99 <= w + 2)),
            ("", "committed (after restart) / delivered / missing",
             f"{r['committed']} ({r['committed_after']}) / {r['delivered']} / {r['missing']}", "missing 0",
             verdict(r["missing"] == 0)),
            ("", "webhooks / duplicate tiles / Tessera-Attempt seen",
             f"{r['requests']} / {r['duplicates']} / {','.join(map(str, r['attempts_seen']))}", "", ""),
        ]
    for name, since in (("instance-killed", "restart"), ("two-instances", "kill")):
        r = results.get(name)
        if not r:
            continue
        attempts = "; ".join(f"#{a} {code}{' ' + short(err) if err else ''}: {n}" for a, code, err, n in r["attempts"]) or "none"
        statuses = {}
        for _, status, att in r["rows"]:
            statuses[f"{status}(attempts={att})"] = statuses.get(f"{status}(attempts={att})", 0) + 1
        head = [(name, "", "", "", "")]
        if name == "instance-killed":
            head = [(name, "in flight at SIGKILL / restart -> healthy",
                     f"{r['held']} held {r['in_flight_at_kill']:.1f} s / {r['restart_to_healthy']:.1f} s", "", "")]
        else:
            head = [(name, "in flight: victim / survivor (unmapped)",
                     f"{r['victim_held']} ({r['victim']}) / {r['survivor_held']} ({r['unmapped']})", "", "")]
        target = 5.0
        rows += head + [
            ("", f"{since} -> re-send of each held request, min / max",
             f"{s(r['resend_min'])} / {s(r['resend_max'])} ({r['resent']}/{r['held']} re-sent)",
             f"max <= {target:.0f} s" if name == "instance-killed" else "",
             verdict(r["resent"] == r["held"] and r["resend_max"] is not None and r["resend_max"] <= target)
             if name == "instance-killed" else ""),
            ("", "Tessera-Attempt: first sends / re-sends",
             f"{','.join(r['first_attempts'])} / {','.join(r['resend_attempts']) or '-'}", "1 / 2",
             verdict(r["first_attempts"] == ["1"] and r["resend_attempts"] == ["2"])),
            ("", "re-send keeps webhook-id and body", f"{r['same_id_same_body']}/{r['held']}", "all",
             verdict(r["same_id_same_body"] == r["held"])),
            ("", "delivery_attempts rows (#attempt code: count)", attempts, "", ""),
            ("", "deliveries now", ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())),
             "all delivered", verdict(all(st == "delivered" for _, st, _ in r["rows"]))),
        ]
        if name == "two-instances":
            rows.append(("", "survivor re-sent its own in-flight requests", str(r["survivor_resent_own"]), "0",
                         verdict(r["survivor_resent_own"] == 0)))
    widths = [max(len(str(row[i])) for row in rows + [("fault", "measure", "value", "target", "")]) for i in range(5)]
    line = "  ".join("-" * w for w in widths)
    print()
    print(f"tessera faults: {args.tessera}; hold {args.hold:.0f} s, timeout_ms {args.timeout_ms}, "
          f"window debounce {args.debounce_ms} ms / max delay {args.max_delay_ms} ms")
    print("  ".join(h.ljust(w) for h, w in zip(("fault", "measure", "value", "target", ""), widths)))
    print(line)
    for row in rows:
        if row[0] and row is not rows[0]:
            print(line)
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump(results, f, indent=1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tessera", required=True)
    p.add_argument("--base-url", required=True, help="postgres://tessera@127.0.0.1:PORT (no database)")
    p.add_argument("--pg-script", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--faults", default="postgres-restart,instance-killed,two-instances")
    p.add_argument("--rate", type=float, default=300)
    p.add_argument("--stop-at", type=float, default=8)
    p.add_argument("--start-at", type=float, default=14)
    p.add_argument("--run-for", type=float, default=24)
    p.add_argument("--pg-rounds", type=int, default=1, help="repeat postgres-restart, each on a fresh database")
    p.add_argument("--drain-timeout", type=float, default=40)
    p.add_argument("--debounce-ms", type=int, default=200)
    p.add_argument("--max-delay-ms", type=int, default=1000)
    p.add_argument("--hold", type=float, default=10)
    p.add_argument("--timeout-ms", type=int, default=12000)
    p.add_argument("--in-flight", type=int, default=14)
    p.add_argument("--extra-wait", type=float, default=12, help="seconds past timeout + 30 s to wait for re-sends")
    p.add_argument("--log-level", default="notice")
    args = p.parse_args()
    receiver = Receiver(args.hold, os.path.join(args.work, "receiver.jsonl"))
    results = {}
    for fault in args.faults.split(","):
        fn = {"postgres-restart": fault_postgres_restart, "instance-killed": fault_instance_killed,
              "two-instances": fault_two_instances}.get(fault)
        if fn is None:
            die(f"unknown fault {fault}")
        rounds = args.pg_rounds if fault == "postgres-restart" else 1
        for i in range(1, rounds + 1):
            key = fault if rounds == 1 else f"{fault} #{i}"
            t = time.time()
            print(f"faults: {key} ...", flush=True)
            results[key] = fn(args, receiver, i) if fault == "postgres-restart" else fn(args, receiver)
            print(f"faults: {key} done in {time.time() - t:.0f} s", flush=True)
    report(args, results)


if __name__ == "__main__":
    main()
