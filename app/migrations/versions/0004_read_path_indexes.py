"""read path indexes: (name, id) for paging, partial indexes on nullable foreign keys

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 16:30:00.000000

- ``service`` and ``organization`` lists page with ``ORDER BY name, id``: an index in
  that order lets the database walk it (and count over it) instead of sorting the whole
  table for every page. It replaces the single-column ``name`` index.
- A nullable foreign key of the HSDS link tables is mostly NULL (a phone belongs to a
  service *or* a location *or* a contact ...). With a full index, SQLite's ANALYZE
  records that one key matches every row and the planner scans the table for
  ``location_id IN (...)``. Indexing only ``WHERE column IS NOT NULL`` fixes the
  statistics; ``=`` and ``IN`` lookups imply ``IS NOT NULL`` and still use the index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

NAME_ORDER = ("service", "organization")

PARTIAL = {  # table -> nullable foreign key columns
    "location": ["organization_id"],
    "taxonomy_term": ["taxonomy_id"],
    "accessibility": ["location_id"],
    "address": ["location_id"],
    "service": ["program_id"],
    "funding": ["organization_id", "service_id"],
    "required_document": ["service_id"],
    "service_area": ["service_id"],
    "url": ["organization_id", "service_id"],
    "contact": ["location_id", "organization_id", "service_at_location_id", "service_id"],
    "schedule": ["location_id", "service_at_location_id", "service_id"],
    "phone": ["contact_id", "location_id", "organization_id", "service_at_location_id", "service_id"],
    "language": ["location_id", "phone_id", "service_id"],
}


def _where(column: str) -> dict[str, sa.TextClause]:
    clause = sa.text(f"{column} IS NOT NULL")
    return {"sqlite_where": clause, "postgresql_where": clause}


def upgrade() -> None:
    for table in NAME_ORDER:
        op.drop_index(f"ix_{table}_name", table_name=table)
        op.create_index(f"ix_{table}_name_id", table, ["name", "id"], unique=False)
    for table, columns in PARTIAL.items():
        for column in columns:
            op.drop_index(f"ix_{table}_{column}", table_name=table)
            op.create_index(f"ix_{table}_{column}", table, [column], unique=False, **_where(column))


def downgrade() -> None:
    for table, columns in PARTIAL.items():
        for column in columns:
            op.drop_index(f"ix_{table}_{column}", table_name=table)
            op.create_index(f"ix_{table}_{column}", table, [column], unique=False)
    for table in NAME_ORDER:
        op.drop_index(f"ix_{table}_name_id", table_name=table)
        op.create_index(f"ix_{table}_name", table, ["name"], unique=False)
