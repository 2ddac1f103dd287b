"""Keyphrase extraction with its word and phrase memos held to the plain algorithm."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from itertools import pairwise

import pytest

from services.enrichment import keyphrases
from services.enrichment.doc import Doc, article_text
from services.enrichment.keyphrases import KeyphraseEnricher, phrase_key, tokens
from services.enrichment.stopwords import for_lang
from shared.events import BodyBlock, CanonicalArticle, Keyphrase

pytestmark = pytest.mark.unit


def _plain_extract(doc: Doc, top_k: int = 10) -> list[Keyphrase]:
    """The algorithm without memos: every token classified, every phrase keyed afresh."""
    art, lang = doc.article, doc.lang
    stop, german = for_lang(lang), lang == "de"

    def upper(w: str) -> bool:
        return w[:1].isupper()

    acc: dict[str, float] = {}
    position = 0
    for text, weight in [(art.headline, 3.0), (art.kicker or "", 3.0), (art.teaser or "", 1.5),
                         (" ".join(art.key_points), 1.2), (art.body_text, 1.0)]:
        runs: list[list[str]] = [[]]
        for tok in tokens(text):
            if (tok in keyphrases._BREAK or tok.lower() in stop or tok.isdigit()
                    or len(tok) < 3):
                runs.append([])
            else:
                runs[-1].append(tok)
        for run in filter(None, runs):
            position += 1
            early = weight * (1.0 + 1.0 / math.sqrt(position))
            for w in run:
                if upper(w) or (not german and len(w) >= 5):
                    acc[w] = acc.get(w, 0.0) + early
            for a, b in pairwise(run):
                if not german or upper(b):
                    acc[f"{a} {b}"] = acc.get(f"{a} {b}", 0.0) + early * 1.3
            for a, b, c in zip(run, run[1:], run[2:], strict=False):
                if not german or upper(c):
                    acc[f"{a} {b} {c}"] = acc.get(f"{a} {b} {c}", 0.0) + early * 1.6
    score: dict[str, float] = defaultdict(float)
    surface: dict[str, str] = {}
    for phrase, gain in acc.items():
        key = phrase_key(phrase)
        score[key] += gain
        if key not in surface or len(phrase) < len(surface[key]):
            surface[key] = phrase
    ranked = sorted(((s, k) for k, s in score.items() if s >= 2.5), key=lambda x: (-x[0], x[1]))
    out: list[Keyphrase] = []
    taken: list[str] = []
    top = ranked[0][0] if ranked else 1.0
    for s, key in ranked:
        if any(key in t or t in key for t in taken):
            continue
        taken.append(key)
        out.append(Keyphrase(text=surface[key], score=round(s / top, 3)))
        if len(out) >= top_k:
            break
    return out


def _docs(seed_article: CanonicalArticle) -> list[Doc]:
    rng = random.Random(7)  # noqa: S311 - a fixed sample, not a secret
    paragraphs = list(seed_article.paragraphs)
    english = ("Talks between U.S. envoy Steve Witkoff and President Vladimir Putin in Moscow "
               "ended without a deal, the Kremlin said on Tuesday. Peace talks on Ukraine "
               "continue next week in Geneva, according to officials in Washington.")
    docs = []
    for i in range(12):
        body = rng.sample(paragraphs, k=1 + i % len(paragraphs))
        lang = "en" if i % 3 == 0 else "de"
        if lang == "en":
            body = [english, *body[:1]]
        art = CanonicalArticle(id=f"k{i}", uri=f"k{i}", source="test", format="test",
                               headline=seed_article.headline if i % 2 else body[0][:80],
                               teaser=seed_article.teaser, language=lang,
                               body=tuple(BodyBlock(kind="paragraph", text=p) for p in body))
        docs.append(Doc(article=art, text=article_text(art)))
    return docs


@pytest.mark.parametrize("memo", [100_000, 40])
def test_extract_equals_the_plain_algorithm(seed_article: CanonicalArticle, memo: int,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # A small memo bound makes the word and phrase tables reset between and within articles.
    monkeypatch.setattr(keyphrases, "_MEMO_SIZE", memo)
    enricher = KeyphraseEnricher()
    for _ in range(2):  # cold tables, then warm ones
        for doc in _docs(seed_article):
            assert enricher.extract(doc) == _plain_extract(doc)
