"""Evaluation: pairwise precision, recall and F1 of a clustering against a ground truth.

Pairwise metrics count pairs of records: a predicted pair is two records in one predicted cluster, a true pair two
records with one truth id. They are computed from cluster sizes (never by listing pairs), so evaluating a million
records is cheap. With ``link_only`` only pairs from different sources count, for benchmarks that link two clean
sources. Records missing from the truth are their own singletons.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from app.linkage.blocking import blocking_recall
from app.linkage.records import Key

__all__ = ["PairwiseScores", "blocking_recall", "pairwise_scores"]


@dataclass(frozen=True, slots=True)
class PairwiseScores:
    precision: float
    recall: float
    f1: float
    true_positives: int
    predicted_pairs: int
    true_pairs: int

    def as_dict(self) -> dict[str, float | int]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def _pairs(groups: Iterable[tuple[object, str]], link_only: bool) -> int:
    """Pairs within groups of ``(group, source)`` members; only cross-source pairs with ``link_only``."""
    sizes: Counter[object] = Counter()
    per_source: Counter[tuple[object, str]] = Counter()
    for group, source in groups:
        sizes[group] += 1
        per_source[(group, source)] += 1
    total = sum(n * (n - 1) // 2 for n in sizes.values())
    if link_only:
        total -= sum(n * (n - 1) // 2 for n in per_source.values())
    return total


def pairwise_scores(
    predicted: Mapping[Key, str], truth: Mapping[Key, str], *, link_only: bool = False
) -> PairwiseScores:
    """Pairwise precision, recall and F1 of ``predicted`` (key -> cluster) against ``truth`` (key -> truth id).

    Keys in ``truth`` but not in ``predicted`` count as predicted singletons, so their pairs are missed.
    """
    keys = set(predicted) | set(truth)
    predicted_id = {k: predicted.get(k, ("unpredicted", k)) for k in keys}
    truth_id = {k: truth.get(k, ("untrue", k)) for k in keys}
    true_positives = _pairs((((predicted_id[k], truth_id[k]), k[0]) for k in keys), link_only)
    predicted_pairs = _pairs(((predicted_id[k], k[0]) for k in keys), link_only)
    true_pairs = _pairs(((truth_id[k], k[0]) for k in keys), link_only)
    precision = true_positives / predicted_pairs if predicted_pairs else 1.0
    recall = true_positives / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairwiseScores(precision, recall, f1, true_positives, predicted_pairs, true_pairs)
