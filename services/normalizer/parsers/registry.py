"""The explicit parser registry: every format is listed here, by name, once."""

from __future__ import annotations

from collections.abc import Iterable

from .base import ParseInput, Parser, UnsupportedFormat
from .digitalwires import DigitalwiresParser
from .feeds import FeedParser
from .html import HtmlPageParser
from .iptc7901 import Iptc7901Parser
from .jsonfeed import JsonFeedParser
from .newsml1 import NewsML1Parser
from .newsmlg2 import NewsMLG2Parser
from .ninjs import NinjsParser
from .nitf import NitfParser, NtbNitfParser
from .pagetext import PageTextParser
from .plaintext import PlainTextParser


class DuplicateParser(ValueError):
    """Two parsers registered under one name."""


def build_registry(parsers: Iterable[Parser]) -> dict[str, Parser]:
    registry: dict[str, Parser] = {}
    for parser in parsers:
        if parser.name in registry:
            raise DuplicateParser(f"parser name {parser.name!r} is registered twice")
        registry[parser.name] = parser
    return registry


PARSERS: dict[str, Parser] = build_registry(
    [
        PageTextParser(),
        DigitalwiresParser(),
        JsonFeedParser(),
        NinjsParser(),
        NewsMLG2Parser(),
        NewsML1Parser(),
        NtbNitfParser(),
        NitfParser(),
        FeedParser(),
        Iptc7901Parser(),
        HtmlPageParser(),
        PlainTextParser(),
    ]
)


def by_priority(registry: dict[str, Parser]) -> list[Parser]:
    """Specific parsers by priority, then the generic ones by priority."""
    return sorted(registry.values(), key=lambda p: (p.generic, p.priority))


# Sorted once: select() runs for every document.
_ORDERED = by_priority(PARSERS)


def select(doc: ParseInput, registry: dict[str, Parser] | None = None) -> Parser:
    """The parser for a document: claimed content type first, confirmed by sniffing; else sniff."""
    parsers = by_priority(registry) if registry is not None else _ORDERED
    claimed = [p for p in parsers if p.claims(doc) and not p.generic]
    for parser in claimed:
        if parser.can_parse(doc):
            return parser
    # A missing or wrong content type is common (agencies send XML as text/plain), so sniff all;
    # generic parsers come last in that order, so a specific format always wins over them.
    for parser in parsers:
        if parser not in claimed and parser.can_parse(doc):
            return parser
    raise UnsupportedFormat(
        f"no parser recognises this document (content type {doc.media_type or 'missing'!r})"
    )
