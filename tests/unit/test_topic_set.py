"""The labelled topic sets: how a source's classification becomes gold, and what is hidden."""

from __future__ import annotations

import pytest

from benchmarks.topic_set import (
    _labels_index,
    _retired_tops,
    definition_items,
    gold_of,
    hidden,
    topic_items,
    without_fold,
)
from services.enrichment.vocab import shared_vocabulary
from shared.events import Subject

pytestmark = pytest.mark.unit


def test_gold_from_codes_and_names() -> None:
    vocab = shared_vocabulary()
    labels, retired = _labels_index(vocab), _retired_tops(vocab)

    def gold(*subjects: Subject) -> set[str]:
        return set(gold_of(subjects, vocab, labels, retired)[0])

    assert gold(Subject(qcode="medtop:20000062", scheme="medtop")) == {"medtop:16000000"}
    # A top-level Subject Code the spreadsheet does not map keeps its number.
    assert gold(Subject(qcode="subj:16000000", scheme="subj")) == {"medtop:16000000"}
    assert gold(Subject(qcode="http://tt.se/spec/subref/1.0/11000000", scheme="http")) == {
        "medtop:11000000"}
    # Another scheme's subject counts by its name when that is a vocabulary label.
    assert gold(Subject(qcode="dpasubject:1", scheme="dpasubject", name="Sport")) == {
        "medtop:15000000"}
    # Places never give a topic, even if a label shares their name.
    assert gold(Subject(qcode="dpacountry:1", scheme="dpacountry", name="Sport")) == set()


def test_wire_items_hide_the_source_classification_and_are_split_before_tuning() -> None:
    items = topic_items()
    assert len(items) >= 20
    assert all(not i.article.subjects and not i.article.keywords for i in items)
    assert all("slugline" not in i.article.extra for i in items)
    held = [i for i in items if i.held_out]
    assert 0 < len(held) < len(items)


def test_definition_folds_do_not_know_their_own_texts() -> None:
    vocab = shared_vocabulary()
    items = definition_items(vocab, 0)
    blind = without_fold(vocab, 0)
    qcode = items[0].article.uri
    assert vocab.concepts[qcode].labels and not blind.concepts[qcode].labels
    assert not blind.concepts[qcode].definitions
    assert hidden(items[0].article).headline == items[0].article.headline
