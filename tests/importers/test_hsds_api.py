"""HsdsApiFeed against real local HTTP APIs: the ORUK validator's Default mock served as a paged
HSDS 3 API, an ORUK 1.0 API, and APIs that fail, loop, lie about their paging or repeat ids."""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable
from typing import Any

import pytest

from importers.base import FeedError, SourceRecord
from importers.hsds_api import HSDS3, ORUK1, HsdsApiFeed, dialect_of_version, hsds3_service, iso_utc, oruk1_service
from importers.http import FeedHttp
from importers.identity import scope_ids
from tests.hsds_assertions import nulls, schema_errors
from tests.importers import feed_server as fs
from tests.importers.feed_server import (
    HTML_ERROR_PAGE,
    FeedServer,
    Reply,
    Request,
    hsds_envelope,
    list_item,
    load_fixture,
    oruk3_service,
    oruk3_services,
    serve_hsds_api,
    serve_oruk1_api,
)

feed_server = fs.feed_server  # the fixture, for this module's tests

SECRET = "api-key-9f8e7d6c5b4a"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def http(**options: Any) -> FeedHttp:
    options = {"timeout": (2.0, 5.0), "rng": random.Random(0), "sleep": Sleeps(), **options}
    return FeedHttp(**options)


def read(feed: HsdsApiFeed) -> tuple[list[SourceRecord], FeedError | None]:
    """Every record the feed yields, and the FeedError that stopped it (if one did)."""
    records: list[SourceRecord] = []
    try:
        for record in feed.records():
            records.append(record)
    except FeedError as exc:
        return records, exc
    return records, None


def pages_asked(server: FeedServer, path: str = "/api/services") -> list[int]:
    return [int(r.query["page"]) for r in server.requests_to(path)]


def scripted_pages(pages: Callable[[int], dict[str, Any]]) -> Callable[[Request], Reply]:
    return lambda request: Reply(json=pages(int(request.query.get("page", 1))))


def valid_hsds(record: dict[str, Any] | None) -> list[str]:
    """Schema errors of a normalised record once the harvest has scoped its ids (Waymark UUIDs)."""
    assert record is not None
    scoped = scope_ids("test-source", "service", record)
    return schema_errors(scoped, "service") + [f"{path}: null" for path in nulls(scoped)]


# --------------------------------------------------------------------------- the ORUK validator's mock


def test_the_default_mock_api_is_harvested_into_valid_hsds_services(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, [oruk3_service()])
    feed = HsdsApiFeed(url, http())
    records, error = read(feed)
    assert error is None and feed.complete and not feed.not_modified
    assert (feed.dialect, feed.version) == (HSDS3, "HSDS-UK-3.0")
    [record] = records
    assert (record.kind, record.external_id, record.origin, record.problems) == (
        "service", "ac148810-d857-441c-9679-408f346de14b", "page 1 item 1", [])
    assert record.raw == oruk3_service()  # the full record, fetched from /services/{id}
    assert record.record is not None and record.record["schedules"][0]["byday"] == "TH,FR"
    assert schema_errors(record.record, "service") == [] and valid_hsds(record.record) == []


def test_many_services_are_paged_in_order_and_the_page_after_the_last_is_checked(feed_server: FeedServer) -> None:
    services = oruk3_services(23)
    url = serve_hsds_api(feed_server, services)
    feed = HsdsApiFeed(url, http(), per_page=5)
    records, error = read(feed)
    assert error is None and feed.complete and feed.pages_read == 5
    assert [r.external_id for r in records] == [s["id"] for s in services]
    assert [r.origin for r in records[4:7]] == ["page 1 item 5", "page 2 item 1", "page 2 item 2"]
    assert pages_asked(feed_server) == [1, 2, 3, 4, 5, 6]
    assert {r.query["per_page"] for r in feed_server.requests_to("/api/services")} == {"5"}
    assert len([r for r in feed_server.requests if r.path.startswith("/api/services/")]) == 23


def test_list_items_are_used_as_they_are_without_full_records(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, oruk3_services(3))
    records, error = read(HsdsApiFeed(url, http(), full_records=False))
    assert error is None and len(records) == 3
    assert all(r.raw == list_item(r.raw) and "schedules" not in (r.record or {}) for r in records)
    assert not [r for r in feed_server.requests if r.path.startswith("/api/services/")]


# --------------------------------------------------------------------------- transient failures


def test_a_500_on_a_page_is_retried_and_the_records_arrive(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, oruk3_services(4))
    listing = feed_server.routes["/api/services"].handler
    assert listing is not None
    calls = iter(range(100))
    feed_server.route("/api/services", lambda r: Reply(status=500) if next(calls) == 0 else listing(r))
    sleeps = Sleeps()
    feed = HsdsApiFeed(url, http(sleep=sleeps))
    records, error = read(feed)
    assert error is None and feed.complete and len(records) == 4
    assert len(sleeps) == 1 and pages_asked(feed_server) == [1, 1, 2]


def test_a_429_with_retry_after_is_honoured(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, oruk3_services(2))
    listing = feed_server.routes["/api/services"].handler
    assert listing is not None
    calls = iter(range(100))
    feed_server.route("/api/services",
                      lambda r: Reply(status=429, headers={"Retry-After": "3"}) if next(calls) == 0 else listing(r))
    sleeps = Sleeps()
    records, error = read(HsdsApiFeed(url, http(sleep=sleeps)))
    assert error is None and len(records) == 2 and sleeps == [3.0]


def test_a_page_failing_after_retries_stops_the_harvest_but_earlier_records_stand(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, oruk3_services(6))
    listing = feed_server.routes["/api/services"].handler
    assert listing is not None
    feed_server.route("/api/services", lambda r: Reply(status=503) if r.query["page"] == "2" else listing(r))
    feed = HsdsApiFeed(url, http(retries=2), per_page=3)
    records, error = read(feed)
    assert len(records) == 3 and not feed.complete
    assert error is not None and str(error).startswith(f"could not read page 2 of {url}/services: ")
    assert "HTTP 503" in str(error) and "3 attempts" in str(error)


def test_timeouts_on_a_page_fail_the_harvest_naming_the_url(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, oruk3_services(1))
    feed_server.route("/api/services", Reply(json={}, delay=1.0))
    feed = HsdsApiFeed(url, http(timeout=(2.0, 0.2), retries=1))
    records, error = read(feed)
    assert records == [] and not feed.complete
    assert error is not None and f"{url}/services?page=1&per_page=100 failed after 2 attempts" in str(error)
    assert "timed out" in str(error)


@pytest.mark.parametrize(("reply", "what"), [
    (Reply(body=HTML_ERROR_PAGE), "got an HTML page (status 200)"),
    (Reply(body='{"total_pages": 1, "contents": [{"id": "a", "na', content_type="application/json"),
     "got truncated JSON"),
    (Reply(json=[{"id": "a"}]), "is not a paging envelope: expected a JSON object with contents, got a JSON array"),
    (Reply(json={"services": []}), "has no list of services (contents / content); its keys: services"),
])
def test_a_page_that_is_not_a_page_of_services_fails_the_harvest(feed_server: FeedServer, reply: Reply,
                                                                  what: str) -> None:
    url = serve_hsds_api(feed_server, [])
    feed_server.route("/api/services", reply)
    feed = HsdsApiFeed(url, http())
    records, error = read(feed)
    assert records == [] and not feed.complete
    assert error is not None and what in str(error) and "page 1" in str(error)


# --------------------------------------------------------------------------- paging that misbehaves


def _page(ids: list[str], total_pages: int | None, page: int = 1, last: bool | None = None) -> dict[str, Any]:
    """A page of minimal services; without ``total_pages`` (and ``last``) the envelope says neither."""
    contents = [{"id": ident, "name": f"Service {ident}", "status": "active"} for ident in ids]
    envelope = hsds_envelope(contents, 1, max(len(ids), 1))
    envelope |= {"total_pages": total_pages, "page_number": page, "last_page": last}
    if total_pages is None:
        del envelope["total_pages"], envelope["total_items"]
    return {k: v for k, v in envelope.items() if v is not None}


def test_a_page_repeating_an_earlier_page_is_a_loop(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, [])
    feed_server.route("/api/services", scripted_pages(lambda n: _page(["a", "b"], 5, n)))
    feed = HsdsApiFeed(url, http(), full_records=False)
    records, error = read(feed)
    assert [r.external_id for r in records] == ["a", "b"] and not feed.complete
    assert error is not None and str(error) == (
        f"page 2 repeats page 1 of {url}/services: paging loops, so the harvest stopped without withdrawing anything")


def test_total_pages_says_3_but_page_4_keeps_coming(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, [])
    feed_server.route("/api/services", scripted_pages(lambda n: _page([f"p{n}a", f"p{n}b"], 3, n)))
    feed = HsdsApiFeed(url, http(), full_records=False)
    records, error = read(feed)
    assert len(records) == 6 and not feed.complete and pages_asked(feed_server) == [1, 2, 3, 4]
    assert error is not None and f"page 4 of {url}/services holds 2 services but total_pages said 3" in str(error)


def test_total_pages_says_10_but_page_3_is_empty(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, [])
    feed_server.route("/api/services", scripted_pages(lambda n: _page([f"p{n}"] if n < 3 else [], 10, n)))
    feed = HsdsApiFeed(url, http(), full_records=False)
    records, error = read(feed)
    assert len(records) == 2 and not feed.complete
    assert error is not None and "page 3 of" in str(error) and "is empty but total_pages said 10" in str(error)


def test_an_empty_first_page_of_a_feed_claiming_services_is_not_an_empty_feed(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, [])
    feed_server.route("/api/services", Reply(json=_page([], 4) | {"total_items": 40}))
    feed = HsdsApiFeed(url, http())
    records, error = read(feed)
    assert records == [] and not feed.complete
    assert error is not None and "page 1 of" in str(error) and "is empty but total_items said 40" in str(error)


def test_paging_that_never_ends_stops_at_max_pages(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, [])
    feed_server.route("/api/services", scripted_pages(lambda n: _page([f"p{n}"], None, n)))  # no total_pages
    feed = HsdsApiFeed(url, http(), full_records=False, max_pages=5)
    records, error = read(feed)
    assert len(records) == 5 and not feed.complete
    assert error is not None and "more than 5 pages (max_pages); paging never ends" in str(error)


def test_without_total_pages_an_empty_page_ends_the_feed(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, [])
    feed_server.route("/api/services", scripted_pages(lambda n: _page([f"p{n}"] if n <= 2 else [], None, n)))
    feed = HsdsApiFeed(url, http(), full_records=False)
    records, error = read(feed)
    assert error is None and feed.complete and len(records) == 2 and pages_asked(feed_server) == [1, 2, 3]


def test_without_total_pages_the_last_page_flag_ends_the_feed(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, [])
    feed_server.route("/api/services", scripted_pages(lambda n: _page([f"p{n}"], None, n, last=n == 2)))
    feed = HsdsApiFeed(url, http(), full_records=False)
    records, error = read(feed)
    assert error is None and feed.complete and len(records) == 2 and pages_asked(feed_server) == [1, 2]


@pytest.mark.parametrize("past_the_end", [Reply(json=_page(["b"], 2, 2)), Reply(status=404, json={"error": "no page"})],
                         ids=["clamped to the last page", "404"])
def test_servers_that_clamp_or_refuse_the_page_after_the_last_are_fine(feed_server: FeedServer,
                                                                        past_the_end: Reply) -> None:
    url = serve_hsds_api(feed_server, [])
    pages = {"1": Reply(json=_page(["a"], 2, 1)), "2": Reply(json=_page(["b"], 2, 2))}
    feed_server.route("/api/services", lambda r: pages.get(r.query["page"], past_the_end))
    feed = HsdsApiFeed(url, http(), full_records=False)
    records, error = read(feed)
    assert error is None and feed.complete and [r.external_id for r in records] == ["a", "b"]


def test_an_empty_feed_is_complete(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, [])
    feed = HsdsApiFeed(url, http())
    assert read(feed) == ([], None) and feed.complete and pages_asked(feed_server) == [1]


# --------------------------------------------------------------------------- record problems


def test_duplicate_ids_across_pages_are_reported_not_dropped(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, [])
    pages = {1: ["a", "b"], 2: ["c", "a"], 3: ["b", "d"]}
    feed_server.route("/api/services", scripted_pages(lambda n: _page(pages.get(n, []), 3, n)))
    feed = HsdsApiFeed(url, http(), full_records=False)
    records, error = read(feed)
    assert error is None and feed.complete
    assert [r.external_id for r in records] == [
        "a", "b", "c", "a#duplicate at page 2 item 2", "b#duplicate at page 3 item 1", "d"]
    dupes = [r for r in records if r.problems]
    assert [(r.origin, r.problems, r.stage, r.record) for r in dupes] == [
        ("page 2 item 2", ["duplicate of page 1 item 1"], "fetch", None),
        ("page 3 item 1", ["duplicate of page 1 item 2"], "fetch", None),
    ]
    assert dupes[0].raw == {"id": "a", "name": "Service a", "status": "active"}


def test_a_failed_detail_fetch_is_a_problem_on_that_record_and_the_harvest_goes_on(feed_server: FeedServer) -> None:
    services = oruk3_services(3)
    url = serve_hsds_api(feed_server, services)
    broken = services[1]["id"]
    detail = feed_server.prefixes["/api/services/"].handler
    assert detail is not None
    feed_server.route("/api/services/", lambda r: Reply(status=502) if r.path.endswith(broken) else detail(r),
                      prefix=True)
    feed = HsdsApiFeed(url, http(retries=1))
    records, error = read(feed)
    assert error is None and feed.complete and len(records) == 3
    bad = records[1]
    assert (bad.external_id, bad.stage, bad.record, bad.raw) == (broken, "fetch", None, list_item(services[1]))
    assert bad.problems[0].startswith("could not fetch the full record: GET ") and "HTTP 502" in bad.problems[0]
    assert records[0].problems == records[2].problems == []


def test_a_listed_service_whose_detail_is_404_is_a_problem(feed_server: FeedServer) -> None:
    services = oruk3_services(2)
    url = serve_hsds_api(feed_server, services)
    feed_server.route("/api/services", scripted_pages(
        lambda n: hsds_envelope([*map(list_item, services), {"id": "gone", "name": "Gone"}], n, 100)))
    records, error = read(HsdsApiFeed(url, http()))
    assert error is None and len(records) == 3
    assert records[2].problems == [f"listed, but {url}/services/gone answered 404 (not found)"]


def test_a_detail_answering_another_id_is_a_problem(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, oruk3_services(1))
    feed_server.route("/api/services/", Reply(json=oruk3_service()), prefix=True)
    [record], error = read(HsdsApiFeed(url, http()))
    assert error is None and record.record is None and record.stage == "fetch"
    assert 'but got id "ac148810-d857-441c-9679-408f346de14b"' in record.problems[0]


def test_when_details_keep_failing_the_api_is_taken_to_be_down(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, oruk3_services(8))
    feed_server.route("/api/services/", Reply(status=503), prefix=True)
    feed = HsdsApiFeed(url, http(retries=0))
    records, error = read(feed)
    assert len(records) == 4 and all(r.stage == "fetch" for r in records) and not feed.complete
    assert error is not None and str(error).startswith("5 service details failed in a row")


def test_records_without_an_id_or_a_name_are_problems(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, [])
    items = [{"name": "No id"}, {"id": 7, "status": "active"}, "just a string", {"id": "ok", "name": "Fine"}]
    feed_server.route("/api/services", scripted_pages(lambda n: hsds_envelope(items, n, 10)))
    records, error = read(HsdsApiFeed(url, http(), full_records=False))
    assert error is None
    assert [(r.external_id, r.problems) for r in records] == [
        ("(no id: page 1 item 1)", ["no id"]), ("7", ["no name"]),
        ("(no id: page 1 item 3)", ["not a JSON object but a JSON string"]), ("ok", [])]
    assert records[1].record == {"id": "7", "status": "active"}  # kept for the maintainer to see


def test_a_record_of_several_megabytes_is_harvested_and_a_small_max_bytes_refuses_it(feed_server: FeedServer) -> None:
    big = oruk3_service() | {"description": "Walks, talks and tea. " * 250_000}  # about 5.5 MB
    url = serve_hsds_api(feed_server, [big])
    [record], error = read(HsdsApiFeed(url, http()))
    assert error is None and record.record is not None and record.record["description"] == big["description"]
    feed = HsdsApiFeed(url, http(max_bytes=1024 * 1024))
    records, error = read(feed)
    assert records == [] and not feed.complete
    assert error is not None and f"response from {url}/services?page=1&per_page=100 is larger than 1 MB" in str(error)


# --------------------------------------------------------------------------- conditional and incremental


def _with_etag(server: FeedServer, etag: str) -> None:
    listing = server.routes["/api/services"].handler
    assert listing is not None
    server.route("/api/services", lambda r: Reply(json=listing(r).json, etag=etag))


def test_a_304_on_the_only_page_means_unchanged_nothing_is_yielded_or_withdrawn(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, oruk3_services(3))
    _with_etag(feed_server, '"v1"')
    cache: dict[str, dict[str, Any]] = {}
    first = HsdsApiFeed(url, http(cache=cache))
    assert len(read(first)[0]) == 3 and first.complete
    assert cache == {f"{url}/services?page=1&per_page=100": {"etag": '"v1"', "pages": 1}}
    asked = len(feed_server.requests)
    second = HsdsApiFeed(url, http(cache=cache))
    assert read(second) == ([], None)
    assert second.not_modified and not second.complete  # complete=False: nothing may be withdrawn
    [page_1] = feed_server.requests_to("/api/services")[-1:]
    assert page_1.header("If-None-Match") == '"v1"'
    assert len(feed_server.requests) == asked + 2  # GET / and page 1: no details, no further pages
    assert cache == {f"{url}/services?page=1&per_page=100": {"etag": '"v1"', "pages": 1}}


def test_a_feed_of_several_pages_is_read_in_full_whatever_page_1_says(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, oruk3_services(4))
    _with_etag(feed_server, '"v1"')  # page 1 unchanged proves nothing about page 2
    cache: dict[str, dict[str, Any]] = {}
    assert len(read(HsdsApiFeed(url, http(cache=cache), per_page=2))[0]) == 4
    again = HsdsApiFeed(url, http(cache=cache), per_page=2)
    assert len(read(again)[0]) == 4 and again.complete
    assert feed_server.requests_to("/api/services")[-3].header("If-None-Match") is None


def test_a_failed_harvest_keeps_no_new_validators(feed_server: FeedServer) -> None:
    url = serve_hsds_api(feed_server, oruk3_services(1))
    _with_etag(feed_server, '"v2"')
    feed_server.route("/api/services/", Reply(status=500), prefix=True)
    cache: dict[str, dict[str, Any]] = {"other": {"etag": "x"}}
    failing = HsdsApiFeed(url, http(cache=cache, retries=0))
    failing.max_failed_details_in_a_row = 1
    assert read(failing)[1] is not None
    assert cache == {"other": {"etag": "x"}}  # the next harvest asks for everything again


def test_an_incremental_harvest_sends_modified_after_and_is_never_complete(feed_server: FeedServer) -> None:
    services = oruk3_services(5)  # last_modified 2024-01-01 ... 2024-01-05
    url = serve_hsds_api(feed_server, services)
    feed = HsdsApiFeed(url, http(), since=dt.datetime(2024, 1, 3, 12, 0, tzinfo=dt.UTC))
    records, error = read(feed)
    assert error is None and not feed.complete
    assert [r.external_id for r in records] == [s["id"] for s in services[3:]]
    assert {r.query.get("modified_after") for r in feed_server.requests_to("/api/services")} == {"2024-01-03T12:00:00Z"}
    assert feed.http.cache == {}


def test_modified_after_is_utc() -> None:
    plus_one = dt.timezone(dt.timedelta(hours=1))
    assert iso_utc(dt.datetime(2024, 6, 1, 10, 30, tzinfo=plus_one)) == "2024-06-01T09:30:00Z"
    assert iso_utc(dt.datetime(2024, 6, 1, 10, 30)) == "2024-06-01T10:30:00Z"  # naive: taken as UTC


# --------------------------------------------------------------------------- ORUK 1.0


def test_an_oruk_1_api_is_mapped_to_valid_hsds_3_services(feed_server: FeedServer) -> None:
    sources = load_fixture("oruk-1.0", "services_full.json")
    url = serve_oruk1_api(feed_server, sources)
    feed = HsdsApiFeed(url, http(), per_page=1)
    records, error = read(feed)
    assert error is None and feed.complete and feed.dialect == ORUK1 and feed.version is None
    assert [(r.external_id, r.origin, r.problems) for r in records] == [
        ("12045", "page 1 item 1", []), ("SVC-00231", "page 2 item 1", [])]
    assert [r.raw for r in records] == sources
    for record in records:
        assert valid_hsds(record.record) == []
    walk, carers = (r.record for r in records)
    assert walk is not None and carers is not None
    sal = walk["service_at_locations"][0]
    assert sal["schedules"] == [{"id": "1701", "description": "Every Tuesday morning", "opens_at": "10:00:00",
                                 "closes_at": "11:30:00", "byday": "TU", "freq": "WEEKLY"}]
    assert sal["location"]["addresses"][0]["postal_code"] == "LS6 2AU"
    assert walk["attributes"][0]["taxonomy_term"] == {"id": "1053", "code": "1053", "name": "Walking groups",
                                                      "description": "Walking groups", "taxonomy": "esdServiceTypes"}
    assert (walk["minimum_age"], walk.get("maximum_age"), walk["fees_description"]) == (18, None, "Free")
    assert walk["organization"]["website"] == "https://walks.example.org"
    assert (carers["status"], carers["minimum_age"], carers["maximum_age"]) == ("active", 16, 25)
    assert [s.get("byday") for s in carers["schedules"]] == ["MO,WE", "FR", None]
    assert carers["schedules"][2]["notes"] == "Day as published: Fortnightly"
    assert carers["cost_options"][0] == {"id": "CO-1", "option": "Per session", "amount": 3.5, "currency": "GBP"}
    assert carers["languages"] == [{"id": "SVC-00231/languages/1", "code": "ur"},
                                   {"id": "SVC-00231/languages/2", "name": "English"}]


def test_the_oruk_1_mapping_keeps_nothing_it_cannot_place() -> None:
    walk = oruk1_service(load_fixture("oruk-1.0", "services_full.json")[0])
    assert not {"holiday_schedules", "reviews", "deliverable_type", "attending_type", "attending_access",
                "fees", "eligibilitys", "service_taxonomys", "fundings"} & walk.keys()
    assert walk["funding"] == [{"id": "901", "source": "Leeds City Council public health grant"}]
    assert nulls(walk) == []


@pytest.mark.parametrize(("version", "dialect"), [
    ("3.0", HSDS3), ("3.1.1", HSDS3), ("HSDS-UK-3.0", HSDS3), ("1.0", ORUK1), (3.0, HSDS3), ("2.0", None),
    ("latest", None), (None, None), ({"v": 3}, None),
])
def test_the_dialect_is_read_from_the_api_version(version: Any, dialect: str | None) -> None:
    assert dialect_of_version(version) == dialect


def test_hsds_3_records_lose_their_nulls_and_get_string_ids() -> None:
    raw = {"id": 42, "name": "Walk", "alternate_name": None, "organization_id": 7,
           "phones": [{"id": 1, "number": "0113", "extension": None}, None]}
    assert hsds3_service(raw) == {"id": "42", "name": "Walk", "organization_id": "7",
                                  "phones": [{"id": "1", "number": "0113"}]}
    assert raw["alternate_name"] is None  # raw is left as fetched


# --------------------------------------------------------------------------- credentials


def test_credentials_are_sent_but_never_appear_in_errors_or_logs(feed_server: FeedServer,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = serve_hsds_api(feed_server, [])
    feed_server.route("/api/", Reply(status=503, body=f"no capacity for {SECRET}"))
    feed_server.route("/api/services", Reply(status=403, json={"error": f"key {SECRET} has expired"}))
    feed = HsdsApiFeed(url, http(headers={"X-API-Key": SECRET}, retries=1))
    records, error = read(feed)
    assert records == [] and error is not None and "HTTP 403" in str(error)
    assert SECRET not in str(error) and "[redacted]" in str(error)
    assert SECRET not in caplog.text
    assert all(r.header("X-API-Key") == SECRET for r in feed_server.requests)
