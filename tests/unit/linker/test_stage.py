"""The linker's recovery: a snapshot restores the exact state, a takeover replays to the same
outputs as an uninterrupted run, a redelivery repeats what was not yet sent."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from services.enrichment.pipeline import doc_of, link_result
from services.enrichment.snapshot import SnapshotError, dump_state, load_state
from services.enrichment.stories import StoryLinker
from services.linker.handlers import LinkerHandler
from services.linker.snapshots import Snapshot
from services.linker.stage import LinkerStage, SnapshotPolicy
from shared.dlq import H_REASON, DeadLetters
from shared.events import EnrichedArticle, LinkUpdate
from shared.metrics import ServiceMetrics
from shared.runtime import raw_body
from shared.topics import Topics

from .conftest import ListReplay, MemorySnapshots

pytestmark = pytest.mark.unit
topics = Topics("lnk.")


def outcome(enriched: EnrichedArticle) -> tuple[Any, ...]:
    """What recovery must reproduce: story, duplicate, related articles, resolved links."""
    e = enriched.enrichment
    return (enriched.id, enriched.version, e.story_id, e.duplicate_of,
            tuple((r.id, r.score) for r in e.related),
            tuple((lk.headline, lk.resolved_id) for lk in enriched.article.related))


def uninterrupted(values: list[bytes]) -> list[tuple[Any, ...]]:
    stage = LinkerStage(MemorySnapshots(), ListReplay(values))
    return [outcome(stage.apply(o, v).enriched) for o, v in enumerate(values)]


def test_a_restored_snapshot_links_the_rest_exactly_as_the_original(
        annotated_values: list[bytes]) -> None:
    whole = LinkerStage(MemorySnapshots(), ListReplay(annotated_values))
    results = [whole.apply(o, v) for o, v in enumerate(annotated_values)]
    cut = len(annotated_values) // 2
    first = LinkerStage(MemorySnapshots(), ListReplay(annotated_values))
    for o in range(cut):
        first.apply(o, annotated_values[o])
    state, offset = load_state(dump_state(first.linker.state, first.next_offset))
    assert offset == cut
    restored = StoryLinker(state, first.policy)
    rest = [link_result(*_doc_and(restored, v)) for v in annotated_values[cut:]]
    assert [outcome(r.enriched) for r in rest] == [outcome(r.enriched) for r in results[cut:]]
    assert [links(r.links) for r in rest] == [links(r.links) for r in results[cut:]]
    # The state itself ends identical, byte for byte.
    assert dump_state(restored.state, 0) == dump_state(whole.linker.state, 0)
    # The stream holds real work for recovery to get right.
    stories = {r.enriched.enrichment.story_id for r in results}
    assert 10 <= len(stories) < len(results)
    assert any(r.links for r in results)
    assert any(r.enriched.enrichment.duplicate_of for r in results)


def links(updates: tuple[LinkUpdate, ...]) -> list[tuple[Any, ...]]:
    return [(u.source_id, u.links) for u in updates]


def _doc_and(linker: StoryLinker, value: bytes) -> tuple[Any, Any]:
    doc = doc_of(EnrichedArticle.model_validate_json(value))
    return doc, linker.link(doc)


def test_garbage_is_no_snapshot() -> None:
    with pytest.raises(SnapshotError):
        load_state(b"not a snapshot")


@dataclass
class Record:
    offset: int
    value: bytes
    topic: str = topics.annotated
    partition: int = 0
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


def _handler(broker: KafkaBroker, stage: LinkerStage) -> LinkerHandler:
    return LinkerHandler(broker, DeadLetters(broker, ServiceMetrics("linker"), topics.dlq), stage,
                         topics)


def _spied() -> tuple[KafkaBroker, dict[str, list[bytes]]]:
    broker = KafkaBroker()
    seen: dict[str, list[bytes]] = {}

    def spy_for(topic: str) -> Any:
        async def spy(msg: KafkaMessage) -> None:
            seen.setdefault(topic, []).append(bytes(msg.body))
        return spy

    for topic in (topics.enriched, topics.story, topics.links, topics.dlq):
        broker.subscriber(topic, group_id=f"spy-{topic}", decoder=raw_body)(spy_for(topic))
    return broker, seen


async def test_a_takeover_restores_the_snapshot_replays_and_matches_an_uninterrupted_run(
        annotated_values: list[bytes]) -> None:
    values = annotated_values
    snapshots, replay = MemorySnapshots(), ListReplay(values)
    broker, seen = _spied()
    async with TestKafkaBroker(broker):
        active = _handler(broker, LinkerStage(
            snapshots, replay, snapshot=SnapshotPolicy(every=20, seconds=3600)))
        for start in range(0, 50, 10):  # polls of 10, a snapshot after every second
            await active.handle([Record(o, values[o]) for o in range(start, start + 10)])
            await active.stage.drain()
        assert snapshots.latest is not None
        assert snapshots.latest.offset == 40
        # The active linker dies after committing 50: the standby starts from the snapshot
        # (40) and is handed offset 50 by the group.
        standby = _handler(broker, LinkerStage(snapshots, replay))
        await standby.handle([Record(o, values[o]) for o in range(50, len(values))])
    assert replay.reads == [(40, 50)]
    got = [outcome(EnrichedArticle.model_validate_json(b)) for b in seen[topics.enriched]]
    # Sends of one poll are concurrent, so compare as sets of (article, version) outcomes.
    assert sorted(got) == sorted(uninterrupted(values))
    assert len(got) == len(values)
    # Each resolved link announced once across both instances.
    updates = [LinkUpdate.model_validate_json(b) for b in seen.get(topics.links, [])]
    assert updates
    assert len({u.model_dump_json(exclude={"updated_at"}) for u in updates}) == len(updates)


async def test_a_redelivered_poll_resends_only_what_was_not_acknowledged(
        annotated_values: list[bytes]) -> None:
    values = annotated_values[:6]
    broker, seen = _spied()
    stage = LinkerStage(MemorySnapshots(), ListReplay(values))
    handler = _handler(broker, stage)
    async with TestKafkaBroker(broker):
        await handler.handle([Record(o, values[o]) for o in range(3)])
        first = list(seen[topics.enriched])
        # Kafka failed after the state took records 3..5: the poll is read again.
        publish = broker.publish
        calls = {"n": 0}

        async def failing(*args: Any, **kwargs: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 1:
                raise ConnectionError("broker down")
            return await publish(*args, **kwargs)

        broker.publish = failing  # type: ignore[method-assign]
        with pytest.raises(ConnectionError):
            await handler.handle([Record(o, values[o]) for o in range(3, 6)])
        broker.publish = publish  # type: ignore[method-assign]
        assert stage.next_offset == 6
        # The nack rewinds to 3, and the already applied records go out from the unsent list,
        # while 0..2 (acknowledged) are not sent twice.
        await handler.handle([Record(o, values[o]) for o in range(6)])
    ids = [EnrichedArticle.model_validate_json(b).id for b in seen[topics.enriched]]
    assert len(first) == 3
    assert ids.count(EnrichedArticle.model_validate_json(values[0]).id) == 1
    # Sends of the failed poll that did go out may go out again (at least once); every record
    # 3..5 is sent, and always with the outcome of an uninterrupted run.
    assert {outcome(EnrichedArticle.model_validate_json(b)) for b in seen[topics.enriched]} == (
        set(uninterrupted(values)))
    assert set(ids[3:]) == {EnrichedArticle.model_validate_json(v).id for v in values[3:]}


async def test_a_bad_record_is_dead_lettered_and_the_stream_goes_on(
        annotated_values: list[bytes]) -> None:
    broker, seen = _spied()
    stage = LinkerStage(MemorySnapshots(), ListReplay([]))
    handler = _handler(broker, stage)
    async with TestKafkaBroker(broker):
        linked = await handler.handle([Record(0, b"{oops", key=b"k"),
                                       Record(1, annotated_values[0])])
    assert linked == 1
    assert seen[topics.dlq] == [b"{oops"]
    assert len(seen[topics.enriched]) == 1
    assert stage.next_offset == 2


async def test_a_dead_letter_goes_out_with_its_poll_and_again_when_the_poll_is_redelivered(
        annotated_values: list[bytes]) -> None:
    broker, seen = _spied()
    stage = LinkerStage(MemorySnapshots(), ListReplay([]))
    handler = _handler(broker, stage)
    poll = [Record(0, b"{oops", key=b"k"), Record(1, annotated_values[0])]
    async with TestKafkaBroker(broker):
        publish, tried = broker.publish, []

        async def down(*args: Any, **kwargs: Any) -> Any:
            tried.append(args[1] if len(args) > 1 else kwargs.get("topic"))
            raise ConnectionError("broker down")

        broker.publish = down  # type: ignore[method-assign]
        with pytest.raises(ConnectionError):
            await handler.handle(poll)
        broker.publish = publish  # type: ignore[method-assign]
        assert topics.dlq in tried  # sent together with the poll's other records
        assert topics.dlq not in seen
        # The nack rewinds: the state already holds both records, the sends come from the
        # unsent list, the dead letter among them.
        assert await handler.handle(poll) == 0
    assert seen[topics.dlq] == [b"{oops"]
    assert len(seen[topics.enriched]) == 1
    # Counted once, when it was built, not again for the re-send.
    assert handler.metrics.registry.get_sample_value(
        "newswire_dlq_messages_total", {"service": "linker", "reason": "invalid_article"}) == 1


def test_link_update_carries_only_the_links() -> None:
    update = LinkUpdate.model_validate_json(json.dumps(
        {"source_id": "s", "links": [{"headline": "H", "resolved_id": "a"}]}))
    assert update.links[0].resolved_id == "a"
    with pytest.raises(ValueError, match="at least 1"):
        LinkUpdate(source_id="s", links=())
    assert H_REASON  # the DLQ reason header is what operators filter on


async def test_an_unreadable_snapshot_means_a_full_replay_with_the_same_outputs(
        annotated_values: list[bytes]) -> None:
    values = annotated_values[:30]
    snapshots = MemorySnapshots()
    await snapshots.save(Snapshot(offset=20, blob=b"written by another format"))
    broker, seen = _spied()
    replay = ListReplay(values)
    async with TestKafkaBroker(broker):
        handler = _handler(broker, LinkerStage(snapshots, replay))
        await handler.handle([Record(o, values[o]) for o in range(25, 30)])
    assert replay.reads == [(0, 25)]
    got = [outcome(EnrichedArticle.model_validate_json(b)) for b in seen[topics.enriched]]
    assert sorted(got) == sorted(uninterrupted(values)[25:])


async def test_a_polls_first_part_is_sent_while_its_later_records_are_linked(
        annotated_values: list[bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    broker, seen = _spied()
    sent_before: list[int] = []
    async with TestKafkaBroker(broker):
        handler = LinkerHandler(broker, DeadLetters(broker, ServiceMetrics("linker"),
                                                    topics.dlq),
                                LinkerStage(MemorySnapshots(), ListReplay(annotated_values)),
                                topics, chunk=2)
        apply = handler.stage.apply

        def slow_third(offset: int, value: bytes) -> Any:
            if offset == 2:  # in the worker thread: wait until the first part is out
                sent_before.append(wait_for(lambda: len(seen.get(topics.enriched, [])) >= 2))
                sent_before.append(len(seen.get(topics.enriched, [])))
            return apply(offset, value)

        monkeypatch.setattr(handler.stage, "apply", slow_third)
        await handler.handle([Record(o, annotated_values[o]) for o in range(4)])
    assert sent_before == [True, 2]
    assert len(seen[topics.enriched]) == 4


def wait_for(condition: Any, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
