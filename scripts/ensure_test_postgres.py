"""Make sure the local PostgreSQL has a ``waymark_test`` database with PostGIS available.

Exit 0 when ready, 1 (with the reason on stderr) when PostgreSQL or PostGIS is missing.
Used by scripts/test.sh; CI installs PostGIS first (see .ci/run).
"""

from __future__ import annotations

import sys

import psycopg

ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=5"
TEST_DB = "waymark_test"


def main() -> int:
    try:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (TEST_DB,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{TEST_DB}"')
            available = conn.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone()
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL not reachable at 127.0.0.1:5432: {exc}", file=sys.stderr)
        return 1
    if not available:
        print("PostgreSQL is up but the PostGIS extension is not installed "
              "(apt-get install postgresql-15-postgis-3)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
