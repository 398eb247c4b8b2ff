#!/usr/bin/env python3
"""S2 side by side: Tessera (s2-bench), Debian's libs2 C++ (s2_native) and pywraps2.

Writes 1,000,000 uniform points on the sphere (seed 4) to benchmarks/out/s2-points.txt, runs
both native programs on that one file in this run, times pywraps2 on a 100,000-point prefix,
and prints ns/op with the ratios (reference / Tessera: above 1 means Tessera is faster).
"""
import math
import os
import subprocess
import sys
import time

import numpy as np
import s2geometry as s2

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.chdir(root)
os.makedirs("benchmarks/out", exist_ok=True)
points_path = "benchmarks/out/s2-points.txt"

rng = np.random.default_rng(4)
v = rng.normal(size=(1_000_000, 3))
v /= np.linalg.norm(v, axis=1)[:, None]
lat = np.degrees(np.arcsin(np.clip(v[:, 2], -1, 1)))
lng = np.degrees(np.arctan2(v[:, 1], v[:, 0]))
with open(points_path, "w") as f:
    f.write("\n".join("%.17g %.17g" % (a, b) for a, b in zip(lat, lng)))
    f.write("\n")


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return {line.split()[0]: float(line.split()[1]) for line in out.splitlines() if len(line.split()) == 2}


ours = run([sys.argv[1], points_path])
native = run([sys.argv[2], points_path])


def best(ops, fn, rounds=3):
    b = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        b = min(b, (time.perf_counter() - t0) * 1e9 / ops)
    return b


python = {}
sub = list(zip(lat[:100_000].tolist(), lng[:100_000].tolist()))
python["latlng_to_cell_leaf"] = best(len(sub), lambda: [s2.S2CellId(s2.S2LatLng.FromDegrees(a, b)).id() for a, b in sub])
python["latlng_to_cell_level12"] = best(len(sub), lambda: [s2.S2CellId(s2.S2LatLng.FromDegrees(a, b)).parent(12).id() for a, b in sub])
pts = []
for i in range(12):
    a = i * math.pi / 6
    r = 0.5 if i % 2 == 0 else 0.35
    pts.append(s2.S2LatLng.FromDegrees(37.7 + r * math.sin(a), -122.4 + r * math.cos(a)).ToPoint())
loop = s2.S2Loop(pts)
loop.Normalize()
star = s2.S2Polygon(loop)
for name, cells in (("cover_star_8cells", 8), ("cover_star_200cells", 200)):
    c = s2.S2RegionCoverer()
    c.set_min_level(4)
    c.set_max_level(16)
    c.set_max_cells(cells)
    python[name] = best(200, lambda: [c.GetCovering(star) for _ in range(200)])

print("%-24s %12s %12s %12s %10s %10s" % ("ns/op", "tessera", "libs2 C++", "pywraps2", "C++/ours", "py/ours"))
for name, ns in ours.items():
    n = native.get(name)
    p = python.get(name)
    print("%-24s %12.1f %12s %12s %10s %10s" % (
        name, ns,
        "%.1f" % n if n else "-",
        "%.1f" % p if p else "-",
        "%.2fx" % (n / ns) if n else "-",
        "%.2fx" % (p / ns) if p else "-"))
