"""The Python port of the ORUK validator, run over real HTTP against the validator's own recorded mocks.

A stdlib ``ThreadingHTTPServer`` serves the recordings in
``shared/hsds/oruk-validator-mocks`` as an API (``/`` -> api_details.json, ``/services`` ->
service_list.json, ``/services/<id>`` -> service_full.json, ...). The Default mock is served
as a consistent API (paging rebuilt for each ``page``/``per_page``); the Fail and Warn
recordings answer page 1 verbatim, flaws and all.
"""

from __future__ import annotations

import json
import math
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from importers.oruk_validator import Finding, Report, load_profile, main, pages_to_sample, paging_problems, validate_api
from tests.conftest import ORUK_MOCKS, SHARED

App = Callable[[str, dict[str, str]], tuple[int, str, bytes]]  # (path, query) -> (status, content type, body)
Serve = Callable[[App], str]

LEGACY_PAGING = SHARED / "hsds" / "oruk-legacy-validator-testprofiles" / "OpenReferralApi.Tests" / "TestData"
DEFAULT, FAIL, WARN = (ORUK_MOCKS / f"V3.0-UK-{name}" for name in ("Default", "Fail", "Warn"))
JSON = "application/json"
HTML_PAGE = b"<!DOCTYPE html><html><head><title>Oops</title></head><body><h1>Service unavailable</h1></body></html>"
ROUTES = {  # collection -> (list recording, detail recording)
    "services": ("service_list", "service_full"),
    "taxonomies": ("taxonomy_list", "taxonomy"),
    "taxonomy_terms": ("taxonomy_term_list", "taxonomy_term"),
    "service_at_locations": ("service_at_location_list", "service_at_location_full"),
    "organizations": ("organization_list", "organization"),
}
SERVICE_ID = "ac148810-d857-441c-9679-408f346de14b"


# --------------------------------------------------------------------------- a real HTTP server


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (the timeout test) is not an error worth printing."""


@pytest.fixture()
def serve() -> Iterator[Serve]:
    """Start a real HTTP server on 127.0.0.1 for an ``App``; returns its base URL (API under ``/api``)."""
    servers: list[ThreadingHTTPServer] = []

    def start(app: App) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                params = dict(pair.split("=", 1) for pair in query.split("&") if "=" in pair)
                status, kind, body = app(path, params)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        server = QuietServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/api"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _load(folder: Path, name: str) -> Any:
    path = folder / f"{name}.json"
    if not path.exists() and name == "organization":
        path = folder / "organization_full.json"
    return json.loads(path.read_text())


def _json(body: Any, status: int = 200) -> tuple[int, str, bytes]:
    return status, JSON, json.dumps(body).encode()


def _not_found(path: str) -> tuple[int, str, bytes]:
    return _json({"code": 404, "message": f"{path} not found"}, 404)


def envelope(contents: list[Any], page: int, per_page: int) -> dict[str, Any]:
    """A correct HSDS paging envelope for one page of ``contents``."""
    chunk = contents[(page - 1) * per_page: page * per_page]
    pages = math.ceil(len(contents) / per_page)
    return {"total_items": len(contents), "total_pages": pages, "page_number": page, "size": len(chunk),
            "first_page": page == 1, "last_page": page >= pages, "empty": not chunk, "contents": chunk}


def mock_api(folder: Path, *, recorded: bool = False, services: list[dict[str, Any]] | None = None) -> App:
    """An API answering from a folder of recordings.

    ``recorded``: page 1 of a list is the recording verbatim (other pages are rebuilt from its
    contents); otherwise every page is rebuilt. ``services`` replaces the listed services, and
    ``/services/<id>`` then answers service_full.json with that id (404 for unknown ids).
    """
    def app(path: str, query: dict[str, str]) -> tuple[int, str, bytes]:
        parts = path.removeprefix("/api").strip("/").split("/")
        if parts == [""]:
            return _json(_load(folder, "api_details"))
        if parts[0] not in ROUTES or len(parts) > 2:
            return _not_found(path)
        list_name, detail_name = ROUTES[parts[0]]
        if len(parts) == 2:
            detail = _load(folder, detail_name)
            if services is not None and parts[0] == "services":
                if parts[1] not in {s["id"] for s in services}:
                    return _not_found(path)
                detail["id"] = parts[1]
            return _json(detail)
        listed = _load(folder, list_name)
        if services is not None and parts[0] == "services":
            listed = envelope(services, 1, len(services))
        page, per_page = int(query.get("page", "1")), int(query.get("per_page", "50"))
        if recorded and page == 1:
            return _json(listed)
        return _json(envelope(listed["contents"], page, per_page))
    return app


def _texts(findings: list[Finding]) -> str:
    return "\n".join(f"{f.level} {f.test} {f.endpoint} {f.message}" for f in findings)


def _only(report: Report, *, test: str | None = None, endpoint: str | None = None) -> list[Finding]:
    return [f for f in report.findings
            if (test is None or f.test == test) and (endpoint is None or f.endpoint == endpoint)]


# --------------------------------------------------------------------------- the recorded mocks


def test_the_profile_is_read_from_the_vendored_validator_profile() -> None:
    tests = load_profile()
    assert [(t.label, t.level) for t in tests] == [
        ("/", "error"), ("/services", "error"), ("/services/{id}", "error"),
        ("/taxonomies", "warning"), ("/taxonomies/{id}", "warning"),
        ("/taxonomy_terms", "warning"), ("/taxonomy_terms/{id}", "warning"),
        ("/service_at_locations", "warning"), ("/service_at_locations/{id}", "warning"),
    ]
    assert [t.ids_from for t in tests if t.ids_from] == ["/services", "/taxonomies", "/taxonomy_terms",
                                                         "/service_at_locations"]


def test_default_mock_passes_with_no_findings_at_all(serve: Serve) -> None:
    base = serve(mock_api(DEFAULT))
    report = validate_api(base)
    assert report.passed
    assert report.findings == [], _texts(report.findings)  # no warnings either: the Default mock is clean
    assert f"{base}/" in report.checked
    assert f"{base}/services?page=1&per_page=5" in report.checked
    assert f"{base}/services?page=2&per_page=5" in report.checked  # the page past the end
    for detail in (f"services/{SERVICE_ID}", "taxonomies/5c4d79d7-cc55-470e-9f1f-8cad074e4892",
                   "taxonomy_terms/3f7b145d-84af-42d7-8fae-eaca714b02b2",
                   "service_at_locations/e94c9f38-1e8f-4564-91d4-d53501ab1765"):
        assert f"{base}/{detail}" in report.checked
    assert not any("/organizations" in url for url in report.checked)  # not in the ORUK profile


def test_fail_mock_errors_name_the_endpoint_and_the_schema_path(serve: Serve) -> None:
    base = serve(mock_api(FAIL, recorded=True))
    report = validate_api(base)
    assert not report.passed
    errors = {(f.test, f.endpoint, f.message) for f in report.errors}
    page_1 = f"{base}/services?page=1&per_page=5"
    detail = f"{base}/services/{SERVICE_ID}"
    expected = {
        ("schema", "/", f"{base}/: $: 'profile' is a required property"),
        ("schema", "/", f"{base}/: $.openapi_url: 'docs-openreferraluk-org/en/latest/openapi30.json' is not a 'uri'"),
        ("schema", "/services", f"{page_1}: $.contents[0]: 'name' is a required property"),
        ("schema", "/services", f"{page_1}: $.contents[0].url: 'example_counselling' is not a 'uri'"),
        ("schema", "/services", f"{page_1}: $.contents[1].email: 'email-example_com' is not a 'email'"),
        ("schema", "/services", f"{page_1}: $.contents[2].email: False is not of type 'string'"),
        ("paging", "/services", f"{page_1}: size == len(contents) broken: size is 1 but contents holds 4 item(s)"),
        ("paging", "/services", f"{page_1}: unique ids broken: {SERVICE_ID} repeated within page 1"),
        ("schema", "/services/{id}", f"{detail}: $.email: 'email-example_com' is not a 'email'"),
        ("schema", "/services/{id}", f"{detail}: $.url: 'example/counselling' is not a 'uri'"),
    }
    assert expected <= errors, _texts(report.errors)
    # The detail endpoint answers one recorded service whatever the id: the round trip notices.
    assert any(f.test == "round_trip" and "asked for id b644a0d2-9e8a-4c33-9390-ae9ee93fc056" in f.message
               for f in report.errors)
    # Level 2 failures of the same recording are warnings, never errors.
    level_2 = {"/taxonomies", "/taxonomy_terms", "/service_at_locations"}
    assert {f.endpoint.removesuffix("/{id}") for f in report.errors} == {"/", "/services"}
    assert {f.endpoint.removesuffix("/{id}") for f in report.warnings} <= level_2
    terms = f"{base}/taxonomy_terms/0bc248fa-dc27-4650-9ba4-8f1a24ef16a2"
    assert ("schema", "/taxonomy_terms/{id}", f"{terms}: $.term_uri: 'example_com' is not a 'uri'") in {
        (f.test, f.endpoint, f.message) for f in report.warnings}


def test_warn_mock_passes_level_1_with_level_2_warnings(serve: Serve) -> None:
    base = serve(mock_api(WARN, recorded=True))
    report = validate_api(base)
    assert report.passed, _texts(report.errors)
    warned = {f.endpoint for f in report.warnings}
    assert warned == {"/taxonomies", "/taxonomy_terms", "/taxonomy_terms/{id}", "/service_at_locations/{id}"}
    messages = _texts(report.warnings)
    assert "total_pages == ceil(total_items / per_page) broken: total_pages is 10 but 10 items" in messages
    assert "last_page == (page >= total_pages) broken: last_page is true on page 1 of 2" in messages
    assert "$: 'description' is a required property" in messages
    assert "$.term_uri: 'example_com' is not a 'uri'" in messages
    assert ("asked for id e94c9f38-1e8f-4564-91d4-d53501ab1765 but the record's id is "
            '"3a19ff88-4620-4d17-9830-ac1d859eb5d5"') in messages


def test_many_services_are_paged_sampled_and_fetched_deterministically(serve: Serve) -> None:
    item = _load(DEFAULT, "service_list")["contents"][0]
    services = [{**item, "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"service-{n}"))} for n in range(23)]
    base = serve(mock_api(DEFAULT, services=services))
    report = validate_api(base, sample=5, seed=7)
    assert report.findings == [], _texts(report.findings)
    pages = [url for url in report.checked if "/services?" in url]
    assert pages == [f"{base}/services?page={n}&per_page=5" for n in (1, 3, 5, 6)]  # first, middle, last, past
    details = [url for url in report.checked if re.search(r"/services/[0-9a-f-]{36}$", url)]
    assert len(details) == len(set(details)) == 5
    listed_on_sampled_pages = {s["id"] for s in services[0:5] + services[10:15] + services[20:23]}
    assert {url.rsplit("/", 1)[1] for url in details} <= listed_on_sampled_pages
    assert validate_api(base, sample=5, seed=7).checked == report.checked


# --------------------------------------------------------------------------- broken servers


def test_html_error_pages_with_status_200_are_findings_not_crashes(serve: Serve) -> None:
    base = serve(lambda _path, _query: (200, "text/html; charset=utf-8", HTML_PAGE))
    report = validate_api(base)
    assert not report.passed
    for endpoint in ("/", "/services"):
        (finding,) = _only(report, test="response", endpoint=endpoint)
        assert finding.level == "error"
        assert "answered 200 with an HTML page (text/html; charset=utf-8), not JSON" in finding.message
    (skipped,) = _only(report, endpoint="/services/{id}")
    assert skipped.test == "round_trip" and "needs ids from /services, but it could not be read" in skipped.message
    assert {f.level for f in _only(report, endpoint="/taxonomies")} == {"warning"}


def test_truncated_json_is_a_finding_not_a_crash(serve: Serve) -> None:
    default = mock_api(DEFAULT)

    def app(path: str, query: dict[str, str]) -> tuple[int, str, bytes]:
        status, kind, body = default(path, query)
        return (status, kind, body[: len(body) // 2]) if path == "/api/services" else (status, kind, body)

    report = validate_api(serve(app))
    (finding,) = _only(report, endpoint="/services")
    assert finding.level == "error" and finding.test == "response"
    assert "answered 200 but the body is not valid JSON (application/json)" in finding.message
    assert finding.message.startswith(f"{report.base_url}/services?page=1&per_page=5: ")
    assert not report.passed
    assert _only(report, endpoint="/") == []


def test_json_null_and_wrong_shapes_are_findings(serve: Serve) -> None:
    default = mock_api(DEFAULT)

    def app(path: str, query: dict[str, str]) -> tuple[int, str, bytes]:
        if path == "/api/":
            return 200, JSON, b"null"
        if path == "/api/services":
            return _json([{"id": SERVICE_ID}])
        return default(path, query)

    report = validate_api(serve(app))
    assert [f.message.split(": ", 2)[-1] for f in _only(report, endpoint="/")] == ["None is not of type 'object'"]
    (paging,) = _only(report, test="paging", endpoint="/services")
    assert paging.message.endswith("expected a paging envelope (a JSON object), got a JSON list")
    assert "it listed no ids" in _only(report, endpoint="/services/{id}")[0].message


def test_slow_answers_time_out_as_findings(serve: Serve) -> None:
    default, release = mock_api(DEFAULT), threading.Event()

    def app(path: str, query: dict[str, str]) -> tuple[int, str, bytes]:
        if path == "/api/taxonomies":
            release.wait(5)
        return default(path, query)

    try:
        report = validate_api(serve(app), timeout=0.3)
    finally:
        release.set()
    (finding,) = _only(report, endpoint="/taxonomies")
    assert finding.level == "warning" and "no answer within 0.3 s (timeout)" in finding.message
    assert report.passed  # /taxonomies is Level 2


def test_an_unreachable_api_is_a_finding_not_a_crash() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    report = validate_api(f"http://127.0.0.1:{port}/api", timeout=2)
    assert not report.passed
    assert {f.test for f in report.findings} == {"response", "round_trip"}
    assert "request failed: ConnectionError" in _only(report, endpoint="/")[0].message


# --------------------------------------------------------------------------- paging invariants


def _legacy(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((LEGACY_PAGING / f"{name}.json").read_text())
    return payload


def paging_api(pages: dict[int, str]) -> App:
    """``/services`` answers a legacy paging payload for each page number (404 for the others)."""
    default = mock_api(DEFAULT)

    def app(path: str, query: dict[str, str]) -> tuple[int, str, bytes]:
        if path == "/api/services":
            page = int(query.get("page", "1"))
            return _json(_legacy(pages[page])) if page in pages else _not_found(path)
        return default(path, query)
    return app


@pytest.mark.parametrize(("payload", "page", "broken"), [
    ("paginationFirstPageWithIssues", 1,
     ["size == len(contents)", "first_page == (page == 1)", "unique ids"]),
    ("paginationWithIssues", 3,
     ["size == len(contents)", "total_pages == ceil(total_items / per_page)", "page fill",
      "page_number == requested page", "first_page == (page == 1)", "empty == (size == 0)", "unique ids"]),
    ("paginationLastPageWithIssues", 4,
     ["size == len(contents)", "last_page == (page >= total_pages)", "empty == (size == 0)", "unique ids"]),
])
def test_legacy_paging_payloads_with_issues_break_the_named_invariants(payload: str, page: int,
                                                                       broken: list[str]) -> None:
    problems = paging_problems(_legacy(payload), page)
    assert [p.split(" broken")[0] for p in problems] == broken, problems


def test_paging_envelope_fields_and_types() -> None:
    assert paging_problems([], 1) == ["expected a paging envelope (a JSON object), got a JSON list"]
    problems = paging_problems({"total_items": "3", "total_pages": 1, "page_number": 1, "size": 0,
                                "first_page": 1, "last_page": True, "contents": [], "next": None}, 1)
    assert problems == [
        "envelope lacks field(s) empty",
        "envelope has unexpected field(s) next (it must have exactly total_items, total_pages, page_number, "
        "size, first_page, last_page, empty, contents)",
        'total_items must be an integer, got "3"',
        "first_page must be a boolean, got 1",
    ]
    assert paging_problems(envelope(list(range(6)), 2, 5), 2) == []
    assert paging_problems(envelope(list(range(6)), 3, 5), 3) == []  # past the end: empty, last_page
    assert pages_to_sample(0) == [1] and pages_to_sample(1) == [1] and pages_to_sample(4) == [1, 3, 4]


def test_paging_issues_served_over_http_are_reported_by_invariant(serve: Serve) -> None:
    base = serve(paging_api({1: "paginationFirstPageWithIssues", 3: "paginationWithIssues",
                             4: "paginationLastPageWithIssues"}))
    report = validate_api(base)
    assert not report.passed
    paging = _only(report, test="paging", endpoint="/services")
    assert {f.level for f in paging} == {"error"}

    def on(page: int) -> list[str]:
        prefix = f"{base}/services?page={page}&per_page=5: "
        return [f.message.removeprefix(prefix) for f in paging if f.message.startswith(prefix)]

    assert on(1) == ["size == len(contents) broken: size is 4 but contents holds 5 item(s)",
                     "first_page == (page == 1) broken: first_page is false on page 1",
                     f"unique ids broken: {SERVICE_ID} repeated within page 1"]
    assert "page_number == requested page broken: asked for page 3, page_number is 2" in on(3)
    assert "empty == (size == 0) broken: empty is true with size 1" in on(3)
    assert f"unique ids broken: {SERVICE_ID} on page 3 was already on page 1" in on(3)
    assert "total_pages changed between pages: page 1 says 4, page 3 says 1" in on(3)
    assert "last_page == (page >= total_pages) broken: last_page is false on page 4 of 4" in on(4)
    assert "empty == (size == 0) broken: empty is true with size 4" in on(4)
    (past_the_end,) = _only(report, test="response", endpoint="/services")
    assert past_the_end.message == (f"{base}/services?page=5&per_page=5: "
                                    "answered HTTP 404 Not Found, expected 200 with JSON")


def test_legacy_good_paging_payloads_keep_the_flags_but_reuse_ids(serve: Serve) -> None:
    """The legacy validator's "good" pages have right flags and sizes, yet repeat an id (and the
    last page is short of total_items): the port reports only those."""
    base = serve(paging_api({1: "paginationFirstPage", 3: "pagination", 4: "paginationLastPage"}))
    report = validate_api(base)
    broken = {f.message.split(": ", 1)[1].split(" broken")[0] for f in _only(report, test="paging")}
    assert broken == {"unique ids", "page fill"}, _texts(report.findings)


# --------------------------------------------------------------------------- command line


def test_command_line_prints_json_and_exits_0_when_passing(serve: Serve, capsys: pytest.CaptureFixture[str]) -> None:
    base = serve(mock_api(DEFAULT))
    assert main([base, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["passed"] is True and printed["findings"] == []
    assert printed["counts"] == {"error": 0, "warning": 0, "checked": len(printed["checked"])}


def test_command_line_prints_a_table_and_exits_1_when_failing(serve: Serve,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    base = serve(mock_api(FAIL, recorded=True))
    assert main([base]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["LEVEL", "TEST", "ENDPOINT", "MESSAGE"]
    assert re.search(r"^ERROR +schema +/services/\{id\} +.*\$\.email: 'email-example_com' is not a 'email'$",
                     out, re.MULTILINE)
    assert out.rstrip().splitlines()[-1].startswith("FAILED: ")
