"""The parser interface: a name, claimed content types, sniffing can_parse() and pure parse()."""

from __future__ import annotations

import codecs
import contextlib
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import ClassVar

from shared.events import CanonicalArticle


class ParseError(ValueError):
    """The document claims a format but cannot be read as it; goes to the DLQ."""

    reason: ClassVar[str] = "parse_error"


class UnsupportedFormat(ParseError):
    """No registered parser recognises the document."""

    reason = "unsupported_format"


class HostileInput(ParseError):
    """The document tries something dangerous (entity expansion, external entities)."""

    reason = "hostile_input"


class EmptyDocument(ParseError):
    """The document parsed but holds no article (no headline and no body)."""

    reason = "empty_document"


@dataclass(frozen=True)
class ParseInput:
    """One raw document plus what the envelope says about it."""

    payload: bytes
    content_type: str | None
    source: str
    received_at: datetime
    url: str | None = None
    raw_id: str | None = None
    trace_id: str | None = None
    # Sniffing asks every parser's can_parse() in turn, each for a head of its own size: each
    # size is decoded once per document.
    _heads: dict[int, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    @cached_property
    def media_type(self) -> str:
        return (self.content_type or "").split(";", 1)[0].strip().lower()

    @cached_property
    def charset(self) -> str | None:
        match = _CHARSET_RE.search(self.content_type or "")
        return match.group(1) if match else None

    def text(self) -> str:
        """The payload as text: declared charset if valid, else BOM/UTF-8, else cp1252."""
        return decode_text(self.payload, self.charset)

    def head(self, size: int = 2048) -> str:
        head = self._heads.get(size)
        if head is None:
            head = decode_text(self.payload[:size], self.charset).lstrip("\ufeff \t\r\n")
            self._heads[size] = head
        return head


_CHARSET_RE = re.compile(r"charset=\"?([\w.:-]+)", re.IGNORECASE)


def decode_text(payload: bytes, declared: str | None = None) -> str:
    if payload.startswith(codecs.BOM_UTF8):
        return payload[3:].decode("utf-8", errors="replace")
    if payload.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return payload.decode("utf-16", errors="replace")
    if declared:
        # A wrong or unknown declared charset falls through to detection.
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            return payload.decode(declared)
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        # Agencies' legacy systems still send Windows-1252; it decodes any byte string.
        return payload.decode("cp1252", errors="replace")


class Parser(ABC):
    """One wire or page format. Subclass per vendor quirk; register in registry.PARSERS."""

    name: ClassVar[str]
    content_types: ClassVar[tuple[str, ...]] = ()
    # Lower runs first when sniffing; specific formats before generic ones.
    priority: ClassVar[int] = 50
    # A generic parser (plain text) takes a document only when no specific one recognises it,
    # even when the content type names it: agencies send wire formats as text/plain.
    generic: ClassVar[bool] = False

    def claims(self, doc: ParseInput) -> bool:
        return doc.media_type in self.content_types

    @abstractmethod
    def can_parse(self, doc: ParseInput) -> bool:
        """Cheap sniffing on the payload, for when the content type is missing or wrong."""

    @abstractmethod
    def parse(self, doc: ParseInput) -> list[CanonicalArticle]:
        """Pure: bytes in, canonical articles out; raises ParseError subclasses."""
