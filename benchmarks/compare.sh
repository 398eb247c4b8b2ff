#!/usr/bin/env bash
# Two builds of tessera side by side in one run, on the same machine, database and workloads:
#   benchmarks/compare.sh BEFORE_BINARY AFTER_BINARY [ROUNDS]
# e.g. a release build of the previous commit in a worktree against this one:
#   git worktree add /tmp/before HEAD~1 && (cd /tmp/before && swift build -c release --product tessera)
#   swift build -c release --product tessera
#   benchmarks/compare.sh /tmp/before/.build/release/tessera .build/release/tessera 3
# Each round runs, for before then after, the capture throughput (benchmarks/capture/throughput.sh:
# drain rate and commit -> queued latency) and the delivery throughput (benchmarks/delivery/throughput.sh);
# the rounds alternate so that a noisy stretch of the machine hits both. Prints every line of every
# run labelled, then the medians and the after/before ratios (> 1: after is faster; latency < 1 is better).
# TESSERA_COMPARE=drain runs only the capture drain (TESSERA_BENCH_DRAIN_ONLY), which first runs
# alternate from round to round: a drain that follows a delivery run pays for that run's checkpoint
# and vacuum (in the full mode `after` always follows `before`'s delivery run), so compare drains so.
set -euo pipefail
cd "$(dirname "$0")/.."
before=$(realpath "$1")
after=$(realpath "$2")
rounds=${3:-3}
out=$(mktemp -d)
mode=${TESSERA_COMPARE:-all}
for round in $(seq 1 "$rounds"); do
    order="before after"
    [ "$mode" = drain ] && [ $((round % 2)) -eq 0 ] && order="after before"
    for which in $order; do
        bin=$before
        [ "$which" = after ] && bin=$after
        if [ "$mode" = drain ]; then
            TESSERA_BIN=$bin TESSERA_BENCH_DRAIN_ONLY=1 benchmarks/capture/throughput.sh 2>&1 |
                sed "s/^/$which round $round capture: /" | tee -a "$out/$which"
            continue
        fi
        TESSERA_BIN=$bin benchmarks/capture/throughput.sh 2>&1 | sed "s/^/$which round $round capture: /" | tee -a "$out/$which"
        TESSERA_BIN=$bin benchmarks/delivery/throughput.sh 2>&1 | sed "s/^/$which round $round delivery: /" | tee -a "$out/$which"
    done
done
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
metric() {  # file, pattern whose first group is the number
    sed -nE "s|.*$2.*|\1|p" "$out/$1" | median
}
echo
printf '%-46s %12s %12s %8s\n' "median of $rounds rounds" before after ratio
row() {  # label, pattern
    local b a
    b=$(metric before "$2")
    a=$(metric after "$2")
    printf '%-46s %12s %12s %8s\n' "$1" "$b" "$a" "$(echo "$a $b" | awk '{printf "%.2f", $1 / $2}')"
}
row "capture drain, features/s" "capture: drain: .* = ([0-9]+) features/s"
row "capture drain, tessera serve CPU s" "capture: drain: tessera serve used ([0-9.]+) s of CPU"
if [ "$mode" = drain ]; then
    rm -rf "$out"
    exit 0
fi
row "capture commit->queued p50, ms" "capture: latency .* p50 ([0-9.]+) ms"
row "capture commit->queued p99, ms" "capture: latency .* p99 ([0-9.]+) ms"
row "delivery json 1 KB, deliveries/s steady" "delivery: json 1 KB: [0-9]+ deliveries .* ([0-9]+) deliveries/s steady"
row "delivery protobuf+zstd, deliveries/s steady" "delivery: protobuf\\+zstd: [0-9]+ deliveries .* ([0-9]+) deliveries/s steady"
# The rate over wrk's in the same run: the figure the machine's speed of the moment cancels out of.
ratio() {  # file, payload name
    sed -nE "s|.*delivery: ratio $2: ([0-9]+) / ([0-9]+) .*|\1 \2|p" "$out/$1" | awk '{printf "%.4f\n", $1 / $2}' | median
}
for payload in json "protobuf\\+zstd"; do
    b=$(ratio before "$payload")
    a=$(ratio after "$payload")
    printf '%-46s %12s %12s %8s\n' "delivery ${payload//\\/} / wrk in the same run" "$b" "$a" \
        "$(echo "$a $b" | awk '{printf "%.2f", $1 / $2}')"
done
row "delivery json 1 KB, tessera CPU µs/delivery" "delivery: json 1 KB: CPU per delivery: tessera ([0-9]+) µs"
row "delivery protobuf, tessera CPU µs/delivery" "delivery: protobuf\\+zstd: CPU per delivery: tessera ([0-9]+) µs"
rm -rf "$out"
