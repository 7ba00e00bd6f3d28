"""Per-batch features: each record's comparable values worked out once, in columns, before any pair is looked at.

Blocking and scoring both need name tokens, their rarity over the batch, postcode sectors, shared phones and so on.
Computing them once per record (not once per pair) and holding them in parallel lists and numpy arrays is what keeps
scoring millions of candidate pairs affordable.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    name_weight_totals: npt.NDArray[np.float64]  # sum of the IDF weights of each record's distinctive words
    weights: norm.TokenWeights
    idf: dict[str, float]  # every name word's weight, looked up in the comparison loops
    streets: list[str]
    postcodes: list[norm.PostcodeParts]
    latitudes: npt.NDArray[np.float64]  # NaN when unknown
    longitudes: npt.NDArray[np.float64]
    phones: list[frozenset[str]]
    shared_phones: frozenset[str]
    shared_domains: frozenset[str]
    registrations: list[dict[str, frozenset[str]]]  # scheme -> ids

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
    return Features(
        records=records,
        sources=sources,
        name_keys=[p.key for p in parts],
        name_tokens=tokens,
        name_weight_totals=np.array([sum(weights.weight(t) for t in ts) for ts in tokens], dtype=np.float64),
        weights=weights,
        idf={word: weights.weight(word) for word in weights.counts},
        streets=[norm.street_text(r.address, r.name) for r in records],
        postcodes=[_postcode(r) for r in records],
        latitudes=np.array([np.nan if r.latitude is None else r.latitude for r in records], dtype=np.float64),
        longitudes=np.array([np.nan if r.longitude is None else r.longitude for r in records], dtype=np.float64),
        phones=[frozenset(r.phones) for r in records],
        shared_phones=norm.shared_values((r.source, r.phones) for r in records),
        shared_domains=norm.shared_values(
            ((r.source, (r.domain,) if r.domain else ()) for r in records), min_records=6
        ),
        registrations=registrations,
    )


def _postcode(record: LinkRecord) -> norm.PostcodeParts:
    return norm.postcode_parts(record.postcode, record.country) if record.postcode else norm.PostcodeParts(None)
