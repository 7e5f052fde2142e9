#!/usr/bin/env bash
# C-STORE receive rate of `lifeboat serve` side by side with dcmtk's storescp, in one run:
# dcmtk storescu (TCP_NODELAY=1) sends the same corpus of 512x512 CT instances to each,
# alternately, three rounds; then the peak RSS of `lifeboat serve` receiving one 1 GB
# instance. Neither receiver fsyncs here (lifeboat with --unsafe-no-fsync, as storescp does not).
# Usage: Benchmarks/store-benchmark.sh [instances, default 1000]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

swift build -c release --product lifeboat >/dev/null
python3 Benchmarks/make-ct-corpus.py "$work/corpus" "$count"
size=$(du -sm "$work/corpus" | cut -f1)

lifeboat_port=$((20000 + RANDOM % 10000)); storescp_port=$((lifeboat_port + 1))
.build/release/lifeboat serve --unsafe-no-fsync --dicom-port "$lifeboat_port" --data "$work/lifeboat" >/dev/null 2>&1 &
lifeboat_pid=$!
mkdir -p "$work/storescp"
TCP_NODELAY=1 /usr/bin/storescp -aet STORESCP -od "$work/storescp" "$storescp_port" &
sleep 1

send() { # AE PORT -> seconds
    local start end
    start=$(date +%s.%N)
    TCP_NODELAY=1 /usr/bin/storescu -aec "$1" 127.0.0.1 "$2" "$work"/corpus/*.dcm
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}
best_lifeboat=999999; best_storescp=999999
for round in 1 2 3; do
    t=$(send LIFEBOAT "$lifeboat_port"); best_lifeboat=$(echo "if ($t < $best_lifeboat) $t else $best_lifeboat" | bc -l)
    t=$(send STORESCP "$storescp_port"); best_storescp=$(echo "if ($t < $best_storescp) $t else $best_storescp" | bc -l)
done
rate_lifeboat=$(echo "$count / $best_lifeboat" | bc -l); rate_storescp=$(echo "$count / $best_storescp" | bc -l)
printf '%d instances (%d MB), best of 3 rounds, storescu with TCP_NODELAY=1\n' "$count" "$size"
printf 'lifeboat serve: %8.1f instances/s\n' "$rate_lifeboat"
printf 'dcmtk storescp: %8.1f instances/s\n' "$rate_storescp"
printf 'ratio:          %8.2fx storescp (goal: at least 1.0x)\n' "$(echo "$rate_lifeboat / $rate_storescp" | bc -l)"

# A fresh server for the memory figure, so that its peak is this instance's alone.
python3 Benchmarks/make-ct-corpus.py "$work/large" --large 1073741824
large_port=$((storescp_port + 1))
.build/release/lifeboat serve --dicom-port "$large_port" --data "$work/lifeboat-large" >/dev/null &
large_pid=$!
sleep 1
TCP_NODELAY=1 /usr/bin/echoscu -aec LIFEBOAT 127.0.0.1 "$large_port"
idle=$(awk '/VmRSS/ {print $2}' /proc/$large_pid/status)
TCP_NODELAY=1 /usr/bin/storescu -aec LIFEBOAT 127.0.0.1 "$large_port" "$work/large/large.dcm"
peak=$(awk '/VmHWM/ {print $2}' /proc/$large_pid/status)
printf 'receiving a 1 GB instance: peak RSS %d MB, %d MB above idle (goal: under 64 MB)\n' $((peak / 1024)) $(((peak - idle) / 1024))
