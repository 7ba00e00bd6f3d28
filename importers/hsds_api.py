"""Harvest services from an HSDS 3.0 / 3.1, ORUK 3.0 or ORUK 1.0 API.

``HsdsApiFeed(base_url, http).records()`` pages through ``{base}/services`` and yields one
``SourceRecord`` per listed service: the record as fetched (``raw``, the full
``/services/{id}`` document when ``full_records``) and a nested HSDS 3.0 service
(``record``). It never validates against the schemas: the harvest publishes through a
validating path. It only reports what makes a record unusable (no id, no name, a failed
detail fetch, a duplicate) as problems on that record, and never drops one silently.

Dialect. ``GET {base}/`` answers HSDS 3 APIs with ``{"version": "3.0"}`` (ORUK: "HSDS-UK-3.0");
failing that, the first ``/services`` page tells: ORUK 1.0 pages are Spring pages
(``content`` / ``totalElements`` / ``totalPages`` / ``last``), HSDS 3 pages carry
``contents`` / ``total_items`` / ``total_pages`` / ``last_page``. ORUK 1.0 services are
mapped to HSDS 3.0 by ``oruk1_service``; HSDS 3 records are kept as they are (nulls
dropped, numeric ids stringified).

Paging is trusted only as far as it is consistent. The harvest stops with ``FeedError`` (and
``complete`` stays False, so the harvest withdraws nothing) when a page repeats an earlier
page, a page before ``total_pages`` is empty, the page after ``total_pages`` still holds new
services, more than ``max_pages`` pages come, or a page cannot be read after retries.
Records yielded before the error are still good.

Conditional requests. Page 1 is fetched with ``If-None-Match`` / ``If-Modified-Since`` when
the previous full harvest of this URL found a single page: a 304 then means "unchanged since
last time", and the feed yields nothing, sets ``not_modified`` and leaves ``complete`` False
(nothing may be withdrawn on the strength of a harvest that read nothing). For a feed of
several pages a 304 on page 1 proves nothing about the later pages, so page 1 is fetched
unconditionally. New validators are kept in ``http.cache`` only when the harvest finished;
after a failure the previous ones are put back, so the next harvest reads everything again.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from importers.base import FeedError, SourceRecord
from importers.http import NOT_MODIFIED, FeedHttp, FeedHttpError, Params

log = logging.getLogger(__name__)

HSDS3: Final = "HSDS 3"
ORUK1: Final = "ORUK 1.0"
PAST_THE_END: Final = frozenset({400, 404, 416, 422})  # answers to a page past the end that mean "no such page"


# --------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class Page:
    """One page of ``/services``, whichever envelope it came in."""

    number: int
    items: list[Any]
    total_pages: int | None
    total_items: int | None
    last: bool | None
    dialect: str  # the envelope's shape: HSDS3 or ORUK1


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def parse_page(body: Any, number: int, url: str) -> Page:
    """A ``/services`` answer as a ``Page``; ``FeedError`` when it is no paging envelope at all."""
    if not isinstance(body, dict):
        raise FeedError(f"page {number} of {url} is not a paging envelope: expected a JSON object "
                        f"with contents, got a JSON {_json_type(body)}")
    spring = any(key in body for key in ("content", "totalElements", "totalPages"))
    items = body.get("contents", body.get("content"))
    if not isinstance(items, list):
        keys = ", ".join(sorted(body)[:10]) or "none"
        raise FeedError(f"page {number} of {url} has no list of services (contents / content); its keys: {keys}")
    last = body.get("last_page", body.get("last"))
    return Page(number=number, items=items,
                total_pages=_int(body.get("total_pages", body.get("totalPages"))),
                total_items=_int(body.get("total_items", body.get("totalElements"))),
                last=last if isinstance(last, bool) else None,
                dialect=ORUK1 if spring else HSDS3)


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _fingerprint(items: list[Any]) -> tuple[str, ...]:
    """What makes two pages the same: their ids (the whole item where there is none)."""
    out = []
    for item in items:
        ident = item.get("id") if isinstance(item, dict) else None
        out.append(f"id:{ident}" if ident not in (None, "") else json.dumps(item, sort_keys=True, default=str))
    return tuple(out)


def dialect_of_version(version: Any) -> str | None:
    """``"3.0"``, ``"3.1.1"``, ``"HSDS-UK-3.0"`` -> HSDS3; ``"1.0"`` -> ORUK1; anything else None."""
    found = re.search(r"(\d+)\.\d+", str(version)) if isinstance(version, (str, int, float)) else None
    major = found.group(1) if found else None
    return {"3": HSDS3, "1": ORUK1}.get(major or "")


def iso_utc(moment: dt.datetime) -> str:
    """``modified_after`` as the HSDS API wants it; a naive datetime is taken as UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- the feed


class HsdsApiFeed:
    """One read of an HSDS / ORUK API's services (see the module notes)."""

    kind = "service"
    max_failed_details_in_a_row = 5  # then the API is taken to be down, not the records bad

    def __init__(self, base_url: str, http: FeedHttp, since: dt.datetime | None = None, per_page: int = 100,
                 max_pages: int = 10_000, full_records: bool = True) -> None:
        if per_page < 1 or max_pages < 1:
            raise ValueError("per_page and max_pages must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.since = since
        self.per_page = per_page
        self.max_pages = max_pages
        self.full_records = full_records
        self.complete = False  # true once a full (not incremental) read reached the end
        self.not_modified = False  # page 1 answered 304: nothing changed, nothing was read
        self.fingerprint: str | None = None  # HTTP validators (ETag) play this part for APIs
        self.dialect: str | None = None
        self.version: str | None = None  # as GET / gave it
        self.pages_read = 0

    @property
    def services_url(self) -> str:
        return f"{self.base_url}/services"

    def params(self, page: int) -> dict[str, str | int]:
        params: dict[str, str | int] = {"page": page, "per_page": self.per_page}
        if self.since is not None:
            params["modified_after"] = iso_utc(self.since)
        return params

    def records(self) -> Iterator[SourceRecord]:
        """Every listed service, in feed order; sets ``complete`` when a full read reached the end."""
        self.complete = self.not_modified = False
        self.pages_read = 0
        key = self.http.cache_key(self.services_url, self.params(1))
        saved = copy.deepcopy(self.http.cache.get(key))
        if saved is not None and (self.since is not None or saved.get("pages") != 1):
            del self.http.cache[key]  # a 304 on page 1 could not be trusted: ask unconditionally
        finished = False
        try:
            yield from self._harvest()
            finished = True
        finally:
            self._settle_cache(key, saved, finished)

    def _settle_cache(self, key: str, saved: dict[str, Any] | None, finished: bool) -> None:
        """Keep new validators only after a finished full read; otherwise put the old ones back."""
        if finished and self.complete and key in self.http.cache:
            self.http.cache[key]["pages"] = self.pages_read
        elif not (finished and self.not_modified):
            self.http.cache.pop(key, None)
            if saved is not None:
                self.http.cache[key] = saved

    # ----------------------------------------------------------------- paging

    def _harvest(self) -> Iterator[SourceRecord]:
        self.dialect, self.version = self._detect()
        seen: dict[str, str] = {}  # service id -> origin of its first occurrence
        pages: dict[tuple[str, ...], int] = {}  # fingerprint -> page number
        details = _DetailFailures(self.max_failed_details_in_a_row)
        total: int | None = None
        previous: tuple[str, ...] = ()
        number = 1
        while True:
            if number > self.max_pages:
                raise FeedError(f"{self.services_url}: more than {self.max_pages} pages (max_pages); "
                                "paging never ends, so the harvest stopped without withdrawing anything")
            probing = total is not None and number > total
            page = self._page(number, probing)
            if page is None:
                return  # 304 on page 1: unchanged since the last harvest
            self.dialect = self.dialect or page.dialect
            fingerprint = _fingerprint(page.items)
            if probing:
                self._check_past_the_end(page, total or 0, fingerprint == previous)
                break
            if not page.items:
                self._check_empty(page)
                break
            if fingerprint in pages:
                raise FeedError(f"page {number} repeats page {pages[fingerprint]} of {self.services_url}: "
                                "paging loops, so the harvest stopped without withdrawing anything")
            pages[fingerprint] = number
            for index, item in enumerate(page.items, start=1):
                yield self._record(item, f"page {number} item {index}", seen, details)
            self.pages_read = number
            total, previous = page.total_pages, fingerprint
            if total is None and page.last:
                break
            number += 1
        self.complete = self.since is None

    def _page(self, number: int, probing: bool) -> Page | None:
        params: Params = self.params(number)
        try:
            body = self.http.get_json(self.services_url, params, conditional=number == 1)
        except FeedHttpError as exc:
            if probing and exc.status in PAST_THE_END:
                return Page(number, [], None, None, True, self.dialect or HSDS3)
            raise FeedError(f"could not read page {number} of {self.services_url}: {exc}") from exc
        except FeedError as exc:
            raise FeedError(f"could not read page {number} of {self.services_url}: {exc}") from exc
        if body is NOT_MODIFIED:
            log.info("%s: page 1 not modified since the last harvest", self.services_url)
            self.not_modified = True
            return None
        return parse_page(body, number, self.services_url)

    def _check_past_the_end(self, page: Page, total: int, clamped: bool) -> None:
        """The page after ``total_pages`` must be empty (or repeat the last page: a clamping server)."""
        if page.items and not clamped:
            raise FeedError(f"page {page.number} of {self.services_url} holds {len(page.items)} services but "
                            f"total_pages said {total}: the feed's paging is inconsistent, so the harvest "
                            "stopped without withdrawing anything")

    def _check_empty(self, page: Page) -> None:
        """An empty page ends the feed, unless the envelope promised more: ``total_pages`` reaching
        this page, or (on page 1, where an empty feed often says ``total_pages: 1``) ``total_items``."""
        if page.number == 1 and page.total_items:
            promise = f"total_items said {page.total_items}"
        elif page.number > 1 and page.total_pages is not None and page.number <= page.total_pages:
            promise = f"total_pages said {page.total_pages}"
        else:
            return
        raise FeedError(f"page {page.number} of {self.services_url} is empty but {promise}: "
                        "services may be missing, so the harvest stopped without withdrawing anything")

    def _detect(self) -> tuple[str | None, str | None]:
        """The dialect from ``GET {base}/`` (None when the API does not say)."""
        try:
            body = self.http.get_json(f"{self.base_url}/", conditional=False)
        except FeedError as exc:
            log.info("%s/: no API details (%s); the dialect is taken from /services", self.base_url, exc)
            return None, None
        version = body.get("version") if isinstance(body, dict) else None
        return dialect_of_version(version), (str(version) if version is not None else None)

    # ----------------------------------------------------------------- records

    def _record(self, item: Any, origin: str, seen: dict[str, str], details: _DetailFailures) -> SourceRecord:
        if not isinstance(item, dict):
            return _problem(f"(no id: {origin})", item, origin, f"not a JSON object but a JSON {_json_type(item)}",
                            "fetch")
        ident = _sid(item.get("id"))
        if ident is None:  # an external id of its own, so two of them never collide when staged
            return _problem(f"(no id: {origin})", item, origin, "no id", "normalise")
        if ident in seen:  # staged under an id of its own: the first occurrence keeps the source's id
            return _problem(f"{ident}#duplicate at {origin}", item, origin, f"duplicate of {seen[ident]}", "fetch")
        seen[ident] = origin
        raw: Any = item
        if self.full_records:
            raw, problem = self._detail(ident, details)
            if problem:
                return _problem(ident, item, origin, problem, "fetch")
        record = oruk1_service(raw) if self.dialect == ORUK1 else hsds3_service(raw)
        problems = [] if record.get("name") not in (None, "") else ["no name"]
        return SourceRecord(external_id=ident, kind=self.kind, raw=raw, record=record, origin=origin,
                            problems=problems)

    def _detail(self, ident: str, details: _DetailFailures) -> tuple[Any, str | None]:
        """The full record of one service, or why there is none."""
        url = f"{self.services_url}/{quote(ident, safe='')}"
        try:
            body = self.http.get_json(url, conditional=False)
        except FeedHttpError as exc:
            if exc.status == 404:
                details.ok()
                return None, f"listed, but {url} answered 404 (not found)"
            details.failed(url, exc)
            return None, f"could not fetch the full record: {exc}"
        except FeedError as exc:
            details.failed(url, exc)
            return None, f"could not fetch the full record: {exc}"
        details.ok()
        if not isinstance(body, dict):
            return None, f"{url} answered a JSON {_json_type(body)}, not a service"
        if _sid(body.get("id")) != ident:
            return None, f"asked {url} for service {ident} but got id {json.dumps(body.get('id'))}"
        return body, None


class _DetailFailures:
    """Counts detail fetches failing in a row: past a limit the API is down, and the harvest stops."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_a_row = 0

    def ok(self) -> None:
        self.in_a_row = 0

    def failed(self, url: str, error: Exception) -> None:
        self.in_a_row += 1
        if self.in_a_row >= self.limit:
            raise FeedError(f"{self.in_a_row} service details failed in a row (the last, {url}: {error}); "
                            "the API seems to be failing, so the harvest stopped without withdrawing anything")


def _problem(ident: str, raw: Any, origin: str, problem: str, stage: str) -> SourceRecord:
    return SourceRecord(external_id=ident, kind="service", raw=raw, record=None, origin=origin,
                        problems=[problem], stage=stage)


# --------------------------------------------------------------------------- HSDS 3


def _sid(value: Any) -> str | None:
    """An id as a string (sources give integers too); None when there is none."""
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _is_id_key(key: str) -> bool:
    return key == "id" or key.endswith("_id")


def hsds3_service(raw: dict[str, Any]) -> dict[str, Any]:
    """An HSDS 3 service as Waymark keeps it: a copy without nulls, ids as strings."""
    cleaned: dict[str, Any] = _clean(raw)
    return cleaned


def _clean(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _clean(v, k) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value if v is not None]
    if _is_id_key(key) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return _sid(value)
    return value


# --------------------------------------------------------------------------- ORUK 1.0 -> HSDS 3.0

DAYS: Final = {"monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH", "friday": "FR",
               "saturday": "SA", "sunday": "SU"}
ISO_WEEKDAYS: Final = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # 1 = Monday ... 7 = Sunday
STATUSES: Final = ("active", "inactive", "defunct", "temporarily closed")


def oruk1_service(source: dict[str, Any]) -> dict[str, Any]:
    """An ORUK 1.0 service (``service_details``) as a nested HSDS 3.0 service.

    Kept: the service's scalars (``fees`` becomes ``fees_description``; a missing ``status``
    is taken as active, since ORUK 1.0 made it optional and HSDS 3 requires it); the
    organization (``url`` becomes ``website``); ``service_at_locations`` with their location
    (``physical_addresses`` -> ``addresses``, ``accessibility_for_disabilities`` ->
    ``accessibility``) and ``regular_schedules``; service ``regular_schedules`` (a weekday
    name or ISO number becomes ``byday``); ``contacts`` with ``phones``;
    ``service_taxonomys`` -> ``attributes`` with a ``taxonomy_term`` (the 1.0 taxonomy id is
    kept as its ``code``); ``eligibilitys`` -> minimum / maximum age where numeric and
    ``eligibility_description``; ``cost_options`` (amounts in GBP); ``languages``;
    ``service_areas``; ``fundings`` -> ``funding``.
    Not kept (no HSDS 3.0 home; ``raw`` still has them): ``holiday_schedules``, ``reviews``,
    ``deliverable_type``, ``attending_type``, ``attending_access``.
    Ids are kept as the source gives them, stringified; a nested item without an id gets
    ``{parent id}/{property}/{n}``, stable across harvests while the source's order is.
    """
    sid = _sid(source.get("id")) or ""
    out = _pick(source, "name", "description", "url", "email", "accreditations")
    out |= {"id": sid, "status": _status(source.get("status")), "fees_description": source.get("fees"),
            "assured_date": _date(source.get("assured_date"))}
    organization = source.get("organization")
    if isinstance(organization, dict):
        out["organization"] = _organization(organization)
        out["organization_id"] = out["organization"].get("id")
    out |= _eligibility(_dicts(source.get("eligibilitys", source.get("eligibilities"))))
    out["service_at_locations"] = [_service_at_location(sal, f"{sid}/service_at_locations/{n}")
                                   for n, sal in _numbered(source.get("service_at_locations"))]
    out["schedules"] = _schedules(source.get("regular_schedules"), f"{sid}/regular_schedules")
    out["contacts"] = [_contact(c, f"{sid}/contacts/{n}") for n, c in _numbered(source.get("contacts"))]
    out["attributes"] = [_attribute(st, f"{sid}/service_taxonomys/{n}")
                         for n, st in _numbered(source.get("service_taxonomys", source.get("service_taxonomies")))]
    out["cost_options"] = [_cost_option(c, f"{sid}/cost_options/{n}")
                           for n, c in _numbered(source.get("cost_options"))]
    out["languages"] = [_language(lang, f"{sid}/languages/{n}") for n, lang in _numbered(source.get("languages"))]
    out["service_areas"] = [_service_area(a, f"{sid}/service_areas/{n}")
                            for n, a in _numbered(source.get("service_areas"))]
    out["funding"] = [_with_id(_pick(f, "source"), f, f"{sid}/fundings/{n}")
                      for n, f in _numbered(source.get("fundings", source.get("funding")))]
    service: dict[str, Any] = _prune(out)
    return service


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _numbered(value: Any) -> list[tuple[int, dict[str, Any]]]:
    return list(enumerate(_dicts(value), start=1))


def _pick(source: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: source[name] for name in names if source.get(name) not in (None, "")}


def _with_id(out: dict[str, Any], source: dict[str, Any], fallback: str) -> dict[str, Any]:
    return {"id": _sid(source.get("id")) or fallback, **out}


def _prune(value: Any) -> Any:
    """Leave empty optional fields out: no nulls, empty strings, lists or objects."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [v for v in (_prune(v) for v in value) if v not in (None, "", [], {})]
    return value


def _status(value: Any) -> str:
    text = str(value).strip().lower() if value not in (None, "") else "active"
    return text if text in STATUSES else str(value)


def _date(value: Any) -> Any:
    """``2019-03-01T00:00:00`` -> ``2019-03-01`` (HSDS 3 dates are dates); other values as they are."""
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}T", value):
        return value[:10]
    return value


def _number(value: Any) -> float | int | None:
    """A number from a number or a numeric string (``"18"``, ``"£5.50"``); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        text = value.strip().lstrip("£").replace(",", "")
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if number.is_integer() else number
    return None


def _organization(org: dict[str, Any]) -> dict[str, Any]:
    out = _pick(org, "name", "description", "email", "logo", "uri")
    out["id"] = _sid(org.get("id"))
    out["website"] = org.get("url") or org.get("website")
    return out


def _eligibility(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Ages where numeric (the widest range given) and the eligibility texts."""
    minimums = [n for n in (_number(e.get("minimum_age")) for e in items) if n is not None]
    maximums = [n for n in (_number(e.get("maximum_age")) for e in items) if n is not None]
    texts = [str(e["eligibility"]).strip() for e in items if e.get("eligibility") not in (None, "")]
    return {"minimum_age": min(minimums) if minimums else None,
            "maximum_age": max(maximums) if maximums else None,
            "eligibility_description": ", ".join(dict.fromkeys(texts)) or None}


def _service_at_location(sal: dict[str, Any], fallback: str) -> dict[str, Any]:
    out = _with_id(_pick(sal, "description"), sal, fallback)
    location = sal.get("location")
    if isinstance(location, dict):
        out["location"] = _location(location, f"{fallback}/location")
        out["location_id"] = out["location"]["id"]
    out["schedules"] = _schedules(sal.get("regular_schedules"), f"{out['id']}/regular_schedules")
    return out


def _location(loc: dict[str, Any], fallback: str) -> dict[str, Any]:
    out = _with_id(_pick(loc, "name", "description"), loc, fallback)
    out["location_type"] = "physical"  # ORUK 1.0 locations are places people go to
    for axis in ("latitude", "longitude"):
        out[axis] = _number(loc.get(axis))
    out["addresses"] = [_address(a, f"{out['id']}/physical_addresses/{n}")
                        for n, a in _numbered(loc.get("physical_addresses"))]
    out["accessibility"] = [
        _with_id({"description": a.get("accessibility"), "details": a.get("details")}, a,
                 f"{out['id']}/accessibility_for_disabilities/{n}")
        for n, a in _numbered(loc.get("accessibility_for_disabilities"))]
    return out


def _address(address: dict[str, Any], fallback: str) -> dict[str, Any]:
    out = _pick(address, "attention", "address_1", "address_2", "city", "region", "state_province", "postal_code")
    out["country"] = address.get("country") or "GB"  # ORUK 1.0: "Use 'GB'"
    out["address_type"] = "physical"
    return _with_id(out, address, fallback)


def _contact(contact: dict[str, Any], fallback: str) -> dict[str, Any]:
    out = _with_id(_pick(contact, "name", "title", "department", "email"), contact, fallback)
    out["phones"] = [_with_id(_pick(p, "number", "extension", "type", "description"), p, f"{out['id']}/phones/{n}")
                     for n, p in _numbered(contact.get("phones"))]
    return out


def _schedules(value: Any, prefix: str) -> list[dict[str, Any]]:
    return [_schedule(s, f"{prefix}/{n}") for n, s in _numbered(value)]


def _schedule(schedule: dict[str, Any], fallback: str) -> dict[str, Any]:
    out = _with_id(_pick(schedule, "valid_from", "valid_to", "dtstart", "bymonthday", "description"),
                   schedule, fallback)
    out |= {"opens_at": _time(schedule.get("opens_at")), "closes_at": _time(schedule.get("closes_at")),
            "interval": _number(schedule.get("interval"))}
    byday = _byday(schedule.get("byday")) or _byday(schedule.get("weekday"))
    freq = str(schedule.get("freq") or "").strip().upper()
    out["byday"] = byday
    out["freq"] = freq or ("WEEKLY" if byday else None)
    if byday is None and schedule.get("weekday") not in (None, ""):
        out["notes"] = f"Day as published: {schedule['weekday']}"
    return out


def _time(value: Any) -> Any:
    """``9:00`` / ``09:00`` -> ``09:00:00``; other values as they are."""
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        hours, minutes = value.strip().split(":")
        return f"{int(hours):02d}:{minutes}:00"
    return value


def _byday(value: Any) -> str | None:
    """``"Monday"``, ``"mon, Tue"``, ``"MO,TU"``, ``1`` (ISO: Monday) -> ``"MO"`` / ``"MO,TU"``; None if unreadable."""
    if isinstance(value, int) and not isinstance(value, bool):
        return ISO_WEEKDAYS[value - 1] if 1 <= value <= 7 else None
    if not isinstance(value, str) or not value.strip():
        return None
    days = []
    for part in re.split(r"[,\s]+", value.strip()):
        found = re.fullmatch(r"([+-]?\d*)([A-Za-z]+)", part)
        if not found:
            return None
        ordinal, word = found.groups()
        word = word.lower()
        code = next((c for name, c in DAYS.items() if len(word) >= 2 and name.startswith(word)), None)
        if code is None:
            return None
        days.append(ordinal + code)
    return ",".join(days)


def _attribute(link: dict[str, Any], fallback: str) -> dict[str, Any]:
    found = link.get("taxonomy")
    taxonomy: dict[str, Any] = found if isinstance(found, dict) else {}
    term_id = _sid(taxonomy.get("id"))
    name = taxonomy.get("name")
    term = {"id": term_id, "code": term_id, "name": name, "description": name,
            "taxonomy": taxonomy.get("vocabulary"), "parent_id": _sid(taxonomy.get("parent"))}
    return _with_id({"taxonomy_term_id": term_id, "taxonomy_term": term}, link, fallback)


def _cost_option(cost: dict[str, Any], fallback: str) -> dict[str, Any]:
    out = _with_id(_pick(cost, "valid_from", "valid_to", "option", "amount_description"), cost, fallback)
    amount = _number(cost.get("amount"))
    if amount is not None:
        out |= {"amount": amount, "currency": "GBP"}
    elif cost.get("amount") not in (None, ""):  # "Free", "£5 to £10": keep the words
        out["amount_description"] = "; ".join(str(t) for t in (cost["amount"], cost.get("amount_description")) if t)
    return out


def _language(language: dict[str, Any], fallback: str) -> dict[str, Any]:
    text = str(language.get("language") or "").strip()
    is_code = re.fullmatch(r"[A-Za-z]{2,3}", text) is not None
    return _with_id({"code": text.lower()} if is_code else {"name": text}, language, fallback)


def _service_area(area: dict[str, Any], fallback: str) -> dict[str, Any]:
    out = _pick(area, "extent", "uri")
    out["name"] = area.get("service_area") or area.get("name")
    if "extent" in out:
        out["extent_type"] = "geojson"  # ORUK 1.0: "the polygon defining the area, in geojson"
    return _with_id(out, area, fallback)
