"""End to end: HTTP ingest -> normalizer -> enrichment -> storage, asserted in MongoDB."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from pymongo.asynchronous.database import AsyncDatabase

from deploy.launcher import Stack
from deploy.redrive import H_FIRST_FAILURE, Selection, redrive
from deploy.samples import page_text
from services.storage.repository import MongoArticleRepository
from shared.dlq import H_EXC_CLASS, H_OFFSET, H_PARTITION, H_REASON, H_TOPIC
from shared.settings import CommonSettings
from tests.conftest import FIXTURES
from tests.helpers import wait_docs

pytestmark = pytest.mark.e2e
ABU_DHABI_HEADLINE = "Witkoff kündigt neue Ukraine-Gespräche für kommende Woche an"


def push(stack: Stack, body: bytes, content_type: str = "text/plain; charset=utf-8",
         source: str = "e2e") -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 - local test service
        f"{stack['ingest'].url}/v1/articles?source={source}", data=body, method="POST",
        headers={"content-type": content_type},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


async def test_seed_and_own_articles_stored_with_every_field(
    stack: Stack, db: AsyncDatabase[dict[str, Any]], seed_bytes: bytes
) -> None:
    status, reply = push(stack, seed_bytes)
    assert status == 202 and reply["id"]
    own = sorted((FIXTURES / "pagetext").glob("*.txt"))
    for path in own:
        assert push(stack, path.read_bytes())[0] == 202
    docs = await wait_docs(db, {}, 1 + len(own))
    by_headline = {d["headline"]: d for d in docs}
    seed = next(d for h, d in by_headline.items() if h.startswith("Signal der Annäherung?"))
    art = seed["article"]
    assert art["kicker"] == "Ukraine-Krieg"
    assert [p["name"] for p in art["byline"]] == ["Emre Bölükbasi"]
    assert art["images"][0]["caption"].startswith("Die Gespräche zwischen dem russischen")
    assert art["images"][0]["credit"] == "via REUTERS"
    assert art["teaser"].startswith("Ist vielleicht ein diplomatischer Durchbruch")
    assert len(art["key_points"]) == 3
    assert [b["text"] for b in art["body"] if b["kind"] == "subhead"] == [
        "Vorausgegangene Gespräche in Davos", "Trumps Friedensbemühungen für die Ukraine"]
    assert sum(b["kind"] == "paragraph" for b in art["body"]) == 7
    assert art["ai_assisted"] is True
    assert art["sources"] == ["Nachrichtenagentur dpa"]
    assert art["version_created"] is None
    assert len(art["related"]) == 6
    assert ("In Abu Dhabi", ABU_DHABI_HEADLINE) in [(r["kicker"], r["headline"])
                                                     for r in art["related"]]
    assert "newstime" not in json.dumps(art["body"], ensure_ascii=False)
    assert seed["language"] == "de"
    assert seed["story_id"]
    assert await db["article_versions"].count_documents({"article_id": seed["_id"]}) == 1
    # Our own follow-up article in the same layout stored too, with its own fields.
    follow = by_headline[ABU_DHABI_HEADLINE]
    assert [p["name"] for p in follow["article"]["byline"]] == ["Lena Krause"]
    assert follow["article"]["ai_assisted"] is True
    # The seed's "Mehr entdecken" link to that headline resolves to the stored follow-up: the
    # enrichment re-publishes the seed with the link filled in, and storage keeps that copy.
    deadline = time.monotonic() + 90
    resolved = None
    while resolved is None and time.monotonic() < deadline:
        latest = await db["articles"].find_one({"_id": seed["_id"]})
        assert latest is not None
        resolved = next((r["resolved_id"] for r in latest["article"]["related"]
                         if r["headline"] == ABU_DHABI_HEADLINE), None)
        await asyncio.sleep(0.5)
    assert resolved == follow["_id"]
    # Same story for the seed and the follow-up about the same talks, in storage too once the
    # merge event has recorded its alias; never the zoo piece's story.
    zoo = next(d for h, d in by_headline.items() if "Roten Pandas" in h)
    repo = MongoArticleRepository(db, "articles", "article_versions")
    stories: set[str] = set()
    while time.monotonic() < deadline + 60:
        pair = await db["articles"].find({"_id": {"$in": [seed["_id"], follow["_id"]]}}).to_list(2)
        stories = {await repo.current_story(d["story_id"]) for d in pair}
        if len(stories) == 1:
            break
        await asyncio.sleep(0.5)
    assert len(stories) == 1
    assert await repo.current_story(zoo["story_id"]) not in stories
    # Readers find the whole story through its ids (root and absorbed), by the story index.
    ids = await repo.story_ids(next(iter(stories)))
    members = await db["articles"].find({"story_id": {"$in": ids}}, {"_id": 1}).to_list(None)
    assert {seed["_id"], follow["_id"]} <= {m["_id"] for m in members}


async def test_bad_input_is_rejected_or_dead_lettered(stack: Stack) -> None:
    assert push(stack, b"x" * (6 * 1024 * 1024))[0] == 413
    garbage = b"\x89PNG\r\n\x1a\n not an article \x00\xff"
    status, _ = push(stack, garbage, content_type="application/octet-stream")
    assert status == 202
    consumer = AIOKafkaConsumer(f"{stack.namespace}news.dlq", bootstrap_servers=stack.bootstrap,
                                auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    try:
        found = None
        deadline = time.monotonic() + 60
        while found is None and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=1000)
            for records in batch.values():
                for record in records:
                    if record.value == garbage:
                        found = record
    finally:
        await consumer.stop()
    assert found is not None, "garbage never reached the DLQ"
    headers = {k: v.decode() for k, v in found.headers}
    assert headers[H_TOPIC] == f"{stack.namespace}news.raw"
    assert headers[H_REASON] == "unsupported_format"
    assert "UnsupportedFormat" in headers[H_EXC_CLASS]
    assert stack["normalizer"].alive()


async def test_each_service_exposes_its_own_metrics(stack: Stack) -> None:
    assert push(stack, page_text(1, tag="metrics").encode())[0] == 202
    expected = {
        "ingest": 'newswire_messages_total{outcome="ok",service="ingest",stage="ingest_http"}',
        "normalizer":
            'newswire_messages_total{outcome="ok",service="normalizer",stage="normalize"}',
        "enrichment": 'service="enrichment"',
        "storage": 'newswire_articles_stored_total{result="inserted"}',
    }
    deadline = time.monotonic() + 60
    missing = dict(expected)
    while missing and time.monotonic() < deadline:
        for name, needle in list(missing.items()):
            if needle in stack[name].metrics():
                del missing[name]
        await asyncio.sleep(0.5)
    assert not missing, f"metrics missing: {missing}"
    assert "faststream_received_messages_total" in stack["storage"].metrics()
    assert "newswire_processing_seconds_bucket" in stack["normalizer"].metrics()
    # Each consuming service measures its own groups' lag, every partition of every topic.
    lag = {"normalizer": ["news.raw"], "enrichment": ["news.canonical"],
           "storage": ["news.enriched", "news.story"]}
    for name, consumed in lag.items():
        lines = [line for line in stack[name].metrics().splitlines()
                 if line.startswith("newswire_consumer_lag{")]
        for topic in consumed:
            shown = [line for line in lines if f'topic="{stack.namespace}{topic}"' in line]
            assert len(shown) == 3, (name, topic, lines)  # three partitions each


async def _dlq_copies(stack: Stack, value: bytes, want: int) -> list[Any]:
    consumer = AIOKafkaConsumer(f"{stack.namespace}news.dlq", bootstrap_servers=stack.bootstrap,
                                auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    found: list[Any] = []
    try:
        deadline = time.monotonic() + 60
        while len(found) < want and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=1000)
            found += [r for got in batch.values() for r in got if r.value == value]
    finally:
        await consumer.stop()
    return found


async def test_a_redriven_dead_letter_fails_again_with_its_first_failure(stack: Stack) -> None:
    garbage = b"\x89PNG\r\n\x1a\n still not an article " + str(time.time_ns()).encode()
    assert push(stack, garbage, content_type="application/octet-stream")[0] == 202
    [first] = await _dlq_copies(stack, garbage, 1)
    common = CommonSettings(kafka_bootstrap=stack.bootstrap)
    chosen = Selection(reasons=frozenset({"unsupported_format"}), after_ms=first.timestamp)
    report = await redrive(common, chosen, dlq=f"{stack.namespace}news.dlq")
    assert report.sent[(f"{stack.namespace}news.raw", "unsupported_format")] >= 1
    # The normalizer reads it again, fails again, and keeps where it first failed.
    copies = await _dlq_copies(stack, garbage, 2)
    assert len(copies) == 2
    was = {k: v.decode() for k, v in first.headers}
    again = {k: v.decode() for k, v in copies[1].headers}
    assert again[H_FIRST_FAILURE] == "/".join([was[H_TOPIC], was[H_PARTITION], was[H_OFFSET]])
    assert was[H_TOPIC] == f"{stack.namespace}news.raw"
    assert again[H_REASON] == "unsupported_format"
    assert again[H_OFFSET] != was[H_OFFSET]  # it failed on the re-sent record this time
    # A second run sends that input once more, not once per failure.
    dry = await redrive(common, chosen, dlq=f"{stack.namespace}news.dlq", dry_run=True)
    assert dry.repeated >= 1
