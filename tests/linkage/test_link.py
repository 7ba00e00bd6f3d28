"""What a maintainer would notice about linkage: what merges, what stays apart, why, and under which id."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.linkage import Band, Decision, LinkRecord, Thresholds, link, pairwise_scores
from app.linkage.records import Entity
from app.linkage.scoring import RULE_HOUSE_NUMBER, RULE_REGISTRATION
from tests.linkage.directory import background, phone

DEDUP = Path(__file__).resolve().parents[3] / "shared" / "data" / "dedup"


def place(source: str, ident: str, name: str, address: str, postcode: str, *phones: str, **extra: object) -> LinkRecord:
    entity: Entity = extra.pop("entity", "location")  # type: ignore[assignment]
    return LinkRecord.build(
        (source, ident), entity, name=name, address=[address], postcode=postcode, locality="Leeds", phones=phones,
        **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def together(result_clusters: dict[tuple[str, str], str], a: tuple[str, str], b: tuple[str, str]) -> bool:
    return result_clusters[a] == result_clusters[b]


MIND_COUNCIL = place("council", "m1", "Leeds Mind", "Flat 2, 12 Hyde Park Road", "LS6 1AB", phone(900))
MIND_CVS = place("cvs", "m1", "LEEDS MIND LTD.", "12 Hyde Park Rd", "ls61ab", "+44 113 496 0900")


def test_two_spellings_of_one_charity_at_one_postcode_link() -> None:
    result = link([*background(), MIND_COUNCIL, MIND_CVS])
    assert together(result.clusters, MIND_COUNCIL.key, MIND_CVS.key)


def test_background_duplicates_are_found_and_nothing_else_is_merged() -> None:
    records = background()
    truth = {r.key: r.key[1] for r in records}
    scores = pairwise_scores(link(records).clusters, truth)
    assert scores.precision == 1.0
    assert scores.recall >= 0.95


def test_the_explanation_lists_the_fields_that_drove_the_score() -> None:
    result = link([*background(), MIND_COUNCIL, MIND_CVS])
    pair = next(p for p in result.pairs if {p.a, p.b} == {MIND_COUNCIL.key, MIND_CVS.key})
    assert pair.band is Band.AUTO_MERGE
    evidence = {e.field: e for e in pair.evidence}
    assert evidence["postcode"].level == "same" and evidence["postcode"].weight > 0
    assert evidence["name"].level == "exact" and evidence["name"].weight > 0
    assert evidence["house_number"].level == "same"
    assert evidence["street"].level == "exact"
    assert abs(sum(e.weight for e in pair.evidence) + _prior_bits(result) - pair.weight) < 0.05
    assert [abs(e.weight) for e in pair.evidence] == sorted((abs(e.weight) for e in pair.evidence), reverse=True)


def _prior_bits(result: object) -> float:
    import math

    prior = result.model.prior  # type: ignore[attr-defined]
    return math.log2(prior / (1 - prior))


def test_branches_of_one_charity_at_different_sites_stay_apart() -> None:
    head_office = phone(950)
    headingley = place("council", "age1", "Age UK Leeds", "3 Otley Road", "LS6 3AA", head_office)
    armley = place("council", "age2", "Age UK Leeds", "80 Town Street", "LS12 3HN", head_office)
    armley_cvs = place("cvs", "age2", "Age UK Leeds (Armley)", "80 Town St", "LS12 3HN", head_office)
    result = link([*background(), headingley, armley, armley_cvs])
    assert not together(result.clusters, headingley.key, armley.key)
    assert not together(result.clusters, headingley.key, armley_cvs.key)
    assert together(result.clusters, armley.key, armley_cvs.key)


def test_same_named_sites_at_different_postcodes_of_one_sector_stay_apart() -> None:
    """Two health centres named after their neighbourhood, one listed without a street: a place has one postcode."""
    full = place("nhs", "hc1", "Claywell Health Centre", "6 Larch Street", "LS6 4AB")
    bare = place("council", "hc2", "Claywell Health Centre", "", "LS6 4HT")
    again = place("cvs", "hc3", "CLAYWELL HEALTH CTR", "6 Larch St", "ls64ab")
    result = link([*background(), full, bare, again])
    assert not together(result.clusters, full.key, bare.key)
    assert together(result.clusters, full.key, again.key)
    pair = next(p for p in result.pairs if {p.a, p.b} == {full.key, again.key})
    assert {e.field: e.level for e in pair.evidence}["street"] == "exact"  # "St" is read as "Street"


def test_a_shared_head_office_phone_alone_does_not_link() -> None:
    helpline = phone(960)
    records = [
        LinkRecord.build(("council", f"h{n}"), "location", name=name, phones=[helpline])
        for n, name in enumerate(["Beeston Hub", "Chapeltown Library", "Morley Town Hall"])
    ]
    other = LinkRecord.build(("cvs", "h9"), "location", name="Seacroft Community Rooms", phones=[helpline])
    result = link([*background(), *records, other])
    assert len({result.clusters[r.key] for r in [*records, other]}) == 4
    involved = {r.key for r in [*records, other]}
    assert all(p.band is not Band.AUTO_MERGE for p in result.pairs if p.a in involved or p.b in involved)


def test_different_house_numbers_never_link() -> None:
    twelve = place("council", "n12", "Leeds Mind", "12 Hyde Park Road", "LS6 1AB", phone(970))
    fourteen = place("cvs", "n14", "Leeds Mind", "14 Hyde Park Road", "LS6 1AB", phone(970))
    result = link([*background(), twelve, fourteen])
    assert not together(result.clusters, twelve.key, fourteen.key)
    pair = next(p for p in result.pairs if {p.a, p.b} == {twelve.key, fourteen.key})
    assert pair.rule == RULE_HOUSE_NUMBER and pair.band is Band.KEEP_APART


def test_conflicting_charity_numbers_never_link() -> None:
    common = {"entity": "organization", "website": "https://www.leedsmind.org.uk/about"}
    one = place("council", "o1", "Leeds Mind", "", "LS6 1AB", registrations=[("GB-CHC", "1111111")], **common)
    two = place("charity", "o2", "Leeds Mind", "", "LS6 1AB", registrations=[("GB-CHC", "2222222")], **common)
    same = place("cvs", "o3", "Leeds Mind Ltd", "", "LS6 1AB", registrations=[("GB-CHC", "01111111")], **common)
    result = link([*background("organization"), one, two, same])
    assert not together(result.clusters, one.key, two.key)
    assert together(result.clusters, one.key, same.key)
    pair = next(p for p in result.pairs if {p.a, p.b} == {one.key, two.key})
    assert pair.rule == RULE_REGISTRATION


def test_cannot_link_decisions_are_respected_and_must_links_honoured() -> None:
    stranger = place("cvs", "s1", "Granary Allotments", "1 Quarry Hill", "LS2 7EW", phone(980))
    records = [*background(), MIND_COUNCIL, MIND_CVS, stranger]
    decisions = [Decision(MIND_COUNCIL.key, MIND_CVS.key, False), Decision(MIND_COUNCIL.key, stranger.key, True)]
    result = link(records, decisions=decisions)
    assert not together(result.clusters, MIND_COUNCIL.key, MIND_CVS.key)
    assert together(result.clusters, MIND_COUNCIL.key, stranger.key)
    decided = {frozenset((p.a, p.b)): p for p in result.pairs if p.decision is not None}
    assert decided[frozenset((MIND_COUNCIL.key, MIND_CVS.key))].band is Band.KEEP_APART
    assert result.counts["decisions"] == 2


def test_a_cannot_link_splits_a_chain_of_links() -> None:
    """A and C are each linked through B; a reviewer says A is not C, so one of them leaves B's cluster."""
    a = place("council", "a", "Leeds Mind", "12 Hyde Park Road", "LS6 1AB", phone(990))
    b = place("cvs", "b", "Leeds Mind", "12 Hyde Park Road", "LS6 1AB")
    c = place("nhs", "c", "Leeds Mind", "12 Hyde Park Rd", "LS6 1AB")
    plain = link([*background(), a, b, c])
    assert together(plain.clusters, a.key, c.key)
    split = link([*background(), a, b, c], decisions=[Decision(a.key, c.key, False)])
    assert not together(split.clusters, a.key, c.key)
    assert together(split.clusters, a.key, b.key) or together(split.clusters, b.key, c.key)


def test_cluster_ids_are_stable_when_a_record_is_added() -> None:
    first = link([*background(), MIND_COUNCIL, MIND_CVS])
    previous = dict(first.clusters)
    nhs = place("nhs", "m1", "Leeds Mind", "12 Hyde Park Road", "LS6 1AB", phone(900))
    second = link([*background(), MIND_COUNCIL, MIND_CVS, nhs], previous=previous)
    assert {k: v for k, v in second.clusters.items() if k in previous} == previous
    assert second.clusters[nhs.key] == previous[MIND_COUNCIL.key]
    again = link([*background(), MIND_COUNCIL, MIND_CVS])  # without history: ids are deterministic
    assert again.clusters == first.clusters


def test_thresholds_set_the_bands() -> None:
    with pytest.raises(ValueError, match="review <= auto_merge"):
        Thresholds(auto_merge=0.5, review=0.9)
    strict = Thresholds(auto_merge=1.0, review=0.0)
    result = link([*background(), MIND_COUNCIL, MIND_CVS], thresholds=strict)
    assert result.counts["auto_merge"] == 0
    assert not together(result.clusters, MIND_COUNCIL.key, MIND_CVS.key)
    assert result.review_queue()


def test_records_of_different_entities_are_refused() -> None:
    org = LinkRecord.build(("council", "x"), "organization", name="X")
    with pytest.raises(ValueError, match="one entity type"):
        link([MIND_COUNCIL, org])


@pytest.mark.skipif(not (DEDUP / "fodors_zagats").is_dir(), reason="labelled sets not present")
def test_restaurants_benchmark_stays_accurate() -> None:
    """Regression guard on Fodor's/Zagat's (0.991 when written; a published library scores 0.961)."""
    from scripts.eval_linkage_datasets import restaurants

    records, truth = restaurants(DEDUP)
    result = link(records, link_only=True)
    scores = pairwise_scores(result.clusters, truth, link_only=True)
    assert scores.f1 >= 0.975, scores
