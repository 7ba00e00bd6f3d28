#!/usr/bin/env python3
"""Cut the Leeds demo package into three overlapping feeds, as real directories are fed.

A real directory hears about the same charity from the council, from the NHS and from
the local council for voluntary service (CVS), each in its own format and spelling.
This script reads the Leeds demo (``app/demo/leeds``, an HSDS tabular package of 285
services) with the tabular importer and writes ``app/demo/feeds``:

* ``leeds-council/``: Leeds City Council's directory API (HSDS 3.0 / ORUK 3.0), recorded:
  ``api.json`` (the body of ``GET /``) and ``services.json`` (every full service record).
  The council's own services and about 40% of the voluntary-sector ones.
  ``waymark demo`` serves it on a local port while it runs (``serve_recorded_api``).
* ``leeds-health/``: the NHS's HSDS tabular data package: the NHS trusts' and primary
  care networks' services, the council's exercise referral scheme and about 20% of the
  voluntary services (mental health, carers, dementia, bereavement, befriending, long-term conditions).
* ``leeds-cvs/``: the Leeds CVS spreadsheet of voluntary groups (``council_vcs`` preset
  layout) and its ``mapping.yaml``: most of the voluntary services, typed by hand.

The feeds overlap as real ones do (see ``OVERLAPS`` and the ``*_ORG_NAMES`` tables):
spellings of organisations differ, phone numbers and postcodes are written differently,
service names are reworded, opening hours are free text in the sheet, one group has
moved venue and the council's copy of one service is stale. ``truth.csv`` says which
Leeds service each feed's record is (``source, external_id, truth_id``), for measuring
de-duplication; ``README.md`` describes it all.

Deterministic: every choice comes from one ``random.Random(SEED)`` taken in package
order, and each feed's ids are uuid5 of the Leeds ids in the feed's name (taxonomy ids
are shared, as they are across real feeds), so re-running gives byte-identical files:

    .venv/bin/python scripts/make_demo_feeds.py [--leeds app/demo/leeds] [--out app/demo/feeds]
"""

from __future__ import annotations

import argparse
import copy
import csv
import io
import json
import random
import re
import textwrap
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from app.services.publish import Flattened, flatten
from importers.hsds_tabular import TabularFeed
from importers.spreadsheet import NOTES_KEY, SpreadsheetFeed
from schema.hsds import plan
from schema.records import to_json_value

SEED = 20261124
FEEDS_NAMESPACE = uuid.UUID("0c7f5b9a-3d6e-5f21-8a4b-6e9d2c1f7a30")
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LEEDS = REPO_ROOT / "app" / "demo" / "leeds"
DEFAULT_OUT = REPO_ROOT / "app" / "demo" / "feeds"
VENDORED_DATAPACKAGE = REPO_ROOT / "schema" / "vendor" / "hsds-3.0" / "datapackage.json"

Record = dict[str, Any]

COUNCIL, HEALTH, CVS = "leeds-council", "leeds-health", "leeds-cvs"
FEEDS = (COUNCIL, HEALTH, CVS)

COUNCIL_ORGS = frozenset({"Leeds City Council", "Leeds Libraries", "Leeds Adult Learning Service",
                          "Leeds Active Communities", "Leeds Parks and Countryside"})
NHS_ORGS = frozenset({"Leeds Community Wellbeing NHS Trust", "Leeds and Wharfe Mental Health NHS Foundation Trust",
                      "Inner West Leeds Primary Care Network", "East Leeds Primary Care Network"})
COUNCIL_IN_HEALTH = frozenset({("Leeds Active Communities", "Exercise referral scheme")})  # NHS-referred
HEALTH_TERMS = frozenset({"MH", "MH-PEER", "MH-TALK", "MH-CRISIS", "CARERS", "CARERS-GRP", "CARERS-ADV",
                          "HEALTH", "HEALTH-LTC", "HEALTH-DEM", "HEALTH-SENS", "BEREAV", "LONE-BEF"})

ALL3 = frozenset(FEEDS)
BOTH = frozenset({COUNCIL, CVS})
# How many voluntary services land in each combination of feeds. Health ones are drawn
# from the health-related voluntary services; the last combination of each list takes the rest.
HEALTH_QUOTAS: tuple[tuple[frozenset[str], int], ...] = (
    (ALL3, 4), (frozenset({HEALTH, CVS}), 12), (frozenset({COUNCIL, HEALTH}), 2), (frozenset({HEALTH}), 28))
OTHER_QUOTAS: tuple[tuple[frozenset[str], int], ...] = ((BOTH, 32), (frozenset({COUNCIL}), 54))

# Designed differences: these services are placed by hand so each difference is there to find.
SHOWCASE: dict[tuple[str, str], frozenset[str]] = {
    ("Leeds Carers Hub", "Carers' support group, Armley"): ALL3,
    ("Leeds Carers Hub", "Carers' advice line"): BOTH,
    ("Memory Lane Cafés Leeds", "Horsforth memory café"): ALL3,
    ("Step Out Leeds", "Kirkstall Abbey Park health walk"): BOTH,
    ("Step Out Leeds", "Roundhay Park health walk"): BOTH,
    ("Seacroft and Swarcliffe Neighbourhood Network", "Seacroft coffee morning"): BOTH,
    ("Bramley and Pudsey Community Care", "Bramley lunch club"): BOTH,
}
MOVED = ("Seacroft and Swarcliffe Neighbourhood Network", "Seacroft coffee morning")  # the sheet has its new venue
STALE = ("Memory Lane Cafés Leeds", "Horsforth memory café")  # the council's copy is out of date
STALE_MODIFIED = "2024-09-02T08:15:00Z"
STALE_PHONE = "0113 496 0987"  # the café's old number (Ofcom drama range, like every demo number)

# How each feed spells some organisations (the Leeds package has the true names).
CVS_ORG_NAMES = {
    "Leeds Carers Hub": "Leeds Carers' Hub Ltd",
    "Seacroft and Swarcliffe Neighbourhood Network": "Seacroft & Swarcliffe N'hood Network",
    "Bramley and Pudsey Community Care": "Bramley & Pudsey Community Care",
    "Armley and Wortley Good Neighbours": "Armley & Wortley Good Neighbours",
    "Moortown and Roundhay Good Neighbours": "Moortown & Roundhay Good Neighbours",
    "Garforth, Kippax and District Community Care": "Garforth Kippax & District Community Care",
    "Memory Lane Cafés Leeds": "Memory Lane Cafes Leeds",
    "Leeds Community Advice": "Leeds Community Advice (LCA)",
    "Step Out Leeds": "Step Out Leeds CIO",
    "Open Door Wellbeing Leeds": "Open Door Wellbeing",
    "Stroke Survivors' Café Leeds": "Stroke Survivors Cafe Leeds",
    "Leeds Veterans' Breakfast Club": "Leeds Veterans Breakfast Club",
    "Together Minds Leeds": "TOGETHER MINDS LEEDS",
    "Polish Community Hub Leeds": "Polish Community Hub Leeds (Polski Punkt)",
}
COUNCIL_ORG_NAMES = {
    "Kirkstall Men's Shed": "Kirkstall Mens Shed",
    "Sing Out Leeds": "Sing Out! Leeds",
    "Middleton and Belle Isle Over 60s Action": "Middleton & Belle Isle Over 60s Action",
}
HEALTH_ORG_NAMES = {
    "Open Door Wellbeing Leeds": "Open Door Wellbeing Leeds CIO",
    "Memory Lane Cafés Leeds": "Memory Lane Cafés (Leeds)",
    "Still Here Bereavement Support": "Still Here - Bereavement Support Leeds",
}

# The CVS sheet's own category words, one per Leeds taxonomy term code.
CVS_CATEGORIES = {
    "LONE": "Social isolation", "LONE-BEF": "Befriending", "LONE-GRP": "Social groups", "LONE-SHED": "Men's sheds",
    "MONEY": "Money", "MONEY-DEBT": "Debt advice", "MONEY-BEN": "Benefits advice", "MONEY-ENERGY": "Energy & fuel",
    "HOUSE": "Housing", "HOUSE-ADV": "Housing advice", "HOUSE-REPAIR": "Home repairs",
    "MH": "Mental health", "MH-PEER": "Peer support", "MH-TALK": "Counselling", "MH-CRISIS": "Crisis support",
    "PHYS": "Sport & exercise", "PHYS-WALK": "Walking", "PHYS-OLDER": "Exercise (older people)",
    "PHYS-CYCLE": "Cycling",
    "ARTS": "Arts", "ARTS-CRAFT": "Arts & crafts", "ARTS-MUSIC": "Music & singing",
    "ARTS-WRITE": "Reading & writing",
    "CARERS": "Carers", "CARERS-GRP": "Carers groups", "CARERS-ADV": "Carers advice",
    "FOOD": "Food", "FOOD-BANK": "Food banks", "FOOD-PANTRY": "Food pantries", "FOOD-MEAL": "Lunch clubs & meals",
    "FOOD-COOK": "Cooking",
    "LEARN": "Learning & skills", "LEARN-ESOL": "ESOL", "LEARN-DIGI": "Digital skills", "LEARN-VOL": "Volunteering",
    "BEREAV": "Bereavement", "NATURE": "Outdoors & nature", "NATURE-GARDEN": "Gardening",
    "NATURE-CONS": "Conservation",
    "FAM": "Families", "FAM-TODDLER": "Parent & toddler",
    "HEALTH": "Health", "HEALTH-LTC": "Long-term conditions", "HEALTH-DEM": "Dementia",
    "HEALTH-SENS": "Sight & hearing loss",
}  # fmt: skip

CVS_COLUMNS = ("Organisation", "Service / Activity", "Description", "Address", "Town", "Postcode", "Telephone",
               "Email", "Website", "Days and times", "Cost", "Category", "Charity number")
DAY_NAMES = {"MO": "Mondays", "TU": "Tuesdays", "WE": "Wednesdays", "TH": "Thursdays", "FR": "Fridays",
             "SA": "Saturdays", "SU": "Sundays"}
SMALL_WORDS = {"a", "an", "and", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"}
API_DETAILS = {
    "version": "HSDS-UK-3.0",
    "profile": "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md",
    "openapi_url": "https://docs.openreferraluk.org/en/latest/openapi30.json",
}


# --------------------------------------------------------------------------- reading Leeds


@dataclass(frozen=True)
class Leeds:
    """The Leeds package as nested HSDS records, in package order."""

    services: list[Record]
    organizations: dict[str, Record]  # id -> organization (without its services)
    taxonomies: list[Record]
    terms: dict[str, Record]  # id -> taxonomy term

    def org_name(self, service: Record) -> str:
        return str(self.organizations[service["organization_id"]]["name"])

    def key(self, service: Record) -> tuple[str, str]:
        return self.org_name(service), str(service["name"])

    def term_codes(self, service: Record) -> list[str]:
        return [str(self.terms[a["taxonomy_term_id"]]["code"]) for a in service.get("attributes", [])]


def read_leeds(folder: Path) -> Leeds:
    """Read the package with the tabular importer; it must read cleanly."""
    by_kind: dict[str, list[Record]] = {"service": [], "organization": [], "taxonomy": [], "taxonomy_term": []}
    for item in TabularFeed(folder).records():
        if item.problems or item.record is None:
            raise SystemExit(f"{folder}: {item.origin}: {item.problems}")
        by_kind[item.kind].append(item.record)
    return Leeds(services=by_kind["service"],
                 organizations={o["id"]: o for o in by_kind["organization"]},
                 taxonomies=by_kind["taxonomy"],
                 terms={t["id"]: t for t in by_kind["taxonomy_term"]})


# --------------------------------------------------------------------------- who lists what


def sector(organization: str) -> str:
    """``council``, ``nhs`` or ``vcs`` (voluntary and community sector)."""
    if organization in COUNCIL_ORGS:
        return "council"
    return "nhs" if organization in NHS_ORGS else "vcs"


def is_health_related(leeds: Leeds, service: Record) -> bool:
    """A voluntary service the NHS would list: mental health, carers, dementia, bereavement ..."""
    text = f"{service['name']} {service.get('description', '')}".lower()
    return bool(HEALTH_TERMS & set(leeds.term_codes(service))) or "social prescrib" in text


def _take(quotas: Iterable[tuple[frozenset[str], int]], placed: Counter[frozenset[str]],
          ids: list[str], out: dict[str, frozenset[str]]) -> list[str]:
    """Fill each combination up to its quota from ``ids`` in order; return the ids left."""
    position = 0
    for feeds, quota in quotas:
        wanted = max(0, quota - placed[feeds])
        for ident in ids[position:position + wanted]:
            out[ident] = feeds
        position += wanted
    return ids[position:]


def plan_membership(leeds: Leeds, rng: random.Random) -> dict[str, frozenset[str]]:
    """Leeds service id -> the feeds that list it. Every service is in at least one."""
    out: dict[str, frozenset[str]] = {}
    voluntary: list[Record] = []
    for service in leeds.services:
        org = leeds.org_name(service)
        kind = sector(org)
        if kind == "council":
            out[service["id"]] = ALL3 - {CVS} if leeds.key(service) in COUNCIL_IN_HEALTH else frozenset({COUNCIL})
        elif kind == "nhs":
            out[service["id"]] = frozenset({HEALTH})
        else:
            voluntary.append(service)
    by_key = {leeds.key(s): s["id"] for s in voluntary}
    missing = sorted(set(SHOWCASE) - set(by_key))
    if missing:
        raise SystemExit(f"showcase services not in the Leeds package: {missing}")
    placed: Counter[frozenset[str]] = Counter()
    for key, feeds in SHOWCASE.items():
        out[by_key[key]] = feeds
        placed[feeds] += 1
    free = [s for s in voluntary if s["id"] not in out]
    health = [s["id"] for s in free if is_health_related(leeds, s)]
    if len(health) < sum(max(0, quota - placed[feeds]) for feeds, quota in HEALTH_QUOTAS):
        raise SystemExit(f"only {len(health)} health-related voluntary services for the health quotas")
    rng.shuffle(health)
    _take(HEALTH_QUOTAS, placed, health, out)
    others = [s["id"] for s in free if s["id"] not in out]
    rng.shuffle(others)
    for ident in _take(OTHER_QUOTAS, placed, others, out):
        out[ident] = frozenset({CVS})
    return out


def listed_in(feed: str, leeds: Leeds, membership: dict[str, frozenset[str]]) -> list[Record]:
    """The Leeds services ``feed`` lists, in package order."""
    return [s for s in leeds.services if feed in membership[s["id"]]]


# --------------------------------------------------------------------------- ids and names


def feed_id(feed: str, leeds_id: str) -> str:
    """The id ``feed`` gives the Leeds record ``leeds_id``: its own, but stable."""
    return str(uuid.uuid5(FEEDS_NAMESPACE, f"{feed}:{leeds_id}"))


SHARED_OBJECTS = {"taxonomy_term", "taxonomy_detail"}  # shared vocabularies keep their ids
SHARED_REFERENCES = {"taxonomy_term_id", "taxonomy_id"}


def with_feed_ids(value: Any, feed: str) -> Any:
    """A copy of a nested record with every id and reference in ``feed``'s ids (taxonomies kept)."""
    if isinstance(value, list):
        return [with_feed_ids(item, feed) for item in value]
    if not isinstance(value, dict):
        return value
    out: Record = {}
    for key, item in value.items():
        if key in SHARED_OBJECTS:
            out[key] = copy.deepcopy(item)
        elif (key == "id" or key.endswith("_id")) and key not in SHARED_REFERENCES and isinstance(item, str):
            out[key] = feed_id(feed, item)
        else:
            out[key] = with_feed_ids(item, feed)
    return out


def without_foreign_owners(value: Any, organizations: set[str]) -> Any:
    """A copy in which venues owned by organizations the feed does not list have no owner.

    A service may meet at another organization's venue (a library, a health centre); a
    feed that does not list that organization cannot refer to it.
    """
    if isinstance(value, list):
        return [without_foreign_owners(item, organizations) for item in value]
    if not isinstance(value, dict):
        return value
    out = {key: without_foreign_owners(item, organizations) for key, item in value.items()}
    if "location_type" in out and out.get("organization_id") not in organizations:
        out.pop("organization_id", None)
    return out


def feed_organizations(feed: str, leeds: Leeds, membership: dict[str, frozenset[str]]) -> set[str]:
    """The Leeds ids of the organizations whose services ``feed`` lists."""
    return {s["organization_id"] for s in listed_in(feed, leeds, membership)}


def renamed(record: Record, names: dict[str, str]) -> Record:
    """A copy of a service (or organization) with its organization spelt as ``names`` says."""
    out = copy.deepcopy(record)
    target = out.get("organization") if "organization" in out else out
    if isinstance(target, dict) and target.get("name") in names:
        target["name"] = names[target["name"]]
    return out


# --------------------------------------------------------------------------- the council API


def council_services(leeds: Leeds, membership: dict[str, frozenset[str]]) -> list[tuple[str, Record]]:
    """(Leeds id, full API record) for every service the council lists; the stale copy aged.

    The API gives each service's organization without the organization's own venues
    (``locations``, optional in HSDS): the council's system keeps venues with services.
    """
    out = []
    owners = feed_organizations(COUNCIL, leeds, membership)
    for service in listed_in(COUNCIL, leeds, membership):
        record = renamed(without_foreign_owners(service, owners), COUNCIL_ORG_NAMES)
        record["organization"].pop("locations", None)
        if leeds.key(service) == STALE:
            make_stale(record)
        out.append((service["id"], with_feed_ids(record, COUNCIL)))
    return out


def make_stale(record: Record) -> None:
    """The council last heard from the group in 2024, before it changed its phone number."""
    record["last_modified"] = STALE_MODIFIED
    phones = record.setdefault("phones", [])
    if phones:
        phones[0]["number"] = STALE_PHONE
    else:
        phones.append({"id": f"{record['id']}/phone", "service_id": record["id"], "number": STALE_PHONE})


def write_council(out: Path, records: list[tuple[str, Record]]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "api.json").write_text(json.dumps(API_DETAILS, indent=2) + "\n", encoding="utf-8")
    lines = [json.dumps(record, ensure_ascii=False, separators=(",", ":")) for _leeds, record in records]
    (out / "services.json").write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")


# --------------------------------------------------------------------------- the health package


def health_records(leeds: Leeds, membership: dict[str, frozenset[str]]) -> tuple[list[tuple[str, Record]],
                                                                                 list[Record]]:
    """(Leeds id, service) for every service the NHS lists, and their organizations."""
    owners = feed_organizations(HEALTH, leeds, membership)

    def in_feed(record: Record) -> Record:
        return dict(with_feed_ids(renamed(without_foreign_owners(record, owners), HEALTH_ORG_NAMES), HEALTH))

    listed = listed_in(HEALTH, leeds, membership)
    org_ids = dict.fromkeys(s["organization_id"] for s in listed)
    return [(s["id"], in_feed(s)) for s in listed], [in_feed(leeds.organizations[i]) for i in org_ids]


def flatten_all(leeds: Leeds, organizations: list[Record], services: list[Record]) -> Flattened:
    """Every table's rows, as ``app.services.publish`` would store them."""
    out = Flattened()
    groups: list[tuple[str, Iterable[Record]]] = [
        ("taxonomy", leeds.taxonomies), ("taxonomy_term", leeds.terms.values()),
        ("organization", organizations), ("service", services)]
    for kind, records in groups:
        node = plan(kind)
        for record in records:
            flatten(node, record, out)
    if out.problems:
        raise SystemExit(f"health package: records that do not flatten: {out.problems}")
    return out


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def cell(value: Any) -> Any:
    """A stored value as a CSV cell (HSDS JSON values; empty for none)."""
    return "" if value is None else to_json_value(value)


def write_health(out: Path, tables: Flattened) -> dict[str, int]:
    """datapackage.json (the vendored HSDS descriptor, tables used only) and one CSV per table."""
    descriptor = json.loads(VENDORED_DATAPACKAGE.read_text(encoding="utf-8"))
    kept = [r for r in descriptor["resources"] if tables.rows.get(r["name"])]
    descriptor.update(
        name="leeds-health-directory",
        title="Leeds health and wellbeing services (Waymark demo feed)",
        description="NHS community, mental health and primary care network services in Leeds, with the "
                    "voluntary services NHS social prescribers refer to most. A fictional demo feed generated "
                    "by scripts/make_demo_feeds.py from the Waymark Leeds demo.",
        resources=kept)
    out.mkdir(parents=True, exist_ok=True)
    (out / "datapackage.json").write_text(json.dumps(descriptor, indent=4, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    counts = {}
    for resource in kept:
        fields = [f["name"] for f in resource["schema"]["fields"]]
        rows = list(tables.rows[resource["name"]].values())
        unknown = {k for row in rows for k in row} - set(fields)
        if unknown:
            raise SystemExit(f"{resource['name']}: columns not in the HSDS descriptor: {sorted(unknown)}")
        text = csv_text(fields, ([cell(row.get(f)) for f in fields] for row in rows))
        (out / resource["path"]).write_text(text, encoding="utf-8")
        counts[resource["path"]] = len(rows)
    return counts


# --------------------------------------------------------------------------- the CVS sheet


def title_case(text: str) -> str:
    """"Armley lunch club" -> "Armley Lunch Club", as people type names into a sheet."""
    words = text.split(" ")
    return " ".join(w if i and w in SMALL_WORDS else w[:1].upper() + w[1:] for i, w in enumerate(words))


def days_of(service: Record) -> str:
    days = [DAY_NAMES[d] for s in service.get("schedules", []) for d in str(s.get("byday", "")).split(",")
            if d in DAY_NAMES]
    return " & ".join(dict.fromkeys(days))


def cvs_service_name(service: Record, rng: random.Random) -> str:
    """How the CVS sheet names a service: its own wording for the common kinds of group."""
    name = str(service["name"])
    rules: list[tuple[str, str]] = [
        (r"(.+) health walk", "Health Walk{days} - {0}"),
        (r"(.+) lunch club", "Lunch Club - {0}"),
        (r"Chair-based exercise, (.+)", "Chair Based Exercise ({0})"),
        (r"(.+) coffee morning", "{0} Coffee Morning"),
        (r"Carers' support group, (.+)", "Carers Support Group ({0})"),
    ]
    for pattern, template in rules:
        found = re.fullmatch(pattern, name)
        if found:
            days = days_of(service)
            return template.format(found[1], days=f" ({days})" if days else "")
    return title_case(name) if rng.random() < 0.3 else name


def cvs_phone(number: str, rng: random.Random) -> str:
    """A phone number as someone typed it: spaced, international, bracketed or run together."""
    digits = number.replace(" ", "")
    split = 5 if digits.startswith("07") else 4
    styles = [number, f"+44 {digits[1:split]} {digits[split:]}", f"({digits[:split]}) {digits[split:]}", digits]
    return styles[rng.randrange(len(styles))]


def cvs_postcode(postcode: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.1:
        return postcode.lower()
    return postcode.replace(" ", "") if roll < 0.2 else postcode


def first_sentences(text: str) -> str:
    """The start of a description (a sheet's cell is short): one sentence, two if the first is short."""
    sentences = re.split(r"(?<=[.!?])\s+", text.strip())
    short = sentences[0]
    if len(short) < 60 and len(sentences) > 1:
        short += " " + sentences[1]
    return short


def venue(service: Record) -> Record | None:
    """The first location of a service that has an address."""
    for sal in service.get("service_at_locations", []):
        location = sal.get("location") or {}
        if location.get("addresses"):
            return dict(location)
    return None


def all_venues(leeds: Leeds) -> list[Record]:
    """Every location with an address, once each, in package order."""
    seen: dict[str, Record] = {}
    for service in leeds.services:
        for sal in service.get("service_at_locations", []):
            location = sal.get("location") or {}
            if location.get("addresses"):
                seen.setdefault(location["id"], location)
    return list(seen.values())


def new_venue(leeds: Leeds, old: Record) -> Record:
    """Where the moved group meets now: another venue in the same postcode district."""
    postcode = old["addresses"][0]["postal_code"]
    district = postcode.split(" ")[0]
    for location in all_venues(leeds):
        other = location["addresses"][0]["postal_code"]
        if other.split(" ")[0] == district and other != postcode and location["name"] != old["name"]:
            return location
    raise SystemExit(f"no other venue in {district} for the moved group")


def charity_number(organization: Record, rng: random.Random) -> str:
    numbers = [i["identifier"] for i in organization.get("organization_identifiers", [])
               if i.get("identifier_scheme") == "GB-CHC"]
    if numbers:
        return str(numbers[0])
    return "n/a" if rng.random() < 0.5 else ""


def cost_text(service: Record) -> str:
    for option in service.get("cost_options", []):
        if option.get("amount") is not None:
            amount = float(option["amount"])
            return "Free" if amount == 0 else f"£{amount:.2f}".replace(".00", "")
    return "Free" if str(service.get("fees_description", "")).lower().startswith("free") else ""


def cvs_row(leeds: Leeds, service: Record, rng: random.Random) -> dict[str, str]:
    """One row of the CVS sheet for a Leeds service."""
    organization = leeds.organizations[service["organization_id"]]
    description = first_sentences(str(service.get("description", "")))
    place = venue(service)
    if place is not None and leeds.key(service) == MOVED:
        place = new_venue(leeds, place)
        description += f" Now meeting at {place['name']}."
    address = place["addresses"][0] if place else {}
    phones = service.get("phones") or organization.get("phones") or []
    return {
        "Organisation": CVS_ORG_NAMES.get(organization["name"], organization["name"]),
        "Service / Activity": cvs_service_name(service, rng),
        "Description": description,
        "Address": ", ".join(p for p in (address.get("address_1"), address.get("address_2")) if p),
        "Town": address.get("city", ""),
        "Postcode": cvs_postcode(address["postal_code"], rng) if address else "",
        "Telephone": cvs_phone(phones[0]["number"], rng) if phones else "",
        "Email": service.get("email") or organization.get("email", ""),
        "Website": organization.get("website", ""),
        "Days and times": "; ".join(s["description"] for s in service.get("schedules", []) if s.get("description")),
        "Cost": cost_text(service),
        "Category": "; ".join(dict.fromkeys(CVS_CATEGORIES[c] for c in leeds.term_codes(service))),
        "Charity number": charity_number(organization, rng),
    }


def cvs_rows(leeds: Leeds, membership: dict[str, frozenset[str]], rng: random.Random) -> list[tuple[str, dict[str,
                                                                                                              str]]]:
    """(Leeds id, row) for the sheet, sorted by organisation as a CVS keeps it."""
    rows = [(s["id"], cvs_row(leeds, s, rng)) for s in listed_in(CVS, leeds, membership)]
    return sorted(rows, key=lambda r: (r[1]["Organisation"].casefold(), r[1]["Service / Activity"].casefold()))


def mapping_text(leeds: Leeds) -> str:
    """mapping.yaml: the council_vcs preset and the sheet's categories -> Leeds taxonomy term ids."""
    by_code = {str(t["code"]): t for t in leeds.terms.values()}
    lines = [
        "# The Leeds CVS directory export, read with the council_vcs preset (importers/presets).",
        "# Its categories are mapped to the Waymark social prescribing needs taxonomy: the term",
        "# ids are those of app/demo/leeds/taxonomy_terms.csv, shared with the other demo feeds.",
        "# Generated by scripts/make_demo_feeds.py.",
        "preset: council_vcs",
        "categories:",
    ]
    for code, word in CVS_CATEGORIES.items():
        term = by_code[code]
        lines.append(f"  {json.dumps(word, ensure_ascii=False)}: {term['id']}  # {code} {term['name']}")
    return "\n".join(lines) + "\n"


def write_cvs(out: Path, leeds: Leeds, rows: list[tuple[str, dict[str, str]]]) -> list[tuple[str, str]]:
    """The sheet and its mapping; returns (external id the importer gives the row, Leeds id)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "mapping.yaml").write_text(mapping_text(leeds), encoding="utf-8")
    sheet = out / "leeds-cvs.csv"
    sheet.write_text(csv_text(CVS_COLUMNS, ([row[c] for c in CVS_COLUMNS] for _id, row in rows)), encoding="utf-8")
    mapping = yaml.safe_load((out / "mapping.yaml").read_text(encoding="utf-8"))
    read = list(SpreadsheetFeed(sheet, mapping).records())
    troubled = [(r.origin, r.problems or r.raw.get(NOTES_KEY)) for r in read if r.problems or NOTES_KEY in r.raw]
    if troubled or len(read) != len(rows):
        raise SystemExit(f"{sheet}: the importer does not read the sheet cleanly: {troubled[:5]}")
    return [(r.external_id, leeds_id) for r, (leeds_id, _row) in zip(read, rows, strict=True)]


# --------------------------------------------------------------------------- truth and README


@dataclass(frozen=True)
class Feeds:
    """What was written, for truth.csv and the README."""

    council: list[tuple[str, str]]  # (external id, Leeds id)
    health: list[tuple[str, str]]
    cvs: list[tuple[str, str]]
    health_tables: dict[str, int]
    membership: dict[str, frozenset[str]]

    def truth(self) -> Iterator[tuple[str, str, str]]:
        for source, pairs in ((COUNCIL, self.council), (HEALTH, self.health), (CVS, self.cvs)):
            for external_id, leeds_id in pairs:
                yield source, external_id, leeds_id


def write_truth(out: Path, feeds: Feeds) -> None:
    (out / "truth.csv").write_text(csv_text(("source", "external_id", "truth_id"), feeds.truth()),
                                   encoding="utf-8")


def overlap_table(membership: dict[str, frozenset[str]]) -> str:
    combos = Counter(membership.values())
    order = sorted(combos, key=lambda f: (-len(f), [FEEDS.index(x) for x in sorted(f, key=FEEDS.index)]))
    return "\n".join(f"| {' + '.join(sorted(f, key=FEEDS.index))} | {combos[f]} |" for f in order)


def _bullet(text: str) -> str:
    return textwrap.fill(text, width=92, initial_indent="- ", subsequent_indent="  ")


def _spellings(names: dict[str, str]) -> str:
    return "; ".join(f'"{true}" as "{spelt}"' for true, spelt in names.items())


def showcase_list() -> str:
    """The designed differences, as README bullets."""
    items = [
        f"**Organisation spellings.** The CVS sheet writes {_spellings(CVS_ORG_NAMES)}. The council API "
        f"writes {_spellings(COUNCIL_ORG_NAMES)}. The health package writes {_spellings(HEALTH_ORG_NAMES)}.",
        "**Phone numbers** are typed four ways in the sheet (`0113 496 0123`, `+44 113 4960123`, "
        "`(0113) 4960123`, `01134960123`), postcodes sometimes in lower case or without the space.",
        "**Service names** are the CVS's own: \"Kirkstall Abbey Park health walk\" is \"Health Walk "
        "(Tuesdays) - Kirkstall Abbey Park\", \"Bramley lunch club\" is \"Lunch Club - Bramley\", "
        "\"Carers' support group, Armley\" is \"Carers Support Group (Armley)\"; about a third of the "
        "other names are in Title Case.",
        "**Opening hours** are free text in the sheet (\"Tuesdays 10am-11am\"), structured schedules "
        "(`byday`, `opens_at`, `closes_at`) in the API and the package.",
        f"**A moved venue.** \"{MOVED[1]}\" ({MOVED[0]}) meets somewhere new (another postcode) in the CVS "
        "sheet; the council API still has the old venue.",
        f"**A stale copy.** The council API's \"{STALE[1]}\" ({STALE[0]}) was last modified {STALE_MODIFIED} "
        f"and has the café's old phone number, {STALE_PHONE}; the health package has it as it is now.",
        "**Descriptions** in the sheet are the first sentence or two of the full ones; the sheet gives "
        "the organisation's phone, email and website where the service has none of its own.",
    ]
    return "\n".join(_bullet(item) for item in items)


def readme_text(feeds: Feeds, sizes: dict[str, int]) -> str:
    membership = feeds.membership
    council_cvs = sum(1 for f in membership.values() if {COUNCIL, CVS} <= f)
    tables = "\n".join(f"| {path} | {count} |" for path, count in feeds.health_tables.items())
    size_rows = "\n".join(f"| {name} | {size:,} |" for name, size in sizes.items())
    return f"""# Waymark demo feeds: Leeds from three sources

`waymark demo` builds the demo directory the way a real one is built: three feeds, each
registered as a source and harvested through its importer. They all come from the Leeds
demo package (`app/demo/leeds`, {len(membership)} services) and overlap the way council, NHS
and voluntary-sector feeds do, so the same service often arrives twice, spelt differently.
All of it is fictional (see `app/demo/leeds/README.md`).

Generated by `scripts/make_demo_feeds.py` (deterministic: re-running it gives byte-identical
files):

    .venv/bin/python scripts/make_demo_feeds.py

| source | type | folder | services |
|---|---|---|---|
| `{COUNCIL}` | `hsds_api` | `leeds-council/` | {len(feeds.council)} |
| `{HEALTH}` | `hsds_tabular` | `leeds-health/` | {len(feeds.health)} |
| `{CVS}` | `spreadsheet` | `leeds-cvs/` | {len(feeds.cvs)} |

## The feeds

- **`leeds-council/`: Leeds City Council's directory API** (HSDS 3.0, ORUK profile), recorded:
  `api.json` is the answer to `GET /` and `services.json` every full service record. It lists
  the council's own services (the council, libraries, adult learning, active communities,
  parks) and about 40% of the voluntary-sector services, as councils do. `waymark demo`
  serves the recording on a free local port (`app.services.demo.serve_recorded_api`:
  `/api/`, `/api/services?page=&per_page=&modified_after=` with the HSDS paging envelope,
  `/api/services/{{id}}`) and points the `{COUNCIL}` source at it. **That URL is only alive while
  `waymark demo` runs**: to harvest the council feed again, run `waymark demo` again
  (`waymark harvest {COUNCIL}` on its own cannot reach it).
- **`leeds-health/`: the NHS's HSDS tabular data package**: the NHS trusts' and primary care
  networks' services, the council's exercise referral scheme, and about 20% of the voluntary
  services (mental health, carers, dementia, bereavement, long-term conditions), with the
  whole social prescribing needs taxonomy. `datapackage.json` is the vendored HSDS 3.0
  descriptor with only the tables used.
- **`leeds-cvs/`: the Leeds CVS (council for voluntary service) spreadsheet** `leeds-cvs.csv`,
  one row per group or activity in the `council_vcs` preset layout, with most of the
  voluntary services. `mapping.yaml` names the preset and maps the sheet's category words to
  the Leeds taxonomy term ids, so all three feeds share one vocabulary.

Each feed has ids of its own (uuid5 of the Leeds id in the feed's name; the sheet has none,
so its rows are known by organisation and service name); taxonomy and term ids are shared.
`waymark demo` harvests the sheet first: its mapping names the shared terms in the sheet's
own words, and the API and the package, harvested after it, carry the terms in full.

## Overlaps

Every Leeds service is in at least one feed. Services by the feeds that list them:

| feeds | services |
|---|---|
{overlap_table(membership)}

The council-and-health pair includes the council's exercise referral scheme, which the NHS
lists too; the single-feed rows include the council's and the NHS's own services. So
{council_cvs} voluntary services are both in the council API and in the CVS sheet, and a few of
them in the health package too. The differences a de-duplicator has to see through:

{showcase_list()}

Until de-duplication exists, each copy is its own golden record: the same charity appears as
one organisation per source.

## Ground truth

`truth.csv` has one row per service record in the feeds: `source` (the demo source's name),
`external_id` (the record's id in that source, as staged: the API's and the package's service
id, the sheet's `organisation | service` key) and `truth_id` (the id of the service in
`app/demo/leeds`). Records with the same `truth_id` are the same service.

## Files

| file | bytes |
|---|---|
{size_rows}

Tables of the health package:

| file | rows |
|---|---|
{tables}
"""


# --------------------------------------------------------------------------- main


def build(leeds_folder: Path, out: Path) -> Feeds:
    """Write the three feeds and truth.csv; return what was written."""
    leeds = read_leeds(leeds_folder)
    rng = random.Random(SEED)
    membership = plan_membership(leeds, rng)
    council = council_services(leeds, membership)
    write_council(out / "leeds-council", council)
    health, organizations = health_records(leeds, membership)
    counts = write_health(out / "leeds-health", flatten_all(leeds, organizations, [r for _i, r in health]))
    cvs = write_cvs(out / "leeds-cvs", leeds, cvs_rows(leeds, membership, rng))
    feeds = Feeds(council=[(r["id"], i) for i, r in council], health=[(r["id"], i) for i, r in health], cvs=cvs,
                  health_tables=counts, membership=membership)
    write_truth(out, feeds)
    return feeds


def file_sizes(out: Path) -> dict[str, int]:
    return {p.relative_to(out).as_posix(): p.stat().st_size for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "README.md"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--leeds", type=Path, default=DEFAULT_LEEDS, help="the Leeds demo package")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the feeds go (default app/demo/feeds)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Build the feeds, then the README that describes them."""
    args = parse_args(argv)
    feeds = build(args.leeds, args.out)
    sizes = file_sizes(args.out)
    (args.out / "README.md").write_text(readme_text(feeds, sizes), encoding="utf-8")
    for source, pairs in ((COUNCIL, feeds.council), (HEALTH, feeds.health), (CVS, feeds.cvs)):
        print(f"{source:14} {len(pairs):4d} services")
    print(f"{'total':14} {sum(sizes.values()):,} bytes (without README.md)")


if __name__ == "__main__":
    main()
