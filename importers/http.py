"""A careful HTTP client for reading feeds: retries, limits, conditional requests.

``FeedHttp`` wraps a ``requests.Session`` and turns every way a feed can misbehave
into either a retry or a ``FeedError`` a maintainer can read:

* connection errors, timeouts, 429 and 5xx are retried (``retries`` times) with
  exponential backoff and full jitter, honouring ``Retry-After`` (seconds or an HTTP
  date, capped at ``max_retry_after``); then ``FeedError`` names the URL, the last
  answer and the number of attempts;
* any other 4xx fails at once, quoting the status and the start of the body;
* bodies are streamed and cut off past ``max_bytes`` (decompressed size);
* ``get_json`` says what came back when it is not JSON (an HTML page, a truncated
  document, an empty body) and tolerates a UTF-8 byte order mark;
* with ``conditional=True`` (the default) the ETag / Last-Modified of each URL are kept
  in ``cache`` (a plain dict the caller persists) and sent back as ``If-None-Match`` /
  ``If-Modified-Since``; a 304 answer returns the sentinel ``NOT_MODIFIED``.

``headers`` are treated as credentials (an API key header, ``Authorization``): their
values are never logged, are redacted from every error message (a server may echo a
bad key back), and are dropped when a redirect leaves the origin they were meant for.

Pure: no database, no Flask. ``sleep`` and ``clock`` are injectable so tests never wait.
"""

from __future__ import annotations

import codecs
import email.utils
import enum
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import requests

from importers.base import FeedError

log = logging.getLogger(__name__)

MB: Final = 1024 * 1024
DEFAULT_TIMEOUT: Final = (10.0, 60.0)
DEFAULT_MAX_BYTES: Final = 50 * MB
USER_AGENT: Final = "Waymark feed harvester (+https://openreferraluk.org)"
CHUNK: Final = 64 * 1024
SNIPPET: Final = 200  # characters of an error body quoted in a FeedError
REDACTED: Final = "[redacted]"

Cache = dict[str, dict[str, Any]]  # URL -> {"etag": ..., "last_modified": ...} (callers may add keys)
Params = Mapping[str, str | int | float] | None


class NotModified(enum.Enum):
    """The type of ``NOT_MODIFIED``: the server said the resource is unchanged (HTTP 304)."""

    NOT_MODIFIED = "not modified"

    def __repr__(self) -> str:
        return "NOT_MODIFIED"


NOT_MODIFIED: Final = NotModified.NOT_MODIFIED


class FeedHttpError(FeedError):
    """A request failed for good. ``status`` is the last HTTP status (None when no answer came)."""

    def __init__(self, message: str, *, url: str, status: int | None = None, attempts: int = 1) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.attempts = attempts


@dataclass(frozen=True)
class Body:
    """A successful answer, read in full."""

    url: str  # the URL asked for (with its query), credentials redacted
    status: int
    content_type: str
    content: bytes


class _Retry(Exception):
    """One attempt failed in a way worth retrying."""

    def __init__(self, reason: str, status: int | None = None, delay: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.delay = delay  # from Retry-After, when the server said how long to wait


# --------------------------------------------------------------------------- small helpers


def human_size(size: int) -> str:
    """``52428800`` -> ``"50 MB"``, ``1536`` -> ``"1.5 KB"``, ``900`` -> ``"900 bytes"``."""
    for unit, scale in (("MB", MB), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """A ``Retry-After`` header as seconds from ``now`` (a delay or an HTTP date); None if unreadable."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


def strip_userinfo(url: str) -> str:
    """A URL without ``user:password@`` (for messages)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


def _reason(exc: BaseException) -> str:
    """The root cause of a requests failure (``[Errno 111] Connection refused``), not urllib3's chain."""
    text = str(exc)
    found = re.search(r"\[Errno -?\d+\][^'\")]*", text)
    text = found.group(0).strip() if found else text
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"


def _snippet(content: bytes) -> str:
    text = content.decode("utf-8", errors="replace").strip()
    text = re.sub(r"\s+", " ", text)
    return text[:SNIPPET] + ("…" if len(text) > SNIPPET else "")


def looks_like_html(content: bytes) -> bool:
    head = content[:1024].lstrip(codecs.BOM_UTF8).lstrip().lower()
    return head.startswith((b"<!doctype", b"<html")) or b"<html" in head


def parse_json(body: Body) -> Any:
    """The JSON document in ``body``; ``FeedError`` saying what came back instead."""
    content = body.content.removeprefix(codecs.BOM_UTF8)
    if looks_like_html(content):
        raise FeedError(f"expected JSON from {body.url}, got an HTML page (status {body.status})")
    try:
        return json.loads(content.decode("utf-8"))
    except UnicodeDecodeError as exc:
        what = f"bytes that are not UTF-8 (at byte {exc.start} of {len(content)})"
    except json.JSONDecodeError as exc:
        what = _not_json(exc, content, body.content_type)
    raise FeedError(f"expected JSON from {body.url}, got {what} "
                    f"(status {body.status}, {body.content_type or 'no Content-Type'})")


def _not_json(exc: json.JSONDecodeError, content: bytes, content_type: str) -> str:
    """What a body that failed to parse as JSON looks like, in words."""
    if not content.strip():
        return "an empty body"
    if exc.pos >= len(exc.doc.rstrip()) or exc.msg.startswith("Unterminated string"):  # the text ran out
        return f"truncated JSON: the document stops mid-value after {len(content)} bytes"
    if "json" not in content_type.lower():
        return f"a body that is not JSON: {_snippet(content)!r}"
    return f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"


# --------------------------------------------------------------------------- the session


class _CredentialSafeSession(requests.Session):
    """A session that drops the configured credential headers when a redirect leaves the origin.

    requests itself only strips ``Authorization``; an API key header would otherwise be
    sent to whatever host a redirect names."""

    def __init__(self, credential_headers: Iterable[str]) -> None:
        super().__init__()
        self.credential_headers = {name.lower() for name in credential_headers}

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        super().rebuild_auth(prepared_request, response)
        old_url, new_url = response.request.url, prepared_request.url
        if old_url and new_url and self.should_strip_auth(old_url, new_url):
            for name in list(prepared_request.headers):
                if name.lower() in self.credential_headers:
                    del prepared_request.headers[name]


# --------------------------------------------------------------------------- the client


class FeedHttp:
    """GET JSON or bytes from a feed, with retries, limits and conditional requests."""

    def __init__(
        self,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = 4,
        backoff: float = 0.5,
        max_retry_after: float = 120.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        headers: Mapping[str, str] | None = None,
        cache: Cache | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
        session: requests.Session | None = None,
    ) -> None:
        """``timeout`` (connect, read) seconds; ``retries`` after the first attempt; ``backoff`` base
        seconds (attempt n waits a random 0..backoff*2**n, full jitter, from ``rng``); ``max_retry_after``
        caps any wait; ``max_bytes`` caps a body; ``headers`` are credentials (see the module notes);
        ``cache`` is mutated in place for the caller to persist; ``session`` is for tests and pooling."""
        if retries < 0 or backoff < 0 or max_bytes <= 0:
            raise ValueError("retries and backoff must be >= 0 and max_bytes > 0")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.max_bytes = max_bytes
        self.headers = dict(headers or {})
        self.cache: Cache = cache if cache is not None else {}
        self.sleep = sleep
        self.rng = rng if rng is not None else random.Random()
        self.clock = clock
        self._secrets = sorted({v for v in self.headers.values() if v}, key=len, reverse=True)
        self.session = session if session is not None else _CredentialSafeSession(self.headers)

    # ----------------------------------------------------------------- public API

    def get_json(self, url: str, params: Params = None, *, conditional: bool = True) -> Any | NotModified:
        """The JSON document at ``url``, or ``NOT_MODIFIED`` (only when ``conditional``)."""
        body = self._get(url, params, "application/json", conditional)
        return body if body is NOT_MODIFIED else parse_json(body)

    def get_bytes(self, url: str, params: Params = None, *, conditional: bool = True) -> bytes | NotModified:
        """The body at ``url`` as bytes, or ``NOT_MODIFIED`` (only when ``conditional``)."""
        body = self._get(url, params, "*/*", conditional)
        return body if body is NOT_MODIFIED else body.content

    def cache_key(self, url: str, params: Params = None) -> str:
        """The key under which ``cache`` keeps the validators of ``url`` with ``params``."""
        prepared = requests.Request("GET", url, params=dict(params or {})).prepare()
        return prepared.url or url

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> FeedHttp:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- the retry loop

    def _get(self, url: str, params: Params, accept: str, conditional: bool) -> Body | NotModified:
        key = self.cache_key(url, params)
        shown = self.redact(strip_userinfo(key))
        attempts = self.retries + 1
        last: _Retry | None = None
        for attempt in range(1, attempts + 1):
            try:
                return self._attempt(key, shown, accept, conditional)
            except _Retry as retry:
                last = retry
            if attempt < attempts:
                delay = self._delay(attempt, last.delay)
                log.warning("GET %s: %s; retry %d of %d in %.1f s", shown, last.reason, attempt, self.retries, delay)
                self.sleep(delay)
        assert last is not None
        raise FeedHttpError(
            f"GET {shown} failed after {attempts} attempt{'s' if attempts != 1 else ''}; "
            f"the last one {last.reason}", url=shown, status=last.status, attempts=attempts)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return min(self.rng.uniform(0, self.backoff * 2 ** (attempt - 1)), self.max_retry_after)

    def _attempt(self, url: str, shown: str, accept: str, conditional: bool) -> Body | NotModified:
        validators = self._validators(url) if conditional else {}
        headers = {"Accept": accept, "User-Agent": USER_AGENT, **self.headers, **validators}
        try:
            response = self.session.get(url, headers=headers, timeout=self.timeout, stream=True)
        except requests.Timeout:
            raise _Retry(f"timed out (no answer within {self.timeout[0]:g} s to connect / "
                         f"{self.timeout[1]:g} s to read)") from None
        except requests.exceptions.SSLError as exc:
            raise FeedHttpError(f"GET {shown} failed: TLS error: {self.redact(_reason(exc))}", url=shown) from None
        except requests.ConnectionError as exc:
            raise _Retry(f"hit a connection error ({self.redact(_reason(exc))})") from None
        except requests.RequestException as exc:
            raise FeedHttpError(f"GET {shown} failed: {type(exc).__name__}: {self.redact(_reason(exc))}",
                                url=shown) from None
        with response:
            return self._answer(response, url, shown, conditional, bool(validators))

    def _answer(self, response: requests.Response, url: str, shown: str, conditional: bool,
                asked: bool) -> Body | NotModified:
        """``asked``: validators were sent, so a 304 means what it says (otherwise it is an error)."""
        status = response.status_code
        described = f"answered HTTP {status} {response.reason or ''}".rstrip()
        if status == 304 and asked:
            return NOT_MODIFIED
        if status == 429 or status >= 500:
            delay = retry_after_seconds(response.headers.get("Retry-After"), self.clock())
            raise _Retry(described, status, delay)
        if status >= 300:
            start = self._read_some(response)
            raise FeedHttpError(f"GET {shown} {described}: {self.redact(_snippet(start)) or '(empty body)'}",
                                url=shown, status=status)
        content = self._read(response, shown)
        if conditional:
            self._remember(url, response)
        return Body(shown, status, response.headers.get("Content-Type", ""), content)

    # ----------------------------------------------------------------- bodies

    def _read(self, response: requests.Response, shown: str) -> bytes:
        too_big = FeedHttpError(f"response from {shown} is larger than {human_size(self.max_bytes)}",
                                url=shown, status=response.status_code)
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise too_big
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if size > self.max_bytes:
                    raise too_big
                chunks.append(chunk)
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, requests.Timeout) as exc:
            raise _Retry(f"broke off after {human_size(size)} of the body ({self.redact(_reason(exc))})",
                         response.status_code) from None
        except requests.exceptions.ContentDecodingError as exc:
            raise FeedHttpError(f"GET {shown}: the body could not be decompressed ({_reason(exc)})",
                                url=shown, status=response.status_code) from None
        return b"".join(chunks)

    def _read_some(self, response: requests.Response) -> bytes:
        """The start of an error body (enough to quote), never the whole of a huge one."""
        try:
            return next(response.iter_content(SNIPPET * 4), b"")
        except requests.RequestException:
            return b""

    # ----------------------------------------------------------------- validators and secrets

    def _validators(self, url: str) -> dict[str, str]:
        entry = self.cache.get(url)
        if not isinstance(entry, dict):  # nothing kept (or a persisted cache that was tampered with)
            return {}
        out = {}
        if entry.get("etag"):
            out["If-None-Match"] = str(entry["etag"])
        if entry.get("last_modified"):
            out["If-Modified-Since"] = str(entry["last_modified"])
        return out

    def _remember(self, url: str, response: requests.Response) -> None:
        etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
        if etag or modified:
            self.cache[url] = {k: v for k, v in (("etag", etag), ("last_modified", modified)) if v}
        else:
            self.cache.pop(url, None)

    def redact(self, text: str) -> str:
        """``text`` with every credential header value replaced by ``[redacted]``."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text
