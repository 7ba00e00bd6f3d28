"""Waymark's API, served over real HTTP, passes the Python port of the ORUK validator cleanly."""

from __future__ import annotations

import re

from importers.oruk_validator import validate_api

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def test_waymark_api_passes_the_oruk_checks_with_no_findings(live_server: str) -> None:
    report = validate_api(live_server + "/api", sample=10, seed=2024)
    assert report.findings == [], "\n".join(f"{f.level} {f.test} {f.endpoint}: {f.message}" for f in report.findings)
    assert report.passed
    for collection in ("services", "taxonomies", "taxonomy_terms", "service_at_locations"):
        details = [url for url in report.checked if re.fullmatch(rf"{live_server}/api/{collection}/{UUID}", url)]
        assert details, f"no /{collection}/<uuid> was fetched: {report.checked}"
    services = [url for url in report.checked if re.fullmatch(rf"{live_server}/api/services/{UUID}", url)]
    assert len(services) == 10
    # Several pages were walked, including one past the end.
    assert len([url for url in report.checked if "/api/services?page=" in url]) >= 3
