"""Tokenizer with character offsets and a cheap sentence splitter, shared by NER and training."""

from __future__ import annotations

import re
from typing import NamedTuple

# Words keep inner hyphens/apostrophes/dots ("Putin-Witkoff-Treffen", "O'Neill", "U.S."),
# so German compounds stay one token as in GermEval.
_TOKEN_RE = re.compile(
    r"\w+(?:[-'\u2019.&]\w+)*\.?(?<=\w\.)(?=\s|$)|\w+(?:[-'\u2019&]\w+)*|[^\w\s]")
_ABBREV = frozenset({"dr", "st", "nr", "bzw", "ca", "vgl", "z", "b", "u", "mr", "mrs", "ms",
                     "prof", "jr", "sen", "gen", "gov", "etc", "inc", "corp", "co", "ltd"})


class Token(NamedTuple):
    start: int
    end: int
    text: str


def tokenize(text: str) -> list[Token]:
    return [Token(m.start(), m.end(), m.group()) for m in _TOKEN_RE.finditer(text)]


def _ends_sentence(tok: Token, nxt: Token | None) -> bool:
    if tok.text in {"?", "!"}:
        return True
    if tok.text != "." and not (tok.text.endswith(".") and len(tok.text) > 1):
        return False
    if tok.text.endswith(".") and tok.text[:-1].lower() in _ABBREV:
        return False
    return nxt is None or nxt.text[:1].isupper() or nxt.text[:1] in "\"„«“"


def sentences(text: str, max_len: int = 80) -> list[list[Token]]:
    """Split on sentence punctuation and hard line breaks; cap length to bound CRF cost."""
    out: list[list[Token]] = []
    for para in _paragraph_spans(text):
        toks = tokenize(text[para[0]:para[1]])
        cur: list[Token] = []
        for i, t in enumerate(toks):
            cur.append(Token(t.start + para[0], t.end + para[0], t.text))
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if _ends_sentence(t, nxt) or len(cur) >= max_len:
                out.append(cur)
                cur = []
        if cur:
            out.append(cur)
    return out


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in re.finditer(r"\n+", text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans
