"""Bands: what happens to a scored pair. Merge automatically, ask a reviewer, or keep apart.

Two configurable thresholds on the match probability cut it into three bands: at or above ``auto_merge`` the
records are merged without asking; from ``review`` up to ``auto_merge`` a maintainer is asked; below ``review``
(the keep-apart band) nothing happens. Raising ``auto_merge`` trades reviewer time for fewer wrong merges.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt


class Band(StrEnum):
    AUTO_MERGE = "auto_merge"
    REVIEW = "review"
    KEEP_APART = "keep_apart"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Match probabilities where the auto-merge and review bands start; below ``review`` is keep apart."""

    auto_merge: float = 0.9
    review: float = 0.2

    def __post_init__(self) -> None:
        if not 0.0 <= self.review <= self.auto_merge <= 1.0:
            raise ValueError(
                f"thresholds must satisfy 0 <= review <= auto_merge <= 1, got review={self.review}, "
                f"auto_merge={self.auto_merge}"
            )

    def band(self, probability: float) -> Band:
        if probability >= self.auto_merge:
            return Band.AUTO_MERGE
        return Band.REVIEW if probability >= self.review else Band.KEEP_APART

    def codes(self, probabilities: npt.NDArray[np.float64]) -> npt.NDArray[np.int8]:
        """Vectorised band: 0 auto-merge, 1 review, 2 keep apart (the order of ``BANDS``)."""
        return np.where(probabilities >= self.auto_merge, 0, np.where(probabilities >= self.review, 1, 2)).astype(
            np.int8
        )


BANDS = (Band.AUTO_MERGE, Band.REVIEW, Band.KEEP_APART)
