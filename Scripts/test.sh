#!/usr/bin/env bash
# The test command: installs what the tests need when it is missing, then runs them.
# Usage: Scripts/test.sh [extra swift test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: zlib and SQLite headers to build, Python for the pydicom helpers,
# dcmtk as a real DICOM peer, Chromium as a real browser for the viewer, OpenJPEG's and
# OpenJPH's encoders (opj_compress, ojph_compress) for the JPEG 2000 and HTJ2K test images.
Scripts/build-deps.sh python3 dcmtk chromium openjpeg-tools openjph-tools

# Python packages: pydicom is the reference the corpus tests compare with (its wheel also
# carries the test files); pynetdicom is a second real DICOM peer; dicomweb-client a real
# DICOMweb peer.
pip_install() {
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "$@" \
        || python3 -m pip install --quiet --break-system-packages "$@"
}
if ! python3 -c 'import pydicom, sys; sys.exit(pydicom.__version__ != "3.0.2")' 2>/dev/null; then
    echo "test.sh: installing pydicom 3.0.2"
    pip_install pydicom==3.0.2
fi
if ! python3 -c 'import pynetdicom, sys; sys.exit(pynetdicom.__version__ != "3.0.4")' 2>/dev/null; then
    echo "test.sh: installing pynetdicom 3.0.4"
    pip_install pynetdicom==3.0.4
fi
if ! python3 -c 'import dicomweb_client, sys; sys.exit(dicomweb_client.__version__ != "0.61.2")' 2>/dev/null; then
    echo "test.sh: installing dicomweb-client 0.61.2"
    pip_install dicomweb-client==0.61.2
fi
# moto: a real S3 API for the S3 client and replication tests; boto3 makes their IAM user.
if ! python3 -c 'import moto, boto3, sys; sys.exit(moto.__version__ != "5.2.1")' 2>/dev/null; then
    echo "test.sh: installing moto 5.2.1"
    pip_install 'moto[server]==5.2.1' boto3
fi
# aiosmtpd: a real SMTP server for the alert tests.
if ! python3 -c 'import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != "1.4.6")' 2>/dev/null; then
    echo "test.sh: installing aiosmtpd 1.4.6"
    pip_install aiosmtpd==1.4.6
fi
# pydicom's pixel-data plugins: the reference decoders the codec
# layer is compared with (OpenJPEG, libjpeg, CharLS builds of their own).
if ! python3 -c 'import pylibjpeg, openjpeg, libjpeg, jpeg_ls' 2>/dev/null; then
    echo "test.sh: installing pydicom's pixel-data plugins"
    pip_install pylibjpeg==2.1.0 pylibjpeg-openjpeg==2.6.0 pylibjpeg-libjpeg==2.5.0 pyjpegls==1.5.1
fi
# numpy and Pillow: the reference the drawn pictures are compared with.
if ! python3 -c 'import numpy, PIL' 2>/dev/null; then
    echo "test.sh: installing numpy and Pillow"
    pip_install numpy Pillow
fi

# The release build too: it is what the README's run command and the benchmarks use, and
# its optimizer has crashed on code the debug build takes.
swift build -c release --product lifeboat
swift build --build-tests
# The issues the run recorded are said again at its end: a CI page that shows only the tail
# of a long log then names the test that failed.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
swift test --skip-build "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
    echo "test.sh: swift test exited with $status; the issues it recorded:"
    grep -E '^(✘ Test .*(recorded an issue|failed after)|↳ )' "$log" | head -40 || true
fi
exit "$status"
