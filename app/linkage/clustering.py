"""Clustering: which records form one golden record, and which golden id each cluster carries.

Links at or above the auto-merge threshold, plus reviewers' must-links, are joined into connected components, but
a component may never contain both ends of a cannot-link. Method: Kruskal-style agglomeration. Must-links come
first, then links from the strongest to the weakest; each joins two clusters unless a cannot-link separates a member
of one from a member of the other, in which case that link is dropped. The result is the connected components of a
maximum spanning forest from which, for every cannot-link, the weakest link on the path between its two ends has
been removed: the strongest evidence always survives and a cannot-link costs the least evidence possible. A must-link
that contradicts a cannot-link (directly or through other must-links) is dropped too: keeping apart is the safe
mistake, and ``Clustering.conflicts`` counts such contradictions for the maintainer.

Golden ids are stable across runs. ``previous`` maps record keys to last run's golden ids, oldest record first (the
caller orders it by when each record was first seen). Each cluster keeps the previous id of its oldest member that
still holds one no earlier cluster has taken, so a cluster that gains records keeps its id and, when a cluster
splits, the part with the oldest record keeps it. A cluster with no previous id gets ``uuid5`` of its smallest key.
An id that is a record's own (the second part of its key) is only ever carried by the cluster holding that record:
the caller serves a record under its own id until it is merged, so a cluster its record has left must not keep
that id (it would be served, overwritten and withdrawn as that record's; the cluster gets a new id instead).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.linkage.features import integer_codes
from app.linkage.records import Key

# Golden ids minted for new clusters: uuid5 in this namespace of the smallest member key. Never change it.
NAMESPACE = uuid.UUID("5f0c7f4e-2b7a-5d3e-9a51-776179706d61")


@dataclass(frozen=True, slots=True)
class Clustering:
    """Each key's cluster id, and how many decisions had to be dropped because they contradicted each other."""

    clusters: dict[Key, str]
    conflicts: int


class _Clusters:
    """Union-find with, for each root, the roots it must never join."""

    def __init__(self, size: int, sources: Sequence[str] | None = None) -> None:
        self.parent = list(range(size))
        self.apart: dict[int, set[int]] = {}
        # With one record per source per cluster (linking clean sources), each root's set of sources.
        self.sources: list[frozenset[str]] | None = [frozenset((s,)) for s in sources] if sources else None

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def forbid(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        self.apart.setdefault(ra, set()).add(rb)
        self.apart.setdefault(rb, set()).add(ra)

    def join(self, a: int, b: int) -> bool:
        """Join the clusters of ``a`` and ``b`` unless a cannot-link forbids it; whether they are together now."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if rb in self.apart.get(ra, ()):
            return False
        if self.sources is not None:
            if self.sources[ra] & self.sources[rb]:
                return False
            self.sources[ra] = self.sources[rb] = self.sources[ra] | self.sources[rb]
        apart_a, apart_b = self.apart.pop(ra, set()), self.apart.pop(rb, set())
        if len(apart_a) < len(apart_b):
            ra, rb, apart_a, apart_b = rb, ra, apart_b, apart_a
        self.parent[rb] = ra
        for other in apart_b:  # rb's partners now keep away from ra
            partners = self.apart[other]
            partners.discard(rb)
            partners.add(ra)
        apart_a.update(apart_b)
        if apart_a:
            self.apart[ra] = apart_a
        return True


@dataclass(frozen=True, slots=True)
class Links:
    """Links as parallel arrays: record indices ``left`` and ``right`` and each link's ``strength``."""

    left: npt.NDArray[np.int64]
    right: npt.NDArray[np.int64]
    strength: npt.NDArray[np.float64]

    @classmethod
    def of(cls, links: Iterable[tuple[int, int, float]]) -> Links:
        triples = list(links)
        return cls(
            np.array([t[0] for t in triples], dtype=np.int64),
            np.array([t[1] for t in triples], dtype=np.int64),
            np.array([t[2] for t in triples], dtype=np.float64),
        )


def cluster(
    keys: Sequence[Key],
    links: Links | Iterable[tuple[int, int, float]],
    *,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
    previous: Mapping[Key, str] | None = None,
    one_per_source: bool = False,
    namespace: uuid.UUID = NAMESPACE,
) -> Clustering:
    """Cluster ``keys`` (indices into it in ``links``, each ``(i, j, strength)``) and give each cluster its id.

    With ``one_per_source`` (linking sources that are each free of duplicates) a cluster never holds two records of
    one source: a link that would make it so is dropped like one crossing a cannot-link, strongest links first.

    The agglomeration only ever drops a link inside a connected component of the links and must-links that holds
    both ends of a cannot-link (or, with ``one_per_source``, two records of one source); every other component is
    one cluster as it stands. So components are found in numpy, and only the troubled ones are agglomerated link by
    link, which at scale is a small share of the links.
    """
    links = links if isinstance(links, Links) else Links.of(links)
    size = len(keys)
    must = _pair_arrays(must_link)
    cannot = _pair_arrays(cannot_link)
    labels = components(size, np.concatenate([must[0], links.left]), np.concatenate([must[1], links.right]))
    inside = labels[cannot[0]] == labels[cannot[1]]
    cannot = cannot[0][inside], cannot[1][inside]
    troubled = np.zeros(size, dtype=bool)
    troubled[labels[cannot[0]]] = True
    if one_per_source:
        sources = integer_codes([key[0] for key in keys])
        pairs = np.unique(np.stack([labels, sources]), axis=1)
        members = np.bincount(labels, minlength=size)
        troubled |= np.bincount(pairs[0], minlength=size) < members  # two records of one source in a component
    conflicts = 0
    if troubled.any():
        clusters = _Clusters(size, [key[0] for key in keys] if one_per_source else None)
        for a, b in zip(cannot[0].tolist(), cannot[1].tolist(), strict=True):
            clusters.forbid(a, b)
        in_trouble = troubled[labels[must[0]]]
        conflicts = sum(
            not clusters.join(a, b)
            for a, b in zip(must[0][in_trouble].tolist(), must[1][in_trouble].tolist(), strict=True)
        )
        rows = np.flatnonzero(troubled[labels[links.left]])
        # strongest first; ties by index, so the result does not depend on the order links were given in
        rows = rows[np.lexsort((links.right[rows], links.left[rows], -links.strength[rows]))]
        for a, b in zip(links.left[rows].tolist(), links.right[rows].tolist(), strict=True):
            clusters.join(a, b)
        again = np.flatnonzero(troubled[labels])
        labels = labels.copy()
        labels[again] = [clusters.find(i) for i in again.tolist()]
    return Clustering(_stable_ids(keys, labels, previous or {}, namespace), conflicts)


def _pair_arrays(pairs: Iterable[tuple[int, int]]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    both = np.array(list(pairs), dtype=np.int64).reshape(-1, 2)
    return both[:, 0].copy(), both[:, 1].copy()


def components(size: int, left: npt.NDArray[np.int64], right: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """For each index ``0..size-1``, the smallest index of its connected component under the pairs ``left, right``.

    Rounds of hooking each pair's larger root under its smaller one, then following every pointer to its root,
    until no pair spans two roots: a few rounds of numpy over the pairs, where a union-find walks them one by one.
    """
    labels = np.arange(size, dtype=np.int64)
    a, b = left, right
    while a.size:
        la, lb = labels[a], labels[b]
        open_pairs = la != lb
        a, b, la, lb = a[open_pairs], b[open_pairs], la[open_pairs], lb[open_pairs]
        np.minimum.at(labels, np.maximum(la, lb), np.minimum(la, lb))
        while True:
            followed = labels[labels]
            if np.array_equal(followed, labels):
                break
            labels = followed
    return labels


def _stable_ids(
    keys: Sequence[Key], labels: npt.NDArray[np.int64], previous: Mapping[Key, str], namespace: uuid.UUID
) -> dict[Key, str]:
    """Golden ids of the clusters ``labels`` makes of ``keys`` (equal labels, one cluster): see the module doc."""
    size = len(keys)
    if size == 0:
        return {}
    age_of = {key: rank for rank, key in enumerate(previous)}
    unseen = len(age_of)
    age = np.fromiter((age_of.get(key, unseen) for key in keys), np.int64, size) if age_of else np.zeros(size, np.int64)
    key_rank = _key_ranks(keys)
    # each cluster's members oldest first (ties by key), clusters in a row
    order = np.lexsort((key_rank, age, labels))
    starts = np.flatnonzero(np.concatenate(([True], labels[order][1:] != labels[order][:-1])))
    smallest = np.argsort(key_rank)[np.minimum.reduceat(key_rank[order], starts)]  # each cluster's smallest key
    # clusters whose oldest member is oldest choose first, so a split leaves the id with the oldest record
    first = order[starts]
    ends = np.append(starts[1:], size).tolist()
    chosen_ids: list[str] = [""] * starts.size
    taken: set[str] = set()
    order_list, start_list = order.tolist(), starts.tolist()
    label_of = labels[first].tolist()
    # own id -> the cluster holding the record with that id (ids are one record's each: with a repeated one, the
    # clusters not named here mint a new id instead of keeping it, which is safe)
    holder = dict(zip([key[1] for key in keys], labels.tolist(), strict=True)) if previous else {}
    for group in np.lexsort((key_rank[smallest], age[first])).tolist():
        chosen = None
        if previous:
            label = label_of[group]
            for i in order_list[start_list[group] : ends[group]]:
                old = previous.get(keys[i])
                if old is not None and old not in taken and holder.get(old, label) == label:
                    chosen = old
                    break
        if chosen is None:
            source, external_id = keys[int(smallest[group])]
            chosen = str(uuid.uuid5(namespace, f"{source}\x1f{external_id}"))
            salt = 0
            while chosen in taken:  # only if an older cluster kept the id once minted from this key
                salt += 1
                chosen = str(uuid.uuid5(namespace, f"{source}\x1f{external_id}\x1f{salt}"))
        taken.add(chosen)
        chosen_ids[group] = chosen
    group_of = np.empty(size, dtype=np.int64)
    group_of[order] = np.repeat(np.arange(starts.size), np.diff(np.append(starts, size)))
    return dict(zip(keys, map(chosen_ids.__getitem__, group_of.tolist()), strict=True))


def _key_ranks(keys: Sequence[Key]) -> npt.NDArray[np.int64]:
    """Each key's position in sorted order: (source, id) pairs compared as their UTF-8 bytes, which sort as the
    strings do, in numpy; in Python where a value ends in NUL (numpy drops trailing NULs when comparing)."""
    sources = [key[0] for key in keys]
    ids = [key[1].encode("utf-8", "surrogatepass") for key in keys]
    if any(value.endswith(b"\x00") for value in ids) or any(source.endswith("\x00") for source in set(sources)):
        order = np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)
    else:
        source_rank = {source: rank for rank, source in enumerate(sorted(set(sources)))}
        source_codes = np.fromiter(map(source_rank.__getitem__, sources), np.int64, len(keys))
        order = np.lexsort((np.array(ids, dtype=bytes), source_codes))
    ranks = np.empty(len(keys), dtype=np.int64)
    ranks[order] = np.arange(len(keys))
    return ranks
