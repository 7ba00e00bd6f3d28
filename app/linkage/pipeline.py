"""``link``: block, compare, score, band and cluster one batch of records of one entity type.

This is the whole pure core in one call, so the database layer only has to turn staged records into
``LinkRecord``s, pass the stored decisions and last run's golden ids, and store what comes back.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from app.linkage.bands import BANDS, Band, Thresholds
from app.linkage.blocking import BlockingStats, candidate_pairs
from app.linkage.clustering import Links, cluster, components
from app.linkage.features import features
from app.linkage.records import Entity, Key, LinkRecord
from app.linkage.reuse import Compared
from app.linkage.scoring import (
    PRIOR_COUNTS_RULED_OUT,
    RULE_NAMES,
    RULES,
    Levels,
    Model,
    askable,
    compare,
    estimate_u,
    hard_rule_codes,
    pattern_codes,
    train,
)


@dataclass(frozen=True, slots=True)
class Decision:
    """A reviewer's answer about two records: the same thing (``same=True``, must-link) or not (cannot-link)."""

    a: Key
    b: Key
    same: bool


@dataclass(frozen=True, slots=True)
class FieldEvidence:
    """One field's contribution to a pair's score: its comparison level and the bits of evidence that carries."""

    field: str
    level: str
    weight: float


@dataclass(frozen=True, slots=True)
class ScoredPair:
    """A compared pair, its match probability and band, and why.

    ``rule`` names a hard rule that forbids the link (the band is then keep apart whatever the probability, except
    for names that differ by a word each yet score as alike: those are shown to a reviewer, see ``askable``);
    ``decision`` is the reviewer's answer if there is one (it sets the band). ``evidence`` is strongest first.
    """

    a: Key
    b: Key
    probability: float
    weight: float
    band: Band
    evidence: tuple[FieldEvidence, ...]
    rule: str | None = None
    decision: bool | None = None


@dataclass(frozen=True, slots=True)
class ShownPairs:
    """The pairs ``LinkResult.pairs`` lists, kept as arrays (one element per pair) until they are asked for: a large
    batch has millions of them, and a run stores only the review queue."""

    keys: Sequence[Key]
    left: npt.NDArray[np.int64]
    right: npt.NDArray[np.int64]
    probabilities: npt.NDArray[np.float64]
    weights: npt.NDArray[np.float64]
    bands: npt.NDArray[np.int8]
    rules: npt.NDArray[np.uint8]
    levels: Levels
    decisions: npt.NDArray[np.int8]  # a reviewer's answer: 1 same, 0 not, -1 none
    model: Model

    def scored(self, rows: npt.NDArray[np.int64]) -> list[ScoredPair]:
        """The pairs at ``rows`` (indices into these arrays), each with its evidence."""
        # evidence is per level pattern: pairs are many, patterns few
        _, first, which = np.unique(pattern_codes(self.levels[rows]), return_index=True, return_inverse=True)
        evidence = [tuple(FieldEvidence(*item) for item in self.model.explain(self.levels[rows[n]])) for n in first]
        keys, answers = self.keys, (False, True, None)  # indexed by the decision code
        return [
            ScoredPair(keys[i], keys[j], probability, round(weight, 2), BANDS[band], evidence[pattern], RULES[rule],
                       answers[decision])
            for i, j, probability, weight, band, pattern, rule, decision in zip(
                self.left[rows].tolist(),
                self.right[rows].tolist(),
                self.probabilities[rows].tolist(),
                self.weights[rows].tolist(),
                self.bands[rows].tolist(),
                which.ravel().tolist(),
                self.rules[rows].tolist(),
                self.decisions[rows].tolist(),
                strict=True,
            )
        ]


@dataclass(frozen=True)
class LinkResult:
    """Clusters (key -> golden id), the pairs worth showing, counts, blocking statistics and the fitted model.

    ``pairs`` holds every pair in the auto-merge or review band, every decided pair, and pairs a hard rule kept
    apart although they scored in those bands; other keep-apart pairs are only counted. (Locations with different
    house numbers at different postcodes are settled in blocking and not even counted: see ``candidate_pairs``.)
    They are made when first asked for; ``review_queue`` and ``keys_in_band`` read only what they need.
    """

    clusters: dict[Key, str]
    shown: ShownPairs = field(repr=False)
    counts: dict[str, int]
    blocking: BlockingStats
    model: Model
    compared: Compared = field(repr=False)  # for the next run's ``reuse``

    @cached_property
    def pairs(self) -> tuple[ScoredPair, ...]:
        return tuple(self.shown.scored(np.arange(self.shown.left.size)))

    def review_queue(self) -> list[ScoredPair]:
        """Pairs waiting for a reviewer, most uncertain first (probability nearest one half)."""
        shown = self.shown
        waiting = shown.scored(np.flatnonzero((shown.bands == 1) & (shown.decisions < 0)))
        return sorted(waiting, key=lambda p: (abs(p.probability - 0.5), p.a, p.b))

    def keys_in_band(self, band: Band) -> list[tuple[Key, Key]]:
        """The key pairs among ``pairs`` in ``band``, without their evidence."""
        shown = self.shown
        rows = np.flatnonzero(shown.bands == BANDS.index(band))
        return [(shown.keys[i], shown.keys[j]) for i, j in zip(shown.left[rows].tolist(), shown.right[rows].tolist(),
                                                                  strict=True)]


def link(
    records: Sequence[LinkRecord],
    *,
    decisions: Iterable[Decision] = (),
    previous: Mapping[Key, str] | None = None,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so sharing the default is safe
    link_only: bool = False,
    max_block: int = 100,
    label_weight: float = 10.0,
    fit_u: bool | None = None,
    u_sample: int = 100_000,
    seed: int = 0,
    reuse: Compared | None = None,
    changed: Collection[Key] = (),
) -> LinkResult:
    """Link ``records`` (all of one entity type, keys unique) into clusters with stable golden ids.

    ``decisions`` are reviewers' answers: they train the model and are honoured by clustering (a must-link may
    override a hard rule, since a person has looked; see ``clustering`` for contradictions). ``previous`` maps keys
    to last run's golden ids, oldest record first. ``link_only`` compares only records from different sources
    and, taking each source to be free of duplicates, puts at most one record of each source in a cluster.

    ``fit_u`` (default: for locations only) lets EM re-estimate ``u`` from the candidate pairs' non-matches. For
    locations the non-matching candidates are neighbours (branches of one charity, groups sharing a postcode,
    same-named sites in one neighbourhood), which agree on postcode, sector, locality and name far more often than
    the random pairs ``u`` is first measured on; scored against random pairs, neighbours look like matches.

    ``reuse`` (last run's ``LinkResult.compared``) makes the run incremental: pairs it compared whose records are
    both unchanged (not in ``changed``, and among its keys) keep their comparison levels, only the other candidate
    pairs are compared (``counts["compared_pairs"]``), and all are scored with its model instead of a refit. Pairs
    between unchanged records whose levels depend on the whole batch (word rarity, numbers shared by many records)
    keep last run's levels until the next full run.
    """
    entity = _entity(records)
    keys = [record.key for record in records]
    index = {key: i for i, key in enumerate(keys)}
    if len(index) != len(keys):
        raise ValueError("record keys must be unique")
    feats = features(records)
    (left, right), stats = candidate_pairs(
        feats, max_block=max_block, link_only=link_only, prune_ruled_out=entity == "location"
    )

    decided: dict[tuple[int, int], bool] = {}
    unknown = 0
    for decision in decisions:
        if decision.a not in index or decision.b not in index or decision.a == decision.b:
            unknown += 1
            continue
        i, j = sorted((index[decision.a], index[decision.b]))
        decided[(i, j)] = decision.same
    n = max(len(keys), 1)
    pair_codes = left * n + right  # sorted: candidate_pairs returns them in this order
    if decided:  # decided pairs are scored (and explained) even if blocking did not propose them
        pair_codes = np.union1d(pair_codes, np.array([i * n + j for i, j in decided], dtype=np.int64))
        left, right = pair_codes // n, pair_codes % n
    decided_rows = np.searchsorted(pair_codes, np.array([i * n + j for i, j in decided], dtype=np.int64))
    row_of = dict(zip(decided, decided_rows.tolist(), strict=True))

    if reuse is None:
        levels = compare(feats, (left, right), entity)
        compared_pairs = int(left.size)
    else:
        unchanged = np.ones(len(keys), dtype=bool)
        unchanged[[index[key] for key in changed if key in index]] = False
        known = set(reuse.keys)
        unchanged[[i for i, key in enumerate(keys) if key not in known]] = False
        found, levels = reuse.levels_for(index, unchanged, pair_codes, n)
        fresh = np.flatnonzero(~found)
        levels[fresh] = compare(feats, (left[fresh], right[fresh]), entity)
        compared_pairs = int(fresh.size)
    rule_codes = hard_rule_codes(levels, entity)
    # Pairs a hard rule settles are left out of estimation: they are decided, and the model is for the rest.
    # (Kept in, the many different-house-number pairs make "same house number" look like proof of a match, when
    # within one building it is the name that tells restaurants, or branches, apart.)
    open_rows = rule_codes == 0
    open_rows[decided_rows] = True
    open_index = np.flatnonzero(open_rows)
    position = np.cumsum(open_rows) - 1  # row -> its index among the open rows
    labelled = [(int(position[row_of[pair]]), same) for pair, same in decided.items()]
    refit_u = entity == "location" if fit_u is None else fit_u
    ruled_out = int(levels.shape[0] - open_index.size) if entity in PRIOR_COUNTS_RULED_OUT else 0
    if reuse is None:
        u = estimate_u(feats, entity, link_only=link_only, sample=u_sample, seed=seed)
        model = train(levels[open_index], entity, u, labelled=labelled, label_weight=label_weight, fit_u=refit_u,
                      ruled_out=ruled_out)
    else:
        model = reuse.model
    weights = model.match_weights(levels)
    probabilities = 1 / (1 + np.exp2(-np.clip(weights, -60, 60)))
    band_codes = thresholds.codes(probabilities)
    # A hard rule keeps a pair apart unless a reviewer said it is one thing; a reviewer's answer sets the band.
    kept_apart = rule_codes != 0
    decisions = np.full(left.size, -1, dtype=np.int8)
    for pair, same in decided.items():
        band_codes[row_of[pair]] = 0 if same else 2
        kept_apart[row_of[pair]] &= not same
        decisions[row_of[pair]] = same
    # Kept apart by differently worded names that score as alike: a reviewer is asked (the rule still keeps them
    # apart in clustering until one says they are one body).
    ask = kept_apart & askable(levels, entity, rule_codes) & (band_codes < 2)
    band_codes[kept_apart] = 2
    band_codes[ask] = 1

    merge_rows = np.flatnonzero(band_codes == 0)
    links = Links(left[merge_rows], right[merge_rows], weights[merge_rows])
    must = [pair for pair, same in decided.items() if same]
    cannot = [pair for pair, same in decided.items() if not same]
    # Only rule-kept-apart pairs that links could join matter to clustering; filtering the rest here, in numpy,
    # spares building millions of tuples.
    must_left, must_right = (np.array([pair[k] for pair in must], dtype=np.int64) for k in (0, 1))
    roots = components(len(keys), np.concatenate([must_left, links.left]), np.concatenate([must_right, links.right]))
    joinable = kept_apart & (roots[left] == roots[right])
    named = kept_apart & (rule_codes == RULES.index(RULE_NAMES))
    if must and named.any():
        # A reviewer who says two differently named records are one body has looked at the group they are in: the
        # names rule no longer splits it (every "Philips Gloeilampenfabrieken" listing with every "Koninklijke
        # Philips" one), while the other rules and every "no" still do.
        reviewed = np.isin(roots, roots[must_left])
        joinable &= ~(named & reviewed[left])
    cannot += zip(left[joinable].tolist(), right[joinable].tolist(), strict=True)
    clustering = cluster(keys, links, must_link=must, cannot_link=cannot, previous=previous, one_per_source=link_only)

    shown = np.flatnonzero((band_codes < 2) | (thresholds.codes(probabilities) < 2))
    listed = set(shown.tolist())
    # decided pairs below the review band are shown too
    shown = np.concatenate([shown, np.array([row_of[p] for p in decided if row_of[p] not in listed], dtype=np.int64)])
    pairs = ShownPairs(
        keys,
        left[shown],
        right[shown],
        probabilities[shown],
        weights[shown],
        band_codes[shown],
        rule_codes[shown],
        levels[shown],
        decisions[shown],
        model,
    )
    counts = {
        "records": len(records),
        "candidate_pairs": int(left.size),
        "compared_pairs": compared_pairs,
        "auto_merge": int((band_codes == 0).sum()),
        "review": int((band_codes == 1).sum()),
        "keep_apart": int((band_codes == 2).sum()),
        "blocked_by_rules": int((rule_codes != 0).sum()),
        "decisions": len(decided),
        "decisions_unknown": unknown,
        "decision_conflicts": clustering.conflicts,
        "clusters": len(set(clustering.clusters.values())),
        "em_iterations": model.iterations if reuse is None else 0,  # 0: the reused model was not refitted
    }
    drift = 0 if reuse is None else reuse.drift + len(set(changed) | (set(reuse.keys) ^ set(keys)))
    compared = Compared(keys, left, right, levels, model, drift)
    return LinkResult(clustering.clusters, pairs, counts, stats, model, compared)


def _entity(records: Sequence[LinkRecord]) -> Entity:
    entities = {record.entity for record in records}
    if len(entities) > 1:
        raise ValueError(f"link one entity type at a time, got {sorted(entities)}")
    return next(iter(entities)) if entities else "location"
