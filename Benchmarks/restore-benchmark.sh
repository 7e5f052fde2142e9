#!/usr/bin/env bash
# Restore throughput from moto (S3) against boto3 downloading the same objects in the same run:
# COUNT 512 KB CT instances are imported, replicated to moto by `lifeboat serve`, and a catalog
# snapshot is put beside them in which half the versions were received ten days ago (the rest
# is "the last 24 hours"). Then, taking turns for ROUNDS rounds: `lifeboat restore` into an
# empty directory (catalog, every blob fetched, hashed, fsynced and checked against its name)
# and boto3 getting every blob with the same 8 downloads at once. moto runs without request
# authentication: with it on, moto 5.2.1 refuses the signature of any listing of a folder.
# Prints MB/s of each, lifeboat/boto3 (goal: at least 0.8x) and when the last 24 hours were
# back as a share of the whole restore.
# Usage: Benchmarks/restore-benchmark.sh [COUNT, default 500] [ROUNDS, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/lib.sh
count=${1:-500}
rounds=${2:-3}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

prepare_s3_benchmark
python3 Benchmarks/make-ct-corpus.py "$work/corpus" "$count"

start_moto "$work" offsite
cat >"$work/lifeboat.yaml" <<YAML
data: $work/site
http-port: 0
catalog-snapshot-hours: 0
scrub-days: 0
replication-targets:
  - {name: offsite, type: s3, endpoint: "$endpoint", bucket: offsite}
YAML

"$lifeboat" import --data "$work/site" "$work/corpus" >/dev/null
"$lifeboat" serve --config "$work/lifeboat.yaml" --dicom-port $(( ${endpoint##*:} + 1 )) >/dev/null 2>"$work/serve.log" &
serve=$!
until "$lifeboat" replication status --data "$work/site" --json | python3 -c '
import json, sys; t = json.load(sys.stdin); sys.exit(0 if t and all(x["queueDepth"] == 0 for x in t) else 1)'; do alive "$serve" "$work/serve.log"; sleep 1; done
until python3 -c "import boto3, sys; sys.exit(0 if boto3.client('s3', endpoint_url='$endpoint', region_name='us-east-1').list_objects_v2(Bucket='offsite', Prefix='studies/').get('KeyCount', 0) else 1)"; do alive "$serve" "$work/serve.log"; sleep 1; done
kill "$serve"; wait "$serve" 2>/dev/null || true
python3 - "$work" "$endpoint" <<'PY'
import sqlite3, sys, boto3
work, endpoint = sys.argv[1], sys.argv[2]
db = sqlite3.connect(f"{work}/site/catalog.sqlite")
db.execute(f"VACUUM INTO '{work}/snapshot.sqlite'")
snapshot = sqlite3.connect(f"{work}/snapshot.sqlite")
snapshot.execute("UPDATE version SET receivedAt = '2026-01-01T00:00:00.000Z' WHERE id % 2 = 0")
snapshot.commit()
snapshot.close()
boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").upload_file(f"{work}/snapshot.sqlite", "offsite", "catalog/20260101T000000Z.sqlite")
PY

best_lifeboat=999999 best_boto3=999999 bytes=0 recent=""
for round in $(seq 1 "$rounds"); do
    t0=$(date +%s.%N)
    "$lifeboat" restore --from offsite --config "$work/lifeboat.yaml" --data "$work/restored$round" >"$work/restore.out" 2>/dev/null
    t1=$(date +%s.%N)
    read -r b3 bytes < <(python3 Benchmarks/boto3-download.py "$endpoint" offsite 8 "$work/boto3-$round")
    l=$(awk "BEGIN {print $t1 - $t0}")
    printf 'round %d: lifeboat restore %.3f s, boto3 %.3f s\n' "$round" "$l" "$b3"
    grep -q "$count versions in all" "$work/restore.out" || { echo "the restore did not bring back every version:"; cat "$work/restore.out"; exit 1; }
    recent=$(grep "last 24 hours" "$work/restore.out" || true)
    best_lifeboat=$(awk "BEGIN {print ($l < $best_lifeboat) ? $l : $best_lifeboat}")
    best_boto3=$(awk "BEGIN {print ($b3 < $best_boto3) ? $b3 : $best_boto3}")
    rm -rf "$work/restored$round" "$work/boto3-$round"
done
awk -v b="$bytes" -v l="$best_lifeboat" -v o="$best_boto3" -v n="$count" -v r="$rounds" 'BEGIN {
    printf "restore from moto, %d blobs, %.1f MB, best of %d:\n", n, b / 1e6, r
    printf "  lifeboat restore %8.1f MB/s\n", b / 1e6 / l
    printf "  boto3 download   %8.1f MB/s\n", b / 1e6 / o
    printf "  lifeboat/boto3   %8.2fx (goal: at least 0.8x)\n", o / l
}'
echo "  $recent"
