"""The labelled topic sets: how a source's classification becomes gold, and what is hidden."""

from __future__ import annotations

import pytest

from benchmarks.topic_set import (
    PAGES,
    TopicScore,
    _labels_index,
    _retired_tops,
    definition_items,
    gold_of,
    gold_of_keywords,
    hidden,
    page_item,
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
    # A name joining topics counts by a part that is a label ("politics").
    assert gold(Subject(qcode="http://cv.ap.org/id/1", scheme="http",
                        name="Government and politics")) == {"medtop:11000000"}
    assert gold(Subject(qcode="x:1", scheme="x", name="Political News")) == set()
    # Places never give a topic, even if a label shares their name.
    assert gold(Subject(qcode="dpacountry:1", scheme="dpacountry", name="Sport")) == set()


def test_keywords_count_only_as_broad_topics() -> None:
    broad = _labels_index(shared_vocabulary(), 2)
    assert gold_of_keywords(["Politics", "Ergebnisse"], broad) == {"medtop:11000000"}
    # "Männer" is the label of the society concept 'men' (level 3): on a Bundesliga table
    # it names the men's league, so narrow labels in free keywords give no gold.
    assert gold_of_keywords(["Bundesliga", "Männer"], broad) == frozenset()


def test_a_page_filed_under_a_section_is_labelled_by_it_and_the_section_hidden() -> None:
    vocab = shared_vocabulary()
    items = page_item(PAGES / "eval" / "fr.de.nordkorea.html", _labels_index(vocab),
                      _labels_index(vocab, 2))
    assert [i.gold for i in items] == [{"medtop:11000000"}]  # section "Politik"
    assert items[0].how == "section" and "section" not in items[0].article.extra
    assert not items[0].article.keywords


def test_score_counts_precision_and_recall_per_top_level() -> None:
    score = TopicScore()
    score.add("medtop:11000000", frozenset({"medtop:11000000", "medtop:04000000"}))
    score.add("medtop:11000000", frozenset({"medtop:15000000"}))
    score.add(None, frozenset({"medtop:15000000"}))
    assert (score.correct, score.n) == (1, 3)
    assert score.per_top["medtop:11000000"] == [1, 2, 1]  # right, guessed, in gold
    assert score.per_top["medtop:15000000"] == [0, 0, 2]
    merged = score.merged(score)
    assert merged.per_top["medtop:04000000"] == [0, 0, 2] and merged.n == 6


def test_wire_items_hide_the_source_classification_and_are_split_before_tuning() -> None:
    items = topic_items()
    assert len(items) >= 27
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
