"""Tokenizer with character offsets and a cheap sentence splitter, shared by NER and training."""

from __future__ import annotations

import re
from bisect import bisect_left
from itertools import accumulate
from typing import NamedTuple

# Words keep inner hyphens/apostrophes/dots ("Putin-Witkoff-Treffen", "O'Neill", "U.S."),
# so German compounds stay one token as in GermEval.
_TOKEN_RE = re.compile(r"(?:\w\.){2,}(?=\W|$)|\w+(?:[-'\u2019&]\w+)*|[^\w\s]")
_SPLIT_RE = re.compile(f"({_TOKEN_RE.pattern})")
_ABBREV = frozenset({"dr", "st", "nr", "bzw", "ca", "vgl", "z", "b", "u", "mr", "mrs", "ms",
                     "prof", "jr", "sen", "gen", "gov", "etc", "inc", "corp", "co", "ltd"})

_ENDS = frozenset(".?!")
_BREAKS_RE = re.compile(r"\n+")


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
    One split of the text gives the tokens and what lies between them, so offsets are
    running sums of their lengths, all in C: match objects or a find() per token cost more
    than the rest of tagging. No token spans a line break, so paragraphs are cuts of the
    one word list."""
    parts = _SPLIT_RE.split(text)  # between, token, between, ..., token, between
    words = parts[1::2]
    starts = list(accumulate(map(len, parts)))[:-1:2]
    out: list[Sentence] = []
    lo = 0
    for hi in [*(bisect_left(starts, m.start()) for m in _BREAKS_RE.finditer(text)),
               len(words)]:
        para, para_starts = words[lo:hi], starts[lo:hi]
        cut = 0
        for i in [i for i, w in enumerate(para) if w in _ENDS]:
            if _ends_sentence(para, i):
                out += _capped(Sentence(para[cut:i + 1], para_starts[cut:i + 1]), max_len)
                cut = i + 1
        out += _capped(Sentence(para[cut:], para_starts[cut:]), max_len)
        lo = hi
    return out


def _capped(sent: Sentence, max_len: int) -> list[Sentence]:
    words, starts = sent
    if len(words) <= max_len:
        return [sent] if words else []
    return [Sentence(words[a:a + max_len], starts[a:a + max_len])
            for a in range(0, len(words), max_len)]
