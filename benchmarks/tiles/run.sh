#!/usr/bin/env bash
# Tile cover and WKB decode, side by side with supermercado. See run.py for the workloads.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup
.venv/bin/pip install -q --disable-pip-version-check -r benchmarks/tiles/requirements.txt
swift build -c release --package-path benchmarks --product cover-bench >/dev/null
exec .venv/bin/python benchmarks/tiles/run.py
