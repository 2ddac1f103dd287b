"""fold_text held to its plain definition: NFKD with every combining mark dropped."""

from __future__ import annotations

import random
import unicodedata

import pytest

from services.enrichment.ner.canonical import fold_text
from shared.events import CanonicalArticle

pytestmark = pytest.mark.unit


def _fold_by_definition(text: str) -> str:
    nfkd = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return "".join(ch for ch in nfkd if not unicodedata.combining(ch))


def test_fold_text_equals_its_definition(seed_article: CanonicalArticle) -> None:
    rng = random.Random(5)  # noqa: S311 - a fixed sample, not a secret
    # Marks of many scripts, more distinct ones than the replace path takes, and precomposed
    # letters, ligatures and full-width forms that NFKD decomposes.
    marks = [chr(c) for c in range(0x300, 0x370)] + ["\u0951", "\u05b4", "\u0e49", "\u20d7"]
    letters = [*"aeiouÄÖÜßẞéèçñøłđ ǅ", "\ufb01", "\uff21", "\u2460", "\u0928", "\u05d0", "\u0e01",
               "\u6f22", "\u2014"]
    texts = [seed_article.body_text, seed_article.headline, "", "plain ascii", "Ärzte Ölpreis",
             "Tiếng Việt có dấu", "नमस्ते दुनिया",
             "\ufb01nal \uff33\uff34\uff32\uff21\uff33\uff33\uff25"]
    for n in range(300):
        pool = letters + marks[: 1 + n % len(marks)]
        texts.append("".join(rng.choice(pool) for _ in range(1 + n % 40)))
    for text in texts:
        assert fold_text(text) == _fold_by_definition(text)
