#!/usr/bin/env bash
# Disaster recovery at hospital scale, against moto (S3) and boto3 in the same run:
# - an archive of STUDIES small studies (one ~15 KB instance each) that arrived ten days ago,
#   replicated to moto by `lifeboat serve` (blobs, manifests, change log), then last night's
#   catalog snapshot (taken over two minutes after the last of them was written, as a nightly
#   snapshot is; lifeboat reads what was written within two minutes of a snapshot's name);
# - then RECENT studies of RECENT_INSTANCES 512 KB CT instances each arriving "today", after
#   the snapshot: at the target only through the change log and their manifests;
# - the site lost; for ROUNDS rounds, taking turns: `lifeboat restore` into an empty
#   directory, and boto3 getting every blob 8 at once from the same moto.
# Prints when the catalog answered, when the last 24 hours were back (and as a share of the
# whole restore), and the whole restore's rate against boto3's. Goals: last 24 h in <= 5% of
# the whole and <= 30 s at 100,000 studies; whole restore >= 0.9x boto3.
# Also prints the CPU each side cost, its own and moto's. With CONCURRENCY="8 16 …" each round
# restores once at each number of GETs in flight (tuning; default 8, the restore's own).
# Usage: [CONCURRENCY="8"] Benchmarks/restore-scale-benchmark.sh [STUDIES, default 100000]
#        [RECENT, default 200] [RECENT_INSTANCES, default 5] [ROUNDS, default 1]
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/lib.sh
studies=${1:-100000}
recent=${2:-200}
recent_instances=${3:-5}
rounds=${4:-1}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

prepare_s3_benchmark
python3 Benchmarks/make-small-studies.py "$work/old" "$studies"
python3 Benchmarks/make-ct-corpus.py "$work/recent" $((recent * recent_instances)) --studies "$recent"

start_moto "$work" offsite
# cpu PID: the CPU seconds the process has used so far.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
cat >"$work/lifeboat.yaml" <<YAML
data: $work/site
http-port: 0
catalog-snapshot-hours: 0
change-log-seconds: 5
scrub-days: 0
replication-targets:
  - {name: offsite, type: s3, endpoint: "$endpoint", bucket: offsite}
YAML

# replicate N: serve until nothing is queued and N manifests are at moto.
replicate() {
    "$lifeboat" serve --config "$work/lifeboat.yaml" --dicom-port $(( ${endpoint##*:} + 1 )) >/dev/null 2>"$work/serve.log" &
    local serve=$!
    until "$lifeboat" replication status --data "$work/site" --json | python3 -c '
import json, sys; t = json.load(sys.stdin); sys.exit(0 if t and all(x["queueDepth"] == 0 for x in t) else 1)'; do alive "$serve" "$work/serve.log"; sleep 2; done
    until python3 - "$endpoint" "$1" <<'PY'
import sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
pages = s3.get_paginator("list_objects_v2").paginate(Bucket="offsite", Prefix="studies/")
sys.exit(0 if sum(page.get("KeyCount", 0) for page in pages) >= int(sys.argv[2]) else 1)
PY
    do alive "$serve" "$work/serve.log"; sleep 5; done
    sleep 7 # one more change-log round
    kill "$serve"; wait "$serve" 2>/dev/null || true
}

t0=$(date +%s)
"$lifeboat" import --data "$work/site" "$work/old" >/dev/null
python3 - "$work/site/catalog.sqlite" <<'PY'
import sqlite3, sys, datetime
db = sqlite3.connect(sys.argv[1])
then = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
db.execute("UPDATE version SET receivedAt = ?", (then,))
db.execute("UPDATE study SET lastReceivedAt = ?", (then,))
db.commit()
PY
replicate "$studies"
echo "the old archive is at moto after $(( $(date +%s) - t0 )) s; the snapshot follows in 125 s"
sleep 125
python3 - "$work" "$endpoint" <<'PY'
import sqlite3, sys, datetime, boto3
work, endpoint = sys.argv[1], sys.argv[2]
sqlite3.connect(f"{work}/site/catalog.sqlite").execute(f"VACUUM INTO '{work}/snapshot.sqlite'")
name = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").upload_file(f"{work}/snapshot.sqlite", "offsite", f"catalog/{name}.sqlite")
PY
sleep 2
"$lifeboat" import --data "$work/site" "$work/recent" >/dev/null
replicate $((studies + recent))
echo "ready after $(( $(date +%s) - t0 )) s"

versions=$((studies + recent * recent_instances))
for round in $(seq 1 "$rounds"); do
  for concurrency in ${CONCURRENCY:-8}; do
    m0=$(cpu "$moto")
    t1=$(date +%s.%N)
    /usr/bin/time -f "%U %S" -o "$work/restore.cpu" "$lifeboat" restore --from offsite --config "$work/lifeboat.yaml" --data "$work/restored" \
        --concurrency "$concurrency" >"$work/restore.out" 2>/dev/null
    t2=$(date +%s.%N)
    m1=$(cpu "$moto")
    /usr/bin/time -f "%U %S" -o "$work/boto3.cpu" python3 Benchmarks/boto3-download.py "$endpoint" offsite 8 "$work/boto3" >"$work/boto3.out"
    read -r b3 bytes <"$work/boto3.out"
    m2=$(cpu "$moto")
    grep -q "$versions versions in all" "$work/restore.out" || { echo "the restore did not bring back every version:"; cat "$work/restore.out"; exit 1; }
    searchable=$(sed -n 's/.*searchable after \([0-9.]*\) s.*/\1/p' "$work/restore.out")
    day=$(sed -n 's/.*were back after \([0-9.]*\) s.*/\1/p' "$work/restore.out")
    awk -v l="$(awk "BEGIN {print $t2 - $t1}")" -v o="$b3" -v b="$bytes" -v n="$versions" -v s="$searchable" -v d="$day" -v r="$round" -v c="$concurrency" \
        -v lc="$(awk '{print $1 + $2}' "$work/restore.cpu")" -v oc="$(awk '{print $1 + $2}' "$work/boto3.cpu")" -v lm="$(awk "BEGIN {print $m1 - $m0}")" \
        -v om="$(awk "BEGIN {print $m2 - $m1}")" 'BEGIN {
        printf "round %d, %d GETs in flight: %d versions, %.1f MB\n", r, c, n, b / 1e6
        printf "  catalog searchable after %6.1f s\n", s
        printf "  last 24 hours back after %6.1f s  (%.1f%% of the whole restore; goal: <= 5%% and <= 30 s)\n", d, d / l * 100
        printf "  whole restore            %6.1f s  %7.1f MB/s %7.0f blobs/s  CPU %5.1f s, moto %5.1f s\n", l, b / 1e6 / l, n / l, lc, lm
        printf "  boto3, 8 at once         %6.1f s  %7.1f MB/s %7.0f blobs/s  CPU %5.1f s, moto %5.1f s\n", o, b / 1e6 / o, n / o, oc, om
        printf "  lifeboat/boto3           %6.2fx (goal: at least 0.9x)\n", o / l
    }'
    rm -rf "$work/restored" "$work/boto3"
  done
done
