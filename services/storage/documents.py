"""Pure mapping from an enriched article to MongoDB documents and guarded upserts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import UpdateOne

from shared.events import EnrichedArticle


def article_document(item: EnrichedArticle, stored_at: datetime) -> dict[str, Any]:
    """The stored shape: query fields at the top (indexed), the full events below."""
    article, enrichment = item.article, item.enrichment
    subjects = {s.qcode for s in (*article.subjects, *enrichment.subjects)}
    return {
        "_id": article.id,
        "version": article.version,
        "enriched_at": enrichment.enriched_at,
        "pubstatus": article.pubstatus,
        "source": article.source,
        "language": enrichment.language.code if enrichment.language else article.language,
        "headline": article.headline,
        "story_id": enrichment.story_id,
        "duplicate_of": enrichment.duplicate_of,
        "subjects": sorted(subjects),
        "entities": sorted({e.canonical for e in enrichment.entities}),
        "first_created": article.first_created,
        "version_created": article.version_created,
        "received_at": article.received_at,
        "stored_at": stored_at,
        "article": article.model_dump(mode="python"),
        "enrichment": enrichment.model_dump(mode="python"),
    }


def guarded_upsert(doc: dict[str, Any]) -> UpdateOne:
    """Upsert by id that only lands if the stored copy is not newer.

    The filter matches only an older (or same-version, older-enrichment) copy; when a newer one
    is stored the filter misses, the upsert tries to insert the same _id and fails with a
    duplicate-key error, which the repository counts as 'stale' instead of overwriting.
    """
    newer_or_same = {
        "$or": [
            {"version": {"$lt": doc["version"]}},
            {"version": doc["version"], "enriched_at": {"$lte": doc["enriched_at"]}},
        ]
    }
    return UpdateOne({"_id": doc["_id"], **newer_or_same}, {"$set": doc}, upsert=True)


def history_insert(doc: dict[str, Any]) -> UpdateOne:
    """Every version is kept once: insert-if-absent keyed by id and version."""
    version_doc = {k: v for k, v in doc.items() if k != "_id"}
    version_doc["article_id"] = doc["_id"]
    key = f"{doc['_id']}#v{doc['version']}"
    return UpdateOne({"_id": key}, {"$setOnInsert": version_doc}, upsert=True)
