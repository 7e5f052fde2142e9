#!/usr/bin/env bash
# Installs the Debian packages Lifeboat builds against when they are missing:
# zlib (Deflated transfer syntax), SQLite (the catalog, through GRDB), and the codec
# libraries pixel data is decoded with: OpenJPEG (JPEG 2000, HTJ2K), CharLS (JPEG-LS) and
# libjpeg-turbo (8-bit lossy JPEG) and DCMTK's IJG decoders (JPEG 12/16-bit, lossless).
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
[ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
[ -f /usr/include/sqlite3.h ] || missing+=(libsqlite3-dev)
[ -f /usr/include/openjpeg-2.5/openjpeg.h ] || missing+=(libopenjp2-7-dev)
[ -f /usr/include/charls/charls.h ] || missing+=(libcharls-dev)
[ -f /usr/include/dcmtk/dcmjpeg/djdijg12.h ] || missing+=(libdcmtk-dev)
[ -f /usr/include/jpeglib.h ] || missing+=(libjpeg62-turbo-dev)
for package in "$@"; do
    case $package in
        python3) command -v python3 >/dev/null || missing+=(python3 python3-pip) ;;
        dcmtk) [ -x /usr/bin/storescp ] || missing+=(dcmtk) ;;
        sqlite3) command -v sqlite3 >/dev/null || missing+=(sqlite3) ;;
        chromium) command -v chromium >/dev/null || missing+=(chromium) ;;
        openjpeg-tools) command -v opj_compress >/dev/null || missing+=(libopenjp2-tools) ;;
        openjph-tools) command -v ojph_compress >/dev/null || missing+=(openjph-tools) ;;
    esac
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
