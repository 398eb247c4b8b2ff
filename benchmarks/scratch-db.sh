# Sourced by the benchmarks: builds tessera (release) unless $TESSERA_BIN names a binary to measure
# instead (another build, for a side-by-side run: benchmarks/compare.sh), starts the local PostGIS
# (a cluster already listening on its port is used as it is) and makes a fresh, migrated scratch
# database named $1. Sets $tessera (the binary), $db (its URL) and $admin.
scripts/setup >/dev/null
scripts/pg start >/dev/null 2>&1 || psql "$(scripts/pg url)" -qAtc "SELECT 1" >/dev/null
tessera=${TESSERA_BIN:-.build/release/tessera}
[ -n "${TESSERA_BIN:-}" ] || swift build -c release --product tessera >/dev/null
base=$(scripts/pg url)
admin="${base%/*}/postgres"
db="${base%/*}/$1"
psql "$admin" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1 TEMPLATE tessera_template"
"$tessera" migrate --database-url "$db" 2>/dev/null
