#!/usr/bin/env bash
# Builds the libFuzzer targets (benchmarks/fuzz/Package.swift) and runs each on its seed corpus.
#
#   benchmarks/fuzz/run.sh [TARGET ...]     TARGET: geojson wkb config api payload (default: all)
#
# Environment:
#   TESSERA_FUZZ_RUNS       executions per target (default 10000000)
#   TESSERA_FUZZ_MAX_TIME   seconds per target at most (default 0: no limit)
#   TESSERA_FUZZ_SANITIZE   -sanitize= of every Swift module (default fuzzer,address; "fuzzer" alone
#                           runs about twice as fast, but a read past a buffer then goes unnoticed,
#                           as unsafe-pointer subscripts are not bounds-checked in release builds)
#   TESSERA_FUZZ_BUILD      0: run the binaries built last time
#   TESSERA_FUZZ_ARGS       more libFuzzer options, e.g. "-max_len=65536 -jobs=2"
#
# New inputs go to the working corpus .work/corpus/TARGET (kept between runs, not committed), which
# grows from corpus/TARGET (the committed seeds) and regressions/TARGET (the inputs a fuzzer once
# failed on), both only read. A crashing input is written to crashes/TARGET/ (crash-*, timeout-*,
# oom-*; not committed); reproduce it with
#   benchmarks/fuzz/.build/release/fuzz-TARGET crashes/TARGET/crash-…
# and once it is fixed, commit it to regressions/TARGET/: the ordinary tests read both folders
# (FuzzCorpusTests, PayloadTests.fuzzPayloadInputsAreReadOrRefused) and hold every input to the
# target's properties.
# The run of a target stops at its first crash; the full log is .work/TARGET.log.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
all=(geojson wkb config api payload)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=("${all[@]}"); fi
for t in "${targets[@]}"; do
    [[ " ${all[*]} " == *" $t "* ]] || { echo "run.sh: unknown target '$t' (known: ${all[*]})" >&2; exit 2; }
done

runs=${TESSERA_FUZZ_RUNS:-10000000}
max_time=${TESSERA_FUZZ_MAX_TIME:-0}
sanitize=${TESSERA_FUZZ_SANITIZE:-fuzzer,address}

# -sanitize=fuzzer instruments every Swift module for coverage and links libFuzzer; -enable-testing
# lets the api target reach the server's internal reader helpers (@testable import TesseraServer);
# lld, because Debian's ld.gold stops with an internal error (format_file_lineno) on the ASan link.
build=(swift build -c release --package-path "$here" --scratch-path "$here/.build"
    -Xswiftc "-sanitize=$sanitize" -Xswiftc -enable-testing -Xswiftc -use-ld=lld)
if [ "${TESSERA_FUZZ_BUILD:-1}" != 0 ]; then
    for t in "${targets[@]}"; do "${build[@]}" --product "fuzz-$t"; done
fi
bin=$("${build[@]}" --show-bin-path)

# secret_file names in the config target are read from here (see Sources/fuzz-config).
sandbox="$here/.work/sandbox"
mkdir -p "$sandbox"
echo "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" >"$sandbox/secret"
echo "not a secret" >"$sandbox/junk"

# The Swift runtime's backtracer would take the crash signal from libFuzzer; leaks of the Swift
# runtime's caches are not findings.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}

summary=()
failed=0
for t in "${targets[@]}"; do
    work="$here/.work/corpus/$t"
    crashes="$here/crashes/$t"
    log="$here/.work/$t.log"
    mkdir -p "$work" "$crashes"
    before=$(find "$crashes" -type f | wc -l)
    seeds=("$here/corpus/$t")
    if [ -d "$here/regressions/$t" ]; then seeds+=("$here/regressions/$t"); fi
    dict=()
    if [ -f "$here/dictionaries/$t.dict" ]; then dict=("-dict=$here/dictionaries/$t.dict"); fi
    echo "== fuzz-$t: $runs runs (log: $log)"
    started=$(date +%s)
    set +e
    # shellcheck disable=SC2086
    (cd "$sandbox" && "$bin/fuzz-$t" "${dict[@]}" -runs="$runs" -max_total_time="$max_time" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" \
        ${TESSERA_FUZZ_ARGS:-} "$work" "${seeds[@]}" </dev/null >"$log" 2>&1)
    status=$?
    set -e
    seconds=$(($(date +%s) - started))
    executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    found=$(($(find "$crashes" -type f | wc -l) - before))
    line=$(printf '%-8s executions %-10s exec/s %-7s crashes %-2s %ss' \
        "$t" "${executed:-?}" "${rate:-?}" "$found" "$seconds")
    summary+=("$line")
    echo "$line"
    if [ "$found" -gt 0 ] || [ "$status" -ne 0 ]; then
        failed=1
        grep -E '^(SUMMARY|==[0-9]+==ERROR|.*Fatal error)|Test unit written to|^    #[0-9]+ .* in \$s' "$log" \
            | head -20 | sed 's/^/    /'
    fi
done

echo
echo "== summary (sanitize=$sanitize)"
printf '%s\n' "${summary[@]}"
exit $failed
