"""IPTC NewsML-G2: newsItem (inline XHTML, NITF or text), packageItem and newsMessage."""

from __future__ import annotations

from typing import Any

from lxml import etree

from shared.events import BodyBlock, CanonicalArticle, Image, Person, RelatedLink, Signal

from .base import EmptyDocument, ParseInput, Parser
from .common import (
    as_version,
    build_article,
    dedupe_subjects,
    parse_datetime,
    pubstatus,
    status_signals,
    subject,
)
from .markup import element_blocks, local, paragraphs, parse_xml, text_of, xp_elements, xp_strings
from .nitf import find_nitf, nitf_content

NAR = "http://iptc.org/std/nar/2006-10-01/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_N = {"n": NAR}
_ARTICLE_ITEMS = {"newsItem", "packageItem"}
_OTHER_ITEMS = {"conceptItem", "knowledgeItem", "catalogItem", "planningItem"}
_ITEM_CLASS = {
    "text": "text", "picture": "picture", "graphic": "graphic", "video": "video",
    "audio": "audio", "composite": "composite", "animated": "video",
}
_SIGNALS: dict[str, Signal] = {"update": "update", "correction": "correction"}
# Compiled once: NewsML-G2 always uses the NAR namespace, so plain XPaths are fast and exact.
_HEADLINES = etree.XPath("n:contentMeta/n:headline", namespaces=_N)
_DESCRIPTIONS = etree.XPath("n:contentMeta/n:description", namespaces=_N)
_SUBJECTS = etree.XPath("n:contentMeta/n:subject[@qcode] | n:contentMeta/n:subject[@uri]",
                        namespaces=_N)
_CREATORS = etree.XPath("n:contentMeta/n:creator", namespaces=_N)
_SIGNAL_CODES = etree.XPath("n:itemMeta/n:signal/@qcode", namespaces=_N)
_KEYWORDS = etree.XPath("n:contentMeta/n:keyword", namespaces=_N)
_INFOSOURCES = etree.XPath("n:contentMeta/n:infoSource/n:name", namespaces=_N)
_ITEM_REFS = etree.XPath("n:groupSet//n:itemRef", namespaces=_N)


def _t(item: etree._Element, path: str) -> str:
    return text_of(item.find(path, _N))


def _a(item: etree._Element, path: str, attr: str) -> str | None:
    el = item.find(path, _N)
    return el.get(attr) if el is not None else None


def _code(qcode: str | None) -> str:
    return (qcode or "").rsplit(":", 1)[-1].rsplit("/", 1)[-1].lower()


class NewsMLG2Parser(Parser):
    name = "newsml-g2"
    content_types = (
        "application/vnd.iptc.g2.newsitem+xml", "application/vnd.iptc.g2.packageitem+xml",
        "application/vnd.iptc.g2.newsmessage+xml", "application/xml", "text/xml",
    )
    priority = 20

    def can_parse(self, doc: ParseInput) -> bool:
        head = doc.head(2048)
        return NAR in head or "<newsItem" in head or "<newsMessage" in head or (
            head.lstrip().startswith("<contentSet") and "<inlineXML" in head
        )

    def parse(self, doc: ParseInput) -> list[CanonicalArticle]:
        root = parse_xml(doc)
        kind = local(root)
        if kind == "newsMessage":
            items = [el for el in root.iterfind("n:itemSet/*", _N) if local(el) in _ARTICLE_ITEMS]
            if not items:
                raise EmptyDocument("newsMessage carries no newsItem or packageItem")
            return [self._item(doc, item) for item in items]
        if kind in _ARTICLE_ITEMS:
            return [self._item(doc, root)]
        if kind == "contentSet":
            # A bare contentSet fragment: no item metadata, only the inline content.
            return [self._fragment(doc, root)]
        if kind in _OTHER_ITEMS:
            raise EmptyDocument(f"NewsML-G2 {kind} carries concepts or planning, not an article")
        raise EmptyDocument(f"root element {kind!r} is not a NewsML-G2 item")

    def _fragment(self, doc: ParseInput, root: etree._Element) -> CanonicalArticle:
        nitf = find_nitf(root)
        if nitf is None:
            blocks = element_blocks(root)
            return build_article(doc, parser=self.name, headline=None, body=blocks)
        return build_article(doc, parser=self.name, **nitf_content(nitf))

    def _item(self, doc: ParseInput, item: etree._Element) -> CanonicalArticle:
        kind = local(item)
        guid = item.get("guid")
        status = pubstatus(_a(item, "n:itemMeta/n:pubStatus", "qcode"))
        signals = [_SIGNALS.get(_code(q)) for q in xp_strings(_SIGNAL_CODES, item)]
        embargo = parse_datetime(_t(item, "n:itemMeta/n:embargoed"))
        if embargo:
            signals.append("embargo")
        item_class = _code(_a(item, "n:itemMeta/n:itemClass", "qcode"))
        fields: dict[str, Any] = {
            "type": "composite" if kind == "packageItem" else _ITEM_CLASS.get(item_class, "text"),
            "version": as_version(item.get("version")),
            "pubstatus": status,
            "signals": status_signals(status, *signals),
            "version_created": parse_datetime(_t(item, "n:itemMeta/n:versionCreated")),
            "first_created": parse_datetime(_t(item, "n:itemMeta/n:firstCreated")),
            "embargoed_until": embargo,
            "language": _a(item, "n:contentMeta/n:language", "tag") or item.get(XML_LANG),
            "located": _t(item, "n:contentMeta/n:located/n:name") or None,
            "copyright": _t(item, "n:rightsInfo/n:copyrightNotice") or None,
            "genre": _t(item, "n:contentMeta/n:genre/n:name") or None,
        }
        headline = self._headline(item)
        teaser, caption, others = self._descriptions(item)
        body, body_html, content = self._content(item)
        if not teaser and others:
            teaser = others.pop(0)
        if not body and others:
            body = paragraphs(others)
        for key in ("located", "language", "genre"):
            # Item metadata wins; the inline NITF head fills what the item leaves out.
            fields[key] = fields[key] or content.get(key)
        fields["byline"] = tuple(
            Person(name=text_of(c.find("n:name", _N)), role=_code(c.get("role")) or "author")
            for c in xp_elements(_CREATORS, item) if text_of(c.find("n:name", _N))
        ) or content.get("byline", ())
        fields["subjects"] = dedupe_subjects(
            [*(subject(s.get("qcode") or s.get("uri") or "", text_of(s.find("n:name", _N)))
               for s in xp_elements(_SUBJECTS, item)), *content.get("subjects", ())]
        )
        fields["keywords"] = tuple(text_of(k) for k in xp_elements(_KEYWORDS, item) if text_of(k))
        fields["sources"] = tuple(text_of(n) for n in xp_elements(_INFOSOURCES, item) if text_of(n))
        fields["images"] = self._images(item, caption) or content.get("images", ())
        if kind == "packageItem":
            fields["related"] = self._refs(item)
            headline = headline or next((r.headline for r in fields["related"]), "")
        headline = (headline or content.get("headline")
                    or _t(item, "n:itemMeta/n:title") or caption or "")
        if not headline and not body and status == "canceled" and guid:
            headline = "(canceled)"  # a kill notice names no story, but must still travel
        return build_article(
            doc, parser=self.name, guid=guid, headline=headline, body=body,
            body_html=body_html, teaser=teaser or content.get("teaser") or (
                caption if fields["type"] != "text" else None),
            subheadline=content.get("subheadline"), extra=self._extra(item), **fields,
        )

    @staticmethod
    def _headline(item: etree._Element) -> str:
        heads = xp_elements(_HEADLINES, item)
        for head in heads:
            if (head.get("role") or "main").endswith("main"):
                return text_of(head)
        return text_of(heads[0]) if heads else ""

    @staticmethod
    def _descriptions(item: etree._Element) -> tuple[str | None, str | None, list[str]]:
        """(teaser, caption, other descriptions): video items carry only vendor roles."""
        teaser = caption = None
        others = []
        for desc in xp_elements(_DESCRIPTIONS, item):
            role, text = _code(desc.get("role")), text_of(desc)
            if not text:
                continue
            if role in {"summary", "abstract", "teaser", ""} and not teaser:
                teaser = text
            elif role == "caption" and not caption:
                caption = text
            else:
                others.append(text)
        return teaser, caption, others

    @staticmethod
    def _content(
        item: etree._Element,
    ) -> tuple[tuple[BodyBlock, ...], str | None, dict[str, Any]]:
        content_set = item.find("n:contentSet", _N)
        if content_set is None:
            return (), None, {}
        for inline in content_set.iterfind("n:inlineXML", _N):
            nitf = find_nitf(inline)
            if nitf is not None:
                fields = nitf_content(nitf)
                return fields.pop("body"), None, fields
            html = next(iter(inline.iter("{http://www.w3.org/1999/xhtml}body")), None)
            if html is not None:
                raw = etree.tostring(html, encoding="unicode")
                return element_blocks(html), raw, {}
            return element_blocks(inline), None, {}
        for inline in content_set.iterfind("n:inlineData", _N):
            return paragraphs((inline.text or "").split("\n\n")), None, {}
        return (), None, {}

    @staticmethod
    def _images(item: etree._Element, caption: str | None) -> tuple[Image, ...]:
        if _code(_a(item, "n:itemMeta/n:itemClass", "qcode")) not in {"picture", "graphic"}:
            return ()
        refs = [r.get("href") for r in item.iterfind("n:contentSet/n:remoteContent", _N)]
        url = next((r for r in refs if r and r.startswith(("http://", "https://"))), None)
        credit = _t(item, "n:contentMeta/n:creditline") or None
        return (Image(url=url, caption=caption, credit=credit),)

    @staticmethod
    def _refs(item: etree._Element) -> tuple[RelatedLink, ...]:
        links = []
        for ref in xp_elements(_ITEM_REFS, item):
            title = _t(ref, "n:title") or _t(ref, "n:headline")
            target = ref.get("residref") or ref.get("href")
            if title or target:
                links.append(RelatedLink(headline=title or target or "", url=target))
        return tuple(links)

    @staticmethod
    def _extra(item: etree._Element) -> dict[str, Any]:
        extra: dict[str, Any] = {"item_kind": local(item)}
        for key, path in (
            ("slugline", "n:contentMeta/n:slugline"), ("ednote", "n:itemMeta/n:edNote"),
            ("title", "n:itemMeta/n:title"), ("usageterms", "n:rightsInfo/n:usageTerms"),
            ("copyrightholder", "n:rightsInfo/n:copyrightHolder/n:name"),
            ("provider", "n:itemMeta/n:provider/n:name"),
        ):
            value = _t(item, path)
            if value:
                extra[key] = value
        urgency = _t(item, "n:contentMeta/n:urgency")
        if urgency.isdigit():
            extra["urgency"] = int(urgency)
        provider = _a(item, "n:itemMeta/n:provider", "qcode") or _a(
            item, "n:itemMeta/n:provider", "uri")
        if provider:
            extra["provider_code"] = provider
        for key in ("standard", "standardversion", "conformance"):
            if item.get(key):
                extra[key] = item.get(key)
        return extra
