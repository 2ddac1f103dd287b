"""End to end: the ingest process polls a feed, and each of its items is stored once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from deploy.launcher import Stack
from services.normalizer.parsers.base import ParseInput
from services.normalizer.parsers.registry import select
from tests.conftest import SHARED, Infra
from tests.e2e.conftest import running_stack
from tests.helpers import FeedServer, eventually, serve_feed, wait_docs

pytestmark = pytest.mark.e2e

SOURCE = "e2efeed"
# A JSON Feed of 25 items: many articles out of one polled document.
SAMPLE = SHARED / "data" / "wires" / "feeds" / "feed.json"
CONTENT_TYPE = "application/feed+json"


@pytest.fixture(scope="module")
def feed() -> Iterator[FeedServer]:
    with serve_feed(SAMPLE.read_bytes(), CONTENT_TYPE) as server:
        yield server


@pytest.fixture(scope="module")
def stack(infra: Infra, tmp_path_factory: pytest.TempPathFactory,
          feed: FeedServer) -> Iterator[Stack]:
    # This module's own stack: its ingest polls the feed every second.
    feeds = [{"url": feed.url, "source": SOURCE, "interval_seconds": 1}]
    with running_stack(infra, tmp_path_factory, prefix="e2efeed",
                       extra_env={"NEWSWIRE_INGEST_FEEDS": json.dumps(feeds)}) as running:
        yield running


async def test_every_item_of_a_polled_feed_is_stored_once(
    stack: Stack, db: AsyncDatabase[dict[str, Any]], feed: FeedServer
) -> None:
    doc = ParseInput(payload=SAMPLE.read_bytes(), content_type=CONTENT_TYPE,
                     source=SOURCE, received_at=datetime.now(UTC))
    expected = {article.id for article in select(doc).parse(doc)}
    assert len(expected) > 1
    docs = await wait_docs(db, {"source": SOURCE}, len(expected))
    assert {d["_id"] for d in docs} == expected
    # Later polls are conditional GETs answered 304: nothing is published or stored again.
    await eventually(lambda: len(feed.asked) >= 4, timeout=60)
    assert feed.asked[0] is None
    assert set(feed.asked[1:]) == {feed.etag}
    assert await db["article_versions"].count_documents({"article_id": {"$in": list(expected)}}) \
        == len(expected)
    assert 'stage="feed_poll"' in stack["ingest"].metrics()
