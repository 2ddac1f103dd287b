"""Scraped German news page as text: kicker, headline, byline+caption, teaser, key points…"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from services.normalizer.dates import mentioned_dates, parse_german_timestamp
from shared.events import BodyBlock, CanonicalArticle, Image, Person, RelatedLink
from shared.sanitize import clean_text

from .base import ParseError, ParseInput, Parser
from .common import blocks_to_html, build_article, date_text

# Section markers of the layout. Each is matched on a whole, stripped line.
UPDATED_RE = re.compile(r"^(Aktualisiert|Veröffentlicht|Stand):\s*(.*)$")
BYLINE_RE = re.compile(r"^[Vv]on\s+(.+)$")
CREDIT_RE = re.compile(r"^(Bild|Foto|Fotos|Quelle|Grafik|Video)\s*:\s*(.+)$")
KEY_POINTS_RE = re.compile(r"^Das Wichtigste in Kürze:?$")
SOURCES_RE = re.compile(r"^(Verwendete Quellen|Quellen|Quelle):$")
RELATED_RE = re.compile(
    r"^(Mehr entdecken|Mehr zum Thema|Weitere Artikel|Das könnte Sie auch interessieren)$"
)
# Box labels whose content the text scrape lost; the label alone is page furniture.
BOX_LABEL_RE = re.compile(
    r"^(Auch in den News|Lesen Sie auch|Mehr dazu|Mehr zum Thema|Auch interessant|Empfehlungen"
    r"|Anzeige|Werbung)\s*:?$"
)
# Promotion of the site's own shows and apps, not part of the article.
PROMO_RE = re.compile(
    r"(verpasst\?|Hier (die )?neueste Folge|Folge ansehen|jetzt (im )?(Livestream|streamen|ansehen)"
    r"|App herunterladen|Newsletter abonnieren|Jetzt abonnieren)",
    re.IGNORECASE,
)
AI_RE = re.compile(
    r"(Künstliche[rn]? Intelligenz|\bKI\b|\bAI\b|artificial intelligence).{0,120}"
    r"(erstellt|generiert|verfasst|übersetzt|created|generated)"
    r"|(erstellt|generiert).{0,60}(Künstliche[rn]? Intelligenz|\bKI\b)",
    re.IGNORECASE,
)
# A sentence end is not the dot of an ordinal ("16. März") or of a one-letter abbreviation.
_SENTENCE_END_RE = re.compile(r"(?<!\d)(?<!\b\w)[.!?…][\"“”»«')\]]*(\s|$)")
_SUBHEAD_END = (".", "!", ":", ";", ",", "…", '"', "“", "”", "»")
# The byline is glued to the caption with no space: "…NachnameDie Gespräche…". The glue is a
# lowercase letter directly followed by an uppercase one inside a word.
_GLUE_RE = re.compile(r"(?<=[a-zäöüßéèáàóòúùçñ])(?=[A-ZÄÖÜ])")
_NAME_SPLIT_RE = re.compile(r"\s*(?:,|\bund\b|&)\s*")
MAX_KEY_POINTS = 6


@dataclass
class _Sections:
    kicker: str | None = None
    headline: str = ""
    updated: str | None = None
    authors: list[str] = field(default_factory=list)
    caption: str | None = None
    credit: str | None = None
    teaser: str | None = None
    key_points: list[str] = field(default_factory=list)
    body: list[BodyBlock] = field(default_factory=list)
    ai_disclosure: str | None = None
    sources: list[str] = field(default_factory=list)
    related: list[RelatedLink] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def split_byline_caption(text: str) -> tuple[list[str], str | None]:
    """'Anna Berg und Emre BölükbasiDie Gespräche…' -> (['Anna Berg', 'Emre Bölükbasi'], 'Die…')."""
    tokens = text.split(" ")
    for index, token in enumerate(tokens):
        cuts = [m.start() for m in _GLUE_RE.finditer(token)]
        if not cuts:
            continue
        # The last glue point in the token wins, so "McAllisterDie" keeps "McAllister".
        cut = cuts[-1]
        names = " ".join([*tokens[:index], token[:cut]])
        caption = " ".join([token[cut:], *tokens[index + 1 :]])
        return _names(names), caption.strip() or None
    return _names(text), None


def _names(text: str) -> list[str]:
    return [n.strip() for n in _NAME_SPLIT_RE.split(text) if n.strip()]


def _sentences(line: str) -> int:
    return len(_SENTENCE_END_RE.findall(line))


def _is_subhead(line: str, following: str | None) -> bool:
    """A short line without closing punctuation (a question may be one), before running text."""
    return (
        len(line) <= 100
        and len(line.split()) <= 12
        and not line.endswith(_SUBHEAD_END)
        and _sentences(line) <= 1
        and following is not None
        and len(following) > len(line)
    )


class PageTextParser(Parser):
    """The layout of text scrapes from German news portals (see tests/fixtures/pagetext)."""

    name = "pagetext"
    content_types = ("text/x-newswire-pagetext", "text/plain")
    priority = 40

    def can_parse(self, doc: ParseInput) -> bool:
        head = doc.head(4096)
        if head.startswith(("<", "{", "[")):
            return False
        lines = [ln.strip() for ln in head.splitlines()[:8]]
        markers = sum(
            1
            for ln in lines
            if UPDATED_RE.match(ln) or BYLINE_RE.match(ln) or CREDIT_RE.match(ln)
        )
        return markers >= 2 or any(KEY_POINTS_RE.match(ln) for ln in head.splitlines())

    def parse(self, doc: ParseInput) -> list[CanonicalArticle]:
        lines = [clean_text(ln) for ln in doc.text().splitlines()]
        sections = self._sections(lines)
        if not sections.headline:
            raise ParseError("page text has no headline line")
        if not sections.body and not sections.teaser:
            raise ParseError("page text has no teaser and no body")
        updated = parse_german_timestamp(sections.updated) if sections.updated else None
        reference: datetime = updated or doc.received_at
        # Key points are read for dates too, which build_article's own look does not cover.
        text_for_dates = date_text(
            [sections.teaser or "", *sections.key_points, *(b.text for b in sections.body)]
        )
        body = tuple(sections.body)
        image = (
            Image(caption=sections.caption, credit=sections.credit)
            if sections.caption or sections.credit
            else None
        )
        return [
            build_article(
                doc,
                parser=self.name,
                headline=sections.headline,
                body=body,
                body_html=blocks_to_html(body),
                teaser=sections.teaser,
                kicker=sections.kicker,
                language="de",
                byline=tuple(Person(name=n, role="author") for n in sections.authors),
                images=(image,) if image else (),
                key_points=tuple(sections.key_points),
                sources=tuple(sections.sources),
                ai_assisted=sections.ai_disclosure is not None,
                ai_disclosure=sections.ai_disclosure,
                related=tuple(sections.related),
                version_created=updated,
                mentioned_dates=mentioned_dates(text_for_dates, reference),
                extra={"dropped_lines": sections.dropped} if sections.dropped else {},
            )
        ]

    def _sections(self, lines: list[str]) -> _Sections:
        out = _Sections()
        content = lines
        i = 0
        # Header: kicker, headline, then optional "Aktualisiert:", byline+caption and credit.
        while i < len(content) and not content[i]:
            i += 1
        header: list[str] = []
        while i < len(content) and len(header) < 2 and content[i]:
            if UPDATED_RE.match(content[i]) or BYLINE_RE.match(content[i]):
                break
            header.append(content[i])
            i += 1
        if len(header) == 2:
            out.kicker, out.headline = header
        elif header:
            out.headline = header[0]
        i = self._header_meta(content, i, out)
        # Teaser: the first running-text line before key points or body.
        while i < len(content) and not content[i]:
            i += 1
        if i < len(content) and not KEY_POINTS_RE.match(content[i]):
            out.teaser = content[i]
            i += 1
        i = self._key_points(content, i, out)
        self._body_and_footer(content, i, out)
        return out

    def _header_meta(self, lines: list[str], i: int, out: _Sections) -> int:
        while i < len(lines):
            line = lines[i]
            if not line:
                i += 1
            elif match := UPDATED_RE.match(line):
                out.updated = match.group(2).strip() or None
                i += 1
            elif match := BYLINE_RE.match(line):
                out.authors, out.caption = split_byline_caption(match.group(1))
                i += 1
            elif match := CREDIT_RE.match(line):
                out.credit = match.group(2).strip()
                i += 1
            else:
                return i
        return i

    def _key_points(self, lines: list[str], i: int, out: _Sections) -> int:
        while i < len(lines) and not lines[i]:
            i += 1
        if i >= len(lines) or not KEY_POINTS_RE.match(lines[i]):
            return i
        i += 1
        # Key points are single sentences; the first multi-sentence line starts the body.
        while i < len(lines) and len(out.key_points) < MAX_KEY_POINTS:
            line = lines[i]
            if not line:
                i += 1
                continue
            if _sentences(line) > 1 or len(line) > 240 or self._footer_kind(line):
                break
            out.key_points.append(line)
            i += 1
        return i

    @staticmethod
    def _footer_kind(line: str) -> str | None:
        if SOURCES_RE.match(line):
            return "sources"
        if RELATED_RE.match(line):
            return "related"
        if AI_RE.search(line) and len(line) < 400:
            return "ai"
        if PROMO_RE.search(line) and len(line) < 200:
            return "promo"
        return None

    def _body_and_footer(self, lines: list[str], i: int, out: _Sections) -> None:
        mode = "body"
        related_block: list[str] = []
        rest = lines[i:]
        for j, line in enumerate(rest):
            kind = self._footer_kind(line) if line else None
            if kind == "ai":
                out.ai_disclosure = line
                mode = "after_body"
            elif kind == "promo":
                out.dropped.append(line)
            elif kind == "sources":
                mode = "sources"
            elif kind == "related":
                mode = "related"
            elif not line:
                if mode == "related":
                    self._flush_related(related_block, out)
            elif mode == "related":
                related_block.append(line)
            elif mode == "sources":
                out.sources.append(line)
            elif mode == "body":
                if BOX_LABEL_RE.match(line):
                    out.dropped.append(line)
                    continue
                following = next((x for x in rest[j + 1 :] if x), None)
                kind_of = "subhead" if _is_subhead(line, following) else "paragraph"
                out.body.append(BodyBlock(kind=kind_of, text=line))
            else:
                out.dropped.append(line)
        self._flush_related(related_block, out)

    @staticmethod
    def _flush_related(block: list[str], out: _Sections) -> None:
        if len(block) >= 2:
            out.related.append(
                RelatedLink(kicker=block[0], headline=" ".join(block[1:]))
            )
        elif block:
            out.related.append(RelatedLink(headline=block[0]))
        block.clear()
