#!/usr/bin/env python3
"""Checks exactly, with s2geometry's boolean operations, that cell sets cover shapes.

    check_coverings.py IN.json OUT.json

IN is a JSON list of {"geometry": GeoJSON geometry, "cells": [decimal cell ids]}; OUT gets a
list of {"covers": bool, "detail": str}: true when the union of the cells contains the whole
shape (polygons: S2Polygon.Contains; lines: the parts of each line inside the cells add up to
its length; points: a cell contains the point's leaf cell).
"""
import json
import sys

import s2geometry as s2

from generate_vectors import s2_region


def cells_polygon(ids):
    """The union of the cells as one S2Polygon (pairwise unions, balanced)."""
    parts = [s2.S2Polygon(s2.S2Cell(s2.S2CellId(int(i)))) for i in ids]
    while len(parts) > 1:
        merged = []
        for k in range(0, len(parts) - 1, 2):
            u = s2.S2Polygon()
            u.InitToUnion(parts[k], parts[k + 1])
            merged.append(u)
        if len(parts) % 2:
            merged.append(parts[-1])
        parts = merged
    return parts[0] if parts else s2.S2Polygon()


def covers(geometry, ids):
    union = cells_polygon(ids)
    cell_ids = [s2.S2CellId(int(i)) for i in ids]
    for region in s2_region(geometry):
        if isinstance(region, s2.S2Polygon):
            if not union.Contains(region):
                return False, "polygon not contained"
        elif isinstance(region, s2.S2Polyline):
            inside = sum(p.GetLength().radians() for p in union.IntersectWithPolyline(region))
            total = region.GetLength().radians()
            if inside < total * (1 - 1e-9) - 1e-15:
                return False, "line %.3g of %.3g rad inside" % (inside, total)
        else:
            if not any(c.contains(region.id()) for c in cell_ids):
                return False, "point outside"
    return True, ""


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    out = []
    for case in cases:
        ok, detail = covers(case["geometry"], case["cells"])
        out.append({"covers": ok, "detail": detail})
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
