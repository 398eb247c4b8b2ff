#!/usr/bin/env bash
# S2 side by side: Tessera vs Debian's libs2 (C++) vs pywraps2, on the same inputs in one run.
# Installs libs2-dev when missing, compiles benchmarks/s2/s2_native.cc, builds s2-bench in
# release, then runs benchmarks/s2/run.py, which prints ns/op and the ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup
if ! dpkg-query -W -f='${Status}' libs2-dev 2>/dev/null | grep -q "install ok installed"; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libs2-dev g++ >/dev/null
fi
mkdir -p benchmarks/out
g++ -O2 -std=c++17 -o benchmarks/out/s2_native benchmarks/s2/s2_native.cc -ls2
swift build -c release --package-path benchmarks --product s2-bench >/dev/null
bin=$(swift build -c release --package-path benchmarks --show-bin-path)
exec .venv/bin/python benchmarks/s2/run.py "$bin/s2-bench" benchmarks/out/s2_native
