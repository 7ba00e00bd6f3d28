"""Per-batch features: each record's comparable values worked out once, in columns, before any pair is looked at.

Blocking and scoring both need name tokens, their rarity over the batch, postcode sectors, shared phones and so on.
Computing them once per record (not once per pair) and holding them in parallel lists and numpy arrays is what keeps
scoring millions of candidate pairs affordable.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from app.linkage import normalise as norm
from app.linkage.records import LinkRecord

H = TypeVar("H", bound=Hashable)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Features:
    """Column-wise features of a batch of records; index ``i`` everywhere is ``records[i]``."""

    records: Sequence[LinkRecord]
    sources: npt.NDArray[np.int32]  # a small integer per source, for link-only filtering
    name_keys: list[str]  # distinctive words in order ("leeds mind")
    name_tokens: list[frozenset[str]]
    rare_tokens: list[tuple[str, ...]]  # each record's two rarest distinctive words, rarest first (for blocking)
    name_weight_totals: npt.NDArray[np.float64]  # sum of the IDF weights of each record's distinctive words
    weights: norm.TokenWeights
    idf: dict[str, float]  # every name word's weight, looked up in the comparison loops
    streets: list[str]
    postcodes: list[norm.PostcodeParts]
    latitudes: npt.NDArray[np.float64]  # NaN when unknown
    longitudes: npt.NDArray[np.float64]
    phones: list[frozenset[str]]
    domains: list[frozenset[str]]  # the web domain as a set of one, for the comparison shared with phones
    shared_phones: frozenset[str]
    shared_domains: frozenset[str]
    registrations: list[dict[str, frozenset[str]]]  # scheme -> ids
    # The same values as small integers (-1: unknown), so equality over millions of pairs is one numpy comparison.
    codes: dict[str, npt.NDArray[np.int64]]
    # How many different house numbers the batch has at each record's postcode: two or more, several buildings.
    postcode_buildings: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.records)


def features(records: Sequence[LinkRecord]) -> Features:
    """The features of ``records``; token weights and shared phones/domains are computed over this batch.

    Names, postcodes, phones and registrations repeat across a batch (every service at one venue, every branch of
    one charity), so each is worked out once per distinct value and shared by the records that hold it.
    """
    name_of, names = distinct(_column(records, "name"))
    parts = [norm.name_parts(name) for name in names]
    distinct_tokens = [frozenset(p.distinctive) for p in parts]
    weights = norm.TokenWeights(distinct_tokens, repeats=np.bincount(name_of, minlength=len(names)).tolist())
    rarest = [tuple(weights.rarest(words, 2)) for words in distinct_tokens]
    distinct_totals = np.array([sum(weights.weight(t) for t in words) for words in distinct_tokens], dtype=np.float64)
    keys = _column(records, "key")
    source_of = distinct([key[0] for key in keys])[0]
    registration_of, registration_values = distinct(_column(records, "registrations"))
    countries = _column(records, "country")
    if len(set(countries)) <= 1:  # one country (most batches): postcode strings are quicker keys than pairs
        postcode_of, raw = distinct(_column(records, "postcode"))
        postcode_values = [(p, countries[0]) for p in raw]
    else:
        postcode_of, postcode_values = distinct(list(zip(_column(records, "postcode"), countries, strict=True)))
    distinct_postcodes = [norm.postcode_parts(*v) if v[0] else norm.PostcodeParts(None) for v in postcode_values]
    streets = _column(records, "street")
    street_of: dict[tuple[tuple[str, ...], str], str] = {}  # records made without ``build`` have no street yet
    for index in (i for i, street in enumerate(streets) if street is None):
        r = records[index]
        street = streets[index] = street_of.get((r.address, r.name))
        if street is None:
            streets[index] = street_of[(r.address, r.name)] = norm.street_text(r.address, r.name)
    phones = _column(records, "phones")
    phone_of, phone_values = distinct(phones)
    distinct_phones = [frozenset(values) for values in phone_values]
    domains = _column(records, "domain")
    domain_of, domain_values = distinct(domains)
    postcode_codes = _spread(integer_codes([p.full for p in distinct_postcodes]), postcode_of)
    number_codes = integer_codes(_column(records, "house_number"))
    sources = _column(records, "source")
    return Features(
        records=records,
        sources=source_of.astype(np.int32),
        name_keys=_pick([p.key for p in parts], name_of),
        name_tokens=_pick(distinct_tokens, name_of),
        rare_tokens=_pick(rarest, name_of),
        name_weight_totals=distinct_totals[name_of],
        weights=weights,
        idf={word: weights.weight(word) for word in weights.counts},
        streets=streets,
        postcodes=_pick(distinct_postcodes, postcode_of),
        latitudes=np.array(_column(records, "latitude"), dtype=np.float64),  # None becomes NaN
        longitudes=np.array(_column(records, "longitude"), dtype=np.float64),
        phones=_pick(distinct_phones, phone_of),
        domains=_pick([frozenset((d,)) if d else frozenset() for d in domain_values], domain_of),
        shared_phones=norm.shared_values((s, p) for s, p in zip(sources, phones, strict=True) if p),
        shared_domains=norm.shared_values(
            ((s, (d,)) for s, d in zip(sources, domains, strict=True) if d), min_records=6
        ),
        registrations=_pick([_by_scheme(values) for values in registration_values], registration_of),
        codes={
            "name_set": _spread(integer_codes(distinct_tokens), name_of),
            "name_joined": _spread(integer_codes(["".join(sorted(t)) for t in distinct_tokens]), name_of),
            "street": integer_codes(streets),
            "locality": integer_codes(_column(records, "locality")),
            "house_number": number_codes,
            "postcode": postcode_codes,
            "sector": _spread(integer_codes([p.sector for p in distinct_postcodes]), postcode_of),
            "district": _spread(integer_codes([p.district for p in distinct_postcodes]), postcode_of),
            "phone": _spread(_single_codes(phone_values), phone_of),
            "domain": _spread(integer_codes(domain_values), domain_of),
        },
        postcode_buildings=_buildings(postcode_codes, number_codes),
    )


def _column(records: Sequence[LinkRecord], name: str) -> list[Any]:
    """One field of every record, in order."""
    return list(map(attrgetter(name), records))


def _pick(values: Sequence[T], index: npt.NDArray[np.int64]) -> list[T]:
    """``values[i]`` for each ``i`` of ``index``: a per-distinct-value result given to every record."""
    return list(map(values.__getitem__, index.tolist()))


def distinct(values: Sequence[H]) -> tuple[npt.NDArray[np.int64], list[H]]:
    """Each value's index among the distinct values (in first-seen order), and those values."""
    seen: dict[H, int] = dict.fromkeys(values, 0)
    for code, value in enumerate(seen):
        seen[value] = code
    return np.fromiter(map(seen.__getitem__, values), dtype=np.int64, count=len(values)), list(seen)


def _spread(codes: npt.NDArray[np.int64], index: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Codes of distinct values given to every record holding them (empty input: empty codes)."""
    return codes[index] if codes.size else np.full(index.size, -1, dtype=np.int64)


def _by_scheme(registrations: tuple[tuple[str, str], ...]) -> dict[str, frozenset[str]]:
    by_scheme: dict[str, set[str]] = {}
    for scheme, ident in registrations:
        by_scheme.setdefault(scheme, set()).add(ident)
    return {scheme: frozenset(ids) for scheme, ids in by_scheme.items()}


def _buildings(postcodes: npt.NDArray[np.int64], numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Per record, the number of distinct house numbers among the records sharing its postcode (0 without one)."""
    out = np.zeros(postcodes.size, dtype=np.int64)
    known = (postcodes >= 0) & (numbers >= 0)
    if known.any():
        base = int(numbers.max()) + 1
        distinct = np.unique(postcodes[known] * base + numbers[known]) // base  # a postcode per building it has
        counts = np.bincount(distinct, minlength=int(postcodes.max()) + 1)
        has = postcodes >= 0
        out[has] = counts[postcodes[has]]
    return out


def integer_codes(values: Sequence[Hashable]) -> npt.NDArray[np.int64]:
    """Each value as a small integer, equal values equal; ``-1`` for an unknown (falsy) value."""
    seen: dict[Hashable, int] = dict.fromkeys(values, -1)  # each distinct value once, then coded in C loops
    code = 0
    for value in seen:
        if value:
            seen[value] = code
            code += 1
    return np.fromiter(map(seen.__getitem__, values), dtype=np.int64, count=len(values))


def _single_codes(values: Sequence[Sequence[str]]) -> npt.NDArray[np.int64]:
    """Set fields (phones) as integers where a record has exactly one value; ``-1`` none, ``-2`` several."""
    seen: dict[str, int] = {}
    return np.fromiter(
        (seen.setdefault(v[0], len(seen)) if len(v) == 1 else (-1 if not v else -2) for v in values),
        dtype=np.int64,
        count=len(values),
    )
