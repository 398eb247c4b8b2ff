#!/usr/bin/env python3
"""Generates the tile vectors that pin Tessera's tile math and exact cover.

Tile math (bounds, quadkeys, parents) comes from mercantile. Covers come from shapely on
projected coordinates: a tile is in the cover when its square, grown by the render buffer,
intersects the geometry whose vertices were projected with mercantile.xy (edges straight in
Web Mercator), or taken as they are for WorldCRS84Quad. Each cover also lists the tiles
whose answer flips when the buffered square grows or shrinks by 1e-6 of a tile: there the
geometry only touches a buffered tile edge, and either answer is right.

Run: .venv/bin/python grids/tiles/generate_cover_vectors.py  (rewrites grids/tiles/cover_vectors.json)
"""
import json
import math
import os
import random

import mercantile
import numpy as np
import shapely
from shapely.geometry import (GeometryCollection, LineString, MultiLineString, MultiPoint,
                              MultiPolygon, Point, Polygon, mapping, shape)

HERE = os.path.dirname(os.path.abspath(__file__))
R = 6378137.0
HALF = math.pi * R
EPS = 1e-6          # in tiles
MAX_CANDIDATES = 1_500_000
BUFFERS = [(0, 4096), (64, 4096), (256, 4096)]

rng = random.Random(20261123)


# --- projections -------------------------------------------------------------------------

def merc(lon, lat):
    x, y = mercantile.xy(lon, lat)
    return (x, y)


def project(geom, tms):
    if tms == "WorldCRS84Quad":
        return geom
    return shapely.transform(geom, lambda c: np.array([merc(x, y) for x, y in c]).reshape(-1, 2))


def matrix(tms, z):
    """(origin_x, origin_y, span, width, height) of a matrix; y grows downward from the origin."""
    if tms == "WebMercatorQuad":
        return (-HALF, HALF, 2 * HALF / 2**z, 2**z, 2**z)
    return (-180.0, 90.0, 180.0 / 2**z, 2 * 2**z, 2**z)


def oracle(geom_ll, tms, z, buffer):
    """Tiles that must be in the cover, and tiles that may be (touching only)."""
    g = project(geom_ll, tms)
    ox, oy, span, w, h = matrix(tms, z)
    b = buffer[0] / buffer[1]
    minx, miny, maxx, maxy = g.bounds
    x0 = max(0, math.floor((minx - ox) / span - b - 1))
    x1 = min(w - 1, math.floor((maxx - ox) / span + b + 1))
    y0 = max(0, math.floor((oy - maxy) / span - b - 1))
    y1 = min(h - 1, math.floor((oy - miny) / span + b + 1))
    if x0 > x1 or y0 > y1:
        return [], []
    n = (x1 - x0 + 1) * (y1 - y0 + 1)
    assert n <= MAX_CANDIDATES, (n, z)
    xs, ys = np.meshgrid(np.arange(x0, x1 + 1), np.arange(y0, y1 + 1))
    xs = xs.ravel()
    ys = ys.ravel()
    shapely.prepare(g)

    def hits(grow):
        bx0 = ox + (xs - b - grow) * span
        bx1 = ox + (xs + 1 + b + grow) * span
        by1 = oy - (ys - b - grow) * span
        by0 = oy - (ys + 1 + b + grow) * span
        return shapely.intersects(g, shapely.box(bx0, by0, bx1, by1))

    outer = hits(EPS)
    inner = hits(-EPS)
    must = sorted(zip(ys[inner].tolist(), xs[inner].tolist()))
    may = sorted(zip(ys[outer & ~inner].tolist(), xs[outer & ~inner].tolist()))
    return spans(must), [[x, y] for y, x in may]


def spans(rows):
    out = []
    for y, x in rows:
        if out and out[-1][0] == y and out[-1][2] == x - 1:
            out[-1][2] = x
        else:
            out.append([y, x, x])
    return out


# --- shapes ------------------------------------------------------------------------------

def metres_to_deg(lat, dx, dy):
    return dx / (111320.0 * max(math.cos(math.radians(lat)), 1e-6)), dy / 110540.0


def star(lon, lat, radius_m, n, jitter=0.5):
    pts = []
    for i in range(n):
        a = 2 * math.pi * i / n
        r = radius_m * (1 - jitter * rng.random())
        dx, dy = metres_to_deg(lat, r * math.cos(a), r * math.sin(a))
        pts.append((lon + dx, lat + dy))
    return Polygon(pts)


def with_hole(poly):
    c = poly.centroid
    hole = shapely.affinity.scale(poly, 0.35, 0.35, origin=c)
    if hole.within(poly) and poly.is_valid:
        return Polygon(poly.exterior.coords, [hole.exterior.coords[::-1]])
    return poly


def random_line(lon, lat, length_m, n):
    pts = [(lon, lat)]
    heading = rng.random() * 2 * math.pi
    for _ in range(n - 1):
        heading += rng.uniform(-0.8, 0.8)
        step = length_m / (n - 1)
        dx, dy = metres_to_deg(pts[-1][1], step * math.cos(heading), step * math.sin(heading))
        pts.append((pts[-1][0] + dx, pts[-1][1] + dy))
    return LineString(pts)


def rand_lonlat(max_lat=80):
    return rng.uniform(-179, 179), math.degrees(math.asin(rng.uniform(-1, 1) * math.sin(math.radians(max_lat))))


def tile_ring(t):
    b = mercantile.bounds(t)
    return [(b.west, b.south), (b.east, b.south), (b.east, b.north), (b.west, b.north), (b.west, b.south)]


cases = []


def add(name, geom, zooms, tms="WebMercatorQuad", buffers=BUFFERS):
    covers = []
    for z in zooms:
        for buf in buffers:
            must, may = oracle(geom, tms, z, buf)
            covers.append({"zoom": z, "buffer": f"{buf[0]}/{buf[1]}", "must": must, "may": may})
    cases.append({"name": name, "tms": tms, "geometry": mapping(geom), "covers": covers})


def pick(lo, hi, k=2):
    return sorted(rng.sample(range(lo, hi + 1), k))


# Building-sized polygons (some with holes) at high zooms.
for i in range(12):
    lon, lat = rand_lonlat()
    p = star(lon, lat, rng.uniform(8, 60), rng.randint(4, 9), 0.3)
    if i % 3 == 0:
        p = with_hole(p)
    add(f"building-{i}", p, pick(15, 22, 3))

# City-block to city-sized polygons with holes at middle zooms.
for i in range(8):
    lon, lat = rand_lonlat()
    p = with_hole(star(lon, lat, rng.uniform(300, 20000), rng.randint(8, 40), 0.5))
    add(f"district-{i}", p, pick(8, 15, 3))

# Roads and rivers.
for i in range(10):
    lon, lat = rand_lonlat()
    add(f"line-{i}", random_line(lon, lat, rng.uniform(50, 30000), rng.randint(2, 30)), pick(6, 18, 3))

# Points and multi-geometries.
for i in range(6):
    lon, lat = rand_lonlat()
    add(f"point-{i}", Point(lon, lat), pick(0, 22, 4))
lon, lat = rand_lonlat()
add("multipoint", MultiPoint([rand_lonlat() for _ in range(5)]), [0, 3, 7])
add("multilinestring", MultiLineString([random_line(*rand_lonlat(), 5000, 6) for _ in range(3)]), [9, 12])
add("multipolygon", MultiPolygon([star(*rand_lonlat(), 3000, 7, 0.3) for _ in range(3)]), [8, 11])
add("collection", GeometryCollection([Point(lon, lat), random_line(lon, lat, 800, 4), star(lon, lat, 300, 6, 0.3)]), [13, 15])
add("overlapping-multipolygon",
    MultiPolygon([star(lon, lat, 2000, 12, 0.0), star(lon + 0.005, lat, 2000, 12, 0.0)]), [12, 14])

# Vertices exactly on tile edges and corners.
t = mercantile.tile(13.4, 52.52, 15)
add("tile-square", Polygon(tile_ring(t)), [14, 15, 16, 17])
b = mercantile.bounds(t)
add("line-on-tile-edge", LineString([(b.west, b.south), (b.west, b.north)]), [15, 16])
add("point-on-tile-corner", Point(b.west, b.north), [15, 16, 20])
t2 = mercantile.tile(-73.98, 40.75, 12)
b2 = mercantile.bounds(t2)
add("polygon-on-corners", Polygon([(b2.west, b2.south), (b2.east, b2.north), (b2.east, b2.south), (b2.west, b2.south)]), [11, 12, 13, 14])

# High latitudes, beyond the Web Mercator extent, and the antimeridian.
add("arctic", with_hole(star(20.0, 84.0, 150000, 16, 0.3)), [3, 6, 8])
add("beyond-extent", Polygon([(-30, 80), (30, 80), (30, 89.5), (-30, 89.5), (-30, 80)]), [2, 5, 7])
add("antarctic-line", LineString([(-60, -86), (-50, -84), (-40, -85.5)]), [4, 8])
add("antimeridian-cut", MultiPolygon([
    Polygon([(170, -20), (180, -20), (180, -10), (170, -10), (170, -20)]),
    Polygon([(-180, -20), (-170, -20), (-170, -10), (-180, -10), (-180, -20)])]), [2, 5, 7])
add("antimeridian-line", MultiLineString([[(175, 60), (180, 61)], [(-180, 61), (-175, 62)]]), [4, 8])

# Tiny and continent-sized.
add("tiny", star(2.35, 48.85, 0.8, 5, 0.2), [18, 20, 22])
add("continent", with_hole(star(20.0, 5.0, 3500000, 60, 0.4)), [0, 2, 4, 6])
add("world", Polygon([(-180, -85.06), (180, -85.06), (180, 85.06), (-180, 85.06), (-180, -85.06)]), [0, 1, 3])

# WorldCRS84Quad.
add("crs84-district", with_hole(star(139.7, 35.7, 15000, 20, 0.4)), [7, 9], tms="WorldCRS84Quad")
add("crs84-line", random_line(-122.4, 37.8, 20000, 8), [8, 11], tms="WorldCRS84Quad")
add("crs84-polar", Polygon([(-10, 80), (10, 80), (10, 90), (-10, 90), (-10, 80)]), [2, 4], tms="WorldCRS84Quad")
add("crs84-point", Point(0, 0), [0, 5], tms="WorldCRS84Quad")

# Tile math from mercantile.
tiles = []
for _ in range(200):
    z = rng.randint(0, 22)
    x = rng.randrange(2**z)
    y = rng.randrange(2**z)
    bb = mercantile.bounds(x, y, z)
    p = mercantile.parent(x, y, z) if z > 0 else None
    tiles.append({"z": z, "x": x, "y": y, "quadkey": mercantile.quadkey(x, y, z),
                  "bounds": [bb.west, bb.south, bb.east, bb.north],
                  "parent": [p.z, p.x, p.y] if p else None})
points = []
for _ in range(200):
    lon, lat = rand_lonlat(85)
    z = rng.randint(0, 22)
    t = mercantile.tile(lon, lat, z)
    points.append({"lon": lon, "lat": lat, "z": z, "tile": [t.x, t.y], "xy": list(mercantile.xy(lon, lat))})

with open(os.path.join(HERE, "cover_vectors.json"), "w") as f:
    json.dump({"generator": "grids/tiles/generate_cover_vectors.py", "mercantile": mercantile.__version__,
               "shapely": shapely.__version__, "eps_tiles": EPS, "cases": cases, "tiles": tiles,
               "points": points}, f, separators=(",", ":"))
print(f"{len(cases)} cases, {sum(len(c['covers']) for c in cases)} covers")
