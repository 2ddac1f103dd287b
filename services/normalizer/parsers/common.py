"""Helpers every parser uses to assemble a CanonicalArticle the same way."""

from __future__ import annotations

import html
import json
import math
import re
from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any

from dateutil import parser as dateutil_parser
from pydantic import ValidationError

from services.normalizer.dates import WEEKDAYS_BY_PART, digits_after_space, mentioned_dates
from shared.events import (
    EXTRA_KEEP_DEPTH,
    EXTRA_WALK,
    BodyBlock,
    CanonicalArticle,
    PubStatus,
    Signal,
    Subject,
    text_stats,
    unsafe_keys_within,
)
from shared.ids import article_id
from shared.sanitize import clean_html, clean_text, safe_keys

from .base import EmptyDocument, HostileInput, ParseError, ParseInput

_COMPACT_DT_RE = re.compile(
    r"^(\d{4})(\d{2})(\d{2})T?(\d{2})(\d{2})(\d{2})?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$"
)
_SUBJECT_CODE_RE = re.compile(r"^\d{8}$")
MEDTOP_NAMES = frozenset({"medtop", "mediatopic"})
# Text scanned for mentioned dates is capped: a date deep in a 1 MB body is not worth the time.
_DATE_SCAN_CHARS = 20_000
# Cheap necessary conditions for the patterns of dates.mentioned_dates: a numeric date, a day
# number before a month name ("22. Januar"), a month name before a day number ("May 7"), or a
# preposition before a weekday. Paragraphs with none of them cannot hold a date; skipping them
# makes date resolution several times faster.
_MONTH = r"(?:j[aä]n|feb|m[aä]r|apr|ma[iy]|ju[nl]|aug|sep|o[ck]t|nov|de[cz])"
# Matched on lower-cased text: case-insensitive alternations are several times slower in re.
# The day-month hint opens with its literal dot (the digit before it is checked by a
# lookbehind), which re finds with a plain string search.
_DAY_MONTH_HINT = re.compile(rf"\.(?<=\d\.)(?:\s*{_MONTH}|\d\d?\.\d{{4}})")
# "May 7" is looked for in the reversed text, from each digit that follows whitespace: a reversed
# match is exactly a match of `{_MONTH}[a-zäöü]*\.?\s+\d` in the text, so the paragraphs kept
# are the same.
_MONTH_REVERSED = r"(?:n[aä]j|bef|r[aä]m|rpa|[iy]am|[nl]uj|gua|pes|t[kc]o|von|[zc]ed)"
_MONTH_DAY_HINT_REVERSED = re.compile(rf"\d\s+\.?[a-zäöü]*{_MONTH_REVERSED}")
# Joins paragraphs for one scan, both the hint scan and mentioned_dates: no hint pattern, weekday
# name or date pattern matches across it, so every match lies inside one paragraph, exactly as
# when each is scanned alone.
_SEP = "\x00"


# The only characters nh3 rewrites in escaped text: NUL is dropped, CR becomes LF, NBSP '&nbsp;'.
_NH3_REWRITES = ("\x00", "\r", "\xa0")


def blocks_to_html(blocks: Iterable[BodyBlock]) -> str:
    """Body HTML of plain-text blocks: <p>/<h2> around escaped text.

    Escaped text in fixed tags holds no markup at all, so it is safe by construction; nh3 runs
    only when a text has a character it would rewrite, which keeps the output byte-identical.
    """
    blocks = tuple(blocks)
    # One escape over all texts instead of one per block; NUL separates them unless a text
    # holds one itself, then each is escaped alone.
    joined = "\x00".join([block.text for block in blocks])
    if joined.count("\x00") == max(len(blocks) - 1, 0):
        texts = html.escape(joined, quote=False).split("\x00")
    else:
        texts = [html.escape(block.text, quote=False) for block in blocks]
    rendered = "".join([
        f"<h2>{text}</h2>" if block.kind == "subhead" else f"<p>{text}</p>"
        for block, text in zip(blocks, texts, strict=False)
    ])
    if any(char in rendered for char in _NH3_REWRITES):
        return clean_html(rendered)
    return rendered


# ----------------------------------------------------------------------------- JSON


def _no_constant(_name: str) -> None:
    # NaN and Infinity are not JSON; they would make every later export invalid.
    return None


def parse_json(doc: ParseInput) -> Any:
    """The payload as JSON; typed errors on bad input.

    '$' and '.' keys are neutralised where vendor fields enter the model: build_article's extra.
    """
    try:
        return json.loads(doc.text(), parse_constant=_no_constant)
    except RecursionError as exc:
        raise HostileInput("JSON nesting too deep") from exc
    except ValueError as exc:
        raise ParseError(f"malformed JSON: {exc}") from exc


def looks_like_json(doc: ParseInput) -> bool:
    return doc.head(64).startswith(("{", "["))


# ---------------------------------------------------------------------------- values


def parse_datetime(value: Any, default_tz: tzinfo = UTC) -> datetime | None:
    """An aware datetime from ISO 8601, compact ISO, RFC 822 or free text; naive -> default_tz."""
    if isinstance(value, datetime):
        result = value
    elif not isinstance(value, str) or not value.strip() or len(value) > 64:
        return None
    else:
        result_or_none = _parse_dt_text(value.strip())
        if result_or_none is None:
            return None
        result = result_or_none
    if result.tzinfo is None or result.utcoffset() is None:
        result = result.replace(tzinfo=default_tz)
    try:
        result.astimezone(UTC)  # offsets that push the year out of range fail here
    except (OverflowError, ValueError):
        return None
    return result


def _parse_dt_text(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        pass
    if match := _COMPACT_DT_RE.match(text):
        y, mo, d, h, mi, s, tz = match.groups()
        offset = "+00:00" if tz in (None, "Z") else f"{tz[:3]}:{tz[-2:]}"
        iso = f"{y}-{mo}-{d}T{h}:{mi}:{s or '00'}{offset if tz else ''}"
        try:
            return datetime.fromisoformat(iso)
        except ValueError:
            return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return dateutil_parser.parse(text)
    except (ValueError, OverflowError, TypeError, ArithmeticError):
        return None


def as_version(value: Any) -> int:
    """A source's version as a positive int; anything unreadable is version 1."""
    if isinstance(value, bool):
        return 1
    if isinstance(value, int | float):
        number = int(value) if math.isfinite(value) and abs(value) < 1e12 else 1
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 12:
        number = int(value.strip())
    else:
        return 1
    return max(number, 1)


def pubstatus(value: Any) -> PubStatus:
    """'stat:canceled', 'Canceled', 'cancelled', 'withheld' … -> the contract's pubstatus."""
    text = str(value or "").lower().rsplit(":", 1)[-1].strip()
    if text in {"canceled", "cancelled", "kill", "killed", "withdrawn", "deleted"}:
        return "canceled"
    if text in {"withheld", "embargoed"}:
        return "withheld"
    return "usable"


def status_signals(status: PubStatus, *extra: Signal | None) -> tuple[Signal, ...]:
    found: list[Signal] = [s for s in extra if s]
    if status == "canceled":
        found.append("cancel")
    return tuple(dict.fromkeys(found))


def subject(qcode: str, name: str | None = None, *, relevance: float = 1.0) -> Subject | None:
    """A Subject from a qcode ('medtop:…', 'subj:…') or a bare 8-digit IPTC subject code."""
    if (name is None and type(relevance) is float and relevance == 1.0 and len(qcode) == 8
            and qcode.isascii() and qcode.isdigit()):
        # A bare code (NewsML 1 sends only these): clean_text keeps eight digits as they are,
        # so the pattern, scheme and relevance steps below are known in advance.
        return Subject(qcode=f"subj:{qcode}", name=None, scheme="subj", origin="source",
                       relevance=1.0)
    qcode = clean_text(qcode)
    if not qcode:
        return None
    if _SUBJECT_CODE_RE.match(qcode):
        qcode = f"subj:{qcode}"
    scheme = qcode.split(":", 1)[0].lower() if ":" in qcode else "literal"
    if scheme in MEDTOP_NAMES:
        scheme = "medtop"
        qcode = "medtop:" + qcode.split(":", 1)[1]
    return Subject(
        qcode=qcode, name=clean_text(name) if name else None, scheme=scheme, origin="source",
        relevance=min(max(relevance, 0.0), 1.0),
    )


def dedupe_subjects(items: Iterable[Subject | None]) -> tuple[Subject, ...]:
    seen: dict[str, Subject] = {}
    for item in items:
        if item is not None and item.qcode not in seen:
            seen[item.qcode] = item
    return tuple(seen.values())


def str_or_none(value: Any) -> str | None:
    if isinstance(value, str):
        return clean_text(value) or None
    return None


# --------------------------------------------------------------------------- article


# safe_keys cuts nesting below this depth, so deeper values are rebuilt too.
_SAFE_KEYS_DEPTH = EXTRA_KEEP_DEPTH


def _needs_safe_keys(value: Any) -> bool:
    """True for a '$'/'.'/NUL key anywhere, or nesting deeper than safe_keys keeps."""
    return unsafe_keys_within(value, _SAFE_KEYS_DEPTH) is not False


def neutralise_keys(extra: dict[str, Any]) -> dict[str, Any]:
    """shared.sanitize.safe_keys, but only rebuilt when some key actually needs it."""
    if _needs_safe_keys(extra):
        return dict(safe_keys(extra))
    return extra


def date_text(texts: list[str]) -> str:
    """The text mentioned_dates reads: every paragraph, or only those that can hold a date.

    Paragraphs are joined by _SEP, which no date pattern crosses, so a paragraph's dates do not
    depend on its neighbours and dropping the paragraphs date_candidates drops changes nothing.
    The pre-filter costs nearly as much as mentioned_dates does on the same text (52 against
    65 µs on the AFP sample) and most articles mention a date or weekday in many paragraphs, so
    it is used only where the text would be cut at _DATE_SCAN_CHARS: the cut then keeps the
    paragraphs that can hold a date.
    """
    if sum(map(len, texts)) + len(texts) - 1 <= _DATE_SCAN_CHARS:
        return _SEP.join(texts)
    return date_candidates(texts)


def date_candidates(texts: Iterable[str]) -> str:
    """The paragraphs that can mention a date, joined; order is kept, the rest is dropped."""
    items = list(texts)
    # One lower() over the joined text equals the joined lower-cased paragraphs: the only
    # context-dependent mapping (final sigma) stops at _SEP, which is neither cased nor
    # case-ignorable. lower() never shortens a text, so an unchanged total length means every
    # paragraph kept its length; otherwise each is lower-cased alone to learn where it starts.
    joined = _SEP.join(items).lower()
    lengths = [len(text) for text in items]
    if len(joined) != sum(lengths) + len(items) - 1:
        lows = [text.lower() for text in items]
        joined = _SEP.join(lows)
        lengths = [len(low) for low in lows]
    starts = [0]
    for length in lengths:
        starts.append(starts[-1] + length + 1)
    hits: set[int] = set()

    def mark(pos: int) -> None:
        hits.add(bisect_right(starts, pos) - 1)

    for match in _DAY_MONTH_HINT.finditer(joined):
        mark(match.start())
    end = len(joined) - 1
    digits = digits_after_space(joined)
    if digits is None:
        for match in _MONTH_DAY_HINT_REVERSED.finditer(joined[::-1]):
            mark(end - match.start())
    else:
        # Every reversed match starts at a digit after whitespace; finditer's skipping of digits
        # inside an earlier match loses no paragraph, as a match never leaves its paragraph.
        reversed_text = joined[::-1]
        for pos in digits:
            if _MONTH_DAY_HINT_REVERSED.match(reversed_text, end - pos):
                mark(pos)
    for part, names in WEEKDAYS_BY_PART:
        pos = joined.find(part)
        while pos != -1:
            end = pos + len(part)
            if joined.endswith(names, 0, end):
                mark(pos)
                # One hit per paragraph is enough: go on from the next one.
                pos = joined.find(part, starts[bisect_right(starts, pos)])
            else:
                pos = joined.find(part, end)
    kept: list[str] = []
    size = 0
    for index in sorted(hits):
        if size > _DATE_SCAN_CHARS:
            break
        kept.append(items[index])
        size += len(items[index])
    return _SEP.join(kept)[:_DATE_SCAN_CHARS]


def build_article(
    doc: ParseInput,
    *,
    parser: str,
    headline: str | None,
    body: tuple[BodyBlock, ...] = (),
    guid: str | None = None,
    body_html: str | None = None,
    teaser: str | None = None,
    extra: dict[str, Any] | None = None,
    **fields: Any,
) -> CanonicalArticle:
    """Fill id, uri, stats, sanitised HTML and provenance; parsers give only what they read."""
    headline = clean_text(headline or "")
    teaser = clean_text(teaser) if teaser else None
    guid = clean_text(guid) if guid else None
    if not headline:
        # A wire item without a headline still deserves a label: its first words.
        first = body[0].text if body else (teaser or "")
        headline = " ".join(first.split()[:12])
    if not headline:
        raise EmptyDocument("document has neither a headline nor any body text")
    url = fields.pop("url", None) or doc.url
    stable_id = article_id(doc.source, guid=guid, url=url, headline=headline)
    uri = fields.pop("uri", None) or (guid if guid and ":" in guid else None) or url or stable_id
    rendered = clean_html(body_html) if body_html else blocks_to_html(body)
    if "mentioned_dates" not in fields:
        reference = (
            fields.get("version_created") or fields.get("first_created") or doc.received_at
        )
        fields["mentioned_dates"] = mentioned_dates(
            date_text([headline, teaser or "", *(b.text for b in body)]), reference
        )
    data = dict(
        id=stable_id,
        uri=uri,
        source=doc.source,
        format=parser,
        url=url,
        headline=headline,
        teaser=teaser or None,
        body=body,
        body_html=rendered,
        extra=extra or {},
        received_at=doc.received_at,
        trace_id=doc.trace_id,
        original_id=fields.pop("original_id", None) or guid,
        **text_stats(body, headline, teaser),
        **fields,
    )
    return _validated(data)


def _validated(data: dict[str, Any]) -> CanonicalArticle:
    """CanonicalArticle(**data) with data['extra'] neutralised by neutralise_keys.

    The model's extra validator walks the keys anyway, to the same depth neutralise_keys does;
    it reports its answer here, so the keys are walked once. Only when that answer is "no
    unsafe key, not too deep" is the article kept as is, since neutralise_keys would then have
    returned extra itself; any other answer, or a failed validation, is built again the old
    way, which raises or returns exactly what it always did.
    """
    context: dict[str, Any] = {EXTRA_WALK: None}
    try:
        article = CanonicalArticle.model_validate(data, context=context)
    except ValidationError:
        article = None
    if article is not None and context[EXTRA_WALK] is False:
        return article
    data["extra"] = neutralise_keys(data["extra"])
    return CanonicalArticle(**data)
