"""The Elasticsearch side of the search contract as plain data: mapping, documents, requests.

Pure functions (no client, no server), so every request body the Elasticsearch backend sends
can be checked in unit tests. ``app.search.elastic`` only ships these bodies and reads answers.

How each part of ``app.search.backend``'s semantics is kept identical to the SQL backend:

- Text arrives already analysed by ``app.search.text`` (lower-cased, accent-folded, stemmed),
  so ``name_text``/``body_text`` use the ``whitespace`` analyser and queries are ``term``
  queries on the ready-made tokens: Elasticsearch never stems or lower-cases a second time,
  and a token matches exactly where it matches in FTS5 or a tsvector.
- Distances: filtering and sorting use Elasticsearch's arc distance on the indexed point (Lucene
  quantises coordinates to about 1 cm); the distance *returned* is computed in Python with
  ``app.geo.distance.haversine_m`` from the coordinates kept in ``_source``, so it is the same
  number the SQL backend returns.
- Opening times: each ``OpenInterval`` is a nested object, and ``open_at`` becomes a nested
  filter that states ``OpenInterval.occurs_on`` as terms and ranges (see ``_occurs_on``).
- Filters are in ``bool.filter`` (no scoring, cacheable); only the text groups score.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from typing import Any

import shapely  # type: ignore[import-untyped]  # (no type information shipped)

from app.search.backend import GeoPoint, OpenAt, SearchDocument, SearchQuery, TextQuery
from app.search.opening import MINUTES_PER_DAY, OpenInterval
from app.search.shapes import usable_shape

# Weekly cycles longer than this (every N weeks) are not matched by ``open_at``: the query
# lists the accepted phase of every cycle length up to it (see ``_cycle_terms``). A schedule
# rarer than yearly is, like an unstructured one, never claimed to be open at a moment.
MAX_EVERY = 52
NAME_BOOST = 2.0  # a word in the service's name counts for more than one in its description
SERVICES_AGG = "services"  # the composite aggregation that counts services exactly
NEAREST = "nearest"  # the inner hit that finds a service's nearest matching document
COUNT_PAGE = 5000  # services counted per composite page (each page is one bucket per service)
MIN_DISTANCE_M = 0.001
HIT_SOURCE = ("id", "service_id", "location")  # what the backend reads from each hit
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)

_KEYWORD: dict[str, Any] = {"type": "keyword"}
_TEXT: dict[str, Any] = {"type": "text", "analyzer": "whitespace", "search_analyzer": "whitespace",
                         "index_options": "freqs"}  # term queries only: positions are not needed

MAPPING: dict[str, Any] = {
    # Strict: a field the mapping does not know is an error, never a guessed dynamic mapping.
    "dynamic": "strict",
    "properties": {
        "id": _KEYWORD,
        "service_id": _KEYWORD,
        "location_id": _KEYWORD,
        "organization_id": _KEYWORD,
        "name": _KEYWORD,  # sort key: plain code-point order, as the SQL backend sorts
        "last_modified": {"type": "date"},  # for people reading the index
        # Microseconds since 1970 UTC: the modified_after filter compares these, because a date
        # field keeps milliseconds only and would disagree with SQL within the same millisecond.
        "modified_us": {"type": "long"},
        "location": {"type": "geo_point"},
        "name_text": _TEXT,
        "body_text": _TEXT,
        "term_ids": _KEYWORD,
        "taxonomy_ids": _KEYWORD,
        "languages": _KEYWORD,
        "delivery": _KEYWORD,
        "coverage_codes": _KEYWORD,
        "minimum_age": {"type": "integer"},
        "maximum_age": {"type": "integer"},
        "free": {"type": "boolean"},
        # A shape Elasticsearch still cannot parse is skipped rather than losing the whole
        # document (the service stays findable by its area codes and its point).
        "coverage_shapes": {"type": "geo_shape", "ignore_malformed": True},
        "intervals": {
            "type": "nested",
            "properties": {
                "start": {"type": "integer"},
                "end": {"type": "integer"},
                "start_day": {"type": "integer"},  # start // MINUTES_PER_DAY: 0 Monday .. 6 Sunday
                "valid_from": {"type": "date", "format": "strict_date"},
                "valid_to": {"type": "date", "format": "strict_date"},
                "rule": _KEYWORD,  # which branch of OpenInterval.occurs_on applies: weekly, nth, cycle
                "nth": {"type": "integer"},
                "every": {"type": "integer"},
                "anchor": {"type": "date", "format": "strict_date"},
                "anchor_phase": _KEYWORD,  # "<every>:<anchor day number mod 7*every>", see _cycle_terms
            },
        },
    },
}

SETTINGS: dict[str, Any] = {
    # One shard: the whole directory (hundreds of thousands of documents) fits easily, scores
    # use one set of term statistics (identical texts score identically, as in SQL), and
    # collapse, counts and sorting need no cross-shard merging.
    "number_of_shards": 1,
    # Deep pages as the SQL backend serves them (an API client paging through everything);
    # the cost is a priority queue of from + size entries, paid only by deep requests.
    "max_result_window": 1_000_000,
}


def mapping() -> dict[str, Any]:
    """The index mapping (a fresh copy: callers may not change the module's)."""
    return json.loads(json.dumps(MAPPING))  # type: ignore[no-any-return]


def index_settings() -> dict[str, Any]:
    return dict(SETTINGS)


# -- documents -------------------------------------------------------------------------------

def to_source(document: SearchDocument) -> dict[str, Any]:
    """The ``_source`` of a document: every ``SearchDocument`` field, in Elasticsearch's terms.
    Missing values are left out (a field with no value matches no term or range)."""
    source: dict[str, Any] = {
        "id": document.id,
        "service_id": document.service_id,
        "name": document.name,
        "name_text": document.name_text or "",
        "body_text": document.body_text or "",
        "free": bool(document.free),
        "term_ids": sorted(document.term_ids),
        "taxonomy_ids": sorted(document.taxonomy_ids),
        "languages": sorted({language.lower() for language in document.languages}),
        "delivery": sorted(document.delivery),
        "coverage_codes": sorted(document.coverage_codes),
        "intervals": [interval_source(interval) for interval in document.intervals],
    }
    optional = {"location_id": document.location_id, "organization_id": document.organization_id,
                "minimum_age": document.minimum_age, "maximum_age": document.maximum_age}
    source.update({key: value for key, value in optional.items() if value is not None})
    if document.last_modified is not None:
        moment = _utc(document.last_modified)
        source["last_modified"] = moment.isoformat()
        source["modified_us"] = microseconds(moment)
    if document.latitude is not None and document.longitude is not None:
        # The object form names lat and lon: no risk of GeoJSON's [lon, lat] order here.
        source["location"] = {"lat": document.latitude, "lon": document.longitude}
    shapes = [shape for shape in (clean_shape(text) for text in document.coverage_shapes) if shape is not None]
    if shapes:
        source["coverage_shapes"] = shapes
    return source


def interval_source(interval: OpenInterval) -> dict[str, Any]:
    """One nested opening interval, with the rule ``occurs_on`` will apply decided here once."""
    out: dict[str, Any] = {"start": interval.start, "end": interval.end,
                           "start_day": interval.start // MINUTES_PER_DAY, "every": interval.every}
    if interval.valid_from is not None:
        out["valid_from"] = interval.valid_from.isoformat()
    if interval.valid_to is not None:
        out["valid_to"] = interval.valid_to.isoformat()
    # The same precedence as OpenInterval.occurs_on: nth first, then a cycle with an anchor.
    if interval.nth is not None:
        out["rule"] = "nth"
        out["nth"] = interval.nth
    elif interval.every > 1 and interval.anchor is not None:
        out["rule"] = "cycle"
        out["anchor"] = interval.anchor.isoformat()
        out["anchor_phase"] = anchor_phase(interval.every, interval.anchor)
    else:
        out["rule"] = "weekly"
        if interval.anchor is not None:
            out["anchor"] = interval.anchor.isoformat()
    return out


def anchor_phase(every: int, anchor: datetime.date) -> str:
    """Where ``anchor`` falls in a cycle of ``every`` weeks, as a term ``"<every>:<phase>"``."""
    period = 7 * every
    return f"{every}:{anchor.toordinal() % period}"


def clean_shape(geojson: str) -> dict[str, Any] | None:
    """A coverage shape as a GeoJSON object, made valid as every backend makes it
    (``app.search.shapes``), or None when it covers nothing."""
    geometry = usable_shape(geojson)
    return None if geometry is None else json.loads(shapely.to_geojson(geometry))  # type: ignore[no-any-return]


def microseconds(moment: datetime.datetime) -> int:
    return (_utc(moment) - _EPOCH) // datetime.timedelta(microseconds=1)


def _utc(moment: datetime.datetime) -> datetime.datetime:
    """Aware UTC (a naive value is taken to be UTC already, as the golden records store it)."""
    return moment.replace(tzinfo=datetime.UTC) if moment.tzinfo is None else moment.astimezone(datetime.UTC)


# -- queries ---------------------------------------------------------------------------------

def build_query(query: SearchQuery) -> dict[str, Any]:
    """The ``query`` clause: every filter of ``query`` in ``bool.filter``, the text in ``bool.must``."""
    bool_query: dict[str, Any] = {"filter": filters(query)}
    groups = usable_text(query.text)
    if groups:
        bool_query["must"] = [_text_group(group) for group in groups]
        # The user's own words (each group's first alternative) before synonyms: a constant
        # score far above any BM25 score puts every such document first (see backend.py).
        own_words = {"bool": {"filter": [_text_group([group[0]]) for group in groups]}}
        bool_query["should"] = [{"constant_score": {"filter": own_words, "boost": OWN_WORDS_BOOST}}]
        bool_query["minimum_should_match"] = 0  # scores, never filters
    return {"bool": bool_query}


def usable_text(text: TextQuery) -> list[list[list[str]]]:
    """The text query without tokens no index holds (no letter or digit: the analyser never
    emits one). An alternative left with no tokens matches anything, and so does its group,
    which is therefore dropped, as is a group with no alternatives at all: the same reading
    as the SQL backend's, so a degenerate query restricts nothing on every backend."""
    groups = []
    for group in text:
        alternatives = [[token for token in alternative if any(c.isalnum() for c in token)] for alternative in group]
        if alternatives and all(alternatives):
            groups.append(alternatives)
    return groups


def filters(query: SearchQuery) -> list[dict[str, Any]]:
    """One clause per restriction the query makes, all of which must hold (AND)."""
    out: list[dict[str, Any]] = []
    if query.unit == "service_at_location":  # a service with no location is no service at a location
        out.append({"exists": {"field": "location_id"}})
    if query.point is not None and query.proximity is not None:
        # Elasticsearch refuses a distance of zero; a millimetre keeps "at this very point".
        radius = max(float(query.proximity), MIN_DISTANCE_M)
        out.append({"geo_distance": {"distance": f"{radius!r}m", "distance_type": "arc",
                                     "location": _point(query.point)}})
    if query.term_ids:
        out.append({"terms": {"term_ids": sorted(query.term_ids)}})
    if query.taxonomy_id is not None:
        out.append({"term": {"taxonomy_ids": query.taxonomy_id}})
    if query.organization_id is not None:
        out.append({"term": {"organization_id": query.organization_id}})
    if query.modified_after is not None:
        # At or after, as the SQL backend compares (``last_modified >= modified_after``).
        out.append({"range": {"modified_us": {"gte": microseconds(query.modified_after)}}})
    if query.windows:
        out.append(_nested(_any_of([_overlaps(start, end) for start, end in query.windows])))
    if query.open_at is not None:
        out.append(_nested(open_at_query(query.open_at)))
    if query.age_range is not None:
        out.extend(_age(*query.age_range))
    if query.free:
        out.append({"term": {"free": True}})
    if query.languages:
        out.append({"terms": {"languages": sorted({language.lower() for language in query.languages})}})
    if query.delivery:
        out.append({"terms": {"delivery": sorted(query.delivery)}})
    if query.coverage is not None:
        out.append(_coverage(query.coverage, query.point))
    return out


def _point(point: GeoPoint) -> dict[str, float]:
    return {"lat": point.latitude, "lon": point.longitude}


def _nested(query: dict[str, Any]) -> dict[str, Any]:
    return {"nested": {"path": "intervals", "query": query, "score_mode": "none"}}


def _any_of(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    """OR. ``minimum_should_match`` is always explicit: its default depends on the context."""
    if not clauses:
        return {"match_none": {}}
    if len(clauses) == 1:
        return clauses[0]
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def _all_of(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    if not clauses:
        return {"match_all": {}}
    if len(clauses) == 1:
        return clauses[0]
    return {"bool": {"filter": clauses}}


def _missing_or(field: str, clause: dict[str, Any]) -> dict[str, Any]:
    """``field`` has no value, or ``clause`` holds (a None bound in the data means unbounded)."""
    return _any_of([{"bool": {"must_not": [{"exists": {"field": field}}]}}, clause])


def _overlaps(start: int, end: int) -> dict[str, Any]:
    """An interval [s, e) overlaps the window [start, end) when s < end and e > start."""
    return {"bool": {"filter": [{"range": {"intervals.start": {"lt": end}}},
                                {"range": {"intervals.end": {"gt": start}}}]}}


def open_at_query(moment: OpenAt) -> dict[str, Any]:
    """Intervals (in the nested context) open at ``moment``: ``start <= minute < end`` and the
    interval ``occurs_on`` the day its occurrence began, which is ``moment.day`` when the
    interval starts on the moment's weekday and the day before otherwise (the small hours of an
    overnight opening): the rule of ``app.search.opening._occurrence_day``."""
    weekday = moment.minute // MINUTES_PER_DAY
    covers = [{"range": {"intervals.start": {"lte": moment.minute}}},
              {"range": {"intervals.end": {"gt": moment.minute}}}]
    same_day = _all_of([{"term": {"intervals.start_day": weekday}}, *covers, _occurs_on(moment.day)])
    if weekday == 0:  # nothing starts before Monday 00:00: intervals are split at the week's end
        return same_day
    day_before = _all_of([{"range": {"intervals.start_day": {"lt": weekday}}}, *covers,
                          _occurs_on(moment.day - datetime.timedelta(days=1))])
    return _any_of([same_day, day_before])


def _occurs_on(day: datetime.date) -> dict[str, Any]:
    """``OpenInterval.occurs_on(day)`` for the nested interval: within its validity dates, and
    its rule holds (every week; the nth weekday of the month, -1 the last; or every N weeks
    counted from the anchor)."""
    iso = day.isoformat()
    nth = [(day.day - 1) // 7 + 1]
    if (day + datetime.timedelta(days=7)).month != day.month:
        nth.append(-1)
    rules = [
        {"term": {"intervals.rule": "weekly"}},
        _all_of([{"term": {"intervals.rule": "nth"}}, {"terms": {"intervals.nth": nth}}]),
        _all_of([{"term": {"intervals.rule": "cycle"}}, {"range": {"intervals.anchor": {"lte": iso}}},
                 {"terms": {"intervals.anchor_phase": _cycle_terms(day)}}]),
    ]
    return _all_of([
        _missing_or("intervals.valid_from", {"range": {"intervals.valid_from": {"lte": iso}}}),
        _missing_or("intervals.valid_to", {"range": {"intervals.valid_to": {"gte": iso}}}),
        _any_of(rules),
    ])


def _cycle_terms(day: datetime.date) -> list[str]:
    """The ``anchor_phase`` terms of the cycles that have a week starting within the 7 days up to
    ``day``. With D and A the day numbers of ``day`` and the anchor (A <= D, checked apart),
    occurs_on asks ``((D - A) // 7) % N == 0``; writing D - A = 7Nk + r with 0 <= r < 7N that is
    ``(r // 7) % N == 0``, i.e. ``r < 7``: ``A mod 7N`` is one of ``(D - s) mod 7N``, s = 0..6."""
    ordinal = day.toordinal()
    return [f"{every}:{(ordinal - shift) % (7 * every)}" for every in range(2, MAX_EVERY + 1) for shift in range(7)]


def _age(low: int | None, high: int | None) -> list[dict[str, Any]]:
    """Eligibility [minimum_age, maximum_age] (None: unbounded) overlaps the ages [low, high]."""
    out = []
    if high is not None:
        out.append(_missing_or("minimum_age", {"range": {"minimum_age": {"lte": high}}}))
    if low is not None:
        out.append(_missing_or("maximum_age", {"range": {"maximum_age": {"gte": low}}}))
    return out


def _coverage(codes: Iterable[str], point: GeoPoint | None) -> dict[str, Any]:
    """Serves the patient: shares an area code, or a coverage shape contains the patient's point
    (``intersects`` with a point: a point on the boundary counts as inside)."""
    clauses: list[dict[str, Any]] = []
    wanted = sorted(codes)
    if wanted:
        clauses.append({"terms": {"coverage_codes": wanted}})
    if point is not None:
        clauses.append({"geo_shape": {"coverage_shapes": {
            "shape": {"type": "point", "coordinates": [point.longitude, point.latitude]},  # GeoJSON: lon, lat
            "relation": "intersects"}}})
    return _any_of(clauses)


OWN_WORDS_BOOST = 10_000.0


def _text_group(group: list[list[str]]) -> dict[str, Any]:
    """A word group: any one of its alternatives; an alternative: all of its tokens, each in the
    name or in the body. Scored (bool.must/should), a name match weighing ``NAME_BOOST``."""
    alternatives = [{"bool": {"must": [
        {"bool": {"should": [{"term": {"name_text": {"value": token, "boost": NAME_BOOST}}},
                             {"term": {"body_text": {"value": token}}}],
                  "minimum_should_match": 1}} for token in alternative]}} for alternative in group]
    return {"bool": {"should": alternatives, "minimum_should_match": 1}}


# -- sorting and the request -----------------------------------------------------------------

def geo_sort(point: GeoPoint) -> dict[str, Any]:
    """Nearest first by arc distance in metres; documents with no location sort last (their
    distance is infinite)."""
    return {"_geo_distance": {"location": _point(point), "order": "asc", "unit": "m",
                              "distance_type": "arc", "mode": "min"}}


def build_sort(query: SearchQuery) -> list[Any]:
    """The contract's orders; ties end on the result's id: the document id, or per service the
    service id (collapsed groups are ordered by their top hit's sort values, so service_id
    comes before the document id that only picks the representative within a service)."""
    by_name: list[Any] = [{"name": {"order": "asc"}}, {"id": {"order": "asc"}}]
    if query.unit == "service":
        by_name.insert(1, {"service_id": {"order": "asc"}})
    near = [geo_sort(query.point)] if query.point is not None else []
    if query.sort == "distance":
        return [*near, *by_name]
    if query.sort == "relevance":
        return [{"_score": {"order": "desc"}}, *near, *by_name]
    return by_name


def service_count_agg(after: dict[str, Any] | None = None) -> dict[str, Any]:
    """One page of the exact service count: a composite aggregation with a bucket per matching
    service. Its pages are counted and followed with ``after`` until one comes back short."""
    composite: dict[str, Any] = {"size": COUNT_PAGE, "sources": [{"service_id": {"terms": {"field": "service_id"}}}]}
    if after is not None:
        composite["after"] = after
    return {"composite": composite}


def build_search(query: SearchQuery) -> dict[str, Any]:
    """The whole ``_search`` body for ``query``.

    ``unit="service"`` collapses on ``service_id`` (one hit per service: the top document by
    the sort, which for ``distance`` is the nearest). The hit total then still counts
    documents, and ``cardinality`` is approximate, so the services are counted exactly by the
    composite aggregation ``SERVICES_AGG``, whose first page rides along in this request. When
    the sort is not by distance, the nearest matching document (for the distance reported) is
    the collapse's inner hit ``NEAREST``.
    """
    page = max(query.page, 1)
    body: dict[str, Any] = {
        "query": build_query(query),
        "sort": build_sort(query),
        "from": (page - 1) * query.per_page,
        "size": query.per_page,
        "track_total_hits": True,  # exact, not "at least 10,000"
        "_source": list(HIT_SOURCE),
    }
    if query.unit == "service":
        collapse: dict[str, Any] = {"field": "service_id"}
        if query.point is not None and query.sort != "distance":
            collapse["inner_hits"] = {"name": NEAREST, "size": 1, "_source": ["location"],
                                      "sort": [geo_sort(query.point), {"id": {"order": "asc"}}]}
        body["collapse"] = collapse
        body["track_total_hits"] = False  # documents, not services: the aggregation counts
        body["aggs"] = {SERVICES_AGG: service_count_agg()}
    return body


def count_body(query: SearchQuery, after: dict[str, Any]) -> dict[str, Any]:
    """A follow-up page of the service count (no hits)."""
    return {"query": build_query(query), "size": 0, "track_total_hits": False,
            "aggs": {SERVICES_AGG: service_count_agg(after)}}
