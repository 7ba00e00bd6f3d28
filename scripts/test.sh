#!/usr/bin/env bash
# Set up and run every check: lint, types, then the test suite on SQLite and on
# PostgreSQL + PostGIS. PostgreSQL comes from WAYMARK_TEST_DATABASE_URL, or a local
# server at 127.0.0.1:5432 (user postgres) if one answers. In CI (CI=true) a missing
# PostgreSQL is a failure; on a laptop it is skipped with a warning.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/bootstrap.sh
PY=.venv/bin/python

echo "== ruff, mypy, generated models up to date"
.venv/bin/ruff check app importers schema scripts tests
.venv/bin/mypy
$PY scripts/generate_models.py --check

echo "== tests on SQLite"
$PY -m pytest "$@"

PG_URL="${WAYMARK_TEST_DATABASE_URL:-}"
if [ -z "$PG_URL" ]; then
  if $PY scripts/ensure_test_postgres.py; then
    PG_URL="postgresql+psycopg://postgres@127.0.0.1:5432/waymark_test"
  elif [ "${CI:-}" = "true" ]; then
    echo "CI: PostgreSQL + PostGIS is required and was not available" >&2
    exit 1
  else
    echo "WARNING: no PostgreSQL at 127.0.0.1:5432; PostgreSQL suite skipped" >&2
    exit 0
  fi
fi
echo "== tests on PostgreSQL + PostGIS"
WAYMARK_TEST_DATABASE_URL="$PG_URL" $PY -m pytest "$@"
