"""Helpers every parser uses to assemble a CanonicalArticle the same way."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from shared.events import BodyBlock, CanonicalArticle, text_stats
from shared.ids import article_id
from shared.sanitize import clean_html, clean_text, safe_keys

from .base import EmptyDocument, ParseInput


def blocks_to_html(blocks: Iterable[BodyBlock]) -> str:
    parts = []
    for block in blocks:
        tag = "h2" if block.kind == "subhead" else "p"
        parts.append(f"<{tag}>{html.escape(block.text, quote=False)}</{tag}>")
    return clean_html("".join(parts))


def paragraphs(texts: Iterable[str]) -> tuple[BodyBlock, ...]:
    cleaned = (clean_text(t) for t in texts)
    return tuple(BodyBlock(kind="paragraph", text=t) for t in cleaned if t)


def build_article(
    doc: ParseInput,
    *,
    parser: str,
    headline: str | None,
    body: tuple[BodyBlock, ...] = (),
    guid: str | None = None,
    body_html: str | None = None,
    teaser: str | None = None,
    extra: dict[str, Any] | None = None,
    **fields: Any,
) -> CanonicalArticle:
    """Fill id, uri, stats, sanitised HTML and provenance; parsers give only what they read."""
    headline = clean_text(headline or "")
    teaser = clean_text(teaser) if teaser else None
    if not headline:
        # A wire item without a headline still deserves a label: its first words.
        first = body[0].text if body else (teaser or "")
        headline = " ".join(first.split()[:12])
    if not headline:
        raise EmptyDocument("document has neither a headline nor any body text")
    url = fields.pop("url", None) or doc.url
    stable_id = article_id(doc.source, guid=guid, url=url, headline=headline)
    uri = fields.pop("uri", None) or (guid if guid and ":" in guid else None) or url or stable_id
    rendered = clean_html(body_html) if body_html is not None else blocks_to_html(body)
    return CanonicalArticle(
        id=stable_id,
        uri=uri,
        source=doc.source,
        format=parser,
        url=url,
        headline=headline,
        teaser=teaser or None,
        body=body,
        body_html=rendered,
        extra=safe_keys(extra or {}),
        received_at=doc.received_at,
        trace_id=doc.trace_id,
        original_id=guid,
        **text_stats(body, headline, teaser),
        **fields,
    )
