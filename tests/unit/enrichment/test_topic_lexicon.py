"""The top-level lexicon learned from the vocabulary, and German definitions read for nouns."""

from __future__ import annotations

import pytest

from services.enrichment.stopwords import FUNCTION_WORDS
from services.enrichment.topic_lexicon import top_terms
from services.enrichment.topics import _definition_words, build_index
from services.enrichment.vocab import shared_vocabulary

pytestmark = pytest.mark.unit


def test_words_shared_within_one_tree_become_evidence_for_its_top_level() -> None:
    words = {f"s{i}": {"spieler"} for i in range(6)}
    words |= {"s0": {"spieler", "jahr"}, "p1": {"regierung", "jahr"}, "p2": {"regierung", "jahr"},
              "p3": {"wahl"}, "e1": {"markt", "jahr"}}
    top_of = {q: "sport" if q.startswith("s") else "politik" if q.startswith("p") else "wirt"
              for q in words}
    terms = top_terms(words, top_of, weight=1.0)
    assert set(terms["spieler"]) == {"sport"}
    assert set(terms["regierung"]) == {"politik"}
    # Six concepts saturate; two concepts of a smaller tree give less, never nothing.
    assert terms["spieler"]["sport"] > terms["regierung"]["politik"] > 0
    assert "jahr" not in terms  # spread over three trees: no level's word
    assert "markt" not in terms  # one concept only: the concept lexicon's business


def test_the_shipped_index_holds_top_level_postings() -> None:
    index = build_index(shared_vocabulary(), "en")
    assert "medtop:15000000" in dict(index.lookup("players"))  # sport, from many definitions


def test_german_definitions_give_nouns_only() -> None:
    text = "Ein Spiel, bei dem die Spieler jeweils den Ball treffen müssen"
    stop = FUNCTION_WORDS["de"]
    assert _definition_words(text, stop, nouns_only=True) == ["spiel", "spieler", "ball"]
    assert "müssen" in _definition_words(text, stop, nouns_only=False)
