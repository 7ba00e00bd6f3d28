"""Searching near a patient, over the demo directory, as a link worker would.

Each test asks what a link worker asks ("open on Monday morning near LS12", "free debt
advice", "anything that covers this postcode") and checks the answer against the
records themselves, so a filter that is ignored or wrong fails.
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from app.geo.distance import haversine_m
from app.search import opening

LEEDS_CENTRE = (53.7997, -1.5492)


def _get(client: FlaskClient, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def _all(client: FlaskClient, url: str) -> list[dict[str, Any]]:
    """Every item of a search, page by page (checking the envelope's total on the way)."""
    items: list[dict[str, Any]] = []
    number = 1
    while True:
        page = _get(client, f"{url}&per_page=50&page={number}")
        items += page["contents"]
        if page["last_page"]:
            assert len(items) == page["total_items"]
            return items
        number += 1


def _point(item: dict[str, Any]) -> tuple[float, float] | None:
    location = item.get("location") or {}
    if "latitude" in location and "longitude" in location:
        return float(location["latitude"]), float(location["longitude"])
    return None


def test_near_a_postcode_is_nearest_first_within_the_default_radius(client: FlaskClient) -> None:
    body = _get(client, "/api/service_at_locations?postcode=LS1%203AQ&per_page=200")
    context = body["search_context"]
    assert context["point"]["precision"] == "postcode" and context["point"]["approximate"] is False
    radius = context["proximity"]
    assert any("proximity" in notice.lower() for notice in context["notices"])
    distances = [item["distance"] for item in body["contents"]]
    assert distances == sorted(distances) and distances and max(distances) <= radius
    origin = (context["point"]["latitude"], context["point"]["longitude"])
    for item in body["contents"]:
        point = _point(item)
        assert point is not None
        assert abs(haversine_m(*origin, *point) - item["distance"]) < 1.0


def test_a_tight_radius_keeps_only_what_is_inside_it(client: FlaskClient) -> None:
    wide = _all(client, "/api/service_at_locations?postcode=LS1%203AQ&proximity=20000")
    tight = _all(client, "/api/service_at_locations?postcode=LS1%203AQ&proximity=1500")
    assert 0 < len(tight) < len(wide)
    assert {i["id"] for i in tight} == {i["id"] for i in wide if i["distance"] <= 1500}


def test_lat_long_gives_the_same_answer_as_the_postcode_at_that_point(client: FlaskClient) -> None:
    by_postcode = _get(client, "/api/service_at_locations?postcode=LS1%203AQ&per_page=20")
    point = by_postcode["search_context"]["point"]
    by_point = _get(client, f"/api/service_at_locations?lat={point['latitude']}&long={point['longitude']}"
                            "&per_page=20")
    assert by_point["search_context"]["point"]["precision"] == "coordinates"
    assert [i["id"] for i in by_point["contents"]] == [i["id"] for i in by_postcode["contents"]]


def test_an_outcode_gives_an_approximate_point_and_says_so(client: FlaskClient) -> None:
    body = _get(client, "/api/service_at_locations?postcode=LS12&per_page=5")
    context = body["search_context"]
    assert context["point"]["approximate"] is True and context["point"]["precision"] == "outcode"
    assert any("approximate" in notice for notice in context["notices"])
    assert body["contents"]


def test_an_absurd_proximity_is_capped_and_the_response_says_so(client: FlaskClient) -> None:
    body = _get(client, "/api/service_at_locations?postcode=LS1%203AQ&proximity=99000000&per_page=1")
    context = body["search_context"]
    assert context["proximity"] == 200_000
    assert any("99000000" in notice for notice in context["notices"])


def test_services_list_each_service_once_at_its_nearest_location(client: FlaskClient) -> None:
    rows = _all(client, "/api/service_at_locations?postcode=LS1%203AQ&proximity=30000")
    services = _all(client, "/api/services?postcode=LS1%203AQ&proximity=30000")
    nearest: dict[str, float] = {}
    for row in rows:
        service_id = row["service"]["id"] if "service" in row else row["service_id"]
        nearest[service_id] = min(nearest.get(service_id, float("inf")), row["distance"])
    assert {s["id"] for s in services} == set(nearest)
    for service in services:
        assert service["distance"] == pytest.approx(nearest[service["id"]], abs=0.2)
    distances = [s["distance"] for s in services]
    assert distances == sorted(distances)


def _names(items: list[dict[str, Any]]) -> list[str]:
    return [item.get("name") or item.get("service", {}).get("name", "") for item in items]


def test_search_uses_synonyms_and_stemming(client: FlaskClient) -> None:
    lonely = _names(_all(client, "/api/services?search=lonely"))
    assert any("befriending" in name.lower() for name in lonely), lonely
    walks = _names(_all(client, "/api/services?search=walks"))
    assert walks and any("walk" in name.lower() for name in walks)


def test_search_ranks_a_name_match_first(client: FlaskClient) -> None:
    body = _get(client, "/api/services?search=coffee%20morning&per_page=5")
    assert "coffee morning" in body["contents"][0]["name"].lower()


def test_every_search_word_must_match(client: FlaskClient) -> None:
    both = {s["id"] for s in _all(client, "/api/services?search=digital%20library")}
    digital = {s["id"] for s in _all(client, "/api/services?search=digital")}
    library = {s["id"] for s in _all(client, "/api/services?search=library")}
    assert both and both <= digital & library and both != digital | library


def _term_id(client: FlaskClient, code: str) -> str:
    terms = _all(client, f"/api/taxonomy_terms?search={code}")
    return next(t["id"] for t in terms if t.get("code") == code)


def test_a_taxonomy_term_matches_its_descendants(client: FlaskClient) -> None:
    money, debt, benefits = (_term_id(client, c) for c in ("MONEY", "MONEY-DEBT", "MONEY-BEN"))
    parent = {s["id"] for s in _all(client, f"/api/services?taxonomy_term_id={money}")}
    children = {s["id"] for s in _all(client, f"/api/services?taxonomy_term_id={debt}&taxonomy_term_id={benefits}")}
    assert children and children <= parent
    only_debt = {s["id"] for s in _all(client, f"/api/services?taxonomy_term_id={debt}")}
    assert only_debt < children


def test_unknown_taxonomy_terms_are_named_beside_known_ones(client: FlaskClient) -> None:
    debt = _term_id(client, "MONEY-DEBT")
    unknown = ["ffffffff-0000-4000-8000-000000000000", "00000000-0000-4000-8000-000000000000"]
    response = client.get(f"/api/services?taxonomy_term_id={unknown[0]},{debt}&taxonomy_term_id={unknown[1]}")
    assert response.status_code == 400
    assert response.get_json()["error"] == ("Invalid query parameter taxonomy_term_id: No taxonomy term with id "
                                            f"{unknown[1]}, {unknown[0]}.")


def _open(service: dict[str, Any], moment: datetime.datetime) -> bool:
    """Whether the service is open at ``moment`` somewhere, by its most specific schedules:
    those of the service at a location, else the service's own, else the location's hours."""
    own = service.get("schedules", [])
    places = service.get("service_at_locations", [])
    choices = [sal.get("schedules") or own or sal.get("location", {}).get("schedules", []) for sal in places]
    return any(opening.is_open(opening.intervals(s), moment) for chosen in (choices or [own]) for s in chosen)


@pytest.mark.parametrize("moment", ["2026-11-23T10:30:00", "2026-11-23T13:00:00", "2026-07-01T08:30:00Z",
                                    "2026-12-01T08:30:00Z", "2026-11-29T11:00:00"])
def test_open_at_agrees_with_the_schedules(client: FlaskClient, moment: str) -> None:
    found = {s["id"] for s in _all(client, f"/api/services?open_at={quote(moment)}")}
    every = _all(client, "/api/services?full=true")
    when = datetime.datetime.fromisoformat(moment.replace("Z", "+00:00"))
    expected = {s["id"] for s in every if _open(s, when)}
    assert found == expected
    assert found or moment.startswith("2026-11-29")  # a weekday morning has something open


def test_open_at_follows_british_summer_time(client: FlaskClient) -> None:
    summer = {s["id"] for s in _all(client, "/api/services?open_at=2026-07-01T08:30:00Z")}  # 09:30 BST
    winter = {s["id"] for s in _all(client, "/api/services?open_at=2026-12-02T08:30:00Z")}  # 08:30 GMT
    assert len(summer) > len(winter)


def test_monday_morning_window(client: FlaskClient) -> None:
    found = _names(_all(client, "/api/services?day=MO&start_time=10:00&end_time=11:00"))
    assert "Armley Coffee Morning" in found
    evening = _names(_all(client, "/api/services?day=monday&start_time=19:00&end_time=20:00"))
    assert "Armley Coffee Morning" not in evening


def test_free_services_only(client: FlaskClient) -> None:
    free = _all(client, "/api/services?cost=free&full=true")
    everything = _all(client, "/api/services?full=true")
    assert 0 < len(free) < len(everything)
    for service in free:
        amounts = [c.get("amount") for c in service.get("cost_options", []) if c.get("amount") is not None]
        assert not any(float(a) > 0 for a in amounts), service["name"]


def test_age_filters(client: FlaskClient) -> None:
    for service in _all(client, "/api/services?age=12&full=true"):
        assert service.get("minimum_age", 0) <= 12 <= service.get("maximum_age", 200), service["name"]
    adults = {s["id"] for s in _all(client, "/api/services?minimum_age=18&maximum_age=30")}
    anyone = {s["id"] for s in _all(client, "/api/services?full=false")}
    assert adults < anyone


def test_coverage_keeps_services_whose_area_covers_the_patient(client: FlaskClient) -> None:
    leeds = _all(client, "/api/services?postcode=LS1%203AQ&coverage=true&full=true")
    names = _names(leeds)
    assert "Welfare rights advice line" in names  # its service area is Leeds (E08000035)
    armley = "Digital drop-in, Armley Library"  # its area is a neighbourhood name, not a code: no claim
    assert armley not in names
    elsewhere = _names(_all(client, "/api/services?lat=51.5074&long=-0.1278&coverage=true"))
    assert "Welfare rights advice line" not in elsewhere


def test_delivery_and_language(client: FlaskClient) -> None:
    phone = _all(client, "/api/services?delivery=telephone&full=true")
    assert phone and all(_has_phone(s) for s in phone)
    urdu = _all(client, "/api/service_at_locations?language=ur&full=true")
    assert urdu


def _has_phone(service: dict[str, Any]) -> bool:
    if service.get("phones"):
        return True
    return any(sal.get("phones") or sal.get("location", {}).get("phones")
               for sal in service.get("service_at_locations", []))


def test_filters_combine_with_and(client: FlaskClient) -> None:
    near = {s["id"] for s in _all(client, "/api/services?postcode=LS12%203LL&proximity=5000")}
    free = {s["id"] for s in _all(client, "/api/services?cost=free")}
    both = {s["id"] for s in _all(client, "/api/services?postcode=LS12%203LL&proximity=5000&cost=free")}
    assert both == near & free and both


@pytest.mark.parametrize(("query", "parameter", "words"), [
    ("lat=91&long=0", "lat", "latitude"),
    ("lat=53.8", "long", "together"),
    ("postcode=LS1%203AQ&proximity=-5", "proximity", "positive"),
    ("postcode=LS1%203AQ&lat=53&long=-1", "lat", "one of"),
    ("open_at=next%20tuesday", "open_at", "datetime"),
    ("start_time=25:00", "start_time", "time of day"),
    ("start_time=12:00&end_time=09:00", "end_time", "later"),
    ("day=funday", "day", "day of the week"),
    ("taxonomy_term_id=00000000-0000-4000-8000-000000000000", "taxonomy_term_id", "no taxonomy term"),
    ("sort=distance", "sort", "postcode"),
    ("coverage=true", "coverage", "postcode"),
    ("delivery=carrier-pigeon", "delivery", "in_person"),
    ("age=300", "age", "less than or equal to 130"),
    ("minimum_age=30&maximum_age=10", "minimum_age", "maximum_age"),
    ("postcode=ZE9%209ZZ", "postcode", "not a known"),
    ("place=Headingley", "place", "geocoder"),
])
@pytest.mark.parametrize("collection", ["services", "service_at_locations"])
def test_bad_search_input_is_a_400_naming_the_parameter(client: FlaskClient, collection: str, query: str,
                                                        parameter: str, words: str) -> None:
    response = client.get(f"/api/{collection}?{query}")
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["parameter"] == parameter
    assert words.lower() in body["error"].lower()


def test_searches_served_at_once_stem_their_words_alike() -> None:
    """``waymark serve`` runs threaded workers: words first met by several requests at once must
    stem as they do one at a time (a shared Snowball stemmer garbled them, or raised: a 500)."""
    import random
    import threading

    import snowballstemmer  # type: ignore[import-untyped]

    from app.search import text

    rng = random.Random(4)
    suffixes = ("ing", "ed", "ness", "ation", "ful", "ies", "ly", "ement")
    words = [f"{''.join(rng.choice('bcdfglmnprst') + rng.choice('aeiou') for _ in range(4))}{rng.choice(suffixes)}"
             for _ in range(4000)]
    reference = snowballstemmer.stemmer("english")
    expected = {word: reference.stemWord(word) for word in words}
    found: dict[str, str] = {}
    failures: list[BaseException] = []

    def stem(part: list[str]) -> None:
        try:
            for word in part:
                found[word] = text.analyse(word)[0]
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=stem, args=(words[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert found == expected
