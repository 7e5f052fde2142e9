#!/usr/bin/env bash
# Failback throughput against dcmtk storescu sending the same instances to the same PACS
# stand-in (Tests/TestSupport/Helpers/pacs_standin.py: pynetdicom storage, C-FIND and
# Storage Commitment SCP) in the same run. COUNT 512 KB CT instances in STUDIES studies are
# imported; then, taking turns for ROUNDS rounds, each against a freshly emptied PACS:
# `lifeboat failback` (C-FIND comparison of every study, C-STORE of what is missing with each
# file checked against its SHA-256 first, a Storage Commitment transaction a batch of up to
# 250 instances, the report) and storescu sending every file over one association. Prints
# MB/s of each and lifeboat/storescu (goal: at least 0.9x).
# With REPORTS=elsewhere the stand-in sends each commitment report as most PACSs do: on an
# association of its own to Lifeboat's DICOM port, after the request's association is released.
# Usage: [REPORTS=elsewhere] Benchmarks/failback-benchmark.sh [COUNT, default 400] [STUDIES, default 20] [ROUNDS, default 3] [CONCURRENCY, default 2]
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/lib.sh
count=${1:-400}
studies=${2:-20}
rounds=${3:-3}
concurrency=${4:-2}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

Scripts/build-deps.sh python3 dcmtk
python3 -c 'import pynetdicom' 2>/dev/null || python3 -m pip install --quiet pynetdicom
swift build -c release --product lifeboat >/dev/null
lifeboat=.build/release/lifeboat
python3 Benchmarks/make-ct-corpus.py "$work/corpus" "$count" --studies "$studies"
"$lifeboat" import --data "$work/site" "$work/corpus" >/dev/null
bytes=$(du -cb "$work"/corpus/*.dcm | tail -1 | cut -f1)
port=$((20000 + RANDOM % 10000))
reports=${REPORTS:-same}
standin_flags=() failback_flags=(--to "PACS@127.0.0.1:$port" --data "$work/site")
if [ "$reports" = elsewhere ]; then
    # lifeboat failback, with no server running, listens for the reports on dicom-port itself.
    printf 'data: %s\ndicom-port: %d\ndicom-nodes: [PACS@127.0.0.1:%d]\n' "$work/site" $((port + 1)) "$port" >"$work/lifeboat.yaml"
    standin_flags=(--report-to "LIFEBOAT@127.0.0.1:$((port + 1))")
    failback_flags=(--to PACS --config "$work/lifeboat.yaml")
fi

# Starts the stand-in over an empty directory; the caller stops it.
standin() {
    rm -rf "$work/pacs" && mkdir -p "$work/pacs"
    python3 Tests/TestSupport/Helpers/pacs_standin.py "$port" PACS "$work/pacs" "${standin_flags[@]}" >"$work/pacs.log" 2>&1 &
    pacs=$!
    wait_for_port "$pacs" "$port" "$work/pacs.log"
}
held() { find "$work/pacs" -name '*.dcm' | wc -l; }

best_lifeboat=999999 best_storescu=999999
for round in $(seq 1 "$rounds"); do
    standin
    t0=$(date +%s.%N)
    "$lifeboat" failback "${failback_flags[@]}" --concurrency "$concurrency" >"$work/failback.out"
    t1=$(date +%s.%N)
    [ "$(held)" -eq "$count" ] || { echo "failback left the PACS with $(held) of $count"; cat "$work/failback.out"; exit 1; }
    grep -q "$count confirmed, 0 refused" "$work/failback.out" || { echo "not every instance was confirmed:"; tail -3 "$work/failback.out"; exit 1; }
    kill "$pacs"; wait "$pacs" 2>/dev/null || true

    standin
    t2=$(date +%s.%N)
    TCP_NODELAY=1 /usr/bin/storescu -aet MODALITY -aec PACS 127.0.0.1 "$port" "$work"/corpus/*.dcm
    t3=$(date +%s.%N)
    [ "$(held)" -eq "$count" ] || { echo "storescu left the PACS with $(held) of $count"; exit 1; }
    kill "$pacs"; wait "$pacs" 2>/dev/null || true

    l=$(awk "BEGIN {print $t1 - $t0}")
    s=$(awk "BEGIN {print $t3 - $t2}")
    printf 'round %d: lifeboat failback %.3f s, storescu %.3f s\n' "$round" "$l" "$s"
    best_lifeboat=$(awk "BEGIN {print ($l < $best_lifeboat) ? $l : $best_lifeboat}")
    best_storescu=$(awk "BEGIN {print ($s < $best_storescu) ? $s : $best_storescu}")
done
awk -v b="$bytes" -v l="$best_lifeboat" -v s="$best_storescu" -v n="$count" -v k="$studies" -v r="$rounds" -v c="$concurrency" -v p="$reports" 'BEGIN {
    printf "failback to a pynetdicom PACS stand-in (commitment reports: %s association), %d instances in %d studies, %.1f MB, best of %d:\n", p == "elsewhere" ? "its own" : "the same", n, k, b / 1e6, r
    printf "  lifeboat failback (%d at once, compared, committed) %8.1f MB/s\n", c, b / 1e6 / l
    printf "  storescu (one association)                       %8.1f MB/s\n", b / 1e6 / s
    printf "  lifeboat/storescu %.2fx (goal: at least 0.9x)\n", s / l
}'
