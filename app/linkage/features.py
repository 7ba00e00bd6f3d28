"""Per-batch features: each record's comparable values worked out once, in columns, before any pair is looked at.

Blocking and scoring both need name tokens, their rarity over the batch, postcode sectors, shared phones and so on.
Computing them once per record (not once per pair) and holding them in parallel lists and numpy arrays is what keeps
scoring millions of candidate pairs affordable.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.linkage import normalise as norm
from app.linkage.records import LinkRecord


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
    """The features of ``records``; token weights and shared phones/domains are computed over this batch."""
    parts = [norm.name_parts(record.name) for record in records]
    tokens = [frozenset(p.distinctive) for p in parts]
    weights = norm.TokenWeights(tokens)
    source_ids: dict[str, int] = {}
    sources = np.fromiter((source_ids.setdefault(r.source, len(source_ids)) for r in records), np.int32, len(records))
    registrations: list[dict[str, frozenset[str]]] = []
    for record in records:
        by_scheme: dict[str, set[str]] = {}
        for scheme, ident in record.registrations:
            by_scheme.setdefault(scheme, set()).add(ident)
        registrations.append({scheme: frozenset(ids) for scheme, ids in by_scheme.items()})
    postcodes = [_postcode(r) for r in records]
    rarest: dict[frozenset[str], tuple[str, ...]] = {}  # many records share a name: sort its words once
    totals: dict[frozenset[str], float] = {}
    for words in tokens:
        if words not in rarest:
            rarest[words] = tuple(weights.rarest(words, 2))
            totals[words] = sum(weights.weight(t) for t in words)
    street_of: dict[tuple[tuple[str, ...], str], str] = {}  # every service at one venue repeats its address
    streets = []
    for r in records:
        street = r.street if r.street is not None else street_of.get((r.address, r.name))
        if street is None:
            street = street_of[(r.address, r.name)] = norm.street_text(r.address, r.name)
        streets.append(street)
    postcode_codes = integer_codes([p.full for p in postcodes])
    number_codes = integer_codes([r.house_number for r in records])
    return Features(
        records=records,
        sources=sources,
        name_keys=[p.key for p in parts],
        name_tokens=tokens,
        rare_tokens=[rarest[words] for words in tokens],
        name_weight_totals=np.array([totals[words] for words in tokens], dtype=np.float64),
        weights=weights,
        idf={word: weights.weight(word) for word in weights.counts},
        streets=streets,
        postcodes=postcodes,
        latitudes=np.array([np.nan if r.latitude is None else r.latitude for r in records], dtype=np.float64),
        longitudes=np.array([np.nan if r.longitude is None else r.longitude for r in records], dtype=np.float64),
        phones=[frozenset(r.phones) for r in records],
        domains=[frozenset((r.domain,)) if r.domain else frozenset() for r in records],
        shared_phones=norm.shared_values((r.source, r.phones) for r in records),
        shared_domains=norm.shared_values(
            ((r.source, (r.domain,) if r.domain else ()) for r in records), min_records=6
        ),
        registrations=registrations,
        codes={
            "name_set": integer_codes(tokens),
            "name_joined": integer_codes(["".join(sorted(t)) for t in tokens]),
            "street": integer_codes(streets),
            "locality": integer_codes([r.locality for r in records]),
            "house_number": number_codes,
            "postcode": postcode_codes,
            "sector": integer_codes([p.sector for p in postcodes]),
            "district": integer_codes([p.district for p in postcodes]),
            "phone": _single_codes([r.phones for r in records]),
            "domain": integer_codes([r.domain for r in records]),
        },
        postcode_buildings=_buildings(postcode_codes, number_codes),
    )


def _buildings(postcodes: npt.NDArray[np.int64], numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Per record, the number of distinct house numbers among the records sharing its postcode (0 without one)."""
    out = np.zeros(postcodes.size, dtype=np.int64)
    known = (postcodes >= 0) & (numbers >= 0)
    if known.any():
        distinct = np.unique(np.stack([postcodes[known], numbers[known]]), axis=1)[0]
        counts = np.bincount(distinct, minlength=int(postcodes.max()) + 1)
        has = postcodes >= 0
        out[has] = counts[postcodes[has]]
    return out


def integer_codes(values: Sequence[Hashable]) -> npt.NDArray[np.int64]:
    """Each value as a small integer, equal values equal; ``-1`` for an unknown (falsy) value."""
    seen: dict[Hashable, int] = {}
    return np.fromiter((seen.setdefault(v, len(seen)) if v else -1 for v in values), dtype=np.int64, count=len(values))


def _single_codes(values: Sequence[Sequence[str]]) -> npt.NDArray[np.int64]:
    """Set fields (phones) as integers where a record has exactly one value; ``-1`` none, ``-2`` several."""
    seen: dict[str, int] = {}
    return np.fromiter(
        (seen.setdefault(v[0], len(seen)) if len(v) == 1 else (-1 if not v else -2) for v in values),
        dtype=np.int64,
        count=len(values),
    )


def _postcode(record: LinkRecord) -> norm.PostcodeParts:
    return norm.postcode_parts(record.postcode, record.country) if record.postcode else norm.PostcodeParts(None)
