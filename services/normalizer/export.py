"""Export of a CanonicalArticle as IPTC ninjs 2.2 JSON."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from shared.events import CanonicalArticle, Subject

NINJS_22_SCHEMA = "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json"
# Role of the description that carries, as JSON, what ninjs has no property for.
EXTRA_ROLE = "x-newswire"
EXTRA_CONTENT_TYPE = "application/vnd.newswire.extra+json"
AI_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
SCHEME_URIS = {
    "medtop": "http://cv.iptc.org/newscodes/mediatopic/",
    "subj": "http://cv.iptc.org/newscodes/subjectcode/",
    "genre": "http://cv.iptc.org/newscodes/genre/",
}
_URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*$")
# Vendor fields with a ninjs property of their own, and the JSON type that property takes.
_PASSTHROUGH: dict[str, type | tuple[type, ...]] = {
    "urgency": (int, float), "slugline": str, "ednote": str, "usageterms": str,
    "copyrightholder": str, "profile": str, "title": str,
}


def as_uri(value: str) -> str:
    """The value if it is an absolute URI, else a urn that carries it percent-encoded."""
    if _URI_RE.match(value):
        return value
    return "urn:newswire:" + quote(value, safe=":/-._~@!$&'()*+,;=")


def _dt(value: datetime | None) -> str | None:
    if value is None:
        return None
    offset = value.utcoffset() or timedelta(0)
    if offset.seconds % 60 or offset.microseconds:
        # RFC 3339 offsets have no seconds; such historic offsets are written in UTC.
        value = value.astimezone(UTC)
    return value.isoformat()


def _subject(item: Subject) -> dict[str, Any]:
    out: dict[str, Any] = {"name": item.name or item.qcode, "literal": item.qcode}
    prefix = SCHEME_URIS.get(item.scheme)
    code = item.qcode.split(":", 1)[1] if ":" in item.qcode else item.qcode
    if prefix and code:
        out["uri"] = prefix + quote(code, safe="")
    elif _URI_RE.match(item.qcode) and item.qcode.startswith(("http:", "https:", "urn:")):
        out["uri"] = item.qcode
    out["creator"] = item.origin
    out["relevance"] = round(item.relevance * 100)
    out["confidence"] = round(item.confidence * 100)
    return out


def _associations(article: CanonicalArticle) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for index, image in enumerate(article.images, 1):
        if not image.url or not _URI_RE.match(image.url):
            continue
        item: dict[str, Any] = {
            "name": f"image{index}", "uri": image.url, "type": "picture",
            "renditions": [{"name": "original", "href": image.url}],
        }
        if image.caption:
            item["descriptions"] = [{"role": "caption", "value": image.caption}]
        if image.alt:
            item["headlines"] = [{"role": "alt", "value": image.alt}]
        if image.credit:
            item["by"] = image.credit
        out.append(item)
    for index, link in enumerate(article.related, 1):
        target = link.url or link.resolved_id
        if not target or not _URI_RE.match(target):
            continue
        headlines = [{"role": "main", "value": link.headline}]
        if link.kicker:
            headlines.append({"role": "kicker", "value": link.kicker})
        out.append({"name": f"related{index}", "uri": target, "type": "text",
                    "headlines": headlines})
    return out


def _descriptions(article: CanonicalArticle) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if article.teaser:
        out.append({"role": "summary", "contenttype": "text/plain", "value": article.teaser})
    out.extend({"role": "keypoint", "contenttype": "text/plain", "value": point}
               for point in article.key_points)
    if article.ai_disclosure:
        out.append({"role": "ai-disclosure", "contenttype": "text/plain",
                    "value": article.ai_disclosure})
    out.extend({"role": "caption", "contenttype": "text/plain", "value": image.caption}
               for image in article.images
               if image.caption and not (image.url and _URI_RE.match(image.url)))
    out.append({"role": EXTRA_ROLE, "contenttype": EXTRA_CONTENT_TYPE,
                "value": json.dumps(_lossless(article), ensure_ascii=False, default=str)})
    return out


def _lossless(article: CanonicalArticle) -> dict[str, Any]:
    """Canonical fields ninjs has no property for, so the export loses nothing."""
    keep = article.model_dump(
        mode="json",
        include={
            "id", "source", "format", "signals", "mentioned_dates", "content_hash",
            "original_id", "url", "received_at", "trace_id", "ai_assisted", "related",
            "images", "word_count", "char_count", "extra", "keywords",
        },
    )
    return {k: v for k, v in keep.items() if v not in (None, [], {}, "")}


def to_ninjs(article: CanonicalArticle) -> dict[str, Any]:
    """ninjs 2.2 document; see the official schema in ../shared/schemas/ninjs/."""
    doc: dict[str, Any] = {
        "standard": {"name": "ninjs", "version": "2.2", "schema": NINJS_22_SCHEMA},
        "uri": as_uri(article.uri),
        "type": article.type,
        "representationtype": "full",
        "version": str(article.version),
        "pubstatus": article.pubstatus,
        "headlines": [{"role": "main", "value": article.headline}],
    }
    if article.kicker:
        doc["headlines"].append({"role": "kicker", "value": article.kicker})
    if article.subheadline:
        doc["headlines"].append({"role": "subheadline", "value": article.subheadline})
    optional = {
        "firstcreated": _dt(article.first_created),
        "versioncreated": _dt(article.version_created),
        "embargoed": _dt(article.embargoed_until),
        "language": article.language,
        "located": article.located,
        "copyrightnotice": article.copyright,
    }
    doc.update({key: value for key, value in optional.items() if value})
    doc.update({
        key: value for key, kind in _PASSTHROUGH.items()
        if isinstance(value := article.extra.get(key), kind)
        and not isinstance(value, bool) and value != ""
    })
    doc["descriptions"] = _descriptions(article)
    bodies: list[dict[str, Any]] = []
    if article.body_html:
        bodies.append({"role": "main", "contenttype": "text/html", "value": article.body_html,
                       "charcount": article.char_count, "wordcount": article.word_count})
    if article.body:
        bodies.append({"role": "main", "contenttype": "text/plain",
                       "value": article.body_text,
                       "charcount": article.char_count, "wordcount": article.word_count})
    if bodies:
        doc["bodies"] = bodies
    if article.byline:
        doc["by"] = ", ".join(p.name for p in article.byline)
        doc["people"] = [{"name": p.name, "rel": p.role or "author"} for p in article.byline]
    subjects = [_subject(s) for s in article.subjects]
    subjects.extend({"name": k, "literal": k, "rel": "keyword"} for k in article.keywords)
    if subjects:
        doc["subjects"] = subjects
    if article.genre:
        doc["genres"] = [{"name": article.genre}]
    if article.sources:
        doc["infosources"] = [{"name": s} for s in article.sources]
    if article.url and _URI_RE.match(article.url):
        doc["renditions"] = [{"name": "web", "href": article.url, "contenttype": "text/html"}]
    associations = _associations(article)
    if associations:
        doc["associations"] = associations
    altids = [{"role": "newswire-id", "value": article.id}]
    if article.original_id and article.original_id != article.id:
        altids.append({"role": "original-id", "value": article.original_id})
    if article.content_hash:
        altids.append({"role": "content-hash", "value": article.content_hash})
    doc["altids"] = altids
    if article.ai_assisted:
        doc["digitalsourcetype"] = {"uri": AI_SOURCE_TYPE, "name": "AI-assisted"}
    return doc


def to_ninjs_json(article: CanonicalArticle) -> str:
    return json.dumps(to_ninjs(article), ensure_ascii=False, indent=2)
