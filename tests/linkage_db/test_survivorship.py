"""Survivorship: which member's value a golden field takes, and the trail it leaves."""

from __future__ import annotations

import datetime

import pytest

from app.linkage.survivorship import Candidate, TrustError, parse_trust, survive

OLD = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
NEW = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)


def _candidate(source: str, verified: datetime.datetime | None = None, run: int = 1, **record: object) -> Candidate:
    return Candidate(source, f"{source}-record", run, record, verified)


def test_the_trusted_source_for_a_field_group_wins_over_a_newer_record() -> None:
    council = _candidate("council", OLD, name="Leeds Carers Hub", eligibility_description="Carers in Leeds")
    nhs = _candidate("nhs", NEW, name="LEEDS CARERS HUB", eligibility_description="Adult carers registered with a GP")
    merged = survive([council, nhs], trust=parse_trust("names=council>nhs; clinical=nhs"))
    assert merged.record == {"name": "Leeds Carers Hub", "eligibility_description": "Adult carers registered with a GP"}
    assert (merged.provenance["name"].source, merged.provenance["name"].reason) == ("council", "trust")
    assert merged.provenance["eligibility_description"].source == "nhs"


def test_without_trust_the_newest_then_the_valid_then_the_most_complete_value_wins() -> None:
    newer = _candidate("cvs", NEW, description="Short.")
    older = _candidate("council", OLD, description="A much longer description of the group.")
    assert survive([older, newer]).record["description"] == "Short."
    assert survive([older, newer]).provenance["description"].reason == "verified"
    bad = _candidate("cvs", NEW, email="groups at example.org")
    good = _candidate("council", NEW, email="groups@example.org")
    chosen = survive([bad, good])
    assert chosen.record["email"] == "groups@example.org" and chosen.provenance["email"].reason == "format"
    brief = _candidate("a", NEW, phones=[{"number": "0113 496 0000"}])
    fuller = _candidate("b", NEW, phones=[{"number": "0113 496 0000"}, {"number": "0113 496 0001"}])
    assert survive([brief, fuller]).provenance["phones"].source == "b"


def test_a_value_only_one_member_has_is_kept_and_traced_to_its_harvest() -> None:
    merged = survive([_candidate("council", run=7, name="Hub"), _candidate("cvs", run=9, website="https://hub.example")])
    assert merged.record == {"name": "Hub", "website": "https://hub.example"}
    assert merged.provenance["website"].describe() == "cvs record cvs-record, harvest run 9 (only value)"


def test_a_maintainer_override_always_wins() -> None:
    merged = survive([_candidate("council", NEW, name="Hub")], trust=parse_trust("names=council"),
                     overrides={"name": "Leeds Carers' Hub"})
    assert merged.record["name"] == "Leeds Carers' Hub"
    assert merged.provenance["name"].describe() == "maintainer override"


def test_skipped_fields_are_left_to_the_caller() -> None:
    merged = survive([_candidate("council", id="x", name="Hub")], skip=frozenset({"id"}))
    assert merged.record == {"name": "Hub"}


@pytest.mark.parametrize(("text", "words"), [
    ("addresses council", "is not GROUP=SOURCE>SOURCE"),
    ("postcodes=council", "unknown field group 'postcodes'"),
    ("names=", "lists no source"),
])
def test_a_bad_trust_setting_says_which_part(text: str, words: str) -> None:
    with pytest.raises(TrustError, match=words):
        parse_trust(text)
