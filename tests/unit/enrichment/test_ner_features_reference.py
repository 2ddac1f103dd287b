"""Fused word featurization and id lookups held to the separate functions they replaced."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.enrichment.ner.features import (
    _ORG_HEADS,
    _PREP_PLACE,
    _ROLE_WORDS,
    Clusters,
    Gazetteer,
    _ends_with,
    _shape,
    features_of,
)
from services.enrichment.ner.tagger import TaggerSet
from services.enrichment.ner.tokens import _TOKEN_RE, sentences
from services.enrichment.ner.viterbi import FloatArray, LinearCrf

from .test_ner_reference import _texts

pytestmark = pytest.mark.unit

_EDGES = ["Putin-Witkoff-Treffen", "US-Präsident", "-", "a-B", "2026", "x²", "B2B", "Ⅻ", "é",
          "Kremlsprecher", "Finanzministerium", "Berliner", "im", "Nachrichtenagentur", "A",
          ".", "", "ǅemal", "O'Neill", "U.S."]


def _clusters(low: str, clusters: Clusters) -> list[str]:
    return [f"k{i}={c}" for i, c in enumerate(clusters.get(low, ()))]


def _word_features(word: str, gaz: Gazetteer, clusters: Clusters | None = None
                   ) -> tuple[str, ...]:
    """A word's own features (features_of()[0]) as the old word_features() gave them."""
    low = word.lower()
    feats = [
        "w=" + low, "s3=" + low[-3:], "s4=" + low[-4:], "s2=" + low[-2:], "s5=" + low[-5:],
        "p3=" + low[:3], "sh=" + _shape(word), "len=" + str(min(len(word), 12) // 3),
    ]
    if word[:1].isupper():
        feats.append("title")
    if word.isupper() and len(word) > 1:
        feats.append("upper")
    if any(c.isdigit() for c in word):
        feats.append("digit")
    if "-" in word:
        head, _, tail = word.rpartition("-")
        feats += ["hyph", "hl=" + tail.lower()[-5:], "hf=" + head.split("-")[0].lower()]
        if tail[:1].isupper():
            feats.append("hlt")
    if len(word) == 1 and not word.isalnum():
        feats.append("punct")
    if _ends_with(low, _ROLE_WORDS):
        feats.append("role")
    if _ends_with(low, _ORG_HEADS) and word[:1].isupper():
        feats.append("orgsuf")
    g = gaz.get(low)
    if g:
        feats += ["gz=" + x for x in g.split(",")]
    feats += _clusters(low, clusters or {})
    if word[:1].isupper() and low.endswith("er") and len(low) > 5:
        stem = gaz.get(low[:-2], "")
        if "LOC" in stem or "geo" in stem:
            feats.append("placeadj")
    return tuple(feats)


def _context_features(word: str, gaz: Gazetteer, clusters: Clusters | None = None
                      ) -> tuple[str, ...]:
    """A neighbour's features (features_of()[1]) as the old context_features() gave them."""
    low = word.lower()
    out = ["w=" + low, "sh=" + _shape(word), "s3=" + low[-3:],
           "t" if word[:1].isupper() else "l"]
    if _ends_with(low, _ROLE_WORDS):
        out.append("role")
    if low in _PREP_PLACE:
        out.append("prep")
    g = gaz.get(low)
    if g:
        out += ["gz=" + x for x in g.split(",")]
    out += _clusters(low, clusters or {})
    return tuple(out)


def test_no_letter_is_a_digit() -> None:
    assert not [c for c in map(chr, range(sys.maxunicode + 1)) if c.isalpha() and c.isdigit()]


@pytest.mark.parametrize("lang", ["de", "en"])
def test_features_equal_the_separate_functions(model_dir: Path, lang: str) -> None:
    featurizer = TaggerSet(model_dir).for_lang(lang).featurizer
    gaz, clusters = featurizer.gaz, featurizer.clusters
    assert clusters
    words = {w for text in _texts() for w in _TOKEN_RE.findall(text)} | set(_EDGES)
    words |= {w.capitalize() + "er" for w in list(gaz)[:5000]}  # place adjectives
    for w in words:
        assert tuple(features_of(w, gaz)[0]) == _word_features(w, gaz), w
        assert tuple(features_of(w, gaz)[1]) == _context_features(w, gaz), w
        assert tuple(features_of(w, gaz, clusters)[0]) == _word_features(w, gaz, clusters), w
        assert tuple(features_of(w, gaz, clusters)[1]) == _context_features(w, gaz, clusters)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=14))
def test_features_equal_the_separate_functions_on_any_word(word: str) -> None:
    gaz = {"berlin": "LOC,geo", word.lower(): "PER,FIRST", "x": "NOUN"}
    assert tuple(features_of(word, gaz)[0]) == _word_features(word, gaz)
    assert tuple(features_of(word, gaz)[1]) == _context_features(word, gaz)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_role_ids_equal_the_prefixed_attribute_lookups(model_dir: Path, lang: str) -> None:
    f = TaggerSet(model_dir).for_lang(lang).crf.featurizer

    def ids(feats: list[str]) -> list[int]:
        return [f.ids[x] for x in feats if x in f.ids]

    words = {w for text in _texts()[:60] for w in _TOKEN_RE.findall(text)} | set(_EDGES)
    for w in words:
        ctx = _context_features(w, f.gaz, f.clusters)
        assert f.roles(w) == (ids(["b", *_word_features(w, f.gaz, f.clusters)]),
                              ids(["-1" + x for x in ctx]), ids(["-2" + ctx[0]]),
                              ids(["+1" + x for x in ctx]), ids(["+2" + ctx[0]])), w


def _emissions(crf: LinearCrf, sents: list[list[str]]) -> FloatArray:
    """emissions() as it was, with one gather per role (word types already in the table)."""
    rows = [crf._index[w] for words in sents for w in words]
    lens = np.array([len(words) for words in sents])
    n_sent, n_tok = len(lens), len(rows)
    at = np.arange(2, n_tok + 2) + 2 * np.repeat(np.arange(n_sent), lens)
    seq = np.zeros(n_tok + 2 * n_sent + 2, dtype=np.intp)
    seq[at] = rows
    table = crf._table
    flat = (table[seq[at], 0] + table[seq[at - 1], 1] + table[seq[at - 2], 2]
            + table[seq[at + 1], 3] + table[seq[at + 2], 4])
    mask = np.arange(int(lens.max())) < lens[:, None]
    emit = np.zeros((mask.shape[1], n_sent, len(crf.labels)))
    emit.transpose(1, 0, 2)[mask] = flat
    emit[0] += crf.bos
    emit[lens - 1, np.arange(n_sent)] += crf.eos
    return np.ascontiguousarray(emit.transpose(0, 2, 1))


@pytest.mark.parametrize("lang", ["de", "en"])
def test_emissions_equal_the_per_role_gathers(model_dir: Path, lang: str) -> None:
    crf = TaggerSet(model_dir).for_lang(lang).crf
    for text in [*_texts()[:30], "Putin .", "A"]:
        sents = [s.words for s in sentences(text)]
        scores, _, _ = crf.emissions(sents)
        assert np.array_equal(scores, _emissions(crf, sents))
