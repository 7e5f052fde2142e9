#!/usr/bin/env bash
# Fuzzes what reads a DICOM peer's bytes (PDU decoder, upper-layer state machine, acceptor
# negotiation, DIMSE reassembly) with libFuzzer for SECONDS (default 300), seeded with real
# pynetdicom associations. Crashes land in Fuzz/artifacts-pdu/; replay one with
# `swift run PDUFuzz FILE`.
# Usage: Fuzz/run-pdu.sh [seconds] [extra libFuzzer flags]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true

# SwiftPM links with gold by default, which cannot link the sanitizer runtimes here: use lld.
swift build --build-path .build-fuzz --product PDUFuzz -c release \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld
mkdir -p Fuzz/corpus-pdu Fuzz/artifacts-pdu
[ -n "$(ls -A Fuzz/corpus-pdu)" ] || python3 Fuzz/make-pdu-seeds.py Fuzz/corpus-pdu
exec .build-fuzz/release/PDUFuzz Fuzz/corpus-pdu -artifact_prefix=Fuzz/artifacts-pdu/ \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=70000 "$@"
