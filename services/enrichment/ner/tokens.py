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


# Token(...) runs a Python-level __new__; building the tuple directly is the same object, faster.
_new = tuple.__new__


def tokenize(text: str) -> list[Token]:
    return [_new(Token, (m.start(), m.end(), m.group())) for m in _TOKEN_RE.finditer(text)]


def _ends_sentence(tok: Token, prev: Token | None, nxt: Token | None) -> bool:
    if tok.text in {"?", "!"}:
        return True
    if tok.text != ".":
        return False
    # A sentence-final dot is its own token (as in the training corpora); after an
    # abbreviation or a day number ("22. Januar") it does not end the sentence.
    if prev is not None and (prev.text.lower() in _ABBREV or
                             (prev.text.isdigit() and len(prev.text) <= 2)):
        return False
    return nxt is None or nxt.text[:1].isupper() or nxt.text[:1] in "\"„«“"


def sentences(text: str, max_len: int = 80) -> list[list[Token]]:
    """Split on sentence punctuation and hard line breaks; cap length to bound CRF cost."""
    out: list[list[Token]] = []
    for start, end in _paragraph_spans(text):
        toks: list[Token] = [_new(Token, (m.start(), m.end(), m.group()))
                             for m in _TOKEN_RE.finditer(text, start, end)]
        cur: list[Token] = []
        last = len(toks) - 1
        for i, t in enumerate(toks):
            cur.append(t)
            if (t.text in _ENDS and _ends_sentence(t, toks[i - 1] if i else None,
                                                   toks[i + 1] if i < last else None)) \
                    or len(cur) >= max_len:
                out.append(cur)
                cur = []
        if cur:
            out.append(cur)
    return out


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
