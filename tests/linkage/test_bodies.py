"""Organisations and services are told apart by their names' words, and services by whose and where they are."""

from __future__ import annotations

import numpy as np

from app.linkage import Band, LinkRecord, link
from app.linkage.features import features
from app.linkage.scoring import RULE_NAMES, RULE_SITES, compare
from tests.linkage.directory import background, phone


def body(source: str, ident: str, name: str, postcode: str = "LS6 1AB", **extra: object) -> LinkRecord:
    return LinkRecord.build((source, ident), "organization", name=name, postcode=postcode, locality="Leeds",
                            **extra)  # type: ignore[arg-type]  # fmt: skip


def name_level(a: str, b: str) -> str:
    """The name comparison level of two organisation names, compared within a small batch."""
    records = [body("x", "a", a), body("y", "b", b), *background("organization")]
    levels = compare(features(records), (np.array([0]), np.array([1])), "organization")
    return ["missing", "exact", "very close", "close", "different words", "different"][int(levels[0, 0])]


def together(clusters: dict[tuple[str, str], str], a: LinkRecord, b: LinkRecord) -> bool:
    return clusters[a.key] == clusters[b.key]


def test_a_word_each_name_lacks_makes_names_different_whatever_they_share() -> None:
    assert name_level("Crossgate Primary Care Network", "Eastgate Primary Care Network") == "different words"
    assert name_level("Hollyhurst Stroke Club", "Hollyhurst Community Association") == "different words"
    assert name_level("Brookside PCN", "Brookside Primary Care Network Ltd") == "exact"  # abbreviation, legal form
    assert name_level("Oldworth Carers Ctr", "OLDWORTH CARERS CENTRE") == "exact"
    assert name_level("Westcrroft Surgery", "Westcroft Surgery") == "very close"  # a typo is not another word
    assert name_level("Coffee morning", "Westcroft coffee morning") == "close"  # one name within the other
    assert name_level("Tai chi", "Tai chi at Oldworth Community Garden Centre") == "close"


def test_same_worded_bodies_of_different_places_never_merge_but_two_spellings_do() -> None:
    crossgate = body("council", "c1", "Crossgate Primary Care Network")
    eastgate = body("nhs", "e1", "Eastgate Primary Care Network")
    crossgate_nhs = body("nhs", "c2", "CROSSGATE PCN")
    result = link([*background("organization"), crossgate, eastgate, crossgate_nhs])
    assert not together(result.clusters, crossgate, eastgate)
    assert together(result.clusters, crossgate, crossgate_nhs)
    pair = next(p for p in result.pairs if {p.a, p.b} == {crossgate.key, eastgate.key})
    assert pair.rule == RULE_NAMES and pair.band is not Band.AUTO_MERGE


def test_an_own_phone_number_links_differently_worded_names_of_one_organisation() -> None:
    deli = body("fodors", "d1", "Kirkstall Ventura Delicatessen", address=["12 Ventura Blvd"], phones=[phone(321)])
    short = body("zagats", "d2", "Kirkstall Ventura Deli", address=["12 Ventura Blvd"], phones=[phone(321)])
    other = body("zagats", "d3", "Kirkstall Ventura Bistro", address=["12 Ventura Blvd"], phones=[phone(322)])
    result = link([*background("organization"), deli, short, other])
    assert together(result.clusters, deli, short)
    assert not together(result.clusters, deli, other)


def service(source: str, ident: str, name: str, organization: str, site: str, postcode: str, number: int) -> LinkRecord:
    return LinkRecord.build((source, ident), "service", name=name, postcode=postcode, phones=[phone(number)],
                            parents=[site], organization=organization)  # fmt: skip


def services_background() -> list[LinkRecord]:
    """Forty organisations with three services each at their own site, each listed twice."""
    activities = ["Lunch club", "Walking group", "Job shop"]
    out = []
    for n in range(40):
        for k, activity in enumerate(activities):
            for source in ("council", "cvs"):
                name = activity if source == "council" else activity.upper()
                out.append(
                    service(source, f"bg{n}-{k}", name, f"org{n}", f"site{n}", f"LS{n % 9 + 1} {n % 7}AB", 500 + n)
                )
    return out


def test_services_merge_only_within_one_organisation_and_site() -> None:
    council = service("council", "s1", "Knit and natter", "council", "library-a", "LS1 1AA", 100)
    cvs = service("cvs", "s1", "Knit & Natter", "council", "library-a", "LS1 1AA", 100)
    # the council's knit and natter at another library is another service
    elsewhere = service("cvs", "s2", "Knit and natter", "council", "library-b", "LS2 2BB", 101)
    # and a group's own knit and natter, in another hall, is another again
    group = service("nhs", "s3", "Knit and natter", "oak-group", "hall-c", "LS3 3CC", 102)
    result = link([*services_background(), council, cvs, elsewhere, group])
    assert together(result.clusters, council, cvs)
    assert not together(result.clusters, council, elsewhere) and not together(result.clusters, council, group)
    rules = {frozenset((p.a, p.b)): p.rule for p in result.pairs}
    assert rules.get(frozenset((council.key, elsewhere.key)), RULE_SITES) == RULE_SITES
    background_clusters = {result.clusters[r.key] for r in services_background()}
    assert len(background_clusters) == 120  # every service's two listings, and nothing else, together


def test_a_mistyped_registration_number_is_evidence_but_another_number_rules_a_link_out() -> None:
    mill = ["3 Mill Road"]
    listed = body("council", "r1", "Rising Threads Project", registrations=[("GB-CHC", "1082743")], address=mill)
    mistyped = body("cvs", "r2", "RISING THREADS PROJECT", registrations=[("GB-CHC", "1082753")], address=mill)
    other = body("nhs", "r3", "Rising Threads Project", registrations=[("GB-CHC", "2155310")], address=mill)
    result = link([*background("organization"), listed, mistyped, other])
    assert together(result.clusters, listed, mistyped)
    assert not together(result.clusters, listed, other)


def test_two_groups_running_one_activity_at_one_venue_stay_two_services() -> None:
    """Services of organisations not matched at one venue merge only if an own phone number says they are one."""
    first = service("council", "v1", "Coffee morning", "oak-group", "church-hall", "LS4 4DD", 200)
    second = service("cvs", "v2", "Coffee morning", "elm-group", "church-hall", "LS4 4DD", 201)
    result = link([*services_background(), first, second])
    assert not together(result.clusters, first, second)
    same_phone = service("cvs", "v3", "Coffee morning", "oak-group-2", "church-hall", "LS4 4DD", 200)
    result = link([*services_background(), first, same_phone])
    assert together(result.clusters, first, same_phone)
