"""The news.raw wire envelope: the value is the original bytes, the metadata rides in headers."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from pydantic import ValidationError

from shared.events import RawArticle, utcnow
from shared.ids import payload_id

# Header names agencies use when they produce to news.raw themselves (documented in README).
H_ID = "nw-id"
H_SOURCE = "nw-source"
# Not "content-type": FastStream would try to decode the payload by it before our code runs.
H_CONTENT_TYPE = "nw-content-type"
H_RECEIVED_AT = "nw-received-at"
H_URL = "nw-url"
H_TRACE = "nw-trace-id"


class EnvelopeError(ValueError):
    """A news.raw record whose headers do not form a valid envelope."""


def to_headers(raw: RawArticle) -> dict[str, str]:
    headers = {
        H_ID: raw.id,
        H_SOURCE: raw.source,
        H_CONTENT_TYPE: raw.content_type,
        H_RECEIVED_AT: raw.received_at.isoformat(),
        H_TRACE: raw.trace_id,
    }
    if raw.url:
        headers[H_URL] = raw.url
    return headers


def _text(headers: Mapping[str, str | bytes], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def from_record(
    value: bytes, headers: Mapping[str, str | bytes], key: bytes | None = None
) -> RawArticle:
    """Rebuild the envelope from a Kafka record; only nw-source is mandatory for producers."""
    source = _text(headers, H_SOURCE)
    if not source:
        raise EnvelopeError(f"missing header {H_SOURCE!r}")
    received = _text(headers, H_RECEIVED_AT)
    try:
        received_at = datetime.fromisoformat(received) if received else utcnow()
    except ValueError as exc:
        raise EnvelopeError(f"header {H_RECEIVED_AT!r} is not an ISO timestamp") from exc
    if received_at.tzinfo is None:
        raise EnvelopeError(f"header {H_RECEIVED_AT!r} has no timezone")
    key_text = key.decode("utf-8", errors="replace") if key else None
    try:
        return RawArticle(
            id=_text(headers, H_ID) or key_text or payload_id(source, value),
            source=source,
            received_at=received_at,
            content_type=_text(headers, H_CONTENT_TYPE) or "application/octet-stream",
            payload=value,
            url=_text(headers, H_URL),
            trace_id=_text(headers, H_TRACE) or uuid.uuid4().hex,
        )
    except ValidationError as exc:
        raise EnvelopeError(f"invalid envelope: {exc.errors()[0]['msg']}") from exc
