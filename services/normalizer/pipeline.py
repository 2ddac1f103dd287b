"""Pure normalisation: a raw envelope in, canonical articles out, or a typed ParseError."""

from __future__ import annotations

from shared.events import CanonicalArticle, RawArticle
from shared.sanitize import PayloadTooLarge, check_size

from .parsers.base import ParseError, ParseInput, Parser
from .parsers.registry import select


class TooLarge(ParseError):
    reason = "payload_too_large"


def to_input(raw: RawArticle) -> ParseInput:
    return ParseInput(
        payload=raw.payload,
        content_type=raw.content_type,
        source=raw.source,
        received_at=raw.received_at,
        url=raw.url,
        raw_id=raw.id,
        trace_id=raw.trace_id,
    )


def normalize(
    raw: RawArticle, *, max_bytes: int, registry: dict[str, Parser] | None = None
) -> tuple[str, list[CanonicalArticle]]:
    """Returns the parser name and its articles; every failure is a ParseError subclass."""
    try:
        check_size(raw.payload, max_bytes)
    except PayloadTooLarge as exc:
        raise TooLarge(str(exc)) from exc
    doc = to_input(raw)
    parser = select(doc, registry)
    articles = parser.parse(doc)
    if not articles:
        raise ParseError(f"parser {parser.name!r} found no article in the document")
    return parser.name, articles
