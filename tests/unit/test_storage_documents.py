"""The stored shapes: a history entry holds its version whole, and refuses what it can't read."""

from __future__ import annotations

from datetime import UTC, datetime

import bson
import pytest
from bson.codec_options import CodecOptions

from services.storage.documents import article_document, history_content, history_document
from shared.events import BodyBlock, CanonicalArticle, EnrichedArticle, Enrichment

pytestmark = pytest.mark.unit
NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def test_history_entry_round_trips_the_stored_document() -> None:
    article = CanonicalArticle(id="a", uri="a", version=3, source="s", format="f",
                               headline="Fähre fällt aus $1",
                               body=(BodyBlock(kind="paragraph", text="Text. " * 200),))
    doc = article_document(EnrichedArticle(article=article, enrichment=Enrichment(
        enricher="t", enriched_at=NOW)), NOW)
    entry = history_document(doc)
    assert entry["_id"] == "a#v3"
    assert (entry["article_id"], entry["version"], entry["order_key"]) == (
        "a", 3, doc["order_key"])
    # Exactly what a Mongo-wire store holds for the live document (tuples come back as lists).
    assert history_content(entry) == bson.decode(bson.encode(doc), CodecOptions(tz_aware=True))
    assert len(entry["document"]) < len(str(doc)) / 3  # repetitive text compresses


def test_history_entry_of_an_unknown_encoding_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown history encoding"):
        history_content({"_id": "a#v1", "encoding": "gzip", "document": b""})
