"""The numpy decoder against crfsuite's own tagger, and the tokenizer's offsets and splits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.enrichment.ner.corpora import read_conll, read_germeval
from services.enrichment.ner.tagger import TaggerSet
from services.enrichment.ner.tokens import _TOKEN_RE, sentences
from services.enrichment.ner.train import shared_ner_dir

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("lang", ["de", "en"])
def test_linear_crf_decodes_exactly_what_crfsuite_decodes(model_dir: Path, lang: str) -> None:
    data = shared_ner_dir()
    sents = (read_germeval(data / "germeval2014" / "NER-de-dev.tsv") if lang == "de"
             else read_conll(data / "conllpp" / "conllpp_dev.txt"))
    words = [w for w, _ in sents][:600]
    tagger = TaggerSet(model_dir).for_lang(lang)
    # Batches of mixed lengths exercise the padding of short sentences in the batch.
    got = [tags for i in range(0, len(words), 37)
           for tags in tagger.tag_sentences(words[i:i + 37])]
    want = [tagger.reference_tags(w) for w in words]
    assert sum(1 for g in got if any(t != "O" for t in g)) > 100  # the sample has entities
    assert got == want


def test_linear_crf_handles_single_words_and_an_empty_batch(model_dir: Path) -> None:
    tagger = TaggerSet(model_dir).for_lang("de")
    assert tagger.tag_sentences([]) == []
    one = [["Merkel"], ["sagte", "in", "Berlin", "etwas", "."]]
    tags = tagger.tag_sentences(one)
    assert tags == [tagger.reference_tags(w) for w in one]
    # An empty sentence inside a batch is padding only: it changes no other sentence's tags.
    assert tagger.tag_sentences([one[0], [], one[1]]) == [tags[0], [], tags[1]]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"aB .?!\n„“22-'x", "Dr.", "Januar"]), max_size=200)
       .map("".join))
def test_sentence_offsets_point_at_their_words(text: str) -> None:
    sents = sentences(text, max_len=7)
    flat = [w for s in sents for w in s.words]
    assert flat == _TOKEN_RE.findall(text)
    for s in sents:
        assert 0 < len(s.words) <= 7
        for tok in s.tokens():
            assert text[tok.start:tok.end] == tok.text


def test_sentences_split_after_ends_but_not_after_abbreviations_or_day_numbers() -> None:
    text = "Am 22. Januar traf Dr. Weber ein. Warum? Niemand weiß es.\nNeue Zeile"
    got = [" ".join(s.words) for s in sentences(text)]
    assert got == ["Am 22 . Januar traf Dr . Weber ein .", "Warum ?", "Niemand weiß es .",
                   "Neue Zeile"]
    assert re.sub(r"\s", "", "".join(got)) == re.sub(r"\s", "", text)
