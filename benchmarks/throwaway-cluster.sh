# Sourced by benchmarks that need a PostGIS cluster of their own (faults/run.sh, latency/run.sh):
#   throwaway_cluster NAME PORT KEEP
# picks PORT, or a free port in 55000-55999 (never the shared cluster's 54329), starts a fresh cluster
# in /tmp (scripts/pg), makes a work directory, and on exit kills the driver ($driver) and every pid
# listed in $work/pids, stops and removes the cluster, and removes the work directory unless KEEP is 1
# or the run failed. Sets: work, base (the cluster's URL without a database), driver="".
# Must be sourced from the project's root.
throwaway_cluster() {
    local name=$1 port=${2:-}
    cluster_name=$name
    cluster_keep=${3:-}
    if [ -z "$port" ]; then
        for _ in $(seq 1 50); do
            local candidate=$((55000 + RANDOM % 1000))
            if ! ss -Hltn "sport = :$candidate" | grep -q .; then port=$candidate; break; fi
        done
    fi
    [ -n "$port" ] || { echo "$name: no free port in 55000-55999" >&2; exit 2; }
    [ "$port" != 54329 ] || { echo "$name: refusing the shared cluster's port 54329" >&2; exit 2; }
    export TESSERA_PG_DIR TESSERA_PG_PORT=$port
    TESSERA_PG_DIR=$(mktemp -d "/tmp/tessera-$name-pg.XXXXXX")
    work=$(mktemp -d "/tmp/tessera-$name-work.XXXXXX")
    driver=""
    trap throwaway_cluster_cleanup EXIT
    trap 'exit 130' INT TERM
    local url
    url=$(scripts/pg start) || {
        echo "$name: the cluster on port $port did not start (see $TESSERA_PG_DIR/log)" >&2
        exit 1
    }
    base=${url%/*}
}

throwaway_cluster_cleanup() {
    local status=$?
    trap - EXIT INT TERM
    [ -n "$driver" ] && kill "$driver" 2>/dev/null || true
    if [ -s "$work/pids" ]; then
        while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done <"$work/pids"
    fi
    scripts/pg stop || true
    rm -rf "$TESSERA_PG_DIR"
    if [ "$cluster_keep" = 1 ] || [ "$status" -ne 0 ]; then
        echo "$cluster_name: logs kept in $work" >&2
    else
        rm -rf "$work"
    fi
    exit "$status"
}
