"""A small two-feed directory with known duplicates, as background for behaviour tests.

EM needs a batch to learn from: a pair of records alone says nothing about how often names or postcodes agree by
chance. ``background`` gives 120 places, 60 of them listed by both feeds with realistic noise (case, punctuation,
legal forms, street abbreviations, phone formats), so each test adds its few records to a believable batch.
"""

from __future__ import annotations

import random

from app.linkage import LinkRecord
from app.linkage.records import Entity

WORDS = [
    "oak", "riverside", "meadow", "harbour", "willow", "beacon", "kirkstall", "holbeck", "chapel", "granary",
    "lantern", "compass", "orchard", "maple", "heron", "quarry", "thistle", "bramble", "falcon", "juniper",
    "saffron", "cobalt", "ember", "linden", "marigold", "pioneer", "summit", "tandem", "unity", "vista",
]  # fmt: skip
KINDS = ["Wellbeing Centre", "Food Bank", "Walking Group", "Men's Shed", "Carers Network", "Arts Project"]
STREETS = ["High Street", "Mill Road", "Church Lane", "Station Road", "Park Avenue", "Victoria Street"]
ABBREVIATED = {"Street": "St", "Road": "Rd", "Lane": "Ln", "Avenue": "Ave"}
DISTRICTS = ["LS1", "LS2", "LS6", "LS7", "LS11", "LS12", "BD1", "BD3", "HX1", "WF1"]
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def phone(n: int) -> str:
    """A Leeds number in Ofcom's drama range: valid for the normaliser, never a real line."""
    return f"0113 496 {n:04d}"


def background(entity: Entity = "location", seed: int = 7) -> list[LinkRecord]:
    rng = random.Random(seed)
    records: list[LinkRecord] = []
    for n in range(120):
        name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {rng.choice(KINDS)}"
        street = rng.choice(STREETS)
        number = rng.randint(1, 300)
        inward = f"{rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
        postcode = f"{rng.choice(DISTRICTS)} {inward}"
        number_text = phone(100 + n)
        records.append(
            LinkRecord.build(
                ("council", f"bg-{n}"),
                entity,
                name=name,
                address=[f"{number} {street}"],
                postcode=postcode,
                locality="Leeds",
                phones=[number_text],
            )
        )
        if n % 2 == 0:  # the CVS spreadsheet lists half of them again, written its own way
            words = street.split()
            records.append(
                LinkRecord.build(
                    ("cvs", f"bg-{n}"),
                    entity,
                    name=(name.upper() + " Ltd") if n % 4 == 0 else name.replace("Centre", "Center"),
                    address=[f"{number} {words[0]} {ABBREVIATED.get(words[1], words[1])}."],
                    postcode=postcode.replace(" ", "").lower(),
                    locality="LEEDS",
                    phones=["+44" + number_text[1:].replace(" ", "")],
                )
            )
    return records
