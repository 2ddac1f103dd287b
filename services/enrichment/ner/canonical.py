"""Canonical names within one article: titles stripped, genitives folded, short forms grouped."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from functools import lru_cache
from typing import NamedTuple

from .tagger import Span

# Leading words that describe a role, not the name: "Kremlchef Putin", "US-Präsident Trump".
_TITLE_RE = re.compile(
    r"(chef|chefin|präsident|präsidentin|president|sprecher|sprecherin|minister|ministerin|"
    r"kanzler|kanzlerin|gesandte|gesandter|führer|boss|ceo|senator|gouverneur|governor|"
    r"general|papst|pope|könig|king|queen|prinz|prince|dr\.?|prof\.?|mr\.?|mrs\.?|ms\.?|"
    r"herr|frau|sir|lord|st\.?)$", re.IGNORECASE)
_ORG_GENITIVE = re.compile(r"\w{3}(forum|ministerium|konzern|verband|institut|amt)s$")
_WORD = re.compile(r"\w+")
_TRIM = "\"'„“”«»\u201a\u2018\u2019()[]{}.,;:!? "


class Named(NamedTuple):
    """A name and its canonical form; a tuple, as Span is, for the cost of building it."""

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
NON_ASCII = re.compile(r"[^\x00-\x7f]")
_FEW = 8


def fold_text(text: str) -> str:
    """Case- and accent-insensitive form of any text ('Selenskyj' and 'SELENSKYJ' meet)."""
    nfkd = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    if nfkd.isascii():
        return nfkd
    # Dropping each distinct mark with str.replace is the same as translate, which pays a
    # table lookup per character; European text has a handful of distinct marks at most.
    # Past a few (Vietnamese, Devanagari) one translate pass beats a replace pass per mark.
    marks = [ch for ch in set(NON_ASCII.findall(nfkd)) if _MARKS[ord(ch)] is None]
    if len(marks) > _FEW:
        return nfkd.translate(_MARKS)
    for ch in marks:
        nfkd = nfkd.replace(ch, "")
    return nfkd


@lru_cache(maxsize=65_536)
def _fold_short(name: str) -> str:
    return fold_text(name)


def fold(name: str) -> str:
    """Case- and accent-insensitive key ('Selenskyj' and 'SELENSKYJ' meet). Names are
    memoised; long texts (whole bodies) are not, so the memo stays small."""
    return _fold_short(name) if len(name) <= _SHORT else fold_text(name)


class _Words:
    """Whether a word occurs in the article as a whole \\w+ run, as if in the set of its
    words. An article asks this of a few names, so each is looked up with str.find rather
    than splitting the whole text into a set first."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._seen: dict[str, bool] = {}

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        found = self._seen.get(word)
        if found is None:
            found = self._seen[word] = _WORD.fullmatch(word) is not None and self._bounded(word)
        return found

    def _bounded(self, word: str) -> bool:
        """An occurrence with no word character either side of it."""
        text = self.text
        n, size = len(text), len(word)
        i = text.find(word)
        while i >= 0:
            j = i + size
            if not (i and is_word(text[i - 1])) and not (j < n and is_word(text[j])):
                return True
            i = text.find(word, i + 1)
        return False


def is_word(ch: str) -> bool:
    """The re module's \\w for one character."""
    return ch.isalnum() or ch == "_"


@lru_cache(maxsize=65_536)
def _strip(text: str) -> tuple[tuple[str, ...], int]:
    """Words of a surface without quotes and leading role words, and their start shift;
    memoised, since the same names recur from article to article."""
    shift = len(text) - len(text.lstrip(_TRIM))
    parts = text.strip(_TRIM).split()
    while len(parts) > 1 and (_TITLE_RE.search(parts[0]) or parts[0][:1].islower()):
        shift += len(parts[0]) + 1
        parts = parts[1:]
    return tuple(parts), shift


def clean(span: Span, lang: str, words: _Words | set[str]) -> tuple[str, int]:
    """Surface without role words and genitive s; returns text and its start shift."""
    stripped, shift = _strip(span.text)
    parts = list(stripped)
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
    # (span, surface, start shift, word count, folded last word)
    cleaned: list[tuple[Span, str, int, int, str]] = []
    for s in spans:
        surface, shift = clean(s, lang, words)
        if len(surface) >= 2 and any(c.isalpha() for c in surface):
            parts = surface.split()
            cleaned.append((s, surface, shift, len(parts), fold(parts[-1])))
    # People: a bare surname joins the fullest name that ends with it.
    full_by_last: dict[str, tuple[int, str]] = {}
    for s, surface, _, n_words, last in cleaned:
        if s.type == "PER":
            cur = full_by_last.get(last)
            if cur is None or (n_words, surface) > cur:
                full_by_last[last] = (n_words, surface)
    type_votes: dict[str, Counter[str]] = defaultdict(Counter)
    canon: list[tuple[str, str]] = []
    for s, surface, _, n_words, last in cleaned:
        # A bare surname tagged as a place elsewhere ("Putin" LOC) is still that person.
        person = full_by_last.get(last)
        name = person[1] if person and (s.type == "PER" or n_words == 1) else surface
        key = fold(name)
        canon.append((name, key))
        type_votes[key][s.type] += 1
    # The most voted type, the first voted on a tie (as Counter.most_common(1) picks).
    kinds = {key: "PER" if votes["PER"] else max(votes, key=votes.__getitem__)
             for key, votes in type_votes.items()}
    out: list[Named] = []
    for (s, surface, shift, _, _), (name, key) in zip(cleaned, canon, strict=True):
        start = s.start + shift
        out.append(Named(start, start + len(surface), kinds[key], surface, name))
    return out
