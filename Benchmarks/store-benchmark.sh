#!/usr/bin/env bash
# Durable ingest rate of `lifeboat serve` side by side with dcmtk's storescp, in one run:
# dcmtk storescu (TCP_NODELAY=1) sends the same corpus of 512x512 CT instances
#   1. with 1 sender, to lifeboat and to storescp;
#   2. with 4 senders at once (a quarter each), to lifeboat and to storescp --fork;
#   3. with 1 sender, to lifeboat whose catalog already holds a million instances.
# It first measures what durability alone costs on this file system (Benchmarks/sync-floor.py),
# and prints the CPU time the whole machine spent on each side (senders included).
# Lifeboat fsyncs every instance and commits its catalog row before answering; storescp
# neither fsyncs nor indexes. Each figure is the best of 3 rounds, lifeboat on a fresh data
# directory each round (the same instances again would be duplicates). Then the peak RSS of
# lifeboat serve receiving one 1 GB instance.
# Usage: Benchmarks/store-benchmark.sh [instances, default 1000] [catalog size, default 1000000]
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/lib.sh
count=${1:-1000}
filled=${2:-1000000}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

Scripts/build-deps.sh python3 dcmtk
swift build -c release --product lifeboat >/dev/null
python3 Benchmarks/make-ct-corpus.py "$work/corpus" "$count"
for part in 0 1 2 3; do mkdir -p "$work/part$part"; done
i=0; for f in "$work"/corpus/*.dcm; do ln -s "$f" "$work/part$((i % 4))/"; i=$((i + 1)); done
size=$(du -smL "$work/corpus" | cut -f1)
port=$((20000 + RANDOM % 10000))

start_lifeboat() { # DATA -> sets lifeboat_pid
    port=$((port + 1))
    .build/release/lifeboat serve --http-port 0 --dicom-port "$port" --data "$1" >/dev/null 2>"$work/lifeboat.log" &
    lifeboat_pid=$!
    wait_for_dicom "$lifeboat_pid" "$port" "$work/lifeboat.log"
}
stop_lifeboat() { kill "$lifeboat_pid"; wait "$lifeboat_pid" 2>/dev/null || true; }
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; } # user nice system irq softirq
seconds() { # SENDERS AE PORT -> seconds for the whole corpus; CPU seconds used by the whole machine go to $work/cpu-AE-SENDERS
    local start end busy
    busy=$(busy_ticks)
    start=$(date +%s.%N)
    if [ "$1" = 1 ]; then
        TCP_NODELAY=1 /usr/bin/storescu -aec "$2" 127.0.0.1 "$3" "$work"/corpus/*.dcm
    else
        local pids=()
        for part in 0 1 2 3; do TCP_NODELAY=1 /usr/bin/storescu -aec "$2" 127.0.0.1 "$3" "$work/part$part"/*.dcm & pids+=($!); done
        wait "${pids[@]}"
    fi
    end=$(date +%s.%N)
    echo "($(busy_ticks) - $busy) / $(getconf CLK_TCK)" | bc -l >>"$work/cpu-$2-$1"
    echo "$end - $start" | bc -l
}
min() { echo "if ($1 < $2) $1 else $2" | bc -l; }
rate() { echo "$count / $1" | bc -l; }

# storescp: one process for 1 sender, --fork for 4 (a child per association).
mkdir -p "$work/storescp"
storescp_port=$((port - 1))
TCP_NODELAY=1 /usr/bin/storescp -aet STORESCP -od "$work/storescp" "$storescp_port" &
fork_port=$((port - 2))
TCP_NODELAY=1 /usr/bin/storescp --fork -aet STORESCP -od "$work/storescp" "$fork_port" &
sleep 1

printf '%d instances (%d MB), storescu with TCP_NODELAY=1, best of 3 rounds\n' "$count" "$size"
# The floor: with one sender that waits for each response, these run in a row per instance
# whatever the code does, on top of the time storescp needs for the whole instance.
echo "what the three commits of invariant 1 cost on this file system, per 512 KiB instance:"
python3 Benchmarks/sync-floor.py "$work"
for senders in 1 4; do
    best_lifeboat=999999; best_storescp=999999
    for round in 1 2 3; do
        start_lifeboat "$work/lifeboat-$senders-$round"
        best_lifeboat=$(min "$(seconds "$senders" LIFEBOAT "$port")" "$best_lifeboat")
        stop_lifeboat
        target=$storescp_port; [ "$senders" = 4 ] && target=$fork_port
        rm -rf "$work/storescp"/*
        best_storescp=$(min "$(seconds "$senders" STORESCP "$target")" "$best_storescp")
    done
    printf '%d sender(s): lifeboat serve (durable) %7.1f instances/s, storescp %7.1f instances/s: %.2fx (goal: at least 0.90x)\n' \
        "$senders" "$(rate "$best_lifeboat")" "$(rate "$best_storescp")" "$(echo "$best_storescp / $best_lifeboat" | bc -l)"
    printf '    CPU seconds used by the whole machine (senders included), least of 3: lifeboat %.2f, storescp %.2f\n' \
        "$(sort -n "$work/cpu-LIFEBOAT-$senders" | head -1)" "$(sort -n "$work/cpu-STORESCP-$senders" | head -1)"
done
empty=$best_lifeboat

# A catalog of a million instances: one real instance, then rows added beside it.
mkdir -p "$work/full"
start_lifeboat "$work/full"
TCP_NODELAY=1 /usr/bin/storescu -aec LIFEBOAT 127.0.0.1 "$port" "$(python3 -c 'from pydicom.data import get_testdata_file as g; print(g("CT_small.dcm"))')"
stop_lifeboat
python3 Benchmarks/fill-catalog.py "$work/full" "$filled"
best_empty=999999; best_full=999999
for round in 1 2 3; do
    start_lifeboat "$work/empty-$round"
    best_empty=$(min "$(seconds 1 LIFEBOAT "$port")" "$best_empty")
    stop_lifeboat
    cp -a "$work/full" "$work/full-$round"
    sync # the copy written out first, so its writeback does not slow the fsyncs measured
    start_lifeboat "$work/full-$round"
    best_full=$(min "$(seconds 1 LIFEBOAT "$port")" "$best_full")
    stop_lifeboat
    rm -rf "$work/full-$round" "$work/empty-$round"
done
printf 'with %d instances already cataloged: %7.1f instances/s vs %7.1f empty: %.2fx (goal: within 20%%)\n' \
    "$filled" "$(rate "$best_full")" "$(rate "$best_empty")" "$(echo "$best_empty / $best_full" | bc -l)"

# A fresh server for the memory figure, so that its peak is this instance's alone.
python3 Benchmarks/make-ct-corpus.py "$work/large" --large 1073741824
start_lifeboat "$work/lifeboat-large"
idle=$(awk '/VmRSS/ {print $2}' /proc/$lifeboat_pid/status)
TCP_NODELAY=1 /usr/bin/storescu -aec LIFEBOAT 127.0.0.1 "$port" "$work/large/large.dcm"
peak=$(awk '/VmHWM/ {print $2}' /proc/$lifeboat_pid/status)
printf 'receiving a 1 GB instance (durably): peak RSS %d MB, %d MB above idle (goal: under 64 MB)\n' $((peak / 1024)) $(((peak - idle) / 1024))
