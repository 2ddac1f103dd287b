"""IPTC ninjs 1.x, 2.x and 3.x (camelCase) JSON news items."""

from __future__ import annotations

from typing import Any

from shared.events import CanonicalArticle, Image, Person
from shared.sanitize import clean_text

from .base import EmptyDocument, ParseError, ParseInput, Parser
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
from .markup import html_blocks, paragraphs

_TYPES = {"text", "picture", "video", "audio", "graphic", "composite"}
# Properties that only ninjs uses at the top level; two of them make a document ninjs.
_MARKERS = (
    '"headlines"', '"bodies"', '"body_text"', '"body_xhtml"', '"body_html"', '"versioncreated"',
    '"versionCreated"', '"pubstatus"', '"pubStatus"', '"renditions"', '"altids"', '"altIds"',
    '"representationtype"', '"standard"', '"$standard"', '"firstcreated"', '"byline"',
    '"descriptions"', '"eventDetails"', '"headline"', '"title"',
)
# Read into a slot of the canonical model; everything else is kept in extra.
_CONSUMED = {
    "uri", "type", "version", "versioncreated", "firstcreated", "embargoed", "pubstatus",
    "language", "headline", "headlines", "body_text", "body_xhtml", "body_html", "bodies",
    "description_text", "description_xhtml", "description_html", "descriptions", "byline", "by",
    "subject", "subjects", "located", "copyrightnotice", "genre", "genres", "keywords",
    "infosources", "infosource", "title",
}


def _lower_keys(value: dict[str, Any]) -> dict[str, Any]:
    # ninjs 3.x renamed every property to camelCase; lower-casing maps it onto 1.x/2.x names.
    return {k.lower(): v for k, v in value.items()}


def _role_values(items: Any) -> list[tuple[str, str, str]]:
    """(role, contenttype, value) for each well-formed entry of a 2.x/3.x array property."""
    out = []
    if isinstance(items, list):
        for raw in items:
            if isinstance(raw, dict):
                item = _lower_keys(raw)
                value = item.get("value")
                if isinstance(value, str) and value.strip():
                    role = item.get("role") if isinstance(item.get("role"), str) else ""
                    ctype = item.get("contenttype")
                    out.append((role or "", ctype if isinstance(ctype, str) else "", value))
    return out


def _as_list(value: Any) -> list[Any]:
    """1.x keys associations and renditions by name; 2.x+ lists them. Either way, the items."""
    if isinstance(value, dict):
        return list(value.values())
    return value if isinstance(value, list) else []


def _pick(entries: list[tuple[str, str, str]], *roles: str) -> tuple[str, str, str] | None:
    for role in roles:
        for entry in entries:
            if entry[0].lower() == role:
                return entry
    return entries[0] if entries and "" in roles else None


class NinjsParser(Parser):
    name = "ninjs"
    content_types = ("application/ninjs+json", "application/vnd.iptc.ninjs+json")
    priority = 30

    def can_parse(self, doc: ParseInput) -> bool:
        if not looks_like_json(doc):
            return False
        head = doc.head(8192)
        if '"uri"' not in head:
            return False
        return any(marker in head for marker in _MARKERS) or head.lstrip(
            "[{ \n\t\r").startswith('"uri"')

    def parse(self, doc: ParseInput) -> list[CanonicalArticle]:
        data = parse_json(doc)
        if isinstance(data, list):
            # A collection (ninjs 3.x timelines) is a list of items; each is an article or not.
            items = [self._item(doc, d) for d in data if isinstance(d, dict)]
            articles = [a for a in items if a is not None]
            if not articles:
                raise EmptyDocument("ninjs collection holds no item with a headline or body")
            return articles
        if not isinstance(data, dict):
            raise ParseError("ninjs document is not a JSON object")
        article = self._item(doc, data)
        if article is None:
            raise EmptyDocument("ninjs item has neither a headline nor a body")
        return [article]

    def _item(self, doc: ParseInput, raw: dict[str, Any]) -> CanonicalArticle | None:
        data = _lower_keys(raw)
        headlines = _role_values(data.get("headlines"))
        main = _pick(headlines, "main", "")
        headline = str_or_none(data.get("headline")) or (main[2] if main else None)
        # Title is metadata in ninjs, but an item without headlines (events) is named by it.
        headline = headline or str_or_none(data.get("title"))
        kicker = _pick(headlines, "kicker", "pre-headline", "overline")
        subhead = _pick(headlines, "sub", "subheadline", "subtitle", "short")
        bodies = _role_values(data.get("bodies"))
        html_body = _pick(bodies, "html", "main", "")
        body_html: str | None = None
        if isinstance(data.get("body_xhtml"), str) or isinstance(data.get("body_html"), str):
            body_html = data.get("body_xhtml") or data.get("body_html")
        elif html_body and "html" in (html_body[1] or "text/html").lower():
            body_html = html_body[2]
        if body_html:
            body = html_blocks(body_html)
        else:
            text = data.get("body_text") if isinstance(data.get("body_text"), str) else None
            text = text or (html_body[2] if html_body else "")
            body = paragraphs(text.split("\n"))
        descriptions = _role_values(data.get("descriptions"))
        summary = _pick(descriptions, "summary", "text", "abstract", "description", "")
        teaser = str_or_none(data.get("description_text")) or (
            clean_text(summary[2]) if summary else None
        )
        if not headline and not body and not teaser:
            return None
        status = pubstatus(data.get("pubstatus"))
        version_created = parse_datetime(data.get("versioncreated"))
        uri = str_or_none(data.get("uri"))
        kind = data.get("type") if data.get("type") in _TYPES else "text"
        extra = {k: v for k, v in raw.items() if k.lower() not in _CONSUMED}
        if uri:
            extra["ninjs_uri"] = uri
        return build_article(
            doc,
            parser=self.name,
            guid=uri,
            headline=headline,
            kicker=clean_text(kicker[2]) if kicker and kicker is not main else None,
            subheadline=clean_text(subhead[2]) if subhead and subhead is not main else None,
            teaser=teaser,
            body=body,
            body_html=body_html,
            type=kind,
            version=as_version(data.get("version")),
            pubstatus=status,
            signals=status_signals(status, "embargo" if data.get("embargoed") else None),
            language=str_or_none(data.get("language")),
            byline=self._byline(data),
            subjects=self._subjects(data),
            genre=self._genre(data),
            located=str_or_none(data.get("located")),
            copyright=str_or_none(data.get("copyrightnotice")),
            first_created=parse_datetime(data.get("firstcreated")),
            version_created=version_created,
            embargoed_until=parse_datetime(data.get("embargoed")),
            images=self._images(data),
            sources=self._sources(data),
            extra=extra,
        )

    @staticmethod
    def _byline(data: dict[str, Any]) -> tuple[Person, ...]:
        text = str_or_none(data.get("by")) or str_or_none(data.get("byline"))
        if not text:
            return ()
        return (Person(name=text, role="author"),)

    @staticmethod
    def _subjects(data: dict[str, Any]) -> tuple[Any, ...]:
        items = data.get("subjects", data.get("subject"))
        found = []
        for raw in items if isinstance(items, list) else []:
            if not isinstance(raw, dict):
                continue
            item = _lower_keys(raw)
            name = str_or_none(item.get("name"))
            code = str_or_none(item.get("uri")) or str_or_none(item.get("code"))
            code = code or str_or_none(item.get("literal")) or name
            if code and "cv.iptc.org/newscodes/mediatopic/" in code:
                code = "medtop:" + code.rstrip("/").rsplit("/", 1)[-1]
            elif code and "cv.iptc.org/newscodes/subjectcode/" in code:
                code = "subj:" + code.rstrip("/").rsplit("/", 1)[-1]
            found.append(subject(code, name) if code else None)
        return dedupe_subjects(found)

    @staticmethod
    def _genre(data: dict[str, Any]) -> str | None:
        genres = data.get("genres")
        if isinstance(genres, list):
            for raw in genres:
                if isinstance(raw, dict):
                    item = _lower_keys(raw)
                    name = str_or_none(item.get("name")) or str_or_none(item.get("literal"))
                    if name:
                        return name
        return str_or_none(data.get("genre"))

    @staticmethod
    def _images(data: dict[str, Any]) -> tuple[Image, ...]:
        out = []
        for raw in _as_list(data.get("associations")):
            if not isinstance(raw, dict):
                continue
            item = _lower_keys(raw)
            if item.get("type") not in {"picture", "graphic"}:
                continue
            href = None
            for rend in _as_list(item.get("renditions")):
                if isinstance(rend, dict) and isinstance(rend.get("href"), str):
                    href = rend["href"]
                    break
            captions = _role_values(item.get("descriptions"))
            caption = captions[0][2] if captions else str_or_none(item.get("description_text"))
            heads = _role_values(item.get("headlines"))
            out.append(Image(
                url=href, caption=clean_text(caption) if caption else None,
                credit=str_or_none(item.get("by")) or str_or_none(item.get("byline")),
                alt=clean_text(heads[0][2]) if heads else str_or_none(item.get("headline")),
            ))
        return tuple(out)

    @staticmethod
    def _sources(data: dict[str, Any]) -> tuple[str, ...]:
        items = data.get("infosources")
        names = []
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                name = str_or_none(item.get("name")) or str_or_none(item.get("uri"))
                if name:
                    names.append(name)
        return tuple(names)
