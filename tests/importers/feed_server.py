"""A real local HTTP server for feed tests: recorded payloads and scripted faults per path.

``FeedServer`` is a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 (a free port) in a daemon
thread. Each test sets its routes::

    server.route("/services", [Reply(status=500), Reply(status=429, headers={"Retry-After": "1"}),
                               Reply(json=page1)])

A list answers successive requests in turn and then keeps answering with its last reply; a
callable ``(Request) -> Reply`` answers dynamically; ``prefix=True`` routes every path
under a prefix (``/api/services/``). Every request is recorded in ``server.requests``
(path, query and headers), so tests can assert what the client sent.

``Reply`` can also wait before answering (``delay``, for timeouts), drop the connection
part-way through the body (``truncate``), and answer 304 itself when the request's
``If-None-Match`` matches its ``etag``.

``serve_hsds_api`` and ``serve_oruk1_api`` mount a consistent paged API over a list of
full service records (``page`` / ``per_page`` / ``modified_after`` honoured, ``/services/{id}``
detail), built from the ORUK validator's recorded mocks copied into
``tests/fixtures/feeds`` (see the README there).

Use from a test module (until ``tests/conftest.py`` lists this module in ``pytest_plugins``)::

    from tests.importers import feed_server as fs

    feed_server = fs.feed_server  # the fixture, for this module's tests

    def test_something(feed_server: fs.FeedServer) -> None: ...
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import math
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"
ORUK3_DEFAULT = FIXTURES / "oruk-3.0-default"
ORUK1 = FIXTURES / "oruk-1.0"
HTML_ERROR_PAGE = ("<!DOCTYPE html><html><head><title>Service Unavailable</title></head>"
                   "<body><h1>Sorry, the directory is down for maintenance</h1></body></html>")


@dataclass(frozen=True)
class Reply:
    """One scripted answer. ``json`` (any JSON value except null) or ``body`` gives the content."""

    status: int = 200
    json: Any = None
    body: bytes | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None  # default: JSON for ``json``, HTML for bodies starting "<", else text
    delay: float = 0.0  # seconds to wait before answering
    truncate: int | None = None  # send only this many bytes of the body (with the full Content-Length), then hang up
    etag: str | None = None  # sent as ETag; a request whose If-None-Match matches gets 304
    content_length: bool = True  # False: no Content-Length, the body ends when the connection closes

    def content(self) -> bytes:
        if self.json is not None:
            return json.dumps(self.json).encode()
        if isinstance(self.body, str):
            return self.body.encode()
        return self.body or b""

    def kind(self) -> str:
        if self.content_type:
            return self.content_type
        if self.json is not None:
            return "application/json"
        return "text/html; charset=utf-8" if self.content().lstrip().startswith(b"<") else "text/plain"


@dataclass(frozen=True)
class Request:
    """One request as the server saw it."""

    path: str
    query: dict[str, str]  # the last value of each parameter
    headers: dict[str, str]  # lower-case names

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


Handler = Callable[[Request], Reply]
Responder = Reply | Sequence[Reply] | Handler


class _Script:
    """Successive replies for one route (the last one repeats), or a handler."""

    def __init__(self, responder: Responder) -> None:
        self.handler: Handler | None = None
        self.replies: list[Reply] = []
        if isinstance(responder, Reply):
            self.replies = [responder]
        elif callable(responder):
            self.handler = responder
        else:
            self.replies = list(responder)
        if self.handler is None and not self.replies:
            raise ValueError("a route needs at least one reply")
        self.lock = threading.Lock()
        self.count = 0

    def next(self, request: Request) -> Reply:
        if self.handler is not None:
            return self.handler(request)
        with self.lock:
            reply = self.replies[min(self.count, len(self.replies) - 1)]
            self.count += 1
        return reply


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True  # a handler still sleeping (a timeout test) never blocks shutdown

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeouts, size limits) is not an error worth printing."""


class FeedServer:
    """A scripted HTTP server on 127.0.0.1; ``url`` is its base URL."""

    def __init__(self) -> None:
        self.routes: dict[str, _Script] = {}
        self.prefixes: dict[str, _Script] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def route(self, path: str, responder: Responder, *, prefix: bool = False) -> None:
        """Answer ``path`` (every path starting with it when ``prefix``) with ``responder``."""
        (self.prefixes if prefix else self.routes)[path] = _Script(responder)

    def requests_to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FeedServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- serving

    def _script_for(self, path: str) -> _Script | None:
        if path in self.routes:
            return self.routes[path]
        matches = [p for p in self.prefixes if path.startswith(p)]
        return self.prefixes[max(matches, key=len)] if matches else None

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
        script = self._script_for(request.path)
        if script is None:
            return Reply(status=404, json={"code": 404, "message": f"no route for {request.path}"})
        reply = script.next(request)
        if reply.etag and request.header("If-None-Match") == reply.etag:
            return Reply(status=304, headers={"ETag": reply.etag})
        return reply

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                request = Request(parts.path, dict(parse_qsl(parts.query)),
                                  {k.lower(): v for k, v in self.headers.items()})
                reply = server._answer(request)
                if reply.delay:
                    time.sleep(reply.delay)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._send(reply)

            def _send(self, reply: Reply) -> None:
                content = b"" if reply.status == 304 else reply.content()
                self.send_response(reply.status)
                headers = {"Content-Type": reply.kind(), "Content-Length": str(len(content)), **reply.headers}
                if not reply.content_length:
                    del headers["Content-Length"]
                    headers["Connection"] = "close"
                    self.close_connection = True
                if reply.etag:
                    headers.setdefault("ETag", reply.etag)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if reply.truncate is not None:
                    self.wfile.write(content[: reply.truncate])
                    self.wfile.flush()
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(content)

            def log_message(self, *_args: Any) -> None:
                pass

        return Handler


@pytest.fixture()
def feed_server() -> Iterator[FeedServer]:
    """A fresh ``FeedServer`` for one test, shut down afterwards."""
    with FeedServer() as server:
        yield server


# --------------------------------------------------------------------------- recorded payloads


def load_fixture(*parts: str) -> Any:
    """A JSON payload from ``tests/fixtures/feeds``, e.g. ``load_fixture("oruk-1.0", "service_full.json")``."""
    return json.loads(FIXTURES.joinpath(*parts).read_text(encoding="utf-8"))


def oruk3_service() -> dict[str, Any]:
    """The ORUK validator's Default mock service (``service_full.json``): valid HSDS 3.0 and ORUK 3.0."""
    service: dict[str, Any] = load_fixture("oruk-3.0-default", "service_full.json")
    return service


def oruk3_services(count: int, *, template: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """``count`` distinct services made from the Default mock: each with its own service id and name,
    and ``last_modified`` one day apart (service 0 oldest)."""
    base = template or oruk3_service()
    services = []
    for n in range(count):
        service = copy.deepcopy(base)
        service["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"waymark-test-service-{n}"))
        service["name"] = f"{base['name']} {n}"
        service["last_modified"] = (dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=n)) \
            .strftime("%Y-%m-%dT%H:%M:%SZ")
        services.append(service)
    return services


# --------------------------------------------------------------------------- paged APIs


def hsds_envelope(contents: list[Any], page: int, per_page: int) -> dict[str, Any]:
    """A correct HSDS 3 paging envelope for one page of ``contents``."""
    chunk = contents[(page - 1) * per_page: page * per_page]
    pages = math.ceil(len(contents) / per_page)
    return {"total_items": len(contents), "total_pages": pages, "page_number": page, "size": len(chunk),
            "first_page": page == 1, "last_page": page >= pages, "empty": not chunk, "contents": chunk}


def oruk1_envelope(contents: list[Any], page: int, per_page: int) -> dict[str, Any]:
    """An ORUK 1.0 (Spring) page: ``content``, ``totalElements``, ``totalPages``, ``number``, ..."""
    chunk = contents[(page - 1) * per_page: page * per_page]
    pages = math.ceil(len(contents) / per_page)
    return {"content": chunk, "totalElements": len(contents), "totalPages": pages, "number": page,
            "size": per_page, "first": page == 1, "last": page >= pages, "empty": not chunk}


def list_item(service: dict[str, Any]) -> dict[str, Any]:
    """A service as list endpoints give it: no nested arrays (HSDS 3 list items are partial)."""
    return {k: v for k, v in service.items() if not isinstance(v, list)}


def _page_args(request: Request) -> tuple[int, int]:
    try:
        return max(1, int(request.query.get("page", 1))), max(1, int(request.query.get("per_page", 50)))
    except ValueError:
        return 1, 50


def _modified_after(services: list[dict[str, Any]], request: Request) -> list[dict[str, Any]]:
    since = request.query.get("modified_after")
    if not since:
        return services
    cutoff = dt.datetime.fromisoformat(since.replace("Z", "+00:00"))
    return [s for s in services
            if dt.datetime.fromisoformat(str(s.get("last_modified", "1970-01-01T00:00:00Z"))
                                         .replace("Z", "+00:00")) > cutoff]


def serve_hsds_api(server: FeedServer, services: list[dict[str, Any]], *, base: str = "/api",
                   api_details: dict[str, Any] | None = None,
                   envelope: Callable[[list[Any], int, int], dict[str, Any]] = hsds_envelope,
                   item: Callable[[dict[str, Any]], dict[str, Any]] = list_item) -> str:
    """Mount a consistent HSDS 3 API over ``services`` (full records) at ``base``; returns its URL.

    ``GET {base}/`` answers ``api_details`` (the Default mock's unless given), ``/services`` pages
    of ``item(service)`` honouring ``page``, ``per_page`` and ``modified_after``, and
    ``/services/{id}`` the full record (404 for unknown ids)."""
    details = api_details if api_details is not None else load_fixture("oruk-3.0-default", "api_details.json")
    by_id = {str(s["id"]): s for s in services}

    def listing(request: Request) -> Reply:
        page, per_page = _page_args(request)
        chosen = [item(s) for s in _modified_after(services, request)]
        return Reply(json=envelope(chosen, page, per_page))

    def detail(request: Request) -> Reply:
        ident = request.path.removeprefix(f"{base}/services/")
        if ident in by_id:
            return Reply(json=by_id[ident])
        return Reply(status=404, json={"code": 404, "message": f"no service {ident}"})

    server.route(f"{base}/", Reply(json=details))
    server.route(f"{base}/services", listing)
    server.route(f"{base}/services/", detail, prefix=True)
    return server.url + base


def serve_oruk1_api(server: FeedServer, services: list[dict[str, Any]], *, base: str = "/api") -> str:
    """Mount an ORUK 1.0 API over ``services``: Spring pages, no API details at ``/`` (an HTML 404)."""
    url = serve_hsds_api(server, services, base=base, envelope=oruk1_envelope)
    server.route(f"{base}/", Reply(status=404, body=HTML_ERROR_PAGE))
    return url
