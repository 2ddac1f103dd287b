"""Keyphrases in the article's own language: frequent, early, headline-near content-word runs."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from functools import lru_cache

from shared.events import Keyphrase

from .doc import Doc
from .stopwords import for_lang

_WORD_RE = re.compile(r"\w+(?:[-'\u2019]\w+)*|[.,;:!?()\"„“”«»]")
_BREAK = frozenset('.,;:!?()"„“”«»')


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


class KeyphraseEnricher:
    name = "keyphrases"

    def __init__(self, top_k: int = 10, max_words: int = 3) -> None:
        self.top_k, self.max_words = top_k, max_words

    def candidates(self, text: str, lang: str) -> list[list[str]]:
        stop = for_lang(lang)
        runs: list[list[str]] = []
        cur: list[str] = []
        for tok in _WORD_RE.findall(text):
            low = tok.lower()
            if tok in _BREAK or low in stop or tok.isdigit() or len(tok) < 3:
                if cur:
                    runs.append(cur)
                cur = []
            elif lang == "de" and not tok[:1].isupper():
                # German content phrases are noun-headed; a lower-case word ends the run
                # unless it is an adjective in front of a noun.
                cur.append(tok)
            else:
                cur.append(tok)
        if cur:
            runs.append(cur)
        return runs

    def extract(self, doc: Doc) -> list[Keyphrase]:
        art, lang = doc.article, doc.lang
        blocks = [(art.headline, 3.0), (art.kicker or "", 3.0), (art.teaser or "", 1.5),
                  (" ".join(art.key_points), 1.2), (art.body_text, 1.0)]
        score: dict[str, float] = defaultdict(float)
        surface: dict[str, str] = {}
        position = 0
        for text, weight in blocks:
            for run in self.candidates(text, lang):
                position += 1
                early = 1.0 + 1.0 / math.sqrt(position)
                for n in range(1, min(self.max_words, len(run)) + 1):
                    for i in range(len(run) - n + 1):
                        words = run[i:i + n]
                        if lang == "de" and not words[-1][:1].isupper():
                            continue
                        if lang != "de" and n == 1 and not words[0][:1].isupper() \
                                and len(words[0]) < 5:
                            continue
                        phrase = " ".join(words)
                        key = phrase_key(phrase)
                        score[key] += weight * early * (1.0 + 0.3 * (n - 1))
                        if key not in surface or len(phrase) < len(surface[key]):
                            surface[key] = phrase
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
