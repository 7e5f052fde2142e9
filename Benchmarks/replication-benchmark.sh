#!/usr/bin/env bash
# Replication, side by side with real peers in one run:
#  1. Lag under steady ingest: `lifeboat serve` (site A) replicates to moto (S3, authentication
#     on) and to a second `lifeboat serve` (site B, accept-replication) while paced-store.py
#     sends RATE 512 KB CT instances a second (default 100), COUNT in all (default 1000); then
#     p50/p99 of each version's lag, arrival at A to the target's confirmation, from A's catalog.
#  2. Backfill: A started again with a new S3 target (another bucket) that is owed everything
#     already stored; its throughput against boto3 putting the same blob files, with their
#     SHA-256 checksums and the same 8 uploads at once, into a third bucket of the same moto
#     (boto3 runs before and after; the better of the two is the reference).
# Usage: Benchmarks/replication-benchmark.sh [count, default 1000] [rate, default 100]
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/lib.sh
count=${1:-1000}
rate=${2:-100}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

Scripts/build-deps.sh python3 dcmtk
python3 -c 'import moto, boto3, pynetdicom' 2>/dev/null || python3 -m pip install --quiet 'moto[server]==5.2.1' boto3 pynetdicom==3.0.4
swift build -c release --product lifeboat >/dev/null
python3 Benchmarks/make-ct-corpus.py "$work/corpus" "$count"

port=$((20000 + RANDOM % 10000))
moto=$port a_dicom=$((port + 1)) b_dicom=$((port + 2)) b_http=$((port + 3))
INITIAL_NO_AUTH_ACTION_COUNT=3 python3 -m moto.server -p "$moto" >"$work/moto.log" 2>&1 &
moto_pid=$!
wait_for_port "$moto_pid" "$moto" "$work/moto.log" # not an HTTP request: the first three are the IAM set-up
keys=$(python3 Tests/TestSupport/Helpers/moto_credentials.py "http://127.0.0.1:$moto")
AWS_ACCESS_KEY_ID=$(echo "$keys" | sed -n 1p)
AWS_SECRET_ACCESS_KEY=$(echo "$keys" | sed -n 2p)
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY LIFEBOAT_REPLICATION_TOKEN=benchmark-replication-token
python3 -c "
import boto3
s3 = boto3.client('s3', endpoint_url='http://127.0.0.1:$moto', region_name='us-east-1')
for bucket in ('offsite', 'backfill', 'reference'): s3.create_bucket(Bucket=bucket)"

.build/release/lifeboat serve --data "$work/b" --dicom-port "$b_dicom" --http-port "$b_http" --accept-replication >/dev/null 2>"$work/b.log" &
b_pid=$!
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system ticks of a process
busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; } # of the whole machine
targets="  - {name: moto, type: s3, endpoint: \"http://127.0.0.1:$moto\", bucket: offsite}
  - {name: site-b, type: lifeboat, url: \"http://127.0.0.1:$b_http\"}"
start_a() { # extra target lines -> a_pid
    printf 'data: %s\nhttp-port: 0\nreplication-targets:\n%s\n%s' "$work/a" "$targets" "${1:-}" >"$work/a.yaml"
    .build/release/lifeboat serve --config "$work/a.yaml" --dicom-port "$a_dicom" >/dev/null 2>>"$work/a.log" &
    a_pid=$!
    wait_for_dicom "$a_pid" "$a_dicom" "$work/a.log"
}
owed() { sqlite3 "$work/a/catalog.sqlite" "SELECT count(*) FROM outbox o JOIN replicationTarget t ON o.targetRef = t.id WHERE t.name IN ($1)"; }
wait_for_dicom "$b_pid" "$b_dicom" "$work/b.log"
start_a

echo "1. lag, $count instances of 512 KB sent at $rate a second:"
before=$(busy) a0=$(cpu "$a_pid") b0=$(cpu "$b_pid") m0=$(cpu "$moto_pid") t0=$(date +%s.%N)
python3 Benchmarks/paced-store.py "$work/corpus" 127.0.0.1 "$a_dicom" LIFEBOAT "$rate" | sed 's/^/  /'
until [ "$(owed "'moto', 'site-b'")" = 0 ]; do alive "$a_pid" "$work/a.log"; alive "$b_pid" "$work/b.log"; sleep 0.2; done
elapsed=$(echo "$(date +%s.%N) - $t0" | bc -l)
ticks=$(getconf CLK_TCK)
printf '  until every copy was confirmed: %.1f s; the machine (%d cores) %.0f%% busy; CPU-s: site A %.1f, site B %.1f, moto %.1f\n' "$elapsed" "$(nproc)" \
    "$(echo "($(busy) - $before) / $ticks / $elapsed / $(nproc) * 100" | bc -l)" "$(echo "($(cpu "$a_pid") - $a0) / $ticks" | bc -l)" \
    "$(echo "($(cpu "$b_pid") - $b0) / $ticks" | bc -l)" "$(echo "($(cpu "$moto_pid") - $m0) / $ticks" | bc -l)"
python3 Benchmarks/replication-lag.py "$work/a/catalog.sqlite"

echo "2. backfill of $count stored instances to a new S3 target, against boto3 into the same moto:"
blobs=$(ls "$work"/a/blobs/*/*.dcm)
size=$(echo "$blobs" | xargs du -cb | tail -1 | cut -f1)
boto_first=$(python3 Benchmarks/boto3-upload.py "http://127.0.0.1:$moto" reference 8 $blobs)
kill "$a_pid"; wait "$a_pid" 2>/dev/null || true
start=$(date +%s.%N)
start_a "  - {name: backfill, type: s3, endpoint: \"http://127.0.0.1:$moto\", bucket: backfill}"
until [ "$(owed "'backfill'")" = 0 ]; do alive "$a_pid" "$work/a.log"; sleep 0.1; done
lifeboat=$(echo "$(date +%s.%N) - $start" | bc -l)
boto_second=$(python3 Benchmarks/boto3-upload.py "http://127.0.0.1:$moto" reference 8 $blobs)
boto=$(echo "if ($boto_first < $boto_second) $boto_first else $boto_second" | bc -l)
mb() { echo "$size / 1048576 / $1" | bc -l; }
printf '  boto3, 8 at once     %7.1f MB/s (%.2f s; runs: %.2f s, %.2f s)\n' "$(mb "$boto")" "$boto" "$boto_first" "$boto_second"
printf '  lifeboat backfill    %7.1f MB/s (%.2f s, start-up included): %.2fx boto3 (goal: at least 0.80x)\n' "$(mb "$lifeboat")" "$lifeboat" \
    "$(echo "$boto / $lifeboat" | bc -l)"
