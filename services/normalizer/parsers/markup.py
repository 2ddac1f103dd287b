"""Hardened XML parsing and XHTML/NITF/HTML bodies as paragraphs and subheads."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from typing import cast

from lxml import etree
from lxml import html as lxml_html
from pydantic import TypeAdapter

from shared.events import BodyBlock
from shared.sanitize import clean_text

from .base import EmptyDocument, HostileInput, ParseError, ParseInput

# A DOCTYPE internal subset that declares entities: the vehicle of billion-laughs and XXE.
_ENTITY_DECL_RE = re.compile(r"<!DOCTYPE[^\[>]*\[[^\]]*<!ENTITY", re.IGNORECASE | re.DOTALL)
_local = threading.local()


# One validator call for all blocks of a body: the same BodyBlock validation as BodyBlock(…)
# per block, without a Python-level model __init__ per paragraph.
_BLOCKS: TypeAdapter[tuple[BodyBlock, ...]] = TypeAdapter(tuple[BodyBlock, ...])


def body_blocks(items: list[dict[str, str]]) -> tuple[BodyBlock, ...]:
    """BodyBlocks from {"kind": …, "text": …} dicts, validated exactly as BodyBlock(**item)."""
    return _BLOCKS.validate_python(items) if items else ()


def paragraphs(texts: Iterable[str]) -> tuple[BodyBlock, ...]:
    cleaned = (clean_text(t) for t in texts)
    return body_blocks([{"kind": "paragraph", "text": t} for t in cleaned if t])




def _xml_parser() -> etree.XMLParser:
    # lxml parsers must not be shared between threads; one hardened parser per thread.
    parser: etree.XMLParser | None = getattr(_local, "xml_parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
            dtd_validation=False, remove_comments=True, remove_pis=True, collect_ids=False,
        )
        _local.xml_parser = parser
    return parser


def reject_entity_declarations(text: str) -> None:
    # _ENTITY_DECL_RE.search(text[:65536]): every match starts at a "<!", so trying the
    # pattern only there finds the same; a case-blind pattern is otherwise tried at every place.
    head = text[:65536]
    if head.count("!") > _BANGS:
        pos = head.find("<!")
        while pos != -1:
            _refuse_entities_at(head, pos)
            pos = head.find("<!", pos + 2)
        return
    # A one-character find runs at memchr speed; "<!" is searched far slower in markup full
    # of "<". Markup has few "!", so each is looked at; with many, "<!" is searched instead.
    pos = head.find("!")
    while pos != -1:
        if pos and head[pos - 1] == "<":
            _refuse_entities_at(head, pos - 1)
        pos = head.find("!", pos + 1)


# More "!" than this in the head: search for "<!" rather than visit every "!".
_BANGS = 64


def _refuse_entities_at(head: str, pos: int) -> None:
    if _ENTITY_DECL_RE.match(head, pos):
        raise HostileInput("DOCTYPE declares entities (entity expansion / external entities)")


def parse_xml(doc: ParseInput) -> etree._Element:
    """Root element of an XML payload, parsed with entities, DTDs and network refused."""
    payload = doc.payload
    head = doc.head(65536)
    reject_entity_declarations(head)
    declared = doc.charset
    if declared and not payload.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        # The envelope's charset beats a missing or wrong XML declaration: re-encode as UTF-8.
        text = doc.text()
        payload = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1).encode("utf-8")
    try:
        root = etree.fromstring(payload, _xml_parser())
    except etree.XMLSyntaxError as exc:
        if "encoding" in str(exc).lower() or "bytes" in str(exc).lower():
            # A wrong encoding declaration: fall back to our own decoding.
            text = re.sub(r"^\s*<\?xml[^>]*\?>", "", doc.text(), count=1)
            try:
                root = etree.fromstring(text.encode("utf-8"), _xml_parser())
            except etree.XMLSyntaxError as exc2:
                raise ParseError(f"malformed XML: {exc2}") from exc2
        else:
            raise ParseError(f"malformed XML: {exc}") from exc
    except (ValueError, TypeError) as exc:
        raise ParseError(f"unreadable XML: {exc}") from exc
    if root is None:
        raise EmptyDocument("XML document has no root element")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):  # type: ignore[union-attr]
        raise HostileInput("DOCTYPE declares entities (entity expansion / external entities)")
    return root


def xp_elements(xpath: etree.XPath, el: etree._Element) -> list[etree._Element]:
    """Elements an XPath selects, typed; anything else it returns is ignored."""
    result = xpath(el)
    return [r for r in result if isinstance(r, etree._Element)] if isinstance(result, list) else []


def xp_strings(xpath: etree.XPath, el: etree._Element) -> list[str]:
    """Attribute values and text nodes an XPath selects, as plain strings."""
    result = xpath(el)
    return [str(r) for r in result if isinstance(r, str)] if isinstance(result, list) else []


def all_text(el: etree._Element) -> str:
    """Concatenated text of an element; lxml yields str for parsed (not bytes) documents."""
    return "".join(cast("Iterator[str]", el.itertext()))


def local(el: etree._Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]




_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "hl1", "hl2", "subhead"})
_PARAGRAPHS = frozenset({"p", "li", "blockquote", "pre", "dd", "dt", "tr", "bq", "nitf-table"})
_SKIP = frozenset({
    "script", "style", "media", "figure", "figcaption", "img", "noscript", "iframe", "form",
    "aside", "nav", "header", "footer", "button", "object", "embed", "svg", "head",
})
_PLAIN_NAMES = _HEADINGS | _PARAGRAPHS | _SKIP | frozenset({
    "div", "section", "span", "a", "em", "strong", "b", "i", "ul", "ol", "body", "article",
    "main", "table", "tbody", "thead", "br", "block", "body.content", "q", "u", "sub", "sup",
})


def _own_text(el: etree._Element) -> str:
    """all_text(el), reading .text directly when the element has no children at all.

    len() counts comments, PIs and entity references too, so a childless element's text is all
    itertext would yield; itertext's per-element iterator costs far more than the text.
    """
    return all_text(el) if len(el) else (el.text or "")


def text_of(el: etree._Element | None) -> str:
    if el is None:
        return ""
    return clean_text(_own_text(el))


def element_blocks(root: etree._Element, *, max_blocks: int = 5000) -> tuple[BodyBlock, ...]:
    """Paragraphs and subheads of an XHTML/NITF/HTML element, in reading order."""
    out: list[dict[str, str]] = []

    def walk(el: etree._Element) -> None:
        for child in el:
            if len(out) >= max_blocks:
                return
            tag = child.tag
            if tag == "p":
                # The commonest block by far: the paragraph branch below, without the lookups
                # that lead to it ("p" is a plain name, neither skipped nor a heading).
                text = clean_text(all_text(child) if len(child) else (child.text or ""))
                if text:
                    out.append({"kind": "paragraph", "text": text})
                continue
            if not isinstance(tag, str):
                continue
            # Plain lower-case tags (all of HTML, most NITF) are their own local name.
            name = tag if tag in _PLAIN_NAMES else tag.rsplit("}", 1)[-1].lower()
            if not name or name in _SKIP:
                continue
            if name in _HEADINGS:
                text = clean_text(_own_text(child))
                if text:
                    out.append({"kind": "subhead", "text": text})
            elif name in _PARAGRAPHS:
                if name == "li" and any(local(c).lower() in {"ul", "ol"} for c in child):
                    walk(child)
                    continue
                if name == "tr":
                    # Comments and PIs between cells carry no reader text.
                    cells = (clean_text(_own_text(c)) for c in child if isinstance(c.tag, str))
                    text = clean_text(" | ".join(c for c in cells if c))
                else:
                    text = clean_text(_own_text(child))
                if text:
                    out.append({"kind": "paragraph", "text": text})
            else:
                lead = clean_text(child.text or "") if name in {"div", "section"} else ""
                if lead:
                    out.append({"kind": "paragraph", "text": lead})
                walk(child)

    walk(root)
    return body_blocks(out)


def _html_parser() -> etree.HTMLParser:
    # lxml.html's own parser has the same settings but looks up a Python element class for every
    # element it hands out; nothing here needs HtmlElement, so plain elements are built.
    parser: etree.HTMLParser | None = getattr(_local, "html_parser", None)
    if parser is None:
        parser = etree.HTMLParser()
        _local.html_parser = parser
    return parser


def html_fragment(markup: str) -> etree._Element | None:
    """An HTML snippet as an element tree; None when there is nothing to parse.

    lxml.html.fragment_fromstring(markup, create_parent="div"), with plain elements.
    """
    if not markup or not markup.strip():
        return None
    try:
        elements = lxml_html.fragments_fromstring(markup, parser=_html_parser())
        root = etree.Element("div")
        if elements and isinstance(elements[0], str):
            root.text = elements.pop(0)  # ValueError for control characters, as in lxml.html
        root.extend(cast("list[etree._Element]", elements))
    except (etree.ParserError, ValueError, TypeError, AssertionError):
        # lxml asserts "too many bodies" on a bare "<html>": markup with no fragment in it.
        return None
    return root


def html_blocks(markup: str | None) -> tuple[BodyBlock, ...]:
    root = html_fragment(markup or "")
    if root is None:
        return ()
    blocks = element_blocks(root)
    if not blocks:
        # Bare text with no block markup is one paragraph per line.
        return paragraphs(all_text(root).splitlines())
    return blocks
