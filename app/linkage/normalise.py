"""Normalisation for record linkage: names, postcodes, phones, web domains and house numbers.

Linkage compares values that were written differently by different feeds, so everything here turns a raw value
into the form two records would share if they describe the same thing. Phone numbers and UK postcodes are read by
``importers.normalise`` (one set of rules for the whole project); this module adds what only linkage needs: name
tokens split into distinctive words, legal forms and generic words; postcode sectors and districts; registrable web
domains with a deny-list of platforms; house numbers; and frequency tables that weight common values down.

Every function is pure and never raises on bad input: a value that cannot be normalised is missing evidence, not an
error (the importers already reported it to the maintainer).
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from importers import normalise as base

# --------------------------------------------------------------------------- names

# Legal forms say what kind of body an organisation is, not which one: "Leeds Mind Ltd" and "Leeds Mind" are the
# same charity. Kept apart from the distinctive words so they neither help nor hurt a match.
LEGAL_FORMS = frozenset(
    {
        "ltd", "limited", "cic", "cio", "plc", "llp", "llc", "lp", "charity", "charitable", "trust", "inc",
        "incorporated", "corp", "corporation", "co", "company", "nv", "bv", "bvba", "vof", "cv", "gmbh", "ag",
        "sa", "sarl", "srl", "spa", "ab", "as", "asa", "oy", "kg", "kgaa", "se", "pty", "holding", "holdings",
        "international", "intl", "uk", "gb", "nl", "cyf", "cyfyngedig", "ccc", "scio", "ltee",
    }
)  # fmt: skip
# Words that appear in the names of many unrelated organisations and sites and say little about which one it is.
GENERIC_WORDS = frozenset(
    {
        "the", "a", "an", "of", "and", "for", "in", "at", "on", "to", "by", "with", "de", "la", "le", "les", "der",
        "die", "het", "van", "en", "et", "y", "branch", "group", "groups", "centre", "center", "service", "services",
        "society", "association", "assoc", "club", "project", "hub", "office", "head", "main", "local", "community",
    }
)  # fmt: skip
# Abbreviations typed in names, read as the words they stand for so "Brookside PCN" compares equal to "Brookside
# Primary Care Network" and "Oldworth Carers Ctr" to "... Centre" ("st" is left alone: street or saint).
NAME_ABBREVIATIONS = {
    "pcn": ("primary", "care", "network"), "ctr": ("centre",), "cntr": ("centre",), "med": ("medical",),
    "comm": ("community",), "assoc": ("association",), "soc": ("society",), "nhood": ("neighbourhood",),
    "grp": ("group",), "svc": ("service",), "svcs": ("services",),
}  # fmt: skip
# An apostrophe joins ("Morton's" -> "mortons"); every other non-alphanumeric character separates words.
_APOSTROPHES = re.compile(r"['\u2019\u2018`]")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_NON_WORD_KEEPING_COMMAS = re.compile(r"[^0-9a-z,\-]+")
_AROUND_HYPHEN = re.compile(r"\s*-+\s*")


def fold(text: str | None) -> str:
    """Lower case, accents folded to ASCII, "&" and "+" as "and", punctuation as spaces, spaces collapsed."""
    if not text:
        return ""
    if not text.isascii():  # most text is ASCII already: decomposing it character by character is the slow part
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace("&", " and ").replace("+", " and ")
    text = _APOSTROPHES.sub("", text)
    return " ".join(_NON_WORD.sub(" ", text).split())


def _fold_keeping_commas(text: str | None) -> str:
    """``fold`` that keeps commas and hyphens, for reading address lines into segments; spaces may come in runs."""
    if not text:
        return ""
    if text.isascii():  # one pass in C: lower case, "&" and "+" as "and", apostrophes dropped, the rest as spaces
        return text.translate(_ASCII_KEEPING_COMMAS)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _APOSTROPHES.sub("", text.lower().replace("&", " and ").replace("+", " and "))
    return _NON_WORD_KEEPING_COMMAS.sub(" ", text)


_ASCII_KEEPING_COMMAS = {
    code: (
        chr(code).lower()
        if chr(code).isalnum() or chr(code) in ",-"
        else " and "
        if chr(code) in "&+"
        else ""
        if chr(code) in "'`"
        else " "
    )
    for code in range(128)
}


def _join_initials(words: list[str]) -> list[str]:
    """Runs of single letters become one word: "n v" -> "nv", "c i c" -> "cic" (dotted abbreviations)."""
    joined: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if run:
            joined.extend(["".join(run)] if len(run) > 1 else run)
            run = []
        if word:
            joined.append(word)
    return joined


@dataclass(frozen=True, slots=True)
class NameParts:
    """A name split into what identifies it (``distinctive``) and what does not (legal forms, generic words)."""

    distinctive: tuple[str, ...]
    legal: tuple[str, ...] = ()
    generic: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The distinctive words in order: equal keys mean the same name apart from legal and generic words."""
        return " ".join(self.distinctive)


@lru_cache(maxsize=65536)  # pure, and names repeat (every service at one venue)
def name_parts(name: str | None) -> NameParts:
    """``name`` folded and split: "The Leeds Mind Branch Ltd." -> distinctive ("leeds", "mind").

    A stray single letter (left of "B. V." or an initial) is generic: it says almost nothing about which body it is.

    When every word is legal or generic ("The Trust") those words are the distinctive ones, so a name never
    becomes empty just because it is plain.
    """
    words = [part for word in _join_initials(fold(name).split()) for part in NAME_ABBREVIATIONS.get(word, (word,))]
    distinctive = [w for w in words if w not in LEGAL_FORMS and w not in GENERIC_WORDS and len(w) > 1]
    legal = tuple(w for w in words if w in LEGAL_FORMS)
    generic = tuple(w for w in words if (w in GENERIC_WORDS or len(w) == 1) and w not in LEGAL_FORMS)
    if not distinctive:
        return NameParts(tuple(words))
    return NameParts(tuple(distinctive), legal, generic)


class TokenWeights:
    """Inverse document frequency of name words over one batch: rare words say more than common ones.

    ``weight(word) = log(N / df)``, where ``df`` counts the records whose name contains the word. A word never seen
    gets the largest weight (it is as rare as can be).
    """

    def __init__(self, names: Iterable[Iterable[str]], repeats: Iterable[int] | None = None) -> None:
        """Weights over ``names``, each name's words one record's; ``repeats``: how many records hold each name."""
        counts: Counter[str] = Counter()
        total = 0
        for words, times in zip(names, itertools.repeat(1) if repeats is None else repeats):  # noqa: B905
            for word in set(words):
                counts[word] += times
            total += times
        self.total = max(total, 1)
        self.counts = counts
        self._max = math.log(self.total + 1)

    def document_frequency(self, word: str) -> int:
        return self.counts.get(word, 0)

    def weight(self, word: str) -> float:
        df = self.counts.get(word, 0)
        return math.log((self.total + 1) / df) if df else self._max

    def rarest(self, words: Iterable[str], limit: int) -> list[str]:
        """Up to ``limit`` distinct words, rarest first (ties broken alphabetically so blocking is deterministic)."""
        return sorted(set(words), key=lambda w: (self.counts.get(w, 0), w))[:limit]


# --------------------------------------------------------------------------- postcodes


@dataclass(frozen=True, slots=True)
class PostcodeParts:
    """A postcode and, for UK ones, its sector ("LS6 4") and district ("LS6"); ``None`` where not known."""

    full: str | None
    sector: str | None = None
    district: str | None = None


@lru_cache(maxsize=65536)  # pure, and a postcode is read once per record that has it, twice per record
def postcode_parts(value: str | None, country: str | None = "GB") -> PostcodeParts:
    """UK postcodes are read by ``importers.normalise.postcode``; other countries' codes are kept as written.

    A UK district alone ("LS6") is kept as the district. A non-UK code is upper-cased with spaces squeezed, and has no
    sector or district: their structure differs by country, so only an exact match is evidence.
    """
    if not value or not str(value).strip():
        return PostcodeParts(None)
    uk = (country or "GB").upper() in ("GB", "UK", "GG", "JE", "IM")
    if uk:
        try:
            full = base.postcode(value)
        except base.NormaliseError:
            try:
                return PostcodeParts(None, None, base.outcode(value))
            except base.NormaliseError:
                return PostcodeParts(None)
        outward, inward = full.split(" ")
        return PostcodeParts(full, f"{outward} {inward[0]}", outward)
    squeezed = re.sub(r"\s+", " ", str(value)).strip().upper()
    return PostcodeParts(squeezed or None)


# --------------------------------------------------------------------------- phones


def phone_e164(value: str | None, country: str | None = "GB") -> str | None:
    """The number in E.164 (``"+441134960123"``), read as dialled in ``country``; ``None`` if it is not a number.

    Parsing and validity are ``importers.normalise.phone_number``'s; extensions are dropped (a switchboard with
    different extensions is still the same switchboard).
    """
    if not value or not str(value).strip():
        return None
    try:
        international = base.phone_number(str(value), (country or "GB").upper())
    except base.NormaliseError:
        return None
    return "+" + re.sub(r"\D", "", international)


def shared_values(values_by_source: Iterable[tuple[str, Iterable[str]]], *, min_records: int = 4) -> frozenset[str]:
    """Values (phones, domains) that do not single out one record: a head-office number, a helpline, a council site.

    A value is shared when one source gives it to two or more of its records (a feed does not list one site twice on
    purpose, so the number belongs to something bigger than the site) or when ``min_records`` records carry it in
    all. Agreement on a shared value is scored on its own, weaker, comparison level.
    """
    per_source: Counter[tuple[str, str]] = Counter()
    overall: Counter[str] = Counter()
    for source, values in values_by_source:
        for value in set(values):
            per_source[(source, value)] += 1
            overall[value] += 1
    shared = {value for (_, value), count in per_source.items() if count >= 2}
    shared.update(value for value, count in overall.items() if count >= min_records)
    return frozenset(shared)


# --------------------------------------------------------------------------- web domains

# Second-level suffixes under which organisations register their own names (a small public-suffix subset: enough
# for the UK and the countries our feeds come from). "leeds.gov.uk" is Leeds City Council's registrable domain.
_PUBLIC_SUFFIXES = frozenset(
    {
        "co.uk", "org.uk", "gov.uk", "ac.uk", "nhs.uk", "sch.uk", "ltd.uk", "plc.uk", "me.uk", "net.uk", "police.uk",
        "mod.uk", "nic.uk", "gov.scot", "gov.wales", "llyw.cymru", "com.au", "org.au", "net.au", "gov.au", "edu.au",
        "co.nz", "org.nz", "govt.nz", "co.za", "org.za", "co.in", "org.in", "com.br", "co.jp", "or.jp", "com.cn",
        "co.ie", "gov.ie", "com.es", "com.mx", "com.sg", "org.sg",
    }
)  # fmt: skip
# Platforms that host many unrelated organisations at paths of one domain: their domain says nothing about which
# organisation a record is. "gov.uk" and "nhs.uk" themselves (www.gov.uk/..., www.nhs.uk/services/...) are central
# sites listing everyone; their subdomains ("leeds.gov.uk", "leedsth.nhs.uk") are real organisations and kept.
DENIED_DOMAINS = frozenset(
    {
        "facebook.com", "fb.com", "fb.me", "instagram.com", "twitter.com", "x.com", "linkedin.com", "youtube.com",
        "youtu.be", "tiktok.com", "linktr.ee", "google.com", "goo.gl", "bit.ly", "tinyurl.com", "meetup.com",
        "nextdoor.com", "nextdoor.co.uk", "justgiving.com", "gofundme.com", "eventbrite.com", "eventbrite.co.uk",
        "wix.com", "gov.uk", "nhs.uk", "service.gov.uk",
        "squarespace.com", "canva.site", "carrd.co", "mailchimp.com", "list-manage.com", "whatsapp.com", "wa.me",
        "yell.com", "ticketsource.co.uk", "ticketsource.com",
    }
)  # fmt: skip
# Hosts whose subdomains are tenants: "leedsmind.wordpress.com" is Leeds Mind's own site, so the whole host is
# kept as the domain; the bare platform domain is denied.
_TENANT_PLATFORMS = frozenset(
    {
        "wordpress.com", "blogspot.com", "blogspot.co.uk", "wixsite.com", "weebly.com", "github.io", "jimdosite.com",
        "webflow.io", "squarespace.com", "godaddysites.com", "business.site", "sites.google.com", "netlify.app",
        "carrd.co", "square.site", "mystrikingly.com", "ueniweb.com", "yolasite.com", "tumblr.com", "substack.com",
    }
)  # fmt: skip


def registrable_domain(value: str | None) -> str | None:
    """The domain an organisation registered (``"https://www.leeds.gov.uk/x"`` -> ``"leeds.gov.uk"``), or ``None``.

    ``None`` for anything that is not a web address and for platforms in ``DENIED_DOMAINS`` (any Eventbrite
    country domain included). A tenant subdomain of a hosting platform (``"x.wordpress.com"``) is kept whole.
    """
    if not value or not str(value).strip():
        return None
    try:
        host = (urlsplit(base.url(str(value))).hostname or "").removesuffix(".")
    except base.NormaliseError:
        return None
    host = host.removeprefix("www.")
    labels = host.split(".")
    for platform in _TENANT_PLATFORMS:
        if host.endswith("." + platform):
            tenant = host[: -len(platform) - 1].split(".")[-1]
            return f"{tenant}.{platform}" if tenant != "www" else None
        if host == platform:
            return None
    suffix_length = 3 if len(labels) >= 3 and ".".join(labels[-2:]) in _PUBLIC_SUFFIXES else 2
    domain = ".".join(labels[-suffix_length:])
    if domain in DENIED_DOMAINS or labels[-2] == "eventbrite" or (len(labels) >= 3 and labels[-3] == "eventbrite"):
        return None
    if ".".join(labels[-2:]) in _PUBLIC_SUFFIXES and len(labels) < 3:
        return None
    return domain


# --------------------------------------------------------------------------- addresses

# Street-type abbreviations written out, so "12 High St." and "12 High Street" compare equal.
_STREET_WORDS = {
    "st": "street", "str": "street", "rd": "road", "ave": "avenue", "av": "avenue", "blvd": "boulevard",
    "blv": "boulevard", "bd": "boulevard", "dr": "drive", "ln": "lane", "pl": "place", "sq": "square",
    "ct": "court", "cres": "crescent", "crs": "crescent", "cl": "close", "gdns": "gardens", "gr": "grove", "pk": "park",
    "hwy": "highway", "pkwy": "parkway", "ter": "terrace", "terr": "terrace", "mt": "mount", "ste": "suite",
    "n": "north", "s": "south", "e": "east", "w": "west", "nw": "northwest", "ne": "northeast",
    "sw": "southwest", "se": "southeast", "bldg": "building", "fl": "floor", "apt": "apartment",
    "first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th", "sixth": "6th",
    "seventh": "7th", "eighth": "8th", "ninth": "9th", "tenth": "10th", "eleventh": "11th", "twelfth": "12th",
}  # fmt: skip
# Numbers that name a part of a building, not the building on the street: "Flat 3", "Unit 5", "Suite 200".
_SUB_PREMISES = re.compile(
    r"\b(?:flat|flats|unit|units|suite|ste|apartment|apt|room|rm|floor|fl|level|block|office|po box|p o box|box|"
    r"studio|bay|stand|kiosk|no|number)\s*\d+[a-z]?\b"
)
_ORDINAL_FLOOR = re.compile(r"\b\d+(?:st|nd|rd|th)\s+floor\b")
_HOUSE_NUMBER = re.compile(r"\b(\d+[a-z]?(?:\s*-\s*\d+[a-z]?)?)\b")
_LEADING_NUMBER = re.compile(r"(\d+[a-z]?(?:\s*-\s*\d+[a-z]?)?)\b")
_DECADE = re.compile(r"\d+s")
_DIGIT = re.compile(r"\d")
_SPACES = re.compile(r"\s+")


def address_text(lines: Iterable[str]) -> str:
    """Address lines folded into one string with street abbreviations written out."""
    words = fold(" ".join(line for line in lines if line)).split()
    return " ".join(_STREET_WORDS.get(w, w) for w in words)


def _address_segments(lines: Iterable[str], name: str | None, own: str | None = None) -> list[str]:
    """The address split at line breaks and commas, folded, sub-premises and ordinal floors removed.

    A segment that only repeats the record's own name is dropped: feeds put a building or site name on the first
    address line ("Millmount Health Centre, 195 South St"), and left in it would count the name twice and let the
    digits of a name ("Over 60s Club") pass for a house number. ``own`` is ``fold(name)`` if the caller has it.
    """
    own = fold(name) if own is None else own
    segments = []
    for line in lines:
        # One pass per line, as ``fold`` but keeping commas (segment breaks) and hyphens (ranges such as "1-30").
        folded = _fold_keeping_commas(line)
        numbered = _DIGIT.search(folded) is not None  # sub-premises and floors are numbered: most lines have none
        for part in folded.split(","):
            part = " ".join(part.split())
            text = _AROUND_HYPHEN.sub("-", part).strip("- ") if "-" in part else part
            if numbered and _DIGIT.search(text):
                text = _SUB_PREMISES.sub(" ", _ORDINAL_FLOOR.sub(" ", text))
            text = " ".join(text.split())
            if text and (" ".join(text.replace("-", " ").split()) if "-" in text else text) != own:
                segments.append(text)
    return segments


def address_in_name(name: str | None) -> tuple[tuple[str, ...], str] | None:
    """A location named by its address, as feeds without a complete address name their sites ("435 S. La Cienega
    Blvd., Los Angeles"): its address lines and the town closing it ("" if none); ``None`` when the name does not
    open with a house number followed by a word (a "24 Hour Helpline" is a name, not an address, all the same:
    it only stands in for an address that is missing). A closing segment without digits is the town."""
    segments = tuple(_address_segments((name or "",), None, ""))
    first = _LEADING_NUMBER.match(segments[0]) if segments else None
    if first is None or _DECADE.fullmatch(first[1]) or not any(w.isalpha() for w in segments[0][first.end() :].split()):
        return None
    if len(segments) > 1 and not any(ch.isdigit() for ch in segments[-1]):
        return segments[:-1], segments[-1]
    return segments, ""


def house_number_and_street(
    lines: Iterable[str], name: str | None = None, *, folded_name: str | None = None
) -> tuple[str | None, str]:
    """``house_number`` and ``street_text`` of one address, reading its segments once (``folded_name``:
    ``fold(name)``, for a caller that already has it)."""
    segments = _address_segments(lines, name, folded_name)
    for segment in segments:
        match = _LEADING_NUMBER.match(segment)
        if match and not _DECADE.fullmatch(match[1]):  # the street line opens with the number
            return _SPACES.sub("", match[1]), _street_words(_HOUSE_NUMBER.sub(" ", segment))
    inside = (m[1] for segment in segments for m in _HOUSE_NUMBER.finditer(segment) if not _DECADE.fullmatch(m[1]))
    number = next(inside, None)
    street = _street_words(_HOUSE_NUMBER.sub(" ", " ".join(segments)))
    return (None if number is None else _SPACES.sub("", number)), street


def _street_words(text: str) -> str:
    return " ".join(_STREET_WORDS.get(w, w) for w in text.split())


def house_number(lines: Iterable[str], name: str | None = None) -> str | None:
    """The building's number on its street: ``"Flat 3, 12 High St"`` -> ``"12"``, ``"12A Mill Rd"`` -> ``"12a"``.

    Sub-premises (flat, unit, suite, PO box...) and ordinal floors are skipped; a range ("1-30") is kept whole.
    A number opening an address segment ("Over 60s Club, 221 Hill Road" -> "221") is preferred to one inside a
    segment, and a decade ("60s") is never a house number. Postcodes never match: their digits sit inside a word
    ("LS6", "4AB"). ``None`` when no number is written. ``name`` is the record's name (see ``_address_segments``).
    """
    return house_number_and_street(lines, name)[0]


def street_text(lines: Iterable[str], name: str | None = None) -> str:
    """The street the building stands on, without its number: what remains to compare once numbers are compared.

    The segment that opens with the house number is the street line ("6 Larch Street, Claywell" -> "larch
    street": a trailing neighbourhood or town is compared as the locality, not here); without a numbered segment,
    every segment but the record's own name. Street-type abbreviations are written out ("Rd" -> "road").
    """
    return house_number_and_street(lines, name)[1]


# --------------------------------------------------------------------------- phonetic key

_SOUNDEX = str.maketrans("bfpvcgjkqsxzdtlmnr", "111122222222334556")


@lru_cache(maxsize=65536)  # pure, and blocking asks for the same few thousand words again and again
def soundex(word: str) -> str:
    """American Soundex of a folded word ("robert" -> "r163"): spelling variants share a blocking key."""
    word = "".join(ch for ch in word if ch.isalpha())
    if not word:
        return ""
    codes = word.translate(_SOUNDEX)
    out = [word[0]]
    previous = codes[0] if codes[0].isdigit() else ""
    for ch, code in zip(word[1:], codes[1:], strict=True):
        if code.isdigit():
            if code != previous:
                out.append(code)
            previous = code
        elif ch not in "hw":  # vowels separate equal codes; h and w do not
            previous = ""
        if len(out) == 4:
            break
    return "".join(out).ljust(4, "0")
