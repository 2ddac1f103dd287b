"""RSS 2.0/1.0 and Atom 1.0 read straight from the hardened lxml tree, as feedparser reads them."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from .base import HostileInput, ParseError, ParseInput
from .feeds_read import (
    _ADMIN,
    _ATOM,
    _ATOM_ENTRY,
    _ATOM_FEED,
    _ATOM_TYPES,
    _CONTENT,
    _DC,
    _EMAIL_RE,
    _RSS_CHANNEL,
    _RSS_ITEM,
    _URIFIX_RE,
    _XML,
    _attr,
    _check_attrs,
    _children,
    _encoding,
    _Reader,
    _Unsure,
)
from .markup import local, parse_xml

ROOT_RE = re.compile(r"<(rss|feed|rdf:RDF|RDF)\b")
IMAGE_TYPES = ("image/",)
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_RSS1 = "{http://purl.org/rss/1.0/}"
# The RSS 1.0 elements taken on the fast path, before and after renaming to plain names.
_RDF_ITEM = frozenset({
    f"{_RSS1}title", f"{_RSS1}link", f"{_RSS1}description", f"{_CONTENT}encoded",
    f"{_DC}creator", f"{_DC}date", f"{_DC}subject",
})
_RDF_CHANNEL = frozenset({
    f"{_RSS1}title", f"{_RSS1}link", f"{_RSS1}description", f"{_RSS1}items", f"{_RSS1}image",
    f"{_DC}language", f"{_DC}rights", f"{_DC}creator", f"{_DC}date", f"{_DC}publisher",
    f"{_ADMIN}generatorAgent", f"{_ADMIN}errorReportsTo", "{http://web.resource.org/cc/}license",
})
_RDF_CHANNEL_PLAIN = frozenset(
    tag[len(_RSS1):] if tag.startswith(_RSS1) else tag for tag in _RDF_CHANNEL
)

# ------------------------------------------------------------------------------ fast path
#
# RSS 2.0/1.0 and Atom 1.0 read straight from the hardened lxml tree, giving exactly the entry
# values feedparser gives. Anything outside the cases reproduced here raises _Unsure and the feed
# goes through feedparser instead: RSS 0.9x, Atom 0.3, any base attribute (xml:base …), a
# language attribute below the root, unknown elements in items/entries, XHTML or base64 content,
# markup or entities in plain-text fields, duplicate single-valued elements, encodings other than
# UTF-8/Windows-1252, and text/* types.


def _rss_author(value: str) -> str:
    """The byline feedparser's _sync_author_detail leaves for one RSS author string."""
    match = _EMAIL_RE.search(value)
    if not match:
        return value
    name = value.replace(match.group(0), "").replace("()", "").replace("<>", "")
    name = name.replace("&lt;&gt;", "").strip()
    if name and name[0] == "(":
        name = name[1:]
    if name and name[-1] == ")":
        name = name[:-1]
    return name.strip() or value


def _rss_entry(read: _Reader, item: etree._Element) -> dict[str, Any]:  # noqa: PLR0915
    entry: dict[str, Any] = {"tags": [], "images": [], "authors": []}
    for child in _children(item, _RSS_ITEM):
        tag = child.tag
        if child.attrib and tag not in ("guid", "category", "enclosure"):
            raise _Unsure
        if tag == "title":
            entry["title"] = read.plain(child)
        elif tag == "link":
            entry["link"] = read.link(child, in_item=True)
        elif tag == "guid":
            if set(child.attrib) - {"isPermaLink"}:
                raise _Unsure
            # A guid is never taken for HTML: only its whitespace is stripped.
            value = read._fix(read.raw(child))
            is_link = _attr(child, "ispermalink") in (None, "true")
            entry["guidislink"] = is_link and "link" not in entry
            if is_link:
                # RSS: a guid without isPermaLink="false" is the link when no <link> came first.
                value = read.uri(value)
                entry.setdefault("link", value)
            entry["id"] = value
        elif tag == "description":
            if "content" in entry:  # feedparser would take it as a second content
                raise _Unsure
            entry["summary"] = read.html(read.raw(child))
        elif tag == f"{_CONTENT}encoded":
            value = read.html(read.raw(child))
            entry["content"] = value
            entry.setdefault("summary", value)
        elif tag in ("author", f"{_DC}creator"):
            if entry["authors"]:
                raise _Unsure
            value = read.plain(child)
            if value:
                entry["authors"].append(_rss_author(value))
        elif tag == "pubDate":
            entry["published"] = read.plain(child)
        elif tag == f"{_DC}date":
            entry["updated"] = read.plain(child)
        elif tag in ("category", f"{_DC}subject"):
            if set(child.attrib) - {"domain"}:
                raise _Unsure
            term = read.plain(child)
            if term:
                if term in entry["tags"]:  # feedparser de-duplicates by (term, scheme, label)
                    raise _Unsure
                entry["tags"].append(term)
        elif tag == "enclosure":
            if set(child.attrib) - {"url", "type", "length"}:
                raise _Unsure
            kind = (child.get("type") or "").lower()  # feedparser lower-cases type and rel
            if kind.startswith(IMAGE_TYPES):
                url = child.get("url") or ""
                if not url:
                    raise _Unsure
                entry["images"].append(read._fix(url))
    return entry


def _atom_text(read: _Reader, el: etree._Element) -> tuple[str, str]:
    if set(el.attrib) - {"type"}:
        raise _Unsure
    kind = _ATOM_TYPES.get((el.get("type") or "text").lower())
    if kind is None:
        raise _Unsure
    if kind == "text/html":
        return kind, read.html(read.raw(el))
    return kind, read._fix(read.raw(el))


def _atom_entry(read: _Reader, node: etree._Element) -> dict[str, Any]:  # noqa: PLR0915
    entry: dict[str, Any] = {"tags": [], "images": [], "authors": []}
    for child in _children(node, _ATOM_ENTRY):
        tag = child.tag
        if tag == f"{_ATOM}title":
            if (child.get("type") or "text") != "text" or set(child.attrib) - {"type"}:
                raise _Unsure
            entry["title"] = read.plain(child)
        elif tag == f"{_ATOM}link":
            if set(child.attrib) - {"href", "rel", "type", "length", "title", "hreflang"}:
                raise _Unsure
            rel = (child.get("rel") or "alternate").lower()
            kind = (child.get("type") or "").lower()
            href = read.uri(child.get("href") or "")
            if rel == "alternate":
                if kind not in ("", "text/html"):
                    raise _Unsure
                entry["link"] = href
            elif rel == "enclosure" and kind.startswith(IMAGE_TYPES):
                entry["images"].append(href)
        elif tag == f"{_ATOM}id":
            if child.attrib:
                raise _Unsure
            value = read._fix(read.raw(child))  # like an RSS guid: never taken for HTML
            if _URIFIX_RE.match(value):
                raise _Unsure
            # isPermaLink defaults to true for Atom ids in feedparser too.
            entry["guidislink"] = "link" not in entry
            entry["id"] = value
            entry.setdefault("link", value)
        elif tag == f"{_ATOM}summary":
            if "content" in entry:
                raise _Unsure
            entry["summary"] = _atom_text(read, child)[1]
        elif tag == f"{_ATOM}content":
            entry["content"] = _atom_text(read, child)[1]
            entry.setdefault("summary", entry["content"])
        elif tag == f"{_ATOM}author":
            names = [c for c in child if c.tag == f"{_ATOM}name"]
            if len(names) != 1 or any(
                c.tag not in (f"{_ATOM}name", f"{_ATOM}email", f"{_ATOM}uri") for c in child
            ):
                raise _Unsure
            name = read.plain(names[0])
            if not name:
                raise _Unsure
            entry["authors"].append(name)
        elif tag in (f"{_ATOM}published", f"{_ATOM}updated"):
            entry[local(child)] = read.plain(child)
        elif tag == f"{_ATOM}category":
            if set(child.attrib) - {"term", "scheme"} or read.raw(child):
                raise _Unsure
            term = read._fix(child.get("term") or "").strip()
            if "<" in term or "&" in term or not term or child.get("term") != term:
                raise _Unsure
            if term in entry["tags"]:
                raise _Unsure
            entry["tags"].append(term)
    return entry


def _rss_meta(
    read: _Reader, channel: etree._Element, allowed: frozenset[str] = _RSS_CHANNEL
) -> tuple[dict[str, Any], list[etree._Element]]:
    meta: dict[str, Any] = {}
    items = []
    for child in _children(channel, allowed):
        tag = child.tag
        if tag == "item":
            items.append(child)
        elif tag == "title":
            meta["title"] = read.plain(child)
        elif tag == "link":
            meta["link"] = read.link(child, in_item=False)
        elif tag in ("language", f"{_DC}language"):
            if "language" in meta:
                raise _Unsure
            meta["language"] = read.plain(child)
        elif tag in ("copyright", f"{_DC}rights"):
            if "rights" in meta:
                raise _Unsure
            meta["rights"] = read.plain(child)
    return meta, items


def _atom_meta(read: _Reader, root: etree._Element) -> tuple[dict[str, Any], list[etree._Element]]:
    meta: dict[str, Any] = {}
    lang = root.get(f"{_XML}lang")
    if lang:
        if "_" in lang:
            raise _Unsure
        meta["language"] = lang
    entries = []
    for child in _children(root, _ATOM_FEED):
        tag = child.tag
        if tag == f"{_ATOM}entry":
            entries.append(child)
        elif tag == f"{_ATOM}title":
            if (child.get("type") or "text") != "text" or set(child.attrib) - {"type"}:
                raise _Unsure
            meta["title"] = read.plain(child)
        elif tag == f"{_ATOM}link":
            rel = (child.get("rel") or "alternate").lower()
            if rel == "alternate":
                if (child.get("type") or "text/html").lower() != "text/html":
                    raise _Unsure
                meta["link"] = read.uri(child.get("href") or "")
        elif tag == f"{_ATOM}rights":
            kind, value = _atom_text(read, child)
            if kind != "text/plain":
                raise _Unsure
            meta["rights"] = value
    return meta, entries


def _parse_root(doc: ParseInput) -> etree._Element:
    try:
        root = parse_xml(doc)
    except HostileInput:
        raise
    except ParseError as exc:
        raise _Unsure from exc
    # feedparser rewrites DOCTYPEs (and sniffs RSS 0.91 from them).
    if getattr(root.getroottree().docinfo, "doctype", ""):
        raise _Unsure
    _check_attrs(root)
    return root


def _rss_channel(root: etree._Element) -> etree._Element:
    if set(root.attrib) - {"version"} or len(root) != 1 or root[0].tag != "channel":
        raise _Unsure
    if root[0].attrib:
        raise _Unsure
    return root[0]


def _plain_names(parent: etree._Element, allowed: frozenset[str]) -> None:
    """Rename RSS 1.0 children to the plain RSS names feedparser gives them; others: unsure."""
    for child in parent:
        tag = child.tag
        if not isinstance(tag, str) or tag not in allowed:
            raise _Unsure
        if tag.startswith(_RSS1):
            child.tag = tag[len(_RSS1):]


def _rdf_feed(
    read: _Reader, root: etree._Element
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """RSS 1.0: a channel and items under rdf:RDF, read like RSS 2.0 once renamed.

    feedparser maps the RSS 1.0 namespace to plain names and takes an item's rdf:about as its id
    (no guid, so no guidislink). Only the channel and items, with the elements both read the
    same, are taken; anything else (images, text inputs, other attributes) goes to feedparser.
    """
    channels = [child for child in root if child.tag == f"{_RSS1}channel"]
    nodes = [child for child in root if child.tag == f"{_RSS1}item"]
    if root.attrib or len(channels) != 1 or len(channels) + len(nodes) != len(root):
        raise _Unsure
    channel = channels[0]
    if set(channel.attrib) - {f"{_RDF}about"}:
        raise _Unsure
    _plain_names(channel, _RDF_CHANNEL)
    meta, _ = _rss_meta(read, channel, _RDF_CHANNEL_PLAIN)
    entries = []
    for node in nodes:
        if set(node.attrib) - {f"{_RDF}about"}:
            raise _Unsure
        _plain_names(node, _RDF_ITEM)
        entry = _rss_entry(read, node)
        about = read._fix(node.get(f"{_RDF}about") or "")
        if about:
            entry["id"] = about
        entries.append(entry)
    return meta, entries


def _unsure() -> None:
    raise _Unsure


def fast_entries(doc: ParseInput) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """Feed metadata and entries as feedparser gives them, or None when unsure."""
    try:
        # Cheap early exits before parsing: no feed root, and xml:base anywhere.
        root_name = ROOT_RE.search(doc.head(2048))
        if root_name is None:
            _unsure()
        if b"xml:base" in doc.payload:
            _unsure()
        read = _Reader(_encoding(doc))
        root = _parse_root(doc)
        if root.tag == "rss" and root.get("version") == "2.0":
            meta, nodes = _rss_meta(read, _rss_channel(root))
            entries = [_rss_entry(read, node) for node in nodes]
        elif root.tag == f"{_ATOM}feed":
            meta, nodes = _atom_meta(read, root)
            entries = [_atom_entry(read, node) for node in nodes]
        elif root.tag == f"{_RDF}RDF":
            meta, entries = _rdf_feed(read, root)
        else:
            _unsure()
            return None
    except _Unsure:
        return None
    if not entries:
        return None
    return meta, entries
