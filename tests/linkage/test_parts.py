"""The building blocks: normalisation, clustering and evaluation on hand-made inputs."""

from __future__ import annotations

import pytest

from app.linkage import normalise as norm
from app.linkage.clustering import cluster
from app.linkage.evaluate import pairwise_scores


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Flat 3, 12 High St"], "12"),
        (["12a Mill Road"], "12a"),
        (["Unit 5", "Enterprise Park"], None),
        (["2nd Floor, 40 Park Row", "Leeds LS1 5HU"], "40"),
        (["1-30 Main Street"], "1-30"),
        (["435 s. la cienega blv."], "435"),
    ],
)
def test_house_numbers(lines: list[str], expected: str | None) -> None:
    assert norm.house_number(lines) == expected


def test_a_site_name_on_the_first_address_line_is_not_the_address() -> None:
    """Feeds put the site name first; its digits are not a house number, and it is not the street."""
    lines = ["Hawkworth Over 60s Club", "95 Brook Rd, Hawkworth"]
    assert norm.house_number(lines, "Hawkworth Over 60s Club") == "95"
    assert norm.house_number(["Over 60s Club"]) is None  # a decade is never a house number
    assert norm.house_number(["Club 2000"], "Club 2000") is None
    assert norm.street_text(lines, "Hawkworth Over 60s Club") == "brook road"
    named = ["CLAYWELL HEALTH CENTRE", "6 LARCH ST, CLAYWELL"]
    assert norm.street_text(named, "Claywell Health Centre") == "larch street"
    assert norm.street_text(["Green Hearts Alliance - Waldale branch"], "Green Hearts Alliance - Waldale branch") == ""


def test_names_separate_legal_forms_and_generic_words() -> None:
    parts = norm.name_parts("The Leeds MIND Branch Ltd.")
    assert parts.distinctive == ("leeds", "mind")
    assert parts.legal == ("ltd",) and set(parts.generic) == {"the", "branch"}
    cafe = norm.name_parts("Café Ümlaut & Sons N.V.")
    assert cafe.distinctive == ("cafe", "umlaut", "sons") and cafe.legal == ("nv",)
    assert norm.name_parts("Arnie Morton's").key == "arnie mortons"
    assert norm.name_parts("The Trust").distinctive == ("the", "trust")


def test_postcodes_phones_and_domains() -> None:
    assert norm.postcode_parts(" ls64ab ") == norm.PostcodeParts("LS6 4AB", "LS6 4", "LS6")
    assert norm.postcode_parts("10115", "DE") == norm.PostcodeParts("10115")
    assert norm.phone_e164("310/246-1501", "US") == "+13102461501"
    assert norm.phone_e164("0113 496 0123") == "+441134960123"
    assert norm.phone_e164("not a number") is None
    assert norm.registrable_domain("https://www.leeds.gov.uk/libraries") == "leeds.gov.uk"
    assert norm.registrable_domain("leedsmind.org.uk") == "leedsmind.org.uk"
    assert norm.registrable_domain("https://www.facebook.com/leedsmind") is None
    assert norm.registrable_domain("https://www.eventbrite.co.uk/e/123") is None
    assert norm.registrable_domain("https://www.gov.uk/carers-allowance") is None
    assert norm.registrable_domain("https://leedsmind.wordpress.com/") == "leedsmind.wordpress.com"


def test_shared_values_are_those_one_source_gives_to_several_records() -> None:
    shared = norm.shared_values([("a", ["1"]), ("a", ["1"]), ("a", ["2"]), ("b", ["2"])])
    assert shared == {"1"}


def test_a_cannot_link_drops_the_weakest_link_on_the_path() -> None:
    keys = [("s", "a"), ("s", "b"), ("s", "c"), ("s", "d")]
    links = [(0, 1, 9.0), (1, 2, 3.0), (2, 3, 8.0)]
    result = cluster(keys, links, cannot_link=[(0, 3)]).clusters
    assert result[keys[0]] == result[keys[1]] != result[keys[2]] == result[keys[3]]


def test_contradictory_decisions_keep_apart_and_are_counted() -> None:
    keys = [("s", "a"), ("s", "b")]
    result = cluster(keys, [], must_link=[(0, 1)], cannot_link=[(0, 1)])
    assert result.clusters[keys[0]] != result.clusters[keys[1]] and result.conflicts == 1


def test_a_split_cluster_leaves_its_id_with_the_oldest_record() -> None:
    keys = [("s", "old"), ("s", "new")]
    previous = {keys[0]: "g-1", keys[1]: "g-1"}
    result = cluster(keys, [], previous=previous).clusters
    assert result[keys[0]] == "g-1" and result[keys[1]] != "g-1"


def test_an_id_that_is_a_records_own_stays_with_that_records_cluster() -> None:
    """"r" was the golden id of r, m1 and m2 (r the oldest); r now joins g (older still): m1 and m2 are not served
    under r's own id, which r's source publishes it under."""
    keys = [("c", "g"), ("a", "r"), ("b", "m1"), ("d", "m2")]
    previous = {keys[0]: "g", keys[1]: "r", keys[2]: "r", keys[3]: "r"}
    result = cluster(keys, [], must_link=[(0, 1), (2, 3)], previous=previous).clusters
    assert result[keys[0]] == result[keys[1]] == "g"
    assert result[keys[2]] == result[keys[3]] not in {"g", "r"}
    alone = cluster(keys[1:], [(1, 2, 9.0)], previous=previous).clusters  # r alone keeps it, m1 and m2 do not
    assert result[keys[2]] == alone[keys[2]] == alone[keys[3]] != alone[keys[1]] == "r"


def test_pairwise_metrics_on_a_tiny_truth() -> None:
    truth = {("s", "1"): "A", ("s", "2"): "A", ("s", "3"): "A", ("s", "4"): "B"}
    predicted = {("s", "1"): "x", ("s", "2"): "x", ("s", "3"): "y", ("s", "4"): "y"}
    scores = pairwise_scores(predicted, truth)
    assert (scores.true_positives, scores.predicted_pairs, scores.true_pairs) == (1, 2, 3)
    assert scores.precision == 0.5 and scores.recall == pytest.approx(1 / 3) and scores.f1 == pytest.approx(0.4)
    link_only = {("a", "1"): "T", ("a", "2"): "T", ("b", "1"): "T"}
    assert pairwise_scores({k: "c" for k in link_only}, link_only, link_only=True).true_pairs == 2
