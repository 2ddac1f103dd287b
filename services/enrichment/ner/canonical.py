"""Canonical names within one article: titles stripped, genitives folded, short forms grouped."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache

from .tagger import Span

# Leading words that describe a role, not the name: "Kremlchef Putin", "US-Präsident Trump".
_TITLE_RE = re.compile(
    r"(chef|chefin|präsident|präsidentin|president|sprecher|sprecherin|minister|ministerin|"
    r"kanzler|kanzlerin|gesandte|gesandter|führer|boss|ceo|senator|gouverneur|governor|"
    r"general|papst|pope|könig|king|queen|prinz|prince|dr\.?|prof\.?|mr\.?|mrs\.?|ms\.?|"
    r"herr|frau|sir|lord|st\.?)$", re.IGNORECASE)
_ORG_GENITIVE = re.compile(r"\w{3}(forum|ministerium|konzern|verband|institut|amt)s$")
_TRIM = "\"'„“”«»\u201a\u2018\u2019()[]{}.,;:!? "


@dataclass(frozen=True)
class Named:
    start: int
    end: int
    type: str
    text: str
    canonical: str


class _Marks(dict[int, int | None]):
    """str.translate table: combining marks map to None (dropped), every other character to
    itself; filled on first sight of a character, so after warm-up translate stays in C."""

    def __missing__(self, code: int) -> int | None:
        out = None if unicodedata.combining(chr(code)) else code
        self[code] = out
        return out


_MARKS = _Marks()
_SHORT = 64


def fold_text(text: str) -> str:
    """Case- and accent-insensitive form of any text ('Selenskyj' and 'SELENSKYJ' meet)."""
    nfkd = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return nfkd if nfkd.isascii() else nfkd.translate(_MARKS)


@lru_cache(maxsize=65_536)
def _fold_short(name: str) -> str:
    return fold_text(name)


def fold(name: str) -> str:
    """Case- and accent-insensitive key ('Selenskyj' and 'SELENSKYJ' meet). Names are
    memoised; long texts (whole bodies) are not, so the memo stays small."""
    return _fold_short(name) if len(name) <= _SHORT else fold_text(name)


class _Words:
    """The article's word set, built only when a genitive check first needs it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._set: set[str] | None = None

    def __contains__(self, word: object) -> bool:
        if self._set is None:
            self._set = set(re.findall(r"\w+", self.text))
        return word in self._set


def clean(span: Span, lang: str, words: _Words | set[str]) -> tuple[str, int]:
    """Surface without role words and genitive s; returns text and its start shift."""
    text = span.text
    shift = len(text) - len(text.lstrip(_TRIM))
    text = text.strip(_TRIM)
    parts = text.split()
    while len(parts) > 1 and (_TITLE_RE.search(parts[0]) or parts[0][:1].islower()):
        shift += len(parts[0]) + 1
        parts = parts[1:]
    if lang == "de" and span.type in {"PER", "LOC"} and parts:
        last = parts[-1]
        if len(last) > 3 and last.endswith("s") and (last[:-1] in words or
                                                     last.endswith(("lands", "reichs"))):
            parts[-1] = last[:-1]
    if lang == "de" and span.type == "ORG" and parts and _ORG_GENITIVE.search(parts[-1]):
        parts[-1] = parts[-1][:-1]  # "des Weltwirtschaftsforums" -> "Weltwirtschaftsforum"
    return " ".join(parts), shift


def canonicalize(spans: list[Span], text: str, lang: str) -> list[Named]:
    words = _Words(text)
    cleaned: list[tuple[Span, str, int]] = []
    for s in spans:
        surface, shift = clean(s, lang, words)
        if len(surface) >= 2 and any(c.isalpha() for c in surface):
            cleaned.append((s, surface, shift))
    # People: a bare surname joins the fullest name that ends with it.
    full_by_last: dict[str, str] = {}
    for s, surface, _ in cleaned:
        if s.type == "PER":
            key = fold(surface.split()[-1])
            cur = full_by_last.get(key)
            if cur is None or (len(surface.split()), surface) > (len(cur.split()), cur):
                full_by_last[key] = surface
    type_votes: dict[str, Counter[str]] = defaultdict(Counter)
    canon: dict[int, str] = {}
    for i, (s, surface, _) in enumerate(cleaned):
        # A bare surname tagged as a place elsewhere ("Putin" LOC) is still that person.
        person = full_by_last.get(fold(surface.split()[-1]))
        name = person if person and (s.type == "PER" or len(surface.split()) == 1) \
            else surface
        canon[i] = name
        type_votes[fold(name)][s.type] += 1
    out: list[Named] = []
    for i, (s, surface, shift) in enumerate(cleaned):
        votes = type_votes[fold(canon[i])]
        kind = "PER" if votes["PER"] else votes.most_common(1)[0][0]
        start = s.start + shift
        out.append(Named(start, start + len(surface), kind, surface, canon[i]))
    return out
