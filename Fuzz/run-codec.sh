#!/usr/bin/env bash
# Fuzzes the codec layer's C boundary (DCMTK's IJG decoders, CharLS, OpenJPEG, and the RLE
# decoder) with libFuzzer for SECONDS (default 300), seeded with the first frame of every
# compressed image among pydicom's test files. Crashes land in Fuzz/artifacts-codec/; replay
# one with `swift run CodecFuzz FILE`.
# Usage: Fuzz/run-codec.sh [seconds] [extra libFuzzer flags]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true

# SwiftPM links with gold by default, which cannot link the sanitizer runtimes here: use lld.
swift build --build-path .build-fuzz --product CodecFuzz -c release \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld
mkdir -p Fuzz/corpus-codec Fuzz/artifacts-codec
[ -n "$(ls -A Fuzz/corpus-codec)" ] || python3 Fuzz/make-codec-seeds.py Fuzz/corpus-codec
exec .build-fuzz/release/CodecFuzz Fuzz/corpus-codec -artifact_prefix=Fuzz/artifacts-codec/ \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -max_len=1100000 "$@"
