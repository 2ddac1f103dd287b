"""Tokenizer with character offsets and a cheap sentence splitter, shared by NER and training."""

from __future__ import annotations

import re
from typing import NamedTuple

# Words keep inner hyphens/apostrophes/dots ("Putin-Witkoff-Treffen", "O'Neill", "U.S."),
# so German compounds stay one token as in GermEval.
_TOKEN_RE = re.compile(r"(?:\w\.){2,}(?=\W|$)|\w+(?:[-'\u2019&]\w+)*|[^\w\s]")
_ABBREV = frozenset({"dr", "st", "nr", "bzw", "ca", "vgl", "z", "b", "u", "mr", "mrs", "ms",
                     "prof", "jr", "sen", "gen", "gov", "etc", "inc", "corp", "co", "ltd"})

_ENDS = frozenset(".?!")


class Token(NamedTuple):
    start: int
    end: int
    text: str


class Sentence(NamedTuple):
    """Words and their start offsets; a word ends at start + len(word)."""

    words: list[str]
    starts: list[int]

    def tokens(self) -> list[Token]:
        return [Token(s, s + len(w), w) for w, s in zip(self.words, self.starts, strict=True)]


def tokenize(text: str) -> list[Token]:
    return [Token(m.start(), m.end(), m.group()) for m in _TOKEN_RE.finditer(text)]


def _ends_sentence(words: list[str], i: int) -> bool:
    word = words[i]
    if word != ".":
        return True  # "?" or "!"
    # A sentence-final dot is its own token (as in the training corpora); after an
    # abbreviation or a day number ("22. Januar") it does not end the sentence.
    if i:
        prev = words[i - 1]
        if prev.lower() in _ABBREV or (prev.isdigit() and len(prev) <= 2):
            return False
    if i + 1 == len(words):
        return True
    nxt = words[i + 1][:1]
    return nxt.isupper() or nxt in "\"„«“"


def sentences(text: str, max_len: int = 80) -> list[Sentence]:
    """Split on sentence punctuation and hard line breaks; cap length to bound CRF cost.
    Words come from findall and offsets from str.find: match objects per token cost more
    than the rest of tagging. Only blanks separate tokens, so find() lands on each one."""
    out: list[Sentence] = []
    find = text.find
    for start, end in _paragraph_spans(text):
        words = _TOKEN_RE.findall(text, start, end)
        starts: list[int] = []
        pos = start
        for w in words:
            pos = find(w, pos)
            starts.append(pos)
            pos += len(w)
        cut = 0
        for i in [i for i, w in enumerate(words) if w in _ENDS]:
            if _ends_sentence(words, i):
                out += _capped(Sentence(words[cut:i + 1], starts[cut:i + 1]), max_len)
                cut = i + 1
        out += _capped(Sentence(words[cut:], starts[cut:]), max_len)
    return out


def _capped(sent: Sentence, max_len: int) -> list[Sentence]:
    words, starts = sent
    if len(words) <= max_len:
        return [sent] if words else []
    return [Sentence(words[a:a + max_len], starts[a:a + max_len])
            for a in range(0, len(words), max_len)]
_BREAKS_RE = re.compile(r"\n+")


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _BREAKS_RE.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans
