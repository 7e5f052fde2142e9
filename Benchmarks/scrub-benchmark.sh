#!/usr/bin/env bash
# Scrub throughput against `openssl dgst -sha256` over the same blob files in the same run:
# COUNT 512 KB CT instances imported into a fresh archive, then, taking turns for ROUNDS
# rounds, `lifeboat verify --local-only` (every blob read and hashed, both cores) and openssl
# hashing every file under blobs/ (one process, as an operator would check them by hand).
# The files are read once before timing, so both read from the page cache.
# Prints MB/s of each and lifeboat/openssl (goal: at least 1.0x).
# Usage: Benchmarks/scrub-benchmark.sh [COUNT, default 1000] [ROUNDS, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000}
rounds=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

Scripts/build-deps.sh python3
swift build -c release --product lifeboat >/dev/null
lifeboat=.build/release/lifeboat
python3 Benchmarks/make-ct-corpus.py "$work/corpus" "$count"
"$lifeboat" import --data "$work/data" "$work/corpus" >/dev/null
find "$work/data/blobs" -name '*.dcm' -print0 | sort -z >"$work/files"
bytes=$(xargs -0 cat <"$work/files" | wc -c)
xargs -0 cat <"$work/files" >/dev/null # warm the page cache for both

now() { date +%s.%N; }
best_lifeboat=999999 best_openssl=999999
for round in $(seq 1 "$rounds"); do
    t0=$(now)
    "$lifeboat" verify --data "$work/data" --local-only >"$work/verify.out" 2>/dev/null
    t1=$(now)
    xargs -0 openssl dgst -sha256 <"$work/files" >/dev/null
    t2=$(now)
    l=$(awk "BEGIN {print $t1 - $t0}") o=$(awk "BEGIN {print $t2 - $t1}")
    printf 'round %d: lifeboat %.3f s, openssl %.3f s\n' "$round" "$l" "$o"
    best_lifeboat=$(awk "BEGIN {print ($l < $best_lifeboat) ? $l : $best_lifeboat}")
    best_openssl=$(awk "BEGIN {print ($o < $best_openssl) ? $o : $best_openssl}")
done
grep -q "local: $count checked" "$work/verify.out" || { echo "lifeboat verify did not check every blob:"; cat "$work/verify.out"; exit 1; }
awk -v b="$bytes" -v l="$best_lifeboat" -v o="$best_openssl" -v n="$count" -v r="$rounds" -v c="$(nproc)" 'BEGIN {
    printf "scrub, %d blobs, %.1f MB, best of %d, %d cores:\n", n, b / 1e6, r, c
    printf "  lifeboat verify  %8.1f MB/s\n", b / 1e6 / l
    printf "  openssl dgst     %8.1f MB/s\n", b / 1e6 / o
    printf "  lifeboat/openssl %8.2fx (goal: at least 1.0x)\n", o / l
}'
