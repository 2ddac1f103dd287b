"""Keyphrases in the article's own language: frequent, early, headline-near content-word runs."""

from __future__ import annotations

import math
import re
from functools import lru_cache
from itertools import pairwise, repeat

from shared.events import Keyphrase

from .doc import Doc
from .stopwords import for_lang

_WORD_RE = re.compile(r"\w+(?:[-'\u2019]\w+)*|[.,;:!?()\"„“”«»]")
_BREAK = frozenset('.,;:!?()"„“”«»')


def tokens(text: str) -> list[str]:
    """_WORD_RE.findall(text), faster: most whitespace-separated chunks are a plain word
    (isalnum() is exactly \\w without "_"), perhaps with a comma or full stop after it."""
    out: list[str] = []
    for chunk in text.split():
        if chunk.isalnum():
            out.append(chunk)
        elif chunk[-1] in _BREAK and chunk[:-1].isalnum():
            out += (chunk[:-1], chunk[-1])
        else:
            out += _WORD_RE.findall(chunk)
    return out


@lru_cache(maxsize=65_536)
def phrase_key(text: str) -> str:
    """Inflection-tolerant key so 'Gespräche'/'Gesprächen' or 'talks'/'talk' count once."""
    words = []
    for word in text.lower().split():
        stem = word
        for suffix in ("en", "es", "e", "s", "n"):
            if len(word) > 5 and word.endswith(suffix):
                stem = word[: -len(suffix)]
                break
        words.append(stem)
    return " ".join(words)


class _PhraseKeys(dict[str, str]):
    """phrase -> phrase_key(phrase), filled on first sight."""

    def __missing__(self, phrase: str) -> str:
        # Not through the lru_cache: this table is the memo here, and a cache insert per new
        # phrase would cost more than it saves.
        key = self[phrase] = phrase_key.__wrapped__(phrase)
        return key


# What a token is to the run builder: a break, a lower-case or a capitalised content word.
_BREAKS, _LOWER, _UPPER, _NEW = 0, 1, 2, 3
_MEMO_SIZE = 100_000
_RUN_RE = re.compile(b"[\x01\x02]+")


class KeyphraseEnricher:
    name = "keyphrases"

    def __init__(self, top_k: int = 10, max_words: int = 3) -> None:
        if not 1 <= max_words <= 3:
            raise ValueError("keyphrases are one to three words long")  # n-grams are unrolled
        self.top_k, self.max_words = top_k, max_words
        # Per (language, token) memo, bounded: the same words come back article after article.
        self._kinds: dict[str, dict[str, int]] = {}
        # Phrase -> key memo, bounded the same way: most of an article's phrases were seen
        # before, and a dict read from C is cheaper than an lru_cache call.
        self._keys = _PhraseKeys()

    def _kind_table(self, lang: str) -> dict[str, int]:
        table = self._kinds.get(lang)
        if table is None or len(table) >= _MEMO_SIZE:
            table = self._kinds[lang] = {}
        return table

    def candidates(self, text: str, lang: str, kinds: dict[str, int]) -> list[list[str]]:
        """Runs of content words between punctuation, stopwords, numbers and short tokens;
        kinds is the language's token table, filled here with the text's new tokens."""
        toks = tokens(text)
        # One byte per token: the runs are the spans of non-zero bytes. Tokens not yet in the
        # table read as _NEW; most texts have none, and then no token set is built.
        marks = bytes(map(kinds.get, toks, repeat(_NEW)))
        if _NEW in marks:
            stop = for_lang(lang)
            for tok in set(toks).difference(kinds):
                if tok in _BREAK or tok.lower() in stop or tok.isdigit() or len(tok) < 3:
                    kinds[tok] = _BREAKS
                else:
                    kinds[tok] = _UPPER if tok[:1].isupper() else _LOWER
            marks = bytes(map(kinds.__getitem__, toks))
        return [toks[m.start():m.end()] for m in _RUN_RE.finditer(marks)]

    def extract(self, doc: Doc) -> list[Keyphrase]:
        art, lang = doc.article, doc.lang
        blocks = [(art.headline, 3.0), (art.kicker or "", 3.0), (art.teaser or "", 1.5),
                  (" ".join(art.key_points), 1.2), (art.body_text, 1.0)]
        # One table for the whole article: were it reset between blocks, the words of the
        # earlier ones would be missing from it below.
        kinds = self._kind_table(lang)
        german = lang == "de"
        # Evidence per surface phrase first; phrases that share a key are merged afterwards.
        acc: dict[str, float] = {}
        get = acc.get
        position = 0
        for text, weight in blocks:
            if not text:
                continue
            for run in self.candidates(text, lang, kinds):
                position += 1
                early = weight * (1.0 + 1.0 / math.sqrt(position))
                # German phrases must end in a noun (capitalised); elsewhere a lone word must
                # be capitalised or at least five letters long.
                for w in run:
                    if kinds[w] == _UPPER or (not german and len(w) >= 5):
                        acc[w] = get(w, 0.0) + early
                if len(run) < 2 or self.max_words < 2:
                    continue
                gain = early * 1.3
                for a, b in pairwise(run):
                    if not german or kinds[b] == _UPPER:
                        phrase = f"{a} {b}"
                        acc[phrase] = get(phrase, 0.0) + gain
                if len(run) < 3 or self.max_words < 3:
                    continue
                gain = early * 1.6
                for a, b, c in zip(run, run[1:], run[2:], strict=False):
                    if not german or kinds[c] == _UPPER:
                        phrase = f"{a} {b} {c}"
                        acc[phrase] = get(phrase, 0.0) + gain
        if len(self._keys) >= _MEMO_SIZE:
            self._keys = _PhraseKeys()
        score: dict[str, float] = {}
        surface: dict[str, str] = {}
        keys = map(self._keys.__getitem__, acc)
        for phrase, key, gain in zip(acc, keys, acc.values(), strict=True):
            if key in score:
                score[key] += gain
                if len(phrase) < len(surface[key]):
                    surface[key] = phrase
            else:
                score[key], surface[key] = gain, phrase
        # A phrase seen once in the body is noise unless the headline carries it.
        ranked = sorted(((s, k) for k, s in score.items() if s >= 2.5), key=lambda x: (-x[0], x[1]))
        out: list[Keyphrase] = []
        taken: list[str] = []
        top = ranked[0][0] if ranked else 1.0
        for s, key in ranked:
            if any(key in t or t in key for t in taken):
                continue  # "witkoff" inside "putin-witkoff-treffen": keep the stronger one only
            taken.append(key)
            out.append(Keyphrase(text=surface[key], score=round(s / top, 3)))
            if len(out) >= self.top_k:
                break
        return out

    def enrich(self, doc: Doc) -> None:
        doc.keyphrases = self.extract(doc)
