"""The chaos validator finds what it counts: story, duplicate and link differences, merges
applied in any order, and fuzzed inputs that went nowhere."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from benchmarks.chaos_check import Reference, Sent, _partitions, account_fuzz, story_diffs
from benchmarks.chaos_inputs import Push, fuzz_pushes, valid_pushes
from shared import dlq
from shared.events import CanonicalArticle, EnrichedArticle, Enrichment, RelatedLink

pytestmark = pytest.mark.unit


def item(aid: str, story: str, dup: str | None = None,
         related: tuple[RelatedLink, ...] = ()) -> EnrichedArticle:
    return EnrichedArticle(
        article=CanonicalArticle(id=aid, uri=aid, source="s", format="x", headline=aid,
                                 related=related, trace_id=f"t-{aid}"),
        enrichment=Enrichment(enricher="test", story_id=story, duplicate_of=dup))


def stored_doc(aid: str, story: str, *, dup: str | None = None,
               related: list[tuple[str, str | None]] | None = None) -> dict[str, object]:
    return {"_id": aid, "version": 1, "story_id": story, "duplicate_of": dup,
            "article": {"related": [{"headline": h, "resolved_id": r} for h, r in related or []]}}


def test_merges_in_either_order_give_one_hop_aliases() -> None:
    forward, backward = Reference(), Reference()
    forward.merge("st-b", ["st-c"])
    forward.merge("st-a", ["st-b"])
    backward.merge("st-a", ["st-b"])
    backward.merge("st-b", ["st-c"])  # "b took c" read after "a took b": b is a's already
    for ref in (forward, backward):
        assert {s: ref.story(s) for s in ("st-a", "st-b", "st-c")} == dict.fromkeys(
            ("st-a", "st-b", "st-c"), "st-a")


def test_story_diffs_counts_each_kind_and_follows_stored_aliases() -> None:
    ref = Reference()
    link = (RelatedLink(headline="Später"),)
    for it in (item("a", "st-a"), item("b", "st-b"), item("c", "st-a", dup="a"),
               item("d", "st-d", related=link), item("e", "st-e")):
        ref.best[it.id] = it
    ref.merge("st-a", ["st-b"])
    ref.links["d"] = {"Später": "x"}
    same = {"a": stored_doc("a", "st-a"), "b": stored_doc("b", "st-b"),
            "c": stored_doc("c", "st-a", dup="a"), "e": stored_doc("e", "st-e"),
            "d": stored_doc("d", "st-d", related=[("Später", "x")])}
    assert sum(story_diffs(ref, same, {"st-b": "st-a"}).values()) == 0
    # No alias stored for the merge, a lost duplicate mark, an unresolved link, a missing
    # article and one the reference never linked.
    broken = {**same, "c": stored_doc("c", "st-a"), "z": stored_doc("z", "st-z"),
              "d": stored_doc("d", "st-d", related=[("Später", None)])}
    del broken["e"]
    assert story_diffs(ref, broken, {}) == {"stories": 1, "duplicates": 1, "links": 1,
                                            "missing": 1, "extra": 1}


def test_fuzz_accounting_needs_the_original_bytes_a_reason_or_a_stored_version() -> None:
    pushes = [Push(f"doc {i}".encode(), "text/plain") for i in range(6)]
    sent = [Sent(pushes[0], 202, "t0"), Sent(pushes[1], 202, "t1"), Sent(pushes[2], 400, None),
            Sent(pushes[3], 202, "t3"), Sent(pushes[4], 202, "t4"), Sent(pushes[5], 202, "t5")]
    reason = {dlq.H_REASON: "parse_error"}
    letters: dict[str, list[tuple[str, dict[str, str], bytes]]] = {
        "t0": [("normalizer", reason, b"doc 0")],
        "t1": [("normalizer", reason, b"doc 1 but changed")],  # not its bytes
        "t4": [("normalizer", {}, b"doc 4")]}  # no reason
    ref = Reference(traces={"t3": {("a3", 1)}, "t5": {("a5", 2)}})
    versions = Counter({("a3", 1): 1})  # a5's version 2 never reached the history
    assert account_fuzz(sent, letters, ref, versions) == {
        "refused": 1, "dlq_normalizer": 1, "stored": 1, "dlq_downstream": 0, "unaccounted": 3}


def test_inputs_hold_versions_out_of_order_and_fuzz_is_reproducible() -> None:
    sents = [f"Satz Nummer {i} mit etwas Text, der lang genug ist." for i in range(3000)]
    pushes = valid_pushes("r", 600, sents, seed=3)
    assert len(pushes) == 600
    updates = [p for p in pushes if p.version > 1]
    assert 0.05 < len(updates) / len(pushes) < 0.2
    seen: dict[str, int] = {}
    out_of_order = 0
    for p in pushes:
        assert p.article is not None
        out_of_order += p.version < seen.get(p.article, 0)
        seen[p.article] = max(seen.get(p.article, 0), p.version)
    assert out_of_order > 0
    assert [p.body for p in fuzz_pushes(50, seed=1)] == [p.body for p in fuzz_pushes(50, seed=1)]


class Metadata:
    """A consumer whose broker names the topic only after `late` metadata updates."""

    def __init__(self, late: int | None) -> None:
        self.late, self.updates = late, 0
        self._client = self

    def partitions_for_topic(self, _topic: str) -> set[int] | None:
        return {0, 1, 2} if self.late is not None and self.updates >= self.late else None

    async def force_metadata_update(self) -> bool:
        self.updates += 1
        return True


async def test_a_topic_the_consumer_does_not_know_yet_is_waited_for_not_read_as_empty(
        ) -> None:
    # One run's dead-letter topic read as no records: its 461 dead letters counted as lost.
    late: Any = Metadata(late=2)
    assert await _partitions(late, "dlq", wait_s=30) == {0, 1, 2}
    assert late.updates == 2
    never: Any = Metadata(late=None)
    with pytest.raises(RuntimeError, match="does not know topic dlq"):
        await _partitions(never, "dlq", wait_s=1.5)
