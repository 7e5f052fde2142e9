#!/usr/bin/env bash
# Fuzzes the Part 10 reader with libFuzzer for SECONDS (default 300), seeded with the
# test files pydicom ships. Crashes land in Fuzz/artifacts/.
# Usage: Fuzz/run.sh [seconds] [extra libFuzzer flags]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true

mkdir -p Fuzz/corpus Fuzz/artifacts
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name DICOMFuzz \
    -Xcc -fmodule-map-file=Sources/CZlib/module.modulemap -lz \
    $(find Sources/DICOM -name '*.swift') Fuzz/DICOMReaderFuzz.swift -o Fuzz/dicom-fuzz

data=$(python3 -c 'import os, pydicom; print(os.path.join(os.path.dirname(pydicom.__file__), "data"))')
if [ -z "$(ls -A Fuzz/corpus)" ]; then
    find "$data/test_files" "$data/charset_files" -type f -size -64k -exec cp {} Fuzz/corpus/ \; 2>/dev/null || true
fi
exec Fuzz/dicom-fuzz Fuzz/corpus -artifact_prefix=Fuzz/artifacts/ -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 "$@"
