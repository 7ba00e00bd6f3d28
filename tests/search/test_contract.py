"""The search contract (``app.search.backend``), put to every backend present.

A small hand-made directory around one point in Leeds, named so the right answer is obvious
(a walking group 300 m away, debt advice 5 km away, a Tuesday-morning carers group ...). Each
filter and sort gets a test with the answer written out; ``expected`` then states the contract
once more as plain Python over the same documents, and a mix of combined queries must agree
with it exactly (ids in order, exact totals, distances within a metre of haversine).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import random
from collections.abc import Callable, Iterator

import pytest
import shapely
from sqlalchemy.orm import Session

from app.geo.distance import EARTH_RADIUS_M, haversine_m
from app.search.backend import (
    EVERYWHERE,
    GeoPoint,
    OpenAt,
    SearchBackend,
    SearchDocument,
    SearchQuery,
    SearchResult,
)
from app.search.opening import DAYS, LONDON, MINUTES_PER_DAY, OpenInterval, week_minute

HERE = GeoPoint(53.8008, -1.5491)  # Leeds city centre: the patient
LEEDS, NATIONAL = "E08000035", EVERYWHERE
HEALTH, EXERCISE, MONEY, CARERS, ARTS = "term-health", "term-exercise", "term-money", "term-carers", "term-arts"
OPEN_REFERRAL, LOCAL = "taxonomy-or", "taxonomy-local"
UPDATED = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)


def day(name: str) -> int:
    return DAYS.index(name) * MINUTES_PER_DAY


def hours(weekday: str, opens: float, closes: float, **rule: object) -> OpenInterval:
    base = day(weekday)
    return OpenInterval(base + int(opens * 60), base + int(closes * 60), **rule)  # type: ignore[arg-type]


def away(north_m: float, east_m: float) -> tuple[float, float]:
    latitude = HERE.latitude + math.degrees(north_m / EARTH_RADIUS_M)
    longitude = HERE.longitude + math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(HERE.latitude))))
    return latitude, longitude


def square(centre: GeoPoint, half: float) -> str:
    lat, lon = centre.latitude, centre.longitude
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half],
            [lon - half, lat - half]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def doc(id: str, name: str, where: tuple[float, float] | None, body: str, **fields: object) -> SearchDocument:
    """A document; name_text is the name's tokens as app.search.text would give them (lower case, stemmed)."""
    fields.setdefault("service_id", f"svc-{id}")
    fields.setdefault("name_text", name.lower())
    fields.setdefault("organization_id", None)
    fields.setdefault("last_modified", None)
    fields.setdefault("location_id", f"loc-{id}")  # None: a service with no location at all
    return SearchDocument(id=id, name=name,
                          latitude=where[0] if where else None,
                          longitude=where[1] if where else None, body_text=body, **fields)  # type: ignore[arg-type]


WEEKDAYS = tuple(hours(d, 9, 17) for d in ("MO", "TU", "WE", "TH", "FR"))
DOCS = [
    doc("calculator", "Benefits Calculator", None, "benefit calcul tool", location_id=None),
    doc("walk", "Hyde Park Walking Group", away(300, 0), "gentl walk everi saturday meet new peopl social isol",
        name_text="hyde park walk group", term_ids=frozenset({EXERCISE, HEALTH}),
        taxonomy_ids=frozenset({OPEN_REFERRAL}), free=True, languages=frozenset({"en", "english"}),
        delivery=frozenset({"in_person"}),
        coverage_codes=frozenset({LEEDS}), intervals=(hours("SA", 10, 12),),
        last_modified=datetime.datetime(2026, 1, 10, 12, 0, tzinfo=datetime.UTC)),
    doc("debt-1", "Money Matters Debt Advice", away(0, 5000), "free confidenti money advic benefit budget",
        service_id="svc-debt", name_text="money matter debt advic", organization_id="org-cab",
        term_ids=frozenset({MONEY}), taxonomy_ids=frozenset({OPEN_REFERRAL}), minimum_age=18,
        delivery=frozenset({"in_person", "telephone"}), coverage_codes=frozenset({LEEDS}), intervals=WEEKDAYS,
        last_modified=UPDATED),
    doc("debt-2", "Money Matters Debt Advice", away(0, 12000), "free confidenti money advic benefit budget",
        service_id="svc-debt", name_text="money matter debt advic", organization_id="org-cab",
        term_ids=frozenset({MONEY}), taxonomy_ids=frozenset({OPEN_REFERRAL}), minimum_age=18,
        delivery=frozenset({"in_person", "telephone"}), coverage_codes=frozenset({LEEDS}), intervals=WEEKDAYS,
        last_modified=UPDATED),
    doc("carers", "Carers Coffee Morning", away(0, -1200), "carer support group social cuppa",
        name_text="carer coffe morn", term_ids=frozenset({CARERS, HEALTH}), taxonomy_ids=frozenset({LOCAL}),
        intervals=(hours("TU", 10, 12),), coverage_codes=frozenset({LEEDS})),
    doc("art", "First Wednesday Art Club", away(-2000, 0), "paint draw craft social",
        name_text="first wednesday art club", term_ids=frozenset({ARTS}), taxonomy_ids=frozenset({LOCAL}), free=True,
        intervals=(hours("WE", 14, 16, nth=1),)),
    doc("memory", "Last Thursday Memory Cafe", away(-2500, 0), "dementia memori cafe carer",
        name_text="last thursday memori cafe", term_ids=frozenset({HEALTH}), intervals=(hours("TH", 10, 12, nth=-1),)),
    doc("repair", "Fortnightly Repair Cafe", away(4000, 0), "fix mend bike cloth",
        name_text="fortnight repair cafe",
        intervals=(hours("FR", 18, 21, every=2, anchor=datetime.date(2026, 11, 27)),)),
    doc("night", "Late Night Cafe", away(0, -3500), "warm space late night talk",
        name_text="late night cafe",
        intervals=(OpenInterval(day("TU") + 22 * 60, day("WE") + 2 * 60, valid_to=datetime.date(2026, 12, 8)),)),
    doc("helpline", "National Loneliness Helpline", None, "talk listen loneli social isol",
        name_text="nation loneli helplin", term_ids=frozenset({HEALTH}), delivery=frozenset({"telephone"}),
        coverage_codes=frozenset({NATIONAL}), intervals=tuple(hours(d, 8, 20) for d in DAYS), free=True),
    doc("online", "Online Mindfulness Course", None, "mind wellb cours meditat", name_text="onlin mind cours",
        delivery=frozenset({"online"}), coverage_codes=frozenset({NATIONAL}), free=True),
    doc("youth", "Youth Club", away(0, 800), "young peopl sport game", name_text="youth club",
        minimum_age=11, maximum_age=17, term_ids=frozenset({EXERCISE, HEALTH})),
    doc("polish", "Polish Community Centre", away(2100, 2100), "polish communiti advic",
        name_text="polish communiti centr", languages=frozenset({"pl", "polish"}), organization_id="org-polish"),
    doc("homecare", "Leeds Home Support", (53.959, -1.082), "home support older peopl",
        name_text="leed home support", coverage_shapes=(square(HERE, 0.1),)),
    doc("whitby", "Whitby Walking Group", (54.486, -0.615), "coastal walk cliff",
        name_text="whitbi walk group", coverage_codes=frozenset({"E07000164"}), term_ids=frozenset({EXERCISE, HEALTH})),
    doc("rambles", "Nature Rambles", away(6000, 0), "walk countrysid natur", name_text="natur rambl",
        term_ids=frozenset({EXERCISE})),
    doc("yoga-a", "Chair Yoga", away(0, -600), "gentl exercis seat", name_text="chair yoga",
        term_ids=frozenset({EXERCISE})),
    doc("yoga-b", "Chair Yoga", away(0, -1500), "gentl exercis seat", name_text="chair yoga",
        term_ids=frozenset({EXERCISE})),
    doc("hub-b", "Community Hub", away(-1500, 1500), "drop in advic", name_text="communiti hub"),
    doc("hub-a", "Community Hub", away(-1500, 1500), "drop in advic", name_text="communiti hub"),
    doc("hub-c", "Art Hub", away(-1500, 1500), "drop in art", name_text="art hub"),
]
BY_ID = {d.id: d for d in DOCS}


Search = Callable[..., SearchResult]


@pytest.fixture()
def search(backend: SearchBackend, session: Session) -> Iterator[Search]:
    """``search(**query fields)`` over DOCS, indexed afresh (rolled back with the test's session)."""
    assert backend.rebuild(session, DOCS) == len(DOCS)

    def run(**fields: object) -> SearchResult:
        fields.setdefault("per_page", 100)
        return backend.search(session, SearchQuery(**fields))  # type: ignore[arg-type]

    yield run


def ids(result: SearchResult) -> list[str]:
    return result.ids


def at(moment: str) -> OpenAt:
    minute, date = week_minute(datetime.datetime.fromisoformat(moment).replace(tzinfo=LONDON))
    return OpenAt(minute, date)


# The contract in plain Python.

def _distance(document: SearchDocument, point: GeoPoint | None) -> float | None:
    if point is None or document.latitude is None or document.longitude is None:
        return None
    return haversine_m(point.latitude, point.longitude, document.latitude, document.longitude)


def _matches(d: SearchDocument, q: SearchQuery) -> bool:
    distance = _distance(d, q.point)
    words = set(d.name_text.split()) | set(d.body_text.split())
    checks = [
        q.unit == "service" or d.location_id is not None,
        q.proximity is None or (distance is not None and distance <= q.proximity),
        all(any(set(alternative) <= words for alternative in group) for group in q.text),
        not q.term_ids or bool(q.term_ids & d.term_ids),
        q.taxonomy_id is None or q.taxonomy_id in d.taxonomy_ids,
        q.organization_id is None or q.organization_id == d.organization_id,
        q.modified_after is None or (d.last_modified is not None and d.last_modified >= q.modified_after),
        not q.windows or any(i.start < end and i.end > start for i in d.intervals for start, end in q.windows),
        q.open_at is None or any(_open(i, q.open_at) for i in d.intervals),
        not q.free or d.free,
        not q.languages or bool(q.languages & d.languages),
        not q.delivery or bool(q.delivery & d.delivery),
    ]
    if q.age_range is not None:
        low, high = q.age_range
        checks.append((d.minimum_age is None or high is None or d.minimum_age <= high)
                      and (d.maximum_age is None or low is None or d.maximum_age >= low))
    if q.coverage is not None:
        point = q.point
        inside = point is not None and any(
            shapely.from_geojson(s).covers(shapely.Point(point.longitude, point.latitude)) for s in d.coverage_shapes)
        checks.append(bool(q.coverage & d.coverage_codes) or inside)
    return all(checks)


def _open(interval: OpenInterval, moment: OpenAt) -> bool:
    same_day = interval.start // MINUTES_PER_DAY == moment.minute // MINUTES_PER_DAY
    started = moment.day if same_day else moment.day - datetime.timedelta(days=1)
    return interval.start <= moment.minute < interval.end and interval.occurs_on(started)


def expected(q: SearchQuery, docs: list[SearchDocument] = DOCS) -> tuple[list[str], int, dict[str, float]]:
    """Ids in order (for sort "name" and "distance"), total and distances."""
    hits = [d for d in docs if _matches(d, q)]

    def nearest(d: SearchDocument) -> tuple[float, str]:
        distance = _distance(d, q.point)
        return (math.inf if distance is None else distance, d.id)

    if q.unit == "service":
        best: dict[str, SearchDocument] = {}
        for d in sorted(hits, key=nearest):
            best.setdefault(d.service_id, d)
        keyed = [(service, d) for service, d in best.items()]
    else:
        keyed = [(d.id, d) for d in hits]
    if q.sort == "name":
        keyed.sort(key=lambda pair: (pair[1].name, pair[0]))
    else:
        keyed.sort(key=lambda pair: (nearest(pair[1])[0], pair[1].name, pair[0]))
    distances = {key: distance for key, d in keyed if (distance := _distance(d, q.point)) is not None}
    start = (q.page - 1) * q.per_page
    return [key for key, _ in keyed][start:start + q.per_page], len(keyed), distances


def check(search: Search, **fields: object) -> SearchResult:
    """Run the query and compare it with ``expected`` (order too, unless sorted by relevance)."""
    return check_over(search, DOCS, dict(fields))


def check_over(search: Search, docs: list[SearchDocument], fields: dict[str, object]) -> SearchResult:
    fields.setdefault("per_page", 100)
    query = SearchQuery(**fields)  # type: ignore[arg-type]
    result = search(**fields)
    want, total, distances = expected(query, docs)
    assert result.total == total
    if query.sort == "relevance":
        assert sorted(result.ids) == sorted(want)
    else:
        assert result.ids == want
    assert set(result.distances) == {key for key in result.ids if key in distances}
    for key, metres in result.distances.items():
        assert metres == pytest.approx(distances[key], abs=1.0)
    return result


# Each field on its own, with the answer written out.

def test_everything_by_name(search: Search) -> None:
    result = search()
    at_locations = [d for d in DOCS if d.location_id is not None]
    assert result.total == len(at_locations)
    assert result.ids == [d.id for d in sorted(at_locations, key=lambda d: (d.name, d.id))]
    assert result.ids[:4] == ["hub-c", "carers", "yoga-a", "yoga-b"]  # equal names ("Chair Yoga") by id
    assert result.distances == {}


def test_nearest_first_with_unlocated_last(search: Search) -> None:
    result = search(point=HERE, sort="distance")
    assert result.ids[:3] == ["walk", "yoga-a", "youth"]
    assert result.ids[-2:] == ["helpline", "online"]  # no location: after every located one, by name
    assert "helpline" not in result.distances
    assert result.distances["walk"] == pytest.approx(300, abs=1)
    assert result.distances["debt-1"] == pytest.approx(5000, abs=1)
    hub = result.ids.index("hub-c")
    assert result.ids[hub:hub + 3] == ["hub-c", "hub-a", "hub-b"]  # same place: by name, then id


def test_proximity_keeps_only_those_within(search: Search) -> None:
    result = search(point=HERE, proximity=1000, sort="distance")
    assert result.ids == ["walk", "yoga-a", "youth"]
    assert result.total == 3
    assert search(point=HERE, proximity=299).ids == []
    assert "debt-1" in search(point=HERE, proximity=5001).ids and "debt-2" not in search(point=HERE, proximity=5001).ids


def test_a_service_with_no_location_is_a_service_but_no_service_at_a_location(search: Search) -> None:
    assert search(text=((("calcul",),),), unit="service").ids == ["svc-calculator"]
    assert search(text=((("calcul",),),)).total == 0
    assert search(unit="service").total == len({d.service_id for d in DOCS})


def test_service_unit_gives_each_service_once_at_its_nearest_location(search: Search) -> None:
    result = search(point=HERE, sort="distance", unit="service", term_ids=frozenset({MONEY}))
    assert result.ids == ["svc-debt"] and result.total == 1
    assert result.distances["svc-debt"] == pytest.approx(5000, abs=1)
    far = search(point=HERE, proximity=20000, unit="service", term_ids=frozenset({MONEY}))
    assert far.total == 1
    only_far = search(point=GeoPoint(*away(0, 12000)), proximity=100, unit="service")
    assert only_far.ids == ["svc-debt"] and only_far.distances["svc-debt"] == pytest.approx(0, abs=1)
    everything = search(unit="service")
    assert everything.total == len({d.service_id for d in DOCS}) == len(DOCS) - 1


def test_text_alternatives_and_groups(search: Search) -> None:
    assert set(search(text=((("walk",),),)).ids) == {"walk", "whitby", "rambles"}
    assert set(search(text=((("walk",),), (("social",),))).ids) == {"walk"}  # AND over groups
    assert set(search(text=((("loneli",), ("social", "isol")),)).ids) == {"helpline", "walk"}  # OR within a group
    assert search(text=((("social", "cuppa"),),)).ids == ["carers"]  # an alternative needs all its tokens
    assert search(text=((("social", "nonsens"),),)).ids == []
    assert set(search(text=((("advic",),),)).ids) == {"debt-1", "debt-2", "polish", "hub-a", "hub-b"}
    assert search(text=((('walk" OR "cafe',),),)).ids == []  # tokens are data, never query syntax


def test_relevance_puts_name_matches_first_and_breaks_ties_by_distance(search: Search) -> None:
    walking = search(text=((("walk",),),), sort="relevance", point=HERE)
    assert walking.ids[-1] == "rambles"  # "walk" only in its description
    yoga = search(text=((("yoga",),),), sort="relevance", point=HERE)
    assert yoga.ids == ["yoga-a", "yoga-b"]  # the same text: the nearer first
    own_words_first = search(text=((("walk",), ("loneli",)),), sort="relevance", point=HERE)
    assert set(own_words_first.ids) == {"walk", "whitby", "rambles", "helpline"}
    assert own_words_first.ids[-1] == "helpline"  # found by a synonym only, though in its name
    hubs = search(text=((("hub",),),), sort="relevance")
    assert hubs.ids[-2:] == ["hub-a", "hub-b"]  # equal text and no point: by name then id


def test_taxonomy_terms_taxonomy_and_organisation(search: Search) -> None:
    assert set(search(term_ids=frozenset({MONEY, CARERS})).ids) == {"debt-1", "debt-2", "carers"}
    assert set(search(term_ids=frozenset({HEALTH})).ids) == {"walk", "carers", "memory", "helpline", "youth", "whitby"}
    assert set(search(taxonomy_id=LOCAL).ids) == {"carers", "art"}
    assert search(organization_id="org-polish").ids == ["polish"]
    assert search(organization_id="org-none").total == 0


def test_modified_after_includes_the_moment_itself(search: Search) -> None:
    assert set(search(modified_after=UPDATED).ids) == {"debt-1", "debt-2"}
    assert set(search(modified_after=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)).ids) == {
        "debt-1", "debt-2", "walk"}
    assert search(modified_after=UPDATED + datetime.timedelta(seconds=1)).ids == []


def test_day_and_time_windows(search: Search) -> None:
    tuesday_morning = ((day("TU") + 9 * 60, day("TU") + 12 * 60),)
    assert set(search(windows=tuesday_morning).ids) == {"carers", "debt-1", "debt-2", "helpline"}
    saturday = ((day("SA"), day("SA") + MINUTES_PER_DAY),)
    assert set(search(windows=saturday).ids) == {"walk", "helpline"}
    ends_as_it_opens = ((day("TU") + 8 * 60, day("TU") + 10 * 60),)  # the carers open at 10:00 sharp
    assert "carers" not in search(windows=ends_as_it_opens).ids
    assert set(search(windows=(*saturday, *tuesday_morning)).ids) == {"walk", "helpline", "carers", "debt-1", "debt-2"}


def test_open_at_follows_monthly_fortnightly_validity_and_overnight_rules(search: Search) -> None:
    assert set(search(open_at=at("2026-12-08T11:00")).ids) == {"carers", "debt-1", "debt-2", "helpline"}
    assert "carers" not in search(open_at=at("2026-12-08T12:00")).ids  # closes at 12:00
    assert "art" in search(open_at=at("2026-12-02T15:00")).ids  # first Wednesday
    assert "art" not in search(open_at=at("2026-12-09T15:00")).ids  # second Wednesday
    assert "memory" in search(open_at=at("2026-12-31T11:00")).ids  # last Thursday
    assert "memory" not in search(open_at=at("2026-12-24T11:00")).ids
    assert "repair" in search(open_at=at("2026-11-27T19:00")).ids  # the anchor Friday
    assert "repair" not in search(open_at=at("2026-12-04T19:00")).ids  # the week between
    assert "repair" in search(open_at=at("2026-12-11T19:00")).ids
    assert "repair" not in search(open_at=at("2026-11-13T19:00")).ids  # before the anchor
    assert "night" in search(open_at=at("2026-12-08T23:00")).ids
    assert "night" in search(open_at=at("2026-12-09T01:00")).ids  # began on Tuesday the 8th: still valid
    assert "night" not in search(open_at=at("2026-12-16T01:00")).ids  # began on the 15th: after valid_to


def test_ages_cost_languages_and_delivery(search: Search) -> None:
    assert "youth" in search(age_range=(15, 15)).ids and "debt-1" not in search(age_range=(15, 15)).ids
    assert "youth" not in search(age_range=(18, None)).ids and "debt-1" in search(age_range=(18, None)).ids
    assert "youth" in search(age_range=(None, 12)).ids and "youth" not in search(age_range=(None, 10)).ids
    assert "debt-1" in search(age_range=(10, 20)).ids and "youth" in search(age_range=(10, 20)).ids
    assert set(search(free=True).ids) == {"walk", "art", "helpline", "online"}
    assert search(languages=frozenset({"polish"})).ids == ["polish"]
    assert set(search(languages=frozenset({"pl", "en"})).ids) == {"polish", "walk"}
    assert set(search(delivery=frozenset({"online", "telephone"})).ids) == {"online", "helpline", "debt-1", "debt-2"}


def test_coverage_by_area_code_national_and_shape(search: Search) -> None:
    here = search(point=HERE, coverage=frozenset({LEEDS, NATIONAL}), sort="distance")
    assert here.ids == ["walk", "carers", "debt-1", "debt-2", "homecare", "helpline", "online"]
    elsewhere = search(point=GeoPoint(54.48, -0.61), coverage=frozenset({"E07000164", NATIONAL}), sort="distance")
    assert elsewhere.ids == ["whitby", "helpline", "online"]  # outside the Leeds Home Support square
    assert set(search(coverage=frozenset({NATIONAL})).ids) == {"helpline", "online"}  # no point: codes only
    assert search(coverage=frozenset(), point=HERE).ids == ["homecare"]


def test_paging_is_exact_disjoint_and_complete(search: Search) -> None:
    for fields in ({"point": HERE, "sort": "distance"}, {"sort": "name"}, {"point": HERE, "unit": "service"},
                   {"text": ((("walk",), ("advic",)),), "sort": "relevance", "point": HERE}):
        everything = search(**fields)
        pages = [search(**fields, page=page, per_page=3) for page in range(1, 10)]
        assert all(page.total == everything.total for page in pages)
        assert [key for page in pages for key in page.ids] == everything.ids
        assert search(**fields, page=50, per_page=3).ids == []


def test_replace_swaps_one_service(search: Search, backend: SearchBackend, session: Session) -> None:
    moved = doc("debt-3", "Money Matters Debt Advice", away(100, 0), "money advic", service_id="svc-debt",
                term_ids=frozenset({MONEY}))
    backend.replace(session, ["svc-debt"], [moved])
    assert search(term_ids=frozenset({MONEY})).ids == ["debt-3"]
    assert search(point=HERE, sort="distance").ids[0] == "debt-3"
    assert backend.count(session) == len(DOCS) - 1
    backend.replace(session, ["svc-debt", "svc-walk"], [])
    assert backend.count(session) == len(DOCS) - 3
    assert search(text=((("walk",),),)).total == 2


MIX = [
    {"point": HERE, "sort": "distance"},
    {"point": HERE, "proximity": 3000, "sort": "distance"},
    {"point": HERE, "proximity": 3000, "sort": "name", "unit": "service"},
    {"point": HERE, "sort": "distance", "unit": "service", "per_page": 4, "page": 2},
    {"point": HERE, "proximity": 10000, "term_ids": frozenset({HEALTH, EXERCISE}), "sort": "distance"},
    {"point": HERE, "term_ids": frozenset({HEALTH}), "open_at": at("2026-12-08T11:00"), "sort": "distance"},
    {"point": HERE, "coverage": frozenset({LEEDS, NATIONAL}), "free": True, "sort": "distance"},
    {"point": HERE, "text": ((("walk",), ("cafe",)),), "sort": "distance", "proximity": 5000},
    {"point": HERE, "text": ((("social",),),), "sort": "relevance"},
    {"point": HERE, "text": ((("advic",),),), "sort": "relevance", "unit": "service"},
    {"text": ((("advic",),),), "sort": "relevance", "unit": "service"},
    {"windows": ((day("WE"), day("TH")),), "sort": "name"},
    {"age_range": (16, 30), "delivery": frozenset({"in_person"}), "sort": "name"},
    {"point": HERE, "languages": frozenset({"pl", "english"}), "unit": "service", "sort": "distance"},
    {"point": GeoPoint(53.959, -1.082), "proximity": 1000, "sort": "distance"},
    {"taxonomy_id": OPEN_REFERRAL, "organization_id": "org-cab", "unit": "service", "sort": "name"},
]


@pytest.mark.parametrize("fields", MIX, ids=[str(i) for i in range(len(MIX))])
def test_combinations_agree_with_the_contract(search: Search, fields: dict[str, object]) -> None:
    check(search, **fields)


# Many documents: nearest-first pages are then found within growing radii (more matches than
# sql_query.STEP_WHEN_MORE_THAN), which the small directory above never needs.

def _crowd() -> list[SearchDocument]:
    rng = random.Random(7)
    words = ["walk", "group", "cafe", "advic", "art", "sport", "carer", "social"]
    out = []
    for number in range(1400):
        north, east = rng.uniform(-20000, 20000), rng.uniform(-20000, 20000)
        where = None if number % 97 == 0 else away(north, east)
        service = f"svc-crowd-{number // 3 if number % 2 else number}"  # some services at several places
        out.append(doc(f"crowd-{number:03d}", f"Crowd {rng.choice(words).title()}", where,
                       " ".join(rng.sample(words, 3)), service_id=service,
                       location_id=None if where is None else f"loc-crowd-{number}",
                       term_ids=frozenset(rng.sample([HEALTH, EXERCISE, MONEY], rng.randrange(3))),
                       free=rng.random() < 0.5, minimum_age=rng.choice((None, 18)),
                       delivery=frozenset({rng.choice(("in_person", "telephone"))}),
                       coverage_codes=frozenset({rng.choice((LEEDS, NATIONAL, "E07000164"))}),
                       intervals=(hours(rng.choice(DAYS), 9, 12),)))
    return out


CROWD = _crowd()
CROWD_MIX = [
    {"point": HERE, "proximity": 16000, "sort": "distance", "per_page": 20},
    {"point": HERE, "proximity": 16000, "sort": "distance", "per_page": 20, "page": 7},
    {"point": HERE, "sort": "distance", "per_page": 20, "page": 3},
    {"point": HERE, "proximity": 25000, "sort": "distance", "per_page": 20, "unit": "service"},
    {"point": HERE, "proximity": 16000, "sort": "distance", "per_page": 20, "free": True, "age_range": (16, 16)},
    {"point": HERE, "proximity": 16000, "sort": "distance", "per_page": 20, "term_ids": frozenset({HEALTH})},
    # Tags drive within a radius, opening times tested on the tagged entries (with a second tag filter).
    {"point": HERE, "proximity": 16000, "sort": "distance", "per_page": 20, "term_ids": frozenset({HEALTH}),
     "open_at": at("2026-12-08T10:00")},
    {"point": HERE, "proximity": 16000, "sort": "distance", "per_page": 20, "page": 2,
     "term_ids": frozenset({HEALTH, MONEY}), "delivery": frozenset({"telephone"}),
     "windows": ((day("MO") + 600, day("MO") + 660), (day("FR") + 690, day("FR") + 800))},
    {"point": HERE, "proximity": 16000, "sort": "distance", "per_page": 20, "text": ((("walk",), ("cafe",)),)},
    {"point": HERE, "proximity": 12000, "sort": "relevance", "per_page": 500, "text": ((("social",),),)},
    {"point": HERE, "coverage": frozenset({LEEDS, NATIONAL}), "sort": "distance", "per_page": 20},
    {"point": HERE, "proximity": 16000, "sort": "name", "per_page": 20, "page": 2, "unit": "service"},
    {"point": GeoPoint(*away(19000, 19000)), "proximity": 3000, "sort": "distance", "per_page": 20},
]


@pytest.mark.parametrize("fields", CROWD_MIX, ids=[str(i) for i in range(len(CROWD_MIX))])
def test_crowded_pages_agree_with_the_contract(backend: SearchBackend, session: Session,
                                                fields: dict[str, object]) -> None:
    assert backend.rebuild(session, CROWD) == len(CROWD)

    def run(**query: object) -> SearchResult:
        return backend.search(session, SearchQuery(**query))  # type: ignore[arg-type]

    assert check_over(run, CROWD, dict(fields)).total > 0


@pytest.mark.parametrize("centre", [HERE, GeoPoint(0.0, 179.999), GeoPoint(-33.9, -179.99), GeoPoint(89.99, 10.0),
                                    GeoPoint(-89.5, -45.0), GeoPoint(60.0, 0.0)], ids=str)
def test_cell_ranges_hold_every_point_within_the_radius(centre: GeoPoint) -> None:
    from app.search.sql_query import cell_ranges
    from app.search.sql_rows import cell

    rng = random.Random(11)
    for radius in (5.0, 300.0, 1000.0, 16000.0, 120000.0, 400000.0):
        ranges = cell_ranges(centre, radius)
        if ranges is None:
            continue
        for _ in range(400):
            # A point at a random bearing and distance (the last few exactly on the circle).
            angle = (radius if _ % 10 == 0 else rng.uniform(0, radius)) / EARTH_RADIUS_M
            bearing = rng.uniform(0, 2 * math.pi)
            lat0, lon0 = math.radians(centre.latitude), math.radians(centre.longitude)
            lat = math.asin(math.sin(lat0) * math.cos(angle) + math.cos(lat0) * math.sin(angle) * math.cos(bearing))
            lon = lon0 + math.atan2(math.sin(bearing) * math.sin(angle) * math.cos(lat0),
                                    math.cos(angle) - math.sin(lat0) * math.sin(lat))
            lat_d = math.degrees(lat)
            lon_d = (math.degrees(lon) + 540) % 360 - 180
            if haversine_m(centre.latitude, centre.longitude, lat_d, lon_d) > radius:
                continue
            number = cell(lat_d, lon_d)
            assert any(lo <= number <= hi for lo, hi in ranges), (centre, radius, lat_d, lon_d)


def test_radius_counts_stay_exact_as_services_move_in_and_out(backend: SearchBackend, session: Session) -> None:
    """The count of a plain radius sums per-cell counts (``search_cell``) for the cells wholly
    inside: they must follow every replace, including entries leaving and joining a cell."""
    assert backend.rebuild(session, CROWD) == len(CROWD)
    documents = {document.id: document for document in CROWD}
    moved = [d for d in CROWD if d.service_id.endswith(("1", "4", "7"))]
    services = sorted({d.service_id for d in moved})
    rng = random.Random(5)
    replacements = [dataclasses.replace(d, id=f"{d.id}-moved", latitude=away(*(rng.uniform(-15000, 15000)
                                                                               for _ in range(2)))[0],
                                        longitude=HERE.longitude + rng.uniform(-0.2, 0.2))
                    for d in moved if d.latitude is not None][::2]
    backend.replace(session, services, replacements)
    for document in moved:
        documents.pop(document.id)
    documents.update((d.id, d) for d in replacements)

    def run(**query: object) -> SearchResult:
        return backend.search(session, SearchQuery(**query))  # type: ignore[arg-type]

    located = next(d for d in replacements if d.latitude is not None and d.longitude is not None)
    at_one = GeoPoint(located.latitude, located.longitude)  # type: ignore[arg-type]
    for fields in ({"point": HERE, "proximity": 16000, "sort": "distance", "per_page": 20},
                   {"point": GeoPoint(*away(5000, -3000)), "proximity": 9000, "sort": "distance", "per_page": 5},
                   # a page the first, smallest radius already fills (its count rides along)
                   {"point": at_one, "proximity": 16000, "sort": "distance", "per_page": 1},
                   {"point": at_one, "proximity": 300, "sort": "distance", "per_page": 1, "page": 2}):
        assert check_over(run, list(documents.values()), dict(fields)).total > 0


@pytest.mark.parametrize("centre", [HERE, GeoPoint(51.5072, -0.1276), GeoPoint(-33.9, 151.2), GeoPoint(60.0, 0.0)],
                         ids=str)
def test_cells_counted_whole_lie_wholly_within_the_radius(centre: GeoPoint) -> None:
    from app.search.sql_query import cell_ranges, split_cells
    from app.search.sql_rows import CELL_DEG, COLUMNS

    rng = random.Random(3)
    for radius in (300.0, 1000.0, 5000.0, 16000.0, 80000.0):
        split = split_cells(centre, radius)
        assert split is not None
        inside, edge = split
        listed = sorted(number for lo, hi in inside + edge for number in range(lo, hi + 1))
        assert listed == sorted(number for lo, hi in cell_ranges(centre, radius) or [] for number in range(lo, hi + 1))
        for lo, hi in inside:
            for number in (lo, hi, rng.randint(lo, hi)):
                south, west = (number // COLUMNS) * CELL_DEG - 90, (number % COLUMNS) * CELL_DEG - 180
                for lat, lon in ((south, west), (south + CELL_DEG, west + CELL_DEG), (south, west + CELL_DEG),
                                 (south + CELL_DEG, west), (south + rng.random() * CELL_DEG, west + CELL_DEG / 2)):
                    assert haversine_m(centre.latitude, centre.longitude, lat, lon) <= radius, (radius, number)
        if radius >= 5000:
            assert inside, radius  # the point of it: most of a wide circle is counted by whole cells
