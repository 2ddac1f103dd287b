"""Plain wire text in the IPTC 7901 style: SOH header, STX text, ETX; ZCZC/NNNN telex too."""

from __future__ import annotations

import re

from shared.events import BodyBlock, CanonicalArticle
from shared.sanitize import clean_text

from .base import EmptyDocument, ParseInput, Parser
from .common import build_article
from .markup import paragraphs

SOH, STX, ETX = "\x01", "\x02", "\x03"
# Header: service id, sequence number, priority, category, word count, optional keyword.
_HEADER_RE = re.compile(
    r"^\s*(?P<service>[A-Za-z]{1,6})\s*(?P<seq>\d{1,6})\s+(?P<prio>\d)\s+(?P<cat>[A-Za-z]{1,4})"
    r"(?:\s+(?P<words>\d{1,6}))?(?:\s+(?P<rest>.*))?$"
)
_PARA_SPLIT = re.compile(r"\n\s*\n|\n(?=[ \t]{2,}\S)")
_KEYWORD_RE = re.compile(r"^[A-Z0-9ÄÖÜ][\w/.\-ÄÖÜäöüß ]{0,60}$")


class Iptc7901Parser(Parser):
    name = "iptc7901"
    content_types = ("text/vnd.iptc.7901", "application/x-iptc7901")
    priority = 35

    def can_parse(self, doc: ParseInput) -> bool:
        head = doc.head(512).lstrip("\x16\r\n ")
        return (head.startswith(SOH) and STX in doc.head(4096)) or head.startswith("ZCZC")

    def parse(self, doc: ParseInput) -> list[CanonicalArticle]:
        text = doc.text().replace("\r\n", "\n").replace("\r", "\n")
        header = ""
        if STX in text:
            before, _, rest = text.partition(STX)
            header = clean_text(before.replace(SOH, " ").replace("\x16", " "))
            text = rest.split(ETX, 1)[0]
        else:
            # Telex: ZCZC header line, NNNN end.
            text = text.split("ZCZC", 1)[-1]
            header, _, text = text.partition("\n")
            header = clean_text(header)
            text = text.split("NNNN", 1)[0]
        lines = text.split("\n")
        while lines and not lines[0].strip():
            lines.pop(0)
        keyword = None
        # A short all-caps first line is the slug/keyword line, not the headline.
        if len(lines) > 2 and lines[0].strip().isupper() and _KEYWORD_RE.match(lines[0].strip()):
            keyword = clean_text(lines.pop(0))
        while lines and not lines[0].strip():
            lines.pop(0)
        if not lines:
            raise EmptyDocument("wire text has no text between STX and ETX")
        headline = clean_text(lines.pop(0))
        body: tuple[BodyBlock, ...] = paragraphs(_PARA_SPLIT.split("\n".join(lines)))
        match = _HEADER_RE.match(header)
        extra: dict[str, object] = {"header": header}
        guid = None
        if match:
            extra.update({k: v for k, v in match.groupdict().items() if v})
            if match["prio"].isdigit():
                extra["urgency"] = int(match["prio"])
        if keyword:
            extra["slugline"] = keyword
        return [
            build_article(doc, parser=self.name, guid=guid, headline=headline, body=body,
                          extra=extra)
        ]
