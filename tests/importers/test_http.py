"""FeedHttp against a real local HTTP server: retries, Retry-After, timeouts, limits, bad JSON,
conditional requests and credentials. ``sleep`` is a recorder, so no test waits for a backoff."""

from __future__ import annotations

import codecs
import email.utils
import json
import logging
import random
import socket
from typing import Any

import pytest

from importers.base import FeedError
from importers.http import NOT_MODIFIED, FeedHttp, FeedHttpError, human_size, retry_after_seconds
from tests.importers import feed_server as fs
from tests.importers.feed_server import HTML_ERROR_PAGE, FeedServer, Reply

feed_server = fs.feed_server  # the fixture, for this module's tests

DOC = {"contents": [{"id": "a"}], "total_pages": 1}
SECRET = "k3y-5ecret-0123456789"


class Sleeps(list[float]):
    """Records the waits FeedHttp asks for, instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(**options: Any) -> tuple[FeedHttp, Sleeps]:
    sleeps = Sleeps()
    options = {"timeout": (2.0, 5.0), "rng": random.Random(7), **options}
    return FeedHttp(sleep=sleeps, **options), sleeps


# --------------------------------------------------------------------------- retries


def test_a_500_is_retried_and_the_answer_arrives(feed_server: FeedServer) -> None:
    feed_server.route("/feed", [Reply(status=500, body="oops"), Reply(json=DOC)])
    http, sleeps = client()
    assert http.get_json(feed_server.url + "/feed") == DOC
    assert len(feed_server.requests_to("/feed")) == 2
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.5  # first backoff: full jitter in [0, backoff]


def test_429_retry_after_seconds_is_honoured(feed_server: FeedServer) -> None:
    feed_server.route("/feed", [Reply(status=500), Reply(status=429, headers={"Retry-After": "7"}), Reply(json=DOC)])
    http, sleeps = client()
    assert http.get_json(feed_server.url + "/feed") == DOC
    assert len(sleeps) == 2 and sleeps[1] == 7.0


def test_retry_after_as_an_http_date_is_honoured(feed_server: FeedServer) -> None:
    now = 1_700_000_000.0
    when = email.utils.formatdate(now + 30, usegmt=True)
    feed_server.route("/feed", [Reply(status=503, headers={"Retry-After": when}), Reply(json=DOC)])
    http, sleeps = client(clock=lambda: now)
    assert http.get_json(feed_server.url + "/feed") == DOC
    assert sleeps == [30.0]


def test_a_huge_retry_after_is_capped(feed_server: FeedServer) -> None:
    feed_server.route("/feed", [Reply(status=429, headers={"Retry-After": "86400"}), Reply(json=DOC)])
    http, sleeps = client(max_retry_after=120)
    http.get_json(feed_server.url + "/feed")
    assert sleeps == [120]


@pytest.mark.parametrize(("value", "seconds"), [
    ("12", 12.0), (" 0 ", 0.0), ("-5", 0.0), ("1.5", 1.5), ("soon", None), ("", None), (None, None),
    ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0), ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
])
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    now = email.utils.parsedate_to_datetime("Wed, 21 Oct 2015 07:28:00 GMT").timestamp()
    assert retry_after_seconds(value, now) == seconds


def test_backoff_is_exponential_with_seeded_full_jitter_then_fails_naming_url_status_and_attempts(
        feed_server: FeedServer) -> None:
    feed_server.route("/feed", Reply(status=503, body="down for maintenance"))
    http, sleeps = client(retries=4, backoff=0.5)
    with pytest.raises(FeedHttpError) as caught:
        http.get_json(feed_server.url + "/feed", {"page": 2})
    message = str(caught.value)
    assert f"{feed_server.url}/feed?page=2" in message
    assert "HTTP 503" in message and "5 attempts" in message
    assert caught.value.status == 503 and caught.value.attempts == 5
    assert len(feed_server.requests_to("/feed")) == 5
    assert len(sleeps) == 4 and all(0 <= s <= 0.5 * 2 ** n for n, s in enumerate(sleeps))
    same_seed, again = client(retries=4, backoff=0.5)
    with pytest.raises(FeedError):
        same_seed.get_json(feed_server.url + "/feed")
    assert again == sleeps  # the same seed waits the same


def test_timeouts_are_retried_then_fail_naming_the_url(feed_server: FeedServer) -> None:
    feed_server.route("/slow", Reply(json=DOC, delay=1.0))
    http, sleeps = client(timeout=(2.0, 0.2), retries=2)
    with pytest.raises(FeedHttpError) as caught:
        http.get_json(feed_server.url + "/slow")
    assert f"GET {feed_server.url}/slow failed after 3 attempts" in str(caught.value)
    assert "timed out" in str(caught.value)
    assert caught.value.status is None
    assert len(feed_server.requests_to("/slow")) == 3 and len(sleeps) == 2


def test_an_unreachable_server_is_retried_then_fails() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    http, sleeps = client(retries=1)
    with pytest.raises(FeedHttpError, match=rf"127\.0\.0\.1:{port}/feed failed after 2 attempts.*connection error"):
        http.get_json(f"http://127.0.0.1:{port}/feed")
    assert len(sleeps) == 1


def test_a_connection_dropped_mid_body_is_retried(feed_server: FeedServer) -> None:
    feed_server.route("/feed", [Reply(json=DOC, truncate=10), Reply(json=DOC)])
    http, sleeps = client()
    assert http.get_json(feed_server.url + "/feed") == DOC
    assert len(sleeps) == 1


def test_other_4xx_fail_at_once_with_the_status_and_the_start_of_the_body(feed_server: FeedServer) -> None:
    body = "No such feed. " + "x" * 300
    feed_server.route("/gone", Reply(status=404, body=body, content_type="text/plain"))
    http, sleeps = client()
    with pytest.raises(FeedHttpError) as caught:
        http.get_json(feed_server.url + "/gone")
    message = str(caught.value)
    assert "HTTP 404" in message and body[:200] in message and body[:201] not in message
    assert caught.value.status == 404
    assert len(feed_server.requests_to("/gone")) == 1 and sleeps == []


# --------------------------------------------------------------------------- what came back


def test_an_html_page_with_status_200_is_named(feed_server: FeedServer) -> None:
    feed_server.route("/feed", Reply(body=HTML_ERROR_PAGE))
    http, _ = client()
    with pytest.raises(FeedError) as caught:
        http.get_json(feed_server.url + "/feed")
    assert str(caught.value) == f"expected JSON from {feed_server.url}/feed, got an HTML page (status 200)"
    assert len(feed_server.requests_to("/feed")) == 1


def test_truncated_json_is_named_and_not_retried(feed_server: FeedServer) -> None:
    feed_server.route("/feed", Reply(body='{"contents": [{"id": "a", "name": "Walk', content_type="application/json"))
    http, _ = client()
    with pytest.raises(FeedError, match=r"/feed, got truncated JSON: the document stops mid-value after 39 bytes"):
        http.get_json(feed_server.url + "/feed")
    assert len(feed_server.requests_to("/feed")) == 1


def test_a_body_that_is_not_json_under_a_wrong_content_type(feed_server: FeedServer) -> None:
    feed_server.route("/feed", Reply(body="Service temporarily unavailable", content_type="text/plain"))
    http, _ = client()
    with pytest.raises(FeedError, match=r"got a body that is not JSON: 'Service temporarily unavailable' "
                                        r"\(status 200, text/plain\)"):
        http.get_json(feed_server.url + "/feed")


def test_json_under_a_wrong_content_type_is_accepted(feed_server: FeedServer) -> None:
    feed_server.route("/feed", Reply(body=json.dumps(DOC), content_type="text/plain"))
    http, _ = client()
    assert http.get_json(feed_server.url + "/feed") == DOC


@pytest.mark.parametrize(("body", "what"), [
    ("", "got an empty body"),
    ('{"a": 1,, }', "got invalid JSON: Expecting property name enclosed in double quotes at line 1 column 9"),
    (b"\xff\xfe{}", "got bytes that are not UTF-8"),
])
def test_other_bad_json_is_named(feed_server: FeedServer, body: str | bytes, what: str) -> None:
    feed_server.route("/feed", Reply(body=body, content_type="application/json"))
    http, _ = client()
    with pytest.raises(FeedError, match=what):
        http.get_json(feed_server.url + "/feed")


def test_a_utf8_byte_order_mark_is_tolerated(feed_server: FeedServer) -> None:
    feed_server.route("/feed", Reply(body=codecs.BOM_UTF8 + json.dumps({"name": "Café"}).encode(),
                                     content_type="application/json"))
    http, _ = client()
    assert http.get_json(feed_server.url + "/feed") == {"name": "Café"}


# --------------------------------------------------------------------------- size


def test_a_body_of_several_megabytes_is_read_under_the_limit(feed_server: FeedServer) -> None:
    big = {"id": "a", "description": "x" * (5 * 1024 * 1024)}
    feed_server.route("/feed", Reply(json=big))
    http, _ = client()
    assert http.get_json(feed_server.url + "/feed") == big


@pytest.mark.parametrize("content_length", [True, False], ids=["declared", "streamed"])
def test_a_body_over_max_bytes_is_refused(feed_server: FeedServer, content_length: bool) -> None:
    feed_server.route("/feed", Reply(json={"description": "x" * (3 * 1024 * 1024)}, content_length=content_length))
    http, sleeps = client(max_bytes=1024 * 1024)
    with pytest.raises(FeedHttpError) as caught:
        http.get_json(feed_server.url + "/feed")
    assert str(caught.value) == f"response from {feed_server.url}/feed is larger than 1 MB"
    assert sleeps == []  # not retried: it would be just as large again


def test_the_default_limit_is_50_mb() -> None:
    assert human_size(FeedHttp().max_bytes) == "50 MB"
    assert (human_size(1536), human_size(900)) == ("1.5 KB", "900 bytes")


# --------------------------------------------------------------------------- conditional requests


def test_an_etag_is_kept_sent_back_and_a_304_is_not_modified(feed_server: FeedServer) -> None:
    feed_server.route("/feed", Reply(json=DOC, etag='"v1"'))
    cache: dict[str, dict[str, Any]] = {}
    http, _ = client(cache=cache)
    url = feed_server.url + "/feed"
    assert http.get_json(url) == DOC
    assert cache == {url: {"etag": '"v1"'}}
    assert http.get_json(url) is NOT_MODIFIED
    first, second = feed_server.requests_to("/feed")
    assert first.header("If-None-Match") is None and second.header("If-None-Match") == '"v1"'


def test_last_modified_is_sent_back_as_if_modified_since(feed_server: FeedServer) -> None:
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"
    feed_server.route("/feed", [Reply(json=DOC, headers={"Last-Modified": stamp}), Reply(status=304)])
    http, _ = client()
    url = feed_server.url + "/feed"
    http.get_json(url)
    assert http.get_bytes(url) is NOT_MODIFIED
    assert feed_server.requests_to("/feed")[1].header("If-Modified-Since") == stamp


def test_a_304_to_a_request_without_validators_is_an_error(feed_server: FeedServer) -> None:
    feed_server.route("/feed", Reply(status=304))
    http, _ = client()
    with pytest.raises(FeedHttpError, match="answered HTTP 304 Not Modified"):
        http.get_json(feed_server.url + "/feed")


def test_validators_are_per_url_including_the_query(feed_server: FeedServer) -> None:
    feed_server.route("/feed", Reply(json=DOC, etag='"v1"'))
    http, _ = client()
    http.get_json(feed_server.url + "/feed", {"page": 1})
    assert http.get_json(feed_server.url + "/feed", {"page": 2}) == DOC
    assert list(http.cache) == [f"{feed_server.url}/feed?page=1", f"{feed_server.url}/feed?page=2"]


def test_unconditional_requests_neither_send_nor_store_validators(feed_server: FeedServer) -> None:
    feed_server.route("/feed", Reply(json=DOC, etag='"v1"'))
    http, _ = client()
    url = feed_server.url + "/feed"
    http.get_json(url)
    assert http.get_json(url, conditional=False) == DOC
    assert feed_server.requests_to("/feed")[1].header("If-None-Match") is None
    http.cache.clear()
    http.get_json(url, conditional=False)
    assert http.cache == {}


def test_get_bytes_returns_the_body_as_it_came(feed_server: FeedServer) -> None:
    feed_server.route("/package.zip", Reply(body=b"PK\x03\x04 zipped", content_type="application/zip"))
    http, _ = client()
    assert http.get_bytes(feed_server.url + "/package.zip") == b"PK\x03\x04 zipped"
    assert feed_server.requests_to("/package.zip")[0].header("Accept") == "*/*"


# --------------------------------------------------------------------------- credentials


def test_credentials_are_sent_but_never_appear_in_errors_or_logs(feed_server: FeedServer,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    feed_server.route("/busy", Reply(status=503, body=f"overloaded, key {SECRET}"))
    feed_server.route("/denied", Reply(status=401, body=f'{{"error": "key {SECRET} is not valid"}}'))
    http, _ = client(headers={"X-API-Key": SECRET}, retries=2)
    errors = []
    for path in ("/busy", "/denied"):
        with pytest.raises(FeedError) as caught:
            http.get_json(feed_server.url + path)
        errors.append(str(caught.value))
    assert all(r.header("X-API-Key") == SECRET for r in feed_server.requests)
    assert "HTTP 401" in errors[1] and "key [redacted] is not valid" in errors[1]
    assert not [e for e in errors if SECRET in e]
    assert SECRET not in caplog.text and "503" in caplog.text


def test_credentials_in_the_url_are_not_shown() -> None:
    http, _ = client(retries=0)
    with pytest.raises(FeedError) as caught:
        http.get_json("http://feeduser:hunter2-password@127.0.0.1:9/feed")
    assert "hunter2" not in str(caught.value) and "***@127.0.0.1:9/feed" in str(caught.value)


def test_credentials_are_dropped_when_a_redirect_leaves_the_origin(feed_server: FeedServer) -> None:
    with FeedServer() as elsewhere:
        elsewhere.route("/feed", Reply(json=DOC))
        feed_server.route("/moved", Reply(status=302, headers={"Location": elsewhere.url + "/feed"}))
        feed_server.route("/here", Reply(status=301, headers={"Location": "/feed"}))
        feed_server.route("/feed", Reply(json=DOC))
        http, _ = client(headers={"X-API-Key": SECRET, "Authorization": f"Bearer {SECRET}"})
        assert http.get_json(feed_server.url + "/moved") == DOC
        assert http.get_json(feed_server.url + "/here") == DOC
        away = elsewhere.requests_to("/feed")[0]
        assert away.header("X-API-Key") is None and away.header("Authorization") is None
        assert feed_server.requests_to("/feed")[0].header("X-API-Key") == SECRET  # same origin: kept
