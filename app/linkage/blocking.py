"""Blocking: which pairs of records are worth comparing at all.

Comparing every pair is quadratic; a record is only compared with records that share at least one blocking key.
Several kinds of key are used together (their union), so a pair missed by one (a typo in the name, a missing
postcode) is usually caught by another:

- ``pc``: the full postcode;
- ``sx``: postcode sector, or the locality where there is no UK sector, with the Soundex of the rarest name word;
- ``ph``: each phone number; ``dm``: the web domain; ``rg``: each registration id with its scheme;
- ``nm``: the distinctive name words; ``tk``: each of the two rarest name words;
- ``ad``: without a postcode, the house number with each street word of four or more letters.

A block bigger than ``max_block`` records (a helpline shared by hundreds of records, a common word) is not compared
in full: its pairs would be many and its key says little. Its records are sorted by name and each is paired only with
its next ``window`` neighbours (a sorted-neighbourhood pass), which keeps a large group of identically named records
connected at linear cost; the pairs left out are counted as skipped. ``blocking_recall`` reports what
share of the true pairs survived, which is how the cap and the keys are judged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.linkage import normalise as norm
from app.linkage.features import Features, distinct, integer_codes
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
    """The blocking keys of record ``index``, as text (what ``candidate_pairs`` groups records by, in codes)."""
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
    if not postcode.full and record.house_number:
        # no postcode (many countries' feeds, or one left out): the house number with each long street word
        keys.update(f"ad:{record.house_number}:{word}" for word in feats.streets[index].split() if len(word) > 3)
    return keys


def key_memberships(feats: Features) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Every (blocking key, record) membership as two arrays: key codes (one per distinct ``record_keys`` key) and
    record indices, built column by column in numpy rather than as millions of key strings."""
    n = len(feats)
    records = np.arange(n, dtype=np.int64)
    codes = feats.codes
    columns: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = []

    def add(key_codes: npt.NDArray[np.int64], members: npt.NDArray[np.int64] = records) -> None:
        known = key_codes >= 0
        columns.append((key_codes[known], members[known]))

    add(codes["postcode"])  # pc
    areas = integer_codes(
        [p.sector or r.locality or p.full for p, r in zip(feats.postcodes, feats.records, strict=True)]
    )
    rare_of, rare_values = distinct(feats.rare_tokens)  # many records share a name: its key is worked out once
    sounds = integer_codes([(norm.soundex(rare[0]),) if rare else None for rare in rare_values])[rare_of]
    add(np.where((areas >= 0) & (sounds >= 0), areas * (int(sounds.max(initial=0)) + 1) + sounds, -1))  # sx
    add(*_multi([record.phones for record in feats.records]))  # ph
    add(codes["domain"])  # dm
    add(*_multi([record.registrations for record in feats.records]))  # rg
    add(codes["name_set"])  # nm: the distinctive words as a set
    add(*_multi(feats.rare_tokens))  # tk
    addressed = [
        sorted({(record.house_number, word) for word in street.split() if len(word) > 3})
        if record.house_number and not postcode.full else []
        for record, street, postcode in zip(feats.records, feats.streets, feats.postcodes, strict=True)
    ]
    add(*_multi(addressed))  # ad
    keys, members, offset = [], [], 0
    for key_codes, key_members in columns:
        keys.append(key_codes + offset)
        members.append(key_members)
        offset += int(key_codes.max(initial=-1)) + 1
    return np.concatenate(keys), np.concatenate(members)


def _multi(values: Sequence[Sequence[Hashable]]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Codes and record indices of a field of several values per record (each record's values distinct)."""
    seen: dict[Hashable, int] = {}
    codes = [seen.setdefault(value, len(seen)) for record_values in values for value in record_values]
    members = np.repeat(np.arange(len(values), dtype=np.int64), [len(v) for v in values])
    return np.array(codes, dtype=np.int64), members


def candidate_pairs(
    feats: Features,
    *,
    max_block: int = 100,
    window: int = 3,
    link_only: bool = False,
    prune_ruled_out: bool = False,
    chunk_pairs: int = 4_000_000,
) -> tuple[Pairs, BlockingStats]:
    """Index pairs ``(left, right)`` sharing a blocking key, each once, sorted; and what blocking did.

    With ``link_only`` pairs of records from the same source are dropped (linking two clean feeds, not
    de-duplicating within one). With ``prune_ruled_out`` (locations) pairs with two different house numbers at
    two different postcodes are dropped: the house-number rule keeps them apart whatever they score, and
    disagreeing on postcode too they cannot score near the review band, so comparing them (most of a large
    batch's candidates: every branch of a charity with every other) would change nothing but the time taken.
    Pairs at one postcode are kept, to be shown when they look alike (a mistyped number).

    Blocks are formed in numpy: memberships sorted by key (and, within a key, by name then index, the order the
    sorted-neighbourhood pass walks), and the pairs of all blocks of one size generated at once, at most
    ``chunk_pairs`` at a time so the pairs blocking later drops never all sit in memory together.
    """
    n = len(feats)
    keys, members = key_memberships(feats)
    # within a key, records by name (then index): the order of the sorted-neighbourhood pass over a big block
    name_of, names = distinct(feats.name_keys)
    name_rank = np.argsort(np.argsort(np.array(names, dtype=object), kind="stable"))[name_of]
    # memberships are listed by record within a key, so a stable sort keeps that order among equal names
    order = np.argsort(keys * max(len(names), 1) + name_rank[members], kind="stable")
    keys, members = keys[order], members[order]
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if keys.size else np.zeros(0, np.int64)
    sizes = np.diff(np.append(starts, keys.size))
    big = sizes > max_block
    kept = (sizes >= 2) & ~big

    produced: list[npt.NDArray[np.int64]] = []
    ruled_out = 0

    def keep(low: npt.NDArray[np.int64], high: npt.NDArray[np.int64]) -> None:
        nonlocal ruled_out
        if link_only:
            same_source = feats.sources[low] == feats.sources[high]
            low, high = low[~same_source], high[~same_source]
        if prune_ruled_out:
            out = _ruled_out(feats, low, high)
            ruled_out += int(out.sum())
            low, high = low[~out], high[~out]
        produced.append(np.unique(low * max(n, 1) + high))

    for size in np.unique(sizes[kept]).tolist():
        block_starts = starts[kept & (sizes == size)]
        left, right = np.triu_indices(size, k=1)
        per_chunk = max(chunk_pairs // left.size, 1)
        for first in range(0, block_starts.size, per_chunk):
            matrix = members[block_starts[first : first + per_chunk, None] + np.arange(size)]
            a, b = matrix[:, left].ravel(), matrix[:, right].ravel()
            keep(np.minimum(a, b), np.maximum(a, b))
    # big blocks: each record paired with its next ``window`` neighbours in name order
    big_sizes = sizes[big]
    steps = np.minimum(window, big_sizes - 1)
    if big_sizes.size:
        block_end = np.repeat(starts[big] + big_sizes, big_sizes)
        position = np.concatenate(
            [np.arange(s, s + size) for s, size in zip(starts[big].tolist(), big_sizes.tolist(), strict=True)]
        )
        for step in range(1, window + 1):
            here = position[position + step < block_end]
            a, b = members[here], members[here + step]
            keep(np.minimum(a, b), np.maximum(a, b))
    unique = np.unique(np.concatenate(produced)) if produced else np.zeros(0, dtype=np.int64)
    neighbour_pairs = int((big_sizes * steps - steps * (steps + 1) // 2).sum())
    stats = BlockingStats(
        keys=int(starts.size),
        blocks=int(kept.sum()) + neighbour_pairs,  # each neighbour pair counts as a block of two
        skipped_blocks=int(big.sum()),
        skipped_pairs=int((big_sizes * (big_sizes - 1) // 2).sum()) - neighbour_pairs,
        largest_kept_block=int(sizes[kept].max(initial=0)),
        candidate_pairs=int(unique.size),
        ruled_out_pairs=ruled_out,
    )
    m = max(n, 1)
    return (unique // m, unique % m), stats


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
