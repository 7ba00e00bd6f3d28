"""Alembic environment: the URL and connection come from ``app.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from app.models import Base
from app.models.search import include_name

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run(conn)


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True,
                      include_name=include_name)  # FTS/R*Tree/PostGIS DDL lives in migration 0005 only
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
