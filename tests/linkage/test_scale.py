"""What the fast paths of linkage must keep: they are vectorised or memoised forms of simple rules, so each is checked
against the simple rule on a batch that exercises every kind of key and value."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from itertools import combinations

import numpy as np
import pytest

from app.linkage import Band, Decision, FieldEvidence, LinkRecord, LinkResult, ScoredPair, Thresholds, link
from app.linkage.blocking import candidate_pairs, record_keys
from app.linkage.clustering import NAMESPACE, _Clusters, cluster, components
from app.linkage.features import features
from app.linkage.normalise import _APOSTROPHES, _NON_WORD_KEEPING_COMMAS, _fold_keeping_commas
from app.linkage.records import ValueCache
from tests.linkage.directory import background, phone


def _mixed_batch() -> list[LinkRecord]:
    """Background organisations (names, streets, phones) plus records with registrations, domains, several phones,
    no postcode, a non-UK address and a name without letters, some of them sharing keys with many others."""
    records = background("organization")
    extra = [
        LinkRecord.build(("nhs", "x1"), "organization", name="Oak Willow Food Bank", address=["3 Mill Road"],
                         postcode="LS6 4AB", phones=[phone(100), phone(999)], website="https://oakwillow.org.uk",
                         registrations=[("GB-CHC", "1000001")]),
        LinkRecord.build(("nhs", "x2"), "organization", name="Oak Willow Foodbank", locality="Leeds",
                         website="http://www.oakwillow.org.uk/about", registrations=[("GB-CHC", "1000001"),
                                                                                    ("GB-COH", "0777")]),
        LinkRecord.build(("nhs", "x3"), "organization", name="1234", address=["1234 Rue de la Paix"],
                         postcode="75002", country="FR"),
        LinkRecord.build(("nhs", "x4"), "organization", name="1234", locality="Paris", country="FR"),
        LinkRecord.build(("nhs", "x5"), "organization", name="", address=["9 High Street"], postcode="LS1 1AA"),
    ]
    # one helpline on many records: a block over the cap, compared by sorted neighbourhood only
    helpline = [
        LinkRecord.build(("cvs", f"h{n}"), "organization", name=f"Helpline {word}", phones=["0113 496 0000"])
        for n, word in enumerate(["zeta", "alpha", "mid", "beta", "omega", "kappa", "delta", "gamma"])
    ]
    return records + extra + helpline


def _reference_pairs(records: list[LinkRecord], max_block: int, window: int, link_only: bool, prune: bool) -> set:
    """Blocking as its rule reads: all pairs of a block of at most ``max_block`` records sharing a key; in a bigger
    block, each record with its next ``window`` records in name order; then the link-only and ruled-out filters."""
    feats = features(records)
    blocks: dict[str, list[int]] = defaultdict(list)
    for index in range(len(records)):
        for key in record_keys(feats, index):
            blocks[key].append(index)
    pairs = set()
    for members in blocks.values():
        if len(members) <= max_block:
            pairs.update(combinations(sorted(members), 2))
            continue
        ordered = sorted(members, key=lambda i: (feats.name_keys[i], i))
        for step in range(1, window + 1):
            pairs.update((min(a, b), max(a, b)) for a, b in zip(ordered, ordered[step:], strict=False))
    numbers, postcodes = feats.codes["house_number"], feats.codes["postcode"]
    kept = set()
    for a, b in pairs:
        if link_only and records[a].source == records[b].source:
            continue
        ruled_out = numbers[a] >= 0 and numbers[b] >= 0 and numbers[a] != numbers[b]
        if prune and ruled_out and not (postcodes[a] >= 0 and postcodes[a] == postcodes[b]):
            continue
        kept.add((a, b))
    return kept


@pytest.mark.parametrize(("link_only", "prune"), [(False, False), (True, False), (False, True)])
def test_candidate_pairs_are_the_pairs_sharing_a_blocking_key(link_only: bool, prune: bool) -> None:
    records = _mixed_batch()
    expected = _reference_pairs(records, max_block=5, window=2, link_only=link_only, prune=prune)
    (left, right), stats = candidate_pairs(
        features(records), max_block=5, window=2, link_only=link_only, prune_ruled_out=prune, chunk_pairs=7
    )
    assert set(zip(left.tolist(), right.tolist(), strict=True)) == expected
    assert (left < right).all() and (left * len(records) + right == sorted(left * len(records) + right)).all()
    assert stats.candidate_pairs == len(expected)
    assert stats.skipped_blocks >= 1 and stats.largest_kept_block <= 5


def test_features_of_repeated_values_are_those_of_each_record_alone() -> None:
    """Values worked out once per distinct value are what each record would get on its own."""
    records = _mixed_batch()
    records += [LinkRecord.build(("cvs", f"copy-{r.key[1]}"), "organization", name=r.name, phones=r.phones,
                                 registrations=r.registrations) for r in records[:10]]
    feats = features(records)
    for index in (0, 3, len(records) - 1, len(records) - 5):
        record = records[index]
        alone = features([record])
        assert feats.name_tokens[index] == alone.name_tokens[0]
        assert feats.postcodes[index] == alone.postcodes[0]
        assert feats.phones[index] == frozenset(record.phones)
        assert feats.registrations[index] == alone.registrations[0]
    tokens = feats.name_tokens
    same_name = feats.codes["name_set"]
    for i in range(len(records)):
        for j in range(i + 1, len(records)):
            assert (same_name[i] == same_name[j]) == (bool(tokens[i]) and tokens[i] == tokens[j])


def _reference_clusters(keys, links, must, cannot, previous, one_per_source):  # type: ignore[no-untyped-def]
    """Clustering as the module doc states it, one link at a time over the whole batch."""
    clusters = _Clusters(len(keys), [key[0] for key in keys] if one_per_source else None)
    for a, b in cannot:
        clusters.forbid(a, b)
    conflicts = sum(not clusters.join(a, b) for a, b in must)
    for a, b, _ in sorted(links, key=lambda link: (-link[2], link[0], link[1])):
        clusters.join(a, b)
    groups: dict[int, list[int]] = defaultdict(list)
    for index in range(len(keys)):
        groups[clusters.find(index)].append(index)
    age = {key: rank for rank, key in enumerate(previous)}
    ordered = [sorted(group, key=lambda i: (age.get(keys[i], len(age)), keys[i])) for group in groups.values()]
    ordered.sort(key=lambda group: (age.get(keys[group[0]], len(age)), min(keys[i] for i in group)))
    taken: set[str] = set()
    ids = {}
    for group in ordered:
        chosen = next((previous[keys[i]] for i in group if previous.get(keys[i], "") not in taken | {""}), None)
        if chosen is None:
            source, external_id = min(keys[i] for i in group)
            chosen = str(uuid.uuid5(NAMESPACE, f"{source}\x1f{external_id}"))
            salt = 0
            while chosen in taken:
                salt += 1
                chosen = str(uuid.uuid5(NAMESPACE, f"{source}\x1f{external_id}\x1f{salt}"))
        taken.add(chosen)
        ids.update({keys[i]: chosen for i in group})
    return ids, conflicts


def test_clusters_and_ids_are_those_of_link_by_link_agglomeration() -> None:
    """Components found in numpy, and only troubled ones agglomerated, give what agglomerating every link gives:
    over random batches with cannot-links, must-links, one record per source, previous ids (some shared by
    several records, so clusters split and compete for them) and keys with characters beyond ASCII."""
    rng = random.Random(5)
    for _ in range(400):
        keys = list(dict.fromkeys((rng.choice("abc"), rng.choice(["", "é", "z", "10", "9"]) + str(rng.randint(0, 99)))
                                  for _ in range(rng.randint(2, 30))))
        n = len(keys)
        if n < 2:
            continue
        links = [(*sorted(rng.sample(range(n), 2)), float(rng.choice([1, 2, 3.5]))) for _ in range(rng.randint(0, 50))]
        must = [tuple(sorted(rng.sample(range(n), 2))) for _ in range(rng.randint(0, 3))]
        cannot = [tuple(sorted(rng.sample(range(n), 2))) for _ in range(rng.randint(0, 5))]
        previous = {key: f"g{rng.randint(0, n // 3)}" for key in rng.sample(keys, rng.randint(0, n))}
        one_per_source = rng.random() < 0.3
        result = cluster(keys, links, must_link=must, cannot_link=cannot, previous=previous,
                         one_per_source=one_per_source)
        expected = _reference_clusters(keys, links, must, cannot, previous, one_per_source)
        assert (result.clusters, result.conflicts) == expected


def test_components_are_the_connected_records() -> None:
    left, right = np.array([5, 1, 7, 3, 8], dtype=np.int64), np.array([1, 3, 2, 0, 8], dtype=np.int64)
    assert components(10, left, right).tolist() == [0, 0, 2, 0, 4, 0, 6, 2, 8, 9]


def test_pairs_made_on_demand_agree_with_the_queue_and_bands() -> None:
    """The review queue and the key pairs of a band, read from the arrays, are those of the pairs themselves."""
    records = background("organization")
    decided = [Decision(records[0].key, records[1].key, True), Decision(records[2].key, records[5].key, False)]
    result = link(records, decisions=decided, thresholds=Thresholds(auto_merge=0.999999, review=0.0))
    pairs = result.pairs
    assert {p.band for p in pairs} >= {Band.AUTO_MERGE, Band.REVIEW}
    assert sum(p.decision is not None for p in pairs) == 2
    for band in Band:
        assert result.keys_in_band(band) == [(p.a, p.b) for p in pairs if p.band is band]
    waiting = [p for p in pairs if p.band is Band.REVIEW and p.decision is None]
    assert result.review_queue() == sorted(waiting, key=lambda p: (abs(p.probability - 0.5), p.a, p.b))
    assert all(p.evidence == tuple(FieldEvidence(*e) for e in result.model.explain(_levels(result, p))) for p in pairs)


def _levels(result: LinkResult, pair: ScoredPair) -> np.ndarray:
    shown = result.shown
    keys = list(shown.keys)
    row = next(n for n, (i, j) in enumerate(zip(shown.left.tolist(), shown.right.tolist(), strict=True))
               if (keys[i], keys[j]) == (pair.a, pair.b))
    return shown.levels[row]


def test_records_built_with_a_shared_value_cache_are_those_built_alone() -> None:
    cache = ValueCache()
    raw = [
        {"name": " Leeds Mind ", "address": ["Flat 3, 12 High St", None, " "], "postcode": "ls6 4ab",
         "phones": ["0113 496 0001", "0113 496 0001", "not a phone"], "website": "https://www.leedsmind.org.uk/x"},
        {"name": "Leeds Mind", "address": ["12 High Street"], "postcode": "LS64AB", "locality": "LEEDS ",
         "phones": ["+44 113 496 0001"], "website": "leedsmind.org.uk", "latitude": 53.8, "longitude": -1.5},
        {"name": "Leeds Mind", "address": ["12 High Street"], "postcode": "LS6", "locality": "Leeds",
         "registrations": [("GB-CHC", " 0123 456 "), ("gb chc", None)], "website": "https://facebook.com/leedsmind"},
        {"name": None, "address": [], "postcode": "75002", "country": "fr", "phones": ["01 42 68 53 00"],
         "latitude": 0, "longitude": 0, "parents": ["g2", "g1"], "organization": "g1"},
    ]
    for n, fields in enumerate(raw * 2):
        key = ("s", str(n))
        assert LinkRecord.build(key, "location", values=cache, **fields) == LinkRecord.build(key, "location", **fields)


def test_ascii_addresses_fold_as_the_general_rule_reads_them() -> None:
    """The one-pass fold of ASCII address text gives the general rule's segments once runs of spaces are one."""
    texts = ["".join(chr(c) for c in range(128)), "P.  O. Box 12, Flat\t3", "a & b+c, O`Neil's - 4", "Unit 4,, 7 Park"]
    for text in texts:
        general = _NON_WORD_KEEPING_COMMAS.sub(
            " ", _APOSTROPHES.sub("", text.lower().replace("&", " and ").replace("+", " and "))
        )
        assert [p.split() for p in _fold_keeping_commas(text).split(",")] == [p.split() for p in general.split(",")]
