"""Story signature fast paths held to their plain definitions on real text."""

from __future__ import annotations

import random
import re
import zlib
from datetime import UTC, datetime, timedelta

import pytest

from services.enrichment.ner.canonical import fold
from services.enrichment.signature import (
    SKETCH,
    WEIGHTS,
    Probe,
    Signature,
    Similarity,
    _sketch_overlap,
    sketch,
    words_of,
)
from shared.events import CanonicalArticle

pytestmark = pytest.mark.unit


def _overlap_by_definition(a: tuple[int, ...], b: tuple[int, ...], k: int) -> float:
    union = sorted(set(a) | set(b))
    kept = set(union[:k])
    return len(kept & set(a) & set(b)) / len(kept)


def test_sketch_overlap_equals_its_definition(seed_article: CanonicalArticle) -> None:
    rng = random.Random(3)  # noqa: S311 - a fixed sample, not a secret
    paragraphs = list(seed_article.paragraphs)
    words = seed_article.body_text.split()
    sketches = []
    for n in range(40):
        # Shuffled paragraphs (near-duplicates), partial rewrites and short texts of the seed.
        shuffled = rng.sample(paragraphs, k=len(paragraphs))
        sketches.append(sketch(" ".join(shuffled[: 1 + n % len(paragraphs)])))
        start = rng.randrange(len(words))
        sketches.append(sketch(" ".join(words[start:start + 1 + n * 7])))
    sketches += [s[:n] for s in sketches[:10] for n in (1, 5, 40, 63)]
    for a in sketches:
        for b in sketches:
            if a and b:
                assert _sketch_overlap(a, frozenset(a), b, SKETCH) == _overlap_by_definition(
                    a, b, SKETCH)


def test_words_equal_the_word_regex(seed_article: CanonicalArticle) -> None:
    rng = random.Random(4)  # noqa: S311 - a fixed sample, not a secret
    # ASCII, typographic punctuation, letters and digits of other scripts, and underscores.
    pool = [*"ab_Z09 .,-'\t\n", "\u201e", "\u201c", "\u2013", "\u20ac", "\xa0", "\xe9", "\xb2",
            "\u0416", "\u0661", "\u4e2d", "\u3000", "\U0001f600"]
    texts = [seed_article.body_text, fold(seed_article.body_text), "", " ", "a", "\u201e\u201c"]
    texts += ["".join(rng.choice(pool) for _ in range(n % 50)) for n in range(400)]
    for text in texts:
        assert words_of(text) == re.findall(r"\w+", text)


def _sketch_by_definition(text: str, k: int = SKETCH) -> tuple[int, ...]:
    words = re.findall(r"\w+", fold(text))
    shingles = {" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2))}
    return tuple(sorted(zlib.crc32(s.encode()) for s in shingles)[:k])


def test_sketch_equals_its_definition(seed_article: CanonicalArticle) -> None:
    words = seed_article.body_text.split()
    # The seed and its words backwards: over four times k shingles, read through the cut.
    words += words[::-1]
    for n in (0, 1, 2, 3, 10, 64, 66, 200, 257, 300, len(words)):
        text = " ".join(words[:n])
        assert sketch(text) == _sketch_by_definition(text)
    # Short sketches: fewer than four times k shingles, or a small k with many.
    assert sketch(seed_article.body_text, 5) == _sketch_by_definition(seed_article.body_text, 5)


def test_shared_key_weight_from_runs_equals_the_plain_sum() -> None:
    rng = random.Random(5)  # noqa: S311 - a fixed sample, not a secret
    pool = [f"{kind}:{name}{i}" for kind in "klop" for name in ("a", "b") for i in range(8)]
    when = datetime(2026, 1, 20, tzinfo=UTC)
    sigs = [Signature(keys=tuple(rng.sample(pool, rng.randrange(1, 30))), sketch=(1, 2, 3),
                      published=when + timedelta(hours=i), headline_key="h")
            for i in range(60)]
    for a in sigs:
        by_runs, plain = Probe(a), Probe(a)
        plain.runs = False
        plain.weight = {k: WEIGHTS[k[0]] for k in plain.key_set}
        for b in sigs:
            assert by_runs.compare_above(b, 0.0, 0.0) == plain.compare_above(b, 0.0, 0.0)


def test_reasons_name_the_first_six_shared_keys_of_each_kind() -> None:
    shared = tuple(sorted([f"k:phrase{i}" for i in range(8)] + [f"l:place{i}" for i in range(3)]
                          + [f"p:person{i}" for i in range(5)]))
    sim = Similarity(0.5, 0.4, 0.05, 60.0, shared)
    assert sim.reasons() == (
        "shared_entities:" + ",".join([f"place{i}" for i in range(3)]
                                      + [f"person{i}" for i in range(3)]),
        "shared_keyphrases:" + ",".join(f"phrase{i}" for i in range(6)))
