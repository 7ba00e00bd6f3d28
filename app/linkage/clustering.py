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
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

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


def cluster(
    keys: Sequence[Key],
    links: Iterable[tuple[int, int, float]],
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
    """
    links = sorted(links, key=lambda link: (-link[2], link[0], link[1]))
    must_link = list(must_link)
    clusters = _Clusters(len(keys), [key[0] for key in keys] if one_per_source else None)
    cannot_link = list(cannot_link)
    if len(cannot_link) > len(links):  # filtering costs a pass over the links: worth it only when they are fewer
        cannot_link = _relevant(len(keys), must_link, links, cannot_link)
    for a, b in cannot_link:
        clusters.forbid(a, b)
    conflicts = sum(not clusters.join(a, b) for a, b in must_link)
    for a, b, _ in links:
        clusters.join(a, b)
    members: dict[int, list[int]] = {}
    for index in range(len(keys)):
        members.setdefault(clusters.find(index), []).append(index)
    return Clustering(_stable_ids(keys, list(members.values()), previous or {}, namespace), conflicts)


def components(size: int, pairs: Iterable[tuple[int, int]]) -> list[int]:
    """For each index ``0..size-1``, a representative of its connected component under ``pairs``."""
    reach = _Clusters(size)
    for a, b in pairs:
        reach.join(a, b)
    return [reach.find(i) for i in range(size)]


def _relevant(
    size: int,
    must_link: Sequence[tuple[int, int]],
    links: Sequence[tuple[int, int, float]],
    cannot_link: Iterable[tuple[int, int]],
) -> list[tuple[int, int]]:
    """The cannot-links whose two ends some chain of links could join: only those can ever stop a join.

    Hard rules give a cannot-link for every pair they block (millions at scale), almost all between records no
    link connects; leaving those out keeps each cluster's list of forbidden partners short.
    """
    roots = components(size, [*must_link, *((a, b) for a, b, _ in links)])
    return [(a, b) for a, b in cannot_link if roots[a] == roots[b]]


def _stable_ids(
    keys: Sequence[Key], groups: list[list[int]], previous: Mapping[Key, str], namespace: uuid.UUID
) -> dict[Key, str]:
    age = {key: rank for rank, key in enumerate(previous)}
    unseen = len(age)
    ordered = [sorted(group, key=lambda i: (age.get(keys[i], unseen), keys[i])) for group in groups]
    # Clusters whose oldest member is oldest choose first, so a split leaves the id with the oldest record.
    ordered.sort(key=lambda group: (age.get(keys[group[0]], unseen), min(keys[i] for i in group)))
    taken: set[str] = set()
    out: dict[Key, str] = {}
    for group in ordered:
        chosen = next(
            (previous[keys[i]] for i in group if keys[i] in previous and previous[keys[i]] not in taken), None
        )
        if chosen is None:
            source, external_id = min(keys[i] for i in group)
            chosen = str(uuid.uuid5(namespace, f"{source}\x1f{external_id}"))
            salt = 0
            while chosen in taken:  # only if an older cluster kept the id once minted from this key
                salt += 1
                chosen = str(uuid.uuid5(namespace, f"{source}\x1f{external_id}\x1f{salt}"))
        taken.add(chosen)
        for i in group:
            out[keys[i]] = chosen
    return out
