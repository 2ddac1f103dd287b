"""RSS 2.0 and Atom 1.0 read straight from the hardened lxml tree, as feedparser would read them."""

from __future__ import annotations

import re
from typing import Any

from feedparser import sanitizer as feedparser_sanitizer
from feedparser import urls as feedparser_urls
from lxml import etree

from .base import HostileInput, ParseError, ParseInput
from .markup import local, parse_xml

ROOT_RE = re.compile(r"<(rss|feed|rdf:RDF|RDF)\b")
IMAGE_TYPES = ("image/",)

# ------------------------------------------------------------------------------ fast path
#
# RSS 2.0 and Atom 1.0 read straight from the hardened lxml tree, giving exactly the entry values
# feedparser gives. Anything outside the cases reproduced here raises _Unsure and the feed goes
# through feedparser instead: RSS 1.0/0.9x, Atom 0.3, xml:base/xml:lang below the root, unknown
# elements in items/entries, XHTML or base64 content, markup or entities in plain-text fields,
# duplicate single-valued elements, encodings other than UTF-8/Windows-1252, and text/* types.

_ATOM = "{http://www.w3.org/2005/Atom}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_ADMIN = "{http://webns.net/mvcb/}"
_XML = "{http://www.w3.org/XML/1998/namespace}"
_FAST_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/xml"})
_DECL_RE = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_ENCODINGS = {"utf-8": "utf-8", "windows-1252": "windows-1252"}
# The channel children feedparser keeps nothing unexpected from (image/textInput have their own
# context in feedparser and never touch the feed's title or link).
_RSS_CHANNEL = frozenset({
    "title", "link", "description", "language", "copyright", "managingEditor", "webMaster",
    "pubDate", "lastBuildDate", "category", "generator", "docs", "cloud", "ttl", "image",
    "textInput", "skipHours", "skipDays", "item", f"{_DC}language", f"{_DC}rights",
    f"{_DC}creator", f"{_DC}date", f"{_DC}publisher",
    f"{_ADMIN}generatorAgent", f"{_ADMIN}errorReportsTo",
})
_RSS_ITEM = frozenset({
    "title", "link", "description", "guid", "pubDate", "author", "category", "comments",
    "enclosure", f"{_CONTENT}encoded", f"{_DC}creator", f"{_DC}date", f"{_DC}subject",
})
_ATOM_FEED = frozenset({
    f"{_ATOM}{n}" for n in (
        "title", "subtitle", "link", "id", "updated", "author", "contributor", "generator",
        "icon", "logo", "rights", "category", "entry",
    )
})
_ATOM_ENTRY = frozenset({
    f"{_ATOM}{n}" for n in (
        "title", "link", "id", "updated", "published", "author", "contributor", "summary",
        "content", "category",
    )
})
_SINGLE = frozenset({
    "title", "link", "description", "guid", "pubDate", "author", "comments",
    f"{_CONTENT}encoded", f"{_DC}creator", f"{_DC}date",
    f"{_ATOM}title", f"{_ATOM}id", f"{_ATOM}updated", f"{_ATOM}published", f"{_ATOM}summary",
    f"{_ATOM}content", f"{_ATOM}rights", "language", "copyright", f"{_DC}language",
    f"{_DC}rights",
})
_EMAIL_RE = re.compile(
    r"(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))"
    r"([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"
)
# feedparser's _urljoin collapses slashes after "scheme://"; such values go to feedparser.
_URIFIX_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+,.-]*:///")
_LINK_ENTITY_RE = re.compile(r"&([A-Za-z0-9_]+);")
_C1_RE = re.compile("[\x80-\x9f]")
_ATOM_TYPES = {"text": "text/plain", "html": "text/html"}


class _Unsure(Exception):
    """The fast path cannot vouch for matching feedparser: use feedparser."""


def _encoding(doc: ParseInput) -> str:
    ctype = (doc.content_type or "application/xml").strip().lower()
    if ctype not in _FAST_TYPES:  # charsets, text/* (RFC 3023 rules): feedparser decides
        raise _Unsure
    payload = doc.payload
    if payload.startswith(b"\xef\xbb\xbf"):
        payload = payload[3:]
    elif payload.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00", b"\x4c\x6f")):
        raise _Unsure
    match = _DECL_RE.match(payload)
    name = match.group(1).decode("ascii").lower() if match else "utf-8"
    if name not in _ENCODINGS:
        raise _Unsure
    return _ENCODINGS[name]


class _Reader:
    """Values of one feed as feedparser's pop() would have stored them."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding

    def _fix(self, value: str) -> str:
        if _C1_RE.search(value):  # feedparser maps these through Windows-1252
            raise _Unsure
        if self.encoding == "utf-8" and not value.isascii():
            try:
                repaired = value.encode("iso-8859-1").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                return value
            if repaired != value:
                raise _Unsure
        return value

    def raw(self, el: etree._Element) -> str:
        if len(el):
            raise _Unsure
        return (el.text or "").strip()

    def plain(self, el: etree._Element) -> str:
        """A text field: no markup, no '&' (feedparser may take it for HTML or unescape it)."""
        value = self.raw(el)
        if "<" in value or "&" in value:
            raise _Unsure
        return self._fix(value)

    def html(self, value: str) -> str:
        """An HTML field: feedparser's own URI resolution (no base) and sanitiser."""
        return self._fix(feedparser_html(value, self.encoding))

    def uri(self, value: str) -> str:
        """A URI feedparser resolves against the (empty) base: unchanged unless _urifixer bites."""
        if not value or _URIFIX_RE.match(value):
            raise _Unsure
        return self._fix(value)

    def link(self, el: etree._Element, *, in_item: bool) -> str:
        """An RSS <link>: resolved, then feedparser's repair of '&amp;' in query strings.

        feedparser replaces a literal '&amp;' in items only, not in the channel's link.
        """
        value = self.uri(self.raw(el))
        if in_item:
            value = value.replace("&amp;", "&")
        return _LINK_ENTITY_RE.sub(r"&\g<1>", value)


def feedparser_html(value: str, encoding: str) -> str:
    """What feedparser makes of an HTML field: URIs resolved (no base), then sanitised.

    Text without '<' or '&' holds no markup for either pass; both then only strip it and turn
    CRLF into LF, so that is done directly (test_feeds_fast_path checks the equivalence).
    """
    if "<" not in value and "&" not in value:
        return value.strip().replace("\r\n", "\n")
    value = feedparser_urls.resolve_relative_uris(value, "", encoding, "text/html")
    value = feedparser_sanitizer._sanitize_html(value, encoding, "text/html")
    if not isinstance(value, str):
        raise _Unsure
    return value


def _check_attrs(root: etree._Element) -> None:
    for el in root.iter():
        for key in el.attrib:
            if key in (f"{_XML}base", "lang") or (key == f"{_XML}lang" and el is not root):
                raise _Unsure


def _children(parent: etree._Element, allowed: frozenset[str]) -> list[etree._Element]:
    seen: set[str] = set()
    out: list[etree._Element] = []
    for child in parent:
        tag = child.tag
        if not isinstance(tag, str) or tag not in allowed:
            raise _Unsure
        if tag in _SINGLE:
            if tag in seen:
                raise _Unsure
            seen.add(tag)
        out.append(child)
    return out


def _attr(el: etree._Element, name: str) -> str | None:
    for key, value in el.attrib.items():
        if isinstance(key, str) and key.lower() == name:
            return str(value)
    return None


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
    read: _Reader, channel: etree._Element
) -> tuple[dict[str, Any], list[etree._Element]]:
    meta: dict[str, Any] = {}
    items = []
    for child in _children(channel, _RSS_CHANNEL):
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


def _unsure() -> None:
    raise _Unsure


def fast_entries(doc: ParseInput) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """Feed metadata and entries as feedparser gives them, or None when unsure."""
    try:
        # Cheap early exits before parsing: RSS 1.0/RDF roots, and xml:base anywhere.
        root_name = ROOT_RE.search(doc.head(2048))
        if root_name is None or root_name.group(1) not in ("rss", "feed"):
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
        else:
            _unsure()
            return None
    except _Unsure:
        return None
    if not entries:
        return None
    return meta, entries
