"""Feed poller: conditional GET, one publish per new feed version, and no crash on bad feeds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError

from services.ingest.config import FeedSource, IngestSettings
from services.ingest.feeds import FeedPoller, _delay
from services.normalizer.parsers.base import ParseInput
from services.normalizer.parsers.registry import select
from shared.envelope import from_record
from shared.events import RawArticle
from shared.metrics import ServiceMetrics
from shared.runtime import raw_body
from shared.topics import Topics
from tests.conftest import SHARED

pytestmark = pytest.mark.unit

FEED = SHARED / "data" / "wires"
URL = "https://feeds.example.test/news.xml"


def _rss_sample() -> bytes:
    samples = sorted(p for p in FEED.rglob("*") if p.is_file() and p.suffix in {".xml", ".rss"}
                     and b"<rss" in p.read_bytes()[:2048])
    assert samples, f"no RSS sample under {FEED}"
    return samples[0].read_bytes()


class Server:
    """An HTTP server in the test's hands: the body it serves, validators, what it was asked."""

    def __init__(self, body: bytes, *, etag: str | None = '"v1"') -> None:
        self.body, self.etag, self.status = body, etag, 200
        self.requests: list[httpx.Request] = []
        self.asked_twice = asyncio.Event()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if len(self.requests) >= 2:
            self.asked_twice.set()
        if self.status != 200:
            return httpx.Response(self.status)
        if self.etag and request.headers.get("if-none-match") == self.etag:
            return httpx.Response(304)
        headers = {"content-type": "application/rss+xml; charset=utf-8"}
        if self.etag:
            headers["etag"] = self.etag
        return httpx.Response(200, content=self.body, headers=headers)


RAW = Topics("feeds.").raw


def _broker() -> tuple[KafkaBroker, list[RawArticle]]:
    broker = KafkaBroker()
    got: list[RawArticle] = []

    @broker.subscriber(RAW, decoder=raw_body)
    async def on_raw(msg: KafkaMessage) -> None:
        got.append(from_record(bytes(msg.body), dict(msg.headers),
                               getattr(msg.raw_message, "key", None)))

    return broker, got


def _poller(broker: KafkaBroker, handler: Callable[[httpx.Request], httpx.Response],
            feeds: list[FeedSource], max_bytes: int = 1 << 20) -> FeedPoller:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return FeedPoller(broker, feeds, max_bytes=max_bytes, client=client, topic=RAW,
                      metrics=ServiceMetrics("ingest"))


async def test_a_feed_is_published_once_per_version_and_parses_downstream() -> None:
    server = Server(_rss_sample())
    broker, got = _broker()
    feed = FeedSource(url=URL, source="example")
    async with TestKafkaBroker(broker):
        poller = _poller(broker, server, [feed])
        first = await poller.poll(feed)
        again = await poller.poll(feed)              # the server answers 304 to If-None-Match
        server.etag = None                           # a server without validators ...
        server.body = server.body + b"\n"
        changed = await poller.poll(feed)
        same = await poller.poll(feed)               # ... sends the same bytes: not re-published
    assert [first, again, changed, same] == ["published", "not_modified", "published", "unchanged"]
    assert server.requests[1].headers["if-none-match"] == '"v1"'
    assert [raw.source for raw in got] == ["example", "example"]
    assert got[0].content_type == "application/rss+xml; charset=utf-8"
    doc = ParseInput(payload=got[0].payload, content_type=got[0].content_type,
                     source=got[0].source, received_at=got[0].received_at)
    articles = select(doc).parse(doc)
    assert articles and all(a.source == "example" and a.format == "feed" for a in articles)


@pytest.mark.parametrize("status", [404, 500, 503])
async def test_server_errors_count_as_failures_and_back_off(status: int) -> None:
    server = Server(b"<rss/>")
    server.status = status
    broker, got = _broker()
    feed = FeedSource(url=URL, source="example")
    async with TestKafkaBroker(broker):
        poller = _poller(broker, server, [feed])
        outcomes = [await poller.poll(feed) for _ in range(3)]
    assert outcomes == ["failed"] * 3
    assert poller.state[URL].failures == 3
    assert got == []


async def test_network_errors_and_oversized_feeds_never_raise() -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    broker, got = _broker()
    feed = FeedSource(url=URL, source="example")
    async with TestKafkaBroker(broker):
        assert await _poller(broker, unreachable, [feed]).poll(feed) == "failed"
        big = Server(b"<rss>" + b"x" * 5000 + b"</rss>")
        assert await _poller(broker, big, [feed], max_bytes=1024).poll(feed) == "refused"
    assert got == []


async def test_run_polls_until_stopped() -> None:
    server = Server(_rss_sample())
    broker, got = _broker()
    feed = FeedSource(url=URL, source="example", interval_seconds=1)
    stop = asyncio.Event()
    async with TestKafkaBroker(broker):
        poller = _poller(broker, server, [feed])
        task = asyncio.create_task(poller.run(300, stop))
        # The per-feed interval (1 s) beats the default (300 s): a second request comes soon.
        await asyncio.wait_for(server.asked_twice.wait(), timeout=10)
        stop.set()
        await asyncio.wait_for(task, timeout=5)
    assert len(got) == 1
    assert server.requests[1].headers["if-none-match"] == '"v1"'


def test_backoff_doubles_per_failure_up_to_sixteen_times() -> None:
    assert 90 <= _delay(100, 0) <= 110
    assert 180 <= _delay(100, 1) <= 220
    assert 1440 <= _delay(100, 10) <= 1760


def test_feed_settings_refuse_non_http_urls_and_bad_sources(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_INGEST_FEEDS",
                       '[{"url": "https://a.test/rss", "source": "a", "interval_seconds": 60}]')
    assert IngestSettings().feeds == [FeedSource(url="https://a.test/rss", source="a",
                                                 interval_seconds=60)]
    with pytest.raises(ValidationError):
        FeedSource(url=Path("/etc/passwd").as_uri(), source="a")
    with pytest.raises(ValidationError):
        FeedSource(url=URL, source="no spaces")
