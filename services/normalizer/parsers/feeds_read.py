"""Reading feed XML the way feedparser does: encodings, element whitelists, text and HTML fields."""

from __future__ import annotations

import re

from feedparser import sanitizer as feedparser_sanitizer
from feedparser import urls as feedparser_urls
from lxml import etree

from .base import ParseInput

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

    def html(self, value: str, base: str = "", kind: str = "text/html") -> str:
        """An HTML field: feedparser's own URI resolution (against base) and sanitiser."""
        return self._fix(feedparser_html(value, self.encoding, base, kind))

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


def feedparser_html(
    value: str, encoding: str, base: str = "", kind: str = "text/html"
) -> str:
    """What feedparser makes of an HTML field: URIs resolved against base, then sanitised.

    Text without '<' or '&' holds no markup for either pass; both then only strip it and turn
    CRLF into LF, so that is done directly (test_feeds_fast_path checks the equivalence).
    """
    if kind == "text/html" and "<" not in value and "&" not in value:
        return value.strip().replace("\r\n", "\n")
    value = feedparser_urls.resolve_relative_uris(value, base, encoding, kind)
    value = feedparser_sanitizer._sanitize_html(value, encoding, kind)
    if not isinstance(value, str):
        raise _Unsure
    return value


def _check_attrs(root: etree._Element, *, xml_base: bool = False) -> None:
    # feedparser takes a base or language from xml:base/xml:lang and also from any attribute
    # whose lower-cased local name is "base" or "lang" (BASE="…", x:lang="…" in any namespace).
    # Atom callers track xml:base themselves and read no language below the root.
    for el in root.iter():
        for key in el.attrib:
            name = str(key).rsplit("}", 1)[-1].lower()
            if name == "base" and not (xml_base and key == f"{_XML}base"):
                raise _Unsure
            if name == "lang" and (key != f"{_XML}lang" or (el is not root and not xml_base)):
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
