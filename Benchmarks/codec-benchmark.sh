#!/usr/bin/env bash
# Decode speed of the codec layer beside the libraries' own tools, on the same frames (a
# 512x512 16-bit CT-like image, 12 bits stored), taking turns in each round:
#   JPEG 2000 lossless (made by opj_compress):
#     1. Lifeboat's FrameDecoder, in process (median of DECODES decodes)
#     2. OpenJPEG in process through pydicom's plugin pylibjpeg-openjpeg (median of DECODES)
#     3. opj_decompress, OpenJPEG's command-line tool: one process a decode, so its time
#        includes starting and writing a PGM (median of DECODES / 10 runs)
#   JPEG-LS lossless (made by CharLS): 1. and CharLS in process through pyjpegls
#   JPEG baseline 8-bit (the same image made 8-bit, by Pillow): 1. (DCMTK's IJG 6b) and
#     libjpeg-turbo in process through Pillow
#   The first rendered image of the J2K study: GET .../rendered from `lifeboat serve` (curl's
#   time_total, median), against the raw in-process decode (goal: at most 2x).
# Each figure is the best of ROUNDS rounds (default 3).
# Usage: [ROUNDS=n] [DECODES=n] Benchmarks/codec-benchmark.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/lib.sh
rounds=${ROUNDS:-3}
decodes=${DECODES:-50}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

Scripts/build-deps.sh python3 openjpeg-tools
python3 -c 'import openjpeg, jpeg_ls' 2>/dev/null || python3 -m pip install -q pylibjpeg-openjpeg==2.6.0 pyjpegls==1.5.1
swift build -c release --product lifeboat >/dev/null
swift build -c release --product CodecBenchmark >/dev/null
read -r study series instance < <(python3 Benchmarks/make-codec-frames.py "$work")
.build/release/lifeboat import --data "$work/data" "$work/study" >/dev/null
printf 'benchmark service\n' | .build/release/lifeboat user add bench --role service --password-stdin --data "$work/data" >/dev/null
token=$(.build/release/lifeboat token create bench --days 1 --data "$work/data")
port=$((20000 + RANDOM % 10000)); http=$((port + 1))
.build/release/lifeboat serve --dicom-port "$port" --http-port "$http" --data "$work/data" >/dev/null 2>"$work/lifeboat.log" &
wait_for_port $! "$http" "$work/lifeboat.log"

ours() { .build/release/CodecBenchmark "$1" "$2" 512 512 "${3:-16}" "${4:-12}" "$decodes"; }
theirs() { python3 Benchmarks/reference-decode.py "$1" "$decodes"; }
opj() {
    local times=() start end
    for _ in $(seq $((decodes / 10 > 0 ? decodes / 10 : 1))); do
        start=$(date +%s%N); opj_decompress -quiet -i "$work/frame.j2k" -o "$work/out.pgm" >/dev/null; end=$(date +%s%N)
        times+=("$(echo "($end - $start) / 1000000" | bc -l)")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f\n", a[int((NR + 1) / 2)] }'
}
rendered() {
    local url="http://127.0.0.1:$http/dicom-web/studies/$study/series/$series/instances/$instance/rendered" times=()
    for _ in $(seq 10); do
        times+=("$(curl -sf -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $token" -H 'Accept: image/png' "$url" | awk '{ print $1 * 1000 }')")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f\n", a[int((NR + 1) / 2)] }'
}
lower() { echo "if ($1 < $2) $1 else $2" | bc -l; }

j2k=1.2.840.10008.1.2.4.90 jls=1.2.840.10008.1.2.4.80
a=999999 b=999999 c=999999 d=999999 e=999999 f=999999 g=999999 h=999999
for _ in $(seq "$rounds"); do
    a=$(lower "$(ours $j2k "$work/frame.j2k")" "$a")
    b=$(lower "$(theirs "$work/frame.j2k")" "$b")
    c=$(lower "$(opj)" "$c")
    d=$(lower "$(ours $jls "$work/frame.jls")" "$d")
    e=$(lower "$(theirs "$work/frame.jls")" "$e")
    f=$(lower "$(rendered)" "$f")
    g=$(lower "$(ours 1.2.840.10008.1.2.4.50 "$work/frame.jpg" 8 8)" "$g")
    h=$(lower "$(theirs "$work/frame.jpg")" "$h")
done
printf 'a 512x512 16-bit frame (12 bits stored), best of %d rounds of medians:\n' "$rounds"
printf '  JPEG 2000 lossless (%d bytes)\n' "$(stat -c %s "$work/frame.j2k")"
printf '    Lifeboat FrameDecoder          %8.2f ms\n' "$a"
printf '    OpenJPEG via pylibjpeg         %8.2f ms  (Lifeboat takes %.2fx its time)\n' "$b" "$(echo "$a / $b" | bc -l)"
printf '    opj_decompress, one process    %8.2f ms  (start-up and PGM writing included)\n' "$c"
printf '  JPEG-LS lossless (%d bytes)\n' "$(stat -c %s "$work/frame.jls")"
printf '    Lifeboat FrameDecoder          %8.2f ms\n' "$d"
printf '    CharLS via pyjpegls            %8.2f ms  (Lifeboat takes %.2fx its time)\n' "$e" "$(echo "$d / $e" | bc -l)"
printf '  JPEG baseline 8-bit (%d bytes, made 8-bit by Pillow)\n' "$(stat -c %s "$work/frame.jpg")"
printf '    Lifeboat FrameDecoder             %5.2f ms\n' "$g"
printf '    libjpeg-turbo via Pillow          %5.2f ms  (Lifeboat takes %.2fx its time)\n' "$h" "$(echo "$g / $h" | bc -l)"
printf '  first rendered image of the J2K study (PNG over HTTP) %.2f ms: %.2fx the raw decode (goal: at most 2x)\n' "$f" "$(echo "$f / $a" | bc -l)"
