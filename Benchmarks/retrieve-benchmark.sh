#!/usr/bin/env bash
# Retrieve throughput of a study of INSTANCES 512x512 CT images (default 1,000; ~500 MB),
# side by side in one run with reading the same stored files with cat:
#   1. cat of the study's blob files to /dev/null;
#   2. WADO-RS: curl GETs the study (multipart/related application/dicom) to /dev/null;
#   3. C-MOVE: dcmtk movescu moves the study to dcmtk storescp --ignore (received, not stored);
#      beside it, dcmtk's own storescu sending the same files to that storescp, the
#      destination's ceiling.
# The page cache is dropped before each when this runs as root (each reads from the disk),
# else all three read warm. Each figure is the best of ROUNDS rounds (default 3).
# Usage: [ROUNDS=n] Benchmarks/retrieve-benchmark.sh [instances]
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/lib.sh
count=${1:-1000}
rounds=${ROUNDS:-3}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

Scripts/build-deps.sh python3 dcmtk
swift build -c release --product lifeboat >/dev/null
python3 Benchmarks/make-ct-corpus.py "$work/corpus" "$count"
.build/release/lifeboat import --data "$work/data" "$work/corpus" >/dev/null
study=$(python3 -c 'import pydicom, sys; print(pydicom.dcmread(sys.argv[1], stop_before_pixels=True).StudyInstanceUID)' "$(ls "$work"/corpus/*.dcm | head -1)")
blobs=$(sqlite3 "$work/data/catalog.sqlite" "SELECT v.blobHash FROM version v JOIN instance i ON v.instanceRef = i.id JOIN series r ON i.seriesRef = r.id
                                             JOIN study s ON r.studyRef = s.id WHERE s.studyInstanceUID = '$study'" \
        | while read -r hash; do echo "$work/data/blobs/${hash:0:2}/$hash.dcm"; done)
size=$(echo "$blobs" | xargs du -cb | tail -1 | cut -f1)

port=$((20000 + RANDOM % 10000)); http=$((port + 1)); dest=$((port + 2))
TCP_NODELAY=1 /usr/bin/storescp --ignore --max-pdu 131072 -aet STORESCP "$dest" &
# Access control is on: movescu's AE is listed with the retrieve right, curl sends a service user's token.
printf 'dicom-peers: [{ae: MOVESCU, rights: [query, retrieve], move-destinations: [STORESCP]}]\n' >"$work/lifeboat.yaml"
printf 'benchmark service\n' | .build/release/lifeboat user add bench --role service --password-stdin --data "$work/data" >/dev/null
token=$(.build/release/lifeboat token create bench --days 1 --data "$work/data")
.build/release/lifeboat serve --config "$work/lifeboat.yaml" --dicom-port "$port" --http-port "$http" --data "$work/data" \
    --dicom-nodes "STORESCP@127.0.0.1:$dest" >/dev/null 2>"$work/lifeboat.log" &
wait_for_dicom $! "$port" "$work/lifeboat.log"

cold() { if [ "$(id -u)" = 0 ] && [ -w /proc/sys/vm/drop_caches ]; then sync; echo 3 >/proc/sys/vm/drop_caches; fi; }
seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null; end=$(date +%s.%N); echo "$end - $start" | bc -l; }
lower() { echo "if ($1 < $2) $1 else $2" | bc -l; }
cat_study() { echo "$blobs" | xargs cat >/dev/null; }
wado() { curl -sf -H "Authorization: Bearer $token" -H 'Accept: multipart/related; type="application/dicom"' -o /dev/null "http://127.0.0.1:$http/dicom-web/studies/$study"; }
move() { TCP_NODELAY=1 /usr/bin/movescu -S -aec LIFEBOAT -aem STORESCP -k QueryRetrieveLevel=STUDY -k "StudyInstanceUID=$study" 127.0.0.1 "$port"; }
storescu() { echo "$blobs" | TCP_NODELAY=1 xargs /usr/bin/storescu -aec STORESCP 127.0.0.1 "$dest"; }

# The four take turns in each round, so that a slow spell of the shared machine falls on all.
t_cat=999999 t_wado=999999 t_move=999999 t_storescu=999999
for _ in $(seq "$rounds"); do
    cold; t_cat=$(lower "$(seconds cat_study)" "$t_cat")
    cold; t_wado=$(lower "$(seconds wado)" "$t_wado")
    cold; t_move=$(lower "$(seconds move)" "$t_move")
    cold; t_storescu=$(lower "$(seconds storescu)" "$t_storescu")
done
[ "$(id -u)" = 0 ] && [ -w /proc/sys/vm/drop_caches ] && cache="page cache dropped before each" || cache="warm page cache"
mb() { echo "$size / 1048576 / $1" | bc -l; }
printf 'a study of %d instances (%d MB), best of %d, %s:\n' "$count" $((size / 1048576)) "$rounds" "$cache"
printf '  cat of the stored files  %8.1f MB/s\n' "$(mb "$t_cat")"
printf '  WADO-RS (curl)           %8.1f MB/s: %.2fx cat (goal: at least 0.80x)\n' "$(mb "$t_wado")" "$(echo "$t_cat / $t_wado" | bc -l)"
printf '  C-MOVE (to storescp)     %8.1f MB/s: %.2fx cat (goal: at least 0.80x)\n' "$(mb "$t_move")" "$(echo "$t_cat / $t_move" | bc -l)"
printf '  dcmtk storescu, the same files to the same storescp: %.1f MB/s (C-MOVE is %.2fx that)\n' "$(mb "$t_storescu")" \
    "$(echo "$t_storescu / $t_move" | bc -l)"
