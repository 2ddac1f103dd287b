"""RSS 2.0/1.0 and Atom read straight from the hardened lxml tree, as feedparser reads them."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from .base import HostileInput, ParseError, ParseInput
from .feeds_atom import ATOM03, Atom, check_namespaces
from .feeds_read import (
    _ADMIN,
    _ATOM,
    _CONTENT,
    _DC,
    _EMAIL_RE,
    _RSS_CHANNEL,
    _RSS_ITEM,
    _attr,
    _check_attrs,
    _children,
    _encoding,
    _Reader,
    _Unsure,
)
from .markup import parse_xml

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
# RSS 2.0/1.0 and Atom 1.0/0.3 read straight from the hardened lxml tree, giving exactly the
# entry values feedparser gives. Anything outside the cases reproduced here raises _Unsure and the
# feed goes through feedparser instead: RSS 0.9x, any base attribute in RSS and any but xml:base
# in Atom, a language attribute below the root (RSS), unknown elements in items/entries, XHTML
# content beyond plain XHTML markup (feeds_atom), markup or entities in plain-text fields,
# duplicate single-valued elements, encodings other than UTF-8/Windows-1252, and text/* types.


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
        tracked = b"xml:base" in doc.payload
        read = _Reader(_encoding(doc))
        root = _parse_root(doc)
        atom = root.tag in (f"{_ATOM}feed", f"{ATOM03}feed")
        if tracked and not atom:  # only the Atom reader follows xml:base
            _unsure()
        _check_attrs(root, xml_base=atom)
        if atom:
            check_namespaces(doc.payload, atom03=root.tag == f"{ATOM03}feed")
            reader = Atom(read, root, tracked=tracked)
            meta, nodes = reader.meta(root)
            entries = [reader.entry(node) for node in nodes]
        elif root.tag == "rss" and root.get("version") == "2.0":
            meta, nodes = _rss_meta(read, _rss_channel(root))
            entries = [_rss_entry(read, node) for node in nodes]
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
