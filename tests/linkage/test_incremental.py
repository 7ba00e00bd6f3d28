"""``link(reuse=..., changed=...)``: a second run compares only the pairs of changed records, scores with the first
run's model, and clusters as a full run does."""

from __future__ import annotations

from app.linkage import link
from app.linkage.reuse import Compared
from tests.linkage.directory import background
from tests.linkage.test_link import MIND_COUNCIL, MIND_CVS, together


def test_an_added_record_is_compared_alone_and_joins_its_copy() -> None:
    first = link([*background(), MIND_COUNCIL])
    records = [*background(), MIND_COUNCIL, MIND_CVS]
    again = link(records, previous=first.clusters, reuse=first.compared, changed={MIND_CVS.key})
    full = link(records, previous=first.clusters)
    assert together(again.clusters, MIND_COUNCIL.key, MIND_CVS.key)
    assert again.clusters == full.clusters
    assert 0 < again.counts["compared_pairs"] < again.counts["candidate_pairs"] == full.counts["compared_pairs"]
    assert again.model is first.model and again.counts["em_iterations"] == 0


def test_a_changed_record_is_compared_again_and_leaves_its_old_match() -> None:
    first = link([*background(), MIND_COUNCIL, MIND_CVS])
    moved = MIND_CVS.build(MIND_CVS.key, "location", name="Leeds Mind", address=["40 Kirkstall Lane"],
                           postcode="BD3 9ZZ", locality="Bradford")
    records = [*background(), MIND_COUNCIL, moved]
    again = link(records, previous=first.clusters, reuse=first.compared, changed={MIND_CVS.key})
    assert not together(again.clusters, MIND_COUNCIL.key, MIND_CVS.key)
    assert again.clusters == link(records, previous=first.clusters).clusters


def test_the_compared_state_survives_storage() -> None:
    first = link([*background(), MIND_COUNCIL, MIND_CVS])
    stored = Compared.from_bytes(first.compared.to_bytes(), "location")
    assert stored is not None and list(stored.keys) == list(first.compared.keys)
    assert (stored.left == first.compared.left).all() and (stored.right == first.compared.right).all()
    assert (stored.levels == first.compared.levels).all() and stored.model.prior == first.model.prior
    assert Compared.from_bytes(first.compared.to_bytes(), "organization") is None  # other comparisons: refit
