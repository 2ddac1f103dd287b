"""Labelled sets for topic accuracy: source classification mapped to IPTC top levels, hidden."""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from services.enrichment.doc import Doc, Enricher, article_text  # noqa: E402
from services.enrichment.language import LanguageEnricher  # noqa: E402
from services.enrichment.topics import TopicEnricher  # noqa: E402
from services.enrichment.vocab import (  # noqa: E402
    Vocabulary,
    default_vocab_path,
    shared_vocabulary,
)
from services.normalizer.pipeline import normalize  # noqa: E402
from shared.events import BodyBlock, CanonicalArticle, RawArticle, Subject  # noqa: E402

WIRES = REPO.parent / "shared" / "data" / "wires"
T0 = datetime(2026, 1, 20, 8, 0, tzinfo=UTC)
# Geography and bookkeeping schemes name places, leagues or feeds, never a topic.
_NOT_TOPICS = ("country", "area", "geo", "gycon", "gyimeid", "league", "conf", "event",
               "team", "spct", "file")
# Fewer words than this is a caption or a bare name ("Caroline Kennedy"), not an article.
MIN_WORDS = 12


@dataclass(frozen=True)
class TopicItem:
    """One wire item with its source classification removed and the top levels it gave."""

    path: str
    article: CanonicalArticle
    gold: frozenset[str]
    how: str  # "medtop", "subject code", "label", "keyword" or "section": how gold was read

    @property
    def held_out(self) -> bool:
        """Half of the files by hash of the path, chosen before any tuning; never tuned on."""
        return hashlib.sha1(self.path.encode(), usedforsecurity=False).digest()[0] % 2 == 0


def _top_of_subject_code(vocab: Vocabulary, code: str) -> str | None:
    mapped = vocab.from_subject_code(code)
    if mapped:
        return vocab.top_level(mapped)
    # Top-level Subject Codes whose Media Topic keeps the number (16000000 unrest, conflicts
    # and war -> medtop:16000000) are missing from the spreadsheet's mapping column.
    digits = code.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    if digits.isdigit() and len(digits) == 8:
        top = f"medtop:{digits[:2]}000000"
        concept = vocab.concepts.get(top)
        if concept is not None and concept.level == 1:
            return top
    return None


def _retired_tops(vocab: Vocabulary) -> dict[str, str]:
    """Retired Media Topics (sources still send them) -> the top level of their parent chain."""
    raw = json.loads(default_vocab_path().read_text(encoding="utf-8"))
    parents = {c["qcode"]: c["parent"] for c in raw}
    out: dict[str, str] = {}
    for c in raw:
        if not c.get("retired"):
            continue
        node = c["parent"]
        while node is not None and node not in vocab.concepts:
            node = parents.get(node)
        top = vocab.top_level(node) if node else None
        if top is not None:
            out[c["qcode"]] = top
    return out


def _labels_index(vocab: Vocabulary, max_level: int = 6) -> dict[str, str]:
    """Every label in every language (casefolded) of a concept at max_level or above -> its
    concept's top level, if unambiguous."""
    seen: dict[str, set[str]] = {}
    for qcode, concept in vocab.concepts.items():
        top = vocab.top_level(qcode)
        if top is None or concept.level > max_level:
            continue
        for label in concept.labels.values():
            seen.setdefault(label.casefold().strip(), set()).add(top)
    return {label: next(iter(tops)) for label, tops in seen.items() if len(tops) == 1}


# Other schemes join topics in one name ("Government and politics", "Restaurant/Bar").
_NAME_PARTS = re.compile(r"\s*(?:,|/|&|\band\b|\bund\b|\bet\b|\boch\b|\bog\b)\s*")


def _top_of_name(name: str | None, labels: dict[str, str]) -> str | None:
    """The top level of a name that is a vocabulary label, else of its first part that is."""
    if not name:
        return None
    key = name.casefold().strip()
    if key in labels:
        return labels[key]
    return next((labels[p] for p in _NAME_PARTS.split(key) if p in labels), None)


def gold_of(subjects: Iterable[Subject], vocab: Vocabulary, labels: dict[str, str],
            retired: dict[str, str]) -> tuple[frozenset[str], str]:
    """The top levels a source gave: medtop codes and IPTC Subject Codes; a subject of another
    scheme (or a medtop code the vocabulary lacks) by its name or a part of it, when that is a
    vocabulary label in any language. `how` names the weakest evidence used."""
    tops: set[str] = set()
    kinds: set[str] = set()
    for s in subjects:
        if any(x in s.scheme for x in _NOT_TOPICS):
            continue
        top = None
        if s.scheme == "medtop" and (s.qcode in vocab.concepts or s.qcode in retired):
            top, kind = retired.get(s.qcode) or vocab.top_level(s.qcode), "medtop"
        elif s.scheme == "subj" or "/subjectcode/" in s.qcode or "/subref/" in s.qcode:
            top, kind = _top_of_subject_code(vocab, s.qcode), "subject code"
        if top is None:
            top = _top_of_name(s.name, labels) or (
                _top_of_name(s.qcode, labels) if s.scheme == "literal" else None)
            kind = "label"
        if top is not None:
            tops.add(top)
            kinds.add(kind)
    how = next((k for k in ("label", "subject code", "medtop") if k in kinds), "")
    return frozenset(tops), how


def gold_of_keywords(keywords: Iterable[str], broad: dict[str, str]) -> frozenset[str]:
    """Free keywords and feed categories ("Politics") as topics, only where one is the label of
    a broad concept (levels 1-2): a narrower match is often another sense ("Männer" on a
    Bundesliga table names the men's league, not the society topic 'men')."""
    return frozenset(top for k in keywords if (top := broad.get(k.casefold().strip())))


def hidden(article: CanonicalArticle) -> CanonicalArticle:
    """The article as the classifier must see it: no subjects, keywords, slugline or genre."""
    extra = {k: v for k, v in article.extra.items()
             if k not in ("slugline", "keyword", "categories", "section")}
    return article.model_copy(update={"subjects": (), "keywords": (), "genre": None,
                                      "extra": extra})


def topic_items(vocab: Vocabulary | None = None) -> list[TopicItem]:
    """Distinct shared wire items with text and a source classification that maps to IPTC."""
    vocab = vocab or shared_vocabulary()
    labels, retired, broad = _labels_index(vocab), _retired_tops(vocab), _labels_index(vocab, 2)
    out: dict[tuple[str, str, str], TopicItem] = {}
    for path in sorted(WIRES.rglob("*")):
        if not path.is_file() or "should_fail" in path.parts:
            continue
        relative = str(path.relative_to(WIRES))
        raw = RawArticle(id=f"bench:{relative}", source="bench", received_at=T0,
                         payload=path.read_bytes(), trace_id="bench")
        try:
            _, articles = normalize(raw, max_bytes=20 * 1024 * 1024)
        except Exception:  # noqa: BLE001, S112 - unparseable samples are not topic samples
            continue
        for art in articles:
            gold, how = gold_of(art.subjects, vocab, labels, retired)
            if not gold:
                gold, how = gold_of_keywords(art.keywords, broad), "keyword"
            text = " ".join([art.headline, art.teaser or "", art.body_text])
            if not gold or len(text.split()) < MIN_WORDS:
                continue
            # The same item ships in several format versions; the first path keeps it.
            out.setdefault((art.headline, art.teaser or "", art.body_text),
                           TopicItem(relative, hidden(art), gold, how))
    return list(out.values())


PAGES = REPO.parent / "shared" / "data" / "extraction" / "trafilatura-eval"


def page_items(vocab: Vocabulary | None = None) -> list[TopicItem]:
    """Web pages of the shared extraction set whose site files them under a section that is a
    vocabulary label ("Politik", "Fußball", "Health"), or whose keywords name a broad topic;
    section and keywords hidden. Same held-out rule as the wires (hash of the path)."""
    vocab = vocab or shared_vocabulary()
    labels, broad = _labels_index(vocab), _labels_index(vocab, 2)
    out: dict[str, TopicItem] = {}
    for path in sorted(PAGES.glob("*/*.html")):
        for item in page_item(path, labels, broad):
            out.setdefault(item.article.body_text, item)
    return list(out.values())


def page_item(path: Path, labels: dict[str, str], broad: dict[str, str]) -> list[TopicItem]:
    relative = f"pages/{path.relative_to(PAGES)}"
    raw = RawArticle(id=f"bench:{relative}", source="bench", received_at=T0,
                     content_type="text/html", payload=path.read_bytes(), trace_id="bench")
    try:
        _, articles = normalize(raw, max_bytes=20 * 1024 * 1024)
    except Exception:  # noqa: BLE001 - a page no parser takes is no topic sample
        return []
    out = []
    for art in articles:
        section = art.extra.get("section")
        sections = section if isinstance(section, list) else [section]
        gold = frozenset(top for name in sections if isinstance(name, str)
                         if (top := _top_of_name(name, labels)))
        how = "section"
        if not gold:
            gold, how = gold_of_keywords(art.keywords, broad), "keyword"
        if gold and len(art.body_text.split()) >= MIN_WORDS:
            out.append(TopicItem(relative, hidden(art), gold, how))
    return out


# ------------------------------------------------------------------ vocabulary definitions

# Definition languages the classifier reads (zh and ar are not word-tokenisable by it), and
# the article language each key stands for; en-GB and en-US repeat en.
DEFINITION_LANGS = {"en": "en", "de": "de", "fr": "fr", "es": "es", "sv": "sv", "da": "da",
                    "nb": "nb", "nn": "nn", "pt-PT": "pt"}
FOLDS = 4


def concept_fold(qcode: str) -> int:
    """Fold 0 is held out (never tuned on); folds 1-3 are for tuning."""
    return hashlib.sha1(qcode.encode(), usedforsecurity=False).digest()[0] % FOLDS


def without_fold(vocab: Vocabulary, fold: int) -> Vocabulary:
    """The vocabulary with one fold's labels and definitions removed (its concepts stay, so
    the tree is whole): what a classifier knows when that fold's texts are unseen."""
    return Vocabulary([
        replace(c, labels={}, definitions={}) if concept_fold(q) == fold else c
        for q, c in vocab.concepts.items()
    ])


def definition_items(vocab: Vocabulary, fold: int) -> list[TopicItem]:
    """Each concept of the fold below the top level: its label as headline, its definition as
    the body, once per language, labelled with its top level."""
    out: list[TopicItem] = []
    for qcode, concept in sorted(vocab.concepts.items()):
        top = vocab.top_level(qcode)
        if concept.level < 2 or top is None or concept_fold(qcode) != fold:
            continue
        for key, lang in DEFINITION_LANGS.items():
            definition = concept.definitions.get(key)
            label = concept.labels.get(key)
            if not definition or not label:
                continue
            art = CanonicalArticle(id=f"{qcode}/{key}", uri=qcode, source="vocab", format="vocab",
                                   headline=label, language=lang,
                                   body=(BodyBlock(kind="paragraph", text=definition),))
            out.append(TopicItem(f"vocab:{qcode}/{key}", art, frozenset({top}), "definition"))
    return out


# ------------------------------------------------------------------ scoring


@dataclass
class TopicScore:
    n: int = 0
    correct: int = 0
    # top level -> [correct guesses, guesses, items whose gold has it]
    per_top: dict[str, list[int]] = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0

    def add(self, guess: str | None, gold: frozenset[str]) -> None:
        self.n += 1
        ok = guess is not None and guess in gold
        self.correct += ok
        if guess is not None:
            counts = self.per_top.setdefault(guess, [0, 0, 0])
            counts[0] += ok
            counts[1] += 1
        for top in gold:
            self.per_top.setdefault(top, [0, 0, 0])[2] += 1

    def merged(self, other: TopicScore) -> TopicScore:
        out = TopicScore(self.n + other.n, self.correct + other.correct)
        for part in (self, other):
            for top, counts in part.per_top.items():
                mine = out.per_top.setdefault(top, [0, 0, 0])
                for k in range(3):
                    mine[k] += counts[k]
        return out

    def precision_lines(self, vocab: Vocabulary) -> list[str]:
        """Per top level: precision of its guesses, and recall over the items whose gold has it
        (an item with two gold levels and one guess can count for only one)."""
        rows = sorted(self.per_top.items(), key=lambda kv: (-kv[1][2], -kv[1][1], kv[0]))
        return [f"    {vocab.concepts[q].labels.get('en', q)[:40]:40s} "
                f"P={ok / guessed if guessed else 0:.3f} ({ok}/{guessed})  "
                f"R={ok / gold if gold else 0:.3f} ({ok}/{gold})"
                for q, (ok, guessed, gold) in rows]


def top_guess(classifier: TopicEnricher, doc: Doc) -> str | None:
    """The classifier's leading top level, or None where it gives none."""
    vocab = classifier.vocab
    machine = [s for s in classifier.classify(doc) if vocab.concepts[s.qcode].level == 1]
    return machine[0].qcode if machine else None


def _count_line(items: list[TopicItem], vocab: Vocabulary) -> str:
    counts = Counter(vocab.concepts[top].labels.get("en", top).split(",")[0]
                     for item in items for top in item.gold)
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def score_items(items: list[TopicItem], classifier: TopicEnricher,
                language: Enricher) -> TopicScore:
    result = TopicScore()
    for item in items:
        doc = Doc(article=item.article, text=article_text(item.article))
        language.enrich(doc)  # the language the pipeline would detect on this text
        result.add(top_guess(classifier, doc), item.gold)
    return result


def report(language: Enricher, splits: tuple[str, ...] = ("tuning", "held-out")) -> None:
    """Top-level accuracy with the source's classification hidden: shared wire items and web
    pages filed under a topic section, each split by path hash; the vocabulary's definitions in
    concept folds (each classified by a vocabulary without its fold). Tuning runs pass
    splits=("tuning",) and never see a held-out figure."""
    vocab = shared_vocabulary()
    classifier = TopicEnricher(vocab, hide_source=True)
    sets = {"wire items": topic_items(vocab), "web pages with a topic section": page_items(vocab)}
    print("Topics: top-level accuracy, source subjects/keywords/slugline/section hidden")
    totals: dict[str, TopicScore] = {}
    for name, items in sets.items():
        for split in splits:
            part = [i for i in items if i.held_out == (split == "held-out")]
            result = score_items(part, classifier, language)
            totals[split] = totals.get(split, TopicScore()).merged(result)
            print(f"  {name}, {split}: {result.correct}/{result.n} = {result.accuracy:.3f}"
                  f"  (gold: {_count_line(part, vocab)})")
    for split, result in totals.items():
        print(f"  wire items and pages, {split}: {result.correct}/{result.n} = "
              f"{result.accuracy:.3f}; per top level:")
        print("\n".join(result.precision_lines(vocab)))
    for fold in range(FOLDS):
        split = "held-out" if fold == 0 else "tuning"
        if split not in splits:
            continue
        blind = TopicEnricher(without_fold(vocab, fold), hide_source=True)
        result = TopicScore()
        for item in definition_items(vocab, fold):
            doc = Doc(article=item.article, text=article_text(item.article))
            result.add(top_guess(blind, doc), item.gold)
        totals[f"def {split}"] = totals.get(f"def {split}", TopicScore()).merged(result)
    for split in splits:
        result = totals[f"def {split}"]
        folds = "fold 0" if split == "held-out" else "folds 1-3"
        print(f"  vocabulary definitions (9 languages), {split} {folds}: "
              f"{result.correct}/{result.n} = {result.accuracy:.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", action="append", choices=["tuning", "held-out"],
                        help="splits to score (default: both; tune with --split tuning)")
    args = parser.parse_args()
    report(LanguageEnricher(), tuple(args.split or ("tuning", "held-out")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
