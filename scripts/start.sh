#!/usr/bin/env bash
# Set up and run the directory: venv, install, migrate, load the Leeds demo through
# the importer, then serve on http://127.0.0.1:${WAYMARK_PORT:-5000}/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/bootstrap.sh
.venv/bin/waymark db upgrade
.venv/bin/waymark demo
exec .venv/bin/waymark serve
