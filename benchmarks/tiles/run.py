#!/usr/bin/env python3
"""Tile cover and WKB decode throughput, Tessera side by side with supermercado, in one run.

Usage: benchmarks/tiles/run.sh   (builds cover-bench in release, prepares .venv, runs this)

Workloads (fixed seed, written to benchmarks/out/):
  buildings  2,000 building-sized polygons (10-40 m), each covered separately at z16-18
  roads      1,000 road-sized lines (0.2-3 km), each covered separately at z12-16
  large      one continent-sized polygon (1,000 vertices) at z14
supermercado's burn takes the same GeoJSON features, one call per feature and zoom (its
unit of work is a zoom), and has no render buffer; Tessera is timed with buffer 0 (the
same question) and 64/4096 (what a Martin/tegola cache needs). Best of several repeats.
"""
import json
import math
import os
import random
import subprocess
import sys
import time

import numpy as np
import shapely
from supermercado import burntiles

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "benchmarks", "out")
BENCH = os.path.join(ROOT, "benchmarks", ".build", "release", "cover-bench")
rng = random.Random(7)


def star(lon, lat, radius_m, n, jitter):
    pts = []
    for i in range(n):
        a = 2 * math.pi * i / n
        r = radius_m * (1 - jitter * rng.random())
        pts.append([lon + r * math.cos(a) / (111320 * math.cos(math.radians(lat))), lat + r * math.sin(a) / 110540])
    pts.append(pts[0])
    return {"type": "Polygon", "coordinates": [pts]}


def line(lon, lat, length_m, n):
    pts = [[lon, lat]]
    heading = rng.random() * 2 * math.pi
    for _ in range(n - 1):
        heading += rng.uniform(-0.6, 0.6)
        step = length_m / (n - 1)
        pts.append([pts[-1][0] + step * math.cos(heading) / (111320 * math.cos(math.radians(lat))),
                    pts[-1][1] + step * math.sin(heading) / 110540])
    return {"type": "LineString", "coordinates": pts}


def city():
    return rng.choice([(13.40, 52.52), (2.35, 48.86), (-73.98, 40.75), (139.70, 35.69), (-46.63, -23.55), (28.98, 41.01)])


def features(geoms):
    return [{"type": "Feature", "geometry": g, "properties": {}} for g in geoms]


def workloads():
    b = []
    for _ in range(2000):
        lon, lat = city()
        b.append(star(lon + rng.uniform(-0.1, 0.1), lat + rng.uniform(-0.1, 0.1), rng.uniform(10, 40), rng.randint(5, 8), 0.3))
    r = []
    for _ in range(1000):
        lon, lat = city()
        r.append(line(lon + rng.uniform(-0.2, 0.2), lat + rng.uniform(-0.2, 0.2), rng.uniform(200, 3000), rng.randint(5, 20)))
    large = [star(20.0, 5.0, 3_950_000, 1000, 0.08)]
    return [("buildings", b, (16, 18), 5), ("roads", r, (12, 16), 5), ("large", large, (14, 14), 3)]


def time_supermercado(feats, zooms, repeats):
    best = math.inf
    tiles = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        n = 0
        for f in feats:
            for z in range(zooms[0], zooms[1] + 1):
                n += len(burntiles.burn([f], z))
        best = min(best, time.perf_counter() - t0)
        tiles = n
    return {"geometries": len(feats), "tiles": tiles, "seconds": best,
            "geometries_per_s": len(feats) / best, "tiles_per_s": tiles / best}


def run_tessera(path, zooms, buffer, repeats):
    out = subprocess.run([BENCH, "cover", path, f"{zooms[0]}-{zooms[1]}", buffer, str(repeats)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    os.makedirs(OUT, exist_ok=True)
    rows = []
    for name, geoms, zooms, repeats in workloads():
        path = os.path.join(OUT, f"{name}.geojson")
        feats = features(geoms)
        with open(path, "w") as f:
            json.dump({"type": "FeatureCollection", "features": feats}, f)
        sm = time_supermercado(feats, zooms, repeats if name != "large" else 1)
        t0 = run_tessera(path, zooms, "0", repeats)
        t64 = run_tessera(path, zooms, "64/4096", repeats)
        rows.append((name, zooms, sm, t0, t64))

    print(f"{'workload':<10} {'zooms':<6} {'tool':<22} {'geoms/s':>12} {'tiles':>10} {'tiles/s':>14} {'peak MB':>8}")
    for name, zooms, sm, t0, t64 in rows:
        z = f"{zooms[0]}-{zooms[1]}"
        print(f"{name:<10} {z:<6} {'supermercado burn':<22} {sm['geometries_per_s']:>12,.0f} {sm['tiles']:>10,} {sm['tiles_per_s']:>14,.0f} {'':>8}")
        for label, t in (("tessera buffer 0", t0), ("tessera buffer 64/4096", t64)):
            print(f"{'':<10} {'':<6} {label:<22} {t['geometries_per_s']:>12,.0f} {t['tiles']:>10,} {t['tiles_per_s']:>14,.0f} {t['peak_rss_mb']:>8.1f}")
        print(f"{'':<10} {'':<6} {'ratio (buffer 0)':<22} {t0['geometries_per_s'] / sm['geometries_per_s']:>11.1f}x {'':>10} {t0['tiles_per_s'] / sm['tiles_per_s']:>13.1f}x")
        print(f"{'':<10} {'':<6} {'ratio (64/4096)':<22} {t64['geometries_per_s'] / sm['geometries_per_s']:>11.1f}x {'':>10} {t64['tiles_per_s'] / sm['tiles_per_s']:>13.1f}x")
        if name == "large":
            print(f"{'':<10} {'':<6} large polygon: {t64['tiles']:,} tiles at z14 in {t64['seconds'] * 1000:.1f} ms, "
                  f"{t64['spans']:,} spans, process peak RSS {t64['peak_rss_mb']:.1f} MB "
                  f"({t64['peak_rss_mb'] - t64['rss_before_mb']:.1f} MB above the loaded input)")

    # WKB decode: Tessera's reader vs shapely.from_wkb (GEOS) on the same EWKB blobs.
    path = os.path.join(OUT, "roads.geojson")
    ours = json.loads(subprocess.run([BENCH, "wkb", path, "20"], check=True, capture_output=True, text=True).stdout)
    geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in json.load(open(path))["features"]])
    blobs = shapely.to_wkb(shapely.set_srid(geoms, 4326), include_srid=True)
    best = math.inf
    for _ in range(20):
        t0 = time.perf_counter()
        shapely.from_wkb(blobs)
        best = min(best, time.perf_counter() - t0)
    print()
    print(f"WKB decode ({ours['geometries']:,} EWKB lines, {ours['bytes']:,} bytes): "
          f"tessera {ours['geometries_per_s']:,.0f} geoms/s ({ours['mb_per_s']:,.0f} MB/s), "
          f"shapely.from_wkb {len(blobs) / best:,.0f} geoms/s, ratio {ours['geometries_per_s'] / (len(blobs) / best):.1f}x")


if __name__ == "__main__":
    sys.exit(main())
