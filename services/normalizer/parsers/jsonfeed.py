"""JSON Feed 1.x: one article per item (feedparser 6 reads only XML feeds)."""

from __future__ import annotations

from typing import Any

from shared.events import CanonicalArticle, Image, Person
from shared.sanitize import clean_text

from .base import EmptyDocument, ParseError, ParseInput, Parser
from .common import build_article, looks_like_json, parse_datetime, parse_json, str_or_none
from .markup import html_blocks, paragraphs

_KNOWN = {
    "id", "url", "title", "content_html", "content_text", "summary", "image", "banner_image",
    "date_published", "date_modified", "author", "authors", "tags", "language", "external_url",
}


def _authors(item: dict[str, Any], feed: dict[str, Any]) -> tuple[Person, ...]:
    raw = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict)
                                  else None) or feed.get("authors") or (
        [feed["author"]] if isinstance(feed.get("author"), dict) else [])
    names = [a.get("name") for a in raw if isinstance(a, dict)] if isinstance(raw, list) else []
    return tuple(Person(name=clean_text(n), role="author")
                 for n in names if isinstance(n, str) and clean_text(n))


class JsonFeedParser(Parser):
    name = "jsonfeed"
    content_types = ("application/feed+json",)
    priority = 16

    def can_parse(self, doc: ParseInput) -> bool:
        return looks_like_json(doc) and "jsonfeed.org/version" in doc.head(512).replace("\\/", "/")

    def parse(self, doc: ParseInput) -> list[CanonicalArticle]:
        feed = parse_json(doc)
        if not isinstance(feed, dict) or not isinstance(feed.get("items"), list):
            raise ParseError("JSON Feed without an items list")
        articles = [
            article for item in feed["items"] if isinstance(item, dict)
            if (article := self._item(doc, item, feed)) is not None
        ]
        if not articles:
            raise EmptyDocument("JSON Feed has no item with a title or text")
        return articles

    def _item(
        self, doc: ParseInput, item: dict[str, Any], feed: dict[str, Any]
    ) -> CanonicalArticle | None:
        html = item.get("content_html") if isinstance(item.get("content_html"), str) else None
        text = item.get("content_text") if isinstance(item.get("content_text"), str) else None
        body = html_blocks(html) if html else paragraphs((text or "").split("\n"))
        headline = str_or_none(item.get("title"))
        summary = str_or_none(item.get("summary"))
        if not headline and not body and not summary:
            return None
        url = str_or_none(item.get("url"))
        image = str_or_none(item.get("image")) or str_or_none(item.get("banner_image"))
        tags = [clean_text(t) for t in item.get("tags") or [] if isinstance(t, str)]
        guid = item.get("id")
        extra = {k: v for k, v in item.items() if k not in _KNOWN}
        extra["feed_title"] = str_or_none(feed.get("title"))
        return build_article(
            doc,
            parser=self.name,
            guid=str(guid) if isinstance(guid, str | int) and str(guid).strip() else url,
            headline=headline,
            teaser=summary,
            body=body,
            body_html=html,
            url=url,
            language=str_or_none(item.get("language")) or str_or_none(feed.get("language")),
            byline=_authors(item, feed),
            keywords=tuple(t for t in tags if t),
            first_created=parse_datetime(item.get("date_published")),
            version_created=parse_datetime(item.get("date_modified") or
                                           item.get("date_published")),
            images=(Image(url=image),) if image else (),
            extra={k: v for k, v in extra.items() if v is not None},
        )
