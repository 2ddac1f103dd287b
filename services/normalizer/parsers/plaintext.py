"""Ordinary plain-text articles in any language: headline, meta lines, blank-line paragraphs."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from shared.events import BodyBlock, CanonicalArticle, Person
from shared.sanitize import clean_text

from .base import EmptyDocument, ParseInput, Parser
from .common import blocks_to_html, build_article
from .stated_dates import find_stated_date

# "By", "Von", "Par", "Por", "Di", "Door", "Av", "Af", "Autor:", "Автор:", … before names.
BYLINE_RE = re.compile(
    r"^(?:by|von|par|por|di|door|av|af|de|przez|автор|text|texte|texto|author|autor|auteur|"
    r"autore|autora|written by|reporting by|escrito por|redacción|yazan)\s*:?\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
# Labels before a stated date: "Published: …", "Veröffentlicht am …", "Publié le …".
DATE_LABEL_RE = re.compile(
    r"^(?:published|updated|posted|first published|last updated|date|dated|veröffentlicht|"
    r"aktualisiert|stand|datum|publié|mis à jour|publicado|actualizado|pubblicato|"
    r"aggiornato|gepubliceerd|bijgewerkt|publicerad|uppdaterad|publiceret|opdateret|"
    r"publisert|oppdatert|opublikowano|zaktualizowano|опубликовано|обновлено|yay\u0131nlanma)"
    r"(?:\s+(?:on|am|um|le|el|il|op|den|at))?\s*:?\s*",
    re.IGNORECASE,
)
_NAME_SPLIT_RE = re.compile(
    r"\s*(?:,|;|&|\band\b|\bund\b|\bet\b|\by\b|\be\b|\ben\b|\boch\b|\bog\b|\bi\b|\bи\b)\s*"
)
_META_SEP_RE = re.compile(r"\s+[|·•\u2014\u2013-]\s+|\s*\|\s*")
# A byline name: one to four words, each starting with a capital (any script), particles allowed.
_NAME_RE = re.compile(
    r"^(?:(?:[^\W\d_][\w'\u2019.-]*|van|von|de|der|den|da|di|du|del|della|la|le|bin|al|ibn)\s+){0,4}"
    r"[^\W\d_][\w'\u2019.-]*$"
)
_SUBHEAD_END = (".", "!", ":", ";", ",", "…", '"', "“", "”", "»", "?")
_CONTROL_OK = {"\t", "\n", "\r", "\f"}
MAX_HEADLINE_CHARS = 300
MAX_META_CHARS = 160


@dataclass
class _Header:
    headline: str = ""
    authors: list[str] = field(default_factory=list)
    date: datetime | None = None
    date_text: str | None = None
    teaser: list[str] = field(default_factory=list)


def _is_text(sample: str) -> bool:
    """Readable text: no control characters and few replacement characters."""
    if not sample.strip():
        return False
    bad = sum(
        1 for ch in sample
        if (unicodedata.category(ch) == "Cc" and ch not in _CONTROL_OK) or ch == "\ufffd"
    )
    return bad == 0


def _looks_like_names(text: str) -> list[str]:
    names = [part.strip(" .") for part in _NAME_SPLIT_RE.split(text) if part.strip(" .")]
    # "Jane Doe, Reuters": a one-word part after a full name is an outlet or a role.
    if names and len(names[0].split()) > 1:
        names = [names[0], *(n for n in names[1:] if len(n.split()) > 1)]
    if not names or len(names) > 6:
        return []
    for name in names:
        words = name.split()
        if not _NAME_RE.match(name) or not words[0][0].isupper() or not words[-1][0].isupper():
            return []
    return names


def byline_of(line: str) -> tuple[list[str], str | None]:
    """Authors of a byline line and what follows them ("By A and B | 30 Nov 2026")."""
    match = BYLINE_RE.match(line)
    if not match:
        return [], None
    parts = _META_SEP_RE.split(match["rest"], maxsplit=1)
    names = _looks_like_names(parts[0])
    if not names:
        # "By Jane Doe, Reuters": names before an agency or a role after the last comma.
        head, _, _tail = parts[0].rpartition(",")
        names = _looks_like_names(head) if head else []
    return names, (parts[1] if len(parts) > 1 and names else None)


def date_line(line: str) -> tuple[datetime, str] | None:
    """A line that is a stated date, labelled or not, with at most a few other words."""
    label = DATE_LABEL_RE.match(line)
    rest = line[label.end():] if label and label.end() else line
    found = find_stated_date(rest)
    if not found:
        return None
    value, (start, end) = found
    leftover = (rest[:start] + " " + rest[end:]).split()
    if label is None and len(leftover) > 3:
        return None
    return value, rest[start:end]


def _is_subhead(text: str, following: str | None) -> bool:
    return (
        "\n" not in text
        and len(text) <= 90
        and len(text.split()) <= 12
        and not text.rstrip().endswith(_SUBHEAD_END)
        and following is not None
        and len(following) > 2 * len(text)
    )


class PlainTextParser(Parser):
    """Any ordinary article as plain text; taken only when no more specific format claims it."""

    name = "plaintext"
    content_types = ("text/plain",)
    priority = 95
    generic = True

    def can_parse(self, doc: ParseInput) -> bool:
        head = doc.head(4096)
        if not head or head.startswith(("<", "{", "[", "ZCZC")) or not _is_text(head):
            return False
        first = head.split("\n", 1)[0].strip()
        return 0 < len(first) <= MAX_HEADLINE_CHARS and len(head.split()) >= 3

    def parse(self, doc: ParseInput) -> list[CanonicalArticle]:
        text = doc.text().replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
        blocks = self._blocks(text)
        if not blocks:
            raise EmptyDocument("plain text holds no line of text")
        header, rest = self._header(blocks)
        paragraphs = [clean_text(" ".join(block)) for block in rest]
        paragraphs = [p for p in paragraphs if p]
        authors = list(header.authors)
        # A closing byline ("By Jane Doe") ends some articles instead of heading them.
        if paragraphs and not authors and len(paragraphs[-1]) <= MAX_META_CHARS:
            names, _ = byline_of(paragraphs[-1])
            if names:
                authors = names
                paragraphs.pop()
        body_blocks: list[BodyBlock] = []
        for index, paragraph in enumerate(paragraphs):
            following = paragraphs[index + 1] if index + 1 < len(paragraphs) else None
            kind = "subhead" if index and _is_subhead(paragraph, following) else "paragraph"
            body_blocks.append(BodyBlock(kind=kind, text=paragraph))
        body = tuple(body_blocks)
        teaser = clean_text(" ".join(header.teaser)) or None
        extra: dict[str, object] = {}
        if header.date_text:
            extra["stated_date"] = header.date_text
        return [
            build_article(
                doc,
                parser=self.name,
                headline=header.headline,
                teaser=teaser,
                body=body,
                body_html=blocks_to_html(body),
                byline=tuple(Person(name=n, role="author") for n in authors),
                version_created=header.date,
                extra=extra,
            )
        ]

    @staticmethod
    def _blocks(text: str) -> list[list[str]]:
        """Blank-line separated blocks of stripped lines; one line is one block without blanks."""
        lines = [ln.strip() for ln in text.split("\n")]
        while lines and not lines[-1]:
            lines.pop()
        while lines and not lines[0]:
            lines.pop(0)
        if not lines:
            return []
        if "" not in lines[1:]:
            # No blank line anywhere: every line is a paragraph (one-line-per-paragraph exports).
            return [[ln] for ln in lines]
        blocks: list[list[str]] = [[]]
        for line in lines:
            if line:
                blocks[-1].append(line)
            elif blocks[-1]:
                blocks.append([])
        return [b for b in blocks if b]

    def _header(self, blocks: list[list[str]]) -> tuple[_Header, list[list[str]]]:
        header = _Header(headline=clean_text(blocks[0][0]))
        pending = list(blocks[0][1:])
        rest = blocks[1:]
        # Meta may also stand in short blocks of their own before the first paragraph.
        while rest and all(self._is_meta(ln) for ln in rest[0]):
            pending.extend(rest[0])
            rest = rest[1:]
        for line in pending:
            if not self._take_meta(line, header):
                header.teaser.append(line)
        return header, rest

    @staticmethod
    def _is_meta(line: str) -> bool:
        return len(line) <= MAX_META_CHARS and (
            bool(byline_of(line)[0]) or date_line(line) is not None
        )

    @staticmethod
    def _take_meta(line: str, header: _Header) -> bool:
        if len(line) > MAX_META_CHARS:
            return False
        names, after = byline_of(line)
        if names:
            header.authors.extend(n for n in names if n not in header.authors)
            if after and header.date is None and (found := date_line(after)):
                header.date, header.date_text = found
            return True
        if found := date_line(line):
            if header.date is None:
                header.date, header.date_text = found
            return True
        return False
