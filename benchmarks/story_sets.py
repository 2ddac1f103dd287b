"""Labelled story sets: the hand-written fixture and CoNLL-2003 Reuters documents with labels."""

from __future__ import annotations

import argparse
import csv
import json
import re
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Literal, TypedDict

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "stories"
LABELS = FIXTURES / "conll_stories.tsv"
# Reuters text is research-use only: it is read from ../shared at run time, never copied here.
CONLL_DIR = REPO.parent / "shared" / "data" / "ner" / "conllpp"
Split = Literal["dev", "train"]
Kind = Literal["event", "roundup"]
SPLITS: dict[Split, str] = {"dev": "conllpp_dev.txt", "train": "conllpp_train.txt"}
COLUMNS = ("split", "doc", "story", "kind")
_SPLIT_OF: dict[str, Split] = {"dev": "dev", "train": "train"}
_KIND_OF: dict[str, Kind] = {"event": "event", "roundup": "roundup"}

_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_GLUE_LEFT = re.compile(r" ([.,;:!?%)\]}]|'s|'S|n't|'re|'ve|'ll|'d|'m)(?=\s|$)")
_GLUE_RIGHT = re.compile(r"([(\[{$]) ")
_QUOTE = re.compile(r'" ([^"]*?) "')


class StoryRecord(TypedDict):
    id: str
    story: str
    kind: str
    headline: str
    body: str
    lang: str


@dataclass(frozen=True)
class ConllDoc:
    """One Reuters document: the first sentence is its headline, a dated second its dateline."""

    index: int
    headline: str
    dateline: str
    body: list[str]  # detokenised sentences

    @property
    def text(self) -> str:
        return " ".join(self.body)


@dataclass(frozen=True)
class Label:
    split: Split
    doc: int
    story: str
    kind: Kind


def detokenise(words: list[str]) -> str:
    """Join CoNLL tokens back into readable text (punctuation glued, quotes closed up)."""
    text = " ".join(words)
    text = _GLUE_LEFT.sub(r"\1", text)
    text = _GLUE_RIGHT.sub(r"\1", text)
    return _QUOTE.sub(r'"\1"', text)


def _sentences(path: Path) -> list[list[list[str]]]:
    """Documents as lists of sentences (token lists), split on -DOCSTART- and blank lines."""
    docs: list[list[list[str]]] = []
    sent: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("-DOCSTART-"):
            docs.append([])
            continue
        if not line.strip():
            if sent and docs:
                docs[-1].append(sent)
            sent = []
            continue
        sent.append(line.split(" ", 1)[0])
    if sent and docs:
        docs[-1].append(sent)
    return docs


def read_conll_docs(path: Path) -> list[ConllDoc]:
    """Every document of a CoNLL-2003 file, in file order (index = position, 0-based)."""
    out: list[ConllDoc] = []
    for i, sents in enumerate(_sentences(path)):
        texts = [detokenise(s) for s in sents]
        headline = texts[0] if texts else ""
        lines = sents[1:4]
        # "PLACE 1996-08-22" follows the headline, sometimes after a byline or split in two.
        cut = next((j + 1 for j, s in enumerate(lines) if len(s) <= 12 and _DATE.search(
            texts[j + 1]) and all(len(x) <= 6 for x in lines[:j])), 0)
        dateline = " ".join(texts[1:1 + cut])
        out.append(ConllDoc(index=i, headline=headline, dateline=dateline, body=texts[1 + cut:]))
    return out


def conll_path(split: Split, data_dir: Path = CONLL_DIR) -> Path:
    return data_dir / SPLITS[split]


def read_labels(path: Path = LABELS) -> list[Label]:
    """The label rows; raises ValueError on a malformed row so a bad edit fails loudly."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        header = next(reader)
        if tuple(header) != COLUMNS:
            raise ValueError(f"{path}: header {header}, expected {COLUMNS}")
        out: list[Label] = []
        for n, row in enumerate(reader, start=2):
            if len(row) != len(COLUMNS):
                raise ValueError(f"{path}:{n}: {len(row)} columns, expected {len(COLUMNS)}")
            split, doc, story, kind = row
            if split not in _SPLIT_OF or kind not in _KIND_OF or not doc.isdigit() or not story:
                raise ValueError(f"{path}:{n}: bad row {row}")
            out.append(Label(split=_SPLIT_OF[split], doc=int(doc), story=story,
                             kind=_KIND_OF[kind]))
    return out


# The train labels were made in rounds: the linker's rules were tuned on the first two (the
# second was labelled before that tuning looked at it); the third was labelled blind and is a
# held-out test like dev, never tuned on (see the fixture README).
TRAIN_FIRST = range(335)
TRAIN_SECOND = range(335, 600)
TRAIN_THIRD = range(600, 946)
TUNING = (TRAIN_FIRST, TRAIN_SECOND)


def conll_records(split: Split, labels: Path = LABELS, data_dir: Path = CONLL_DIR,
                  docs: range | None = None) -> list[StoryRecord]:
    """Labelled documents of one split (only those in docs, if given) as story records, in
    document order. A story that crosses the range's ends is cut there."""
    texts = read_conll_docs(conll_path(split, data_dir))
    out: list[StoryRecord] = []
    chosen = (x for x in read_labels(labels)
              if x.split == split and (docs is None or x.doc in docs))
    for lab in sorted(chosen, key=lambda x: x.doc):
        if lab.doc >= len(texts):
            raise ValueError(f"{split} doc {lab.doc} is labelled but the file has {len(texts)}")
        doc = texts[lab.doc]
        body = " ".join(([doc.dateline] if doc.dateline else []) + doc.body)
        out.append(StoryRecord(id=f"conll-{split}-{lab.doc:04d}", story=lab.story,
                               kind=lab.kind, headline=doc.headline, body=body, lang="en"))
    return out


def fixture_records(path: Path = FIXTURES / "stories.jsonl") -> list[StoryRecord]:
    """The project's own 64-article set in the same shape (all of its stories are events)."""
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return [StoryRecord(id=r["id"], story=r["story"], kind="event", headline=r["headline"],
                        body=r["body"], lang=r["lang"]) for r in rows]


@dataclass(frozen=True)
class Stats:
    documents: int
    stories: int
    multi: int  # stories with two or more documents
    pairs: int  # same-story document pairs
    events: int  # documents labelled event
    roundups: int
    event_stories: int


def stats(records: list[StoryRecord]) -> Stats:
    sizes: dict[str, int] = {}
    for r in records:
        sizes[r["story"]] = sizes.get(r["story"], 0) + 1
    pairs = sum(1 for a, b in combinations(records, 2) if a["story"] == b["story"])
    events = sum(r["kind"] == "event" for r in records)
    return Stats(documents=len(records), stories=len(sizes),
                 multi=sum(n > 1 for n in sizes.values()), pairs=pairs, events=events,
                 roundups=len(records) - events,
                 event_stories=len({r["story"] for r in records if r["kind"] == "event"}))


def _show(split: Split, start: int, end: int, chars: int) -> None:
    """Print documents for labelling: index, headline, dateline, start of the body."""
    for doc in read_conll_docs(conll_path(split))[start:end]:
        print(f"[{doc.index}] {doc.headline} | {doc.dateline}")
        print(f"      {doc.text[:chars]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    show = sub.add_parser("show", help="page through a split's documents")
    show.add_argument("split", choices=sorted(SPLITS))
    show.add_argument("start", type=int)
    show.add_argument("end", type=int)
    show.add_argument("--chars", type=int, default=300)
    sub.add_parser("stats", help="label statistics per split")
    args = parser.parse_args(argv)
    if args.cmd == "show":
        _show(args.split, args.start, args.end, args.chars)
        return
    parts: list[tuple[str, Split, range | None]] = [
        ("dev", "dev", None), ("train", "train", None),
        (f"train {TRAIN_FIRST.start}-{TRAIN_FIRST.stop - 1}", "train", TRAIN_FIRST),
        (f"train {TRAIN_SECOND.start}-{TRAIN_SECOND.stop - 1}", "train", TRAIN_SECOND),
        (f"train {TRAIN_THIRD.start}-{TRAIN_THIRD.stop - 1}", "train", TRAIN_THIRD)]
    for name, split, docs in parts:
        s = stats(conll_records(split, docs=docs))
        print(f"{name}: {s.documents} documents, {s.stories} stories, {s.multi} multi-document "
              f"stories, {s.pairs} same-story pairs; documents {s.events} event / {s.roundups} "
              f"roundup; stories {s.event_stories} event / {s.stories - s.event_stories} roundup")


if __name__ == "__main__":
    main()
