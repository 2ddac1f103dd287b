"""NER training pieces: corpus reading, package gazetteers, scoring, gazetteer features."""

from __future__ import annotations

import pytest

from services.enrichment.ner.corpora import _split_token, germeval_split, spans
from services.enrichment.ner.features import build_gazetteer, features_of
from services.enrichment.ner.gazetteers import bundled_gazetteer, merge
from services.enrichment.ner.train import pooled, prf, score, shared_ner_dir

pytestmark = pytest.mark.unit


def test_europeana_tokens_lose_glued_punctuation_but_keep_their_tag() -> None:
    assert _split_token("Berlin,", "B-LOC") == [("Berlin", "B-LOC"), (",", "O")]
    assert _split_token("„Medusa", "B-MISC") == [("„", "O"), ("Medusa", "B-MISC")]
    # An abbreviation's dot inside a name stays in the name.
    assert _split_token("v.", "I-PER") == [("v", "I-PER"), (".", "I-PER")]
    assert _split_token("Sonntag", "O") == [("Sonntag", "O")]


def test_package_gazetteer_knows_german_place_and_person_names() -> None:
    gaz = bundled_gazetteer()
    for word in ("deutschland", "russland", "russlands", "moskau", "ukraine", "bayern"):
        assert "geo" in gaz[word], word
    assert "fn" in gaz["thomas"]
    assert "der" not in gaz and "und" not in gaz


def test_merge_unions_tags() -> None:
    assert merge({"a": "PER"}, {"a": "fn,PER", "b": "geo"}) == {"a": "PER,fn", "b": "geo"}


def test_learned_lists_mark_words_seen_lower_case_mid_sentence() -> None:
    sents = [(["Er", "sagte", "Neues", "."], ["O"] * 4),
             (["Das", "ist", "neues", "Zeug", "neues"], ["O"] * 5),
             (["Ganz", "neues", "."], ["O"] * 3)]
    assert "LC" in build_gazetteer(sents).get("neues", "")


def test_place_adjective_feature() -> None:
    assert "placeadj" in features_of("Berliner", {"berlin": "geo"})[0]
    assert "placeadj" not in features_of("Berliner", {})[0]


def test_scoring_counts_exact_spans_per_type() -> None:
    gold = (["Angela", "Merkel", "in", "Berlin"], ["B-PER", "I-PER", "O", "B-LOC"])
    counts = score(lambda _words: ["B-PER", "O", "O", "B-LOC"], [gold])
    assert counts["LOC"] == [1, 0, 0]
    assert counts["PER"] == [0, 1, 1]
    assert prf(counts["ALL"]) == (0.5, 0.5, 0.5)
    assert pooled([counts, counts])["ALL"] == [2, 2, 2]


def test_germeval_halves_cover_dev_without_overlap() -> None:
    path = shared_ner_dir() / "germeval2014" / "NER-de-dev.tsv"
    a, b = germeval_split(path)
    assert abs(len(a) - len(b)) <= 1
    assert len(a) + len(b) > 2000
    assert all(s[2] in {"PER", "ORG", "LOC", "MISC"} for _, tags in a for s in spans(tags))
