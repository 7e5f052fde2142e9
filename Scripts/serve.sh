#!/usr/bin/env bash
# Runs Lifeboat: installs what it builds against when missing, builds it, and serves.
# With no arguments: AE title LIFEBOAT on port 11112, the archive in ./lifeboat-data.
# Usage: Scripts/serve.sh [lifeboat serve options]
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/build-deps.sh
exec swift run -c release lifeboat serve "$@"
