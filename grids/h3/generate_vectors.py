#!/usr/bin/env python3
"""Reference vectors for Tessera's pure-Swift H3, computed with PyPI h3 (C core 4.5.0).

Usage: generate_vectors.py OUT_DIR [--points N] [--cells N] [--seed S]

Writes plain text files (one case per line, space separated, cells as 15-digit hex) and
one JSON file for polygons:

  points.txt     lat lng res cell                 (uniform on the sphere + hard places)
  cells.txt      cell lat lng n lat1 lng1 ...     (centre and boundary as h3 emits them)
  hierarchy.txt  cell parentRes parent childRes centerChild child,child,...
  disks.txt      cell k cell,cell,...             (grid_disk, sorted)
  neighbors.txt  a b 0|1                          (are_neighbor_cells)
  compact.txt    cell,cell,... compacted,...      (compact_cells of a disk, sorted)
  polygons.json  [{"polygons": [[ring, hole...]...], "res": r, "center": [...], "overlap": [...]}]
  distances.txt  a b distance|Error i,j|Error     (grid_distance and cell_to_local_ij from a to b)
  localij.txt    origin i j cell|Error            (local_ij_to_cell)

Failures are written as the reference's exception name (H3FailedError, H3PentagonError, ...).

Floats are written with repr() so they parse back to the same doubles.
The committed sample in grids/h3/sample/ is `generate_vectors.py grids/h3/sample --points 4000 --cells 1500`.
"""
import json
import math
import os
import random
import sys

import h3
import numpy as np

assert h3.__version__ == "4.5.0", f"h3 {h3.__version__}: the vectors pin 4.5.0"


def args():
    out = sys.argv[1]
    opts = {"--points": 1_000_000, "--cells": 30_000, "--seed": 3}
    rest = sys.argv[2:]
    for i in range(0, len(rest), 2):
        opts[rest[i]] = int(rest[i + 1])
    return out, opts["--points"], opts["--cells"], opts["--seed"]


def uniform_sphere(rng, n):
    z = rng.uniform(-1.0, 1.0, n)
    lng = rng.uniform(-180.0, 180.0, n)
    lat = np.degrees(np.arcsin(z))
    return lat, lng


def hard_points(rng, n):
    """Points near pentagons, icosahedron edges and vertices, poles and the antimeridian."""
    pts = []
    pentagon_centres = [h3.cell_to_latlng(p) for p in h3.get_pentagons(0)]
    per = max(1, n // 5)
    # Near pentagon centres (icosahedron vertices), at every scale.
    for _ in range(per):
        lat, lng = pentagon_centres[rng.integers(12)]
        d = 10.0 ** rng.uniform(-9, 0.5)
        a = rng.uniform(0, 2 * math.pi)
        pts.append((lat + d * math.sin(a), lng + d * math.cos(a)))
    # Along icosahedron edges: great-circle arcs between neighbouring vertices, nudged sideways.
    vecs = [np.array([math.cos(math.radians(a)) * math.cos(math.radians(b)),
                      math.cos(math.radians(a)) * math.sin(math.radians(b)),
                      math.sin(math.radians(a))]) for a, b in pentagon_centres]
    edges = [(i, j) for i in range(12) for j in range(i + 1, 12) if np.dot(vecs[i], vecs[j]) > 0.4]
    for _ in range(per):
        i, j = edges[rng.integers(len(edges))]
        t = rng.uniform(0, 1)
        v = vecs[i] * (1 - t) + vecs[j] * t
        v /= np.linalg.norm(v)
        normal = np.cross(vecs[i], vecs[j])
        normal /= np.linalg.norm(normal)
        v = v + normal * (10.0 ** rng.uniform(-12, -2)) * rng.choice([-1, 1])
        v /= np.linalg.norm(v)
        pts.append((math.degrees(math.asin(max(-1, min(1, v[2])))), math.degrees(math.atan2(v[1], v[0]))))
    # Poles.
    for _ in range(per):
        lat = rng.choice([-1, 1]) * (90.0 - 10.0 ** rng.uniform(-12, 0))
        if rng.uniform() < 0.1:
            lat = rng.choice([-90.0, 90.0])
        pts.append((lat, rng.uniform(-180, 180)))
    # Antimeridian.
    for _ in range(per):
        lng = rng.choice([-1, 1]) * (180.0 - (10.0 ** rng.uniform(-12, 0) if rng.uniform() < 0.9 else 0.0))
        pts.append((math.degrees(math.asin(rng.uniform(-1, 1))), lng))
    # Exact zeros and face centres.
    for f in range(n - 4 * per):
        pts.append((rng.choice([0.0, -0.0, 45.0, -45.0]), rng.choice([0.0, 90.0, -90.0, 180.0, -180.0])))
    return [(float(max(-90.0, min(90.0, a))), float(max(-180.0, min(180.0, b)))) for a, b in pts]


def write_points(out, n, rng):
    lat, lng = uniform_sphere(rng, n)
    hard = hard_points(rng, max(1000, n // 10))
    with open(os.path.join(out, "points.txt"), "w") as f:
        for i in range(n):
            a, b = float(lat[i]), float(lng[i])
            r = i % 16
            f.write(f"{a!r} {b!r} {r} {h3.latlng_to_cell(a, b, r)}\n")
        for i, (a, b) in enumerate(hard):
            for r in (i % 16, 15 - i % 16):
                f.write(f"{a!r} {b!r} {r} {h3.latlng_to_cell(a, b, r)}\n")


def sample_cells(n, rng):
    cells = set()
    for r in range(16):
        cells.update(h3.get_pentagons(r))
    cells.update(h3.get_res0_cells())
    lat, lng = uniform_sphere(rng, n)
    for i in range(n):
        cells.add(h3.latlng_to_cell(float(lat[i]), float(lng[i]), i % 16))
    for a, b in hard_points(rng, n // 4):
        cells.add(h3.latlng_to_cell(a, b, int(rng.integers(16))))
    # Neighbours of pentagons (the distorted ring around them).
    for r in range(1, 16):
        for p in h3.get_pentagons(r):
            cells.update(h3.grid_disk(p, 2))
    return sorted(cells)


def write_cells(out, cells):
    with open(os.path.join(out, "cells.txt"), "w") as f:
        for c in cells:
            lat, lng = h3.cell_to_latlng(c)
            b = h3.cell_to_boundary(c)
            verts = " ".join(f"{x!r} {y!r}" for x, y in b)
            f.write(f"{c} {lat!r} {lng!r} {len(b)} {verts}\n")


def write_hierarchy(out, cells, rng):
    with open(os.path.join(out, "hierarchy.txt"), "w") as f:
        for c in cells:
            r = h3.get_resolution(c)
            pr = int(rng.integers(0, r + 1))
            cr = min(15, r + int(rng.integers(0, 3)))
            kids = sorted(h3.cell_to_children(c, cr)) if cr - r <= 2 else []
            f.write(f"{c} {pr} {h3.cell_to_parent(c, pr)} {cr} {h3.cell_to_center_child(c, cr)} "
                    f"{','.join(kids)}\n")


def write_disks(out, cells, rng):
    with open(os.path.join(out, "disks.txt"), "w") as f, open(os.path.join(out, "neighbors.txt"), "w") as g:
        for c in cells:
            k = int(rng.integers(0, 5))
            disk = h3.grid_disk(c, k)
            f.write(f"{c} {k} {','.join(sorted(disk))}\n")
            ring = h3.grid_disk(c, 2)
            other = ring[int(rng.integers(len(ring)))]
            g.write(f"{c} {other} {int(h3.are_neighbor_cells(c, other))}\n")


def write_compact(out, cells, rng):
    with open(os.path.join(out, "compact.txt"), "w") as f:
        for c in cells[:: max(1, len(cells) // 400)]:
            r = h3.get_resolution(c)
            if r == 0:
                continue
            parent = h3.cell_to_parent(c, r - 1)
            # A disk of parents, uncompacted, with some children removed so compaction is partial.
            cells_in = set(h3.uncompact_cells(h3.grid_disk(parent, 1), r))
            for x in list(cells_in)[: int(rng.integers(0, 4))]:
                cells_in.discard(x)
            cells_in = sorted(cells_in)
            f.write(f"{','.join(cells_in)} {','.join(sorted(h3.compact_cells(cells_in)))}\n")


def star(rng, lat, lng, radius, n):
    pts = []
    for i in range(n):
        a = 2 * math.pi * i / n
        rr = radius * rng.uniform(0.5, 1.0)
        pts.append((lat + rr * math.sin(a), lng + rr * math.cos(a) / max(0.2, math.cos(math.radians(lat)))))
    return pts


def write_polygons(out, count, rng):
    cases = []

    def add(polys, res):
        polys = [[[(max(-89.0, min(89.0, float(a))), ((float(b) + 180) % 360) - 180) for a, b in ring]
                  for ring in p] for p in polys]
        shape = h3.LatLngMultiPoly(*[h3.LatLngPoly(p[0], *p[1:]) for p in polys])
        centre = sorted(h3.h3shape_to_cells(shape, res))
        overlap = sorted(h3.h3shape_to_cells_experimental(shape, res, contain="overlap"))
        closed = [[ring + [ring[0]] for ring in p] for p in polys]
        cases.append({"polygons": closed, "res": res, "center": centre, "overlap": overlap})

    def wrap(pts):
        return [(a, ((b + 180) % 360) - 180) for a, b in pts]

    for i in range(count):
        res = int(rng.integers(3, 9))
        size = 4.0 * 7 ** (-(res - 3) / 2) * rng.uniform(1, 4)
        kind = i % 6
        if kind == 0:  # plain star anywhere
            lat, lng = float(rng.uniform(-70, 70)), float(rng.uniform(-180, 180))
            add([[wrap(star(rng, lat, lng, size, int(rng.integers(3, 12))))]], res)
        elif kind == 1:  # with a hole
            lat, lng = float(rng.uniform(-70, 70)), float(rng.uniform(-170, 170))
            outer = star(rng, lat, lng, size, 10)
            hole = [(lat + 0.3 * size * math.sin(a), lng + 0.3 * size * math.cos(a))
                    for a in np.linspace(2 * math.pi, 0, 7)[:-1]]
            add([[outer, hole]], res)
        elif kind == 2:  # multipolygon
            lat, lng = float(rng.uniform(-60, 60)), float(rng.uniform(-170, 170))
            add([[star(rng, lat, lng, size, 6)], [star(rng, lat + 2.5 * size, lng + 2.5 * size, size, 5)]], res)
        elif kind == 3:  # around a pentagon
            lat, lng = h3.cell_to_latlng(h3.get_pentagons(0)[i % 12])
            add([[wrap(star(rng, lat, lng, size, 8))]], res)
        elif kind == 4:  # across the antimeridian
            lat = float(rng.uniform(-60, 60))
            add([[wrap(star(rng, lat, 180.0 - size * 0.3, size, 7))]], res)
        else:  # thin sliver (overlap catches cells the centre test misses)
            lat, lng = float(rng.uniform(-60, 60)), float(rng.uniform(-170, 170))
            add([[[(lat, lng), (lat + size * 0.05, lng + size), (lat + size * 0.02, lng + size * 1.1)]]], res)
    with open(os.path.join(out, "polygons.json"), "w") as f:
        json.dump(cases, f)


def attempt(fn, *a):
    """fn(*a), or the name of the exception the reference raises."""
    try:
        return fn(*a)
    except h3.H3BaseException as e:
        return type(e).__name__


def write_distances(out, cells, n_pairs, rng):
    """Pairs near and far, many around pentagons where the reference refuses to unfold."""
    pairs = []
    for c in rng.choice(cells, size=min(len(cells), n_pairs), replace=False).tolist():
        disk = h3.grid_disk(c, int(rng.integers(1, 8)))
        pairs.append((c, disk[int(rng.integers(len(disk)))]))
        if rng.uniform() < 0.25:  # a random cell at the same resolution, usually too far away
            lat, lng = uniform_sphere(rng, 1)
            pairs.append((c, h3.latlng_to_cell(float(lat[0]), float(lng[0]), h3.get_resolution(c))))
    for r in range(16):
        for p in h3.get_pentagons(r):
            disk = h3.grid_disk(p, 4)
            for _ in range(max(2, n_pairs // 400)):
                pairs.append((disk[int(rng.integers(len(disk)))], disk[int(rng.integers(len(disk)))]))
            pairs.append((p, disk[int(rng.integers(len(disk)))]))
            pairs.append((disk[int(rng.integers(len(disk)))], p))
    with open(os.path.join(out, "distances.txt"), "w") as f:
        for a, b in pairs:
            d = attempt(h3.grid_distance, a, b)
            ij = attempt(h3.cell_to_local_ij, a, b)
            ij = ij if isinstance(ij, str) else f"{ij[0]},{ij[1]}"
            f.write(f"{a} {b} {d} {ij}\n")
    with open(os.path.join(out, "localij.txt"), "w") as f:
        for a, _ in pairs[::2]:
            oi, oj = h3.cell_to_local_ij(a, a)
            spread = 8 if rng.uniform() < 0.8 else 7 ** int(rng.integers(1, 12))
            i = oi + int(rng.integers(-spread, spread + 1))
            j = oj + int(rng.integers(-spread, spread + 1))
            if rng.uniform() < 0.02:  # the edges of 32-bit coordinates
                i = int(rng.choice([2**31 - 1, -2**31, 2**30, -2**30 - 7]))
            f.write(f"{a} {i} {j} {attempt(h3.local_ij_to_cell, a, i, j)}\n")


def main():
    out, n_points, n_cells, seed = args()
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(seed)
    write_points(out, n_points, rng)
    cells = sample_cells(n_cells, rng)
    write_cells(out, cells)
    write_hierarchy(out, cells, rng)
    write_disks(out, cells, rng)
    write_compact(out, cells, rng)
    write_polygons(out, max(60, n_cells // 100), rng)
    # Last, with its own generator, so the files above stay as they were.
    write_distances(out, cells, 2 * n_cells, np.random.default_rng(seed + 1))


if __name__ == "__main__":
    main()
