"""RSS 0.9x/1.0/2.0 and Atom feeds: one article per item.

RSS 2.0/1.0 and Atom 1.0/0.3 feeds within the cases `fast_entries` reproduces are read directly from
the hardened lxml tree (about 3-5x faster); everything else, and any feed the fast path is unsure
of, goes through feedparser. Both give the same articles (tests/unit/normalizer/
test_feeds_fast_path.py compares them).
"""

from __future__ import annotations

import io
from typing import Any

import feedparser

from shared.events import CanonicalArticle, Image, Person
from shared.sanitize import clean_text

from .base import EmptyDocument, HostileInput, ParseError, ParseInput, Parser
from .common import build_article, parse_datetime, str_or_none
from .feeds_fast import IMAGE_TYPES, ROOT_RE, fast_entries
from .markup import html_blocks, reject_entity_declarations


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _images(entry: Any) -> tuple[Image, ...]:
    found: list[Image] = []
    found.extend(
        Image(url=media["url"]) for media in entry.get("media_content") or []
        if media.get("url") and (media.get("medium") == "image"
                                 or str(media.get("type", "")).startswith(IMAGE_TYPES))
    )
    found.extend(
        Image(url=link.get("href")) for link in entry.get("links") or []
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith(IMAGE_TYPES)
    )
    for thumb in entry.get("media_thumbnail") or []:
        if thumb.get("url") and not found:
            found.append(Image(url=thumb["url"]))
    return tuple(found)


class FeedParser(Parser):
    name = "feed"
    content_types = (
        "application/rss+xml", "application/atom+xml", "application/rdf+xml",
        "application/xml", "text/xml",
    )
    priority = 25

    def can_parse(self, doc: ParseInput) -> bool:
        head = doc.head(2048)
        return head.startswith("<") and bool(ROOT_RE.search(head))

    def parse(self, doc: ParseInput) -> list[CanonicalArticle]:
        reject_entity_declarations(doc.head(65536))
        try:
            articles = self.parse_fast(doc)
        except HostileInput:
            raise
        except Exception:  # noqa: BLE001 - an optimisation only: feedparser is the reference
            articles = None
        if articles is not None:
            return articles
        return self.parse_feedparser(doc)

    def parse_fast(self, doc: ParseInput) -> list[CanonicalArticle] | None:
        """RSS 2.0/1.0 and Atom without feedparser; None when the feed needs feedparser."""
        found = fast_entries(doc)
        if found is None:
            return None
        meta, entries = found
        language = _text(meta.get("language"))
        articles = []
        for fast in entries:
            # The shape _entry reads from a feedparser entry.
            entry = dict(fast)
            entry["content"] = [{"value": entry["content"]}] if "content" in entry else []
            entry["authors"] = [{"name": name} for name in fast["authors"]]
            entry["tags"] = [{"term": term} for term in fast["tags"]]
            entry["links"] = [
                {"rel": "enclosure", "type": "image/", "href": url} for url in fast["images"]
            ]
            article = self._entry(doc, entry, meta, language)
            if article is not None:
                articles.append(article)
        # No article: feedparser's path decides how the feed fails.
        return articles or None

    def parse_feedparser(self, doc: ParseInput) -> list[CanonicalArticle]:
        """Any feed through feedparser: the reference the fast path matches."""
        headers = {"content-type": doc.content_type or "application/xml"}
        try:
            # A stream, never the bytes: feedparser fetches strings that look like URLs
            # and opens strings that name existing files.
            feed = feedparser.parse(io.BytesIO(doc.payload), response_headers=headers)
        except Exception as exc:
            raise ParseError(f"unreadable feed: {type(exc).__name__}: {exc}") from exc
        entries = feed.get("entries") or []
        if not entries:
            if feed.get("bozo"):
                raise ParseError(f"malformed feed: {feed.get('bozo_exception')}")
            raise EmptyDocument("feed has no items")
        meta = feed.get("feed") or {}
        language = _text(meta.get("language"))
        articles = []
        for entry in entries:
            article = self._entry(doc, entry, meta, language)
            if article is not None:
                articles.append(article)
        if not articles:
            raise EmptyDocument("no feed item has a title or text")
        return articles

    def _entry(
        self, doc: ParseInput, entry: Any, meta: Any, language: str | None
    ) -> CanonicalArticle | None:
        content = entry.get("content") or []
        html = next((c.get("value") for c in content if _text(c.get("value"))), None)
        summary = _text(entry.get("summary"))
        body = html_blocks(html) if html else html_blocks(summary)
        teaser = clean_text(summary) if html and summary else None
        headline = str_or_none(entry.get("title"))
        if not headline and not body:
            return None
        authors = [a.get("name") for a in entry.get("authors") or [] if _text(a.get("name"))]
        if not authors and _text(entry.get("author")):
            authors = [entry["author"]]
        tags = [t.get("term") for t in entry.get("tags") or [] if _text(t.get("term"))]
        link = _text(entry.get("link"))
        extra: dict[str, Any] = {
            "feed_title": _text(meta.get("title")),
            "feed_link": _text(meta.get("link")),
            "guid_is_permalink": entry.get("guidislink"),
        }
        if tags:
            extra["categories"] = tags
        return build_article(
            doc,
            parser=self.name,
            guid=_text(entry.get("id")) or link,
            headline=headline,
            teaser=teaser,
            body=body,
            body_html=html or summary,
            url=link,
            language=_text(entry.get("language")) or language,
            byline=tuple(Person(name=clean_text(a), role="author") for a in authors),
            keywords=tuple(clean_text(t) for t in tags),
            first_created=parse_datetime(entry.get("published")),
            version_created=parse_datetime(dict.get(entry, "updated") or entry.get("published")),
            images=_images(entry),
            copyright=str_or_none(meta.get("rights")),
            extra={k: v for k, v in extra.items() if v is not None},
        )
