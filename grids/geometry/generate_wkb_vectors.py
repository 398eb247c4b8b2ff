#!/usr/bin/env python3
"""WKB/EWKB vectors written by shapely (GEOS), to check Tessera's reader against.

Each case has WKT, the hex WKB in both byte orders and dimensions, and EWKB with an SRID.
Run: .venv/bin/python grids/geometry/generate_wkb_vectors.py
"""
import json
import os

import shapely

HERE = os.path.dirname(os.path.abspath(__file__))
WKTS = [
    "POINT (1.5 -2.25)",
    "POINT Z (1 2 3)",
    "LINESTRING (0 0, 10 10, 20 -5)",
    "LINESTRING Z (0 0 1, 10 10 2)",
    "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 2 4, 4 4, 4 2, 2 2))",
    "MULTIPOINT ((0 0), (1 1))",
    "MULTILINESTRING ((0 0, 1 1), (2 2, 3 3, 4 5))",
    "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5), (5.2 5.1, 5.8 5.1, 5.8 5.7, 5.2 5.1)))",
    "GEOMETRYCOLLECTION (POINT (1 2), LINESTRING (0 0, 1 1), GEOMETRYCOLLECTION (POINT (3 4)))",
    "GEOMETRYCOLLECTION EMPTY",
    "POLYGON Z ((0 0 0, 1 0 0, 1 1 0, 0 0 0))",
    "MULTIPOLYGON (((-180 -85.0511287798066, 179.999999999 -85, 12.3456789012345 47.1, -180 -85.0511287798066)))",
]
cases = []
for wkt in WKTS:
    g = shapely.from_wkt(wkt)
    dim = 3 if shapely.has_z(g) else 2
    cases.append({
        "wkt": wkt,
        "geojson": json.loads(shapely.to_geojson(shapely.force_2d(g))),
        "ndr": shapely.to_wkb(g, hex=True, byte_order=1, output_dimension=dim),
        "xdr": shapely.to_wkb(g, hex=True, byte_order=0, output_dimension=dim),
        "ewkb_4326": shapely.to_wkb(shapely.set_srid(g, 4326), hex=True, include_srid=True, byte_order=1, output_dimension=dim, flavor="extended"),
        "iso": shapely.to_wkb(g, hex=True, byte_order=1, output_dimension=dim, flavor="iso"),
    })
with open(os.path.join(HERE, "wkb_vectors.json"), "w") as f:
    json.dump({"generator": "grids/geometry/generate_wkb_vectors.py", "shapely": shapely.__version__,
               "geos": shapely.geos_version_string, "cases": cases}, f, indent=1)
print(len(cases), "cases")
