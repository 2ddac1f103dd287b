"""The linker as processes: a SIGKILLed active linker's standby takes over with the same
outputs as an uninterrupted run, and two annotation replicas give the clusters of one."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from deploy.launcher import ServiceProcess, Stack
from services.enrichment.pipeline import Annotator, annotated
from services.linker.stage import LinkerStage
from services.storage.repository import MongoArticleRepository
from shared.events import EnrichedArticle
from tests.conftest import Infra
from tests.e2e.conftest import running_stack
from tests.unit.linker.conftest import ListReplay, MemorySnapshots, story_articles

pytestmark = pytest.mark.e2e
_LINKED = re.compile(r'newswire_messages_total\{outcome="ok",service="linker",stage="link"\} '
                     r"([0-9.e+]+)")


def outcome(item: EnrichedArticle) -> tuple[Any, ...]:
    e = item.enrichment
    return (e.story_id, e.duplicate_of, tuple((r.id, r.score) for r in e.related),
            tuple((lk.headline, lk.resolved_id) for lk in item.article.related))


def linked_count(service: ServiceProcess) -> float:
    found = _LINKED.search(service.metrics())
    return float(found.group(1)) if found else 0.0


async def produce(bootstrap: str, topic: str, values: list[tuple[str, bytes]],
                  partition: int | None = None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=True)
    await producer.start()
    try:
        for key, value in values:
            await producer.send(topic, value, key=key.encode(), partition=partition)
        await producer.flush()
    finally:
        await producer.stop()


async def read_enriched(bootstrap: str, topic: str, expect: set[tuple[str, int]],
                        timeout: float = 120) -> dict[tuple[str, int], set[tuple[Any, ...]]]:
    """Every outcome seen per (article, version) until all expected ones arrived."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest")
    await consumer.start()
    seen: dict[tuple[str, int], set[tuple[Any, ...]]] = {}
    try:
        deadline = time.monotonic() + timeout
        while not expect <= seen.keys():
            assert time.monotonic() < deadline, f"{len(seen)}/{len(expect)} linked in time"
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    item = EnrichedArticle.model_validate_json(r.value or b"")
                    seen.setdefault((item.id, item.version), set()).add(outcome(item))
        await asyncio.sleep(2)  # a late re-send would show up as a second outcome
        for records in (await consumer.getmany(timeout_ms=1000)).values():
            for r in records:
                item = EnrichedArticle.model_validate_json(r.value or b"")
                seen.setdefault((item.id, item.version), set()).add(outcome(item))
    finally:
        await consumer.stop()
    return seen


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    return Annotator.default()


@pytest.fixture(scope="module")
def failover_stack(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {"NEWSWIRE_LINKER_SNAPSHOT_EVERY": "40", "NEWSWIRE_LINKER_BATCH_MAX_RECORDS": "10"}
    with running_stack(infra, tmp_path_factory, "lkfail", env, {"linker": 2}) as stack:
        yield stack


async def test_sigkill_of_the_active_linker_then_takeover_gives_identical_outputs(
        failover_stack: Stack, annotator: Annotator) -> None:
    stack = failover_stack
    items = [annotated(annotator.annotate(a)) for a in story_articles()]
    values = [(i.id, i.model_dump_json().encode()) for i in items]
    expected_state = LinkerStage(MemorySnapshots(), ListReplay([]))
    expected = {(i.id, i.version): outcome(expected_state.apply(o, v).enriched)
                for o, (i, (_, v)) in enumerate(zip(items, values, strict=True))}
    topic = f"{stack.namespace}news.annotated"
    cut = 60
    await produce(stack.bootstrap, topic, values[:cut], partition=0)
    linkers = [stack["linker"], stack["linker-2"]]
    deadline = time.monotonic() + 120
    while max(counts := [linked_count(s) for s in linkers]) < cut:
        assert time.monotonic() < deadline, f"linked only {counts} of {cut}"
        await asyncio.sleep(0.2)
    active, standby = (linkers if counts[0] >= cut else linkers[::-1])
    assert linked_count(standby) == 0  # one partition: the other one only stands by
    active.kill()  # snapshot at 40, group committed up to 60: the standby replays 40..59
    await produce(stack.bootstrap, topic, values[cut:], partition=0)
    seen = await read_enriched(stack.bootstrap, f"{stack.namespace}news.enriched",
                               set(expected), timeout=150)
    assert linked_count(standby) >= len(values) - cut
    # The standby took the snapshot-and-replay path, not a cold start from offset 0.
    assert gauge(standby, "newswire_linker_restores") == 1
    assert gauge(standby, "newswire_linker_input_offset") == len(values)
    assert {k: v for k, v in seen.items() if len(v) > 1} == {}
    assert {k: next(iter(v)) for k, v in seen.items()} == expected
    # The stored snapshot is the standby's now, past everything produced.
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongo_url)
    try:
        head = await client[f"{stack.mongo_db}_linker"]["linker_snapshots"].find_one({"_id": topic})
    finally:
        await client.close()
    assert head is not None
    assert head["offset"] >= 40


@pytest.fixture(scope="module")
def replica_stack(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # Small polls, so both replicas take turns on the stream.
    env = {"NEWSWIRE_ENRICHMENT_BATCH_MAX_RECORDS": "4"}
    with running_stack(infra, tmp_path_factory, "lkrep", env,
                       replicas={"enrichment": 2}) as stack:
        yield stack


async def group_settled(bootstrap: str, group: str, members: int, timeout: float = 60) -> None:
    """Wait until the consumer group is Stable with this many members (each then owns some
    of the partitions)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        deadline = time.monotonic() + timeout
        while True:
            (reply,) = await admin.describe_consumer_groups([group])
            _, _, state, _, _, found = reply.groups[0][:6]
            if state == "Stable" and len(found) == members:
                return
            assert time.monotonic() < deadline, f"group {group}: {state}, {len(found)} members"
            await asyncio.sleep(0.5)
    finally:
        await admin.close()


async def test_two_annotation_replicas_give_the_clusters_of_one(
        replica_stack: Stack, annotator: Annotator) -> None:
    stack = replica_stack
    arts = [a for a in story_articles() if a.version == 1]
    single = LinkerStage(MemorySnapshots(), ListReplay([]))
    for o, a in enumerate(arts):
        single.apply(o, annotated(annotator.annotate(a)).model_dump_json().encode())
    state = single.linker.state
    want = partition({a.id: state.forest.find(rec.node) for a in arts
                      if (rec := state.index.get(a.id)) is not None})
    assert 10 <= len(want) < len(arts)
    await group_settled(stack.bootstrap, f"{stack.namespace}newswire-enrichment", 2)
    await produce(stack.bootstrap, f"{stack.namespace}news.canonical",
                  [(a.id, a.model_dump_json().encode()) for a in arts])
    # Both replicas annotated part of the stream.
    deadline = time.monotonic() + 120
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongo_url, tz_aware=True)
    repo = MongoArticleRepository(client[stack.mongo_db], "articles", "article_versions")
    try:
        got: list[frozenset[str]] = []
        while got != want:
            assert time.monotonic() < deadline, f"clusters differ: {sorted(map(sorted, got))}"
            docs = await client[stack.mongo_db]["articles"].find(
                {}, {"story_id": 1}).to_list(None)
            if len(docs) == len(arts):
                got = partition({d["_id"]: await repo.current_story(d["story_id"])
                                 for d in docs})
            await asyncio.sleep(0.5)
    finally:
        await client.close()
    annotated_by = [_annotated(stack[name]) for name in ("enrichment", "enrichment-2")]
    assert min(annotated_by) > 0, annotated_by


def gauge(service: ServiceProcess, name: str) -> float:
    found = re.search(rf"^{name} ([0-9.e+-]+)$", service.metrics(), re.MULTILINE)
    assert found is not None, name
    return float(found.group(1))


def partition(story_of: dict[str, str]) -> list[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for aid, story in story_of.items():
        groups.setdefault(story, set()).add(aid)
    return sorted((frozenset(g) for g in groups.values()), key=sorted)


def _annotated(service: ServiceProcess) -> float:
    found = re.search(r'newswire_messages_total\{outcome="ok",service="enrichment",'
                      r'stage="annotate"\} ([0-9.e+]+)', service.metrics())
    return float(found.group(1)) if found else 0.0
