"""Directories without postcodes (other countries, or a postcode the importer had to leave out): sites named by
their address are read as addressed there, organisations are reached at their services' phones, and differently
worded names that score alike are shown to a reviewer instead of never."""

from __future__ import annotations

import datetime
from typing import Any

from app.linkage import Band, Decision, LinkRecord, from_hsds, link
from app.linkage.blocking import candidate_pairs, record_keys
from app.linkage.features import features
from app.linkage.normalise import address_in_name
from app.linkage.scoring import RULE_NAMES
from app.services.linkage_records import SourceRow, link_records
from importers.spreadsheet import SpreadsheetFeed
from tests.linkage.directory import background, phone
from tests.linkage.test_bodies import name_level


def site(source: str, ident: str, name: str) -> LinkRecord:
    """A location as the spreadsheet importer leaves one without a postcode: no address, named by its address."""
    return from_hsds(source, {"id": ident, "name": name, "location_type": "physical"}, "location")


def together(clusters: dict[tuple[str, str], str], a: LinkRecord, b: LinkRecord) -> bool:
    return clusters[a.key] == clusters[b.key]


def test_a_name_that_is_an_address_is_read_as_one() -> None:
    assert address_in_name("435 S. La Cienega Blvd., Los Angeles") == (("435 s la cienega blvd",), "los angeles")
    assert address_in_name("12 High St, Flat 2") == (("12 high st",), "")
    assert address_in_name("Leeds Mind") is None
    assert address_in_name("60s Social Club, Leeds") is None  # a decade is not a house number
    assert address_in_name("1st Step Centre") is None
    place = site("fodors", "1", "435 S. La Cienega Blvd., Los Angeles")
    assert (place.name, place.house_number, place.street, place.locality) == (
        "", "435", "south la cienega boulevard", "los angeles")  # fmt: skip
    named = site("council", "2", "Leeds Mind")
    assert named.name == "Leeds Mind" and named.house_number is None


def test_an_organisation_without_phones_is_reached_at_its_services_phones() -> None:
    seen = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)

    def row(key: tuple[str, str], entity: Any, data: dict[str, Any], **links: Any) -> SourceRow:
        return SourceRow(key, entity, data, 1, key[1], None, seen, None, **links)

    org = ("fodors", "org-1")
    rows: Any = {
        "location": {},
        "organization": {org: row(org, "organization", {"id": "org-1", "name": "Arts Delicatessen"})},
        "service": {("fodors", "s1"): row(("fodors", "s1"), "service",
                                          {"id": "s1", "name": "Arts Delicatessen",
                                           "phones": [{"number": "+1 818-762-1221"}]}, organization=org)},
    }
    [record] = link_records(rows, "organization", {"location": {}, "organization": {}, "service": {}})
    assert record.phones == ("+18187621221",)


def test_a_us_phone_written_with_a_slash_is_one_number_and_two_gb_numbers_stay_two(tmp_path: Any) -> None:
    sheet = tmp_path / "places.csv"
    sheet.write_text("id,name,phone\n1,Arts Delicatessen,818/762-1221\n", encoding="utf-8")
    mapping = {"format": "csv", "external_id": "id", "country": "US",
               "fields": {"organization.name": "name", "service.name": "name", "phone.number": "phone"}}
    [record] = [r.record for r in SpreadsheetFeed(sheet, mapping).records()]
    assert [p["number"] for p in record["phones"]] == ["+1 818-762-1221"]
    sheet.write_text(f"id,name,phone\n1,Leeds Mind,{phone(1)} / 07700 900123\n", encoding="utf-8")
    [record] = [r.record for r in SpreadsheetFeed(sheet, {**mapping, "country": "GB"}).records()]
    assert len(record["phones"]) == 2


def test_differently_worded_names_that_score_alike_are_asked_about_and_a_yes_joins_them() -> None:
    def body(source: str, ident: str, name: str) -> LinkRecord:  # both at one address: alike but for the names
        return LinkRecord.build((source, ident), "organization", name=name, address=["12 Mill Road"],
                                postcode="LS6 1AB", locality="Leeds")  # fmt: skip

    philips = body("patents", "p1", "Koninklijke Philips Electronics")
    lamps = body("patents", "p2", "Philips Electronics Eindhoven")
    batch = [*background("organization"), philips, lamps]
    result = link(batch)
    pair = next(p for p in result.pairs if {p.a, p.b} == {philips.key, lamps.key})
    assert pair.rule == RULE_NAMES and pair.band is Band.REVIEW
    assert pair in result.review_queue() and not together(result.clusters, philips, lamps)
    answered = link(batch, decisions=[Decision(philips.key, lamps.key, True)])
    assert together(answered.clusters, philips, lamps)
    # the other listings of each name follow the reviewer's answer: the names rule no longer splits that group
    philips_nv = body("patents", "p3", "Koninklijke Philips Electronics N.V.")
    lamps_bv = body("patents", "p4", "PHILIPS ELECTRONICS EINDHOVEN BV")
    grown = [*batch, philips_nv, lamps_bv]
    unanswered = link(grown)
    assert together(unanswered.clusters, philips, philips_nv) and together(unanswered.clusters, lamps, lamps_bv)
    assert not together(unanswered.clusters, philips_nv, lamps_bv)
    answered = link(grown, decisions=[Decision(philips.key, lamps.key, True)])
    assert together(answered.clusters, philips_nv, lamps_bv)


def test_without_a_postcode_the_house_number_and_street_make_a_blocking_key() -> None:
    sites = [site("fodors", "1", "435 S. La Cienega Blvd., Los Angeles"),
             site("zagats", "1", "435 s. la cienega blvd., w. hollywood"),
             site("zagats", "2", "436 S. La Cienega Blvd., Los Angeles"),
             LinkRecord.build(("council", "3"), "location", address=["435 Cienega Rd"], postcode="LS6 1AB")]
    feats = features(sites)
    assert "ad:435:cienega" in record_keys(feats, 0) and "ad:435:cienega" not in record_keys(feats, 3)
    (left, right), _ = candidate_pairs(feats)
    assert set(zip(left.tolist(), right.tolist(), strict=True)) == {(0, 1)}


def test_a_contracted_word_is_the_word_it_contracts() -> None:
    assert name_level("Shell Research Maatschappij", "Shell Research Mij") == "very close"
    # four letters in order, first and last too, but from a word less than twice as long: another word
    assert name_level("Leeds Mind", "Leeds Mankind") in ("different words", "different")
