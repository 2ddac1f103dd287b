"""Atom 1.0 and 0.3 (xml:base, XHTML and base64 content) read from lxml as feedparser reads them."""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from typing import Any
from xml.sax.saxutils import escape

from feedparser import urls as feedparser_urls
from feedparser.mixin import _FeedParserMixin
from lxml import etree

from .feeds_read import _ATOM, _URIFIX_RE, _XML, _Reader, _Unsure

ATOM03 = "{http://purl.org/atom/ns#}"
_XHTML = "{http://www.w3.org/1999/xhtml}"
_XML_BASE = f"{_XML}base"
_XML_LANG = f"{_XML}lang"
_XML_ATTRS = frozenset({_XML_BASE, _XML_LANG})
# feedparser's own names for these (issued is stored as published, modified as updated ...).
_CANONICAL = {
    "issued": "published", "modified": "updated", "tagline": "subtitle", "copyright": "rights",
}
_ENTRY_NAMES = frozenset({
    "title", "link", "id", "updated", "published", "author", "contributor", "summary",
    "content", "category", "created", "issued", "modified",
})
_FEED_NAMES = frozenset({
    "title", "subtitle", "tagline", "link", "id", "updated", "modified", "author", "contributor",
    "generator", "icon", "logo", "rights", "copyright", "info", "category", "entry",
})
_SINGLE = frozenset({"title", "id", "updated", "published", "summary", "content", "rights",
                     "subtitle", "info", "created"})
_TEXT_CONSTRUCTS = frozenset({"title", "subtitle", "tagline", "rights", "copyright", "info",
                              "summary", "content"})
_PERSON = frozenset({"name", "email", "uri", "url"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_KINDS = frozenset({"text/plain", *_HTML_TYPES})
# XHTML elements feedparser does more with than copy: _end_xhtml_body ends the content, svg and
# math switch its SVG/MathML handling.
_XHTML_ODD = frozenset({"body", "svg", "math"})
_NS_DECL_RE = re.compile(rb"xmlns(?::([A-Za-z_][\w.-]*))?\s*=\s*[\"']([^\"']*)[\"']")
_FEEDPARSER_PREFIXES = frozenset(v for v in _FeedParserMixin.namespaces.values() if v)
_MATCH_NS = {k.lower(): v for k, v in _FeedParserMixin.namespaces.items()}
# A root declaring these makes feedparser take the feed for RSS 0.90/1.0 (or Atom 1.0).
_VERSION_NS = {"http://my.netscape.com/rdf/simple/0.9/", "http://purl.org/rss/1.0/"}
_ATOM10_NS = "http://www.w3.org/2005/atom"
_XLINK_NS = "http://www.w3.org/1999/xlink"


def map_type(value: str) -> str:
    """feedparser's map_content_type."""
    value = value.lower()
    return {"text": "text/plain", "plain": "text/plain", "html": "text/html",
            "xhtml": "application/xhtml+xml"}.get(value, value)


def check_namespaces(payload: bytes, *, atom03: bool) -> None:
    """Namespace declarations that change feedparser's version, prefixes or attributes: unsure.

    Scanning the raw bytes may also catch text that merely looks like a declaration, which only
    sends a feed to feedparser needlessly.
    """
    for prefix, uri in _NS_DECL_RE.findall(payload):
        lower = uri.decode("utf-8", "replace").lower()
        if lower in _VERSION_NS or lower == _XLINK_NS or (atom03 and lower == _ATOM10_NS):
            raise _Unsure
        name = prefix.decode("ascii") if prefix else ""
        if name in _FEEDPARSER_PREFIXES and _MATCH_NS.get(lower) != name:
            raise _Unsure


class Bases:
    """The base URI feedparser holds at each element's start and end tag.

    A replay of feedparser's unknown_starttag/unknown_endtag bookkeeping with its own URL
    helpers, including its quirk of keeping a child's base when the parent's is empty.
    """

    def __init__(self, root: etree._Element, *, tracked: bool) -> None:
        self.start: dict[etree._Element, str] = {}
        self.end: dict[etree._Element, str] = {}
        self.tracked = tracked
        if not tracked:  # no xml:base anywhere: every base stays ""
            return
        base = ""
        stack: list[str] = []
        for event, el in etree.iterwalk(root, events=("start", "end")):
            if event == "start":
                given = el.get(_XML_BASE) or base
                if base:
                    base = feedparser_urls.make_safe_absolute_uri(base, given) or base
                else:
                    base = feedparser_urls._urljoin(base, given)
                stack.append(base)
                self.start[el] = base
            else:
                self.end[el] = base
                stack.pop()
                if stack and stack[-1]:
                    base = stack[-1]

    def uri(self, read: _Reader, value: str, el: etree._Element, *, at_end: bool) -> str:
        """feedparser's resolve_uri of value inside el."""
        if not self.tracked:
            return read.uri(value)
        if not value:
            raise _Unsure
        base = (self.end if at_end else self.start)[el]
        return read._fix(feedparser_urls._urljoin(base or "", value))

    def at_end(self, el: etree._Element) -> str:
        return self.end[el] if self.tracked else ""


def _names(parent: etree._Element, ns: str, allowed: frozenset[str]) -> list[tuple[str, Any]]:
    """Children as (local name, element): only allowed names, single ones once."""
    seen: set[str] = set()
    out = []
    for child in parent:
        tag = child.tag
        if not isinstance(tag, str) or not tag.startswith(ns):
            raise _Unsure
        name = tag[len(ns):]
        if name not in allowed:
            raise _Unsure
        key = _CANONICAL.get(name, name)
        if key in _SINGLE:
            if key in seen:
                raise _Unsure
            seen.add(key)
        if len(child) and name not in _TEXT_CONSTRUCTS | {"entry", "author", "contributor"}:
            raise _Unsure
        out.append((name, child))
    return out


def _xhtml(el: etree._Element, pieces: list[str]) -> None:
    """The pieces feedparser's strict parser collects for XHTML markup inside a text construct."""
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or not tag.startswith(_XHTML):
            raise _Unsure
        name = tag[len(_XHTML):].lower()
        if name in _XHTML_ODD:
            raise _Unsure
        attrs: dict[str, str] = {}
        for raw_key, value in child.attrib.items():
            if "}" in str(raw_key):
                raise _Unsure
            key = str(raw_key).lower()
            attrs[key] = str(value).lower() if key in ("rel", "type") else str(value)
        pieces.append("<%s%s>" % (name, "".join(  # noqa: UP031 - feedparser's own format
            ' %s="%s"' % (k, escape(v, {'"': "&quot;"})) for k, v in attrs.items()  # noqa: UP031
        )))
        if child.text:
            pieces.append(escape(child.text))
        _xhtml(child, pieces)
        pieces.append(f"</{name}>")
        if child.tail:
            pieces.append(escape(child.tail))


def _strip_div(pieces: list[str]) -> list[str]:
    """feedparser's removal of an enclosing <div> around Atom 1.0 XHTML content (mixin.pop)."""
    while pieces and len(pieces) > 1 and not pieces[-1].strip():
        del pieces[-1]
    while pieces and len(pieces) > 1 and not pieces[0].strip():
        del pieces[0]
    first = pieces[0] if pieces else ""
    if (first == "<div>" or first.startswith("<div ")) and pieces[-1] == "</div>":
        depth = 0
        for piece in pieces[:-1]:
            if piece.startswith("</"):
                depth -= 1
                if depth == 0:
                    break
            elif piece.startswith("<") and not piece.endswith("/>"):
                depth += 1
        else:
            pieces = pieces[1:-1]
    return pieces


class Atom:
    """One Atom feed's values as feedparser's pop() stores them."""

    def __init__(self, read: _Reader, root: etree._Element, *, tracked: bool) -> None:
        self.read = read
        self.atom03 = root.tag.startswith(ATOM03)
        self.ns = ATOM03 if self.atom03 else _ATOM
        self.bases = Bases(root, tracked=tracked)

    def text(self, el: etree._Element) -> tuple[str, str]:
        """A text construct (title, summary, content ...): its type and value."""
        if set(el.attrib) - {"type", "mode"} - _XML_ATTRS:
            raise _Unsure
        kind = map_type(el.get("type", "text/plain"))
        if kind not in _KINDS:
            raise _Unsure
        encoded = el.get("mode", "") == "base64"
        if len(el) and (kind != "application/xhtml+xml" or encoded):
            raise _Unsure
        if kind == "application/xhtml+xml" and not encoded:
            # Text is collected XML-escaped, markup re-serialised tag by tag.
            pieces = [escape(el.text)] if el.text else []
            _xhtml(el, pieces)
            if not self.atom03:
                pieces = _strip_div(pieces)
            value = "".join(pieces).strip()
        else:
            value = (el.text or "").strip()
            if encoded:
                with contextlib.suppress(binascii.Error, binascii.Incomplete, UnicodeDecodeError):
                    value = base64.decodebytes(value.encode("utf8")).decode("utf8")
        if kind in _HTML_TYPES:
            return kind, self.read.html(value, self.bases.at_end(el), kind)
        return kind, self.read._fix(value)

    def plain_title(self, el: etree._Element) -> str:
        if len(el) or self.text(el)[0] != "text/plain" or el.get("mode", "") == "base64":
            raise _Unsure
        return self.read.plain(el)

    def link(self, el: etree._Element) -> tuple[str, str, str]:
        """rel, mapped type and resolved href of a <link> (feedparser's _start_link)."""
        if set(el.attrib) - {"href", "rel", "type", "length", "title", "hreflang"} - _XML_ATTRS:
            raise _Unsure
        rel = el.get("rel", "alternate").lower()
        kind = el.get("type", "application/atom+xml" if rel == "self" else "text/html").lower()
        href = self.bases.uri(self.read, el.get("href") or "", el, at_end=False)
        return rel, map_type(kind), href

    def person(self, el: etree._Element) -> str | None:
        """An author's or contributor's name; the children feedparser reads must be plain."""
        names = []
        for child in el:
            tag = child.tag
            if not isinstance(tag, str) or not tag.startswith(self.ns) or len(child):
                raise _Unsure
            if tag[len(self.ns):] not in _PERSON:
                raise _Unsure
            if tag == f"{self.ns}name":
                names.append(child)
        if len(names) != 1:
            raise _Unsure
        return self.read.plain(names[0])

    def entry(self, node: etree._Element) -> dict[str, Any]:
        if set(node.attrib) - _XML_ATTRS:  # feedparser's _cdf_common reads entry attributes
            raise _Unsure
        read = self.read
        entry: dict[str, Any] = {"tags": [], "images": [], "authors": []}
        for name, child in _names(node, self.ns, _ENTRY_NAMES):
            if name == "title":
                entry["title"] = self.plain_title(child)
            elif name == "link":
                rel, kind, href = self.link(child)
                if rel == "alternate":
                    if kind not in _HTML_TYPES:
                        raise _Unsure
                    entry["link"] = href
                elif rel == "enclosure" and kind.startswith("image/"):
                    entry["images"].append(href)
            elif name == "id":
                if set(child.attrib) - _XML_ATTRS:
                    raise _Unsure
                value = read.raw(child)  # like an RSS guid: never taken for HTML
                if self.bases.tracked and value:
                    value = self.bases.uri(read, value, child, at_end=True)
                else:
                    value = read._fix(value)
                    if _URIFIX_RE.match(value):
                        raise _Unsure
                # isPermaLink defaults to true for Atom ids in feedparser too.
                entry["guidislink"] = "link" not in entry
                entry["id"] = value
                entry.setdefault("link", value)
            elif name == "summary":
                if "content" in entry:
                    raise _Unsure
                entry["summary"] = self.text(child)[1]
            elif name == "content":
                entry["content"] = self.text(child)[1]
                entry.setdefault("summary", entry["content"])
            elif name == "author":
                author = self.person(child)
                if not author:
                    raise _Unsure
                entry["authors"].append(author)
            elif name == "contributor":
                self.person(child)
            elif name in ("published", "updated", "issued", "modified"):
                entry[_CANONICAL.get(name, name)] = read.plain(child)
            elif name == "category":
                self.category(child, entry["tags"])
        return entry

    def category(self, child: etree._Element, tags: list[str]) -> None:
        read = self.read
        if set(child.attrib) - {"term", "scheme"} - _XML_ATTRS or read.raw(child):
            raise _Unsure
        term = read._fix(child.get("term") or "").strip()
        if "<" in term or "&" in term or not term or child.get("term") != term:
            raise _Unsure
        if term in tags:
            raise _Unsure
        tags.append(term)

    def meta(self, root: etree._Element) -> tuple[dict[str, Any], list[etree._Element]]:
        meta: dict[str, Any] = {}
        lang = root.get(_XML_LANG)
        if lang:
            if "_" in lang:
                raise _Unsure
            meta["language"] = lang
        entries = []
        for name, child in _names(root, self.ns, _FEED_NAMES):
            if name == "entry":
                entries.append(child)
            elif name == "title":
                meta["title"] = self.plain_title(child)
            elif name == "link":
                rel, kind, href = self.link(child)
                if rel == "alternate" and kind in _HTML_TYPES:
                    meta["link"] = href
            elif name in ("rights", "copyright"):
                meta["rights"] = self.text(child)[1]
            elif name in ("subtitle", "tagline", "info"):
                self.text(child)  # only to be sure feedparser reads it as plainly as this
            elif name in ("author", "contributor"):
                self.person(child)
        return meta, entries
