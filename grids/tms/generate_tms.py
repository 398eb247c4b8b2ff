#!/usr/bin/env python3
"""Writes the OGC Two Dimensional Tile Matrix Set 2.0 definitions Tessera ships.

Values are computed at full double precision (the published OGC examples round
them to 15 significant digits), so tile edges land where PostGIS and mercantile
put them. Run: python3 grids/tms/generate_tms.py   (rewrites grids/tms/*.json)
"""
import json
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))
PIXEL = 0.00028  # metres per pixel in the OGC standardized rendering
R = 6378137.0    # WGS84 semi-major axis, the sphere of EPSG:3857


def web_mercator_quad():
    half = math.pi * R
    matrices = []
    for z in range(0, 25):
        cell = 2 * half / 256 / 2**z
        matrices.append({
            "id": str(z),
            "scaleDenominator": cell / PIXEL,
            "cellSize": cell,
            "cornerOfOrigin": "topLeft",
            "pointOfOrigin": [-half, half],
            "matrixWidth": 2**z,
            "matrixHeight": 2**z,
            "tileWidth": 256,
            "tileHeight": 256,
        })
    return {
        "id": "WebMercatorQuad",
        "title": "Google Maps Compatible for the World",
        "uri": "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "orderedAxes": ["E", "N"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "boundingBox": {
            "lowerLeft": [-half, -half],
            "upperRight": [half, half],
            "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        },
        "tileMatrices": matrices,
    }


def world_crs84_quad():
    metres_per_degree = 2 * math.pi * R / 360
    matrices = []
    for z in range(0, 24):
        cell = 180.0 / 256 / 2**z
        matrices.append({
            "id": str(z),
            "scaleDenominator": cell * metres_per_degree / PIXEL,
            "cellSize": cell,
            "cornerOfOrigin": "topLeft",
            "pointOfOrigin": [-180.0, 90.0],
            "matrixWidth": 2 * 2**z,
            "matrixHeight": 2**z,
            "tileWidth": 256,
            "tileHeight": 256,
        })
    return {
        "id": "WorldCRS84Quad",
        "title": "CRS84 for the World",
        "uri": "http://www.opengis.net/def/tilematrixset/OGC/1.0/WorldCRS84Quad",
        "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "orderedAxes": ["Lon", "Lat"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleCRS84Quad",
        "boundingBox": {
            "lowerLeft": [-180.0, -90.0],
            "upperRight": [180.0, 90.0],
            "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        },
        "tileMatrices": matrices,
    }


for tms in (web_mercator_quad(), world_crs84_quad()):
    with open(os.path.join(HERE, tms["id"] + ".json"), "w") as f:
        json.dump(tms, f, indent=2)
        f.write("\n")
