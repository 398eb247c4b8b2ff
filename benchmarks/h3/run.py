#!/usr/bin/env python3
"""H3 side by side: Tessera (Swift, release) vs h3ronpy (h3o, vectorised) vs PyPI h3 (C).

Run from the package root: .venv/bin/python benchmarks/h3/run.py [N_POINTS]
Installs benchmarks/h3/requirements.txt into the current interpreter, builds h3-bench in
release, writes N random points (uniform on the sphere, default 1,000,000) to
benchmarks/out/h3-points.txt and times the same operations on the same inputs in one run.
Every figure is the best of several rounds; lat/lng -> cell is measured twice on each side,
alternating, so that a change in the (shared) machine's load does not favour either side.
h3ronpy has no grid distance; its nearest call, local IJ, is compared instead.
"""
import math
import os
import subprocess
import sys
import time

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.chdir(root)
subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                "-r", "benchmarks/h3/requirements.txt"], check=True)

import h3  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
from h3ronpy import vector  # noqa: E402

try:
    from h3ronpy.vector import coordinates_to_cells
except ImportError:
    coordinates_to_cells = None
import h3ronpy  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
rng = np.random.default_rng(7)
lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
lng = rng.uniform(-180, 180, n)
os.makedirs("benchmarks/out", exist_ok=True)
with open("benchmarks/out/h3-points.txt", "w") as f:
    for a, b in zip(lat.tolist(), lng.tolist()):
        f.write(f"{a!r} {b!r}\n")

# SwiftPM keeps its build plan for path dependencies and misses source files added to them since;
# dropping the plan (not the objects) makes it look again.
for stale in ("benchmarks/.build/release.yaml", "benchmarks/.build/release/description.json"):
    if os.path.exists(stale):
        os.remove(stale)
subprocess.run(["swift", "build", "-c", "release", "--package-path", "benchmarks", "--product", "h3-bench"],
               check=True)
bin_path = subprocess.run(["swift", "build", "-c", "release", "--package-path", "benchmarks", "--show-bin-path"],
                          check=True, capture_output=True, text=True).stdout.strip()
swift = {}


def run_swift(*operations):
    """Runs h3-bench (all operations, or the named ones), keeping each operation's best time."""
    out = subprocess.run([os.path.join(bin_path, "h3-bench"), "benchmarks/out/h3-points.txt", *operations],
                         check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        name, value = line.split()
        swift[name] = min(float(value), swift.get(name, math.inf))


run_swift()


def best(fn, ops, rounds=5):
    t = math.inf
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        fn()
        t = min(t, (time.perf_counter_ns() - t0) / ops)
    return t


lat_a = pa.array(lat)
lng_a = pa.array(lng)
ronpy, pyh3 = {}, {}
LATLNG = ("latlng_to_cell_res9", "latlng_to_cell_res15")


def run_ronpy_latlng():
    for res in (9, 15):
        t = best(lambda: coordinates_to_cells(lat_a, lng_a, res), n, 9)
        ronpy[f"latlng_to_cell_res{res}"] = min(t, ronpy.get(f"latlng_to_cell_res{res}", math.inf))


# The headline comparison alternates Tessera, h3ronpy, Tessera, h3ronpy and keeps each side's best,
# so a change in the machine's load between the two halves of the run favours neither.
run_ronpy_latlng()
run_swift(*LATLNG)
run_ronpy_latlng()
for res in (9, 15):
    m = min(n, 200_000)
    la, ln = lat[:m].tolist(), lng[:m].tolist()
    pyh3[f"latlng_to_cell_res{res}"] = best(lambda: [h3.latlng_to_cell(a, b, res) for a, b in zip(la, ln)], m, 3)

cells_py = [h3.latlng_to_cell(a, b, 9) for a, b in zip(lat[:100_000].tolist(), lng[:100_000].tolist())]
cells_int = pa.array(np.array([h3.str_to_int(c) for c in cells_py], dtype=np.uint64))
pyh3["cell_to_boundary"] = best(lambda: [h3.cell_to_boundary(c) for c in cells_py], len(cells_py), 3)
try:
    ronpy["cell_to_boundary"] = best(lambda: vector.cells_to_wkb_polygons(cells_int), len(cells_py), 3)
except Exception:
    pass
disk_cells = cells_py[:10_000]
pyh3["grid_disk_k2"] = best(lambda: [h3.grid_disk(c, 2) for c in disk_cells], len(disk_cells), 3)
try:
    ronpy["grid_disk_k2"] = best(lambda: h3ronpy.grid_disk(cells_int[:10_000], 2), 10_000, 3)
except Exception:
    pass

# Grid distance / local IJ: each cell and the cell 0.01 degrees further north (same pairs as h3-bench).
partners_py = [h3.latlng_to_cell(min(90.0, a + 0.01), b, 9)
               for a, b in zip(lat[:100_000].tolist(), lng[:100_000].tolist())]
partners_int = pa.array(np.array([h3.str_to_int(c) for c in partners_py], dtype=np.uint64))


def py_distances():
    for a, b in zip(cells_py, partners_py):
        try:
            h3.grid_distance(a, b)
        except h3.H3BaseException:
            pass


def py_local_ij():
    for a, b in zip(cells_py, partners_py):
        try:
            h3.cell_to_local_ij(a, b)
        except h3.H3BaseException:
            pass


pyh3["grid_distance"] = best(py_distances, len(cells_py), 3)
pyh3["cell_to_local_ij"] = best(py_local_ij, len(cells_py), 3)
# h3ronpy has no grid distance; its vectorised local IJ is the nearest call (h3o's to_local_ij).
ronpy["cell_to_local_ij"] = best(
    lambda: h3ronpy.cells_to_localij(partners_int, cells_int, set_failing_to_invalid=True), len(cells_py), 3)

ring = []
for i in range(12):
    a = i * math.pi / 6
    r = 0.5 if i % 2 == 0 else 0.35
    ring.append((37.7 + r * math.sin(a), -122.4 + r * math.cos(a)))
shape = h3.LatLngPoly(ring)
pyh3["polygon_cover_center"] = best(lambda: h3.h3shape_to_cells(shape, 9), 1, 3)
pyh3["polygon_cover_overlap"] = best(lambda: h3.h3shape_to_cells_experimental(shape, 9, contain="overlap"), 1, 3)

print(f"{n} random points, uniform on the sphere; best of several rounds; ns per op (polygon: ns per cover);")
print("ratios are their time / ours (above 1 = Tessera faster)")
print(f"{'operation':<24}{'tessera':>12}{'h3ronpy':>12}{'h3 (py)':>12}{'vs h3ronpy':>12}{'vs h3':>10}")
for name in swift:
    s = swift[name]
    r = ronpy.get(name)
    p = pyh3.get(name)
    fr = f"{r / s:.2f}x" if r else "-"
    fp = f"{p / s:.2f}x" if p else "-"
    print(f"{name:<24}{s:>12.1f}{(f'{r:.1f}' if r else '-'):>12}{(f'{p:.1f}' if p else '-'):>12}{fr:>12}{fp:>10}")
