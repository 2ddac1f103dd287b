"""Top-level topic lexicon learned from the vocabulary: words its concepts share within one tree."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Set

# A word must name this many concepts of one top level ("spiel", "team", "gericht") before
# it is evidence for that level; rarer words are the concept lexicon's business.
MIN_CONCEPTS = 2
# Share of a word's concepts that must sit under one top level.
MIN_SHARE = 0.6
# Pseudo-count pulling a word's shares towards the top levels' own sizes.
SMOOTHING = 1.0
# Concepts that make a word full-strength evidence.
SATURATION = 6
TOP_WEIGHT = 0.4


def top_terms(words: Mapping[str, Set[str]], top_of: Mapping[str, str],
              weight: float = TOP_WEIGHT) -> dict[str, dict[str, float]]:
    """Word -> {top level: weight} for words whose concepts (label and definition words, one
    set per concept) cluster under one top level; the weight grows with how many concepts use
    the word and how far its share rises above that level's share of all concepts."""
    size = Counter(top_of[q] for q in words if q in top_of)
    total = sum(size.values())
    if not total:
        return {}
    per_word: dict[str, Counter[str]] = defaultdict(Counter)
    for qcode, stems in words.items():
        top = top_of.get(qcode)
        if top is None:
            continue
        for stem in stems:
            per_word[stem][top] += 1
    out: dict[str, dict[str, float]] = {}
    for stem, tops in per_word.items():
        top, n = tops.most_common(1)[0]
        if n < MIN_CONCEPTS:
            continue
        prior = size[top] / total
        share = (n + SMOOTHING * prior) / (sum(tops.values()) + SMOOTHING)
        if share < MIN_SHARE:
            continue
        lift = (share - prior) / (1.0 - prior)
        out[stem] = {top: round(weight * lift * min(1.0, n / SATURATION), 4)}
    return out
