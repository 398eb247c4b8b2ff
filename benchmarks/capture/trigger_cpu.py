"""Trigger cost as CPU time of the PostgreSQL backend running the edits.

Wall time on a shared 2-core machine swings with whatever else runs; the CPU time the server
process spends on a statement (utime + stime from /proc, the server on this machine) moves far
less. Prints, for each watched table, best-of-N CPU time against the plain table's, as ratios.

    python trigger_cpu.py DATABASE_URL ROUNDS SINGLE_ROW_EDITS
Tables public.plain, public.watched and public.watched_all must exist (trigger_overhead.sh).
"""
import os
import random
import sys
import time

import psycopg

url, rounds, singles = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
tick = os.sysconf("SC_CLK_TCK")
tables = ["plain", "watched", "watched_all"]


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick


with psycopg.connect(url, autocommit=True) as c:
    pid = c.execute("SELECT pg_backend_pid()").fetchone()[0]
    bulk = {t: [] for t in tables}
    for r in range(rounds):
        for t in tables:
            before = cpu_seconds(pid)
            c.execute(f"UPDATE public.{t} SET kind = 'c{r}', geom = ST_Translate(geom, 0.00001, 0)")
            bulk[t].append(cpu_seconds(pid) - before)
        for s in ["TRUNCATE tessera.outbox", "CHECKPOINT"] + [f"VACUUM public.{t}" for t in tables]:
            c.execute(s)
    single = {t: [] for t in tables}
    for r in range(3):
        for t in tables:
            ids = [random.randint(1, 100000) for _ in range(singles)]
            before = cpu_seconds(pid)
            for i in ids:
                c.execute(f"UPDATE public.{t} SET geom = ST_Translate(geom, 0.00001, 0) WHERE id = %s", (i,))
            single[t].append((cpu_seconds(pid) - before) / singles)
    c.execute("TRUNCATE tessera.outbox")

p = min(bulk["plain"])
for t, label in [("watched", "two rendering columns"), ("watched_all", "every column renders")]:
    w = min(bulk[t])
    print(f"100k-row UPDATE, backend CPU, {label}: plain {p * 1000:.0f} ms, watched {w * 1000:.0f} ms, "
          f"ratio {w / p:.2f}x (best of {rounds})")
p = min(single["plain"])
for t, label in [("watched", "two rendering columns"), ("watched_all", "every column renders")]:
    w = min(single[t])
    print(f"single-row UPDATE, backend CPU, {label}: plain {p * 1e6:.0f} us, watched {w * 1e6:.0f} us, "
          f"ratio {w / p:.2f}x (best of 3 x {singles})")
