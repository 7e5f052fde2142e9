#!/usr/bin/env bash
# What access control and the audit trail cost: the same ingest and query runs against
# lifeboat serve built at REV (before security; default c4a8961) and as it is now (every
# store, query and refusal audited, the AE allow-list consulted), taking turns in each round.
#   1. Ingest: dcmtk storescu (TCP_NODELAY=1) sends INSTANCES 512x512 CT instances, 1 sender
#      and 4 senders, a fresh data directory each time; best of ROUNDS.
#   2. Query: pynetdicom's study-level C-FIND of six kinds on a catalog of STUDIES studies
#      (Benchmarks/query-latency.py), the same catalog copied for each; ROUNDS passes of 100
#      queries each, the median of the passes' p50 and p99.
# Prints now/before for each (1.00x: no cost; the goal is within 5%).
# Usage: Benchmarks/security-overhead.sh [REV] [INSTANCES, default 1000] [STUDIES, default 20000] [ROUNDS, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/lib.sh
rev=${1:-c4a8961}
count=${2:-1000}
studies=${3:-20000}
rounds=${4:-3}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; git worktree remove --force "$work/tree" 2>/dev/null || true; rm -rf "$work"' EXIT

Scripts/build-deps.sh python3 dcmtk
swift build -c release --product lifeboat >/dev/null
now=.build/release/lifeboat
# The earlier binary is built once in a worktree and kept for later runs.
before=.build/security-overhead/$rev/lifeboat
if [ ! -x "$before" ]; then
    echo "building lifeboat at $rev (once; kept in $(dirname "$before"))..."
    git worktree add --detach "$work/tree" "$rev" >/dev/null
    (cd "$work/tree" && swift build -c release --product lifeboat >/dev/null)
    mkdir -p "$(dirname "$before")"
    cp "$work/tree/.build/release/lifeboat" "$before"
fi
python3 Benchmarks/make-ct-corpus.py "$work/corpus" "$count"
for part in 0 1 2 3; do mkdir -p "$work/part$part"; done
i=0; for f in "$work"/corpus/*.dcm; do ln -s "$f" "$work/part$((i % 4))/"; i=$((i + 1)); done
printf 'dicom-peers: [{ae: BENCH, rights: [query]}]\n' >"$work/now.yaml"
port=$((20000 + RANDOM % 10000))

start() { # BINARY DATA -> lifeboat_pid; a build that knows dicom-peers gets the allow-list entry the query benchmark's AE needs
    port=$((port + 1))
    local config=()
    "$1" config example 2>/dev/null | grep -q dicom-peers && config=(--config "$work/now.yaml")
    "$1" serve "${config[@]}" --http-port 0 --dicom-port "$port" --data "$2" >/dev/null 2>"$work/serve.log" &
    lifeboat_pid=$!
    wait_for_dicom "$lifeboat_pid" "$port" "$work/serve.log"
}
stop() { kill "$lifeboat_pid"; wait "$lifeboat_pid" 2>/dev/null || true; }
ingest() { # SENDERS -> seconds
    local begin end
    begin=$(date +%s.%N)
    if [ "$1" = 1 ]; then
        TCP_NODELAY=1 /usr/bin/storescu -aec LIFEBOAT 127.0.0.1 "$port" "$work"/corpus/*.dcm
    else
        local pids=()
        for part in 0 1 2 3; do TCP_NODELAY=1 /usr/bin/storescu -aec LIFEBOAT 127.0.0.1 "$port" "$work/part$part"/*.dcm & pids+=($!); done
        wait "${pids[@]}"
    fi
    end=$(date +%s.%N)
    echo "$end - $begin" | bc -l
}
min() { echo "if ($1 < $2) $1 else $2" | bc -l; }
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "ingest: $count instances, best of $rounds rounds (instances/s)"
for senders in 1 4; do
    best_before=999999; best_now=999999
    for round in $(seq "$rounds"); do
        for which in before now; do
            [ $((round % 2)) = 0 ] && which=$([ "$which" = before ] && echo now || echo before) # alternate who goes first
            binary=$before; [ "$which" = now ] && binary=$now
            start "$binary" "$work/ingest-$which-$senders-$round"
            t=$(ingest "$senders")
            stop
            rm -rf "$work/ingest-$which-$senders-$round"
            if [ "$which" = now ]; then best_now=$(min "$t" "$best_now"); else best_before=$(min "$t" "$best_before"); fi
        done
    done
    printf '  %d sender(s): before %7.1f, now %7.1f: now/before %.3fx\n' "$senders" \
        "$(echo "$count / $best_before" | bc -l)" "$(echo "$count / $best_now" | bc -l)" "$(echo "$best_before / $best_now" | bc -l)"
done

echo "query: study-level C-FIND on $studies studies, $rounds passes each (ms at pynetdicom, median of passes)"
start "$before" "$work/catalog"
TCP_NODELAY=1 /usr/bin/storescu -aec LIFEBOAT 127.0.0.1 "$port" "$(python3 -c 'from pydicom.data import get_testdata_file as g; print(g("CT_small.dcm"))')"
stop
python3 Benchmarks/fill-catalog.py "$work/catalog" $((studies * 4)) 4 >/dev/null
for which in before now; do cp -a "$work/catalog" "$work/query-$which"; done
for round in $(seq "$rounds"); do
    for which in before now; do
        binary=$before; [ "$which" = now ] && binary=$now
        start "$binary" "$work/query-$which"
        python3 Benchmarks/query-latency.py "$port" "$work/query-$which" 100 | awk '$1 == "all" {print $3, $5}' >>"$work/query-$which.txt"
        stop
    done
done
for which in before now; do
    p50[$([ $which = before ] && echo 0 || echo 1)]=$(cut -d' ' -f1 "$work/query-$which.txt" | median)
    p99[$([ $which = before ] && echo 0 || echo 1)]=$(cut -d' ' -f2 "$work/query-$which.txt" | median)
done
printf '  p50: before %.2f, now %.2f: now/before %.3fx\n' "${p50[0]}" "${p50[1]}" "$(echo "${p50[1]} / ${p50[0]}" | bc -l)"
printf '  p99: before %.2f, now %.2f: now/before %.3fx\n' "${p99[0]}" "${p99[1]}" "$(echo "${p99[1]} / ${p99[0]}" | bc -l)"
