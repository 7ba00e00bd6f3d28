"""Fuzz every API operation from the OpenAPI document: no input may give a 500.

Schemathesis generates valid and invalid query strings and path ids from the
document the app serves; each response must not be a server error, and a 2xx
must match the documented response schema. Bounded: 30 examples per operation.
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error


@pytest.fixture(scope="module")
def api_schema(demo_app: Flask) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_wsgi("/api/openapi.json", demo_app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_no_input_gives_a_server_error(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, (case.path, case.query, response.text[:300])
    case.validate_response(response, checks=[not_a_server_error])


@pytest.fixture(scope="module")
def search_schema(demo_app: Flask) -> schemathesis.BaseSchema:
    """Only the two search endpoints, whose many combinable parameters deserve more examples."""
    loaded = schemathesis.openapi.from_wsgi("/api/openapi.json", demo_app)
    return loaded.include(path=["/services", "/service_at_locations"], method="GET")


search = schemathesis.pytest.from_fixture("search_schema")


@search.parametrize()
@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_no_search_input_gives_a_server_error(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, (case.path, case.query, response.text[:300])
    case.validate_response(response, checks=[not_a_server_error])
