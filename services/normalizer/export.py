"""Export of a CanonicalArticle as IPTC ninjs 2.2 JSON."""

from __future__ import annotations

import json
from typing import Any

from shared.events import CanonicalArticle

NINJS_22_SCHEMA = "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json"


def to_ninjs(article: CanonicalArticle) -> dict[str, Any]:
    """ninjs 2.2 document; see the official schema in ../shared/schemas/ninjs/."""
    doc: dict[str, Any] = {
        "$schema": NINJS_22_SCHEMA,
        "uri": article.uri,
        "type": article.type,
        "version": str(article.version),
        "pubstatus": article.pubstatus,
        "headlines": [{"role": "main", "value": article.headline}],
    }
    if article.kicker:
        doc["headlines"].append({"role": "kicker", "value": article.kicker})
    if article.language:
        doc["language"] = article.language
    if article.first_created:
        doc["firstcreated"] = article.first_created.isoformat()
    if article.version_created:
        doc["versioncreated"] = article.version_created.isoformat()
    if article.teaser:
        doc["descriptions"] = [{"role": "summary", "value": article.teaser}]
    if article.body_html:
        doc["bodies"] = [{"role": "main", "contenttype": "text/html", "value": article.body_html}]
    if article.byline:
        doc["people"] = [{"name": p.name, "rel": p.role or "author"} for p in article.byline]
        doc["bylines"] = [{"byline": ", ".join(p.name for p in article.byline)}]
    if article.subjects:
        doc["subjects"] = [
            {"uri": s.qcode, "name": s.name or s.qcode} for s in article.subjects
        ]
    if article.sources:
        doc["infosources"] = [{"name": s} for s in article.sources]
    return doc


def to_ninjs_json(article: CanonicalArticle) -> str:
    return json.dumps(to_ninjs(article), ensure_ascii=False, indent=2)
