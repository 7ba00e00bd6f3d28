"""What a run compared, kept so the next run compares again only the pairs that touch a changed record.

``Compared`` holds every candidate pair of one entity's run (indices into its keys), each pair's comparison levels,
and the fitted model. ``link(reuse=..., changed=...)`` takes the levels of every pair whose records are both
unchanged from it, compares only the rest, and scores all with the stored model (so scores are comparable with the
last run's; a full run refits it). Stored as one compressed numpy archive (``to_bytes``/``from_bytes``).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.linkage.records import Entity, Key
from app.linkage.scoring import ENTITY_FIELDS, Levels, Model


@dataclass(frozen=True)
class Compared:
    """Candidate pairs ``left``/``right`` (indices into ``keys``, left < right), their levels, and the model;
    ``drift``: how many records were new, changed or gone in incremental runs since the model was fitted."""

    keys: Sequence[Key]
    left: npt.NDArray[np.int64]
    right: npt.NDArray[np.int64]
    levels: Levels
    model: Model
    drift: int = 0

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(
            buffer,
            sources=np.array([key[0] for key in self.keys], dtype=str),
            ids=np.array([key[1] for key in self.keys], dtype=str),
            # pairs come sorted by left: its steps, and each field's levels in a row, compress well and fast
            left=np.diff(self.left, prepend=0).astype(np.int32),
            right=self.right.astype(np.int32),
            levels=np.ascontiguousarray(self.levels.T),
            fields=np.array([c.field for c in self.model.fields], dtype=str),
            m=np.concatenate(self.model.m),
            u=np.concatenate(self.model.u),
            prior=np.array([self.model.prior]),
            drift=np.array([self.drift]),
        )
        return zlib.compress(buffer.getvalue(), 1)

    @classmethod
    def from_bytes(cls, data: bytes, entity: Entity) -> Compared | None:
        """The stored state, or None when it was made with other comparisons than this code's for ``entity``."""
        stored = np.load(io.BytesIO(zlib.decompress(data)), allow_pickle=False)
        fields = ENTITY_FIELDS[entity]
        sizes = [len(c.levels) + 1 for c in fields]
        if stored["fields"].tolist() != [c.field for c in fields] or stored["m"].size != sum(sizes):
            return None
        cuts = np.cumsum(sizes)[:-1]
        model = Model(fields, tuple(np.split(stored["m"], cuts)), tuple(np.split(stored["u"], cuts)),
                      float(stored["prior"][0]))
        keys = list(zip(stored["sources"].tolist(), stored["ids"].tolist(), strict=True))
        left = np.cumsum(stored["left"], dtype=np.int64)
        return cls(keys, left, stored["right"].astype(np.int64), np.ascontiguousarray(stored["levels"].T), model,
                   int(stored["drift"][0]))

    def levels_for(self, index: dict[Key, int], unchanged: npt.NDArray[np.bool_], codes: npt.NDArray[np.int64],
                   n: int) -> tuple[npt.NDArray[np.bool_], Levels]:
        """For the pairs ``codes`` (``i * n + j`` in the new run's indices), which were compared here with both
        records ``unchanged``, and their levels (rows of the others are zero)."""
        moved = np.fromiter((index.get(key, -1) for key in self.keys), np.int64, len(self.keys))
        a, b = moved[self.left], moved[self.right]
        kept = (a >= 0) & (b >= 0)
        a, b, levels = a[kept], b[kept], self.levels[kept]
        low, high = np.minimum(a, b), np.maximum(a, b)
        same = unchanged[low] & unchanged[high]
        old_codes, levels = low[same] * n + high[same], levels[same]
        order = np.argsort(old_codes)
        old_codes, levels = old_codes[order], levels[order]
        out = np.zeros((codes.size, self.levels.shape[1]), dtype=np.uint8)
        if not old_codes.size:
            return np.zeros(codes.size, dtype=bool), out
        at = np.minimum(np.searchsorted(old_codes, codes), old_codes.size - 1)
        found = old_codes[at] == codes
        out[found] = levels[at[found]]
        return found, out
