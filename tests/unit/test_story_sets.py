"""Story-set loaders: labels cover what they claim and the repo stores no Reuters text."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from benchmarks.story_sets import (
    COLUMNS,
    LABELS,
    SPLITS,
    TRAIN_FIRST,
    TRAIN_SECOND,
    TRAIN_THIRD,
    TUNING,
    Split,
    StoryRecord,
    conll_path,
    conll_records,
    detokenise,
    fixture_records,
    read_conll_docs,
    read_labels,
    stats,
)
from tests.conftest import FIXTURES, SHARED

pytestmark = pytest.mark.unit

CONLL = SHARED / "data" / "ner" / "conllpp"
README = FIXTURES / "stories" / "README.md"
KEYS = {"id", "story", "kind", "headline", "body", "lang"}


@pytest.fixture(scope="module")
def records() -> dict[Split, list[StoryRecord]]:
    return {s: conll_records(s, data_dir=CONLL) for s in SPLITS}


def test_every_labelled_index_exists_and_is_labelled_once() -> None:
    labels = read_labels()
    for split in SPLITS:
        n = len(read_conll_docs(conll_path(split, CONLL)))
        docs = [x.doc for x in labels if x.split == split]
        assert len(docs) == len(set(docs)), f"{split}: a document is labelled twice"
        assert all(0 <= d < n for d in docs), f"{split}: label past the {n} documents"


def test_dev_is_fully_covered_and_train_is_a_consecutive_window() -> None:
    labels = read_labels()
    assert len(read_conll_docs(conll_path("dev", CONLL))) == 216
    assert sorted(x.doc for x in labels if x.split == "dev") == list(range(216))
    train = sorted(x.doc for x in labels if x.split == "train")
    assert len(train) >= 300
    assert train == list(range(train[0], train[0] + len(train)))


def _readme_row(split: str) -> list[str]:
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"| `{split}`:"):
            return [c.strip() for c in line.strip("|").split("|")]
    raise AssertionError(f"no README table row for {split}")


@pytest.mark.parametrize("split", sorted(SPLITS))
def test_counts_match_readme(split: Split, records: dict[Split, list[StoryRecord]]) -> None:
    s = stats(conll_records(split, data_dir=CONLL))
    _, docs, stories, multi, pairs, kinds_docs, kinds_stories = _readme_row(split)
    assert int(docs) == s.documents
    assert int(stories) == s.stories
    assert int(multi) == s.multi
    assert int(pairs.split()[0]) == s.pairs
    assert kinds_docs == f"{s.events} / {s.roundups}"
    assert kinds_stories == f"{s.event_stories} / {s.stories - s.event_stories}"
    assert len(records[split]) == s.documents


@pytest.mark.parametrize("split", sorted(SPLITS))
def test_records_have_text_and_one_kind_per_story(
        split: Split, records: dict[Split, list[StoryRecord]]) -> None:
    recs = records[split]
    assert len({r["id"] for r in recs}) == len(recs)
    kinds: dict[str, set[str]] = defaultdict(set)
    for r in recs:
        assert set(r) == KEYS
        assert r["lang"] == "en"
        assert r["headline"].strip(), r["id"]
        assert r["body"].strip(), r["id"]
        assert r["story"].startswith(f"{split}-")
        kinds[r["story"]].add(r["kind"])
    assert all(len(k) == 1 for k in kinds.values()), "a story mixes event and roundup"
    # The story id names its first document, so ids are stable when labels are re-sorted.
    first: dict[str, int] = {}
    for r in recs:
        first.setdefault(r["story"], int(r["id"].rsplit("-", 1)[1]))
    assert all(s == f"{split}-{d:04d}" for s, d in first.items())


def test_train_rounds_tile_the_file_and_the_test_round_is_not_tuned_on() -> None:
    n = len(read_conll_docs(conll_path("train", CONLL)))
    rounds = (TRAIN_FIRST, TRAIN_SECOND, TRAIN_THIRD)
    assert [d for r in rounds for d in r] == list(range(n))
    assert TRAIN_THIRD not in TUNING and set(TUNING) == {TRAIN_FIRST, TRAIN_SECOND}


def test_third_round_counts_match_readme() -> None:
    s = stats(conll_records("train", data_dir=CONLL, docs=TRAIN_THIRD))
    text = " ".join(README.read_text(encoding="utf-8").split())
    claim = (f"{s.documents} documents, {s.stories} stories, {s.multi} multi-document stories, "
             f"{s.pairs} same-story pairs inside the range")
    assert claim in text, claim
    assert f"{s.events} event / {s.roundups} roundup documents" in text


def test_tsv_holds_only_indices_and_labels(records: dict[Split, list[StoryRecord]]) -> None:
    lines = LABELS.read_text(encoding="utf-8").splitlines()
    assert tuple(lines[0].split("\t")) == COLUMNS
    row = re.compile(r"^(dev|train)\t\d+\t(dev|train)-\d{4}\t(event|roundup)$")
    assert all(row.match(x) for x in lines[1:]), "the TSV must carry only the 4 label columns"


def test_no_source_text_is_stored_in_the_fixtures(
        records: dict[Split, list[StoryRecord]]) -> None:
    stored = "\n".join(p.read_text(encoding="utf-8") for p in (FIXTURES / "stories").iterdir()
                       if p.suffix in {".tsv", ".md"})
    stored += Path(__file__).read_text(encoding="utf-8")
    for recs in records.values():
        for r in recs:
            for text in (r["headline"], r["body"][:80]):
                if len(text) >= 30:
                    assert text not in stored, f"source text of {r['id']} copied into the repo"


def test_fixture_records_share_the_shape() -> None:
    recs = fixture_records()
    assert len(recs) == 64
    assert all(set(r) == KEYS and r["kind"] == "event" and r["body"] for r in recs)
    assert {r["lang"] for r in recs} == {"de", "en"}


def test_malformed_label_rows_fail_loudly(tmp_path: Path) -> None:
    bad = tmp_path / "labels.tsv"
    bad.write_text("split\tdoc\tstory\tkind\ndev\t3\tdev-0003\tevent\theadline text\n",
                   encoding="utf-8")
    with pytest.raises(ValueError, match="5 columns"):
        read_labels(bad)
    bad.write_text("split\tdoc\tstory\tkind\ntest\t3\tdev-0003\tevent\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad row"):
        read_labels(bad)


def test_detokenise_glues_punctuation_and_quotes() -> None:
    words = ['Peskov', 'said', '"', 'yes', '"', ',', 'he', 'did', "n't", '(', 'really', ')', '.']
    assert detokenise(words) == 'Peskov said "yes", he didn\'t (really).'
