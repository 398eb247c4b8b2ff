#!/usr/bin/env python3
"""Reference vectors that pin Tessera's S2 code to Google's s2geometry (PyPI s2geometry 0.14).

    generate_vectors.py points   --count N --seed S --out FILE   # binary, see below
    generate_vectors.py cells    --count N --seed S --out FILE   # TSV
    generate_vectors.py coverings --seed S --out FILE            # JSON

points: little-endian records of 32 bytes: latitude f64, longitude f64 (degrees), the leaf
cell id u64 of S2CellId(S2LatLng.FromDegrees(lat, lng)), and the id u64 of its parent at
level (index % 31). A mix of uniform points on the sphere, points on cube-face edges, cell
corners at every level, the poles and the antimeridian, and round coordinates.

cells: one line per random cell (random level 0..30):
id token level n0 n1 n2 n3 (edge neighbours, decimal ids) v0lat v0lng ... v3lat v3lng
center_lat center_lng rect_lat_lo rect_lat_hi rect_lng_lo rect_lng_hi exact_area

coverings: a JSON list of cases: shape (GeoJSON-like geometry in lon/lat degrees), coverer
options, the reference covering and interior covering (S2RegionCoverer on an S2Polygon,
S2Polyline or point set), the fixed-level cells the coverer reports (a superset: its
MayIntersect is conservative), those that truly intersect the shape and those on its boundary
(exact boolean operations), and sample points that s2geometry says lie on or in the shape.
"""
import argparse
import json
import math
import struct
import sys

import numpy as np
import s2geometry as s2


def deg(angle):
    return angle.degrees()


def latlng_of(p):
    ll = s2.S2LatLng(p)
    return deg(ll.lat()), deg(ll.lng())


def point_samples(count, rng):
    """Yields (lat, lng) pairs in degrees covering the hard places as well as the sphere."""
    kinds = rng.random(count)
    out = []
    for i in range(count):
        k = kinds[i]
        if k < 0.60:  # uniform on the sphere
            v = rng.normal(size=3)
            v /= np.linalg.norm(v)
            out.append((math.degrees(math.asin(max(-1.0, min(1.0, v[2])))), math.degrees(math.atan2(v[1], v[0]))))
        elif k < 0.72:  # on a cube-face edge: two coordinates of equal magnitude
            v = rng.normal(size=3)
            a, b = rng.choice(3, size=2, replace=False)
            v[b] = math.copysign(abs(v[a]), v[b])
            v /= np.linalg.norm(v)
            out.append((math.degrees(math.asin(max(-1.0, min(1.0, v[2])))), math.degrees(math.atan2(v[1], v[0]))))
        elif k < 0.87:  # a corner of a random cell at a random level
            face = int(rng.integers(6))
            level = int(rng.integers(31))
            pos = int(rng.integers(1 << 60)) | 1
            leaf = s2.S2CellId((face << 61) | (pos << 1) | 1).parent(level) if level < 30 else s2.S2CellId((face << 61) | (pos << 1) | 1)
            cell = s2.S2Cell(leaf)
            out.append(latlng_of(cell.GetVertex(int(rng.integers(4)))))
        elif k < 0.93:  # poles and the antimeridian
            c = int(rng.integers(6))
            lng = float(rng.uniform(-180, 180))
            if c == 0:
                out.append((90.0, lng))
            elif c == 1:
                out.append((-90.0, lng))
            elif c == 2:
                out.append((90.0 - float(rng.uniform(0, 1e-9)), lng))
            elif c == 3:
                out.append((-90.0 + float(rng.uniform(0, 1e-9)), lng))
            else:
                out.append((float(rng.uniform(-90, 90)), 180.0 if c == 4 else -180.0))
        else:  # round numbers: integer and half degrees, 45° diagonals
            out.append((float(rng.integers(-180, 181)) / 2.0, float(rng.integers(-360, 361)) / 2.0))
    return out


def write_points(args):
    rng = np.random.default_rng(args.seed)
    samples = point_samples(args.count, rng)
    pack = struct.Struct("<ddQQ").pack
    with open(args.out, "wb") as f:
        buf = []
        for index, (lat, lng) in enumerate(samples):
            leaf = s2.S2CellId(s2.S2LatLng.FromDegrees(lat, lng))
            level = index % 31
            buf.append(pack(lat, lng, leaf.id(), leaf.parent(level).id()))
            if len(buf) >= 65536:
                f.write(b"".join(buf))
                buf = []
        f.write(b"".join(buf))


def write_cells(args):
    rng = np.random.default_rng(args.seed)
    with open(args.out, "w") as f:
        for n in range(args.count):
            face = int(rng.integers(6))
            pos = int(rng.integers(1 << 60))
            level = n % 31
            cid = s2.S2CellId((face << 61) | (pos << 1) | 1)
            if level < 30:
                cid = cid.parent(level)
            cell = s2.S2Cell(cid)
            fields = [str(cid.id()), cid.ToToken(), str(cid.level())]
            fields += [str(c.id()) for c in cid.GetEdgeNeighbors()]
            for k in range(4):
                fields += ["%.17g" % x for x in latlng_of(cell.GetVertex(k))]
            center = cid.ToLatLng()
            fields += ["%.17g" % deg(center.lat()), "%.17g" % deg(center.lng())]
            r = cell.GetRectBound()
            fields += ["%.17g" % x for x in (deg(r.lat_lo()), deg(r.lat_hi()), deg(r.lng_lo()), deg(r.lng_hi()))]
            fields.append("%.17g" % cell.ExactArea())
            f.write(" ".join(fields) + "\n")


# ---- coverings -------------------------------------------------------------------------

def ring_around(rng, lat, lng, radius, n, clockwise=False):
    """A star-shaped ring of n vertices around (lat, lng), radius in degrees, closed."""
    angles = np.sort(rng.uniform(0, 2 * math.pi, size=n))
    pts = []
    coslat = max(0.2, math.cos(math.radians(lat)))
    for a in angles:
        r = radius * float(rng.uniform(0.5, 1.0))
        pts.append([lng + r * math.cos(a) / coslat, max(-89.0, min(89.0, lat + r * math.sin(a)))])
    if clockwise:
        pts.reverse()
    pts = [[((p[0] + 180.0) % 360.0) - 180.0, p[1]] for p in pts]
    pts.append(list(pts[0]))
    return pts


def s2_loop(ring):
    pts = [s2.S2LatLng.FromDegrees(lat, lng).ToPoint() for lng, lat in ring[:-1]]
    loop = s2.S2Loop(pts)
    loop.Normalize()
    return loop


def s2_region(geometry):
    t = geometry["type"]
    if t == "Polygon":
        poly = s2.S2Polygon()
        poly.InitNested([s2_loop(r) for r in geometry["coordinates"]])
        return [poly]
    if t == "MultiPolygon":
        # One S2Polygon holding every ring, so max_cells applies to the whole shape.
        poly = s2.S2Polygon()
        poly.InitNested([s2_loop(r) for c in geometry["coordinates"] for r in c])
        return [poly]
    if t == "LineString":
        line = s2.S2Polyline()
        line.InitFromS2LatLngs([s2.S2LatLng.FromDegrees(lat, lng) for lng, lat in geometry["coordinates"]])
        return [line]
    if t == "MultiLineString":
        return [r for c in geometry["coordinates"] for r in s2_region({"type": "LineString", "coordinates": c})]
    if t == "Point":
        lng, lat = geometry["coordinates"]
        return [s2.S2Cell(s2.S2CellId(s2.S2LatLng.FromDegrees(lat, lng)))]
    if t == "MultiPoint":
        return [r for c in geometry["coordinates"] for r in s2_region({"type": "Point", "coordinates": c})]
    raise ValueError(t)


def union_covering(regions, options, interior=False):
    """Reference covering: S2RegionCoverer over each region (one for polygons), merged."""
    coverer = s2.S2RegionCoverer()
    coverer.set_min_level(options["min_level"])
    coverer.set_max_level(options["max_level"])
    coverer.set_max_cells(options["max_cells"])
    coverer.set_level_mod(options["level_mod"])
    ids = set()
    for region in regions:
        cells = coverer.GetInteriorCovering(region) if interior else coverer.GetCovering(region)
        ids.update(c.id() for c in cells)
    return sorted(ids)


def samples_of(rng, geometry, regions, count):
    """Points on the shape: vertices, points along edges and (for polygons) interior points."""
    out = []
    def add_edges(coords):
        for (a, b) in zip(coords, coords[1:]):
            pa = s2.S2LatLng.FromDegrees(a[1], a[0]).ToPoint()
            pb = s2.S2LatLng.FromDegrees(b[1], b[0]).ToPoint()
            line = s2.S2Polyline()
            line.InitFromS2Points([pa, pb])
            for f in rng.uniform(0, 1, size=4):
                out.append(latlng_of(line.Interpolate(float(f))))
            out.append((a[1], a[0]))
    t = geometry["type"]
    if t in ("Point",):
        out.append((geometry["coordinates"][1], geometry["coordinates"][0]))
    elif t == "MultiPoint":
        out += [(c[1], c[0]) for c in geometry["coordinates"]]
    elif t == "LineString":
        add_edges(geometry["coordinates"])
    elif t == "MultiLineString":
        for c in geometry["coordinates"]:
            add_edges(c)
    else:
        polys = [geometry["coordinates"]] if t == "Polygon" else geometry["coordinates"]
        for poly in polys:
            for ring in poly:
                add_edges(ring)
        for region in regions:
            rect = region.GetRectBound()
            got = 0
            for _ in range(4000):
                lat = float(rng.uniform(deg(rect.lat_lo()), deg(rect.lat_hi())))
                lo, hi = deg(rect.lng_lo()), deg(rect.lng_hi())
                if hi < lo:
                    hi += 360.0
                lng = float(rng.uniform(lo, hi))
                lng = ((lng + 180.0) % 360.0) - 180.0
                if region.Contains(s2.S2LatLng.FromDegrees(lat, lng).ToPoint()):
                    out.append((lat, lng))
                    got += 1
                    if got >= count:
                        break
    return out


def exact_fixed(regions, fixed):
    """Splits the coverer's fixed-level cells (MayIntersect is conservative) into the ones
    that truly intersect the shape, by exact boolean operations, and among those the ones
    not entirely inside it."""
    exact, boundary = [], []
    for i in fixed:
        cell = s2.S2Cell(s2.S2CellId(i))
        cell_polygon = s2.S2Polygon(cell)
        hit = False
        inside = False
        for region in regions:
            if isinstance(region, s2.S2Polygon):
                if region.Intersects(cell_polygon):
                    hit = True
                    inside = inside or region.Contains(cell_polygon)
            elif isinstance(region, s2.S2Polyline):
                hit = hit or len(cell_polygon.IntersectWithPolyline(region)) > 0
            else:
                hit = hit or s2.S2CellId(i).contains(region.id()) or region.id().contains(s2.S2CellId(i))
        if hit:
            exact.append(i)
            if not inside:
                boundary.append(i)
    return exact, boundary


def shapes(rng):
    out = []
    for n in range(14):
        lat = float(rng.uniform(-70, 70))
        lng = float(rng.uniform(-180, 180))
        radius = float(10 ** rng.uniform(-3, 0.7))
        verts = int(rng.integers(5, 40))
        ring = ring_around(rng, lat, lng, radius, verts, clockwise=(n % 3 == 0))
        geometry = {"type": "Polygon", "coordinates": [ring]}
        if n % 2 == 0:
            hole = ring_around(rng, lat, lng, radius * 0.3, 6, clockwise=True)
            geometry["coordinates"].append(hole)
        out.append(geometry)
    # across the antimeridian and around a pole
    out.append({"type": "Polygon", "coordinates": [[[179.5, -17.0], [-179.0, -17.5], [-179.2, -15.8], [179.8, -15.5], [179.5, -17.0]]]})
    out.append({"type": "Polygon", "coordinates": [[[0, 85], [90, 85], [180, 85], [-90, 85], [0, 85]]]})
    for n in range(4):
        lat = float(rng.uniform(-60, 60))
        lng = float(rng.uniform(-180, 180))
        out.append({"type": "MultiPolygon", "coordinates": [
            [ring_around(rng, lat, lng, 0.05, 8)],
            [ring_around(rng, lat + 0.3, lng + 0.2, 0.04, 7)],
        ]})
    for n in range(8):
        lat = float(rng.uniform(-70, 70))
        lng = float(rng.uniform(-170, 170))
        step = float(10 ** rng.uniform(-3, -0.5))
        coords = [[lng, lat]]
        for _ in range(int(rng.integers(2, 20))):
            lng += float(rng.uniform(-step, step))
            lat = max(-85.0, min(85.0, lat + float(rng.uniform(-step, step))))
            coords.append([lng, lat])
        out.append({"type": "LineString", "coordinates": coords})
    out.append({"type": "MultiLineString", "coordinates": [[[-73.99, 40.73], [-73.98, 40.75]], [[2.35, 48.85], [2.36, 48.86], [2.37, 48.85]]]})
    out.append({"type": "Point", "coordinates": [-122.4194, 37.7749]})
    out.append({"type": "MultiPoint", "coordinates": [[-0.1276, 51.5072], [139.6917, 35.6895], [151.2093, -33.8688]]})
    return out


def write_coverings(args):
    rng = np.random.default_rng(args.seed)
    option_sets = [
        {"min_level": 0, "max_level": 30, "max_cells": 8, "level_mod": 1},
        {"min_level": 4, "max_level": 16, "max_cells": 20, "level_mod": 1},
        {"min_level": 2, "max_level": 20, "max_cells": 50, "level_mod": 2},
        {"min_level": 6, "max_level": 18, "max_cells": 200, "level_mod": 3},
        {"min_level": 0, "max_level": 12, "max_cells": 1, "level_mod": 1},
    ]
    cases = []
    for index, geometry in enumerate(shapes(rng)):
        regions = s2_region(geometry)
        options = option_sets[index % len(option_sets)]
        covering = union_covering(regions, options)
        interior = union_covering(regions, options, interior=True) if geometry["type"] in ("Polygon", "MultiPolygon") else []
        # Fixed level: coarse enough that the cell count stays small.
        fixed_level = 0
        for level in range(0, 31):
            o = {"min_level": level, "max_level": level, "max_cells": 1 << 30, "level_mod": 1}
            if len(union_covering(regions, o)) > 300:
                break
            fixed_level = level
        fixed = union_covering(regions, {"min_level": fixed_level, "max_level": fixed_level, "max_cells": 1 << 30, "level_mod": 1})
        exact, boundary = exact_fixed(regions, fixed)
        area = sum(s2.S2Cell(s2.S2CellId(i)).ExactArea() for i in covering)
        cases.append({
            "geometry": geometry,
            "options": options,
            "covering": [str(i) for i in covering],
            "covering_area": area,
            "interior": [str(i) for i in interior],
            "fixed_level": fixed_level,
            "fixed": [str(i) for i in fixed],
            "fixed_exact": [str(i) for i in exact],
            "fixed_boundary": [str(i) for i in boundary],
            "samples": samples_of(rng, geometry, regions, 60),
        })
    with open(args.out, "w") as f:
        json.dump(cases, f, separators=(",", ":"))
        f.write("\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=["points", "cells", "coverings"])
    p.add_argument("--count", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=4)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    {"points": write_points, "cells": write_cells, "coverings": write_coverings}[args.kind](args)


if __name__ == "__main__":
    sys.exit(main())
