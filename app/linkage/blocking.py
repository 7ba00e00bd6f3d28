"""Blocking: which pairs of records are worth comparing at all.

Comparing every pair is quadratic; a record is only compared with records that share at least one blocking key.
Several kinds of key are used together (their union), so a pair missed by one (a typo in the name, a missing
postcode) is usually caught by another:

- ``pc``: the full postcode;
- ``sx``: postcode sector, or the locality where there is no UK sector, with the Soundex of the rarest name word;
- ``ph``: each phone number; ``dm``: the web domain; ``rg``: each registration id with its scheme;
- ``nm``: the distinctive name words; ``tk``: each of the two rarest name words.

A block bigger than ``max_block`` records (a helpline shared by hundreds of records, a common word) is not compared
in full: its pairs would be many and its key says little. Its records are sorted by name and each is paired only with
its next ``window`` neighbours (a sorted-neighbourhood pass), which keeps a large group of identically named records
connected at linear cost; the pairs left out are counted as skipped. ``blocking_recall`` reports what
share of the true pairs survived, which is how the cap and the keys are judged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.linkage import normalise as norm
from app.linkage.features import Features
from app.linkage.records import Key

Pairs = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]  # left and right record indices, left < right


@dataclass(frozen=True, slots=True)
class BlockingStats:
    """What blocking did: blocks formed, blocks skipped for size and the pairs they would have added."""

    keys: int
    blocks: int
    skipped_blocks: int  # blocks over the size cap, compared only by sorted neighbourhood
    skipped_pairs: int  # pairs of those blocks that were not compared
    largest_kept_block: int
    candidate_pairs: int
    # Pairs settled by the house-number rule before comparison (``prune_ruled_out``); a pair sharing two blocking
    # keys is counted twice.
    ruled_out_pairs: int = 0


def record_keys(feats: Features, index: int) -> set[str]:
    """The blocking keys of record ``index``."""
    record = feats.records[index]
    keys: set[str] = set()
    postcode = feats.postcodes[index]
    if postcode.full:
        keys.add(f"pc:{postcode.full}")
    rare = feats.rare_tokens[index]
    area = postcode.sector or record.locality or postcode.full
    if area and rare:
        keys.add(f"sx:{area}:{norm.soundex(rare[0])}")
    keys.update(f"ph:{phone}" for phone in record.phones)
    if record.domain:
        keys.add(f"dm:{record.domain}")
    keys.update(f"rg:{scheme}:{ident}" for scheme, ident in record.registrations)
    if feats.name_keys[index]:
        keys.add("nm:" + " ".join(sorted(feats.name_tokens[index])))
    keys.update(f"tk:{token}" for token in rare)
    return keys


def candidate_pairs(
    feats: Features,
    *,
    max_block: int = 100,
    window: int = 3,
    link_only: bool = False,
    prune_ruled_out: bool = False,
) -> tuple[Pairs, BlockingStats]:
    """Index pairs ``(left, right)`` sharing a blocking key, each once, sorted; and what blocking did.

    With ``link_only`` pairs of records from the same source are dropped (linking two clean feeds, not
    de-duplicating within one). With ``prune_ruled_out`` (locations) pairs with two different house numbers at
    two different postcodes are dropped: the house-number rule keeps them apart whatever they score, and
    disagreeing on postcode too they cannot score near the review band, so comparing them (most of a large
    batch's candidates: every branch of a charity with every other) would change nothing but the time taken.
    Pairs at one postcode are kept, to be shown when they look alike (a mistyped number).
    """
    blocks: dict[str, list[int]] = defaultdict(list)
    for index in range(len(feats)):
        for key in record_keys(feats, index):
            blocks[key].append(index)
    by_size: dict[int, list[list[int]]] = defaultdict(list)
    skipped_blocks = skipped_pairs = largest = 0
    neighbours: list[npt.NDArray[np.int64]] = []
    for members in blocks.values():
        size = len(members)
        if size < 2:
            continue
        if size > max_block:
            ordered = np.array(sorted(members, key=lambda i: (feats.name_keys[i], i)), dtype=np.int64)
            for step in range(1, min(window, size - 1) + 1):
                neighbours.append(np.stack([ordered[:-step], ordered[step:]]))
            skipped_blocks += 1
            skipped_pairs += size * (size - 1) // 2 - sum(size - step for step in range(1, min(window, size - 1) + 1))
            continue
        largest = max(largest, size)
        by_size[size].append(members)
    n = max(len(feats), 1)
    codes: list[npt.NDArray[np.int64]] = []
    ruled_out = 0
    if neighbours:
        by_size[2].extend(np.concatenate(neighbours, axis=1).T.tolist())
    for size, groups in by_size.items():
        matrix = np.array(groups, dtype=np.int64)  # one row per block
        left, right = np.triu_indices(size, k=1)
        a, b = matrix[:, left].ravel(), matrix[:, right].ravel()
        low, high = np.minimum(a, b), np.maximum(a, b)
        if link_only:
            keep = feats.sources[low] != feats.sources[high]
            low, high = low[keep], high[keep]
        if prune_ruled_out:
            keep = ~_ruled_out(feats, low, high)
            ruled_out += int(keep.size - keep.sum())
            low, high = low[keep], high[keep]
        codes.append(low * n + high)
    unique = np.unique(np.concatenate(codes)) if codes else np.zeros(0, dtype=np.int64)
    stats = BlockingStats(
        keys=len(blocks),
        blocks=sum(len(groups) for groups in by_size.values()),
        skipped_blocks=skipped_blocks,
        skipped_pairs=skipped_pairs,
        largest_kept_block=largest,
        candidate_pairs=int(unique.size),
        ruled_out_pairs=ruled_out,
    )
    return (unique // n, unique % n), stats


def _ruled_out(feats: Features, low: npt.NDArray[np.int64], high: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Pairs with two known, different house numbers and not one known postcode (see ``candidate_pairs``)."""
    numbers, postcodes = feats.codes["house_number"], feats.codes["postcode"]
    a, b = numbers[low], numbers[high]
    one_postcode = (postcodes[low] >= 0) & (postcodes[low] == postcodes[high])
    out: npt.NDArray[np.bool_] = (a >= 0) & (b >= 0) & (a != b) & ~one_postcode
    return out


def true_pairs(keys: Sequence[Key], truth: Mapping[Key, str], *, link_only: bool = False) -> set[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, whose records share a truth id (across sources only with ``link_only``)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        if key in truth:
            groups[truth[key]].append(index)
    pairs: set[tuple[int, int]] = set()
    for members in groups.values():
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                if not link_only or keys[i][0] != keys[j][0]:
                    pairs.add((min(i, j), max(i, j)))
    return pairs


def blocking_recall(pairs: Pairs, keys: Sequence[Key], truth: Mapping[Key, str], *, link_only: bool = False) -> float:
    """The share of true pairs (records with the same truth id) that blocking made candidates; 1.0 if none."""
    wanted = true_pairs(keys, truth, link_only=link_only)
    if not wanted:
        return 1.0
    found = set(zip(pairs[0].tolist(), pairs[1].tolist(), strict=True))
    return len(wanted & found) / len(wanted)
