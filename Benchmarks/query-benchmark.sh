#!/usr/bin/env bash
# Study-level C-FIND latency on a catalog of STUDIES studies (default 100,000; 4 instances
# each): lifeboat serve answers pynetdicom's queries by patient ID, name prefix, date, date
# range, accession number and study UID; p50 and p99 per kind as pynetdicom sees them and as
# Lifeboat's log times them (Benchmarks/query-latency.py).
# Usage: Benchmarks/query-benchmark.sh [studies] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/lib.sh
studies=${1:-100000}
rounds=${2:-200}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

Scripts/build-deps.sh python3 dcmtk
swift build -c release --product lifeboat >/dev/null
port=$((20000 + RANDOM % 10000))
# Access control is on: pynetdicom's AE is listed with the query right.
printf 'dicom-peers: [{ae: BENCH, rights: [query]}]\n' >"$work/lifeboat.yaml"
start_lifeboat() {
    .build/release/lifeboat serve --config "$work/lifeboat.yaml" --http-port 0 --dicom-port "$port" --data "$work/data" >/dev/null 2>"$work/lifeboat.log" &
    lifeboat_pid=$!
    wait_for_dicom "$lifeboat_pid" "$port" "$work/lifeboat.log"
}
start_lifeboat
TCP_NODELAY=1 /usr/bin/storescu -aec LIFEBOAT 127.0.0.1 "$port" "$(python3 -c 'from pydicom.data import get_testdata_file as g; print(g("CT_small.dcm"))')"
kill "$lifeboat_pid"; wait "$lifeboat_pid" 2>/dev/null || true
python3 Benchmarks/fill-catalog.py "$work/data" $((studies * 4)) 4
start_lifeboat
python3 Benchmarks/query-latency.py "$port" "$work/data" "$rounds" "$work/lifeboat.log"
