"""SQLite regional text: an FTS5 index of each located entry's tokens prefixed with its region

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 21:00:00.000000

``search_fts_region`` (contentless FTS5) holds the tokens of every search entry that has a grid
cell, each prefixed with the entry's region ("r<region>x<token>", regions as on PostgreSQL: blocks
of 20 x 20 cells), so the words of a text search within a radius are looked up in the few regions
the circle touches (``app.search.sql_sqlite``). ``search_fts_region_instances`` (fts5vocab,
'instance') lists where each regional token occurs: entry and column, from which the query
computes bm25 with the country-wide statistics of ``search_fts``. Filled here from the entries
already indexed, so no reindex is needed. PostgreSQL has its own regional index (0007).
"""

from __future__ import annotations

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

REGION = "(cell / 36000 / 20 * 1800 + cell % 36000 / 20)"  # app.search.sql_postgresql.REGION, without "e."


def _prefixed(column: str) -> str:
    prefix = f"'r' || {REGION} || 'x'"
    return f"CASE WHEN {column} = '' THEN '' ELSE {prefix} || replace({column}, ' ', ' ' || {prefix}) END"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE VIRTUAL TABLE search_fts_region USING fts5(name_text, body_text, content='', "
               "tokenize='unicode61 remove_diacritics 2')")
    op.execute("CREATE VIRTUAL TABLE search_fts_region_instances USING fts5vocab(search_fts_region, 'instance')")
    op.execute(f"INSERT INTO search_fts_region(rowid, name_text, body_text) SELECT entry, {_prefixed('name_text')}, "
               f"{_prefixed('body_text')} FROM search_entry WHERE cell IS NOT NULL")
    for table in ("search_fts", "search_fts_region"):  # one b-tree each (app.search.sql_sqlite.optimize)
        op.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TABLE search_fts_region_instances")
    op.execute("DROP TABLE search_fts_region")
