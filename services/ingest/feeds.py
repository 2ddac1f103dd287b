"""Feed polling: fetch RSS/Atom/JSON feeds on a schedule, publish each new version to news.raw."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from dataclasses import dataclass
from typing import Literal

import httpx

from shared.metrics import ServiceMetrics
from shared.sanitize import PayloadTooLarge

from .config import FeedSource
from .gateway import BadRequest, Publisher, envelope, publish_raw

log = logging.getLogger("newswire.ingest.feeds")

Outcome = Literal["published", "not_modified", "unchanged", "refused", "failed"]
USER_AGENT = "newswire-feed-poller/1 (+conditional GET)"


@dataclass
class FeedState:
    """What the last successful fetch of one feed said, for the next conditional request."""

    etag: str | None = None
    last_modified: str | None = None
    digest: str | None = None
    failures: int = 0


class FeedPoller:
    """Polls each feed, publishing a new raw envelope only when the feed's bytes changed.

    A feed document goes to news.raw whole: the normalizer splits it into articles, and their
    stable ids (guid, else link) make a re-published item an idempotent update downstream. The
    conditional GET and the digest of the last published body only spare that work.
    """

    def __init__(self, publisher: Publisher, feeds: list[FeedSource], *, max_bytes: int,
                 client: httpx.AsyncClient, topic: str,
                 metrics: ServiceMetrics | None = None) -> None:
        self._publisher, self._topic = publisher, topic
        self._feeds = feeds
        self._max_bytes = max_bytes
        self._client = client
        self._metrics = metrics
        self.state: dict[str, FeedState] = {feed.url: FeedState() for feed in feeds}

    async def poll(self, feed: FeedSource) -> Outcome:
        """One fetch of one feed; never raises for anything the network or the feed does."""
        state = self.state.setdefault(feed.url, FeedState())
        try:
            outcome = await self._poll(feed, state)
        except (httpx.HTTPError, OSError) as exc:
            log.warning("feed fetch failed", extra={"feed": feed.url, "error": repr(exc)})
            outcome = "failed"
        except (PayloadTooLarge, BadRequest) as exc:
            log.warning("feed refused", extra={"feed": feed.url, "error": str(exc)})
            outcome = "refused"
        except Exception:
            # A failed publish must not end the poll loop. The digest is only stored after
            # Kafka's ack, so the next poll publishes the feed again.
            log.exception("feed publish failed", extra={"feed": feed.url})
            outcome = "failed"
        state.failures = state.failures + 1 if outcome in ("failed", "refused") else 0
        if self._metrics is not None:
            self._metrics.messages.labels(self._metrics.service, "feed_poll", outcome).inc()
        return outcome

    async def _poll(self, feed: FeedSource, state: FeedState) -> Outcome:
        headers = {"User-Agent": USER_AGENT}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        async with self._client.stream("GET", feed.url, headers=headers) as response:
            if response.status_code == 304:
                return "not_modified"
            response.raise_for_status()
            body = await _read_capped(response, self._max_bytes)
            content_type = feed.content_type or response.headers.get("content-type")
            etag, modified = response.headers.get("etag"), response.headers.get("last-modified")
        digest = hashlib.sha256(body).hexdigest()
        if digest == state.digest:
            # Servers without validators send the same bytes again: nothing new to publish.
            state.etag, state.last_modified = etag, modified
            return "unchanged"
        raw = envelope(body, source=feed.source, content_type=content_type,
                       max_bytes=self._max_bytes)
        await publish_raw(self._publisher, raw, self._topic)
        # Only after Kafka acknowledged the write: a failed publish is fetched again next time.
        state.etag, state.last_modified, state.digest = etag, modified, digest
        log.info("feed published", extra={"feed": feed.url, "id": raw.id})
        return "published"

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        """Poll every feed each interval until stop is set; a failing feed backs off alone."""
        next_due = {feed.url: 0.0 for feed in self._feeds}
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            now = loop.time()
            for feed in self._feeds:
                if next_due[feed.url] <= now:
                    await self.poll(feed)
                    next_due[feed.url] = loop.time() + _delay(
                        feed.interval_seconds or interval, self.state[feed.url].failures)
            wait = max(0.05, min(next_due.values()) - loop.time())
            try:
                await asyncio.wait_for(stop.wait(), timeout=wait)
            except TimeoutError:
                continue


def _delay(interval: float, failures: int) -> float:
    """The interval, doubled per consecutive failure up to 16x, with 10 % jitter.

    Jitter keeps many pollers (or replicas after a restart) from hitting one server in step.
    """
    backoff: float = interval * min(2 ** failures, 16)
    return backoff * random.uniform(0.9, 1.1)  # noqa: S311 - jitter, not cryptography


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"feed of {declared} bytes exceeds the limit of {limit}")
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"feed exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
