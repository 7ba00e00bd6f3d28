"""Search backends under test: the SQL backend on the suite's database (SQLite, or PostgreSQL when
WAYMARK_TEST_DATABASE_URL is set), and Elasticsearch when WAYMARK_ELASTICSEARCH_URL is set."""

from __future__ import annotations

import os
import uuid

import pytest

from app.search.backend import SearchBackend
from app.search.sql import SqlBackend

ELASTICSEARCH_URL = os.environ.get("WAYMARK_ELASTICSEARCH_URL")
DATABASE = "postgresql" if os.environ.get("WAYMARK_TEST_DATABASE_URL") else "sqlite"


@pytest.fixture(params=[
    pytest.param("sql", id=DATABASE),
    pytest.param("elasticsearch", id="elasticsearch", marks=pytest.mark.skipif(
        not ELASTICSEARCH_URL, reason="WAYMARK_ELASTICSEARCH_URL is not set")),
])
def backend(request: pytest.FixtureRequest) -> SearchBackend:
    if request.param == "sql":
        return SqlBackend()
    from app.search.elastic import ElasticsearchBackend

    assert ELASTICSEARCH_URL
    return ElasticsearchBackend(ELASTICSEARCH_URL, f"waymark-contract-{uuid.uuid4().hex[:12]}")
