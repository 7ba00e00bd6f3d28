#!/usr/bin/env python3
"""Generate the Waymark Leeds demo: an HSDS 3.0 tabular data package.

The package describes a fictional-but-plausible directory of social-prescribing
services in Leeds (local authority E08000035): council teams, NHS services and
many voluntary and community groups. Organisation, service, venue and people
names are invented; venues sit at real Leeds postcodes with their real
coordinates (OS / ONS open data, OGL v3) taken from the shared postcode sample.
Phone numbers are in Ofcom's drama ranges (0113 496 0xxx, 07700 900xxx) and
web/email addresses use the reserved example.org domain, so nothing in the demo
can reach a real person.

Run from anywhere; paths default relative to the repository root:

    python scripts/make_demo_data.py [--shared ../shared] [--out app/demo/leeds]

The output is deterministic: ids are uuid5("<table>:<natural key>") in a fixed
namespace and every random choice comes from one random.Random(20261123), so
re-running gives byte-identical files. Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

SEED = 20261123
NAMESPACE = uuid.UUID("acf23903-93a0-5020-97a7-65958718fa71")
LEEDS_LAD = "E08000035"
LEEDS_AREA_URI = "http://statistics.data.gov.uk/id/statistical-geography/E08000035"
REFERENCE_DAY = date(2026, 11, 23)
FORTNIGHT_ANCHOR = date(2026, 1, 5)  # a Monday: first week of fortnightly groups
WARM_SPACE_SEASON = ("2026-11-02", "2027-03-26")
WEB_DOMAIN = "example.org"
ASSURER_EMAIL = f"directory-team@waymark-leeds.{WEB_DOMAIN}"

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = REPO_ROOT.parent / "shared"
DEFAULT_OUT = REPO_ROOT / "app" / "demo" / "leeds"
VENDORED_DATAPACKAGE = REPO_ROOT / "schema" / "vendor" / "hsds-3.0" / "datapackage.json"

Row = dict[str, str]
ServiceSpec = tuple[str, tuple[str, ...], str]  # (template key, areas, name override)

# ---------------------------------------------------------------------------
# Geography: postcode sector/outcode -> (locality, area). Areas group localities
# so that each has enough sample postcodes to host several venues.
# ---------------------------------------------------------------------------
POSTCODE_PLACES: tuple[tuple[str, str, str], ...] = (
    ("LS1", "City Centre", "City Centre"),
    ("LS2", "City Centre", "City Centre"),
    ("LS4", "Burley", "Kirkstall"),
    ("LS5", "Kirkstall", "Kirkstall"),
    ("LS6 1", "Hyde Park", "Headingley"),
    ("LS6 2", "Headingley", "Headingley"),
    ("LS16 5", "Weetwood", "Headingley"),
    ("LS6 4", "Meanwood", "Meanwood"),
    ("LS7 2", "Little London", "Chapeltown"),
    ("LS7 3", "Chapel Allerton", "Chapeltown"),
    ("LS7 4", "Chapeltown", "Chapeltown"),
    ("LS8 1", "Roundhay", "Roundhay"),
    ("LS8 2", "Gipton", "Gipton"),
    ("LS9 6", "Gipton", "Gipton"),
    ("LS8 5", "Harehills", "Harehills"),
    ("LS9 8", "Burmantofts", "Harehills"),
    ("LS9 9", "Richmond Hill", "Harehills"),
    ("LS9 0", "Halton Moor", "Halton Moor"),
    ("LS15 0", "Halton", "Halton Moor"),
    ("LS10 2", "Hunslet", "Hunslet"),
    ("LS10 9", "Hunslet", "Hunslet"),
    ("LS11 5", "Holbeck", "Hunslet"),
    ("LS10 3", "Belle Isle", "Belle Isle"),
    ("LS10 4", "Middleton", "Middleton"),
    ("LS11 0", "Cottingley", "Beeston"),
    ("LS11 6", "Beeston Hill", "Beeston"),
    ("LS11 7", "Beeston", "Beeston"),
    ("LS11 8", "Beeston", "Beeston"),
    ("LS12 1", "Armley", "Armley"),
    ("LS12 2", "Armley", "Armley"),
    ("LS12 3", "Armley", "Armley"),
    ("LS12 4", "Wortley", "Wortley"),
    ("LS12 6", "New Wortley", "Wortley"),
    ("LS12 5", "Farnley", "Wortley"),
    ("LS13 1", "Rodley", "Bramley"),
    ("LS13 2", "Bramley", "Bramley"),
    ("LS13 3", "Bramley", "Bramley"),
    ("LS13 4", "Swinnow", "Bramley"),
    ("LS14 1", "Seacroft", "Seacroft"),
    ("LS14 6", "Seacroft", "Seacroft"),
    ("LS14 5", "Swarcliffe", "Swarcliffe"),
    ("LS14 3", "Scholes", "Scholes"),
    ("LS15 4", "Barwick-in-Elmet", "Scholes"),
    ("LS15 7", "Cross Gates", "Cross Gates"),
    ("LS15 8", "Whitkirk", "Cross Gates"),
    ("LS16 6", "Cookridge", "Cookridge"),
    ("LS16 7", "Holt Park", "Cookridge"),
    ("LS16 8", "Adel", "Cookridge"),
    ("LS16 9", "Bramhope", "Cookridge"),
    ("LS17 5", "Moortown", "Moortown"),
    ("LS17 6", "Moortown", "Moortown"),
    ("LS17 7", "Alwoodley", "Moortown"),
    ("LS17 8", "Shadwell", "Moortown"),
    ("LS18", "Horsforth", "Horsforth"),
    ("LS19 6", "Rawdon", "Yeadon"),
    ("LS19 7", "Yeadon", "Yeadon"),
    ("LS20", "Guiseley", "Guiseley"),
    ("LS29", "High Royds", "Guiseley"),
    ("LS21", "Otley", "Otley"),
    ("LS22", "Wetherby", "Wetherby"),
    ("LS23", "Boston Spa", "Wetherby"),
    ("LS25 1", "Garforth", "Garforth"),
    ("LS25 2", "Garforth", "Garforth"),
    ("LS25 4", "Kippax", "Kippax"),
    ("WF10", "Allerton Bywater", "Kippax"),
    ("LS26 0", "Rothwell", "Rothwell"),
    ("LS26 8", "Woodlesford", "Rothwell"),
    ("LS26 9", "Methley", "Rothwell"),
    ("WF3 3", "Carlton", "Rothwell"),
    ("WF3 2", "Lofthouse", "Rothwell"),
    ("LS27 7", "Churwell", "Morley"),
    ("LS27 8", "Morley", "Morley"),
    ("LS27 9", "Morley", "Morley"),
    ("BD11", "Drighlington", "Morley"),
    ("WF3 1", "Tingley", "Tingley"),
    ("WF12", "West Ardsley", "Tingley"),
    ("LS28 5", "Farsley", "Pudsey"),
    ("LS28 6", "Stanningley", "Pudsey"),
    ("LS28 7", "Pudsey", "Pudsey"),
    ("LS28 8", "Pudsey", "Pudsey"),
    ("LS28 9", "Pudsey", "Pudsey"),
)

PARKS: dict[str, str] = {
    "Armley": "Gotts Park",
    "Beeston": "Cross Flatts Park",
    "Chapeltown": "Potternewton Park",
    "Cookridge": "Golden Acre Park",
    "Cross Gates": "Manston Park",
    "Garforth": "Glebelands Recreation Ground",
    "Halton Moor": "Temple Newsam Park",
    "Harehills": "Banstead Park",
    "Headingley": "Woodhouse Moor",
    "Horsforth": "Hall Park",
    "Kirkstall": "Kirkstall Abbey Park",
    "Meanwood": "Meanwood Park",
    "Middleton": "Middleton Park",
    "Morley": "Scatcherd Park",
    "Otley": "Chevin Forest Park",
    "Pudsey": "Pudsey Park",
    "Rothwell": "Springhead Park",
    "Roundhay": "Roundhay Park",
    "Wetherby": "Wetherby Riverside",
}

STREETS: tuple[str, ...] = (
    "Town Street",
    "Church Lane",
    "Chapel Street",
    "Station Road",
    "Moor Lane",
    "Green Road",
    "Victoria Road",
    "Albert Terrace",
    "Queen Street",
    "Park Avenue",
    "Mill Lane",
    "Back Lane",
    "Well Lane",
    "School Lane",
    "Manor Road",
    "Westfield Road",
    "Spring Bank",
    "Oak Road",
    "Beech Grove",
    "Grange Avenue",
    "Hall Lane",
    "Low Lane",
    "High Street",
    "Main Street",
    "Bridge Road",
    "Cross Street",
    "Elmwood Road",
    "Carr Lane",
    "Commercial Street",
    "Fountain Street",
    "Brookfield Road",
    "Highfield Lane",
    "Nursery Lane",
    "Grove Road",
    "Stanley Road",
    "Hawthorn Road",
    "Broad Lane",
    "North Lane",
    "Recreation Road",
)  # deliberately generic: found in many parts of Leeds, tied to none

CITY_STREETS: tuple[str, ...] = (
    "Park Row",
    "Vicar Lane",
    "The Headrow",
    "Park Square East",
    "Wellington Street",
    "York Place",
    "Great George Street",
    "Merrion Street",
    "Albion Street",
    "Boar Lane",
    "Call Lane",
    "Eastgate",
)

SAINTS: tuple[str, ...] = (
    "St Mary's",
    "St John's",
    "St Bartholomew's",
    "St Michael's",
    "St Peter's",
    "St Andrew's",
    "St Margaret's",
    "St Paul's",
    "St Chad's",
    "St Wilfrid's",
    "All Saints",
    "Holy Trinity",
    "St Luke's",
    "St Matthew's",
    "St Aidan's",
    "St Edmund's",
    "Christ Church",
    "St Thomas's",
)

CITY_VENUE_NAMES: dict[str, str] = {
    "library": "Central Library",
    "hub": "City Centre Community Hub",
    "community_centre": "Quarry Hill Community Rooms",
    "health_centre": "Park Square Health Centre",
    "leisure_centre": "Central Leisure Centre",
    "cafe": "Kirkgate Community Café",
}

VENUE_DESCRIPTIONS: dict[str, str] = {
    "community_centre": "Community centre with a main hall, meeting rooms and a small kitchen.",
    "library": "Public library and community hub with free computers, Wi-Fi and printing.",
    "hub": "Council community hub offering face-to-face help with housing, benefits and council services.",
    "church_hall": "Church hall used by local groups through the week, with kitchen and toilets.",
    "methodist": "Methodist church with a large community room used by local groups.",
    "park": "Public park. Groups usually meet at the main entrance near the café.",
    "leisure_centre": "Council leisure centre with swimming pool, sports hall, gym and studio.",
    "health_centre": "NHS health centre housing GP practices and community clinics.",
    "cafe": "Volunteer-run community café with a meeting room upstairs.",
    "garden": "Community garden and allotment plots with a polytunnel and tool shed.",
}

STATUTORY = ("Local authority", "Local authority service", "NHS trust", "NHS foundation trust")

COUNCIL_VENUE_OWNERS: dict[str, str] = {
    "library": "leeds-libraries",
    "hub": "leeds-city-council",
    "leisure_centre": "leeds-active-communities",
    "park": "leeds-parks",
}

OPENING_HOURS: dict[str, tuple[str, ...]] = {
    "library": ("MO-FR 09:30-17:00", "SA 10:00-14:00"),
    "hub": ("MO-FR 09:00-17:00",),
    "leisure_centre": ("MO-FR 07:00-21:30", "SA,SU 08:00-18:00"),
}

ACCESSIBILITY: tuple[tuple[str, str], ...] = (
    ("Step-free access", "Level entrance; lift to the first floor."),
    ("Hearing loop", "Induction loop in the main hall and at reception."),
    ("Accessible toilet", "Accessible toilet with grab rails on the ground floor."),
    ("Accessible parking", "Blue badge parking bays next to the entrance."),
    ("Large print and easy read", "Large print and easy read leaflets at reception."),
)

FIRST_NAMES: tuple[str, ...] = (
    "Janet",
    "Imran",
    "Agnieszka",
    "Sandra",
    "Delroy",
    "Priya",
    "Gareth",
    "Fatima",
    "Kev",
    "Bernadette",
    "Tomasz",
    "Aisha",
    "Lorraine",
    "Darren",
    "Nadia",
    "Hilary",
    "Mohammed",
    "Sue",
    "Winston",
    "Claire",
    "Rashida",
    "Paul",
    "Yvonne",
    "Sanjay",
    "Gemma",
    "Abdi",
    "Maureen",
    "Craig",
    "Samina",
    "Elaine",
    "Jas",
    "Rebecca",
)
SURNAMES: tuple[str, ...] = (
    "Holroyd",
    "Hussain",
    "Nowak",
    "Pickles",
    "Campbell",
    "Patel",
    "Whiteley",
    "Begum",
    "Sutcliffe",
    "O'Neill",
    "Kowalski",
    "Ahmed",
    "Barraclough",
    "Walsh",
    "Akhtar",
    "Greenwood",
    "Khan",
    "Hirst",
    "Brown",
    "Robinson",
    "Iqbal",
    "Atkinson",
    "Clarke",
    "Sharma",
    "Fletcher",
    "Mohamed",
    "Ackroyd",
    "Lister",
    "Bibi",
    "Dawson",
    "Sandhu",
    "Thornton",
)

LANGUAGES: dict[str, str] = {
    "en": "English",
    "ur": "Urdu",
    "pa": "Punjabi",
    "pl": "Polish",
    "ar": "Arabic",
    "bn": "Bengali",
    "ku": "Kurdish",
    "ti": "Tigrinya",
    "fa": "Persian (Farsi)",
    "es": "Spanish",
    "zh": "Chinese",
    "ro": "Romanian",
    "sk": "Slovak",
}

DAY_NAMES: dict[str, str] = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
WEEK = tuple(DAY_NAMES)
ORDINALS: dict[str, str] = {
    "1": "First",
    "2": "Second",
    "3": "Third",
    "4": "Fourth",
    "-1": "Last",
}

SCHEDULE_NOTES: tuple[str, ...] = (
    "No sessions on bank holidays.",
    "Closed for two weeks over Christmas and New Year.",
    "Please check before travelling during school holidays.",
    "Arrive a few minutes early on your first visit.",
)

# ---------------------------------------------------------------------------
# Taxonomy: (code, name, parent code, description)
# ---------------------------------------------------------------------------
TAXONOMY_NAME = "Waymark social prescribing needs"
TAXONOMY_URI = f"https://waymark.{WEB_DOMAIN}/taxonomies/social-prescribing-needs"
TERMS: tuple[tuple[str, str, str, str], ...] = (
    (
        "LONE",
        "Loneliness and social isolation",
        "",
        "Activities and support that help people meet others and feel less alone.",
    ),
    ("LONE-BEF", "Befriending", "LONE", "Regular visits or phone calls from a volunteer befriender."),
    ("LONE-GRP", "Social groups and lunch clubs", "LONE", "Lunch clubs, coffee mornings, social clubs and drop-ins."),
    ("LONE-SHED", "Men's sheds", "LONE", "Community workshops where people make, mend and socialise."),
    ("MONEY", "Money and debt", "", "Help with money worries, including crisis and emergency support."),
    ("MONEY-DEBT", "Debt advice", "MONEY", "Free, independent advice on dealing with debts and budgeting."),
    ("MONEY-BEN", "Benefits advice", "MONEY", "Benefit checks and help with claims, reviews and appeals."),
    ("MONEY-ENERGY", "Energy and fuel bills", "MONEY", "Help with energy bills, arrears, grants and keeping warm."),
    ("HOUSE", "Housing", "", "Help with finding, keeping and looking after a home."),
    (
        "HOUSE-ADV",
        "Housing and homelessness advice",
        "HOUSE",
        "Advice for tenants, homeowners and people at risk of homelessness.",
    ),
    ("HOUSE-REPAIR", "Home repairs and adaptations", "HOUSE", "Small repairs, adaptations and home safety checks."),
    ("MH", "Mental health and wellbeing", "", "Support for emotional wellbeing and mental health, including coaching."),
    (
        "MH-PEER",
        "Mental health peer support",
        "MH",
        "Groups run by and for people with lived experience of mental health problems.",
    ),
    ("MH-TALK", "Talking therapies and counselling", "MH", "Counselling, CBT and other psychological therapies."),
    ("MH-CRISIS", "Crisis support", "MH", "Out-of-hours and crisis support for people in emotional distress."),
    ("PHYS", "Physical activity", "", "Ways to get more active, whatever your age or fitness."),
    ("PHYS-WALK", "Walking groups", "PHYS", "Led walks for all abilities."),
    (
        "PHYS-OLDER",
        "Exercise for older people",
        "PHYS",
        "Gentle exercise, strength and balance, chair-based and seated classes.",
    ),
    ("PHYS-CYCLE", "Cycling", "PHYS", "Learn to ride, led rides and bike maintenance."),
    ("ARTS", "Arts and creativity", "", "Creative activities for wellbeing and connection."),
    ("ARTS-CRAFT", "Art and craft groups", "ARTS", "Painting, pottery, knitting, sewing and making."),
    ("ARTS-MUSIC", "Singing and music", "ARTS", "Choirs, singing groups and music-making."),
    ("ARTS-WRITE", "Reading and writing groups", "ARTS", "Book groups, creative writing and audio reading services."),
    ("CARERS", "Carers", "", "Support for unpaid carers, including breaks."),
    (
        "CARERS-GRP",
        "Carers' support groups",
        "CARERS",
        "Groups where carers meet, share experience and get information.",
    ),
    (
        "CARERS-ADV",
        "Carers' advice and information",
        "CARERS",
        "Advice lines, assessments and emergency planning for carers.",
    ),
    ("FOOD", "Food", "", "Access to affordable food and help with cooking."),
    ("FOOD-BANK", "Food banks", "FOOD", "Emergency food parcels, usually by referral."),
    ("FOOD-PANTRY", "Community pantries and fridges", "FOOD", "Low-cost food clubs, pantries and community fridges."),
    ("FOOD-MEAL", "Community meals", "FOOD", "Free or low-cost shared meals."),
    ("FOOD-COOK", "Cooking and healthy eating", "FOOD", "Cooking skills, healthy eating and weight management."),
    ("LEARN", "Learning and skills", "", "Courses, employment support and learning opportunities for adults."),
    (
        "LEARN-ESOL",
        "ESOL and language cafés",
        "LEARN",
        "English classes and conversation practice for speakers of other languages.",
    ),
    ("LEARN-DIGI", "Digital inclusion", "LEARN", "Help to get online, devices and data."),
    ("LEARN-VOL", "Volunteering", "LEARN", "Volunteering opportunities and support."),
    ("BEREAV", "Bereavement", "", "Support groups and counselling for people who have lost someone."),
    ("NATURE", "Nature and gardening", "", "Time outdoors, green spaces and growing."),
    (
        "NATURE-GARDEN",
        "Gardening and allotments",
        "NATURE",
        "Community gardens, allotments and therapeutic horticulture.",
    ),
    ("NATURE-CONS", "Conservation volunteering", "NATURE", "Practical conservation work in parks and woodland."),
    ("FAM", "Families and children", "", "Support for parents, carers and young children."),
    ("FAM-TODDLER", "Parent and toddler groups", "FAM", "Stay and play, rhyme times and groups for under-5s."),
    ("HEALTH", "Health and long-term conditions", "", "Healthy lifestyles and living well with a health condition."),
    (
        "HEALTH-LTC",
        "Living with a long-term condition",
        "HEALTH",
        "Support for people with lung conditions, diabetes, stroke and similar.",
    ),
    (
        "HEALTH-DEM",
        "Dementia and memory",
        "HEALTH",
        "Memory cafés and groups for people with dementia and their carers.",
    ),
    ("HEALTH-SENS", "Sight and hearing loss", "HEALTH", "Groups and services for people with sensory loss."),
)


# ---------------------------------------------------------------------------
# Service templates
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Template:
    """A kind of service; placeholders {area}, {venue}, {park} and {org} are filled in."""

    name: str
    desc: str
    terms: tuple[str, ...]
    venues: tuple[str, ...]
    when: tuple[str, ...]
    cost: tuple[tuple[str, tuple[float, ...], str], ...] = ()
    fees: str = "Free."
    ages: tuple[int | None, int | None] = (None, None)
    elig: str = ""
    apply: str = "Just turn up, no need to book."
    langs: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()
    docs: tuple[str, ...] = ()
    alt: str = ""
    seasonal: bool = False
    funding: str = ""


OLDER = (60, None)
ADULTS = (18, None)

T: dict[str, Template] = {
    # -- older people's neighbourhood schemes --------------------------------
    "lunch_club": Template(
        "{area} lunch club",
        "A friendly weekly lunch club for older people living in and around {area}. A "
        "two-course home-cooked meal is served at {venue}, followed by a quiz, bingo or "
        "a singalong and plenty of chat. Transport can be arranged for members who find "
        "it hard to get out.",
        ("LONE-GRP", "FOOD-MEAL"),
        ("church_hall", "community_centre", "methodist", "base"),
        ("TU 12:00-14:00", "WE 12:00-14:00", "TH 12:00-14:00", "FR 11:30-13:30"),
        cost=(("Two-course lunch", (4.0, 4.5, 5.0), "per meal, including tea or coffee"),),
        fees="{a0} for a two-course lunch. Door-to-door transport is £2 return.",
        ages=OLDER,
        elig="People aged 60 and over. Carers are welcome too.",
        apply="Phone the office to book a place. Your first lunch is a free taster.",
    ),
    "befriending": Template(
        "{area} befriending scheme",
        "Trained volunteers visit older people who live alone or feel cut off, usually "
        "for an hour a week at home or for a trip to a local café. Volunteers are matched "
        "on shared interests and are DBS checked. Befrienders can also help you build the "
        "confidence to join local groups.",
        ("LONE-BEF",),
        ("base",),
        ("?Visits arranged at a time to suit you, on weekdays",),
        ages=OLDER,
        elig="People aged 60 and over in {area} and nearby who feel lonely or isolated.",
        apply="Self-referrals welcome. GPs, link workers and family members can refer by "
        "phone or email with the person's consent.",
        extra=(("wait_time", "Usually matched with a volunteer within 4-6 weeks."),),
    ),
    "telephone_befriending": Template(
        "Telephone friendship calls",
        "A regular weekly phone call from the same friendly volunteer for older people "
        "who are housebound or living alone. Calls last around half an hour and are "
        "arranged on a day that suits you. Small-group 'chatter calls' on a free "
        "conference line are also available.",
        ("LONE-BEF",),
        ("phone",),
        ("MO-FR 10:00-16:00",),
        ages=OLDER,
        elig="People aged 60 and over living in Leeds.",
        apply="Call the office or ask your GP practice or link worker to refer you.",
    ),
    "chair_exercise": Template(
        "Chair-based exercise, {area}",
        "A gentle, seated exercise class to music for older people and anyone with "
        "limited mobility. Led by a qualified instructor, it helps with strength, balance "
        "and joint movement and finishes with a cuppa. Held at {venue}.",
        ("PHYS-OLDER", "LONE-GRP"),
        ("church_hall", "community_centre", "methodist"),
        ("MO 10:30-11:30", "TU 10:00-11:00", "WE 14:00-15:00", "TH 10:30-11:30", "FR 10:00-11:00"),
        cost=(("Class", (2.0, 2.5, 3.0), "per class, pay on the day"),),
        fees="{a0} per class.",
        ages=(55, None),
        elig="Adults aged 55 and over and anyone with limited mobility.",
        apply="Just turn up. Please arrive ten minutes early on your first visit to fill "
        "in a short health questionnaire.",
    ),
    "coffee_morning": Template(
        "{area} coffee morning",
        "A relaxed drop-in coffee morning with tea, cake and conversation at {venue}. "
        "It's a good first step for anyone new to the area, recently bereaved or who "
        "would like to meet people without joining a club. Volunteers can tell you about "
        "other local activities.",
        ("LONE-GRP",),
        ("church_hall", "community_centre", "cafe", "methodist"),
        ("MO 10:00-12:00", "WE 10:00-12:00", "TH 10:00-12:00", "FR 10:00-12:00", "SA 10:00-12:00"),
        cost=(("Drinks and cake", (1.0, 1.5), "suggested donation"),),
        fees="Free entry; {a0} suggested donation for drinks and cake.",
        elig="Everyone welcome.",
    ),
    "digital_buddies": Template(
        "Digital buddies, {area}",
        "One-to-one help for older people to get to grips with smartphones, tablets and "
        "laptops, from video calling family to ordering repeat prescriptions on the NHS "
        "App. Bring your own device or borrow one of ours. Volunteers are patient and "
        "jargon-free.",
        ("LEARN-DIGI",),
        ("library", "community_centre", "base"),
        ("TU 13:30-15:30", "WE 10:00-12:00", "TH 13:00-15:00"),
        ages=OLDER,
        apply="Please book so we can match you with a volunteer; ring the office.",
    ),
    "outings": Template(
        "Days out club, {area}",
        "Monthly coach trips to the coast, garden centres and places of interest around "
        "Yorkshire for older people. Trips are accessible and volunteers help with "
        "getting on and off the coach. A good way to make new friends.",
        ("LONE-GRP",),
        ("base",),
        ("?One day trip a month, usually on a Thursday. Ring for the programme",),
        cost=(("Day trip", (12.0, 15.0, 18.0), "per trip including coach; entry fees extra"),),
        fees="From {a0} per trip including coach travel.",
        ages=OLDER,
        apply="Book and pay at the office at least a week before each trip.",
    ),
    "tea_dance": Template(
        "{area} tea dance",
        "Ballroom, Latin and sequence dancing to recorded music, with afternoon tea. "
        "Beginners and people who just want to listen to the music are as welcome as "
        "seasoned dancers, and you don't need a partner.",
        ("LONE-GRP", "PHYS-OLDER"),
        ("community_centre", "church_hall"),
        ("2W:WE 13:30-15:30", "TH 14:00-16:00", "1FR 14:00-16:00"),
        cost=(("Entry", (3.0, 3.5), "including tea and biscuits"),),
        fees="{a0} on the door, including tea and biscuits.",
        ages=(50, None),
        elig="Adults aged 50 and over.",
    ),
    "handyperson": Template(
        "Handyperson and small repairs, {area}",
        "A small repairs service for older homeowners and tenants: fitting grab rails, "
        "key safes and smoke alarms, changing bulbs and fixing dripping taps. Our "
        "DBS-checked handyperson also does a quick home safety check to help prevent "
        "falls.",
        ("HOUSE-REPAIR",),
        ("base",),
        ("MO-FR 09:00-16:00",),
        cost=(
            ("Labour", (8.0, 10.0), "per hour; materials charged at cost"),
            ("Pension Credit recipients", (0.0,), "labour free; materials at cost"),
        ),
        fees="{a0} an hour plus materials. Labour is free if you receive Pension Credit.",
        ages=OLDER,
        elig="Homeowners and private tenants aged 60+, or younger disabled people.",
        apply="Phone the office to book a visit. Most jobs are done within two weeks.",
    ),
    # -- council -----------------------------------------------------------
    "housing_options": Template(
        "Housing options and homelessness advice",
        "Council advice for anyone who is homeless, at risk of losing their home or "
        "living somewhere unsuitable. Housing options officers help with applying for "
        "council housing, rent arrears and finding private rented homes, and can arrange "
        "emergency accommodation.",
        ("HOUSE-ADV",),
        ("hub",),
        ("MO-FR 09:00-17:00",),
        elig="Anyone living in Leeds, or with a local connection, who has a housing problem.",
        apply="Call the housing options line or visit the city centre hub. If you will "
        "be homeless tonight, call straight away.",
        extra=(
            (
                "interpretation_services",
                ("Telephone and face-to-face interpreters, including British Sign Language, can be booked."),
            ),
        ),
    ),
    "welfare_rights_line": Template(
        "Welfare rights advice line",
        "Free, confidential advice from council welfare rights officers about benefits "
        "including Universal Credit, PIP, Attendance Allowance and Pension Credit. The "
        "team can check what you are entitled to, help with forms and represent you at "
        "tribunal appeals.",
        ("MONEY-BEN",),
        ("phone",),
        ("MO-FR 09:30-16:30",),
        elig="Leeds residents.",
        apply="Phone the advice line. Professionals can refer using the online form.",
        extra=(("wait_time", "Callbacks usually within three working days."),),
    ),
    "local_welfare": Template(
        "Local welfare support scheme",
        "Emergency help for Leeds residents in a crisis, such as essential furniture and "
        "white goods when setting up a new home, or food and fuel vouchers. The scheme "
        "does not give cash loans.",
        ("MONEY", "FOOD-BANK"),
        ("phone",),
        ("MO-FR 09:00-17:00",),
        ages=(16, None),
        elig="Leeds residents aged 16+ on a low income with no other way to meet an urgent need.",
        apply="Apply by phone, or through a support worker, advice agency or link worker.",
    ),
    "library_digital": Template(
        "Digital drop-in, {venue}",
        "Drop in for help getting online on the library computers or your own device: "
        "setting up email, keeping your Universal Credit journal, booking GP appointments "
        "online and staying safe from scams. Library staff and Digital Champion "
        "volunteers are on hand.",
        ("LEARN-DIGI",),
        ("library",),
        ("MO 14:00-16:00", "TU 10:00-12:00", "WE 14:00-16:00", "TH 10:00-12:00", "FR 13:30-15:30"),
        elig="Everyone welcome; no library card needed.",
    ),
    "reading_group": Template(
        "{venue} reading group",
        "A friendly monthly book group that meets at {venue}. Copies of each month's "
        "book are provided free by the library, including large print and audio "
        "versions. New members are always welcome, whether you read every page or not.",
        ("ARTS-WRITE", "LONE-GRP"),
        ("library",),
        ("1TU 18:00-19:30", "2WE 14:00-15:30", "-1TH 10:30-12:00"),
        ages=ADULTS,
        apply="Ask at the library counter or just come along.",
    ),
    "knit_natter": Template(
        "Knit and natter, {venue}",
        "Bring your knitting, crochet or sewing and enjoy a cuppa and a chat. Beginners "
        "are welcome and experienced members are happy to teach. The group also knits "
        "blankets and hats for local hospitals and baby banks.",
        ("ARTS-CRAFT", "LONE-GRP"),
        ("library", "cafe", "community_centre"),
        ("MO 13:30-15:30", "WE 10:00-12:00", "TH 13:30-15:30"),
        fees="Free. Needles and wool available if you need them.",
    ),
    "rhyme_time": Template(
        "Rhyme time, {venue}",
        "Songs, rhymes and stories for babies and toddlers with their parents and "
        "carers. Sessions last about half an hour, followed by time to play and chat. A "
        "good way to meet other families and build early language skills.",
        ("FAM-TODDLER",),
        ("library",),
        ("MO 10:30-11:00", "TU 10:30-11:00", "WE 10:30-11:00", "TH 10:30-11:00", "FR 10:30-11:00"),
        ages=(0, 4),
        elig="Children aged 0-4 with a parent or carer.",
        apply="Drop in; places are first come, first served.",
    ),
    "home_library": Template(
        "Home library service",
        "Volunteers deliver library books, large print, audiobooks and DVDs every three "
        "weeks to people who cannot get to a library because of age, disability, illness "
        "or caring responsibilities. Staff choose items to suit your tastes, and there "
        "are no charges or overdue fines.",
        ("ARTS-WRITE", "LONE-BEF"),
        ("phone",),
        ("MO-FR 09:00-17:00",),
        elig="Leeds residents who are unable to visit a library.",
        apply="Phone the home library team, or ask a friend, relative or professional to refer you.",
    ),
    "esol_class": Template(
        "ESOL classes, {area}",
        "English for Speakers of Other Languages courses from Entry 1 to Level 1, taught "
        "by qualified tutors. Classes cover speaking, listening, reading and writing for "
        "everyday life and work. An initial assessment places you in the right group.",
        ("LEARN-ESOL",),
        ("hub", "community_centre", "library"),
        ("MO,WE 09:30-12:00", "TU,TH 13:00-15:30", "TU,TH 18:00-20:00"),
        fees="Free for people on benefits or a low income; otherwise fees apply, ask at enrolment.",
        ages=(19, None),
        elig="Adults aged 19 and over living in Leeds.",
        apply="Book an initial assessment by phone.",
        docs=("Photo ID and proof of address, brought to enrolment",),
    ),
    "family_cooking": Template(
        "Family cooking on a budget, {area}",
        "A six-week course for parents and carers to cook healthy, cheap family meals, "
        "with all ingredients provided. Each week you take home a recipe card and a bag "
        "of ingredients to make the dish again at home. Free crèche places available.",
        ("FOOD-COOK", "FAM"),
        ("community_centre", "hub"),
        ("WE 09:30-11:30", "TH 12:30-14:30"),
        ages=(19, None),
        elig="Parents and carers of children aged 0-11.",
        apply="Book through the adult learning team or ask at your family hub.",
    ),
    "computer_course": Template(
        "Computers for beginners, {area}",
        "A five-week course for complete beginners covering mouse and keyboard skills, "
        "email, searching the internet safely and video calling. Laptops are provided, "
        "and learners who finish can borrow a tablet for three months.",
        ("LEARN-DIGI", "LEARN"),
        ("library", "hub"),
        ("TU 09:30-11:30", "WE 13:00-15:00"),
        ages=(19, None),
        apply="Phone to book; courses start throughout the year.",
    ),
    "strength_balance": Template(
        "Strength and balance class, {venue}",
        "A 12-week falls prevention class to build leg strength and steadiness, led by "
        "postural stability instructors. Each session includes standing and seated "
        "exercises you can also practise at home. Suitable for people who have had a "
        "fall or are worried about falling.",
        ("PHYS-OLDER",),
        ("leisure_centre",),
        ("MO 11:00-12:00", "WE 11:00-12:00", "FR 13:30-14:30"),
        cost=(("Standard", (3.5, 4.0), "per session"), ("Concession", (2.0,), "per session for people on benefits")),
        fees="{a0} per session, or {a1} with a concession.",
        ages=OLDER,
        apply="Referral from a GP, physiotherapist or link worker, or self-refer by phone.",
    ),
    "walking_football": Template(
        "Walking football, {area}",
        "A slower version of football with no running or heading, for people who want to "
        "get active again or keep playing as they get older. Sessions are friendly and "
        "mixed ability, with a brew afterwards.",
        ("PHYS", "PHYS-OLDER"),
        ("leisure_centre",),
        ("TU 11:00-12:00", "TH 19:00-20:00", "SA 10:00-11:00"),
        cost=(("Session", (3.0,), "per session"),),
        fees="{a0} per session.",
        ages=(50, None),
        elig="Adults aged 50 and over of all abilities.",
        apply="Just turn up in trainers.",
    ),
    "swim60": Template(
        "Over 60s swim, {venue}",
        "Quiet lanes and a relaxed atmosphere for older swimmers, with a lifeguard on "
        "poolside and steps or a hoist into the pool. Tea and coffee in the café "
        "afterwards.",
        ("PHYS-OLDER",),
        ("leisure_centre",),
        ("MO,WE 09:00-10:00", "TU,TH 13:00-14:00"),
        cost=(("Swim", (2.6, 3.0), "per swim"),),
        fees="{a0} per swim.",
        ages=OLDER,
        apply="Pay at reception.",
    ),
    "exercise_referral": Template(
        "Exercise referral scheme",
        "A 12-week supported exercise programme for adults with health conditions such "
        "as high blood pressure, type 2 diabetes, depression or arthritis. An exercise "
        "professional designs a personal plan using the gym, pool and classes, with "
        "reviews at weeks 6 and 12.",
        ("PHYS", "HEALTH-LTC"),
        ("leisure_centre",),
        ("MO-FR 07:00-21:00", "MO-FR 08:00-20:00", "MO-FR 09:00-18:00"),
        cost=(
            ("12-week programme", (30.0,), "for the whole programme"),
            ("Means-tested benefits", (0.0,), "free if you get means-tested benefits"),
        ),
        fees="{a0} for 12 weeks; free if you receive means-tested benefits.",
        ages=(16, None),
        elig="Adults with a long-term health condition.",
        apply="Referral from a GP, practice nurse, physiotherapist or social prescribing link worker.",
        docs=("Referral form completed by a health professional",),
        funding="Leeds City Council public health grant and NHS Leeds.",
    ),
    "park_volunteers": Template(
        "Conservation volunteers, {park}",
        "Join the rangers and friends group for practical conservation: tree planting, "
        "path clearing, hedge laying and wildlife surveys. No experience needed; tools, "
        "gloves and training are provided and there's a tea break halfway.",
        ("NATURE-CONS", "LEARN-VOL"),
        ("park",),
        ("TU 10:00-13:00", "WE 10:00-13:00", "-1SA 10:00-13:00"),
        ages=(16, None),
        elig="Adults 16+; under-18s need consent from a parent or carer.",
        apply="Email the ranger team to register, then come along in sturdy footwear.",
    ),
    "ranger_walks": Template(
        "Ranger-led nature walks, {park}",
        "Seasonal guided walks with a park ranger exploring wildflowers, birds and "
        "woodland history. Walks last about 90 minutes at a gentle pace on mostly level "
        "paths. Binoculars can be borrowed.",
        ("NATURE", "PHYS-WALK"),
        ("park",),
        ("2SU 10:30-12:00", ("?Seasonal programme; see the events calendar or ring the ranger office")),
        apply="Booking recommended as places are limited.",
    ),
    # -- NHS ---------------------------------------------------------------
    "better_breathing": Template(
        "Better breathing group, {area}",
        "A weekly support and exercise group for people living with COPD and other "
        "long-term lung conditions, following on from pulmonary rehabilitation. "
        "Respiratory physiotherapists lead gentle exercise, breathing techniques and "
        "talks on managing breathlessness. Family members welcome.",
        ("HEALTH-LTC", "PHYS-OLDER"),
        ("health_centre", "community_centre"),
        ("TU 13:30-15:00", "TH 10:00-11:30"),
        ages=ADULTS,
        elig="Adults with COPD or another chronic lung condition.",
        apply="Referral from your GP, practice nurse or respiratory team. Self-referral "
        "if you have completed pulmonary rehab.",
    ),
    "diabetes_education": Template(
        "Type 2 diabetes education course",
        "A free course for adults recently diagnosed with type 2 diabetes, run by "
        "diabetes specialist nurses and dietitians. It covers food and carbohydrates, "
        "activity, medication and looking after your feet and eyes. Available face to "
        "face or online with weekly live sessions.",
        ("HEALTH-LTC", "FOOD-COOK"),
        ("health_centre",),
        ("WE 09:30-12:30", "TH 18:00-20:30", "TU 13:00-16:00"),
        ages=ADULTS,
        elig="Adults with type 2 diabetes registered with a Leeds GP.",
        apply="Ask your GP practice to refer you.",
    ),
    "weight_management": Template(
        "Healthy weight programme",
        "A 12-week group programme to help adults lose weight and keep it off, with "
        "weekly weigh-ins, practical sessions on food labels, portions and cooking, and "
        "support to get more active. Led by NHS health trainers in community venues and "
        "online.",
        ("FOOD-COOK", "HEALTH"),
        ("health_centre", "community_centre"),
        ("MO 10:00-11:30", "TU 18:00-19:30", "TH 13:00-14:30"),
        ages=ADULTS,
        elig="Adults with a BMI of 30 or more (27.5 or more for people from South Asian, "
        "Chinese, Black African or African-Caribbean backgrounds).",
        apply="Self-refer online or by phone, or ask your GP practice.",
        langs=("ur", "pa"),
        extra=(("interpretation_services", "Groups in Urdu and Punjabi are available."),),
    ),
    "stop_smoking": Template(
        "Stop smoking service",
        "Free one-to-one support from trained stop smoking advisers, with nicotine "
        "replacement therapy or a vape starter kit. Support is weekly for up to 12 weeks, "
        "by phone or face to face.",
        ("HEALTH",),
        ("health_centre",),
        ("MO-FR 09:00-17:00", "MO-TH 09:00-19:00"),
        ages=(12, None),
        elig="Anyone aged 12 and over who lives, works or is registered with a GP in Leeds.",
        apply="Self-refer by phone, text or online.",
    ),
    "recovery_college": Template(
        "Recovery college courses",
        "Free courses about mental health and wellbeing, designed and taught by people "
        "with lived experience alongside mental health professionals. Topics include "
        "understanding anxiety, sleep, hearing voices and planning your own recovery. "
        "You enrol as a student, not a patient.",
        ("MH", "LEARN"),
        ("community_centre", "library"),
        ("MO-TH 10:00-16:00", "TU,TH 13:00-15:00"),
        ages=ADULTS,
        elig="Adults 18+ living in Leeds, including carers, friends and staff.",
        apply="Enrol online or phone for a prospectus. No referral needed.",
    ),
    "crisis_cafe": Template(
        "The Evening Sanctuary",
        "An out-of-hours safe space for adults in emotional distress or a mental health "
        "crisis, staffed by mental health workers and peer supporters. Come for a cup of "
        "tea, a private conversation and help to make a plan to stay safe. If your life "
        "is in danger, call 999.",
        ("MH-CRISIS",),
        ("community_centre",),
        ("MO-SU 18:00-23:00",),
        ages=ADULTS,
        apply="Phone first, or walk in. Referrals from crisis teams, GPs and link workers are also accepted.",
    ),
    "talking_therapies": Template(
        "Talking therapies self-referral",
        "NHS psychological therapies for anxiety, depression, stress, panic and OCD, "
        "including CBT, guided self-help, counselling and group courses. Therapy can be "
        "by phone, video or face to face, and you can refer yourself without seeing your "
        "GP.",
        ("MH-TALK",),
        ("phone",),
        ("MO-FR 08:00-20:00",),
        ages=(16, None),
        elig="People aged 16 and over registered with a Leeds GP.",
        apply="Self-refer online or by phone.",
        extra=(("wait_time", ("Assessment call within two weeks; some therapies have longer waits.")),),
    ),
    "link_worker": Template(
        "Social prescribing link workers",
        "Link workers give people time to talk about what matters to them, such as "
        "loneliness, money worries, housing or low mood, and connect them with local "
        "groups and services. Support is usually up to six sessions at the surgery, at "
        "home or by phone.",
        ("MH", "LONE"),
        ("health_centre",),
        ("MO-FR 09:00-17:00",),
        ages=ADULTS,
        elig="Patients aged 18 and over registered with one of the network's GP practices.",
        apply="Ask any member of staff at your GP practice, or self-refer through reception.",
        funding="NHS Additional Roles Reimbursement Scheme (ARRS).",
    ),
    "wellbeing_coach": Template(
        "Health and wellbeing coaching, {area}",
        "One-to-one coaching to help people with long-term conditions set their own "
        "goals, from getting more active to managing pain or stress. Coaches can meet at "
        "the surgery, at home or by phone, for up to eight sessions.",
        ("MH", "HEALTH-LTC"),
        ("health_centre",),
        ("MO-FR 09:00-17:00",),
        ages=ADULTS,
        apply="Referral from your GP, practice nurse or link worker.",
    ),
    # -- carers and dementia ---------------------------------------------------
    "carers_group": Template(
        "Carers' support group, {area}",
        "A monthly get-together for unpaid carers to share experiences, pick up tips and "
        "have some time for themselves. Each meeting has a speaker or activity, such as "
        "benefits for carers, power of attorney or relaxation, and a carers' worker is "
        "on hand for one-to-one advice.",
        ("CARERS-GRP",),
        ("community_centre", "church_hall", "library", "cafe"),
        ("1MO 10:00-12:00", "2TU 13:30-15:30", "3WE 10:30-12:30", "-1TH 18:00-19:30"),
        ages=ADULTS,
        elig="Adults who look after a family member or friend who couldn't manage without them.",
        apply="Drop in, or call the carers' advice line first.",
    ),
    "carers_line": Template(
        "Carers' advice line",
        "Information and advice for unpaid carers about carers' assessments, Carer's "
        "Allowance, breaks and planning for emergencies. Advisers can also put you in "
        "touch with local support groups. Calls are confidential.",
        ("CARERS-ADV",),
        ("phone",),
        ("MO-FR 09:00-17:00",),
        elig="Unpaid carers of any age in Leeds.",
        apply="Phone, email or complete the online self-referral form.",
    ),
    "carers_breaks": Template(
        "Carers' wellbeing days",
        "Half-day wellbeing sessions for carers with relaxation, massage, creative "
        "activities and lunch, so you can take a break and recharge. Replacement care "
        "can sometimes be arranged so that you can attend. Places are limited.",
        ("CARERS",),
        ("community_centre", "base"),
        ("2SA 10:00-14:00",),
        cost=(("Carers", (0.0,), "free for carers, lunch included"),),
        fees="Free for carers.",
        ages=ADULTS,
        apply="Book through the carers' advice line.",
    ),
    "young_adult_carers": Template(
        "Young adult carers' group",
        "A social group for carers aged 16-25 who look after a parent, brother, sister or "
        "other relative. Activities include trips, cooking and gaming nights, plus "
        "one-to-one support with college, work and wellbeing.",
        ("CARERS-GRP",),
        ("base", "community_centre"),
        ("2W:TH 17:00-19:00",),
        ages=(16, 25),
        elig="Young adult carers aged 16 to 25.",
        apply="Contact the young adult carers worker by phone or text.",
    ),
    "carers_emergency_plan": Template(
        "Carers' emergency planning",
        "A carers' worker helps you write down what would need to happen if you were "
        "suddenly unable to care, and registers you for a free carers' emergency card. "
        "If the card is used, a response service contacts your named people or arranges "
        "emergency cover.",
        ("CARERS-ADV",),
        ("phone",),
        ("MO-FR 09:00-17:00",),
        ages=ADULTS,
        apply="Phone the carers' advice line to book a planning appointment.",
    ),
    "memory_cafe": Template(
        "{area} memory café",
        "A welcoming café for people living with dementia or memory problems and their "
        "family carers. Enjoy refreshments, music, reminiscence and gentle activities, "
        "and pick up information from dementia support workers. No diagnosis needed.",
        ("HEALTH-DEM", "CARERS-GRP"),
        ("church_hall", "community_centre", "cafe", "methodist"),
        ("1WE 14:00-16:00", "2TU 10:30-12:30", "3TH 14:00-16:00", "-1FR 13:30-15:30"),
        cost=(("Visit", (1.0, 2.0), "suggested donation per visit"),),
        fees="Free; {a0} suggested donation per visit.",
    ),
    "songs_memories": Template(
        "Songs and memories, {area}",
        "A singing group for people living with dementia and their carers, using "
        "familiar songs, warm-ups and percussion. Music can lift mood and spark memories, "
        "and gives carers and the people they care for something enjoyable to share.",
        ("HEALTH-DEM", "ARTS-MUSIC"),
        ("church_hall", "community_centre"),
        ("2W:MO 14:00-15:30", "2W:TH 10:30-12:00"),
        cost=(("Session", (2.0,), "per person with dementia and carer together"),),
        fees="{a0} per pair.",
        apply="Phone to book your first visit.",
    ),
    # -- advice, money and housing -------------------------------------------
    "advice_dropin": Template(
        "Advice drop-in, {venue}",
        "Free, independent and confidential advice on benefits, debt, housing, "
        "employment and consumer problems. Advisers help you fill in forms, write "
        "letters and challenge decisions. Complex cases are booked for a follow-up "
        "appointment.",
        ("MONEY-BEN", "MONEY-DEBT", "HOUSE-ADV"),
        ("hub", "library", "community_centre"),
        ("MO 10:00-13:00", "TU 10:00-13:00", "WE 13:00-16:00", "TH 10:00-13:00", "FR 10:00-13:00"),
        elig="Anyone living or working in Leeds.",
        apply="Drop in; first come, first served. Bring any letters about your problem.",
        extra=(
            ("interpretation_services", "Telephone interpreters available."),
            ("accreditations", "Advice Quality Standard"),
        ),
        docs=("Any letters or paperwork about your problem",),
    ),
    "advice_line": Template(
        "Leeds advice line",
        "A free phone line for advice on benefits, debt, housing, employment, immigration "
        "and consumer rights. Advisers assess your problem and can book a face-to-face "
        "or video appointment. Lines are busiest on Monday mornings.",
        ("MONEY-BEN", "MONEY-DEBT"),
        ("phone",),
        ("MO-FR 09:30-16:00",),
        elig="Anyone living or working in Leeds.",
        apply="Phone the advice line.",
        extra=(("interpretation_services", "Telephone interpreters available."),),
    ),
    "benefits_help": Template(
        "Benefits form-filling help",
        "Appointments with trained advisers to complete benefit claims and reviews, "
        "including PIP, Attendance Allowance, Universal Credit and Pension Credit. "
        "Advisers check you are getting everything you're entitled to and help with "
        "mandatory reconsiderations and appeals.",
        ("MONEY-BEN",),
        ("health_centre", "community_centre", "library"),
        ("TU 09:30-12:30", "TH 13:00-16:00", "WE 09:30-12:30"),
        apply="Book through the advice line, your GP practice or link worker.",
        docs=("Your benefit letters and a list of your medication and health conditions",),
    ),
    "debt_advice": Template(
        "Free debt advice",
        "Specialist advisers help you deal with priority debts like rent, council tax "
        "and energy arrears, as well as credit cards, loans and catalogues. They can "
        "negotiate with creditors, set up affordable payment plans and explain options "
        "such as Debt Relief Orders and Breathing Space.",
        ("MONEY-DEBT",),
        ("hub", "community_centre"),
        ("MO 09:30-12:30", "WE 13:30-16:30", "FR 09:30-12:30"),
        apply="Phone to book; first appointments last about an hour.",
        extra=(("accreditations", ("Authorised and regulated by the Financial Conduct Authority for debt advice.")),),
    ),
    "budgeting_workshop": Template(
        "Make your money go further, {area}",
        "A practical two-hour workshop on budgeting, cutting household bills, spotting "
        "loan sharks and checking you're on the best energy tariff. Everyone gets a "
        "personal budget planner and a follow-up call.",
        ("MONEY-DEBT", "MONEY-ENERGY"),
        ("community_centre", "library"),
        ("1TU 10:00-12:00", "2WE 13:00-15:00", "3TH 10:00-12:00"),
        apply="Phone to book a place.",
    ),
    "money_coaching": Template(
        "Money coaching by video call",
        "Six one-to-one sessions by video or phone with a trained money coach, to build "
        "confidence managing money, set savings goals and keep on top of bills. For "
        "people who are not in serious debt but want to feel more in control.",
        ("MONEY-DEBT",),
        ("online",),
        ("MO-TH 10:00-19:00",),
        ages=ADULTS,
        apply="Book online or by phone.",
    ),
    "energy_visits": Template(
        "Home energy advice visits",
        "Free home visits from an energy adviser to help you keep warm and cut your "
        "bills: checking your tariff, finding draughts, setting heating controls and "
        "applying for grants and insulation schemes. Advisers can fit simple "
        "draught-proofing on the day.",
        ("MONEY-ENERGY", "HOUSE-REPAIR"),
        ("phone",),
        ("MO-FR 09:00-17:00",),
        elig="Leeds households on a low income, or with someone whose health is made worse by the cold.",
        apply="Phone, or ask a health or care professional to refer you.",
    ),
    "energy_dropin": Template(
        "Energy and bills drop-in, {venue}",
        "Bring your energy bills for face-to-face help understanding them, dealing with "
        "arrears, joining the Priority Services Register and applying for grants. "
        "Advisers can call your supplier with you.",
        ("MONEY-ENERGY",),
        ("library", "community_centre", "hub"),
        ("WE 10:00-12:00", "TH 13:00-15:00", "MO 13:00-15:00"),
        docs=("Recent energy bills or your account number",),
    ),
    "warm_space": Template(
        "{area} warm space",
        "A free, warm and welcoming space during the colder months, with hot drinks, "
        "soup, Wi-Fi, newspapers and board games. No questions asked and no need to buy "
        "anything. Volunteers can tell you about help with energy bills.",
        ("MONEY-ENERGY", "LONE-GRP"),
        ("church_hall", "community_centre", "methodist"),
        ("MO,WE,FR 10:00-15:00", "TU,TH 11:00-15:00"),
        elig="Everyone welcome.",
        seasonal=True,
        funding="Winter warm spaces grant from Leeds City Council.",
    ),
    "housing_dropin": Template(
        "Housing advice drop-in, {venue}",
        "Independent advice for tenants, homeowners and people at risk of homelessness "
        "on disrepair, eviction notices, rent arrears, benefit problems and finding "
        "somewhere to live. Caseworkers can negotiate with landlords and refer to "
        "solicitors.",
        ("HOUSE-ADV",),
        ("base", "hub", "community_centre"),
        ("MO 10:00-13:00", "WE 13:30-16:00", "TH 10:00-13:00"),
        apply="Drop in, or phone for an appointment.",
        docs=("Your tenancy agreement and any notices or letters from your landlord",),
    ),
    "tenancy_support": Template(
        "Tenancy support service",
        "Floating support for people struggling to keep their tenancy because of debt, "
        "mental health problems, hoarding or relationship breakdown. A support worker "
        "visits at home for up to six months to help with bills, benefits, repairs and "
        "local services.",
        ("HOUSE-ADV",),
        ("phone",),
        ("MO-FR 09:00-17:00",),
        ages=ADULTS,
        elig="Tenants of any landlord in Leeds.",
        apply="Referral by phone from the tenant, a landlord or any professional.",
        extra=(("wait_time", "A worker is usually allocated within three weeks."),),
    ),
    "private_renters": Template(
        "Private renters' advice clinic",
        "Online clinics for private tenants with problems such as deposits, repairs, "
        "rent increases and eviction notices. Book a 30-minute video appointment with a "
        "housing caseworker, who can draft follow-up letters to your landlord.",
        ("HOUSE-ADV",),
        ("online",),
        ("TU 17:00-19:00", "TH 17:30-19:30"),
        apply="Book online or by phone.",
    ),
    "clutter_group": Template(
        "Clutter and hoarding support group",
        "A confidential peer support group for people who find it hard to let go of "
        "possessions or keep their home clear. Facilitated by a support worker with "
        "lived experience, it offers practical strategies and understanding without "
        "judgement.",
        ("HOUSE-ADV", "MH-PEER"),
        ("base", "community_centre"),
        ("2W:WE 18:00-19:30",),
        ages=ADULTS,
        apply="Phone for an informal chat before your first session.",
    ),
    # -- food ----------------------------------------------------------------
    "pantry": Template(
        "{area} community pantry",
        "A membership food club: members pay a small weekly fee and choose £15-£20 worth "
        "of groceries, including fresh fruit and vegetables, chilled and frozen food. "
        "It's not a food bank, so there are no vouchers and you choose what you need.",
        ("FOOD-PANTRY",),
        ("church_hall", "community_centre", "base"),
        ("TU 12:00-15:00", "WE 10:00-13:00", "TH 14:00-17:00", "FR 10:00-13:00"),
        cost=(("Weekly shop", (3.5, 4.0, 5.0), "per visit; membership is free"),),
        fees="{a0} per weekly shop.",
        elig="People living in or near {area} on a low income.",
        apply="Join on your first visit.",
        docs=("Proof of address to join",),
    ),
    "payf_cafe": Template(
        "Pay-as-you-feel café, {area}",
        "A community café serving hot meals made from surplus food that would otherwise "
        "go to waste. Pay what you can afford, in money, time or skills. Everyone eats "
        "together, and it's a good place to meet neighbours.",
        ("FOOD-MEAL", "LONE-GRP"),
        ("cafe", "church_hall"),
        ("WE 12:00-14:00", "SA 11:00-14:00"),
        cost=(("Meal", (0.0,), "pay as you feel"),),
        fees="Pay as you feel.",
        elig="Everyone welcome.",
    ),
    "food_bank": Template(
        "{area} food bank",
        "Emergency food parcels with three days of nutritionally balanced food for "
        "people in crisis, plus toiletries and pet food when available. Volunteers offer "
        "a cup of tea and a chat, and an adviser can help with whatever led you to need "
        "the food bank.",
        ("FOOD-BANK",),
        ("church_hall", "methodist", "community_centre"),
        ("MO 12:00-14:00", "TU 10:00-12:00", "WE 13:00-15:00", "FR 10:00-12:00"),
        apply="You need a food bank voucher from a referral agency such as an advice "
        "centre, GP, social worker, link worker or school. Call us if you can't get one.",
        docs=("Food bank voucher from a referral agency",),
    ),
    "cook_eat": Template(
        "Cook and eat, {area}",
        "Cook a meal together using simple, affordable ingredients, then sit down and "
        "eat it with the group. Learn knife skills, batch cooking and how to make the "
        "most of a food parcel or slow cooker.",
        ("FOOD-COOK", "LONE-GRP"),
        ("community_centre", "church_hall"),
        ("TU 10:00-13:00", "WE 11:00-14:00"),
        ages=ADULTS,
        apply="Phone to book; each course runs for six weeks.",
    ),
    "community_meal": Template(
        "Community dinner, {area}",
        "A free hot two-course meal every week, cooked by volunteers and served at the "
        "table. Families, older people and anyone who'd like some company are welcome. "
        "Halal and vegetarian options always available.",
        ("FOOD-MEAL", "LONE-GRP"),
        ("community_centre", "base"),
        ("WE 17:30-19:30", "SU 13:00-15:00"),
        elig="Everyone welcome.",
        langs=("ur", "pa", "ro"),
    ),
    # -- mental health and bereavement ---------------------------------------
    "peer_support": Template(
        "Wellbeing peer support group, {area}",
        "A peer support group for adults living with anxiety, depression or low mood, "
        "facilitated by trained volunteers with their own experience of mental health "
        "problems. Share as much or as little as you like in a safe, confidential space.",
        ("MH-PEER",),
        ("community_centre", "library", "church_hall"),
        ("MO 18:30-20:00", "TU 13:00-14:30", "WE 18:00-19:30", "TH 18:30-20:00"),
        ages=ADULTS,
        apply="Drop in, or contact us first if you'd like to meet a facilitator before your first session.",
    ),
    "mens_talking": Template(
        "Men's talking group, {area}",
        "A peer-to-peer talking group for men aged 18 and over, meeting at {venue}. An "
        "informal space to talk about what's on your mind, whether that's work, "
        "relationships, money or grief, over a brew. No referral and no need to book.",
        ("MH-PEER",),
        ("community_centre", "church_hall"),
        ("MO 19:00-21:00",),
        ages=ADULTS,
        elig="Men aged 18 and over.",
    ),
    "wellbeing_walk": Template(
        "Walk and talk, {park}",
        "A gentle hour-long walk with others who experience anxiety or low mood, led by "
        "a peer support worker. Walking side by side makes it easier to talk, and "
        "there's no pressure to. Ends at the café for those who want to stay.",
        ("MH-PEER", "PHYS-WALK"),
        ("park",),
        ("WE 11:00-12:00", "SA 10:00-11:00"),
        ages=ADULTS,
    ),
    "hearing_voices": Template(
        "Hearing voices group",
        "A self-help group for people who hear voices, see visions or have other unusual "
        "experiences. The group accepts all explanations of these experiences and "
        "focuses on sharing ways of coping. Confidential and run by people with lived "
        "experience.",
        ("MH-PEER",),
        ("community_centre",),
        ("2W:TH 14:00-15:30",),
        ages=ADULTS,
        apply="Please phone or email before your first visit.",
    ),
    "womens_circle": Template(
        "Women's wellbeing circle, {area}",
        "A weekly group for South Asian women to relax, share experiences and learn about "
        "looking after their mental and physical health, in Urdu, Punjabi and English. "
        "Sessions include gentle exercise, speakers on topics like menopause and "
        "diabetes, and craft.",
        ("MH-PEER", "LONE-GRP"),
        ("community_centre",),
        ("WE 10:00-12:00",),
        ages=ADULTS,
        elig="Women aged 18 and over.",
        langs=("ur", "pa"),
        apply="Drop in. A crèche is available if you ask in advance.",
    ),
    "south_asian_men": Template(
        "Men's health and wellbeing group, {area}",
        "A group for South Asian men to talk about stress, health and family life in a "
        "relaxed setting, in English, Urdu and Punjabi. Regular health checks with a "
        "community health worker.",
        ("MH-PEER", "HEALTH"),
        ("community_centre",),
        ("FR 14:30-16:30",),
        ages=ADULTS,
        elig="Men aged 18 and over.",
        langs=("ur", "pa"),
    ),
    "wellbeing_workshops": Template(
        "Understanding stress: workshops in community languages",
        "Four-week workshops on stress, sleep and low mood delivered in community "
        "languages by bilingual wellbeing practitioners. Learn practical coping "
        "techniques and find out how to get further help.",
        ("MH",),
        ("community_centre", "base"),
        ("TU 10:00-12:00",),
        ages=ADULTS,
        langs=("ur", "pa", "bn", "ar"),
        apply="Phone or text to book.",
    ),
    "bereavement_group": Template(
        "Bereavement support group, {area}",
        "A monthly group for adults who have lost someone close, whether recently or a "
        "long time ago. Trained bereavement volunteers help the group share memories and "
        "ways of coping. You don't have to talk until you feel ready.",
        ("BEREAV",),
        ("church_hall", "community_centre", "cafe"),
        ("1TH 18:30-20:00", "2TU 13:30-15:00", "3WE 10:30-12:00"),
        ages=ADULTS,
        apply="Phone first for a short chat with a volunteer.",
    ),
    "bereavement_counselling": Template(
        "One-to-one bereavement counselling",
        "Up to 12 sessions of counselling with a qualified bereavement counsellor, face "
        "to face in the city centre or by video call. Counselling can help with "
        "complicated grief, sudden loss and grief that feels stuck. An assessment is "
        "offered first.",
        ("BEREAV", "MH-TALK"),
        ("base",),
        ("MO-FR 09:00-20:00",),
        cost=(("Suggested contribution", (10.0,), ("per session; pay what you can, including nothing")),),
        fees="Donations welcome; suggested {a0} per session. Nobody is turned away.",
        ages=ADULTS,
        apply="Self-refer by phone or email.",
        extra=(
            ("wait_time", "Around 6-8 weeks from assessment to starting counselling."),
            (
                "accreditations",
                (
                    "Counsellors are registered with a professional body "
                    "accredited by the Professional Standards Authority."
                ),
            ),
        ),
    ),
    "suicide_bereaved": Template(
        "Bereaved by suicide support group",
        "A monthly peer support group for adults who have lost someone to suicide. "
        "Facilitated by volunteers who have been bereaved by suicide themselves, it is a "
        "safe place to talk openly.",
        ("BEREAV", "MH-PEER"),
        ("base", "community_centre"),
        ("2WE 18:30-20:30",),
        ages=ADULTS,
        apply="Please phone or email before your first visit.",
    ),
    "bereavement_walk": Template(
        "Bereavement walking group, {park}",
        "A gentle fortnightly walk for people who have been bereaved, with time to talk "
        "to others who understand, or just to walk. Finishes with a hot drink.",
        ("BEREAV", "PHYS-WALK"),
        ("park",),
        ("2W:SA 10:30-12:00",),
        ages=ADULTS,
    ),
    # -- sheds, walking, activity -------------------------------------------------
    "mens_shed": Template(
        "{area} Men's Shed",
        "A community workshop where people, mostly but not only men, come together to "
        "make, mend and chat. Members do woodwork, metalwork and bike repairs, build "
        "planters and bird boxes for local schools, and share skills over a brew. Tools "
        "and safety equipment provided.",
        ("LONE-SHED", "ARTS-CRAFT"),
        ("base",),
        ("TU,TH 10:00-15:00", "WE,SA 10:00-14:00"),
        cost=(("Session", (2.0,), "per visit, including tea"), ("Annual membership", (10.0, 20.0), "per year")),
        fees="{a0} per visit plus {a1} annual membership.",
        ages=ADULTS,
        apply="Drop in for a look round and a brew.",
    ),
    "repair_cafe": Template(
        "{area} repair café",
        "Bring along broken household items such as lamps, toasters, clothes, bikes and "
        "laptops and fix them with help from volunteer repairers. Have a cuppa while you "
        "wait and learn how to do it yourself next time.",
        ("ARTS-CRAFT", "LONE-GRP"),
        ("base", "community_centre", "church_hall"),
        ("1SA 10:00-13:00", "-1SA 10:00-13:00"),
        cost=(("Repair", (3.0,), "suggested donation per item"),),
        fees="Free; {a0} suggested donation per item.",
    ),
    "health_walk": Template(
        "{park} health walk",
        "A free, friendly, volunteer-led walk of 45-60 minutes at a comfortable pace, "
        "with a shorter route for those who need it. Walks start at the main entrance of "
        "{park} and finish with an optional cuppa. Ideal if you want to get more active "
        "or meet people.",
        ("PHYS-WALK",),
        ("park",),
        ("MO 10:30-11:30", "TU 10:00-11:00", "WE 10:30-11:30", "TH 13:30-14:30", "FR 10:00-11:00", "SU 10:00-11:00"),
        apply="Just turn up ten minutes before the start in comfortable shoes.",
    ),
    "buggy_walk": Template(
        "Buggy walk, {park}",
        "A gentle walk for parents and carers with babies in pushchairs or slings, on "
        "buggy-friendly paths. A good way to get out of the house, meet other parents and "
        "get active after having a baby.",
        ("PHYS-WALK", "FAM"),
        ("park",),
        ("TU 10:00-11:00", "TH 10:30-11:30"),
    ),
    "nordic_walk": Template(
        "Nordic walking, {park}",
        "Walking with specially designed poles that work the upper body as well as the "
        "legs and take pressure off knees and hips. A four-week beginners' course is "
        "followed by weekly group walks. Poles can be borrowed.",
        ("PHYS-WALK",),
        ("park",),
        ("SA 09:30-11:00", "WE 18:00-19:15"),
        cost=(("Group walk", (4.0,), "per walk, poles provided"), ("Beginners' course", (20.0,), "for four weeks")),
        fees="{a0} per walk; beginners' course {a1}.",
        apply="Book the beginners' course online or by phone.",
    ),
    "chair_yoga": Template(
        "Chair yoga, {area}",
        "Gentle yoga postures, breathing and relaxation done sitting on or holding a "
        "chair. Suitable for people with limited mobility, arthritis or recovering from "
        "illness, and led by an instructor trained in yoga for older people.",
        ("PHYS-OLDER",),
        ("community_centre", "church_hall", "methodist"),
        ("MO 13:30-14:30", "WE 10:00-11:00", "FR 11:00-12:00"),
        cost=(("Class", (3.0, 4.0), "per class"),),
        fees="{a0} per class.",
        ages=(50, None),
    ),
    "tai_chi": Template(
        "Tai chi for health, {area}",
        "Slow, flowing tai chi movements to improve balance, posture and calm, following "
        "a programme shown to reduce falls in older people. Classes build week by week "
        "and can be done standing or seated.",
        ("PHYS-OLDER",),
        ("community_centre", "church_hall"),
        ("TU 14:00-15:00", "TH 10:00-11:00"),
        cost=(("Class", (3.0, 3.5), "per class"),),
        fees="{a0} per class.",
        ages=(50, None),
    ),
    "seated_dance": Template(
        "Seated dance, {area}",
        "Move to music from the 1950s to today in a fun, seated dance class for older "
        "people and people with limited mobility. Good for stamina, coordination and "
        "mood, and finishes with tea and a natter.",
        ("PHYS-OLDER", "LONE-GRP"),
        ("community_centre", "church_hall"),
        ("MO 14:00-15:00", "TH 11:00-12:00"),
        cost=(("Class", (2.5, 3.0), "per class"),),
        fees="{a0} per class.",
        ages=OLDER,
    ),
    "learn_ride": Template(
        "Learn to ride for adults, {area}",
        "Never learned to ride a bike, or lost your confidence? Qualified instructors "
        "teach adults on a traffic-free site, with bikes and helmets provided. Most "
        "people are riding by their third session.",
        ("PHYS-CYCLE",),
        ("park",),
        ("SA 10:00-12:00", "WE 17:30-19:00"),
        ages=ADULTS,
        apply="Book a place online or by phone.",
    ),
    "led_ride": Template(
        "Social bike ride, {park}",
        "A relaxed led ride of 8-15 miles on quiet roads and cycle paths, with a café "
        "stop. Rides go at the pace of the slowest rider and nobody is left behind. "
        "Bikes can be borrowed if booked in advance.",
        ("PHYS-CYCLE", "LONE-GRP"),
        ("park",),
        ("SU 10:00-13:00", "2SA 10:00-13:00"),
        ages=(16, None),
    ),
    "bike_workshop": Template(
        "Bike maintenance workshop, {area}",
        "Learn to fix punctures and adjust brakes and gears in a hands-on workshop. "
        "Refurbished bikes are sold at low cost, and free bikes are available for people "
        "referred by support workers.",
        ("PHYS-CYCLE", "LEARN"),
        ("base",),
        ("TH 17:30-19:30",),
        cost=(("Workshop", (5.0,), "per session; free for people on benefits"),),
        fees="{a0} per workshop; free for people on benefits.",
        ages=(16, None),
    ),
    # -- arts ------------------------------------------------------------------
    "arts_prescription": Template(
        "Arts on prescription course, {area}",
        "A ten-week creative course for adults experiencing low mood, anxiety, stress or "
        "isolation, led by professional artists. Try painting, printmaking, collage and "
        "clay in a small supportive group. All materials provided, with an exhibition "
        "at the end.",
        ("ARTS-CRAFT", "MH"),
        ("base", "community_centre"),
        ("TU 10:30-12:30", "TH 13:30-15:30"),
        ages=ADULTS,
        apply="Referral from a GP, link worker or mental health worker, or self-refer by phone.",
        extra=(("wait_time", ("New courses start each term; there may be a short waiting list.")),),
    ),
    "open_studio": Template(
        "Open studio, {area}",
        "A drop-in art session for adults of all abilities with space, materials and "
        "gentle guidance from an artist. Work on your own project or try the weekly "
        "theme.",
        ("ARTS-CRAFT",),
        ("base", "community_centre"),
        ("WE 13:00-16:00", "SA 10:00-13:00"),
        cost=(("Session", (2.0, 3.0), "per session, materials included"),),
        fees="{a0} per session, materials included.",
        ages=ADULTS,
    ),
    "pottery": Template(
        "Community pottery, {area}",
        "Hand-building and wheel-throwing for beginners in a community studio, taught "
        "by a local potter. Firing and glazes included.",
        ("ARTS-CRAFT",),
        ("base",),
        ("MO 18:30-20:30",),
        cost=(
            ("Six-week course", (45.0, 60.0), "firing and glazes included"),
            ("Concession", (20.0,), "six-week course for people on benefits"),
        ),
        fees="{a0} for six weeks, or {a1} with a concession.",
        ages=(16, None),
        apply="Book online or by phone.",
    ),
    "craft_club": Template(
        "Craft club, {area}",
        "A weekly craft club trying something different each week, from card-making and "
        "decoupage to embroidery and Christmas wreaths. All materials provided, with tea "
        "and biscuits.",
        ("ARTS-CRAFT", "LONE-GRP"),
        ("community_centre", "church_hall"),
        ("TU 13:00-15:00", "FR 10:00-12:00"),
        cost=(("Session", (1.5, 2.0), "per session including materials"),),
        fees="{a0} per session including materials.",
    ),
    "sewing_bee": Template(
        "{area} sewing bee",
        "Learn to use a sewing machine, alter and mend clothes and make simple projects "
        "like tote bags and cushions. Machines and fabric provided by experienced "
        "volunteer sewers.",
        ("ARTS-CRAFT",),
        ("community_centre", "church_hall"),
        ("WE 18:00-20:00",),
        cost=(("Session", (2.0,), "per session"),),
        fees="{a0} per session.",
    ),
    "choir": Template(
        "{area} community choir",
        "A friendly, non-auditioned choir singing pop, folk, soul and gospel in harmony. "
        "Songs are taught by ear so you don't need to read music. Singing together is "
        "great for breathing, mood and making friends.",
        ("ARTS-MUSIC", "LONE-GRP"),
        ("church_hall", "methodist", "community_centre"),
        ("MO 19:00-21:00", "TU 19:30-21:00", "WE 14:00-15:30"),
        cost=(
            ("Term", (30.0, 40.0), "per 10-week term; first session free"),
            ("Concession", (15.0,), "per term for people on benefits"),
        ),
        fees="{a0} per term, {a1} concessions. Your first session is free.",
    ),
    "ukulele": Template(
        "Ukulele group, {area}",
        "Learn to play the ukulele from scratch in a relaxed group and build up to "
        "playing along to old favourites. Ukuleles can be borrowed.",
        ("ARTS-MUSIC",),
        ("community_centre", "church_hall"),
        ("TH 14:00-15:30",),
        cost=(("Session", (2.0,), "per session"),),
        fees="{a0} per session.",
    ),
    "singing_lungs": Template(
        "Singing for lung health, {area}",
        "Singing sessions designed with respiratory specialists for people with COPD, "
        "asthma and other lung conditions. Breathing exercises and songs help with "
        "posture, breath control and managing breathlessness.",
        ("ARTS-MUSIC", "HEALTH-LTC"),
        ("community_centre", "church_hall"),
        ("TU 13:30-15:00",),
        ages=ADULTS,
        apply="Phone to book your first session.",
    ),
    "creative_writing": Template(
        "Creative writing group, {area}",
        "Fortnightly creative writing workshops for adults of all abilities, with "
        "prompts, short exercises and a chance to share your work if you want to. "
        "Poetry, memoir and fiction all welcome.",
        ("ARTS-WRITE",),
        ("library", "cafe"),
        ("2W:TU 18:30-20:30", "2W:SA 10:30-12:30"),
        ages=ADULTS,
    ),
    # -- gardening and nature -------------------------------------------------
    "allotment": Template(
        "{area} community allotment",
        "Grow fruit, vegetables and flowers alongside others on a shared allotment, with "
        "guidance from a community gardener. No experience needed; tools, seeds and "
        "gloves provided. Take home what you grow.",
        ("NATURE-GARDEN",),
        ("garden",),
        ("WE 10:00-14:00", "FR 10:00-14:00"),
        elig="Everyone welcome, including people with disabilities; please ask about access.",
    ),
    "therapeutic_gardening": Template(
        "Therapeutic gardening, {area}",
        "Small-group horticultural therapy for adults recovering from mental ill health "
        "or stroke, or living with learning disabilities or long-term conditions. "
        "Sessions are led by a qualified horticultural therapist, with raised beds and "
        "accessible paths.",
        ("NATURE-GARDEN", "MH"),
        ("garden",),
        ("TU 10:00-13:00", "TH 10:00-13:00"),
        ages=ADULTS,
        apply="Referral from a health or social care professional or link worker.",
        extra=(("wait_time", ("Courses run for 12 weeks; new groups start every quarter.")),),
    ),
    "volunteer_gardening": Template(
        "Volunteer gardening days, {area}",
        "Help look after the community garden and orchard: planting, weeding, pruning "
        "and building raised beds. Lunch is shared, and there are jobs for every level of "
        "fitness.",
        ("NATURE-GARDEN", "LEARN-VOL"),
        ("garden",),
        ("WE 10:00-15:00", "SA 10:00-13:00"),
        ages=(16, None),
    ),
    "forest_school": Template(
        "Family forest school, {area}",
        "Outdoor play and learning in the woods for families with young children: den "
        "building, mud kitchens, bug hunts and campfire snacks. Dress for the weather; "
        "waterproofs can be borrowed.",
        ("FAM-TODDLER", "NATURE"),
        ("park", "garden"),
        ("FR 10:00-11:30",),
        cost=(("Family", (3.0,), "per family per session"),),
        fees="{a0} per family.",
        ages=(2, 5),
        elig="Children aged 2-5 with a parent or carer.",
    ),
    # -- learning, digital, ESOL --------------------------------------------------
    "digital_dropin": Template(
        "Digital help drop-in, {venue}",
        "Free help with phones, tablets and laptops from friendly Digital Champions: "
        "setting up email, shopping safely online, using the NHS App and staying in "
        "touch by video. Devices available to use on site.",
        ("LEARN-DIGI",),
        ("library", "community_centre", "hub"),
        ("MO 13:00-15:00", "WE 10:00-12:00", "FR 10:00-12:00"),
    ),
    "device_lending": Template(
        "Tablet and data lending scheme",
        "Borrow a tablet with free mobile data for up to six months, with setup help and "
        "weekly support calls from a Digital Champion. For people who can't afford a "
        "device or data, such as people on low incomes, older people and refugees.",
        ("LEARN-DIGI",),
        ("base",),
        ("MO-FR 09:30-16:30",),
        apply="Referral from a support worker, link worker or advice agency.",
        docs=("Signed loan agreement (completed at collection)",),
    ),
    "tech_helpline": Template(
        "Tech helpline",
        "A free phone helpline for anyone in Leeds stuck with technology: forgotten "
        "passwords, setting up a new phone, using the NHS App or spotting scams. "
        "Volunteers call you back and talk you through it step by step.",
        ("LEARN-DIGI",),
        ("phone",),
        ("MO-FR 10:00-15:00",),
    ),
    "conversation_cafe": Template(
        "English conversation café, {venue}",
        "A friendly place to practise speaking English over tea and biscuits with "
        "volunteers and other learners. All levels welcome, from beginners to fluent "
        "speakers who want more confidence. Information about ESOL classes available.",
        ("LEARN-ESOL", "LONE-GRP"),
        ("library", "community_centre", "church_hall", "cafe"),
        ("MO 13:00-14:30", "TU 10:00-11:30", "TH 13:30-15:00", "SA 11:00-12:30"),
        langs=("ar", "ku", "fa"),
    ),
    "esol_preentry": Template(
        "ESOL pre-entry class, {area}",
        "A community English class for complete beginners and people who have had "
        "little schooling, including help reading and writing the alphabet. Small groups "
        "with patient tutors and bilingual volunteers, and a stepping stone into college "
        "courses.",
        ("LEARN-ESOL",),
        ("community_centre", "church_hall"),
        ("MO,WE 10:00-12:00", "TU,TH 13:00-15:00"),
        ages=ADULTS,
        langs=("ar", "ku", "ti", "fa"),
        apply="Drop in to enrol on any session day.",
    ),
    "womens_esol": Template(
        "Women's ESOL with crèche, {area}",
        "An English class for women only, with a free crèche for children under 5. "
        "Covers everyday English for shopping, health appointments and school, in a "
        "relaxed and friendly group.",
        ("LEARN-ESOL", "FAM"),
        ("community_centre",),
        ("TU,TH 09:30-11:30",),
        ages=ADULTS,
        elig="Women aged 18 and over.",
        langs=("ur", "bn", "ar", "sk"),
        apply="Phone or drop in to enrol.",
    ),
    "language_exchange": Template(
        "Language exchange café, {area}",
        "Meet people from all over the world and practise a new language in a relaxed "
        "evening café. Tables are arranged by language, including English, Arabic, "
        "Spanish, Polish, Mandarin and Urdu, and swap every half hour.",
        ("LEARN-ESOL", "LONE-GRP"),
        ("cafe", "community_centre"),
        ("WE 18:30-20:30",),
        cost=(("Entry", (2.0,), "including a drink"),),
        fees="{a0} including a drink.",
        ages=ADULTS,
        langs=("ar", "es", "pl", "zh", "ur"),
    ),
    "jobs_club": Template(
        "Work ready club, {area}",
        "Weekly help with CVs, job searching, applications and interview practice, with "
        "free computers and printing. Advisers can also help with Universal Credit work "
        "search commitments and finding training.",
        ("LEARN",),
        ("library", "hub", "community_centre"),
        ("TU 13:00-16:00",),
        ages=(16, None),
    ),
    "volunteering_advice": Template(
        "Volunteering advice and matching",
        "Find a volunteering role that suits you from hundreds of opportunities across "
        "Leeds, with one-to-one advice from a volunteer coordinator. Supported "
        "volunteering is available for people who need extra help to get started.",
        ("LEARN-VOL",),
        ("base",),
        ("TU,TH 10:00-16:00", "WE 12:00-18:00"),
        ages=(16, None),
        apply="Book an appointment online or drop in.",
    ),
    # -- families -------------------------------------------------------------
    "stay_play": Template(
        "{area} stay and play",
        "A friendly stay-and-play session for babies and pre-school children with their "
        "parents, grandparents or carers. Toys, messy play, songs and a healthy snack, "
        "with a family support worker on hand for a chat.",
        ("FAM-TODDLER",),
        ("community_centre", "church_hall", "methodist"),
        ("MO 09:30-11:30", "TU 13:00-14:30", "WE 09:30-11:30", "TH 09:30-11:00", "FR 09:30-11:30"),
        cost=(("Family", (1.0,), "per family, including snack"),),
        fees="{a0} per family.",
        ages=(0, 4),
        elig="Children aged 0-4 with a parent or carer.",
    ),
    "dads_group": Template(
        "Dads and kids Saturday club, {area}",
        "A Saturday morning session for dads, granddads and male carers with children "
        "under 5, with play, a bacon butty and a chance to meet other dads.",
        ("FAM-TODDLER", "FAM"),
        ("community_centre",),
        ("SA 09:30-11:30",),
        ages=(0, 5),
        elig="Dads and male carers with children under 5.",
    ),
    "baby_bank": Template(
        "Baby bank, {area}",
        "Free good-quality preloved baby and children's essentials, such as prams, cots, "
        "clothes, nappies and toiletries, for families who need them. Items are packed "
        "to order and collected by the referrer or family.",
        ("FAM", "MONEY"),
        ("base",),
        ("TU,TH 10:00-14:00",),
        apply="Referral from a midwife, health visitor, social worker or support agency.",
        docs=("Referral form from a professional",),
    ),
    "uniform_exchange": Template(
        "School uniform exchange, {area}",
        "Free preloved school uniform, PE kit and school shoes for any family. Take what "
        "you need and donate what your children have outgrown.",
        ("FAM", "MONEY"),
        ("base", "community_centre"),
        ("?Last two weeks of August and first Saturday of each month, 10am-1pm",),
    ),
    # -- communities of identity and interest ---------------------------------------
    "elders_lunch": Template(
        "Caribbean elders' lunch club, {area}",
        "A weekly lunch club serving Caribbean home cooking for older people from the "
        "African-Caribbean community and their friends. After lunch there's dominoes, "
        "music and chat, with monthly talks on health and pensions.",
        ("LONE-GRP", "FOOD-MEAL"),
        ("base", "community_centre"),
        ("TH 12:00-15:00",),
        cost=(("Lunch", (4.0,), "per meal"),),
        fees="{a0} per meal.",
        ages=(55, None),
        apply="Phone to book; transport available for those who need it.",
    ),
    "dominoes": Template(
        "Dominoes and games afternoon, {area}",
        "Dominoes, cards and board games every week, with tea and cake. A sociable "
        "afternoon for older people and newcomers alike.",
        ("LONE-GRP",),
        ("base", "community_centre"),
        ("TU 13:00-16:00",),
    ),
    "health_day": Template(
        "Community health MOT, {area}",
        "A monthly drop-in health check with a community health worker: blood pressure, "
        "weight and blood sugar advice, and information on conditions that affect the "
        "African-Caribbean community such as high blood pressure, diabetes and prostate "
        "cancer.",
        ("HEALTH",),
        ("base", "community_centre"),
        ("1SA 10:00-13:00",),
        ages=ADULTS,
    ),
    "polish_social": Template(
        "Polish seniors' club, {area}",
        "A social club for older Polish speakers in Leeds with coffee, cake, films, "
        "talks and celebrations of Polish holidays. A chance to meet people and speak "
        "your own language; volunteers can help with letters in English.",
        ("LONE-GRP",),
        ("community_centre", "church_hall"),
        ("SA 11:00-14:00",),
        ages=OLDER,
        langs=("pl",),
        alt="Klub Seniora",
    ),
    "polish_advice": Template(
        "Advice in Polish, {area}",
        "Bilingual advisers help Polish speakers with benefits, EU Settlement Scheme "
        "status, housing, employment rights and official letters. Appointments and "
        "drop-in.",
        ("MONEY-BEN", "HOUSE-ADV"),
        ("community_centre", "base"),
        ("WE 16:00-19:00",),
        langs=("pl",),
        docs=(("Any letters about your problem and your share code if you have one"),),
    ),
    "polish_mums": Template(
        "Polish mums and tots, {area}",
        "A bilingual stay-and-play group for Polish-speaking parents and carers with "
        "children under 5. Songs and stories in Polish and English.",
        ("FAM-TODDLER",),
        ("community_centre", "church_hall"),
        ("FR 10:00-11:30",),
        ages=(0, 4),
        langs=("pl",),
    ),
    "lgbt_social": Template(
        "Rainbow Elders social, {area}",
        "A social group for LGBTQ+ people aged 50 and over and their friends, with "
        "coffee mornings, film afternoons and outings. A safe, welcoming space to meet "
        "people who share similar experiences.",
        ("LONE-GRP",),
        ("cafe", "community_centre"),
        ("2TH 14:00-16:00", "-1SU 13:00-15:00"),
        ages=(50, None),
    ),
    "veterans_breakfast": Template(
        "Veterans' breakfast club, {area}",
        "A monthly breakfast for anyone who has served in the armed forces, reservists "
        "and their families. Good food and banter, with information on veterans' "
        "services.",
        ("LONE-GRP",),
        ("cafe", "community_centre"),
        ("1SA 09:00-11:00", "2SU 09:30-11:30"),
        cost=(("Breakfast", (5.0,), "pay for your own breakfast"),),
        fees="About {a0} for a full breakfast.",
        ages=ADULTS,
    ),
    "sight_loss_club": Template(
        "Sight loss social club, {area}",
        "A social club for people with sight loss with talks, quizzes and technology "
        "tips. Volunteer guides can meet you at the bus stop, and rehabilitation "
        "officers visit regularly to advise on equipment.",
        ("HEALTH-SENS", "LONE-GRP"),
        ("community_centre", "library"),
        ("2W:WE 13:30-15:30", "1MO 10:30-12:30"),
    ),
    "talking_news": Template(
        "Talking newspaper",
        "A free weekly audio digest of Leeds news and features, read by volunteers and "
        "delivered on USB stick or as a podcast. For people with sight loss, dyslexia or "
        "anyone who finds reading difficult.",
        ("HEALTH-SENS", "ARTS-WRITE"),
        ("phone",),
        ("?Posted every Thursday; podcast available from Friday",),
    ),
    "stroke_cafe": Template(
        "Stroke survivors' café, {area}",
        "A monthly café for stroke survivors and their families to meet others, share "
        "experiences and get information from stroke coordinators. Communication support "
        "for people with aphasia.",
        ("HEALTH-LTC", "LONE-GRP"),
        ("community_centre", "cafe", "church_hall"),
        ("1TU 14:00-16:00", "3TH 10:30-12:30"),
    ),
    "games_club": Template(
        "{area} games club",
        "Board games, cards, bridge, Scrabble and jigsaws in a friendly afternoon club. "
        "Beginners can learn bridge with experienced players.",
        ("LONE-GRP",),
        ("base", "community_centre"),
        ("TH 13:30-16:00",),
        cost=(("Session", (2.0,), "including tea and biscuits"),),
        fees="{a0} per session.",
    ),
    "community_fridge": Template(
        "{area} community fridge",
        "A community fridge sharing surplus food from local supermarkets, bakeries and "
        "allotments, free to anyone. Take what you need, no questions asked.",
        ("FOOD-PANTRY",),
        ("base", "community_centre"),
        ("MO,WE,FR 12:00-16:00",),
        elig="Everyone welcome.",
    ),
}


# ---------------------------------------------------------------------------
# Organisations
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Org:
    """An invented (or, for the council, real) organisation and the services it runs."""

    key: str
    name: str
    legal: str
    year: int
    home: str
    desc: str
    services: tuple[ServiceSpec, ...]
    alt: str = ""
    parent: str = ""
    base: str = ""
    small: bool = False
    funding: str = ""


def each(template: str, *areas: str) -> tuple[ServiceSpec, ...]:
    """One single-location service of `template` in each of `areas`."""
    return tuple((template, (area,), "") for area in areas)


def one(template: str, *areas: str, name: str = "") -> tuple[ServiceSpec]:
    """One service of `template` offered at all `areas` (1-3 locations)."""
    return ((template, tuple(areas), name),)


def neighbourhood_scheme(
    key: str, name: str, home: str, second: str, year: int, base: str, extras: tuple[ServiceSpec, ...] = ()
) -> Org:
    """An older people's neighbourhood scheme covering two areas."""
    return Org(
        key,
        name,
        "Registered charity",
        year,
        home,
        f"A local charity helping older people in {home}, {second} and surrounding "
        "neighbourhoods to live independently, stay connected and keep well. Run by a "
        "small staff team and many local volunteers.",
        each("lunch_club", home, second)
        + each("befriending", home)
        + each("chair_exercise", second)
        + each("coffee_morning", home)
        + extras,
        base=base,
        funding="Leeds City Council neighbourhood networks grant and local fundraising.",
    )


ORGS: tuple[Org, ...] = (
    Org(
        "leeds-city-council",
        "Leeds City Council",
        "Local authority",
        1974,
        "City Centre",
        "The metropolitan district council for Leeds. Council teams listed here cover "
        "housing options, welfare rights and local welfare support; libraries, adult "
        "learning, active communities and parks teams are listed separately.",
        one("housing_options", "City Centre") + one("welfare_rights_line", "phone") + one("local_welfare", "phone"),
    ),
    Org(
        "leeds-libraries",
        "Leeds Libraries",
        "Local authority service",
        1974,
        "City Centre",
        "The council's library service, running community libraries and hubs across "
        "Leeds with free computers, reading groups, digital help and activities for "
        "families.",
        each("library_digital", "City Centre", "Armley", "Seacroft", "Pudsey", "Morley", "Harehills")
        + each("reading_group", "Headingley", "Horsforth", "Rothwell", "Wetherby", "Cookridge")
        + each("knit_natter", "Bramley", "Garforth", "Otley")
        + each("rhyme_time", "Chapeltown", "Beeston", "Cross Gates", "Yeadon")
        + one("home_library", "phone"),
        parent="leeds-city-council",
    ),
    Org(
        "leeds-adult-learning",
        "Leeds Adult Learning Service",
        "Local authority service",
        1974,
        "City Centre",
        "Council-run community learning for adults: English classes, digital skills and "
        "family learning in venues across the city.",
        each("esol_class", "City Centre", "Harehills", "Beeston")
        + each("family_cooking", "Seacroft", "Middleton")
        + each("computer_course", "Armley", "Pudsey"),
        parent="leeds-city-council",
    ),
    Org(
        "leeds-active-communities",
        "Leeds Active Communities",
        "Local authority service",
        1974,
        "City Centre",
        "The council's sport and active lifestyles team, running leisure centres and "
        "activity programmes for people who are less active, older or living with health "
        "conditions.",
        each("strength_balance", "Armley", "Seacroft", "Morley")
        + each("walking_football", "Middleton", "Bramley")
        + each("swim60", "Garforth", "Horsforth")
        + one("exercise_referral", "City Centre", "Armley", "Seacroft"),
        alt="Active Communities",
        parent="leeds-city-council",
    ),
    Org(
        "leeds-parks",
        "Leeds Parks and Countryside",
        "Local authority service",
        1974,
        "Roundhay",
        "The council team that manages Leeds' parks, woodlands and nature reserves, "
        "supporting friends groups and volunteers.",
        each("park_volunteers", "Roundhay", "Middleton", "Halton Moor") + each("ranger_walks", "Cookridge"),
        parent="leeds-city-council",
    ),
    Org(
        "leeds-community-wellbeing-nhs",
        "Leeds Community Wellbeing NHS Trust",
        "NHS trust",
        2011,
        "City Centre",
        "NHS trust providing community health services in Leeds, including health "
        "improvement, long-term condition support and stop smoking services.",
        each("better_breathing", "Seacroft", "Beeston")
        + one("diabetes_education", "City Centre", "online")
        + one("weight_management", "Harehills", "Armley", "online")
        + one("stop_smoking", "City Centre", "phone"),
        alt="LCWT",
    ),
    Org(
        "leeds-wharfe-mental-health-nhs",
        "Leeds and Wharfe Mental Health NHS Foundation Trust",
        "NHS foundation trust",
        2007,
        "City Centre",
        "NHS foundation trust providing mental health services for adults in Leeds, "
        "including talking therapies, a recovery college and out-of-hours crisis support.",
        one("recovery_college", "City Centre", "online")
        + one("crisis_cafe", "City Centre")
        + one("talking_therapies", "phone", "online"),
    ),
    Org(
        "inner-west-leeds-pcn",
        "Inner West Leeds Primary Care Network",
        "GP practices working as a primary care network",
        2019,
        "Armley",
        "Six GP practices in Armley, Bramley and Wortley working together to offer extra "
        "services such as social prescribing and health coaching.",
        one("link_worker", "Armley", "Bramley") + each("wellbeing_coach", "Armley"),
    ),
    Org(
        "east-leeds-pcn",
        "East Leeds Primary Care Network",
        "GP practices working as a primary care network",
        2019,
        "Seacroft",
        "GP practices in Seacroft, Cross Gates and Halton working together on social "
        "prescribing, health coaching and care coordination.",
        one("link_worker", "Seacroft", "Cross Gates", "Halton Moor") + each("wellbeing_coach", "Seacroft"),
    ),
    neighbourhood_scheme(
        "armley-wortley-good-neighbours",
        "Armley and Wortley Good Neighbours",
        "Armley",
        "Wortley",
        1991,
        "Armley Good Neighbours Centre",
        each("digital_buddies", "Armley") + each("outings", "Armley") + each("tea_dance", "Wortley"),
    ),
    neighbourhood_scheme(
        "seacroft-swarcliffe-network",
        "Seacroft and Swarcliffe Neighbourhood Network",
        "Seacroft",
        "Swarcliffe",
        1994,
        "Seacroft Network Centre",
        one("telephone_befriending", "phone") + each("outings", "Seacroft"),
    ),
    neighbourhood_scheme(
        "bramley-pudsey-community-care",
        "Bramley and Pudsey Community Care",
        "Bramley",
        "Pudsey",
        1989,
        "Bramley Community Care Centre",
        each("digital_buddies", "Bramley") + each("handyperson", "Bramley"),
    ),
    neighbourhood_scheme(
        "morley-tingley-older-peoples-network",
        "Morley and Tingley Older People's Network",
        "Morley",
        "Tingley",
        1997,
        "The Network Rooms, Morley",
        each("outings", "Morley") + each("tea_dance", "Morley") + each("handyperson", "Morley"),
    ),
    neighbourhood_scheme(
        "wharfedale-good-neighbours",
        "Wharfedale Good Neighbours",
        "Otley",
        "Guiseley",
        1993,
        "Wharfedale Good Neighbours Office",
        one("telephone_befriending", "phone") + each("digital_buddies", "Otley") + each("outings", "Otley"),
    ),
    neighbourhood_scheme(
        "garforth-kippax-community-care",
        "Garforth, Kippax and District Community Care",
        "Garforth",
        "Kippax",
        1990,
        "Garforth Community Care Centre",
        each("outings", "Garforth") + each("handyperson", "Garforth") + each("coffee_morning", "Scholes"),
    ),
    neighbourhood_scheme(
        "middleton-belle-isle-over-60s",
        "Middleton and Belle Isle Over 60s Action",
        "Middleton",
        "Belle Isle",
        1998,
        "Middleton Over 60s Action Centre",
        each("digital_buddies", "Middleton") + each("tea_dance", "Belle Isle"),
    ),
    neighbourhood_scheme(
        "moortown-roundhay-good-neighbours",
        "Moortown and Roundhay Good Neighbours",
        "Moortown",
        "Roundhay",
        1995,
        "Moortown Good Neighbours Office",
        one("telephone_befriending", "phone") + each("outings", "Moortown") + each("digital_buddies", "Moortown"),
    ),
    Org(
        "leeds-carers-hub",
        "Leeds Carers Hub",
        "Charitable incorporated organisation",
        2003,
        "City Centre",
        "Independent charity supporting unpaid carers of all ages in Leeds with advice, "
        "support groups, breaks and emergency planning.",
        each("carers_group", "Armley", "Seacroft", "Moortown", "online")
        + one("carers_line", "phone")
        + one("carers_breaks", "City Centre")
        + one("young_adult_carers", "City Centre")
        + one("carers_emergency_plan", "phone"),
        base="Leeds Carers Hub",
        funding="Leeds City Council and NHS Leeds carers contract.",
    ),
    Org(
        "memory-lane-cafes-leeds",
        "Memory Lane Cafés Leeds",
        "Registered charity",
        2012,
        "Horsforth",
        "Volunteer-led charity running memory cafés and singing groups across Leeds for "
        "people living with dementia and the people who care for them.",
        each("memory_cafe", "Horsforth", "Rothwell", "Cross Gates", "Pudsey")
        + each("songs_memories", "Headingley", "Morley"),
    ),
    Org(
        "leeds-community-advice",
        "Leeds Community Advice",
        "Registered charity",
        1978,
        "City Centre",
        "Independent advice charity giving free, confidential advice on benefits, debt, "
        "housing, employment and consumer problems from community venues across Leeds.",
        each("advice_dropin", "City Centre", "Harehills", "Beeston", "Seacroft")
        + one("advice_line", "phone")
        + one("benefits_help", "Armley", "Chapeltown", "Gipton"),
        alt="LCA",
        funding="Leeds City Council advice services contract.",
    ),
    Org(
        "money-matters-leeds",
        "Money Matters Leeds",
        "Registered charity",
        2008,
        "City Centre",
        "Free debt advice and money coaching for people in Leeds, from specialist "
        "advisers who understand how stressful money problems can be.",
        one("debt_advice", "City Centre", "Harehills", "phone")
        + each("budgeting_workshop", "Middleton", "Bramley")
        + one("money_coaching", "online"),
    ),
    Org(
        "warm-homes-leeds",
        "Warm Homes Leeds",
        "Community interest company",
        2014,
        "Armley",
        "Community energy company helping Leeds households stay warm, cut energy bills "
        "and get grants for home improvements.",
        one("energy_visits", "phone")
        + each("energy_dropin", "Armley", "Gipton")
        + each("warm_space", "Hunslet", "Harehills"),
    ),
    Org(
        "home-base-leeds",
        "Home Base Leeds",
        "Registered charity",
        1986,
        "City Centre",
        "Independent housing advice charity for tenants, homeowners and people who are "
        "homeless or at risk of homelessness in Leeds.",
        each("housing_dropin", "City Centre", "Harehills")
        + one("tenancy_support", "phone")
        + one("private_renters", "online")
        + one("clutter_group", "City Centre"),
        base="Home Base Advice Centre",
    ),
    Org(
        "south-leeds-community-pantry",
        "South Leeds Community Pantry",
        "Community interest company",
        2019,
        "Beeston",
        "Low-cost food clubs and a pay-as-you-feel café in south Leeds, reducing food "
        "waste and helping families stretch their budget.",
        each("pantry", "Beeston", "Hunslet", "Middleton") + each("payf_cafe", "Beeston"),
        base="South Leeds Pantry and Café",
    ),
    Org(
        "east-leeds-food-share",
        "East Leeds Food Share",
        "Registered charity",
        2011,
        "Seacroft",
        "Church-supported food bank network giving emergency food and support in east Leeds.",
        each("food_bank", "Seacroft", "Gipton", "Halton Moor") + each("cook_eat", "Seacroft"),
        funding="Local churches, supermarkets and individual donors.",
    ),
    Org(
        "north-west-leeds-food-bank",
        "North West Leeds Food Bank",
        "Registered charity",
        2013,
        "Headingley",
        "Independent food bank serving Headingley, Kirkstall, Horsforth and Aireborough.",
        each("food_bank", "Headingley", "Kirkstall", "Yeadon"),
    ),
    Org(
        "harehills-community-kitchen",
        "Harehills Community Kitchen",
        "Community interest company",
        2017,
        "Harehills",
        "Community kitchen serving free shared meals and running cooking courses in Harehills and Chapeltown.",
        each("community_meal", "Harehills", "Chapeltown") + each("cook_eat", "Harehills"),
        base="Harehills Community Kitchen",
    ),
    Org(
        "open-door-wellbeing-leeds",
        "Open Door Wellbeing Leeds",
        "Registered charity",
        2001,
        "City Centre",
        "Mental health charity running peer support groups, talking groups and wellbeing "
        "walks for adults across Leeds.",
        each("peer_support", "City Centre", "Headingley", "Pudsey", "online")
        + each("mens_talking", "Morley", "Seacroft")
        + each("wellbeing_walk", "Roundhay")
        + one("hearing_voices", "City Centre"),
        funding="NHS Leeds mental health grants and a local community foundation.",
    ),
    Org(
        "together-minds-leeds",
        "Together Minds Leeds",
        "Charitable incorporated organisation",
        2015,
        "Harehills",
        "Culturally sensitive mental health and wellbeing support for South Asian and "
        "other minority ethnic communities in Leeds, in community languages.",
        each("womens_circle", "Harehills")
        + each("south_asian_men", "Beeston")
        + one("wellbeing_workshops", "Harehills"),
        base="Together Minds Wellbeing Centre",
    ),
    Org(
        "still-here-bereavement-leeds",
        "Still Here Bereavement Support",
        "Charitable incorporated organisation",
        2009,
        "City Centre",
        "Leeds charity offering bereavement support groups, counselling and walking "
        "groups for adults who have lost someone close.",
        each("bereavement_group", "Armley", "Cross Gates", "Horsforth")
        + one("bereavement_counselling", "City Centre", "online")
        + one("suicide_bereaved", "City Centre")
        + each("bereavement_walk", "Kirkstall"),
        base="Still Here Counselling Rooms",
    ),
    Org(
        "kirkstall-mens-shed",
        "Kirkstall Men's Shed",
        "Charitable incorporated organisation",
        2016,
        "Kirkstall",
        "Community workshop for people to make, mend and socialise.",
        each("mens_shed", "Kirkstall") + each("repair_cafe", "Kirkstall"),
        base="Kirkstall Men's Shed workshop",
        small=True,
    ),
    Org(
        "pudsey-mens-shed",
        "Pudsey Men's Shed",
        "Unincorporated association",
        2018,
        "Pudsey",
        "Volunteer-run men's shed for woodwork, repairs and friendship.",
        each("mens_shed", "Pudsey"),
        base="Pudsey Men's Shed workshop",
        small=True,
    ),
    Org(
        "rothwell-mens-shed",
        "Rothwell Men's Shed",
        "Unincorporated association",
        2019,
        "Rothwell",
        "A friendly community workshop in Rothwell.",
        each("mens_shed", "Rothwell"),
        base="Rothwell Men's Shed workshop",
        small=True,
    ),
    Org(
        "wetherby-community-shed",
        "Wetherby Community Shed",
        "Charitable incorporated organisation",
        2017,
        "Wetherby",
        "Community shed and repair café for people of all ages in Wetherby and Boston Spa.",
        (("mens_shed", ("Wetherby",), "Wetherby Community Shed"), *each("repair_cafe", "Wetherby")),
        base="Wetherby Community Shed workshop",
        small=True,
    ),
    Org(
        "step-out-leeds",
        "Step Out Leeds",
        "Charitable incorporated organisation",
        2010,
        "City Centre",
        "Walking charity running free volunteer-led health walks, buggy walks and Nordic "
        "walking in parks across Leeds.",
        each(
            "health_walk",
            "Roundhay",
            "Middleton",
            "Halton Moor",
            "Kirkstall",
            "Pudsey",
            "Otley",
            "Meanwood",
            "Horsforth",
            "Garforth",
            "Cookridge",
            "Beeston",
            "Morley",
        )
        + each("buggy_walk", "Roundhay", "Armley")
        + each("nordic_walk", "Meanwood"),
        funding="Active travel and physical activity grants.",
    ),
    Org(
        "strong-and-steady-leeds",
        "Strong and Steady Leeds",
        "Community interest company",
        2016,
        "Moortown",
        "Instructor-led gentle exercise classes for older people and people with limited "
        "mobility in community venues across Leeds.",
        each("chair_yoga", "Headingley", "Chapeltown", "Wetherby")
        + each("tai_chi", "Moortown", "Pudsey", "Rothwell")
        + each("seated_dance", "Gipton", "Bramley"),
    ),
    Org(
        "leeds-cycle-buddies",
        "Leeds Cycle Buddies",
        "Registered charity",
        2012,
        "Hunslet",
        "Cycling charity helping adults learn to ride, ride together and keep their bikes on the road.",
        each("learn_ride", "Middleton") + each("led_ride", "Kirkstall", "Roundhay") + each("bike_workshop", "Hunslet"),
        base="Cycle Buddies Bike Hub",
    ),
    Org(
        "colour-and-clay-arts",
        "Colour and Clay Arts",
        "Community interest company",
        2013,
        "Headingley",
        "Community arts studio offering arts on prescription, open studios and pottery.",
        each("arts_prescription", "Headingley", "Chapeltown")
        + each("open_studio", "Headingley", "Armley")
        + each("pottery", "Headingley"),
        base="Colour and Clay Studio",
    ),
    Org(
        "holbeck-craft-collective",
        "Holbeck Craft Collective",
        "Unincorporated association",
        2018,
        "Hunslet",
        "Volunteer-run craft group in Holbeck and Hunslet: knitting, sewing and making.",
        each("knit_natter", "Hunslet") + each("sewing_bee", "Hunslet") + each("craft_club", "Beeston"),
        small=True,
    ),
    Org(
        "sing-out-leeds",
        "Sing Out Leeds",
        "Registered charity",
        2006,
        "Chapeltown",
        "Charity running community choirs and singing-for-health groups across Leeds.",
        each("choir", "Harehills", "Headingley", "Pudsey", "Garforth")
        + each("ukulele", "Morley")
        + each("singing_lungs", "Seacroft"),
    ),
    Org(
        "write-here-leeds",
        "Write Here Leeds",
        "Unincorporated association",
        2014,
        "City Centre",
        "Volunteer-led creative writing groups for adults.",
        each("creative_writing", "City Centre", "Otley"),
        small=True,
    ),
    Org(
        "grow-together-leeds",
        "Grow Together Leeds",
        "Registered charity",
        2005,
        "Meanwood",
        "Gardening charity running community allotments and therapeutic horticulture across Leeds.",
        each("allotment", "Armley", "Seacroft", "Middleton") + each("therapeutic_gardening", "Meanwood", "Cross Gates"),
        funding="NHS Leeds, charitable trusts and plant sales.",
    ),
    Org(
        "meanwood-beck-growing-project",
        "Meanwood Beck Growing Project",
        "Community interest company",
        2015,
        "Meanwood",
        "Community garden, orchard and woodland project in the Meanwood valley.",
        each("volunteer_gardening", "Meanwood", "Cookridge") + each("forest_school", "Meanwood"),
    ),
    Org(
        "get-online-leeds",
        "Get Online Leeds",
        "Charitable incorporated organisation",
        2017,
        "City Centre",
        "Digital inclusion charity helping people in Leeds get online with devices, data and friendly support.",
        each("digital_dropin", "Harehills", "Beeston", "Seacroft", "Bramley")
        + one("device_lending", "City Centre")
        + one("tech_helpline", "phone"),
        base="Get Online Leeds Digital Hub",
    ),
    Org(
        "speak-up-leeds",
        "Speak Up Leeds",
        "Registered charity",
        2004,
        "Harehills",
        "English language charity for refugees, asylum seekers and migrants in Leeds.",
        each("conversation_cafe", "City Centre", "Harehills", "Beeston", "Headingley")
        + each("esol_preentry", "Harehills", "Armley")
        + each("womens_esol", "Chapeltown"),
    ),
    Org(
        "hyde-park-language-exchange",
        "Hyde Park Language Exchange",
        "Unincorporated association",
        2016,
        "Headingley",
        "Volunteer-run language exchange evenings bringing together newcomers, students and long-term residents.",
        each("language_exchange", "Headingley", "City Centre"),
        small=True,
    ),
    Org(
        "little-steps-family-groups",
        "Little Steps Family Groups",
        "Registered charity",
        2002,
        "Gipton",
        "Family charity running stay-and-play sessions and dads' groups across Leeds.",
        each("stay_play", "Gipton", "Armley", "Middleton", "Pudsey", "Chapeltown") + each("dads_group", "Cross Gates"),
    ),
    Org(
        "bundles-baby-bank-leeds",
        "Bundles Baby Bank Leeds",
        "Charitable incorporated organisation",
        2018,
        "Hunslet",
        "Baby bank and uniform exchange providing free essentials to families in Leeds.",
        each("baby_bank", "Hunslet") + each("uniform_exchange", "Hunslet"),
        base="Bundles Baby Bank warehouse",
    ),
    Org(
        "chapeltown-elders-circle",
        "Chapeltown Elders Circle",
        "Registered charity",
        1984,
        "Chapeltown",
        "Community organisation for African-Caribbean elders in Chapeltown and Harehills.",
        each("elders_lunch", "Chapeltown") + each("dominoes", "Chapeltown") + each("health_day", "Chapeltown"),
        base="Chapeltown Elders Centre",
    ),
    Org(
        "polish-community-hub-leeds",
        "Polish Community Hub Leeds",
        "Registered charity",
        2009,
        "Harehills",
        "Social and advice hub for Polish speakers in Leeds.",
        each("polish_social", "Harehills") + each("polish_advice", "Harehills") + each("polish_mums", "Cross Gates"),
        alt="Polski Punkt Leeds",
    ),
    Org(
        "rainbow-elders-leeds",
        "Rainbow Elders Leeds",
        "Unincorporated association",
        2015,
        "City Centre",
        "Social group for LGBTQ+ people over 50 in Leeds.",
        each("lgbt_social", "City Centre", "online"),
        small=True,
    ),
    Org(
        "leeds-veterans-breakfast-club",
        "Leeds Veterans' Breakfast Club",
        "Unincorporated association",
        2016,
        "Morley",
        "Informal breakfast clubs for armed forces veterans and their families.",
        each("veterans_breakfast", "Morley", "Seacroft"),
        small=True,
    ),
    Org(
        "leeds-sight-loss-social",
        "Leeds Sight Loss Social Club",
        "Registered charity",
        1972,
        "City Centre",
        "Social clubs and a talking newspaper for people with sight loss in Leeds.",
        each("sight_loss_club", "City Centre", "Horsforth") + one("talking_news", "phone"),
    ),
    Org(
        "stroke-survivors-cafe-leeds",
        "Stroke Survivors' Café Leeds",
        "Unincorporated association",
        2017,
        "Roundhay",
        "Peer-led cafés for stroke survivors and families.",
        each("stroke_cafe", "Roundhay", "Pudsey"),
        small=True,
    ),
    Org(
        "volunteer-leeds-hub",
        "Volunteer Leeds Hub",
        "Registered charity",
        1999,
        "City Centre",
        "The volunteer centre for Leeds, matching people with volunteering roles and supporting people into work.",
        one("volunteering_advice", "City Centre", "online") + each("jobs_club", "Seacroft"),
        base="Leeds Volunteer Centre",
    ),
    Org(
        "wetherby-community-association",
        "Wetherby Community Association",
        "Registered charity",
        1968,
        "Wetherby",
        "Runs the community centre in Wetherby with activities for all ages.",
        each("coffee_morning", "Wetherby") + each("games_club", "Wetherby") + each("lunch_club", "Wetherby"),
        base="Wetherby Community House",
    ),
    Org(
        "horsforth-village-hub",
        "Horsforth Village Hub",
        "Charitable incorporated organisation",
        2019,
        "Horsforth",
        "Community hub in Horsforth with a repair café, community fridge and coffee mornings.",
        each("repair_cafe", "Horsforth") + each("community_fridge", "Horsforth") + each("coffee_morning", "Horsforth"),
        base="Horsforth Village Hub",
    ),
    Org(
        "rothwell-district-community-trust",
        "Rothwell and District Community Trust",
        "Registered charity",
        2002,
        "Rothwell",
        "Community trust running activities and a warm space in Rothwell, Oulton and Woodlesford.",
        each("warm_space", "Rothwell") + each("coffee_morning", "Rothwell") + each("jobs_club", "Rothwell"),
    ),
)

PROGRAMS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "leeds-community-wellbeing-nhs": (
        "Healthy Living Service",
        (
            "NHS programme helping adults in Leeds to stop smoking, reach a healthy weight "
            "and live well with long-term conditions."
        ),
        ("better_breathing", "diabetes_education", "weight_management", "stop_smoking"),
    ),
    "leeds-active-communities": (
        "Active Ageing programme",
        ("Council programme of activity sessions for people aged 50+ and people with health conditions."),
        ("strength_balance", "walking_football", "swim60", "exercise_referral"),
    ),
    "leeds-carers-hub": (
        "Carers Wellbeing Programme",
        ("Groups, breaks and planning support to help unpaid carers look after their own wellbeing."),
        ("carers_group", "carers_breaks", "young_adult_carers", "carers_emergency_plan"),
    ),
    "get-online-leeds": (
        "Digital Champions programme",
        "Trained volunteers helping people to get online across Leeds.",
        ("digital_dropin", "device_lending", "tech_helpline"),
    ),
}


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
def make_id(table: str, key: str) -> str:
    """A stable UUID for a row of `table` identified by `key`."""
    return str(uuid.uuid5(NAMESPACE, f"{table}:{key}"))


def slugify(text: str) -> str:
    """Lower-case, hyphenated ASCII slug."""
    text = text.replace("'", "").replace("é", "e").replace("&", "and")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def money(amount: float) -> str:
    """£3, £2.50 style."""
    return f"£{amount:.0f}" if amount == int(amount) else f"£{amount:.2f}"


def fmt_amount(amount: float) -> str:
    """Numeric cell for cost_options.amount."""
    return f"{amount:.2f}"


def fmt_time(hhmm: str) -> str:
    """'13:30' -> '1.30pm', '10:00' -> '10am'."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    suffix = "am" if hour < 12 else "pm"
    hour12 = hour % 12 or 12
    return f"{hour12}{suffix}" if minute == 0 else f"{hour12}.{minute:02d}{suffix}"


def expand_days(days: str) -> list[str]:
    """'MO-FR' -> ['MO', ..., 'FR']; 'TU,TH' -> ['TU', 'TH']."""
    if "-" in days and "," not in days:
        first, last = days.split("-")
        return list(WEEK[WEEK.index(first) : WEEK.index(last) + 1])
    return days.split(",")


def describe_days(days: list[str]) -> str:
    """Human description of weekly days."""
    if len(days) == 7:
        return "Every day"
    if len(days) >= 3 and WEEK.index(days[-1]) - WEEK.index(days[0]) == len(days) - 1:
        return f"{DAY_NAMES[days[0]]} to {DAY_NAMES[days[-1]]}"
    names = [DAY_NAMES[day] + "s" for day in days]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def parse_when(spec: str) -> Row:
    """Turn a compact schedule spec into schedule fields (see Template.when)."""
    if spec.startswith("?"):
        return {"description": spec[1:] + "."}
    days, times = spec.split(" ")
    opens, closes = times.split("-")
    hours = f"{fmt_time(opens)}-{fmt_time(closes)}"
    row: Row = {"opens_at": opens, "closes_at": closes, "freq": "WEEKLY"}
    if days.startswith("2W:"):
        day = days[3:]
        start = FORTNIGHT_ANCHOR + timedelta(days=WEEK.index(day))
        row.update(
            interval="2", byday=day, dtstart=start.isoformat(), description=f"Every other {DAY_NAMES[day]}, {hours}"
        )
        return row
    match = re.fullmatch(r"(-?\d)([A-Z]{2})", days)
    if match:
        ordinal, day = match.groups()
        row.update(
            freq="MONTHLY",
            interval="1",
            byday=days,
            description=f"{ORDINALS[ordinal]} {DAY_NAMES[day]} of the month, {hours}",
        )
        return row
    day_list = expand_days(days)
    row.update(interval="1", byday=",".join(day_list), description=f"{describe_days(day_list)} {hours}")
    return row


def format_text(text: str, values: dict[str, str]) -> str:
    """str.format with only the placeholders we use."""
    return text.format(**values)


# ---------------------------------------------------------------------------
# Builder
# ---------------------------------------------------------------------------
@dataclass
class Place:
    """A sample postcode with its coordinates and our locality/area labels."""

    postcode: str
    lat: str
    lon: str
    locality: str
    area: str


@dataclass
class Venue:
    """A generated location."""

    key: str
    id: str
    name: str
    kind: str
    area: str
    locality: str = ""
    virtual: str = ""


@dataclass
class Builder:
    """Accumulates HSDS rows table by table, drawing every choice from one RNG."""

    places: list[Place]
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    tables: dict[str, list[Row]] = field(default_factory=dict)
    pools: dict[str, list[Place]] = field(default_factory=dict)
    venues: dict[str, Venue] = field(default_factory=dict)
    area_venues: dict[str, list[str]] = field(default_factory=dict)
    org_ids: dict[str, str] = field(default_factory=dict)
    landlines: list[str] = field(default_factory=list)
    mobiles: list[str] = field(default_factory=list)
    people: list[tuple[str, str]] = field(default_factory=list)
    service_keys: set[str] = field(default_factory=set)
    in_person: list[Row] = field(default_factory=list)

    # -- setup -----------------------------------------------------------------
    def setup(self) -> None:
        """Shuffle postcode pools, phone numbers and people deterministically."""
        for place in self.places:
            self.pools.setdefault(place.area, []).append(place)
        for area in sorted(self.pools):
            self.rng.shuffle(self.pools[area])
        self.landlines = [f"0113 496 0{n:03d}" for n in range(1, 1000)]
        self.mobiles = [f"07700 900{n:03d}" for n in range(1, 1000)]
        self.rng.shuffle(self.landlines)
        self.rng.shuffle(self.mobiles)
        self.people = [(first, last) for first in FIRST_NAMES for last in SURNAMES]
        self.rng.shuffle(self.people)

    def add(self, table: str, row: Row) -> Row:
        """Append a row to a table and return it."""
        self.tables.setdefault(table, []).append(row)
        return row

    def person(self) -> tuple[str, str]:
        """Next invented person."""
        return self.people.pop()

    def phone(self, mobile: bool = False) -> str:
        """Next unused fictional number."""
        return (self.mobiles if mobile else self.landlines).pop()

    # -- dates -----------------------------------------------------------------
    def last_modified(self) -> str:
        """A weekday working-hours timestamp within the year before REFERENCE_DAY."""
        day = REFERENCE_DAY - timedelta(days=self.rng.randint(2, 364))
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        minutes = self.rng.randint(8 * 60, 17 * 60 + 45)
        return f"{day.isoformat()}T{minutes // 60:02d}:{minutes % 60:02d}:00Z"

    # -- locations -------------------------------------------------------------
    def venue_name(self, kind: str, place: Place, org: Org | None) -> str:
        """Display name for a new venue of `kind` at `place`."""
        loc = place.locality
        if kind == "base" and org is not None:
            return org.base
        if loc == "City Centre" and kind in CITY_VENUE_NAMES:
            return CITY_VENUE_NAMES[kind]
        if kind == "church_hall":
            saint = self.rng.choice(SAINTS)
            return f"{saint} Hall" if saint.endswith("Church") else f"{saint} Church Hall"
        if kind == "park":
            return PARKS.get(place.area, f"{loc} Park")
        return {
            "community_centre": f"{loc} Community Centre",
            "library": f"{loc} Library",
            "hub": f"{loc} Community Hub",
            "methodist": f"{loc} Methodist Church",
            "leisure_centre": f"{loc} Leisure Centre",
            "health_centre": f"{loc} Health Centre",
            "cafe": f"{loc} Community Café",
            "garden": f"{loc} Community Garden",
        }[kind]

    def transportation(self, street: str, place: Place) -> str:
        """A plausible getting-there note, or nothing."""
        roll = self.rng.random()
        if place.locality == "City Centre":
            return "Ten minutes' walk from Leeds railway station; buses stop nearby."
        if roll < 0.35:
            first, second = sorted(self.rng.sample(range(1, 100), 2))
            return f"Buses {first} and {second} stop on {street}."
        if roll < 0.55:
            return "Free car park on site; on-street parking nearby."
        return ""

    def new_physical(self, key: str, kind: str, area: str, org: Org | None) -> Venue | None:
        """Create a physical location with address, or None if the area is full."""
        if not self.pools.get(area):
            return None
        pool = self.pools[area]
        # an organisation's own premises sit in its home locality when the sample allows
        local = [i for i, place in enumerate(pool) if place.locality == area]
        place = pool.pop(local[-1] if kind == "base" and local else -1)
        name = self.venue_name(kind, place, org)
        venue = Venue(key, make_id("location", key), name, kind, area, place.locality)
        owner = org.key if kind == "base" and org else COUNCIL_VENUE_OWNERS.get(kind, "")
        street = self.rng.choice(CITY_STREETS if place.locality == "City Centre" else STREETS)
        number = "" if kind in ("park", "garden") else f"{self.rng.randint(1, 240)} "
        description = (
            f"Office and activity space for {org.name}." if kind == "base" and org else VENUE_DESCRIPTIONS[kind]
        )
        self.add(
            "location",
            {
                "id": venue.id,
                "location_type": "physical",
                "organization_id": self.org_ids.get(owner, ""),
                "name": name,
                "description": description,
                "transportation": self.transportation(street, place),
                "latitude": place.lat,
                "longitude": place.lon,
            },
        )
        self.add(
            "address",
            {
                "id": make_id("address", key),
                "location_id": venue.id,
                "address_1": f"Main entrance, {street}" if kind == "park" else f"{number}{street}",
                "address_2": "" if place.locality == "City Centre" else place.locality,
                "city": "Leeds",
                "state_province": "West Yorkshire",
                "postal_code": place.postcode,
                "country": "GB",
                "address_type": "physical",
            },
        )
        self.venues[key] = venue
        self.area_venues.setdefault(area, []).append(key)
        self.location_extras(venue)
        return venue

    def location_extras(self, venue: Venue) -> None:
        """Opening hours, a phone and accessibility notes for some venues."""
        for spec in OPENING_HOURS.get(venue.kind, ()):
            row = parse_when(spec)
            row.update(
                id=make_id("schedule", f"location:{venue.key}:{spec}"), location_id=venue.id, attending_type="In person"
            )
            self.add("schedule", row)
        if venue.kind in ("library", "hub", "community_centre", "leisure_centre") and self.rng.random() < 0.5:
            self.add(
                "phone",
                {
                    "id": make_id("phone", f"location:{venue.key}"),
                    "location_id": venue.id,
                    "number": self.phone(),
                    "type": "voice",
                    "description": "Reception",
                },
            )
        if venue.kind == "park":
            if self.rng.random() < 0.5:
                self.add(
                    "accessibility",
                    {
                        "id": make_id("accessibility", f"{venue.key}:paths"),
                        "location_id": venue.id,
                        "description": "Step-free access",
                        "details": "Tarmac paths suitable for wheelchairs and pushchairs; some slopes.",
                    },
                )
            return
        if self.rng.random() < 0.4:
            for label, details in self.rng.sample(ACCESSIBILITY, self.rng.randint(1, 3)):
                self.add(
                    "accessibility",
                    {
                        "id": make_id("accessibility", f"{venue.key}:{slugify(label)}"),
                        "location_id": venue.id,
                        "description": label,
                        "details": details,
                    },
                )

    def virtual_venue(self, org: Org, mode: str) -> Venue:
        """The org's online or telephone location (created once)."""
        key = f"{mode}/{org.key}"
        if key in self.venues:
            return self.venues[key]
        website = f"https://{org.key}.{WEB_DOMAIN}"
        name = f"{org.name} {'online sessions' if mode == 'online' else 'telephone service'}"
        description = (
            "Sessions run online by video call; joining details are sent when you book."
            if mode == "online"
            else "Telephone service; call the number listed for each service."
        )
        venue = Venue(key, make_id("location", key), name, mode, "Leeds", virtual=mode)
        self.add(
            "location",
            {
                "id": venue.id,
                "location_type": "virtual",
                "url": f"{website}/{'online' if mode == 'online' else 'contact'}",
                "organization_id": self.org_ids[org.key],
                "name": name,
                "description": description,
            },
        )
        self.venues[key] = venue
        return venue

    def base_venue(self, org: Org) -> Venue | None:
        """The org's own premises, if it has any."""
        if not org.base:
            return None
        key = f"base/{org.key}"
        return self.venues.get(key) or self.new_physical(key, "base", org.home, org)

    def venue_for(self, org: Org, template: Template, area: str) -> Venue:
        """Choose (or create) a location in `area` suitable for `template`."""
        if area in ("online", "phone"):
            return self.virtual_venue(org, area)
        kinds = list(template.venues)
        base = self.base_venue(org) if "base" in kinds and area == org.home else None
        if base is not None:
            return base
        kinds = [kind for kind in kinds if kind != "base"] or ["community_centre"]
        kind = self.rng.choice(kinds)
        key = f"{slugify(area)}/{kind}"
        if key in self.venues:
            return self.venues[key]
        venue = self.new_physical(key, kind, area, None)
        if venue is None:
            existing = [k for k in self.area_venues.get(area, []) if not k.startswith("base/")]
            venue = self.venues[self.rng.choice(existing or self.area_venues[area])]
        return venue

    # -- organisations -----------------------------------------------------------
    def add_org(self, org: Org) -> None:
        """Organisation row plus its phone, contact, identifiers and funding."""
        org_id = self.org_ids[org.key]
        website = f"https://{org.key}.{WEB_DOMAIN}"
        self.add(
            "organization",
            {
                "id": org_id,
                "name": org.name,
                "alternate_name": org.alt,
                "description": org.desc,
                "email": f"{self.rng.choice(('hello', 'info', 'enquiries'))}@{org.key}.{WEB_DOMAIN}",
                "website": website,
                "year_incorporated": str(org.year),
                "legal_status": org.legal,
                "parent_organization_id": self.org_ids.get(org.parent, ""),
            },
        )
        self.add(
            "phone",
            {
                "id": make_id("phone", f"organization:{org.key}"),
                "organization_id": org_id,
                "number": self.phone(mobile=org.small),
                "type": "voice",
                "description": "Leave a message and we'll call you back."
                if org.small
                else "Main office, Monday to Friday 9am-5pm.",
            },
        )
        self.add_identifiers(org, org_id)
        if not org.small and self.rng.random() < 0.5:
            first, last = self.person()
            self.add(
                "contact",
                {
                    "id": make_id("contact", f"organization:{org.key}"),
                    "organization_id": org_id,
                    "name": f"{first} {last}",
                    "title": self.rng.choice(
                        ("Chief officer", "Office manager", "Operations manager", "Centre manager")
                    ),
                    "department": "" if self.rng.random() < 0.6 else "Management",
                    "email": self.email(first, last, org),
                },
            )
        if org.funding:
            self.add(
                "funding",
                {"id": make_id("funding", f"organization:{org.key}"), "organization_id": org_id, "source": org.funding},
            )

    def add_identifiers(self, org: Org, org_id: str) -> None:
        """Charity / company / local authority identifiers, fake but well-formed."""
        schemes: list[tuple[str, str, str]] = []
        if org.legal == "Local authority":
            schemes.append(("GB-LAE", "Local authority code", "LDS"))
        if org.legal in ("Registered charity", "Charitable incorporated organisation"):
            schemes.append(("GB-CHC", "Charity number", str(self.rng.randint(1100000, 1209999))))
        if org.legal == "Registered charity" and self.rng.random() < 0.5:
            schemes.append(("GB-COH", "Company number", f"0{self.rng.randint(3000000, 9999999)}"))
        if org.legal == "Community interest company":
            schemes.append(("GB-COH", "Company number", str(self.rng.randint(10000000, 15999999))))
        for scheme, kind, value in schemes:
            self.add(
                "organization_identifier",
                {
                    "id": make_id("organization_identifier", f"{org.key}:{scheme}"),
                    "organization_id": org_id,
                    "identifier_scheme": scheme,
                    "identifier_type": kind,
                    "identifier": value,
                },
            )

    def email(self, first: str, last: str, org: Org) -> str:
        """firstname.lastname@org domain."""
        return f"{slugify(first)}.{slugify(last).replace('-', '')}@{org.key}.{WEB_DOMAIN}"

    def add_program(self, org: Org) -> str:
        """Program row for orgs listed in PROGRAMS; returns its id or ''."""
        if org.key not in PROGRAMS:
            return ""
        name, description, _ = PROGRAMS[org.key]
        program_id = make_id("program", org.key)
        self.add(
            "program",
            {"id": program_id, "organization_id": self.org_ids[org.key], "name": name, "description": description},
        )
        return program_id

    # -- services ----------------------------------------------------------------
    def add_service(self, org: Org, tkey: str, areas: tuple[str, ...], name: str, program_id: str) -> None:
        """One service with its locations, schedules, costs, phones and taxonomy."""
        template = T[tkey]
        venues = [self.venue_for(org, template, area) for area in areas]
        first = venues[0]
        area_text = {"online": "online", "phone": "Leeds", "City Centre": "Leeds city centre"}.get(
            first.locality or first.kind, first.locality
        )
        park = PARKS.get(first.area, f"{first.locality} Park")
        values = {"area": area_text, "venue": first.name, "park": park, "org": org.name}
        if len(areas) > 1 and "{" in template.name + template.desc:
            raise ValueError(f"{tkey}: multi-location template uses placeholders")
        name = name or format_text(template.name, values)
        key = f"{org.key}/{slugify(name)}"
        if key in self.service_keys:
            raise ValueError(f"duplicate service {key}")
        self.service_keys.add(key)
        service_id = make_id("service", key)
        amounts = self.add_costs(service_id, key, template)
        fee_values = {f"a{i}": money(amount) for i, amount in enumerate(amounts)}
        website = f"https://{org.key}.{WEB_DOMAIN}"
        row: Row = {
            "id": service_id,
            "organization_id": self.org_ids[org.key],
            "program_id": program_id if tkey in PROGRAMS.get(org.key, ("", "", ()))[2] else "",
            "name": name,
            "alternate_name": template.alt,
            "description": format_text(template.desc, values),
            "url": f"{website}/{slugify(name)}",
            "email": f"{self.rng.choice(('hello', 'info', 'bookings', 'groups'))}@{org.key}.{WEB_DOMAIN}"
            if self.rng.random() < 0.6
            else "",
            "status": "active",
            "application_process": format_text(template.apply, values),
            "fees_description": format_text(template.fees, fee_values),
            "eligibility_description": format_text(template.elig, values),
            "minimum_age": "" if template.ages[0] is None else str(template.ages[0]),
            "maximum_age": "" if template.ages[1] is None else str(template.ages[1]),
            "last_modified": self.last_modified(),
        }
        row.update(dict(template.extra))
        if self.rng.random() < 0.55:
            assured = date.fromisoformat(row["last_modified"][:10]) - timedelta(days=self.rng.randint(0, 45))
            row.update(assured_date=assured.isoformat(), assurer_email=ASSURER_EMAIL)
        self.add("service", row)
        if not first.virtual and org.legal not in STATUTORY:
            self.in_person.append(row)
        if template.funding:
            self.add(
                "funding",
                {"id": make_id("funding", f"service:{key}"), "service_id": service_id, "source": template.funding},
            )
        self.link_locations(service_id, key, template, venues)
        self.add_service_details(org, service_id, key, template, first)

    def add_costs(self, service_id: str, key: str, template: Template) -> list[float]:
        """cost_option rows; returns the chosen amounts in template order."""
        amounts = []
        for index, (option, choices, description) in enumerate(template.cost):
            amount = self.rng.choice(choices)
            amounts.append(amount)
            self.add(
                "cost_option",
                {
                    "id": make_id("cost_option", f"{key}:{index}"),
                    "service_id": service_id,
                    "option": option,
                    "currency": "GBP",
                    "amount": fmt_amount(amount),
                    "amount_description": description,
                },
            )
        return amounts

    def schedule_row(self, spec: str, key: str, template: Template) -> Row:
        """A schedule row (without its link) from a compact spec."""
        row = parse_when(spec)
        row["id"] = make_id("schedule", f"{key}:{spec}")
        if template.seasonal:
            row.update(
                valid_from=WARM_SPACE_SEASON[0], valid_to=WARM_SPACE_SEASON[1], notes="Runs from November to March."
            )
        elif "opens_at" in row and self.rng.random() < 0.15:
            row["notes"] = self.rng.choice(SCHEDULE_NOTES)
        return row

    def link_locations(self, service_id: str, key: str, template: Template, venues: list[Venue]) -> None:
        """service_at_location rows and schedules (per service or per location)."""
        options = list(template.when)
        self.rng.shuffle(options)
        per_location = len(venues) > 1
        for index, venue in enumerate(venues):
            sal_key = f"{key}@{venue.key}"
            sal_id = make_id("service_at_location", sal_key)
            self.add(
                "service_at_location",
                {
                    "id": sal_id,
                    "service_id": service_id,
                    "location_id": venue.id,
                    "description": self.attending(venue) + ("" if venue.virtual else f" at {venue.name}")
                    if per_location
                    else "",
                },
            )
            if per_location:
                row = self.schedule_row(options[index % len(options)], sal_key, template)
                row.update(service_at_location_id=sal_id, attending_type=self.attending(venue))
                self.add("schedule", row)
        if per_location:
            return
        count = 2 if len(options) > 1 and self.rng.random() < 0.2 else 1
        for spec in sorted(options[:count]):
            row = self.schedule_row(spec, key, template)
            row.update(service_id=service_id, attending_type=self.attending(venues[0]))
            self.add("schedule", row)

    @staticmethod
    def attending(venue: Venue) -> str:
        """Free-text attending type for a venue."""
        return {"online": "Online", "phone": "By telephone"}.get(venue.virtual, "In person")

    def add_service_details(self, org: Org, service_id: str, key: str, template: Template, first: Venue) -> None:
        """Taxonomy attributes, phones, contacts, languages, areas and documents."""
        for code in template.terms:
            self.add(
                "attribute",
                {
                    "id": make_id("attribute", f"{key}:{code}"),
                    "link_id": service_id,
                    "taxonomy_term_id": make_id("taxonomy_term", code),
                    "link_type": "service_category",
                    "link_entity": "service",
                },
            )
        if self.rng.random() < 0.7 or first.virtual == "phone":
            self.add(
                "phone",
                {
                    "id": make_id("phone", f"service:{key}"),
                    "service_id": service_id,
                    "number": self.phone(mobile=org.small or self.rng.random() < 0.2),
                    "type": "voice",
                    "description": "Enquiries and bookings",
                },
            )
        if self.rng.random() < 0.3:
            self.add_service_contact(org, service_id, key)
        self.add_languages(service_id, key, template)
        self.add_service_area(service_id, key, first)
        for index, document in enumerate(template.docs):
            self.add(
                "required_document",
                {"id": make_id("required_document", f"{key}:{index}"), "service_id": service_id, "document": document},
            )

    def add_service_contact(self, org: Org, service_id: str, key: str) -> None:
        """A named coordinator, sometimes with a mobile for texts."""
        first, last = self.person()
        contact_id = make_id("contact", f"service:{key}")
        self.add(
            "contact",
            {
                "id": contact_id,
                "service_id": service_id,
                "name": f"{first} {last}",
                "title": self.rng.choice(
                    (
                        "Group coordinator",
                        "Volunteer coordinator",
                        "Project worker",
                        "Community development worker",
                        "Session lead",
                    )
                ),
                "email": self.email(first, last, org),
            },
        )
        if self.rng.random() < 0.4:
            self.add(
                "phone",
                {
                    "id": make_id("phone", f"contact:{key}"),
                    "contact_id": contact_id,
                    "number": self.phone(mobile=True),
                    "type": "text",
                    "description": f"Text {first} to book or ask a question.",
                },
            )

    def add_languages(self, service_id: str, key: str, template: Template) -> None:
        """English plus any community languages the template offers."""
        if not template.langs and self.rng.random() > 0.2:
            return
        for code in ("en", *template.langs):
            self.add(
                "language",
                {
                    "id": make_id("language", f"{key}:{code}"),
                    "service_id": service_id,
                    "name": LANGUAGES[code],
                    "code": code,
                    "note": "" if code == "en" else "Spoken by staff or volunteers at most sessions.",
                },
            )

    def add_service_area(self, service_id: str, key: str, first: Venue) -> None:
        """Leeds-wide for remote services; local area for some others."""
        if first.virtual:
            self.add(
                "service_area",
                {
                    "id": make_id("service_area", key),
                    "service_id": service_id,
                    "name": "Leeds",
                    "description": "Residents of Leeds",
                    "uri": LEEDS_AREA_URI,
                },
            )
        elif self.rng.random() < 0.3:
            self.add(
                "service_area",
                {
                    "id": make_id("service_area", key),
                    "service_id": service_id,
                    "name": first.area,
                    "description": f"People living in {first.area} and nearby neighbourhoods",
                },
            )

    # -- whole package -----------------------------------------------------------
    def build(self) -> None:
        """Generate every table."""
        self.setup()
        self.add_taxonomy()
        for org in ORGS:
            self.org_ids[org.key] = make_id("organization", org.key)
        for org in ORGS:
            self.add_org(org)
        for org in ORGS:
            self.base_venue(org)
        for org in ORGS:
            program_id = self.add_program(org)
            for tkey, areas, name in org.services:
                self.add_service(org, tkey, areas, name, program_id)
        self.set_statuses()
        self.add_phone_languages()

    def add_taxonomy(self) -> None:
        """The taxonomy and its terms."""
        taxonomy_id = make_id("taxonomy", TAXONOMY_URI)
        self.add(
            "taxonomy",
            {
                "id": taxonomy_id,
                "name": TAXONOMY_NAME,
                "description": "Needs-based categories used by Leeds social prescribing link "
                "workers to find community activities and support.",
                "uri": TAXONOMY_URI,
                "version": "1.0",
            },
        )
        for code, name, parent, description in TERMS:
            self.add(
                "taxonomy_term",
                {
                    "id": make_id("taxonomy_term", code),
                    "code": code,
                    "name": name,
                    "description": description,
                    "parent_id": make_id("taxonomy_term", parent) if parent else "",
                    "taxonomy": TAXONOMY_NAME,
                    "language": "en",
                    "taxonomy_id": taxonomy_id,
                    "term_uri": f"{TAXONOMY_URI}/{code.lower()}",
                },
            )

    def set_statuses(self) -> None:
        """Mark a handful of in-person services inactive or temporarily closed."""
        chosen = self.rng.sample(self.in_person, 6)
        for index, row in enumerate(chosen):
            if index < 4:
                row["status"] = "temporarily closed"
                row["alert"] = self.rng.choice(
                    (
                        "Paused while the hall is refurbished; due to restart in January 2027.",
                        "Not running this term while we recruit a new volunteer leader.",
                        "Closed until further notice because of a leak at the venue.",
                    )
                )
            else:
                row["status"] = "inactive"
                row["alert"] = "This group has stopped meeting; kept for reference."

    def add_phone_languages(self) -> None:
        """Community-language phone lines for the Together Minds and Polish hub offices."""
        for org_key, codes in (("together-minds-leeds", ("ur", "pa")), ("polish-community-hub-leeds", ("pl",))):
            phone_id = make_id("phone", f"organization:{org_key}")
            for code in codes:
                self.add(
                    "language",
                    {
                        "id": make_id("language", f"phone:{org_key}:{code}"),
                        "phone_id": phone_id,
                        "name": LANGUAGES[code],
                        "code": code,
                        "note": "Ask for a callback in this language.",
                    },
                )


# ---------------------------------------------------------------------------
# Input / output
# ---------------------------------------------------------------------------
def place_for(postcode: str) -> tuple[str, str]:
    """(locality, area) for a Leeds postcode, by sector then outcode."""
    sector, outcode = postcode[:-2], postcode.split()[0]
    for prefix, locality, area in POSTCODE_PLACES:
        if prefix in (sector, outcode):
            return locality, area
    raise ValueError(f"no locality for {postcode}")


def read_places(shared: Path) -> list[Place]:
    """Leeds rows of the shared 20k postcode sample, sorted by postcode."""
    path = shared / "data" / "geo" / "sample_postcodes_20k.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["lad"] == LEEDS_LAD]
    rows.sort(key=lambda row: row["postcode"])
    return [Place(row["postcode"], row["lat"], row["lon"], *place_for(row["postcode"])) for row in rows]


def write_package(builder: Builder, out: Path) -> list[tuple[str, int]]:
    """Write datapackage.json and one CSV per non-empty resource."""
    descriptor = json.loads(VENDORED_DATAPACKAGE.read_text(encoding="utf-8"))
    kept = [res for res in descriptor["resources"] if builder.tables.get(res["name"])]
    descriptor.update(
        name="waymark-demo-leeds",
        title="Waymark demo directory: social prescribing in Leeds",
        description="Fictional but plausible social-prescribing services, organisations "
        "and venues in Leeds (local authority E08000035), generated by "
        "scripts/make_demo_data.py for demonstrations and tests. Names, phone numbers "
        "and web addresses are invented; venue coordinates are real Leeds postcodes "
        "(contains OS data (c) Crown copyright and database right 2025; ONS, Open "
        "Government Licence v3.0).",
        resources=kept,
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / "datapackage.json").write_text(json.dumps(descriptor, indent=4, ensure_ascii=False) + "\n", encoding="utf-8")
    counts = []
    for resource in kept:
        fields = [spec["name"] for spec in resource["schema"]["fields"]]
        rows = builder.tables[resource["name"]]
        for row in rows:
            unknown = set(row) - set(fields)
            if unknown:
                raise ValueError(f"{resource['name']}: unknown fields {sorted(unknown)}")
        with (out / resource["path"]).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(fields)
            writer.writerows([row.get(name, "") for name in fields] for row in rows)
        counts.append((resource["path"], len(rows)))
    return counts


def write_readme(out: Path, shared: Path, counts: list[tuple[str, int]]) -> None:
    """Short README with provenance and the OGL attribution lines."""
    manifest = (shared / "data" / "geo" / "MANIFEST.txt").read_text(encoding="utf-8")
    attribution = [
        f"- {line.strip()}"
        for line in manifest.splitlines()
        if line.strip().startswith(("Contains ", "Source: Office"))
    ]
    table = "\n".join(f"| {path} | {count} |" for path, count in counts)
    text = f"""# Waymark demo data: Leeds

A demonstration directory of social-prescribing services in Leeds (local authority
E08000035) as an Open Referral HSDS 3.0 tabular data package: `datapackage.json` plus
one CSV per resource.

**The data is fictional but plausible.** Organisations (apart from Leeds City Council
itself), services, venue names, street addresses and people are invented. Phone numbers
are in Ofcom's drama ranges (0113 496 0xxx, 07700 900xxx) and web and email addresses
use the reserved `example.org` domain, so nothing here reaches a real person. Venues
are placed at real Leeds postcodes with their real coordinates, so distance search and
maps behave as they would with live data.

Generated by `scripts/make_demo_data.py` (standard library only, deterministic: re-running
it gives byte-identical files):

    python scripts/make_demo_data.py --shared ../shared --out app/demo/leeds

Postcodes and coordinates come from `../shared/data/geo/sample_postcodes_20k.csv`
(OS Code-Point Open, OGL v3). The descriptor's `license` is that of the HSDS
specification the schemas come from.

| file | rows |
|---|---|
{table}

## Attribution

{chr(10).join(attribution)}
"""
    (out / "README.md").write_text(text, encoding="utf-8")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared", type=Path, default=DEFAULT_SHARED, help="shared reference folder (default: ../shared)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: app/demo/leeds)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Build and write the Leeds demo package."""
    args = parse_args(argv)
    builder = Builder(read_places(args.shared))
    builder.build()
    counts = write_package(builder, args.out)
    write_readme(args.out, args.shared, counts)
    for path, count in counts:
        print(f"{path:32} {count:5d}")


if __name__ == "__main__":
    main()
