"""dpa digitalwires JSON: urn, version, signals, embargo, categories with medtop."""

from __future__ import annotations

import re
from typing import Any

from shared.events import CanonicalArticle, Image, Person, RelatedLink, Signal, Subject
from shared.sanitize import clean_text

from .base import ParseError, ParseInput, Parser
from .common import (
    as_version,
    build_article,
    dedupe_subjects,
    looks_like_json,
    parse_datetime,
    parse_json,
    pubstatus,
    status_signals,
    str_or_none,
    subject,
)
from .markup import all_text, html_blocks, html_fragment

_SIGNALS: dict[str, Signal] = {"sig:update": "update", "sig:correction": "correction"}
_SUBJECT_TYPES = {"dnltype:dpasubject", "dnltype:geosubject", "dnltype:keyword"}
_BYLINE_PREFIX = re.compile(r"^(von|by|de|por)\s+", re.IGNORECASE)
_NAME_SPLIT = re.compile(r"\s*(?:,|\bund\b|\band\b|\by\b|&)\s*")
_AGENCIES = {"dpa", "ap", "afp", "reuters", "epd", "kna", "dpa-afx"}
_CONSUMED = {
    "urn", "version", "version_created", "pubstatus", "signal", "embargoed", "language",
    "kicker", "headline", "subhead", "teaser", "byline", "dateline", "article_html",
    "copyrightnotice", "associations", "keyword_names", "descriptions",
}


# Opening and closing tags (of elements whose text nh3 keeps; dpa opens with empty paragraphs
# and divs, and tables) and then a letter or digit: clean_text of such HTML cannot be empty.
# Attributes are separated by space, tab or newline only, never by a control character
# clean_text deletes (that could merge an attribute name into the tag name).
_LEAD_TAGS = r"(?:section|div|p|span|strong|em|b|i|table|tbody|tr|td)"
_VISIBLE_LEAD = re.compile(
    rf'(?:<{_LEAD_TAGS}(?:[ \t\n]+[a-z-]+="[^"<>]*")*[ \t\n]*>|</{_LEAD_TAGS}>)*[^\W_]'
)


def _has_text(value: Any) -> bool:
    """bool(str_or_none(value)) for article_html: whether it holds any visible text at all.

    Only the answer is used (the body HTML itself goes through clean_html), so HTML that
    visibly opens with text is not run through nh3 a second time just for this.
    """
    if isinstance(value, str) and _VISIBLE_LEAD.match(value):
        return True
    return bool(str_or_none(value))


def byline_names(text: str | None) -> list[str]:
    """'Von Marco Krefting und Sunrita Sen, dpa' -> ['Marco Krefting', 'Sunrita Sen']."""
    if not text:
        return []
    text = _BYLINE_PREFIX.sub("", clean_text(text))
    names = [n for n in _NAME_SPLIT.split(text) if n]
    return [n for n in names if n.lower() not in _AGENCIES]


class DigitalwiresParser(Parser):
    name = "digitalwires"
    content_types = ("application/vnd.dpa.digitalwires+json",)
    priority = 15

    def can_parse(self, doc: ParseInput) -> bool:
        return looks_like_json(doc) and '"digitalwires' in doc.head(512)

    def claims(self, doc: ParseInput) -> bool:
        # dpa delivers plain application/json; the format field is what identifies it.
        return super().claims(doc) or (doc.media_type == "application/json"
                                       and self.can_parse(doc))

    def parse(self, doc: ParseInput) -> list[CanonicalArticle]:
        data = parse_json(doc)
        if not isinstance(data, dict):
            raise ParseError("digitalwires entry is not a JSON object")
        status = pubstatus(data.get("pubstatus"))
        signal = _SIGNALS.get(str(data.get("signal") or ""))
        embargo = parse_datetime(data.get("embargoed"))
        article_html = data.get("article_html") if _has_text(data.get("article_html")) else None
        body = html_blocks(article_html) if isinstance(article_html, str) else ()
        images, media_type = self._associations(data)
        captions = [d.get("description") for d in data.get("descriptions") or []
                    if isinstance(d, dict) and isinstance(d.get("description"), str)]
        teaser = str_or_none(data.get("teaser")) or (captions[0] if captions and not body
                                                     else None)
        dateline = str_or_none(data.get("dateline"))
        extra = {k: v for k, v in data.items() if k not in _CONSUMED}
        return [
            build_article(
                doc,
                parser=self.name,
                guid=str_or_none(data.get("urn")),
                headline=str_or_none(data.get("headline")),
                kicker=str_or_none(data.get("kicker")),
                subheadline=str_or_none(data.get("subhead")),
                teaser=teaser,
                body=body,
                body_html=article_html if isinstance(article_html, str) else None,
                type="text" if body else media_type,
                version=as_version(data.get("version")),
                pubstatus=status,
                signals=status_signals(status, signal, "embargo" if embargo else None),
                embargoed_until=embargo,
                version_created=parse_datetime(data.get("version_created")),
                language=str_or_none(data.get("language")),
                byline=tuple(Person(name=n, role="author")
                             for n in byline_names(str_or_none(data.get("byline")))),
                located=dateline.split("(")[0].strip(" -") or None if dateline else None,
                copyright=str_or_none(data.get("copyrightnotice")),
                subjects=self._subjects(data.get("categories")),
                keywords=tuple(k for k in data.get("keyword_names") or [] if isinstance(k, str)),
                genre=self._genre(data.get("categories")),
                images=images,
                related=self._links(data.get("linkbox_html")),
                sources=("dpa",),
                extra=extra,
            )
        ]

    @staticmethod
    def _subjects(categories: Any) -> tuple[Subject, ...]:
        found = []
        for cat in categories if isinstance(categories, list) else []:
            if not isinstance(cat, dict) or cat.get("type") not in _SUBJECT_TYPES:
                continue
            qcode = str_or_none(cat.get("qcode"))
            if not qcode:
                continue
            # dpa's rank is kept in extra['categories']; relevance has no agreed mapping.
            found.append(subject(qcode, str_or_none(cat.get("name"))))
        return dedupe_subjects(found)

    @staticmethod
    def _genre(categories: Any) -> str | None:
        for cat in categories if isinstance(categories, list) else []:
            if isinstance(cat, dict) and cat.get("type") == "dnltype:genre":
                return str_or_none(cat.get("name"))
        return None

    @staticmethod
    def _associations(data: dict[str, Any]) -> tuple[tuple[Image, ...], str]:
        images = []
        media_type = "text"
        for assoc in data.get("associations") or []:
            if not isinstance(assoc, dict):
                continue
            kind = assoc.get("type")
            if assoc.get("urn") == data.get("urn") and kind in {"image", "audio", "video"}:
                # The entry *is* the media item: an image or audio entry with a caption.
                media_type = "picture" if kind == "image" else str(kind)
            if kind != "image":
                continue
            renditions = [r for r in assoc.get("renditions") or [] if isinstance(r, dict)]
            best = max(renditions, key=lambda r: r.get("width") or r.get("size") or 0,
                       default=None)
            url = best.get("url") if best else None
            images.append(Image(
                url=url if isinstance(url, str) else None,
                caption=str_or_none(assoc.get("caption")),
                credit=str_or_none(assoc.get("creditline")),
                alt=str_or_none(assoc.get("headline")),
            ))
        return tuple(images), media_type

    @staticmethod
    def _links(markup: Any) -> tuple[RelatedLink, ...]:
        root = html_fragment(markup) if isinstance(markup, str) else None
        if root is None:
            return ()
        links = []
        for anchor in root.iter("a"):
            text = clean_text(all_text(anchor))
            if text:
                links.append(RelatedLink(headline=text, url=anchor.get("href")))
        return tuple(links)
