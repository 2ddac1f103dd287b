"""Small helpers shared by tests: waiting for a condition, a feed served over HTTP, /metrics."""

from __future__ import annotations

import asyncio
import http.server
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from pymongo.asynchronous.database import AsyncDatabase

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def eventually(condition: Callable[[], bool], timeout: float = 30.0,
                     interval: float = 0.05) -> None:
    """Wait until condition() holds; fail with the timeout otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


async def scrape(app: Any) -> Samples:
    """An app's /metrics page as Prometheus reads it: (sample name, labels) -> value."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        reply = await client.get("/metrics")
    assert reply.status_code == 200
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(reply.text) for s in family.samples}


def sample(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def wait_docs(db: AsyncDatabase[dict[str, Any]], query: dict[str, Any], n: int,
                    timeout: float = 120) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    docs: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        docs = await db["articles"].find(query).to_list(None)
        if len(docs) >= n:
            return docs
        await asyncio.sleep(0.5)
    raise AssertionError(f"only {len(docs)} of {n} documents stored for {query}")


class FeedServer(http.server.ThreadingHTTPServer):
    """A feed on a loopback port, answering conditional GETs; it records each If-None-Match."""

    def __init__(self, body: bytes, content_type: str, etag: str) -> None:
        super().__init__(("127.0.0.1", 0), _FeedHandler)
        self.body, self.content_type, self.etag = body, content_type, etag
        self.asked: list[str | None] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/feed.xml"


class _FeedHandler(http.server.BaseHTTPRequestHandler):
    server: FeedServer

    def do_GET(self) -> None:
        feed = self.server
        validator = self.headers.get("If-None-Match")
        feed.asked.append(validator)
        if validator == feed.etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", feed.content_type)
        self.send_header("ETag", feed.etag)
        self.send_header("Content-Length", str(len(feed.body)))
        self.end_headers()
        self.wfile.write(feed.body)

    def log_message(self, *_args: object) -> None:
        return


@contextmanager
def serve_feed(body: bytes, content_type: str = "application/rss+xml",
               etag: str = '"v1"') -> Iterator[FeedServer]:
    server = FeedServer(body, content_type, etag)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
