"""Check any HSDS / Open Referral UK 3.0 API the way the ORUK validator does.

The checks follow the validator's own test profile (``schema/vendor/oruk-3.0/HSDS-UK-3.0.json``):

* Level 1 (failures are errors): ``/`` (API details), ``/services`` (paginated) and
  ``/services/{id}``.
* Level 2 (failures are warnings): ``/taxonomies``, ``/taxonomy_terms``,
  ``/service_at_locations`` and their ``/{id}`` detail endpoints.

For each endpoint the API must answer 200 with JSON; list endpoints are walked with
``per_page=5`` (first, middle and last page, then one page past the end) and every
paging invariant of the HSDS envelope is checked; list items, details and the API
details document are validated against the vendored ORUK compiled schemas, or the
HSDS 3.0 table schemas where ORUK has none (taxonomies and terms). Finally a seeded
random sample of listed ids is fetched through each detail endpoint (round trip).

Pure: no database and no Flask. Schema ``$ref``s resolve from the vendored files,
never the network. Run as ``python -m importers.oruk_validator URL [--json]``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeGuard
from urllib.parse import quote, urlencode

import requests
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from schema.hsds import HSDS_DIR, ORUK_DIR, compiled_schema, table_schema

Level = Literal["error", "warning"]

PROFILE = ORUK_DIR / "HSDS-UK-3.0.json"
PER_PAGE = 5
DEFAULT_TIMEOUT = 10.0
MAX_SCHEMA_ERRORS = 10  # per document; the rest are summarised in one finding
MAX_MESSAGE = 240

INT_FIELDS = ("total_items", "total_pages", "page_number", "size")
BOOL_FIELDS = ("first_page", "last_page", "empty")
ENVELOPE_FIELDS = (*INT_FIELDS, *BOOL_FIELDS, "contents")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Finding:
    """One failed check: ``level`` error (Level 1) or warning (Level 2)."""

    level: Level
    test: str
    endpoint: str
    message: str


@dataclass
class Report:
    """Everything one run found, and every URL it fetched."""

    base_url: str
    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when no error-level finding was made (warnings do not fail an API)."""
        return not self.errors

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "passed": self.passed,
            "counts": {"error": len(self.errors), "warning": len(self.warnings), "checked": len(self.checked)},
            "findings": [asdict(f) for f in self.findings],
            "checked": list(self.checked),
        }


# --------------------------------------------------------------------------- the test profile


@dataclass(frozen=True)
class ProfileTest:
    """One test of the validator's profile, e.g. "Services list - API & schema validation"."""

    name: str
    level: Level
    endpoint: str  # as in the profile: "/", "/services", "/services/"
    schema: str  # the profile's schema file name without folder and suffix, e.g. "service_list"
    paginated: bool
    ids_from: str | None  # for detail tests: the list endpoint whose ids are used, e.g. "/services"

    @property
    def label(self) -> str:
        """The endpoint as findings name it: "/services" or "/services/{id}"."""
        return f"{self.endpoint.rstrip('/')}/{{id}}" if self.ids_from else self.endpoint


def load_profile(path: Path = PROFILE) -> list[ProfileTest]:
    """The tests of a validator test profile, in order."""
    profile = json.loads(path.read_text())
    tests: list[ProfileTest] = []
    for group in profile["testGroups"]:
        level: Level = "error" if group.get("messageLevel", "error") == "error" else "warning"
        for test in group["tests"]:
            source = test.get("useIdFrom")
            tests.append(ProfileTest(
                name=test["name"],
                level=level,
                endpoint=test["endpoint"],
                schema=Path(test["schema"]).stem,
                paginated=bool(test.get("pagination")),
                ids_from=source.removesuffix("-id") if source else None,
            ))
    return tests


# --------------------------------------------------------------------------- schemas


def _retrieve(uri: str) -> Resource[Any]:
    """Resolve a relative ``$ref`` such as ``metadata.json`` to a vendored HSDS 3.0 table schema."""
    name = uri.rsplit("/", 1)[-1]
    path = HSDS_DIR / name
    if "://" in uri or not name.endswith(".json") or not path.is_file():
        raise NoSuchResource(ref=uri)  # type: ignore[call-arg]
    return Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT202012)


def schema_document(name: str) -> dict[str, Any]:
    """The schema a profile name stands for: the ORUK compiled schema when there is one,
    else the HSDS 3.0 table schema (``taxonomy_list`` items are ``taxonomy`` records)."""
    if (ORUK_DIR / "compiled" / f"{name}.json").is_file():
        return compiled_schema(name, "oruk")
    table = name.removesuffix("_list")
    if (HSDS_DIR / f"{table}.json").is_file():
        return table_schema(table)
    raise ValueError(f"no vendored schema for {name!r}")


@cache
def validator(name: str) -> Any:
    """A Draft 2020-12 validator with format checking for a profile schema name."""
    registry: Registry[Any] = Registry(retrieve=_retrieve)  # type: ignore[call-arg]
    return Draft202012Validator(schema_document(name), registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def json_path(parts: Iterable[str | int]) -> str:
    """``["contents", 2, "email"]`` -> ``$.contents[2].email``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}"
        else:
            out += f"[{json.dumps(part)}]"
    return out


def _short(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def schema_problems(document: Any, name: str, prefix: Sequence[str | int] = ()) -> list[str]:
    """``"$.path: message"`` for each way ``document`` breaks schema ``name``."""
    try:
        errors = sorted(validator(name).iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    except Unresolvable as exc:
        return [f"{json_path(prefix)}: schema {name} could not be resolved ({exc})"]
    return [f"{json_path([*prefix, *e.absolute_path])}: {_short(e.message)}" for e in errors]


# --------------------------------------------------------------------------- paging invariants


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _field_problems(envelope: dict[str, Any]) -> list[str]:
    problems = []
    missing = [name for name in ENVELOPE_FIELDS if name not in envelope]
    extra = [name for name in envelope if name not in ENVELOPE_FIELDS]
    if missing:
        problems.append(f"envelope lacks field(s) {', '.join(missing)}")
    if extra:
        problems.append(f"envelope has unexpected field(s) {', '.join(extra)} "
                        f"(it must have exactly {', '.join(ENVELOPE_FIELDS)})")
    for name in INT_FIELDS:
        if name in envelope and not _is_int(envelope[name]):
            problems.append(f"{name} must be an integer, got {json.dumps(envelope[name])}")
        elif name in envelope and envelope[name] < 0:
            problems.append(f"{name} must not be negative, got {envelope[name]}")
    for name in BOOL_FIELDS:
        if name in envelope and not isinstance(envelope[name], bool):
            problems.append(f"{name} must be a boolean, got {json.dumps(envelope[name])}")
    if "contents" in envelope and not isinstance(envelope["contents"], list):
        problems.append(f"contents must be an array, got {type(envelope['contents']).__name__}")
    return problems


def _typed(envelope: dict[str, Any]) -> dict[str, Any]:
    """The envelope fields that have the right type (invariants only use these)."""
    ok = {name: envelope[name] for name in INT_FIELDS if _is_int(envelope.get(name)) and envelope[name] >= 0}
    ok |= {name: envelope[name] for name in BOOL_FIELDS if isinstance(envelope.get(name), bool)}
    if isinstance(envelope.get("contents"), list):
        ok["contents"] = envelope["contents"]
    return ok


def _flag_problems(v: dict[str, Any], page: int) -> list[str]:
    problems = []
    if "page_number" in v and v["page_number"] != page:
        problems.append(f"page_number == requested page broken: asked for page {page}, "
                        f"page_number is {v['page_number']}")
    if "first_page" in v and v["first_page"] != (page == 1):
        problems.append(f"first_page == (page == 1) broken: first_page is {_js(v['first_page'])} on page {page}")
    if "last_page" in v and "total_pages" in v and v["last_page"] != (page >= v["total_pages"]):
        problems.append(f"last_page == (page >= total_pages) broken: last_page is {_js(v['last_page'])} "
                        f"on page {page} of {v['total_pages']}")
    if "empty" in v and "size" in v and v["empty"] != (v["size"] == 0):
        problems.append(f"empty == (size == 0) broken: empty is {_js(v['empty'])} with size {v['size']}")
    return problems


def _size_problems(v: dict[str, Any], page: int, per_page: int) -> list[str]:
    problems = []
    count = len(v["contents"]) if "contents" in v else None
    if count is not None and "size" in v and v["size"] != count:
        problems.append(f"size == len(contents) broken: size is {v['size']} but contents holds {count} item(s)")
    if count is not None and count > per_page:
        problems.append(f"len(contents) <= per_page broken: {count} items with per_page={per_page}")
    if "total_items" not in v:
        return problems
    pages_needed = math.ceil(v["total_items"] / per_page)
    if "total_pages" in v and v["total_pages"] != pages_needed:
        problems.append(f"total_pages == ceil(total_items / per_page) broken: total_pages is {v['total_pages']} "
                        f"but {v['total_items']} items at {per_page} a page make {pages_needed}")
    expected = max(0, min(per_page, v["total_items"] - per_page * (page - 1)))
    if count is not None and count <= per_page and count != expected:
        if page > pages_needed:
            problems.append(f"a page past the end must be empty: page {page} of {pages_needed} holds {count} item(s)")
        else:
            problems.append(f"page fill broken: page {page} should hold {expected} item(s) "
                            f"(total_items={v['total_items']}, per_page={per_page}) but holds {count}")
    return problems


def _js(value: Any) -> str:
    return json.dumps(value)


def duplicate_ids(contents: Sequence[Any]) -> list[str]:
    """Ids that occur more than once in one page."""
    counts = Counter(item["id"] for item in contents if isinstance(item, dict) and isinstance(item.get("id"), str))
    return [ident for ident, n in counts.items() if n > 1]


def paging_problems(envelope: Any, page: int, per_page: int = PER_PAGE) -> list[str]:
    """Every HSDS paging invariant that ``envelope`` (the answer for ``page``) breaks, named."""
    if not isinstance(envelope, dict):
        return [f"expected a paging envelope (a JSON object), got a JSON {type(envelope).__name__}"]
    typed = _typed(envelope)
    problems = _field_problems(envelope) + _size_problems(typed, page, per_page) + _flag_problems(typed, page)
    dupes = duplicate_ids(typed.get("contents", []))
    if dupes:
        problems.append(f"unique ids broken: {', '.join(dupes)} repeated within page {page}")
    return problems


def pages_to_sample(total_pages: int) -> list[int]:
    """First, middle and last page (page 1 alone when there are no items)."""
    return sorted({1, total_pages // 2 + 1, total_pages} & set(range(1, max(total_pages, 1) + 1)))


def page_ids(envelope: Any) -> list[str]:
    """The string ids of a page's contents, in order, without repeats."""
    contents = envelope.get("contents") if isinstance(envelope, dict) else None
    if not isinstance(contents, list):
        return []
    ids = [item["id"] for item in contents if isinstance(item, dict) and isinstance(item.get("id"), str)]
    return list(dict.fromkeys(ids))


# --------------------------------------------------------------------------- HTTP


@dataclass(frozen=True)
class Fetched:
    """A response body parsed as JSON (``problem`` is None), or why there is none."""

    url: str
    body: Any = None
    problem: str | None = None


def _describe_non_json(response: requests.Response, error: Exception) -> str:
    kind = response.headers.get("Content-Type", "no Content-Type")
    start = response.content[:200].lstrip().lower()
    if "html" in kind.lower() or start.startswith(b"<"):
        return f"answered 200 with an HTML page ({kind}), not JSON"
    if not response.content:
        return f"answered 200 with an empty body ({kind}), not JSON"
    return f"answered 200 but the body is not valid JSON ({kind}): {_short(str(error))}"


def _reason(exc: Exception) -> str:
    """The root cause of a requests failure (e.g. ``[Errno 111] Connection refused``), not urllib3's whole chain."""
    text = str(exc)
    found = re.search(r"\[Errno -?\d+\][^'\")]*", text)
    return _short(found.group(0).strip() if found else text)


def fetch_json(session: requests.Session, url: str, timeout: float = DEFAULT_TIMEOUT) -> Fetched:
    """GET ``url`` and parse JSON; network failures, non-200 answers and bad JSON become a ``problem``."""
    try:
        response = session.get(url, timeout=timeout, headers={"Accept": "application/json"})
    except requests.Timeout:
        return Fetched(url, problem=f"no answer within {timeout:g} s (timeout)")
    except requests.RequestException as exc:
        return Fetched(url, problem=f"request failed: {type(exc).__name__}: {_reason(exc)}")
    if response.status_code != 200:
        return Fetched(url, problem=f"answered HTTP {response.status_code} {response.reason or ''}".rstrip()
                       + ", expected 200 with JSON")
    try:
        return Fetched(url, body=json.loads(response.content))
    except (ValueError, RecursionError) as exc:
        return Fetched(url, problem=_describe_non_json(response, exc))


# --------------------------------------------------------------------------- the run


@dataclass
class _Run:
    """State of one validation run."""

    base_url: str
    session: requests.Session
    timeout: float
    sample: int
    rng: random.Random
    report: Report
    ids: dict[str, list[str]] = field(default_factory=dict)

    def url(self, path: str, query: dict[str, int] | None = None) -> str:
        url = self.base_url + path
        return f"{url}?{urlencode(query)}" if query else url

    def add(self, test: ProfileTest, kind: str, url: str, messages: Iterable[str]) -> None:
        for message in messages:
            self.report.findings.append(Finding(test.level, kind, test.label, f"{url}: {message}"))

    def get(self, test: ProfileTest, url: str) -> Fetched | None:
        """The parsed answer at ``url`` (its ``body`` may be JSON null); None, and a finding, when there is none."""
        self.report.checked.append(url)
        fetched = fetch_json(self.session, url, self.timeout)
        if fetched.problem is not None:
            self.add(test, "response", url, [fetched.problem])
            return None
        return fetched

    def check_schema(self, test: ProfileTest, url: str, document: Any,
                     name: str, prefix: Sequence[str | int] = ()) -> None:
        problems = schema_problems(document, name, prefix)
        if len(problems) > MAX_SCHEMA_ERRORS:
            extra = len(problems) - MAX_SCHEMA_ERRORS
            problems = [*problems[:MAX_SCHEMA_ERRORS], f"... and {extra} more schema error(s) against {name}"]
        self.add(test, "schema", url, problems)


def _check_document(run: _Run, test: ProfileTest) -> None:
    """A plain endpoint such as ``/``: 200, JSON, and valid against its schema."""
    url = run.url(test.endpoint)
    fetched = run.get(test, url)
    if fetched is not None:
        run.check_schema(test, url, fetched.body, test.schema)


def _check_page(run: _Run, test: ProfileTest, page: int, body: Any, seen: dict[str, int]) -> None:
    url = run.url(test.endpoint, {"page": page, "per_page": PER_PAGE})
    run.add(test, "paging", url, paging_problems(body, page))
    contents = body.get("contents") if isinstance(body, dict) else None
    if isinstance(contents, list):
        for index, item in enumerate(contents):
            run.check_schema(test, url, item, test.schema, ("contents", index))
    repeats = []
    for ident in page_ids(body):
        if ident in seen and seen[ident] != page:
            repeats.append(f"unique ids broken: {ident} on page {page} was already on page {seen[ident]}")
        seen.setdefault(ident, page)
    run.add(test, "paging", url, repeats)


def _total_pages(first: Any) -> int | None:
    """The page count page 1 reports, or derives from total_items; None if it gives neither."""
    if not isinstance(first, dict):
        return None
    pages, items = first.get("total_pages"), first.get("total_items")
    if _is_int(pages) and pages >= 0:
        return pages
    if _is_int(items) and items >= 0:
        return math.ceil(items / PER_PAGE)
    return None


def _check_totals(run: _Run, test: ProfileTest, pages: dict[int, Any]) -> None:
    """total_items and total_pages must not change from page to page."""
    first = pages[1]
    for number, body in pages.items():
        if number == 1 or not isinstance(body, dict) or not isinstance(first, dict):
            continue
        url = run.url(test.endpoint, {"page": number, "per_page": PER_PAGE})
        run.add(test, "paging", url, [
            f"{name} changed between pages: page 1 says {_js(first.get(name))}, "
            f"page {number} says {_js(body.get(name))}"
            for name in ("total_items", "total_pages") if body.get(name) != first.get(name)
        ])


def _check_list(run: _Run, test: ProfileTest) -> None:
    """A paginated list endpoint: envelope invariants and item schemas on the first, middle and
    last page, no id twice, an empty page past the end; its ids are saved for the detail test."""
    first = run.get(test, run.url(test.endpoint, {"page": 1, "per_page": PER_PAGE}))
    if first is None:
        return
    total = _total_pages(first.body)
    pages: dict[int, Any] = {1: first.body}
    for number in pages_to_sample(total or 0)[1:]:
        fetched = run.get(test, run.url(test.endpoint, {"page": number, "per_page": PER_PAGE}))
        if fetched is not None:
            pages[number] = fetched.body
    seen: dict[str, int] = {}
    for number, body in pages.items():
        _check_page(run, test, number, body, seen)
    _check_totals(run, test, pages)
    if total is not None:
        past = total + 1
        url = run.url(test.endpoint, {"page": past, "per_page": PER_PAGE})
        fetched = run.get(test, url)
        if fetched is not None:
            run.add(test, "paging", url, paging_problems(fetched.body, past))
    run.ids[test.endpoint] = list(seen)


def _check_details(run: _Run, test: ProfileTest) -> None:
    """Round trip: a seeded sample of listed ids, each fetched by id and checked against the detail schema."""
    source = test.ids_from or ""
    ids = run.ids.get(source)
    if not ids:
        why = "it could not be read" if ids is None else "it listed no ids"
        run.add(test, "round_trip", run.url(test.endpoint), [f"not tested: needs ids from {source}, but {why}"])
        return
    for ident in run.rng.sample(ids, max(0, min(run.sample, len(ids)))):
        url = run.url(test.endpoint.rstrip("/") + "/" + quote(ident, safe=""))
        fetched = run.get(test, url)
        if fetched is None:
            continue
        run.check_schema(test, url, fetched.body, test.schema)
        got = fetched.body.get("id") if isinstance(fetched.body, dict) else None
        if got != ident:
            run.add(test, "round_trip", url, [f"asked for id {ident} but the record's id is {_js(got)}"])


def validate_api(base_url: str, session: requests.Session | None = None, sample: int = 5, seed: int = 0,
                 timeout: float = DEFAULT_TIMEOUT) -> Report:
    """Run the ORUK 3.0 profile's checks against the API at ``base_url`` (e.g. ``https://host/api``)."""
    base = base_url.rstrip("/")
    own = session is None
    http = session or requests.Session()
    run = _Run(base, http, timeout, sample, random.Random(seed), Report(base_url))
    try:
        for test in load_profile():
            if test.paginated:
                _check_list(run, test)
            elif test.ids_from:
                _check_details(run, test)
            else:
                _check_document(run, test)
    finally:
        if own:
            http.close()
    return run.report


# --------------------------------------------------------------------------- command line


def format_report(report: Report) -> str:
    """A plain-text table of the findings and a one-line verdict."""
    rows = [(f.level.upper(), f.test, f.endpoint, f.message) for f in report.findings]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(("LEVEL", "TEST", "ENDPOINT"))]
    lines = []
    if rows:
        header = ("LEVEL", "TEST", "ENDPOINT", "MESSAGE")
        for row in [header, *rows]:
            lines.append("  ".join([*(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)), row[3]]))
    verdict = "PASSED" if report.passed else "FAILED"
    lines.append(f"{verdict}: {len(report.errors)} error(s), {len(report.warnings)} warning(s), "
                 f"{len(report.checked)} URL(s) checked at {report.base_url}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m importers.oruk_validator URL [--json]``; exit status 1 when the API did not pass."""
    parser = argparse.ArgumentParser(prog="python -m importers.oruk_validator",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("url", help="base URL of the HSDS / ORUK API, e.g. https://example.org/api")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--sample", type=int, default=5, help="ids to fetch through each detail endpoint")
    parser.add_argument("--seed", type=int, default=0, help="seed for choosing those ids")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds to wait for each answer")
    args = parser.parse_args(argv)
    report = validate_api(args.url, sample=args.sample, seed=args.seed, timeout=args.timeout)
    sys.stdout.write((json.dumps(report.to_dict(), indent=2) if args.json else format_report(report)) + "\n")
    return 0 if report.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
