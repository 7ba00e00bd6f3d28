"""De-duplication of staged records into clusters (future golden records): pure functions, no database, no Flask.

``link(records, decisions=..., previous=..., thresholds=...)`` is the entry point; the modules are the steps:
``records`` (what is compared), ``normalise``, ``features``, ``blocking``, ``scoring`` (Fellegi-Sunter with EM),
``bands``, ``clustering`` (stable golden ids) and ``evaluate``.
"""

from app.linkage.bands import Band, Thresholds
from app.linkage.blocking import BlockingStats, blocking_recall
from app.linkage.evaluate import PairwiseScores, pairwise_scores
from app.linkage.pipeline import Decision, FieldEvidence, LinkResult, ScoredPair, link
from app.linkage.records import Entity, Key, LinkRecord, from_hsds

__all__ = [
    "Band",
    "BlockingStats",
    "Decision",
    "Entity",
    "FieldEvidence",
    "Key",
    "LinkRecord",
    "LinkResult",
    "PairwiseScores",
    "ScoredPair",
    "Thresholds",
    "blocking_recall",
    "from_hsds",
    "link",
    "pairwise_scores",
]
