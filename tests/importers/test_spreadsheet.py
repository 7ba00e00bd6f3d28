"""The spreadsheet importer turns CSV and XLSX directories into valid nested HSDS services.

Bad rows are quarantined with a readable reason, bad optional values become notes and
never lose the record, and bad files fail as a whole with a ``FeedError`` that says why.
"""

from __future__ import annotations

import csv
import datetime
import json
import re
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from importers import presets, spreadsheet
from importers.base import FeedError, SourceRecord
from importers.identity import Preparation, prepare, scope_ids
from importers.spreadsheet import (
    NOTES_KEY,
    MappingError,
    SpreadsheetFeed,
    load_mapping,
    load_preset,
    parse_mapping,
)
from tests.hsds_assertions import nulls, schema_errors

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "spreadsheets"
SIMPLE = {"external_id": "Id", "fields": {"organization.name": "Agency", "service.name": "Program Name",
                                          "cost_option.amount_description": "Cost"}}


def read(path: Path, mapping: Any) -> tuple[SpreadsheetFeed, dict[str, SourceRecord]]:
    """Every record of a feed by external id (the feed itself, for ``complete`` and ``notes``)."""
    feed = SpreadsheetFeed(path, mapping)
    return feed, {r.external_id: r for r in feed.records()}


def assert_valid_hsds(records: dict[str, SourceRecord]) -> None:
    """Every normalised record is a valid compiled HSDS service once its ids are UUIDs."""
    for found in records.values():
        json.dumps(found.raw)  # the payload as read must be storable
        if found.record is None:
            continue
        scoped = scope_ids("test", "service", found.record)
        assert schema_errors(scoped, "service") == [], found.origin
        assert nulls(found.record) == [], found.origin


def notes(found: SourceRecord) -> list[str]:
    return list(found.raw.get(NOTES_KEY, []))


def address(found: SourceRecord) -> dict[str, Any]:
    assert found.record is not None
    location = found.record["service_at_locations"][0]["location"]
    return dict(location["addresses"][0])


# --------------------------------------------------------------------------- the mapping from the brief


@pytest.fixture(scope="module")
def directory() -> tuple[SpreadsheetFeed, dict[str, SourceRecord]]:
    return read(FIXTURES / "directory.csv", load_mapping(FIXTURES / "directory.yaml"))


def test_the_documented_mapping_reads_a_csv_with_those_headers(directory: Any) -> None:
    feed, records = directory
    assert feed.complete
    service = records["101"].record
    assert service is not None
    assert records["101"].kind == "service" and records["101"].origin == "directory.csv row 2"
    assert records["101"].raw["Program Name"] == "Peer support group"
    assert service["name"] == "Peer support group" and service["status"] == "active"
    assert service["url"] == "https://www.leedsmind.example.org"
    assert service["email"] == "info@leedsmind.example.org"
    assert service["organization"] == {"id": "org:leeds mind", "name": "Leeds Mind", "description": "Leeds Mind"}
    assert service["organization_id"] == "org:leeds mind"
    # "0113 496 0123 / 07700 900123" is two phones
    assert [(p["id"], p["number"], p.get("type")) for p in service["phones"]] == [
        ("phone:101:1", "+44 113 496 0123", None), ("phone:101:2", "+44 7700 900123", "cell")]
    assert service["schedules"] == [{"id": "schedule:101:1", "service_id": "101", "description": "Tuesdays 10am-12pm",
                                     "freq": "WEEKLY", "byday": "TU", "opens_at": "10:00", "closes_at": "12:00"}]
    location = service["service_at_locations"][0]["location"]
    assert location["id"] == "loc:101" and location["name"] == "Clarence House"
    assert address(records["101"]) == {
        "id": "address:101", "location_id": "loc:101", "address_1": "11 Clarence Road", "city": "Leeds",
        "state_province": "Leeds", "postal_code": "LS10 3BA", "country": "GB", "address_type": "physical"}
    assert_valid_hsds(records)


def test_rows_of_one_agency_share_one_organization(directory: Any) -> None:
    _feed, records = directory
    ids = {records[key].record["organization"]["id"] for key in ("101", "102", "103")}
    assert ids == {"org:leeds mind"}  # "LEEDS MIND " on row 4 too
    assert records["104"].record["organization"]["id"] != "org:leeds mind"


def test_a_row_without_location_fields_has_no_location_and_unparsed_hours_stay_a_description(directory: Any) -> None:
    _feed, records = directory
    service = records["103"].record
    assert "service_at_locations" not in service
    assert service["schedules"] == [{"id": "schedule:103:1", "service_id": "103", "description": "By appointment"}]


def test_bad_rows_are_quarantined_with_readable_reasons_and_good_rows_go_on(directory: Any) -> None:
    feed, records = directory
    assert feed.complete
    quarantined = {r.origin: r.problems for r in records.values() if r.record is None}
    assert quarantined == {
        "directory.csv row 7": ["no service name (column 'Program Name' is empty)"],
        "directory.csv row 8": ["no id: column 'Id' is empty (external_id)"],
        "directory.csv row 11": ["no organization name (column 'Agency' is empty)"],
    }
    assert records["directory.csv row 8"].raw["Program Name"] == "Tai chi for beginners"  # raw kept for review
    good = [r for r in records.values() if r.record is not None]
    assert len(good) == 6  # the blank row 10 is not a record


def test_bad_optional_values_are_notes_and_never_lose_the_record(directory: Any) -> None:
    _feed, records = directory
    found = records["107"]
    assert found.problems == [] and found.record is not None
    assert notes(found) == [
        "column 'Postcode': 'LS99 ZZZ' is not a valid UK postcode; left out of address.postal_code",
        "column 'Website': 'not a website' is not a web address: it contains spaces; left out of service.url",
        "column 'Email': 'pantry at example.org' is not a valid email address: it contains spaces; "
        "left out of service.email",
        "column 'Phone': '0113 49' is not a valid GB phone number; left out of phone.number",
        "address left out: no postal_code (HSDS needs address_1, city and postal_code); the location is kept",
    ]
    service = found.record
    assert {"url", "email", "phones"}.isdisjoint(service)
    location = service["service_at_locations"][0]["location"]
    assert location["name"] == "Chapeltown Community Centre" and "addresses" not in location
    assert NOTES_KEY not in records["101"].raw  # nothing to say, no notes


def test_a_number_that_lost_its_leading_zero_is_repaired(directory: Any) -> None:
    _feed, records = directory
    assert records["105"].raw["Phone"] == "1134960777"
    assert [p["number"] for p in records["105"].record["phones"]] == ["+44 113 496 0777"]


def test_an_unchanged_file_is_not_read_again(tmp_path: Path) -> None:
    path = tmp_path / "directory.csv"
    path.write_bytes((FIXTURES / "directory.csv").read_bytes())
    mapping = load_mapping(FIXTURES / "directory.yaml")
    first = SpreadsheetFeed(path, mapping)
    assert len(list(first.records())) == 9 and first.fingerprint and not first.not_modified
    again = SpreadsheetFeed(path, mapping, known_fingerprint=first.fingerprint)
    assert list(again.records()) == [] and again.not_modified and not again.complete
    other_mapping = parse_mapping({"preset": "council_vcs", "external_id": "Id",
                                   "fields": {"organization.name": "Agency", "service.name": "Program Name"}})
    assert SpreadsheetFeed(path, other_mapping)._fingerprint() != first.fingerprint
    path.write_text(path.read_text().replace("Peer support group", "Peer support"))
    changed = SpreadsheetFeed(path, mapping, known_fingerprint=first.fingerprint)
    assert len(list(changed.records())) == 9 and not changed.not_modified


def test_the_mapping_may_be_given_as_the_dict_a_source_stores() -> None:
    _feed, records = read(FIXTURES / "bom.csv", dict(SIMPLE))
    assert records["1"].record["name"] == "Community café"
    with pytest.raises(MappingError, match=r"mapping: external_id: required"):
        SpreadsheetFeed(FIXTURES / "bom.csv", {"fields": SIMPLE["fields"]})


def test_duplicate_ids_are_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "dupes.csv"
    path.write_text("Id,Agency,Program Name,Cost\n1,A,First,\n1,A,Second,\n")
    _feed, records = read(path, SIMPLE)
    second = [r for r in records.values()][-1]
    assert second.problems == ["duplicate id '1': row 2 has the same id"] and second.record is None


def test_headings_and_repeated_headers_are_skipped_but_a_row_with_only_an_id_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "sections.csv"
    path.write_text("Id,Agency,Program Name,Cost\n,Mental health,,\n1,A,Walk,\nId,Agency,Program Name,Cost\n2,,,\n")
    feed, records = read(path, SIMPLE)
    assert list(records) == ["1", "2"]
    assert records["2"].problems == ["no service name (column 'Program Name' is empty)",
                                     "no organization name (column 'Agency' is empty)"]
    assert feed.notes == ["sections.csv row 2 skipped: a heading, not a record ('Mental health')",
                          "sections.csv row 4 skipped: repeats the header row"]


def test_phone_extensions_labels_and_status_values(tmp_path: Path) -> None:
    path = tmp_path / "more.csv"
    path.write_text("Ref,Org,Name,Tel,Status,Languages\n"
                    "1,A,Walk,\"Office: 0113 496 0123, ext 45\",Closed,\"English, Polish and BSL\"\n"
                    "2,A,Talk,0113 496 0124 x12,Z,\n")
    mapping = {"external_id": "Ref", "fields": {
        "organization.name": "Org", "service.name": "Name", "phone.number": "Tel", "service.status": "Status",
        "language.name": "Languages"}, "values": {"service.status": {"z": "temporarily closed"}}}
    _feed, records = read(path, mapping)
    walk, talk = records["1"].record, records["2"].record
    assert walk["phones"] == [{"id": "phone:1:1", "service_id": "1", "number": "+44 113 496 0123", "extension": 45,
                               "description": "Office"}]
    assert walk["status"] == "defunct" and talk["status"] == "temporarily closed"
    assert [language["name"] for language in walk["languages"]] == ["English", "Polish", "BSL"]
    assert talk["phones"][0]["extension"] == 12
    assert_valid_hsds(records)


def test_an_unknown_status_is_a_note_and_the_service_stays_active(tmp_path: Path) -> None:
    path = tmp_path / "status.csv"
    path.write_text("Id,Agency,Program Name,Cost,State\n1,A,Walk,,Under review\n")
    _feed, records = read(path, {**SIMPLE, "fields": {**SIMPLE["fields"], "service.status": "State"}})
    assert records["1"].record["status"] == "active"
    assert notes(records["1"])[0].startswith("column 'State': 'Under review' is not a service status")


def test_numbers_keep_their_sign_and_ranges_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "geo.csv"
    path.write_text("Id,Agency,Program Name,Cost,Lat,Lon,Ages\n"
                    "1,A,Walk,,53.8008,-1.5491,16-25\n"
                    "2,A,Talk,,153.8,-1.5,18+\n")
    mapping = {**SIMPLE, "fields": {**SIMPLE["fields"], "location.latitude": "Lat", "location.longitude": "Lon",
                                    "service.minimum_age": "Ages"}}
    _feed, records = read(path, mapping)
    location = records["1"].record["service_at_locations"][0]["location"]
    assert (location["latitude"], location["longitude"]) == (53.8008, -1.5491)
    assert notes(records["1"]) == ["column 'Ages': '16-25' is not a single number; left out of service.minimum_age"]
    assert records["2"].record["minimum_age"] == 18
    assert notes(records["2"]) == ["column 'Lat': '153.8' is out of range (-90 to 90); left out of location.latitude"]
    assert_valid_hsds(records)


def test_a_composite_external_id_ignores_case_and_spacing(tmp_path: Path) -> None:
    path = tmp_path / "composite.csv"
    path.write_text("Organisation,Service,Town\nLeeds  Mind,Peer Support,Leeds\n")
    mapping = {"external_id": ["Organisation", "Service"],
               "fields": {"organization.name": "Organisation", "service.name": "Service"}}
    _feed, records = read(path, mapping)
    assert list(records) == ["leeds mind | peer support"]


# --------------------------------------------------------------------------- files that do not fit


def test_a_missing_mapped_column_names_the_missing_and_the_present_columns(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("Id,Agency,Name,Tel\n1,Leeds Mind,Peer support,0113 496 0123\n")
    mapping = load_mapping(FIXTURES / "directory.yaml")
    with pytest.raises(FeedError) as caught:
        list(SpreadsheetFeed(path, mapping).records())
    message = str(caught.value)
    assert message.startswith("other.csv: the mapping names columns that are not in the file: 'Program Name', "
                              "'Site name', 'Address', 'Postcode', 'Phone', 'Website', 'Email', 'Opening hours'.")
    assert "Columns present (header row 1): 'Id', 'Agency', 'Name', 'Tel'" in message


def test_column_names_match_ignoring_case_and_spacing(tmp_path: Path) -> None:
    path = tmp_path / "case.csv"
    path.write_text(" ID ,AGENCY,program  name,cost\n1,Leeds Mind,Peer support,\n")
    _feed, records = read(path, SIMPLE)
    assert records["1"].record["name"] == "Peer support"


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty.csv: the file is empty"),
    (b"Id,Agency,Program Name,Cost\r\n", "has a header row but no data rows"),
    (b"Id,Agency,Program Name,Cost\r\n,,,\r\n\r\n", "has a header row but 2 blank or heading rows and no data rows"),
])
def test_empty_files_fail_rather_than_withdraw_everything(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    feed = SpreadsheetFeed(path, parse_mapping(SIMPLE))
    with pytest.raises(FeedError, match=re.escape(message)):
        list(feed.records())
    assert not feed.complete


def test_the_committed_empty_and_header_only_fixtures(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match="the file is empty"):
        list(SpreadsheetFeed(FIXTURES / "empty.csv", parse_mapping(SIMPLE)).records())
    with pytest.raises(FeedError, match="no data rows"):
        list(SpreadsheetFeed(FIXTURES / "header_only.csv", parse_mapping(SIMPLE)).records())
    feed = SpreadsheetFeed(FIXTURES / "header_only.csv", parse_mapping({**SIMPLE, "allow_empty": True}))
    assert list(feed.records()) == [] and feed.complete


def test_a_cp1252_file_is_read_with_a_note(tmp_path: Path) -> None:
    feed, records = read(FIXTURES / "cp1252.csv", SIMPLE)
    assert feed.complete
    assert records["1"].record["organization"]["name"] == "Café Together"
    assert records["1"].record["cost_options"][0]["amount_description"] == "£2.50 a cup"
    assert any("Windows-1252" in n for n in notes(records["1"]))
    assert NOTES_KEY not in records["2"].raw  # plain ASCII: nothing to check
    assert any("not UTF-8" in n for n in feed.notes)


def test_a_cp1252_file_with_a_wrong_declared_encoding_is_a_feed_error() -> None:
    with pytest.raises(FeedError, match=r"cp1252\.csv: not valid utf-8 .*remove it to let Waymark guess"):
        list(SpreadsheetFeed(FIXTURES / "cp1252.csv", parse_mapping({**SIMPLE, "encoding": "utf-8"})).records())
    _feed, records = read(FIXTURES / "cp1252.csv", {**SIMPLE, "encoding": "cp1252"})
    assert records["1"].record["name"] == "Community café" and NOTES_KEY not in records["1"].raw


def test_a_bom_csv_with_semicolons_is_read_cleanly() -> None:
    feed, records = read(FIXTURES / "bom.csv", SIMPLE)
    assert list(records) == ["1", "2"]
    assert "Id" in records["1"].raw and records["1"].record["name"] == "Community café"
    assert NOTES_KEY not in records["1"].raw and feed.notes == []


def test_a_utf16_tab_separated_export_is_read(tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes("Id\tAgency\tProgram Name\tCost\r\n7\tCafé Together\tCommunity café\t£1\r\n".encode("utf-16"))
    _feed, records = read(path, SIMPLE)
    assert records["7"].record["organization"]["name"] == "Café Together"


def test_title_rows_above_the_header_and_headerless_files(tmp_path: Path) -> None:
    path = tmp_path / "titled.csv"
    path.write_text("Leeds directory,,,\nExported 1 May 2024,,,\nId,Agency,Program Name,Cost\n1,A,Walk,\n")
    _feed, records = read(path, {**SIMPLE, "header_row": 3})
    assert records["1"].origin == "titled.csv row 4"
    bare = tmp_path / "bare.csv"
    bare.write_text("1,A,Walk,Free,extra\n")
    _feed, records = read(bare, {**SIMPLE, "header_row": 0, "columns": ["Id", "Agency", "Program Name", "Cost"]})
    assert records["1"].raw == {"Id": "1", "Agency": "A", "Program Name": "Walk", "Cost": "Free", "column 5": "extra"}


@pytest.mark.parametrize(("name", "content", "mapping", "message"), [
    ("bad.xlsx", b"this is not a workbook", {}, r"bad\.xlsx: not an XLSX workbook \(is it a CSV file\?"),
    ("bad.xlsx", b"PK\x03\x04 truncated", {}, r"bad\.xlsx: not a readable XLSX workbook"),
    ("old.xls", b"\xd0\xcf\x11\xe0" + bytes(60), {"format": "xlsx"}, r"old Excel \(\.xls\) or password-protected"),
    ("sheet.csv", b"PK\x03\x04" + bytes(60), {}, r"looks like an XLSX workbook, but the mapping says format: csv"),
    ("text.xlsx", b"Id,Agency\n1,A\n", {}, r"not an XLSX workbook \(is it a CSV file\? set format: csv\)"),
])
def test_unreadable_workbooks_are_feed_errors(tmp_path: Path, name: str, content: bytes, mapping: dict[str, Any],
                                              message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FeedError, match=message):
        list(SpreadsheetFeed(path, parse_mapping({**SIMPLE, **mapping})).records())


def test_a_workbook_without_the_named_sheet_lists_its_sheets(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Read me"
    workbook.save(path)
    with pytest.raises(FeedError, match=r"no sheet 'Services'; the sheets are 'Read me'"):
        list(SpreadsheetFeed(path, parse_mapping({**SIMPLE, "sheet": "Services"})).records())


# --------------------------------------------------------------------------- XLSX


def _with_cached_values(path: Path, values: dict[str, str]) -> None:
    """Give formula cells a cached value, as Excel would (openpyxl writes formulas without one)."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet2.xml"].decode()
    for cell, value in values.items():
        sheet, count = re.subn(rf'<c r="{cell}"( [^>]*)?><f>(.*?)</f><v\s*/>',
                               rf'<c r="{cell}" t="str"><f>\2</f><v>{value}</v>', sheet)
        assert count == 1, cell
    parts["xl/worksheets/sheet2.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory kept in Excel: title rows, merged cells, dates, numbers, formulas, headings and blanks."""
    path = tmp_path_factory.mktemp("xlsx") / "directory.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Read me"
    book.active["A1"] = "Send updates to the CVS."
    sheet = book.create_sheet("Services")
    rows: list[list[Any]] = [
        ["Leeds community directory"],
        ["Exported for Waymark"],
        ["Ref", "Organisation", "Activity", "Phone", "Postcode", "Last reviewed", "Valid from", "Starts", "Ends",
         "Price"],
        [1, "Leeds Mind", "Peer support", 1134960123, "LS6 4DT", datetime.datetime(2024, 3, 12), 45432,
         datetime.time(10, 0), datetime.time(12, 30), 2.5],
        [2, None, "Wellbeing walks", 7700900123, "ls6 4hz", datetime.datetime(2024, 4, 2, 15, 30), "20/05/2024",
         "9am", "5pm", "Free"],
        ["Mental health"],
        [],
        [3, "Hyde Park Arts Collective", '="Community "&"choir"', "0113 496 0777", "LS6 4LA", "12/03/2024", None,
         None, None, None],
        [4, "Bad Dates Ltd", "Drop-in", "#REF!", "LS6 4NA", "sometime soon", 4, "late", None, "£3 or £4"],
    ]
    for row in rows:
        sheet.append(row)
    sheet.merge_cells("A1:J1")  # title
    sheet.merge_cells("B4:B5")  # one organisation for two services
    sheet.merge_cells("A6:J6")  # a section heading
    book.save(path)
    _with_cached_values(path, {"C8": "Community choir"})
    return path


XLSX_MAPPING = {
    "format": "xlsx", "sheet": "Services", "header_row": 3, "external_id": "Ref",
    "fields": {
        "organization.name": "Organisation", "service.name": "Activity", "phone.number": "Phone",
        "address.address_1": "=Community Centre", "address.city": "=Leeds", "address.postal_code": "Postcode",
        "service.assured_date": "Last reviewed", "cost_option.valid_from": "Valid from", "cost_option.amount": "Price",
        "schedule.opens_at": "Starts", "schedule.closes_at": "Ends",
    },
}


def test_xlsx_rows_become_records_with_excel_dates_as_iso_dates(workbook: Path) -> None:
    feed, records = read(workbook, XLSX_MAPPING)
    assert feed.complete and list(records) == ["1", "2", "3", "4"]
    first = records["1"]
    assert first.origin == "directory.xlsx row 4"
    assert first.raw["Last reviewed"] == "2024-03-12" and first.raw["Valid from"] == 45432  # raw stays JSON
    assert first.raw["Starts"] == "10:00"
    service = first.record
    assert service["assured_date"] == "2024-03-12"
    assert service["cost_options"] == [{"id": "cost:1", "service_id": "1", "valid_from": "2024-05-20", "amount": 2.5,
                                        "currency": "GBP"}]
    assert service["schedules"] == [{"id": "schedule:1:1", "service_id": "1", "opens_at": "10:00",
                                     "closes_at": "12:30"}]
    assert records["2"].raw["Last reviewed"] == "2024-04-02T15:30:00"
    assert records["2"].record["assured_date"] == "2024-04-02"
    assert records["2"].record["cost_options"][0]["valid_from"] == "2024-05-20"
    assert records["2"].record["cost_options"][0]["amount"] == 0
    assert records["2"].record["schedules"][0]["opens_at"] == "09:00"
    assert_valid_hsds(records)


def test_xlsx_numbers_that_are_phone_numbers_are_repaired(workbook: Path) -> None:
    _feed, records = read(workbook, XLSX_MAPPING)
    assert records["1"].raw["Phone"] == 1134960123
    assert [p["number"] for p in records["1"].record["phones"]] == ["+44 113 496 0123"]
    assert [(p["number"], p["type"]) for p in records["2"].record["phones"]] == [("+44 7700 900123", "cell")]


def test_xlsx_merged_cells_fill_down_and_headings_and_blank_rows_are_skipped(workbook: Path) -> None:
    feed, records = read(workbook, XLSX_MAPPING)
    assert records["2"].raw["Organisation"] == "Leeds Mind"
    assert records["1"].record["organization"]["id"] == records["2"].record["organization"]["id"]
    assert "Mental health" not in json.dumps([r.raw for r in records.values()])
    assert feed.notes == ["directory.xlsx row 6 skipped: a heading, not a record ('Mental health')"]


def test_xlsx_formulas_are_read_as_their_values(workbook: Path) -> None:
    _feed, records = read(workbook, XLSX_MAPPING)
    assert records["3"].record["name"] == "Community choir"
    assert records["3"].record["assured_date"] == "2024-03-12"  # a date typed as text, day first


def test_xlsx_bad_values_are_notes(workbook: Path) -> None:
    _feed, records = read(workbook, XLSX_MAPPING)
    found = records["4"]
    assert found.record is not None and found.problems == []
    assert notes(found) == [
        "column 'Last reviewed': 'sometime soon' is not a date (expected e.g. 2024-05-20 or 20/05/2024); "
        "left out of service.assured_date",
        "column 'Valid from': '4' is not a date (expected e.g. 2024-05-20 or 20/05/2024); "
        "left out of cost_option.valid_from",
        "column 'Price': '£3 or £4' is not a single number; left out of cost_option.amount",
        "column 'Starts': 'late' is not a time of day (expected e.g. 09:30 or 5pm); left out of schedule.opens_at",
        "column 'Phone' shows the Excel error #REF!; left out of phone.number",
    ]
    assert "phones" not in found.record and "cost_options" not in found.record


# --------------------------------------------------------------------------- categories


def test_categories_map_to_taxonomy_terms_and_unmapped_ones_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "cats.csv"
    path.write_text('Id,Agency,Program Name,Category\n1,A,Walk,"Walking groups; Arts, crafts and music, Dance"\n')
    mapping = {"external_id": "Id", "source_taxonomy": "Leeds CVS categories",
               "fields": {"organization.name": "Agency", "service.name": "Program Name",
                          "taxonomy.category": "Category"},
               "categories": {"walking groups": "walking-groups", "Arts, crafts and music": ["arts", "crafts"]}}
    _feed, records = read(path, mapping)
    attributes = records["1"].record["attributes"]
    assert attributes[0] == {  # a link to the directory's term: the sheet's word must not rename it
        "id": "attribute:1:walking-groups", "link_id": "1", "link_entity": "service",
        "taxonomy_term_id": "walking-groups", "value": "Walking groups"}
    assert [a["taxonomy_term_id"] for a in attributes] == [
        "walking-groups", "arts", "crafts", "source-categories:leeds-cvs-categories:dance"]
    dance = attributes[-1]["taxonomy_term"]
    assert dance["name"] == "Dance" and dance["taxonomy"] == "Leeds CVS categories"
    assert dance["taxonomy_detail"]["id"] == dance["taxonomy_id"] == "source-categories:leeds-cvs-categories"
    assert notes(records["1"]) == ["category 'Dance' is not in the mapping's categories: kept as a source category"]
    assert_valid_hsds(records)


def test_without_a_categories_block_every_category_is_a_source_category_without_notes(tmp_path: Path) -> None:
    path = tmp_path / "cats.csv"
    path.write_text('Id,Agency,Program Name,Category\n1,A,Walk,"Walking; Health"\n')
    mapping = {"external_id": "Id", "fields": {"organization.name": "Agency", "service.name": "Program Name",
                                               "taxonomy.category": "Category"}}
    _feed, records = read(path, mapping)
    names = [a["taxonomy_term"]["name"] for a in records["1"].record["attributes"]]
    assert names == ["Walking", "Health"] and NOTES_KEY not in records["1"].raw
    term = records["1"].record["attributes"][0]["taxonomy_term"]
    assert term["taxonomy"] == "cats categories"  # a mapping given as a dict is named after the file


# --------------------------------------------------------------------------- presets


def test_presets_are_shipped() -> None:
    assert {"nhs_ods_gp", "council_vcs"} <= set(presets.names())
    assert presets.load_preset("nhs_ods_gp") == load_preset("nhs_ods_gp")


def test_the_nhs_ods_gp_preset_reads_an_epraccur_extract() -> None:
    feed, records = read(FIXTURES / "epraccur.csv", load_preset("nhs_ods_gp"))
    assert feed.complete and len(records) == 10
    assert all(r.record is not None and r.problems == [] for r in records.values())
    practice = records["Z90001"].record
    assert practice["name"] == "Armley Moor Medical Practice"
    assert practice["organization"]["id"] == "org-id:Z90001"
    assert practice["organization"]["organization_identifiers"] == [{
        "id": "orgid:org-id:Z90001:GB-NHS:Z90001", "organization_id": "org-id:Z90001", "identifier": "Z90001",
        "identifier_scheme": "GB-NHS", "identifier_type": "ODS code"}]
    assert address(records["Z90001"]) == {
        "id": "address:Z90001", "location_id": "loc:Z90001", "address_1": "Armley Moor Health Centre",
        "address_2": "95 Town Street, Armley", "city": "Leeds", "state_province": "West Yorkshire",
        "postal_code": "LS12 3LL", "country": "GB", "address_type": "physical"}
    assert address(records["Z90004"])["city"] == "Leeds" and "address_2" not in address(records["Z90004"])
    assert records["Z90003"].record["name"] == "Dr A N Other's Practice"
    statuses = {code: r.record["status"] for code, r in records.items()}
    assert statuses["Z90006"] == "defunct" and statuses["Z90007"] == statuses["Z90010"] == "inactive"
    assert statuses["Z90001"] == "active"
    settings = {code: r.record["attributes"][0]["taxonomy_term"]["name"] for code, r in records.items()}
    assert settings["Z90008"] == "Out of hours service" and settings["Z90001"] == "GP practice"
    assert "phones" not in records["Z90007"].record  # no number in the extract
    assert_valid_hsds(records)


def test_the_council_vcs_preset_reads_a_council_directory() -> None:
    feed, records = read(FIXTURES / "council_vcs.csv", load_mapping(FIXTURES / "council_vcs.yaml"))
    assert feed.complete and len(records) == 6 and all(r.record is not None for r in records.values())
    lunch = records["armley good neighbours | lunch club"].record
    befriending = records["armley good neighbours | befriending"].record
    assert lunch["organization"]["id"] == befriending["organization"]["id"] == "org:armley good neighbours"
    assert lunch["description"] == "A hot two-course lunch and a chat for older people.\n\nTransport can be arranged."
    assert lunch["organization"]["organization_identifiers"][0]["identifier_scheme"] == "GB-CHC"
    assert address(records["armley good neighbours | lunch club"])["address_1"] == (
        "St Bartholomew's Church Hall, Wesley Road")
    assert lunch["cost_options"][0] == {"id": "cost:armley good neighbours | lunch club",
                                        "service_id": "armley good neighbours | lunch club",
                                        "amount_description": "£4 per meal", "amount": 4, "currency": "GBP"}
    assert [(p["number"], p.get("description")) for p in befriending["phones"]] == [
        ("+44 113 496 0400", "office"), ("+44 7700 900401", "mobile")]
    walk = records["bramley walkers | health walk"].record
    assert "organization_identifiers" not in walk["organization"]  # "n/a"
    assert [a["taxonomy_term_id"] for a in walk["attributes"]] == ["walking-groups", "physical-activity"]
    shed = records["seacroft men's shed | "].record
    assert shed["name"] == "Seacroft Men's Shed"  # no activity named: the organisation's name
    assert "column 'Cost': 'Donations welcome' is not a number; left out of cost_option.amount" in notes(
        records["seacroft men's shed | "])
    online = records["leeds debt advice line | telephone debt advice"].record
    assert "service_at_locations" not in online
    assert_valid_hsds(records)


def test_a_mapping_can_start_from_a_preset_and_override_it(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("Ref,Organisation,Service / Activity,Phone number\n9,Leeds Mind,Peer support,0113 496 0123\n")
    mapping = {"preset": "council_vcs", "external_id": "Ref",
               "fields": {"phone.number": "Phone number", "cost_option.amount": None}}
    feed, records = read(path, mapping)
    assert records["9"].record["phones"][0]["number"] == "+44 113 496 0123"
    assert any("optional column 'Postcode' is not in the file" in n for n in feed.notes)


# --------------------------------------------------------------------------- mapping errors


@pytest.mark.parametrize(("mapping", "message"), [
    ({**SIMPLE, "delimter": ";"}, r"delimter: unknown key \(did you mean 'delimiter'\?\)"),
    ({"external_id": "Id", "fields": {"organization.name": "A", "service.nmae": "B"}},
     r"fields\.service\.nmae: service has no mappable field 'nmae' \(did you mean 'name'\?"),
    ({"external_id": "Id", "fields": {"organization.name": "A", "servce.name": "B"}},
     r"fields\.servce\.name: unknown table 'servce' \(did you mean 'service'\?"),
    ({"external_id": "Id", "fields": {"organization.name": "A"}}, r"fields\.service\.name: required"),
    ({"fields": SIMPLE["fields"]}, r"external_id: required"),
    ({**SIMPLE, "country": False}, r"country: .*YAML reads NO as false"),
    ({**SIMPLE, "header_row": 0}, r"columns: required when header_row is 0"),
    ({**SIMPLE, "preset": "nope"}, r"preset: no preset 'nope'; presets are council_vcs, nhs_ods_gp"),
    ({**SIMPLE, "values": {"service.status": {"A": "active"}}},
     r"values\.service\.status: that field is not in fields"),
    ({"external_id": "Id", "fields": {"organization.name": "A", "service.name": True}},
     r"fields\.service\.name: .*YAML read True; put the column name in quotes"),
    ({"external_id": "Id", "fields": {"organization.name": "A", "service.name": {"column": "B", "pick": "any"}}},
     r"fields\.service\.name\.pick: expected one of join, first, last"),
    ({**SIMPLE, "fields": {**SIMPLE["fields"], "service.id": "Id"}},
     r"fields\.service\.id: service has no mappable field 'id'"),
    ({**SIMPLE, "encoding": "klingon"}, r"encoding: unknown encoding 'klingon'"),
])
def test_mapping_errors_name_the_key(mapping: dict[str, Any], message: str) -> None:
    with pytest.raises(MappingError, match=message):
        parse_mapping(mapping, "test.yaml")


def test_a_broken_mapping_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("external_id: Id\nfields:\n  service.name: [unclosed\n")
    with pytest.raises(MappingError, match=r"broken\.yaml: not valid YAML \(line \d+\)"):
        load_mapping(path)
    as_json = tmp_path / "mapping.json"
    as_json.write_text(json.dumps(SIMPLE))
    assert load_mapping(as_json).external_id == ("Id",)


# --------------------------------------------------------------------------- big files


def test_a_100k_row_csv_is_streamed_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Id", "Agency", "Program Name", "Cost", "Notes"])
        for number in range(100_000):
            writer.writerow([f"S{number:06d}", f"Agency {number % 700}", f"Activity {number}", "Free",
                             "A weekly group for anyone who would like some company and a cup of tea."])
    mapping = parse_mapping(SIMPLE)
    tracemalloc.start()
    try:
        count = sum(1 for found in SpreadsheetFeed(path, mapping).records() if found.record is not None)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 100_000
    assert peak < 50 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_large_files_are_read_in_a_worker_process_the_same(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Files past WORKER_MIN_BYTES are read in a separate process: records, notes and errors do not change,
    and records prepared for a source are hashed and scoped as ``identity.prepare`` does."""
    path = tmp_path / "sections.csv"
    path.write_text("Id,Agency,Program Name,Phone\n,Mental health,,\n1,Leeds Mind,Peer support,0113 496 0000\n"
                    "2,Leeds Mind,Walks,not a phone\n3,,No agency,\n")
    mapping = parse_mapping({"external_id": "Id", "fields": {"organization.name": "Agency",
                                                              "service.name": "Program Name",
                                                              "phone.number": "Phone"}})
    in_process = SpreadsheetFeed(path, mapping)
    expected = [prepare(r, "cvs") for r in in_process.records()]
    monkeypatch.setattr(spreadsheet, "WORKER_MIN_BYTES", 0)
    feed = SpreadsheetFeed(path, mapping)
    feed.prepare_for = Preparation("cvs")
    assert list(feed.records()) == expected
    assert feed.complete and feed.notes == in_process.notes and feed.notes
    assert [r.problems for r in expected][-1] and all(r.digest and r.scoped_for == "cvs" for r in expected)
    path.write_text("Id,Agency,Program Name,Phone\n")
    with pytest.raises(FeedError, match="no data rows"):
        list(SpreadsheetFeed(path, mapping).records())
