"""Turning pushed bytes into a raw envelope and awaiting Kafka's acknowledgement of it."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Protocol

from shared.envelope import to_headers
from shared.events import RawArticle, utcnow
from shared.ids import article_id, payload_id
from shared.sanitize import check_size

_SOURCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


class Publisher(Protocol):
    """The one thing ingest needs from Kafka; the broker satisfies it, tests may fake it."""

    async def publish(self, message: bytes, topic: str, *, key: bytes,
                      headers: dict[str, str]) -> object: ...


class BadRequest(ValueError):
    """The push itself is malformed (no source, empty body); answered with 4xx."""


@dataclass(frozen=True)
class Accepted:
    id: str
    topic: str
    trace_id: str


def envelope(
    payload: bytes, *, source: str, content_type: str | None, url: str | None = None,
    guid: str | None = None, max_bytes: int,
) -> RawArticle:
    """Validate a push and wrap it; the id is the source's guid, else url, else content hash."""
    if not source or not _SOURCE_RE.match(source):
        raise BadRequest("a source identifier [A-Za-z0-9._:-]{1,128} is required")
    if not payload.strip():
        raise BadRequest("the body is empty")
    check_size(payload, max_bytes)
    stable = article_id(source, guid=guid, url=url) if guid or url else payload_id(source, payload)
    return RawArticle(
        id=stable, source=source, received_at=utcnow(),
        content_type=content_type or "application/octet-stream", payload=payload,
        url=url or None, trace_id=uuid.uuid4().hex,
    )


async def publish_raw(publisher: Publisher, raw: RawArticle, topic: str) -> Accepted:
    """Returns only after the broker acknowledged the write (acks=all, idempotent producer);
    `topic` is the deployment's news.raw (Topics.raw)."""
    await publisher.publish(raw.payload, topic, key=raw.id.encode(), headers=to_headers(raw))
    return Accepted(id=raw.id, topic=topic, trace_id=raw.trace_id)
