"""Fellegi-Sunter scoring: per-field comparison levels, m and u estimated without labels, explainable weights.

Each candidate pair is described by one comparison level per field (exact, close, different... or missing). The
model holds, per field and level, ``m`` (how often true matches show that level) and ``u`` (how often random
non-matching pairs do); a level's evidence is ``log2(m / u)`` bits and a pair's match weight is the prior's log-odds
plus the sum over its fields. Because every bit comes from one named field level, the score explains itself.

Estimation, without labels:

- ``u`` comes from random pairs of records (almost all non-matches), with one pseudo-count per level so a level
  never seen at random gets a large but finite weight; for fields in ``LOCAL_U_FIELDS`` from random pairs of
  neighbours. For organisations and services it is held fixed afterwards: random pairs measure it better than EM
  can on candidate pairs, which are enriched for matches. For locations EM re-estimates it (``link(fit_u=...)``):
  a location's non-matching candidates are its neighbours, whose agreement random pairs understate.
- ``m`` and the prior (share of candidate pairs that match) come from expectation-maximisation over the candidate
  pairs, run on the distinct level patterns with their counts (a few hundred patterns however many pairs). Levels
  in a comparison's ``fixed_m`` keep the share the field's meaning gives them (a place's postcode differs between
  two of its listings only by a typo), so EM cannot learn "same organisation" where it should learn "same place".
- Reviewers' decisions, when given, are labelled pairs: their posterior is clamped to 1 or 0 and each counts as
  ``label_weight`` unlabelled pairs, so a few dozen answers move ``m`` where the unlabelled data are ambiguous.

Missing values (level 0) contribute nothing. Hard rules are not weights: ``hard_rules`` names the rule that forbids
a link (different house numbers for locations, conflicting registration ids of one scheme, organisations or services
with different names, services of different organisations or sites), whatever the score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler, Levenshtein

from app.linkage import normalise as norm
from app.linkage.blocking import Pairs
from app.linkage.features import Features, integer_codes
from app.linkage.records import Entity

Levels = npt.NDArray[np.uint8]  # (pairs, fields); 0 is "missing"


@dataclass(frozen=True, slots=True)
class Comparison:
    """A field and its comparison levels, best first; level 0 ("missing") is implicit and carries no weight."""

    field: str
    levels: tuple[str, ...]
    neutral: frozenset[str] = frozenset()  # levels that are no evidence either way, like missing
    # Levels whose m is known from what the field means, not estimated: (level, share of true matches showing it).
    fixed_m: tuple[tuple[str, float], ...] = ()

    def level_name(self, level: int) -> str:
        return "missing" if level == 0 else self.levels[level - 1]

    def with_fixed_m(self, m: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """``m`` (index 0 unused) with the ``fixed_m`` levels set and the other levels scaled to fill the rest."""
        if not self.fixed_m:
            return m
        out = m.copy()
        fixed = np.zeros(out.size, dtype=bool)
        for level, share in self.fixed_m:
            index = self.levels.index(level) + 1
            out[index], fixed[index] = share, True
        free = ~fixed
        free[0] = False
        rest = 1.0 - sum(share for _, share in self.fixed_m)
        total = out[free].sum()
        out[free] = out[free] * rest / total if total > 0 else rest / max(int(free.sum()), 1)
        return out


NAME = Comparison("name", ("exact", "very close", "close", "different"))
STREET = Comparison("street", ("exact", "close", "different"))
HOUSE_NUMBER = Comparison("house_number", ("same", "different"))
POSTCODE = Comparison("postcode", ("same", "same sector", "same district", "different"))
# A location is a place, and a place has one postcode: two records of one site disagree on it only by a typing
# error (a few in a hundred pairs). Left to EM, the many pairs of branches and same-named sites in one sector
# (another "Claywell Health Centre" two streets away) teach it that "same sector" is what matches look like:
# it would learn "same organisation", not "same place". A postcode where the batch has records with two or more
# house numbers covers several buildings, and sharing it says less (like a shared phone), so it is its own level.
LOCATION_POSTCODE = Comparison(
    "postcode",
    ("same", "same, several buildings", "same sector", "same district", "different"),
    fixed_m=(("same sector", 0.01), ("same district", 0.005), ("different", 0.005)),
)
# A place has one street too, and two records of one site write it differently only by a typing error or an
# abbreviation, which the "close" level takes. Where there is no postcode (many countries' feeds) the street and
# number are all that place a site, and left to EM, the pairs blocked on one house number in one town ("21 W 52nd
# St", "21 E 62nd St") would teach it that a different street is what matches look like.
LOCATION_STREET = Comparison("street", STREET.levels, fixed_m=(("different", 0.03),))
# For a place, a number on one record and none on the other is evidence of its own: neighbours in a postcode of
# several buildings mostly differ that way, while two listings of one site mostly both give the number.
LOCATION_HOUSE_NUMBER = Comparison("house_number", ("same", "one missing", "different"))
LOCALITY = Comparison("locality", ("same", "close", "different"))
DISTANCE = Comparison("distance", ("within 50 m", "within 250 m", "within 2 km", "further"))
# A number or domain shared by many records (a head office, a helpline, a council website) says nothing about
# whether two records are the same site or service: that level is neutral by design, not by estimation, because
# on any one batch EM would happily explain the records sharing it as matches.
PHONE = Comparison("phone", ("same", "same shared number", "different"), frozenset({"same shared number"}))
DOMAIN = Comparison("domain", ("same", "same shared domain", "different"), frozenset({"same shared domain"}))
# Registration numbers of one scheme that differ by one character ("1082743", "1082753") are far likelier one number
# mistyped than two bodies; they are evidence for EM to weigh, where other differing numbers rule a link out.
REGISTRATION = Comparison("registration", ("same", "one character apart", "conflicting"))
# An organisation or service is known by its name, and a name is told apart by its words: "Crossgate Primary Care
# Network" and "Eastgate Primary Care Network" share most of their weight but each has a word the other lacks, which
# two listings of one body almost never do (they differ by typos, case, legal forms, abbreviations or an added
# place). So words are compared one by one: "very close" is the same words up to typos, "close" one name's words
# all within the other's ("Coffee morning", "Westcroft coffee morning"), "different words" each name holding a word
# the other lacks. Left to EM, the many same-area pairs of different bodies sharing generic words would teach it
# that differing words are what matches look like, so their share of true matches is fixed (a typo too many for
# the word comparison, a renamed listing).
BODY_NAME = Comparison(
    "name",
    ("exact", "very close", "close", "different words", "different"),
    fixed_m=(("different words", 0.01), ("different", 0.01)),
)
# A service belongs to one organisation: two listings of one service whose organisations were not matched are rare
# (organisation linkage missed them), while services of different organisations at one venue are common.
ORGANIZATION = Comparison("organization", ("same", "different"), fixed_m=(("different", 0.03),))
# A service's locations: two listings of one service name the same site unless it moved or location linkage missed
# it; left to EM, the many same-named services one organisation runs at several sites would look like matches.
SITES = Comparison("parents", ("shared", "different"), fixed_m=(("different", 0.02),))

# An organisation compared with its address has one site (see ``app.services.linkage_records``): two listings of it
# give that site's street and number, and differ on them only by a move or a typo too many. Different bodies of one
# name ("Tadcroft Community Garden" twice in one town) are told apart by them, which EM, fitting candidate pairs
# that are nearly all matches once differently named pairs are ruled out, would not learn.
ORG_STREET = Comparison("street", STREET.levels, fixed_m=(("different", 0.03),))
ORG_HOUSE_NUMBER = Comparison("house_number", HOUSE_NUMBER.levels, fixed_m=(("different", 0.03),))
# The matched locations an organisation's listings place it at: two listings of one body usually name one of its
# sites; same-named bodies elsewhere (a "Hollyhurst Primary Care Network" in two towns) name none in common.
ORG_SITES = Comparison("parents", ("shared", "different"), fixed_m=(("different", 0.05),))

# Which fields are evidence for which entity. A location is a place; an organisation is known by its registrations,
# website and name; a service by its name within the organisation or location it belongs to.
ENTITY_FIELDS: dict[str, tuple[Comparison, ...]] = {
    "location": (NAME, LOCATION_STREET, LOCATION_HOUSE_NUMBER, LOCATION_POSTCODE, LOCALITY, DISTANCE, PHONE, DOMAIN),
    "organization": (
        BODY_NAME,
        REGISTRATION,
        ORG_SITES,
        DOMAIN,
        PHONE,
        POSTCODE,
        ORG_STREET,
        ORG_HOUSE_NUMBER,
        LOCALITY,
        DISTANCE,
    ),
    "service": (BODY_NAME, ORGANIZATION, SITES, PHONE, DOMAIN, POSTCODE, STREET),
}

# Thresholds for the "close" levels: names by IDF-weighted soft word overlap, other text by Jaro-Winkler or
# token-set ratio (all 0..1); two words are the same word with a typo from TOKEN_CLOSE.
NAME_VERY_CLOSE = 0.8
NAME_CLOSE = 0.5
TOKEN_CLOSE = 0.9
NAME_PREFILTER = 0.4
TEXT_CLOSE = 0.9
# Streets by edit distance: 0.85 lets one typing error through in a short street ("Moor Rpad", "Oak Wapk")
# while "Station Road" and "Station Street" (0.69) stay different.
STREET_CLOSE = 0.85


# --------------------------------------------------------------------------- comparison levels


def _soft_overlap(a: frozenset[str], b: frozenset[str], idf: dict[str, float], total: float) -> float:
    """IDF-weighted Dice overlap of two word sets, a word matching its most similar word of the other set.

    Words count as matching when equal or at least ``TOKEN_CLOSE`` Jaro-Winkler similar ("technology",
    "technoloogy"), scaled by that similarity. Comparing word by word (not whole strings) keeps a shared first word
    ("Euro Traction", "Euro Omron") from looking like a near-identical name, and rare words count for more.
    ``total`` is the sum of both sets' weights.
    """
    matched = 0.0
    similarity = JaroWinkler.normalized_similarity
    for word in a:
        if word in b:
            matched += 2 * idf[word]
            continue
        best, partner = 0.0, ""
        for other in b:
            score = similarity(word, other)
            if score > best:
                best, partner = score, other
        if best >= TOKEN_CLOSE:
            matched += best * (idf[word] + idf[partner])
    return min(matched / total, 1.0) if total else 0.0


def _typo_of(word: str, other: str) -> bool:
    """Whether two different words are one word mistyped or cut short: ``TOKEN_CLOSE`` Jaro-Winkler similar, one
    the other's first four or more letters, a contraction of it (three or four of its letters in order, its first
    and last among them, from a word at least twice as long), or for a generic word ("club", "coub") one edit
    apart (a mistyped generic word is not a word the other name lacks)."""
    if JaroWinkler.normalized_similarity(word, other) >= TOKEN_CLOSE:
        return True
    short, long = sorted((word, other), key=len)
    if len(short) >= 4 and long.startswith(short):  # cut short: "tech", "technologies"; "internat"
        return True
    if 3 <= len(short) <= 4 and len(long) >= 2 * len(short) and short[0] == long[0] and short[-1] == long[-1]:
        letters = iter(long)  # contracted, keeping first and last letter: "mij", "maatschappij"; "intl"
        if all(letter in letters for letter in short):
            return True
    generic = word in norm.GENERIC_WORDS or other in norm.GENERIC_WORDS
    return generic and min(len(word), len(other)) >= 4 and Levenshtein.distance(word, other, score_cutoff=1) <= 1


def _unmatched(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether ``a`` holds a word with no equal or mistyped (``_typo_of``) word in ``b``."""
    return any(word not in b and not any(_typo_of(word, other) for other in b) for word in a)


# Words that join a name's parts and say nothing of what the body does ("Friends of ...", "... and ...").
_FILLER = frozenset({"the", "a", "an", "of", "and", "for", "in", "at", "on", "to", "by", "with"})


def _all_words(name: str) -> frozenset[str]:
    """A name's distinctive and generic words (not its legal form): "Hollyhurst Community Association" is not
    "Hollyhurst Stroke Club" even though, generic words aside, one is within the other."""
    parts = norm.name_parts(name)
    return frozenset(w for w in (*parts.distinctive, *parts.generic) if len(w) > 1 and w not in _FILLER)


def _word_levels(
    feats: Features, overlap: npt.NDArray[np.float64], a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]
) -> Levels:
    """``BODY_NAME`` levels (without exact) of name pairs ``a``, ``b`` of soft overlap ``overlap``."""
    out = np.full(a.size, BODY_NAME.levels.index("different") + 1, dtype=np.uint8)
    records = feats.records
    for n in np.flatnonzero(overlap > 0).tolist():
        p, q = _all_words(records[int(a[n])].name), _all_words(records[int(b[n])].name)
        extra_p, extra_q = _unmatched(p, q), _unmatched(q, p)
        if extra_p and extra_q:
            level = "different words" if overlap[n] >= NAME_CLOSE else "different"
        else:  # one name within the other however many words it adds ("Tai chi", "Tai chi at Oldworth Library")
            level = "close" if extra_p or extra_q else "very close"
        out[n] = BODY_NAME.levels.index(level) + 1
    return out


def _names(
    feats: Features, left: npt.NDArray[np.int64], right: npt.NDArray[np.int64], comparison: Comparison = NAME
) -> Levels:
    tokens, idf, totals, keys = feats.name_tokens, feats.idf, feats.name_weight_totals, feats.name_keys
    sets, joined = feats.codes["name_set"], feats.codes["name_joined"]
    missing = (sets[left] < 0) | (sets[right] < 0)
    # Equal word sets, or equal once the words are run together ("Eurotraction", "Euro Traction").
    exact = ~missing & ((sets[left] == sets[right]) | (joined[left] == joined[right]))
    overlap = np.zeros(left.size, dtype=np.float64)
    rest = np.flatnonzero(~missing & ~exact)
    if rest.size:
        # Each distinct pair of word sets is scored once: many pairs repeat one (every service at one venue).
        combined = sets[left[rest]] * (int(sets.max()) + 1) + sets[right[rest]]
        _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
        a, b = left[rest][first], right[rest][first]
        # Prefilter in C: names sharing less than NAME_PREFILTER of their characters (token-set ratio) cannot reach
        # the "close" overlap, so the word-by-word comparison is skipped for them (most random and blocked pairs).
        ratio = process.cpdist(
            [keys[i] for i in a.tolist()], [keys[j] for j in b.tolist()], scorer=fuzz.token_set_ratio, workers=-1
        )
        hopeful = np.flatnonzero(np.asarray(ratio) >= NAME_PREFILTER * 100)
        distinct = np.zeros(first.size, dtype=np.float64)
        distinct[hopeful] = [
            _soft_overlap(tokens[i], tokens[j], idf, float(totals[i] + totals[j]))
            for i, j in zip(a[hopeful].tolist(), b[hopeful].tolist(), strict=True)
        ]
        if comparison is BODY_NAME:
            words = _word_levels(feats, distinct, a, b)[inverse.ravel()]
            out = np.ones(left.size, dtype=np.uint8)
            out[rest] = words
            out[missing] = 0
            return out
        overlap[rest] = distinct[inverse.ravel()]
    if comparison is BODY_NAME:
        return np.where(missing, 0, 1).astype(np.uint8)
    return _select(missing, [exact, overlap >= NAME_VERY_CLOSE, overlap >= NAME_CLOSE], default=4)


def _texts(
    values: Sequence[str],
    codes: npt.NDArray[np.int64],
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    *,
    street: bool,
) -> Levels:
    """Exact, close or different text. Streets are close by edit distance ("Windsor Grove", "Windor Grove"), not
    Jaro-Winkler, whose weight on a shared beginning makes "Station Road" and "Station Street" look alike;
    localities, mostly single words, by Jaro-Winkler. Only pairs that differ are scored (in C)."""
    a, b = codes[left], codes[right]
    missing = (a < 0) | (b < 0)
    exact = ~missing & (a == b)
    close = np.zeros(left.size, dtype=bool)
    rest = np.flatnonzero(~missing & ~exact)
    if rest.size:
        scorer = fuzz.ratio if street else JaroWinkler.normalized_similarity
        scale = 100 if street else 1
        similarity = process.cpdist(
            [values[i] for i in left[rest].tolist()],
            [values[j] for j in right[rest].tolist()],
            scorer=scorer,
            workers=-1,
        )
        close[rest] = np.asarray(similarity, dtype=np.float64) >= (STREET_CLOSE if street else TEXT_CLOSE) * scale
    return _select(missing, [exact, close], default=3)


def _house_numbers(
    feats: Features, left: npt.NDArray[np.int64], right: npt.NDArray[np.int64], comparison: Comparison
) -> Levels:
    codes = feats.codes["house_number"]
    a, b = codes[left], codes[right]
    levels = comparison.levels
    out = np.full(left.size, levels.index("different") + 1, dtype=np.uint8)
    out[a == b] = levels.index("same") + 1
    if "one missing" in levels:
        out[(a < 0) != (b < 0)] = levels.index("one missing") + 1
        out[(a < 0) & (b < 0)] = 0
    else:
        out[(a < 0) | (b < 0)] = 0
    return out


def _postcodes(
    feats: Features, left: npt.NDArray[np.int64], right: npt.NDArray[np.int64], comparison: Comparison
) -> Levels:
    full, sector, district = feats.codes["postcode"], feats.codes["sector"], feats.codes["district"]
    known = (full >= 0) | (district >= 0)

    def agree(codes: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        same: npt.NDArray[np.bool_] = (codes[left] >= 0) & (codes[left] == codes[right])
        return same

    same = agree(full)
    conditions = [same]
    if "same, several buildings" in comparison.levels:
        several = feats.postcode_buildings[left] >= 2
        conditions = [same & ~several, same & several]
    return _select(
        ~(known[left] & known[right]), [*conditions, agree(sector), agree(district)], default=len(comparison.levels)
    )


def _distances(feats: Features, left: npt.NDArray[np.int64], right: npt.NDArray[np.int64]) -> Levels:
    lat1, lon1 = np.radians(feats.latitudes[left]), np.radians(feats.longitudes[left])
    lat2, lon2 = np.radians(feats.latitudes[right]), np.radians(feats.longitudes[right])
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    metres = 2 * 6_371_000 * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
    return _select(np.isnan(metres), [metres <= 50, metres <= 250, metres <= 2000], default=4)


def _shared_sets(
    values: Sequence[frozenset[str]],
    single: npt.NDArray[np.int64],
    shared: frozenset[str],
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
) -> Levels:
    """Set fields (phones, domains): same on a value that singles the record out; same only on a shared value.

    ``single`` codes records holding exactly one value (``-1`` none, ``-2`` several): those pairs are settled in
    numpy, and only pairs with a record of several values are compared as sets.
    """
    a, b = single[left], single[right]
    out = np.where((a == -1) | (b == -1), 0, 3).astype(np.uint8)
    one = (a >= 0) & (b >= 0)
    same = np.flatnonzero(one & (a == b))
    if same.size:
        out[same] = [2 if next(iter(values[i])) in shared else 1 for i in left[same].tolist()]
    for n in np.flatnonzero(((a == -2) & (b != -1)) | ((b == -2) & (a != -1))).tolist():
        common = values[int(left[n])] & values[int(right[n])]
        out[n] = 3 if not common else 2 if common <= shared else 1
    return out


def _registrations(feats: Features, left: npt.NDArray[np.int64], right: npt.NDArray[np.int64]) -> Levels:
    out = np.zeros(left.size, dtype=np.uint8)
    regs = feats.registrations
    for n, (i, j) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        p, q = regs[i], regs[j]
        if not p or not q:
            continue
        schemes = p.keys() & q.keys()
        if any(p[s] & q[s] for s in schemes):
            out[n] = 1
        elif any(_one_apart(a, b) for s in schemes for a in p[s] for b in q[s]):
            out[n] = 2
        elif schemes:
            out[n] = 3
    return out


def _one_apart(a: str, b: str) -> bool:
    """Two identifiers of six or more characters one substitution, insertion or deletion apart."""
    return min(len(a), len(b)) >= 6 and Levenshtein.distance(a, b, score_cutoff=1) <= 1


def _sites(feats: Features, left: npt.NDArray[np.int64], right: npt.NDArray[np.int64]) -> Levels:
    """Shared or different parents other than the organisation: for a service, the locations it is offered at."""
    sites = [frozenset(r.parents) - {r.organization} for r in feats.records]
    seen: dict[str, int] = {}
    single = np.fromiter(
        (seen.setdefault(next(iter(s)), len(seen)) if len(s) == 1 else (-1 if not s else -2) for s in sites),
        dtype=np.int64,
        count=len(sites),
    )
    levels = _shared_sets(sites, single, frozenset(), left, right)
    return np.where(levels == 3, 2, levels).astype(np.uint8)


def _select(missing: npt.NDArray[np.bool_], conditions: list[npt.NDArray[np.bool_]], default: int) -> Levels:
    """Level 1 + index of the first true condition, else ``default``; 0 where ``missing``."""
    out = np.full(missing.size, default, dtype=np.uint8)
    for level in range(len(conditions), 0, -1):
        out[conditions[level - 1]] = level
    out[missing] = 0
    return out


def compare(feats: Features, pairs: Pairs, entity: Entity) -> Levels:
    """The comparison level of every field (``ENTITY_FIELDS[entity]``) for every pair, as a (pairs, fields) array."""
    left, right = pairs
    columns: list[Levels] = []
    codes = feats.codes
    for comparison in ENTITY_FIELDS[entity]:
        field = comparison.field
        if field == "name":
            columns.append(_names(feats, left, right, comparison))
        elif field == "street":
            columns.append(_texts(feats.streets, codes["street"], left, right, street=True))
        elif field == "house_number":
            columns.append(_house_numbers(feats, left, right, comparison))
        elif field == "postcode":
            columns.append(_postcodes(feats, left, right, comparison))
        elif field == "locality":
            localities = [r.locality for r in feats.records]
            columns.append(_texts(localities, codes["locality"], left, right, street=False))
        elif field == "distance":
            columns.append(_distances(feats, left, right))
        elif field == "phone":
            columns.append(_shared_sets(feats.phones, codes["phone"], feats.shared_phones, left, right))
        elif field == "domain":
            columns.append(_shared_sets(feats.domains, codes["domain"], feats.shared_domains, left, right))
        elif field == "registration":
            columns.append(_registrations(feats, left, right))
        elif field == "parents":
            columns.append(_sites(feats, left, right))
        elif field == "organization":
            orgs = integer_codes([r.organization for r in feats.records])
            a, b = orgs[left], orgs[right]
            columns.append(_select((a < 0) | (b < 0), [a == b], default=2))
    if not columns:
        return np.zeros((left.size, 0), dtype=np.uint8)
    return np.stack(columns, axis=1)


# --------------------------------------------------------------------------- hard rules

RULE_HOUSE_NUMBER = "different house numbers"
RULE_REGISTRATION = "conflicting registration ids"


RULE_NAMES = "different names"
RULE_SITES = "different organisations or sites"


RULES = (None, RULE_HOUSE_NUMBER, RULE_REGISTRATION, RULE_NAMES, RULE_SITES)  # indexed by ``hard_rule_codes``


def hard_rule_codes(levels: Levels, entity: Entity) -> npt.NDArray[np.uint8]:
    """Per pair, the index in ``RULES`` of the hard rule that forbids linking it (0: none)."""
    fields = [c.field for c in ENTITY_FIELDS[entity]]
    blocked = np.zeros(levels.shape[0], dtype=np.uint8)
    if "registration" in fields:
        blocked[levels[:, fields.index("registration")] == REGISTRATION.levels.index("conflicting") + 1] = 2
    if BODY_NAME in ENTITY_FIELDS[entity]:
        # An organisation or service is its name: two with different names (or each with a word the other lacks)
        # are different bodies however much else they share (groups meeting at one venue, a council's services at
        # one library), unless one registration number says they are one body (renamed).
        # An organisation's own phone number or website (not one shared by many records) also says so when the
        # names still share most of their weight ("Arts Delicatessen", "Arts Deli"); a service shares them with
        # every other service of its organisation, so for services they do not.
        name = levels[:, fields.index("name")]
        differ = name >= BODY_NAME.levels.index("different words") + 1
        if "registration" in fields:
            differ &= levels[:, fields.index("registration")] != REGISTRATION.levels.index("same") + 1
        if entity == "organization":
            words_only = name == BODY_NAME.levels.index("different words") + 1
            same_phone = levels[:, fields.index("phone")] == PHONE.levels.index("same") + 1
            same_domain = levels[:, fields.index("domain")] == DOMAIN.levels.index("same") + 1
            differ &= ~(words_only & (same_phone | same_domain))
        blocked[differ & (blocked == 0)] = 3
    if SITES in ENTITY_FIELDS[entity]:
        # One organisation's same-named services at two sites (a council's job shop at each library) are different
        # services; a listing that moved would too, but nothing tells the two apart and a wrong merge hides one.
        # A number of its own shared by both listings is the exception: it is the one service that moved or is
        # listed at two addresses. Services of two organisations at different sites are two as well (a lunch club
        # each group runs); at one site they may be one that organisation linkage did not join.
        site_level = levels[:, fields.index("parents")]
        sites = site_level == SITES.levels.index("different") + 1
        same_postcode = levels[:, fields.index("postcode")] == POSTCODE.levels.index("same") + 1
        same_phone = levels[:, fields.index("phone")] == PHONE.levels.index("same") + 1
        orgs = levels[:, fields.index("organization")] == ORGANIZATION.levels.index("different") + 1
        shared_site = site_level == SITES.levels.index("shared") + 1
        same_domain = levels[:, fields.index("domain")] == DOMAIN.levels.index("same") + 1
        apart = (sites & ~same_postcode & ~same_phone) | (orgs & ~(shared_site & (same_phone | same_domain)))
        blocked[apart & (blocked == 0)] = 4
    if entity == "location" and "house_number" in fields:
        column = fields.index("house_number")
        different = ENTITY_FIELDS[entity][column].levels.index("different") + 1
        blocked[levels[:, column] == different] = 1
    return blocked


def askable(levels: Levels, entity: Entity, rule_codes: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """Pairs kept apart only because each name holds a word the other lacks, while the names still share most of
    their weight ("Koninklijke Philips Electronics", "Philips Gloeilampenfabrieken"): the rule keeps them apart, but
    where the score says they look alike a reviewer is asked rather than never shown them (see ``pipeline.link``).
    """
    out = np.zeros(levels.shape[0], dtype=bool)
    if BODY_NAME in ENTITY_FIELDS[entity]:
        column = [c.field for c in ENTITY_FIELDS[entity]].index("name")
        words = levels[:, column] == BODY_NAME.levels.index("different words") + 1
        out = words & (rule_codes == RULES.index(RULE_NAMES))
    return out


def hard_rules(levels: Levels, entity: Entity) -> list[str | None]:
    """Per pair, the hard rule that forbids linking it, or ``None``."""
    return [RULES[code] for code in hard_rule_codes(levels, entity).tolist()]


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Model:
    """Estimated m and u per field and level (index 0, "missing", unused) and the prior match share."""

    fields: tuple[Comparison, ...]
    m: tuple[npt.NDArray[np.float64], ...]
    u: tuple[npt.NDArray[np.float64], ...]
    prior: float
    iterations: int = 0

    def level_weights(self) -> list[npt.NDArray[np.float64]]:
        """Bits of evidence per field and level: ``log2(m / u)``, 0 for missing (worked out once per model)."""
        return self._level_weights

    @cached_property
    def _level_weights(self) -> list[npt.NDArray[np.float64]]:
        out = []
        for comparison, m, u in zip(self.fields, self.m, self.u, strict=True):
            w = np.log2(np.maximum(m, 1e-12) / np.maximum(u, 1e-12))
            w[0] = 0.0
            for level in comparison.neutral:
                w[comparison.levels.index(level) + 1] = 0.0
            out.append(w)
        return out

    def match_weights(self, levels: Levels) -> npt.NDArray[np.float64]:
        """Each pair's total match weight in bits, prior included."""
        total = np.full(levels.shape[0], np.log2(self.prior / (1 - self.prior)), dtype=np.float64)
        for column, weights in enumerate(self.level_weights()):
            total += weights[levels[:, column]]
        return total

    def probabilities(self, levels: Levels) -> npt.NDArray[np.float64]:
        return 1 / (1 + np.exp2(-np.clip(self.match_weights(levels), -60, 60)))

    def explain(self, row: npt.NDArray[np.uint8]) -> list[tuple[str, str, float]]:
        """``(field, level, weight in bits)`` for one pair's levels, strongest evidence first.

        Memoised per level pattern: a batch has many pairs but few distinct patterns.
        """
        pattern = tuple(row.tolist())
        explained = self._explained.get(pattern)
        if explained is None:
            weights = self.level_weights()
            evidence = [
                (c.field, c.level_name(level), round(float(weights[k][level]), 2))
                for k, (c, level) in enumerate(zip(self.fields, pattern, strict=True))
            ]
            explained = self._explained[pattern] = tuple(sorted(evidence, key=lambda item: -abs(item[2])))
        return list(explained)

    @cached_property
    def _explained(self) -> dict[tuple[int, ...], tuple[tuple[str, str, float], ...]]:
        return {}


# Fields whose u is measured among neighbours (records in one postcode sector, or one locality), per entity. A site's
# name often names its neighbourhood ("Claywell Health Centre", "Oldbridge Surgery"), so two different places
# nearby share a name far more often than two random records do; and candidate pairs are nearby pairs.
LOCAL_U_FIELDS: dict[str, frozenset[str]] = {"location": frozenset({"name"})}
# Entities whose rule-settled pairs count in the prior (see ``train``'s ``ruled_out``).
PRIOR_COUNTS_RULED_OUT: frozenset[str] = frozenset({"organization", "service"})


def estimate_u(
    feats: Features, entity: Entity, *, link_only: bool = False, sample: int = 100_000, seed: int = 0
) -> tuple[npt.NDArray[np.float64], ...]:
    """``u`` per field from random pairs of records, with one pseudo-count per level.

    Fields in ``LOCAL_U_FIELDS`` take theirs from random pairs of neighbours instead, where there are enough.
    """
    n = len(feats)
    fields = ENTITY_FIELDS[entity]
    rng = np.random.default_rng(seed)
    sample = min(sample, n * (n - 1) // 2)  # a small batch has fewer distinct pairs than the sample asks for
    if n < 2:
        return tuple(np.full(len(c.levels) + 1, 1 / len(c.levels)) for c in fields)
    left = rng.integers(0, n, size=sample * 2, dtype=np.int64)
    right = rng.integers(0, n, size=sample * 2, dtype=np.int64)
    left, right = _usable(feats, left, right, link_only, sample)
    levels = compare(feats, (left, right), entity)
    u = [_distribution(levels[:, k], len(c.levels), np.ones(levels.shape[0])) for k, c in enumerate(fields)]
    local_fields = LOCAL_U_FIELDS.get(entity, frozenset())
    if local_fields:
        near_left, near_right = _usable(feats, *_neighbour_pairs(feats, rng, sample * 2), link_only, sample)
        if near_left.size >= 1000:
            near = compare(feats, (near_left, near_right), entity)
            for k, c in enumerate(fields):
                if c.field in local_fields:
                    u[k] = _distribution(near[:, k], len(c.levels), np.ones(near.shape[0]))
    return tuple(u)


def _usable(
    feats: Features, left: npt.NDArray[np.int64], right: npt.NDArray[np.int64], link_only: bool, sample: int
) -> Pairs:
    """Up to ``sample`` of the pairs that are two different records (of two sources with ``link_only``)."""
    keep = left != right
    if link_only:
        keep &= feats.sources[left] != feats.sources[right]
    return left[keep][:sample], right[keep][:sample]


def _neighbour_pairs(feats: Features, rng: np.random.Generator, size: int) -> Pairs:
    """Random pairs of records in one area (postcode sector, else locality); empty if no area has two records."""
    areas = [p.sector or r.locality or "" for p, r in zip(feats.postcodes, feats.records, strict=True)]
    codes: dict[str, int] = {}
    area = np.fromiter((codes.setdefault(a, len(codes)) if a else -1 for a in areas), np.int64, len(areas))
    order = np.argsort(area, kind="stable")
    sorted_area = area[order]
    starts = np.searchsorted(sorted_area, sorted_area, side="left")
    sizes = np.searchsorted(sorted_area, sorted_area, side="right") - starts
    eligible = np.flatnonzero((sorted_area >= 0) & (sizes >= 2))
    if eligible.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    pick = eligible[rng.integers(0, eligible.size, size=size)]
    partner = starts[pick] + (rng.random(size) * sizes[pick]).astype(np.int64)
    return order[pick], order[partner]


def _distribution(
    column: Levels, count: int, weights: npt.NDArray[np.float64], pseudo: float = 1.0
) -> npt.NDArray[np.float64]:
    """Share of each non-missing level (index 1..count) in ``column`` weighted by ``weights``; index 0 is 0."""
    totals = np.bincount(column, weights=weights, minlength=count + 1).astype(np.float64)
    totals[0] = 0.0
    totals[1:] += pseudo
    shares: npt.NDArray[np.float64] = totals / totals[1:].sum()
    return shares


def _initial_m(count: int) -> npt.NDArray[np.float64]:
    """A starting m: matches mostly agree (best level 0.8), the rest spread geometrically over worse levels."""
    shares = np.array([0.8] + [0.2 * 0.5**k for k in range(count - 1)], dtype=np.float64)
    return np.concatenate([[0.0], shares / shares.sum()])


def pattern_codes(levels: Levels) -> npt.NDArray[np.int64]:
    """Each pair's levels as one integer, the first field the most significant digit: equal patterns get equal codes,
    and codes sort as the patterns do row by row (so ``np.unique`` on them is ``np.unique(levels, axis=0)``)."""
    base = int(levels.max(initial=0)) + 1
    if base ** levels.shape[1] >= 2**62:
        raise ValueError("too many fields or levels to code level patterns as integers")
    codes = np.zeros(levels.shape[0], dtype=np.int64)
    for column in range(levels.shape[1]):
        codes = codes * base + levels[:, column]
    return codes


def train(
    levels: Levels,
    entity: Entity,
    u: Sequence[npt.NDArray[np.float64]],
    *,
    labelled: Sequence[tuple[int, bool]] = (),
    label_weight: float = 10.0,
    fit_u: bool = False,
    ruled_out: int = 0,
    iterations: int = 100,
    tolerance: float = 1e-6,
) -> Model:
    """EM for m and the prior over candidate pairs' levels; labelled rows clamped (see module doc).

    ``u`` stays as estimated from random pairs unless ``fit_u``, which re-estimates it from the candidate pairs'
    non-match share too (it can help where fields are correlated within blocks, but on name-only data EM then
    drifts to splitting on whatever else varies; off by default).

    ``ruled_out`` counts candidate pairs a hard rule settled as non-matches and left out of ``levels``: they still
    count in the prior's denominator. Without them, once rules remove the differently named organisations, the
    pairs left are nearly all matches, the prior goes to one, and its log-odds outweigh any field's evidence.
    """
    fields = ENTITY_FIELDS[entity]
    labels = dict(labelled)
    unlabelled = np.ones(levels.shape[0], dtype=bool)
    unlabelled[list(labels)] = False
    open_levels = levels[unlabelled]
    _, first, counts = np.unique(pattern_codes(open_levels), return_index=True, return_counts=True)
    patterns = open_levels[first]  # in the rows' lexicographic order, as the codes sort
    if labels:
        rows = np.array(list(labels), dtype=np.int64)
        label_rows = levels[rows]
        label_post = np.array([1.0 if labels[r] else 0.0 for r in rows.tolist()])
    else:
        label_rows = np.zeros((0, levels.shape[1]), dtype=np.uint8)
        label_post = np.zeros(0)
    all_rows = np.concatenate([patterns.reshape(-1, levels.shape[1]), label_rows]).astype(np.uint8)
    all_counts = np.concatenate([counts.astype(np.float64), np.full(label_post.size, label_weight)])
    m = [c.with_fixed_m(_initial_m(len(c.levels))) for c in fields]
    u = list(u)
    prior = 0.05
    done = 0
    for done in range(1, iterations + 1):  # noqa: B007 - the count is reported in the model
        model = Model(fields, tuple(m), tuple(u), prior)
        post = model.probabilities(all_rows)
        post[patterns.shape[0] :] = label_post
        weighted = all_counts * post
        new_m = [
            c.with_fixed_m(_distribution(all_rows[:, k], len(c.levels), weighted, pseudo=0.01))
            for k, c in enumerate(fields)
        ]
        if fit_u:
            unweighted = all_counts * (1 - post)
            u = [_distribution(all_rows[:, k], len(c.levels), unweighted, pseudo=0.01) for k, c in enumerate(fields)]
        new_prior = float(np.clip(weighted.sum() / max(all_counts.sum() + ruled_out, 1e-9), 1e-6, 1 - 1e-6))
        change = max(abs(new_prior - prior), *(float(np.abs(a - b).max()) for a, b in zip(new_m, m, strict=True)))
        m, prior = new_m, new_prior
        if change < tolerance:
            break
    return Model(fields, tuple(m), tuple(u), prior, done)
