"""The story forest: roots, sizes and the member lists a merge announces, across prunes."""

from __future__ import annotations

import random

import pytest

from services.enrichment.memory import MemoryForest

pytestmark = pytest.mark.unit


def _by_definition(forest: MemoryForest) -> dict[str, set[str]]:
    groups: dict[str, set[str]] = {}
    for node, article in forest.article_of.items():
        groups.setdefault(forest.find(node), set()).add(article)
    return groups


def test_members_follow_unions_and_drops() -> None:
    rng = random.Random(3)  # noqa: S311 - a fixed sample, not a secret
    forest = MemoryForest()
    nodes = [f"st-{i:04d}" for i in range(400)]
    for i, node in enumerate(nodes):
        forest.make_set(node, f"a{i}")
        if i and rng.random() < 0.6:
            forest.union(node, rng.choice(nodes[:i]))
        if i % 97 == 96:  # prune the oldest, as the linker does by article time
            forest.drop(nodes[i - 96: i - 60])
        for root, members in _by_definition(forest).items():
            assert set(forest.members(root)) == members
    assert sum(len(forest.members(r)) for r in _by_definition(forest)) == len(forest.article_of)


def test_union_keeps_the_earliest_root_and_adds_the_members() -> None:
    forest = MemoryForest()
    for node, article in (("st-2", "b"), ("st-1", "a"), ("st-3", "c")):
        forest.make_set(node, article)
    assert forest.union("st-3", "st-2") == "st-2"
    assert forest.union("st-2", "st-1") == "st-1"
    assert sorted(forest.members("st-1")) == ["a", "b", "c"]
    assert forest.members("st-2") == ()
    assert forest.size("st-1") == 3
    restored = MemoryForest()
    restored.parents, restored.article_of = dict(forest.parents), dict(forest.article_of)
    restored.rebuild_members()
    assert sorted(restored.members("st-1")) == ["a", "b", "c"]


def test_compression_points_each_node_at_the_root_and_never_revives_a_dropped_one() -> None:
    forest = MemoryForest()
    forest.parents = {"st-a": "st-a", "st-b": "st-a", "st-c": "st-b"}
    forest.drop(["st-a"])  # the root goes; its members keep its name
    assert forest.find("st-c") == "st-a"
    assert forest.parents == {"st-b": "st-a", "st-c": "st-a"}
    assert forest.root_of("st-b") == "st-a"
