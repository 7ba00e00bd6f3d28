"""The Elasticsearch backend without a server.

Two kinds of check:

- Semantics of the request bodies: ``evaluate`` is a small, strict model of the part of the
  Elasticsearch query DSL the backend uses (bool with explicit minimum_should_match, term,
  terms, range, exists, nested, geo_distance, geo_shape with a point, match_all/none). It
  refuses anything else, so a body outside that subset fails here rather than being guessed
  at. Filters built by ``build_query`` are evaluated on ``to_source`` documents and compared
  with the contract's own definitions (``OpenInterval.occurs_on``, haversine distance ...).
- The backend's conversation with a server: a fake transport node records every HTTP request
  the real ``elasticsearch`` client sends and answers with canned Elasticsearch responses, so
  method names, parameters and bulk bodies go through the client's own checks and serialiser.

The contract suite (tests/search/test_contract.py) runs the real thing when
WAYMARK_ELASTICSEARCH_URL is set.
"""

from __future__ import annotations

import dataclasses
import datetime
import inspect
import json
import random
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import shapely  # type: ignore[import-untyped]
from elastic_transport import ApiResponseMeta, BaseNode, HttpHeaders
from elastic_transport._node import NodeApiResponse
from elasticsearch import Elasticsearch

from app.geo.distance import haversine_m
from app.search.backend import GeoPoint, OpenAt, SearchDocument, SearchQuery
from app.search.elastic import ElasticsearchBackend
from app.search.elastic_dsl import (
    COUNT_PAGE,
    MAX_EVERY,
    MIN_DISTANCE_M,
    NEAREST,
    SERVICES_AGG,
    build_query,
    build_search,
    mapping,
    to_source,
)
from app.search.opening import MINUTES_PER_DAY, MINUTES_PER_WEEK, OpenInterval, _occurrence_day

TUE = MINUTES_PER_DAY
SQUARE = json.dumps({"type": "Polygon", "coordinates": [[[-1.6, 53.7], [-1.4, 53.7], [-1.4, 53.9], [-1.6, 53.9],
                                                          [-1.6, 53.7]]]})
BOWTIE = json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]})
LEEDS = GeoPoint(53.8, -1.55)


def doc(id: str = "d1", **changes: Any) -> SearchDocument:
    base = SearchDocument(id=id, service_id=changes.pop("service_id", "s-" + id), location_id="l1",
                          organization_id="o1", name="Walking group", last_modified=None,
                          latitude=53.8, longitude=-1.55, name_text="walk group", body_text="gentl walk park")
    return dataclasses.replace(base, **changes)


# -- a strict model of the DSL subset ----------------------------------------------------------

def _fields(properties: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    out = {}
    for name, spec in properties.items():
        out[prefix + name] = spec
        if "properties" in spec:
            out.update(_fields(spec["properties"], prefix + name + "."))
    return out


FIELDS = _fields(mapping()["properties"])


def _values(source: dict[str, Any], field: str, context: str) -> list[Any]:
    if context:
        assert field.startswith(context + "."), f"{field} used outside nested {context}"
        field = field[len(context) + 1:]
    else:
        assert "." not in field, f"{field} needs a nested query"
    assert (context + "." + field if context else field) in FIELDS, f"unmapped field {field}"
    value = source.get(field)
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    if FIELDS[context + "." + field if context else field]["type"] == "text":
        return [token for v in values for token in v.split()]
    return values


def _one(spec: dict[str, Any]) -> tuple[str, Any]:
    assert len(spec) == 1, spec
    return next(iter(spec.items()))


def evaluate(query: dict[str, Any], source: dict[str, Any], context: str = "") -> bool:
    kind, spec = _one(query)
    if kind == "bool":
        assert set(spec) <= {"filter", "must", "should", "must_not", "minimum_should_match"}, spec
        if "should" in spec:
            assert "minimum_should_match" in spec, "the default minimum_should_match depends on the context"
        ok = all(evaluate(c, source, context) for c in spec.get("filter", []) + spec.get("must", []))
        ok = ok and not any(evaluate(c, source, context) for c in spec.get("must_not", []))
        if "should" in spec:
            ok = ok and sum(evaluate(c, source, context) for c in spec["should"]) >= spec["minimum_should_match"]
        return ok
    if kind == "constant_score":
        assert set(spec) <= {"filter", "boost"}, spec
        return evaluate(spec["filter"], source, context)
    if kind == "match_all":
        return True
    if kind == "match_none":
        return False
    if kind == "term":
        field, value = _one(spec)
        if isinstance(value, dict):
            assert set(value) <= {"value", "boost"}
            value = value["value"]
        return value in _values(source, field, context)
    if kind == "terms":
        field, wanted = _one(spec)
        return bool(set(wanted) & set(_values(source, field, context)))
    if kind == "range":
        field, bounds = _one(spec)
        assert set(bounds) <= {"gt", "gte", "lt", "lte"}
        checks: dict[str, Callable[[Any, Any], bool]] = {
            "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}
        return any(all(checks[op](v, bound) for op, bound in bounds.items()) for v in _values(source, field, context))
    if kind == "exists":
        return bool(_values(source, spec["field"], context))
    if kind == "nested":
        assert not context and set(spec) <= {"path", "query", "score_mode"}
        assert FIELDS[spec["path"]]["type"] == "nested"
        return any(evaluate(spec["query"], item, spec["path"]) for item in source.get(spec["path"], []))
    if kind == "geo_distance":
        spec = dict(spec)
        assert spec.pop("distance_type", "arc") == "arc"
        distance = spec.pop("distance")
        assert distance.endswith("m") and not distance.endswith("km")
        (field, point), = spec.items()
        return any(haversine_m(point["lat"], point["lon"], v["lat"], v["lon"]) <= float(distance[:-1])
                   for v in _values(source, field, context))
    if kind == "geo_shape":
        field, shape_query = _one(spec)
        assert shape_query["relation"] == "intersects" and shape_query["shape"]["type"] == "point"
        lon, lat = shape_query["shape"]["coordinates"]
        return any(shapely.geometry.shape(v).intersects(shapely.Point(lon, lat))
                   for v in _values(source, field, context))
    raise AssertionError(f"outside the modelled DSL: {kind}")


def found(query: SearchQuery, *documents: SearchDocument) -> list[str]:
    q = build_query(query)
    return [d.id for d in documents if evaluate(q, to_source(d))]


# -- mapping and documents ----------------------------------------------------------------------

def test_mapping_is_strict_and_maps_every_field_a_document_source_can_have() -> None:
    assert mapping()["dynamic"] == "strict"
    full = doc(last_modified=datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.UTC), term_ids=frozenset({"t"}),
               taxonomy_ids=frozenset({"x"}), minimum_age=18, maximum_age=65, free=True,
               languages=frozenset({"PL"}), delivery=frozenset({"online"}), coverage_codes=frozenset({"UK"}),
               coverage_shapes=(SQUARE,), intervals=(
                   OpenInterval(600, 720, datetime.date(2024, 1, 1), datetime.date(2025, 1, 1)),
                   OpenInterval(600, 720, nth=-1), OpenInterval(600, 720, every=2, anchor=datetime.date(2024, 1, 2))))
    source = to_source(full)
    seen = {key for key in source} | {f"intervals.{key}" for item in source["intervals"] for key in item}
    assert seen <= set(FIELDS)
    # Every SearchDocument field has a home (latitude and longitude together in `location`).
    homes = {"latitude": "location", "longitude": "location", "last_modified": "modified_us"}
    assert {homes.get(f.name, f.name) for f in dataclasses.fields(SearchDocument)} <= seen


def test_text_fields_are_not_analysed_again() -> None:
    """Stemming twice ("walking" -> "walk" -> ...) or lower-casing differently would make ES match
    other documents than SQL: the tokens must be indexed and searched as they come."""
    for name in ("name_text", "body_text"):
        assert FIELDS[name]["type"] == "text"
        assert FIELDS[name]["analyzer"] == FIELDS[name]["search_analyzer"] == "whitespace"


def test_document_source() -> None:
    source = to_source(doc(languages=frozenset({"Polish", "pl"}), location_id=None, coverage_shapes=(SQUARE, "nope"),
                           last_modified=datetime.datetime(2024, 5, 1, 13, 0, 0, 1500,
                                                           tzinfo=datetime.timezone(datetime.timedelta(hours=1))),
                           intervals=(OpenInterval(TUE + 600, TUE + 720, valid_to=datetime.date(2024, 12, 31)),)))
    assert source["location"] == {"lat": 53.8, "lon": -1.55}  # named, so never swapped
    assert "location_id" not in source and "minimum_age" not in source  # absent, not null
    assert source["languages"] == ["pl", "polish"]
    assert source["last_modified"] == "2024-05-01T12:00:00.001500+00:00"
    assert source["modified_us"] == 1_714_564_800_001_500
    assert source["intervals"] == [{"start": TUE + 600, "end": TUE + 720, "start_day": 1, "every": 1,
                                    "valid_to": "2024-12-31", "rule": "weekly"}]
    (shape,) = source["coverage_shapes"]  # GeoJSON object, the unusable one dropped
    assert shape["type"] == "Polygon"
    assert shapely.geometry.shape(shape).equals(shapely.from_geojson(SQUARE))
    assert "location" not in to_source(doc(latitude=None, longitude=None))


def test_invalid_coverage_shapes_are_made_valid_like_the_sql_backend() -> None:
    (shape,) = to_source(doc(coverage_shapes=(BOWTIE,)))["coverage_shapes"]
    assert shapely.geometry.shape(shape).is_valid
    assert shapely.geometry.shape(shape).contains(shapely.Point(0.1, 0.5))


# -- filters: each SearchQuery field restricts --------------------------------------------------

def test_no_filters_match_everything() -> None:
    assert found(SearchQuery(), doc("a"), doc("b", latitude=None, longitude=None)) == ["a", "b"]


def test_proximity_is_haversine_and_excludes_unlocated_documents() -> None:
    near = doc("near", latitude=53.81, longitude=-1.55)  # ~1112 m north
    metres = haversine_m(LEEDS.latitude, LEEDS.longitude, 53.81, -1.55)
    nowhere = doc("nowhere", latitude=None, longitude=None)
    assert found(SearchQuery(point=LEEDS, proximity=metres + 0.5), near, nowhere) == ["near"]
    assert found(SearchQuery(point=LEEDS, proximity=metres - 0.5), near, nowhere) == []
    assert found(SearchQuery(point=LEEDS), near, nowhere) == ["near", "nowhere"]  # no radius: all
    clauses = build_query(SearchQuery(point=LEEDS, proximity=0))["bool"]["filter"]
    zero = next(c["geo_distance"]["distance"] for c in clauses if "geo_distance" in c)
    assert zero == f"{MIN_DISTANCE_M!r}m"  # ES refuses 0


@pytest.mark.parametrize(("query", "yes", "no"), [
    (SearchQuery(term_ids=frozenset({"t1", "t9"})), {"term_ids": frozenset({"t1", "t2"})},
     {"term_ids": frozenset({"t2"})}),
    (SearchQuery(taxonomy_id="x"), {"taxonomy_ids": frozenset({"x", "y"})}, {"taxonomy_ids": frozenset({"y"})}),
    (SearchQuery(organization_id="o1"), {"organization_id": "o1"}, {"organization_id": "o2"}),
    (SearchQuery(organization_id="o1"), {"organization_id": "o1"}, {"organization_id": None}),
    (SearchQuery(free=True), {"free": True}, {"free": False}),
    (SearchQuery(languages=frozenset({"pl", "Urdu"})), {"languages": frozenset({"urdu"})},
     {"languages": frozenset({"en"})}),
    (SearchQuery(delivery=frozenset({"online", "telephone"})), {"delivery": frozenset({"online", "in_person"})},
     {"delivery": frozenset({"in_person"})}),
    (SearchQuery(modified_after=datetime.datetime(2024, 5, 1, 12, 0, 0, 2, tzinfo=datetime.UTC)),
     {"last_modified": datetime.datetime(2024, 5, 1, 12, 0, 0, 2, tzinfo=datetime.UTC)},  # at or after (as SQL)
     {"last_modified": datetime.datetime(2024, 5, 1, 12, 0, 0, 1, tzinfo=datetime.UTC)}),  # to the microsecond
    (SearchQuery(modified_after=datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC)),
     {"last_modified": datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC)}, {"last_modified": None}),
])
def test_each_filter_restricts(query: SearchQuery, yes: dict[str, Any], no: dict[str, Any]) -> None:
    assert found(query, doc("yes", **yes), doc("no", **no)) == ["yes"]


@pytest.mark.parametrize(("low", "high"), [(None, None), (30, 30), (None, 17), (66, None), (10, 20), (70, 90)])
def test_age_range_overlaps_eligibility(low: int | None, high: int | None) -> None:
    documents = [doc(f"{lo}-{hi}", minimum_age=lo, maximum_age=hi)
                 for lo in (None, 18) for hi in (None, 65)]
    expected = [d.id for d in documents
                if (high is None or d.minimum_age is None or d.minimum_age <= high)
                and (low is None or d.maximum_age is None or d.maximum_age >= low)]
    assert found(SearchQuery(age_range=(low, high)), *documents) == expected


def test_coverage_by_shared_code_or_by_a_shape_containing_the_point() -> None:
    documents = [doc("code", coverage_codes=frozenset({"E08000035"})), doc("uk", coverage_codes=frozenset({"UK"})),
                 doc("shape", coverage_shapes=(SQUARE,)), doc("elsewhere", coverage_codes=frozenset({"W06000015"})),
                 doc("none")]
    codes = frozenset({"E08000035", "E92000001", "UK"})
    assert found(SearchQuery(coverage=codes, point=LEEDS), *documents) == ["code", "uk", "shape"]
    assert found(SearchQuery(coverage=codes, point=GeoPoint(51.5, -0.1)), *documents) == ["code", "uk"]
    assert found(SearchQuery(coverage=codes), *documents) == ["code", "uk"]
    assert found(SearchQuery(coverage=None), *documents) == [d.id for d in documents]


def test_text_groups_and_alternatives() -> None:
    documents = [doc("name", name_text="walk group", body_text=""), doc("body", name_text="club", body_text="walk"),
                 doc("split", name_text="social", body_text="isol support"), doc("half", name_text="social club",
                                                                                body_text="")]
    lonely = (("lone",), ("social", "isol"))
    assert found(SearchQuery(text=(lonely,)), *documents) == ["split"]
    assert found(SearchQuery(text=((("walk",),),)), *documents) == ["name", "body"]
    assert found(SearchQuery(text=((("walk",),), lonely)), *documents) == []  # groups AND
    assert found(SearchQuery(text=((("club",), ("lone",)),)), *documents) == ["body", "half"]


def test_degenerate_text_restricts_nothing() -> None:
    """A group with an empty alternative (or no alternative, or only tokens no index holds)
    matches anything, so it is dropped, as the SQL backend drops it."""
    documents = [doc("a", name_text="walk"), doc("b", name_text="club", body_text="")]
    assert found(SearchQuery(text=((("walk",), ()),)), *documents) == ["a", "b"]
    assert found(SearchQuery(text=((), (("walk",),))), *documents) == ["a"]
    assert found(SearchQuery(text=((("-",),),)), *documents) == ["a", "b"]
    assert "must" not in build_query(SearchQuery(text=((("-", "'"),),)))["bool"]


def test_text_matches_whole_tokens_only() -> None:
    assert found(SearchQuery(text=((("wal",),),)), doc(name_text="walk", body_text="walking")) == []


def test_text_in_the_name_weighs_more() -> None:
    (group,) = build_query(SearchQuery(text=((("walk",),),)))["bool"]["must"]
    (alternative,) = group["bool"]["should"]
    (token,) = alternative["bool"]["must"]
    boosts = {_one(c["term"])[0]: _one(c["term"])[1].get("boost", 1.0) for c in token["bool"]["should"]}
    assert boosts["name_text"] > boosts["body_text"]


def test_windows_any_interval_overlapping_any_window() -> None:
    documents = [doc("tue-am", intervals=(OpenInterval(TUE + 540, TUE + 720),)),
                 doc("tue-pm", intervals=(OpenInterval(TUE + 780, TUE + 1020),)),
                 doc("ends-at-nine", intervals=(OpenInterval(TUE + 420, TUE + 540),)), doc("never")]
    mornings = ((TUE + 540, TUE + 720), (2 * TUE + 540, 2 * TUE + 720))
    assert found(SearchQuery(windows=mornings), *documents) == ["tue-am"]  # [s, e) meets [540, ...) only at 540
    assert found(SearchQuery(windows=((TUE, 2 * TUE),)), *documents) == ["tue-am", "tue-pm", "ends-at-nine"]


def _reference_open(intervals: tuple[OpenInterval, ...], moment: OpenAt) -> bool:
    return any(i.start <= moment.minute < i.end and i.occurs_on(_occurrence_day(i, moment.minute, moment.day))
               for i in intervals)


def _random_interval(rng: random.Random) -> OpenInterval:
    start = rng.randrange(MINUTES_PER_WEEK - 1)
    end = rng.randint(start + 1, min(MINUTES_PER_WEEK, start + rng.choice((60, 600, 1500, 3000))))
    day = datetime.date(2024, 1, 1) + datetime.timedelta(days=rng.randrange(730))
    rule = rng.random()
    nth = rng.choice((1, 2, 3, 4, 5, -1, -2)) if rule < 0.3 else None
    every = rng.choice((2, 3, 4, 13, MAX_EVERY)) if 0.3 <= rule < 0.7 else 1
    anchor = day if every > 1 or rng.random() < 0.1 else None
    valid_from = day - datetime.timedelta(days=rng.randrange(400)) if rng.random() < 0.3 else None
    valid_to = day + datetime.timedelta(days=rng.randrange(400)) if rng.random() < 0.3 else None
    return OpenInterval(start, end, valid_from, valid_to, nth, every, anchor)


def test_open_at_agrees_with_occurs_on() -> None:
    """Random intervals (monthly nth, every N weeks from an anchor, validity dates, overnight and
    multi-day spans) and random moments: the nested filter and OpenInterval.occurs_on agree."""
    rng = random.Random(4)
    opened = closed = 0
    for _ in range(4000):
        interval = _random_interval(rng)
        # Moments mostly inside the interval, where the date rules decide.
        minute = rng.randrange(interval.start, interval.end) if rng.random() < 0.9 else rng.randrange(MINUTES_PER_WEEK)
        monday = datetime.date(2024, 1, 1) + datetime.timedelta(weeks=rng.randrange(110))
        moment = OpenAt(minute, monday + datetime.timedelta(days=minute // MINUTES_PER_DAY))
        expected = _reference_open((interval,), moment)
        assert found(SearchQuery(open_at=moment), doc(intervals=(interval,))) == (["d1"] if expected else []), (
            interval, moment)
        opened, closed = opened + expected, closed + (not expected)
    assert opened > 800 and closed > 800  # both outcomes well exercised


def test_open_at_every_other_week_and_last_weekday() -> None:
    tue_morning = (TUE + 540, TUE + 720)
    fortnightly = OpenInterval(*tue_morning, every=2, anchor=datetime.date(2024, 1, 2))  # a Tuesday
    last_tuesday = OpenInterval(*tue_morning, nth=-1)
    documents = [doc("fortnightly", intervals=(fortnightly,)), doc("last", intervals=(last_tuesday,))]
    assert found(SearchQuery(open_at=OpenAt(TUE + 600, datetime.date(2024, 1, 16))), *documents) == ["fortnightly"]
    assert found(SearchQuery(open_at=OpenAt(TUE + 600, datetime.date(2024, 1, 23))), *documents) == []
    assert found(SearchQuery(open_at=OpenAt(TUE + 600, datetime.date(2024, 1, 30))), *documents) == [
        "fortnightly", "last"]
    assert found(SearchQuery(open_at=OpenAt(TUE + 600, datetime.date(2023, 12, 19))), *documents) == []  # before


def test_open_at_overnight_uses_the_day_the_opening_began() -> None:
    # Open the last Monday of the month, 22:00 to 02:00: Tuesday 1 Oct 2024 01:00 belongs to Monday 30 Sep.
    overnight = OpenInterval(1320, TUE + 120, nth=-1)
    assert found(SearchQuery(open_at=OpenAt(TUE + 60, datetime.date(2024, 10, 1))), doc(intervals=(overnight,))) == [
        "d1"]
    assert found(SearchQuery(open_at=OpenAt(TUE + 60, datetime.date(2024, 9, 24))), doc(intervals=(overnight,))) == []


# -- request shape: sort, paging, one hit per service ------------------------------------------

def _geo(sort: list[Any]) -> dict[str, Any]:
    geos: list[dict[str, Any]] = [s["_geo_distance"] for s in sort if isinstance(s, dict) and "_geo_distance" in s]
    assert len(geos) == 1
    return geos[0]


def test_sorts() -> None:
    by_distance = build_search(SearchQuery(sort="distance", point=LEEDS))["sort"]
    geo = _geo(by_distance)
    assert geo["unit"] == "m" and geo["distance_type"] == "arc" and geo["order"] == "asc"
    assert geo["location"] == {"lat": LEEDS.latitude, "lon": LEEDS.longitude}
    assert by_distance[1:] == [{"name": {"order": "asc"}}, {"id": {"order": "asc"}}]
    relevance = build_search(SearchQuery(sort="relevance", point=LEEDS, text=((("walk",),),)))["sort"]
    assert relevance[0] == {"_score": {"order": "desc"}} and "_geo_distance" in relevance[1]
    assert relevance[2:] == by_distance[1:]
    assert build_search(SearchQuery(sort="relevance"))["sort"] == [{"_score": {"order": "desc"}}, *by_distance[1:]]
    assert build_search(SearchQuery(sort="name", point=LEEDS))["sort"] == by_distance[1:]
    # One hit per service: services tie by service id (the document id only picks within one).
    per_service = build_search(SearchQuery(unit="service", sort="name"))["sort"]
    assert per_service == [{"name": {"order": "asc"}}, {"service_id": {"order": "asc"}}, {"id": {"order": "asc"}}]


def test_paging_and_exact_document_totals() -> None:
    body = build_search(SearchQuery(page=3, per_page=20))
    assert (body["from"], body["size"], body["track_total_hits"]) == (40, 20, True)
    assert "collapse" not in body and "aggs" not in body


def test_unit_service_collapses_and_counts_services_exactly() -> None:
    body = build_search(SearchQuery(unit="service", sort="distance", point=LEEDS))
    assert body["collapse"] == {"field": "service_id"}  # the top hit by distance is the nearest
    (agg,) = body["aggs"].values()
    assert "cardinality" not in agg  # approximate: not good enough for `total`
    assert agg["composite"]["sources"] == [{"service_id": {"terms": {"field": "service_id"}}}]
    named = build_search(SearchQuery(unit="service", sort="name", point=LEEDS))
    inner = named["collapse"]["inner_hits"]
    assert inner["name"] == NEAREST and inner["size"] == 1 and "_geo_distance" in inner["sort"][0]
    assert "inner_hits" not in build_search(SearchQuery(unit="service", sort="name"))["collapse"]


# -- the backend against a fake server ---------------------------------------------------------

Handler = Callable[[str, str, dict[str, list[str]], Any], tuple[int, Any]]


class Recorder:
    """The requests a fake node received, answered by ``handler(method, path, params, body)``."""

    def __init__(self, handler: Handler):
        self.handler = handler
        self.requests: list[tuple[str, str, dict[str, list[str]], Any]] = []

    def client(self) -> Elasticsearch:
        recorder = self

        class FakeNode(BaseNode):
            def perform_request(self, method: str, target: str, body: bytes | None = None,
                                headers: HttpHeaders | None = None, request_timeout: Any = None) -> NodeApiResponse:
                url = urlsplit(target)
                text = body.decode() if body else ""
                parsed: Any = None
                if text:
                    lines = [json.loads(line) for line in text.splitlines() if line]
                    parsed = lines if url.path.endswith("/_bulk") else lines[0]
                params = parse_qs(url.query)
                recorder.requests.append((method, url.path, params, parsed))
                status, answer = recorder.handler(method, url.path, params, parsed)
                meta = ApiResponseMeta(status=status, http_version="1.1", duration=0.0, node=self.config,
                                       headers=HttpHeaders({"x-elastic-product": "Elasticsearch",
                                                            "content-type": "application/json"}))
                return NodeApiResponse(meta, b"" if method == "HEAD" else json.dumps(answer).encode())

        return Elasticsearch("http://es.invalid:9200", node_class=FakeNode, max_retries=0)

    def paths(self) -> list[tuple[str, str]]:
        return [(method, path) for method, path, _params, _body in self.requests]


def _hit(document: SearchDocument, inner: SearchDocument | None = None) -> dict[str, Any]:
    source = {key: value for key, value in to_source(document).items() if key in ("id", "service_id", "location")}
    hit: dict[str, Any] = {"_index": "waymark-1", "_id": document.id, "_score": None, "_source": source}
    if inner is not None:
        hit["inner_hits"] = {NEAREST: {"hits": {"total": {"value": 2, "relation": "eq"}, "hits": [_hit(inner)]}}}
    return hit


def test_search_reads_ids_distances_and_exact_total() -> None:
    far = doc("far", latitude=53.9, longitude=-1.5)
    nowhere = doc("nowhere", latitude=None, longitude=None)
    recorder = Recorder(lambda *_: (200, {"hits": {"total": {"value": 7, "relation": "eq"},
                                                   "hits": [_hit(far), _hit(nowhere)]}}))
    backend = ElasticsearchBackend("http://es.invalid:9200", "waymark", recorder.client())
    result = backend.search(None, SearchQuery(point=LEEDS, sort="distance"))  # type: ignore[arg-type]
    assert result.ids == ["far", "nowhere"] and result.total == 7
    assert result.distances == {"far": haversine_m(LEEDS.latitude, LEEDS.longitude, 53.9, -1.5)}
    ((method, path, _params, body),) = recorder.requests
    assert (method, path) == ("POST", "/waymark/_search")
    assert body == build_search(SearchQuery(point=LEEDS, sort="distance"))


def test_search_per_service_counts_every_composite_page() -> None:
    nearest = doc("a2", service_id="s-a", latitude=53.81, longitude=-1.55)
    first = {"hits": {"total": {"value": 0, "relation": "gte"}, "hits": [_hit(doc("a1", service_id="s-a"), nearest)]},
             "aggregations": {SERVICES_AGG: {"after_key": {"service_id": "s-4999"},
                                             "buckets": [{"key": {"service_id": f"s-{i}"}, "doc_count": 1}
                                                         for i in range(COUNT_PAGE)]}}}
    second = {"aggregations": {SERVICES_AGG: {"after_key": {"service_id": "s-5001"},
                                              "buckets": [{"doc_count": 2}, {"doc_count": 1}]}}}
    recorder = Recorder(lambda _m, _p, _q, body: (200, second if body.get("size") == 0 else first))
    backend = ElasticsearchBackend("http://es.invalid:9200", "waymark", recorder.client())
    query = SearchQuery(unit="service", sort="name", point=LEEDS)
    result = backend.search(None, query)  # type: ignore[arg-type]
    assert result.ids == ["s-a"] and result.total == COUNT_PAGE + 2
    # The distance is the nearest document's (the inner hit), not the collapsed hit's.
    assert result.distances == {"s-a": haversine_m(LEEDS.latitude, LEEDS.longitude, 53.81, -1.55)}
    follow_up = recorder.requests[1]
    assert follow_up[3]["aggs"][SERVICES_AGG]["composite"]["after"] == {"service_id": "s-4999"}
    assert follow_up[3]["query"] == build_query(query)


def test_missing_alias_reads_as_empty() -> None:
    recorder = Recorder(lambda *_: (404, {"error": {"type": "index_not_found_exception"}, "status": 404}))
    backend = ElasticsearchBackend("http://es.invalid:9200", "waymark", recorder.client())
    assert backend.search(None, SearchQuery()).total == 0  # type: ignore[arg-type]
    assert backend.count(None) == 0  # type: ignore[arg-type]


def test_replace_deletes_only_stale_documents_and_waits_for_the_refresh() -> None:
    def handler(method: str, path: str, params: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        if method == "HEAD":
            return 200, None
        if path == "/waymark/_search":  # the scroll over the services' current documents
            return 200, {"_scroll_id": "sc1", "_shards": {"total": 1, "successful": 1, "skipped": 0},
                         "hits": {"hits": [{"_id": "keep"}, {"_id": "gone"}]}}
        if path == "/_search/scroll":
            return 200, {"_scroll_id": "sc1", "_shards": {"total": 1, "successful": 1, "skipped": 0},
                         "hits": {"hits": []}}
        if path == "/_search/scroll" or method == "DELETE":
            return 200, {"succeeded": True, "num_freed": 1}
        return 200, {"errors": False, "items": []}

    recorder = Recorder(handler)
    backend = ElasticsearchBackend("http://es.invalid:9200", "waymark", recorder.client())
    backend.replace(None, ["s1", "s1"], [doc("keep", service_id="s1"), doc("new", service_id="s1")])  # type: ignore[arg-type]
    search = next(body for method, path, _p, body in recorder.requests if path == "/waymark/_search")
    assert search["query"] == {"terms": {"service_id": ["s1"]}}
    ((_m, _path, params, bulk),) = [r for r in recorder.requests if r[1] == "/waymark/_bulk"]
    assert params["refresh"] == ["wait_for"]
    assert bulk[0] == {"delete": {"_id": "gone"}}
    assert [line for line in bulk if "index" in line] == [{"index": {"_id": "keep"}}, {"index": {"_id": "new"}}]
    assert to_source(doc("new", service_id="s1")) in bulk


def test_replace_reports_failed_documents() -> None:
    from elasticsearch.helpers import BulkIndexError

    def handler(method: str, path: str, params: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        if method == "HEAD":
            return 200, None
        if path.endswith("_search"):
            return 200, {"_shards": {"total": 1, "successful": 1, "skipped": 0}, "hits": {"hits": []}}
        return 200, {"errors": True, "items": [{"index": {"_id": "d1", "status": 400,
                                                          "error": {"type": "mapper_parsing_exception"}}}]}

    backend = ElasticsearchBackend("http://es.invalid:9200", "waymark", Recorder(handler).client())
    with pytest.raises(BulkIndexError):
        backend.replace(None, ["s-d1"], [doc()])  # type: ignore[arg-type]


def test_rebuild_loads_a_new_index_then_swaps_the_alias_in_one_call() -> None:
    def handler(method: str, path: str, params: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        if path == "/_alias/waymark":
            return 200, {"waymark-old": {"aliases": {"waymark": {}}}}
        if path == "/_bulk":
            return 200, {"errors": False, "items": [{"index": {"_id": line["index"]["_id"], "status": 201}}
                                                    for line in body if "index" in line]}
        return 200, {"acknowledged": True}

    recorder = Recorder(handler)
    backend = ElasticsearchBackend("http://es.invalid:9200", "waymark", recorder.client())
    assert backend.rebuild(None, (doc(f"d{i}") for i in range(1203))) == 1203  # type: ignore[arg-type]
    calls = recorder.paths()
    new = calls[0][1].strip("/")
    assert calls[0][0] == "PUT" and new.startswith("waymark-")
    create = recorder.requests[0][3]
    assert create["mappings"] == mapping() and create["settings"]["refresh_interval"] == "-1"
    bulks = [r for r in recorder.requests if r[1] == "/_bulk"]
    assert len(bulks) == 3 and all(line["index"]["_index"] == new for r in bulks for line in r[3] if "index" in line)
    assert calls.index(("PUT", f"/{new}/_settings")) < calls.index(("POST", f"/{new}/_refresh")) < calls.index(
        ("POST", "/_aliases"))
    aliases = next(body for _m, path, _p, body in recorder.requests if path == "/_aliases")
    assert aliases["actions"] == [{"remove": {"index": "waymark-old", "alias": "waymark"}},
                                  {"add": {"index": new, "alias": "waymark"}}]
    assert calls[-1] == ("DELETE", "/waymark-old")


def test_failed_rebuild_leaves_the_alias_alone() -> None:
    def handler(method: str, path: str, params: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        if path == "/_bulk":
            return 200, {"errors": True, "items": [{"index": {"_id": "d1", "status": 400,
                                                              "error": {"type": "mapper_parsing_exception"}}}]}
        return 200, {"acknowledged": True}

    recorder = Recorder(handler)
    backend = ElasticsearchBackend("http://es.invalid:9200", "waymark", recorder.client())
    with pytest.raises(Exception, match="failed"):
        backend.rebuild(None, [doc()])  # type: ignore[arg-type]
    calls = recorder.paths()
    assert ("POST", "/_aliases") not in calls
    assert calls[-1] == ("DELETE", calls[0][1])  # the half-built index is dropped


# -- the contract suite's queries against a simulated server ------------------------------------

class SimulatedCluster:
    """Just enough of an Elasticsearch node to serve the backend: indices and aliases, bulk,
    scroll-free search with ``evaluate`` for matching, field/geo/score sorts, collapse with an
    inner hit, composite pages and counts. Scores are a crude stand-in for BM25 (the sum of
    matching term boosts), so relevance *order* is not what this checks."""

    def __init__(self) -> None:
        self.indices: dict[str, dict[str, dict[str, Any]]] = {}
        self.aliases: dict[str, str] = {}

    def handle(self, method: str, path: str, params: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if method == "HEAD":
            return (200 if parts[0] in self.indices or parts[0] in self.aliases else 404), None
        if parts[:2] == ["_search", "scroll"]:  # the scroll's next (empty) page, then clearing it
            return 200, {"_scroll_id": "s1", "_shards": {"total": 1, "successful": 1, "skipped": 0},
                         "hits": {"hits": []}} if method == "POST" else {"succeeded": True, "num_freed": 1}
        if parts[-1] == "_bulk":
            return 200, self._bulk(parts[0] if len(parts) == 2 else None, body)
        if method == "PUT" and len(parts) == 1:
            self.indices[parts[0]] = {}
            self.aliases.update({alias: parts[0] for alias in (body or {}).get("aliases", {})})
            return 200, {"acknowledged": True}
        if parts[0] == "_alias":
            behind = [index for alias, index in self.aliases.items() if alias == parts[1]]
            return (200, {i: {"aliases": {parts[1]: {}}} for i in behind}) if behind else (404, {"status": 404})
        if parts[0] == "_aliases":
            for action in body["actions"]:
                (kind, spec), = action.items()
                if kind == "add":
                    self.aliases[spec["alias"]] = spec["index"]
                elif kind == "remove":
                    self.aliases.pop(spec["alias"])
            return 200, {"acknowledged": True}
        if method == "DELETE":
            self.indices.pop(parts[0], None)
            return 200, {"acknowledged": True}
        if parts[-1] in ("_settings", "_refresh"):
            return 200, {"acknowledged": True}
        index = self.indices.get(self.aliases.get(parts[0], parts[0]))
        if index is None:
            return 404, {"error": {"type": "index_not_found_exception"}, "status": 404}
        if parts[-1] == "_count":
            return 200, {"count": len(index)}
        return 200, self._search(index, body)

    def _bulk(self, default: str | None, lines: list[dict[str, Any]]) -> dict[str, Any]:
        items, i = [], 0
        while i < len(lines):
            (op, meta), = lines[i].items()
            index = self.indices[self.aliases.get(meta.get("_index", default), meta.get("_index", default))]
            if op == "delete":
                index.pop(meta["_id"], None)
                i += 1
            else:
                index[meta["_id"]] = lines[i + 1]
                i += 2
            items.append({op: {"_id": meta["_id"], "status": 200}})
        return {"errors": False, "items": items}

    def _search(self, index: dict[str, dict[str, Any]], body: dict[str, Any]) -> dict[str, Any]:
        if "sort" not in body or body["sort"] == "_doc":  # the first page of replace's scroll: all of it
            hits = [{"_id": key} for key, source in index.items() if evaluate(body["query"], source)]
            return {"_scroll_id": "s1", "_shards": {"total": 1, "successful": 1, "skipped": 0}, "hits": {"hits": hits}}
        query = body["query"]
        matching = [(key, source, _score(query, source)) for key, source in index.items()
                    if evaluate(query, source)]
        ordered = sorted(matching, key=lambda hit: _sort_key(body["sort"], hit))
        out: dict[str, Any] = {"hits": {"total": {"value": len(matching), "relation": "eq"}, "hits": []}}
        collapse = body.get("collapse")
        if collapse:
            first: dict[str, tuple[str, dict[str, Any], float]] = {}
            for candidate in ordered:
                first.setdefault(candidate[1][collapse["field"]], candidate)
            ordered = list(first.values())
        for key, source, _s in ordered[body["from"]:body["from"] + body["size"]]:
            hit: dict[str, Any] = {"_id": key, "_source": {k: v for k, v in source.items() if k in body["_source"]}}
            if collapse and "inner_hits" in collapse:
                inner = collapse["inner_hits"]
                group = [h for h in matching if h[1]["service_id"] == source["service_id"]]
                best = sorted(group, key=lambda h: _sort_key(inner["sort"], h))[0]
                hit["inner_hits"] = {inner["name"]: {"hits": {"hits": [
                    {"_id": best[0], "_source": {k: v for k, v in best[1].items() if k in inner["_source"]}}]}}}
            out["hits"]["hits"].append(hit)
        if "aggs" in body:
            composite = body["aggs"][SERVICES_AGG]["composite"]
            services = sorted({source["service_id"] for _k, source, _s in matching})
            after = composite.get("after", {}).get("service_id")
            page = [s for s in services if after is None or s > after][:composite["size"]]
            out["aggregations"] = {SERVICES_AGG: {"buckets": [{"key": {"service_id": s}, "doc_count": 1} for s in page],
                                                  **({"after_key": {"service_id": page[-1]}} if page else {})}}
        return out


def _score(query: dict[str, Any], source: dict[str, Any]) -> float:
    """Sum of the boosts of the text terms that match (a stand-in for BM25)."""
    total = 0.0
    for text_field in ("name_text", "body_text"):
        def walk(node: Any, field: str = text_field) -> None:
            nonlocal total
            if isinstance(node, dict):
                term = node.get("term", {}).get(field)
                if isinstance(term, dict) and term["value"] in source.get(field, "").split():
                    total += term.get("boost", 1.0)
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)
        walk(query.get("bool", {}).get("must", []))
    for clause in query.get("bool", {}).get("should", []):  # constant-score bonuses
        if "constant_score" in clause and evaluate(clause, source):
            total += clause["constant_score"].get("boost", 1.0)
    return total


def _sort_key(sort: list[dict[str, Any]], hit: tuple[str, dict[str, Any], float]) -> tuple[Any, ...]:
    key: list[Any] = []
    _id, source, score = hit
    for clause in sort:
        (field, spec), = clause.items()
        if field == "_score":
            key.append(-score)
        elif field == "_geo_distance":
            point, location = spec["location"], source.get("location")
            key.append(float("inf") if location is None else
                       haversine_m(point["lat"], point["lon"], location["lat"], location["lon"]))
        else:
            assert spec == {"order": "asc"}
            key.append(source[field])
    return tuple(key)


def test_contract_queries_on_a_simulated_server() -> None:
    """The contract suite's documents and combined queries, through the real client, the backend
    and ``SimulatedCluster``: ids in order, exact totals, distances, paging and replace."""
    from tests.search import test_contract as contract

    cluster = SimulatedCluster()
    backend = ElasticsearchBackend("http://es.invalid:9200", "waymark", Recorder(cluster.handle).client())
    assert backend.rebuild(None, contract.DOCS) == len(contract.DOCS)  # type: ignore[arg-type]

    def search(**fields: Any) -> Any:
        fields.setdefault("per_page", 100)
        return backend.search(None, SearchQuery(**fields))  # type: ignore[arg-type]

    for fields in contract.MIX:
        contract.check(search, **fields)  # type: ignore[arg-type]
    single = [test for name, test in vars(contract).items()
              if name.startswith("test_") and list(inspect.signature(test).parameters) == ["search"]]
    assert len(single) >= 10
    for test in single:
        test(search)
    for fields in ({"point": contract.HERE, "sort": "distance"}, {"sort": "name"},
                   {"point": contract.HERE, "unit": "service"}):
        everything = search(**fields)
        pages = [search(**fields, page=page, per_page=3) for page in range(1, 10)]
        assert [key for page in pages for key in page.ids] == everything.ids
        assert {page.total for page in pages} == {everything.total}
    assert backend.rebuild(None, contract.DOCS) == len(contract.DOCS)  # type: ignore[arg-type]
    assert len(cluster.indices) == 1  # the first index was dropped after the swap
    contract.test_replace_swaps_one_service(search, backend, None)  # type: ignore[arg-type]
