"""Labelled sets for topic accuracy: source classification mapped to IPTC top levels, hidden."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from services.enrichment.vocab import Vocabulary, default_vocab_path, shared_vocabulary
from services.normalizer.pipeline import normalize
from shared.events import BodyBlock, CanonicalArticle, RawArticle, Subject

REPO = Path(__file__).resolve().parents[1]
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
    how: str  # "medtop", "subject code" or "label": how the gold was read

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


def _labels_index(vocab: Vocabulary) -> dict[str, str]:
    """Every label in every language (casefolded) -> its concept's top level, if unambiguous."""
    seen: dict[str, set[str]] = {}
    for qcode, concept in vocab.concepts.items():
        top = vocab.top_level(qcode)
        if top is None:
            continue
        for label in concept.labels.values():
            seen.setdefault(label.casefold().strip(), set()).add(top)
    return {label: next(iter(tops)) for label, tops in seen.items() if len(tops) == 1}


def gold_of(subjects: Iterable[Subject], vocab: Vocabulary, labels: dict[str, str],
            retired: dict[str, str]) -> tuple[frozenset[str], str]:
    """The top levels a source gave: medtop codes and IPTC Subject Codes; a subject of another
    scheme (or a medtop code the vocabulary lacks) by its name, when that is a vocabulary label
    in any language. `how` names the weakest evidence used."""
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
            names = (s.name, s.qcode if s.scheme == "literal" else None)
            top = next((labels[n.casefold().strip()] for n in names
                        if n and n.casefold().strip() in labels), None)
            kind = "label"
        if top is not None:
            tops.add(top)
            kinds.add(kind)
    how = next((k for k in ("label", "subject code", "medtop") if k in kinds), "")
    return frozenset(tops), how


def hidden(article: CanonicalArticle) -> CanonicalArticle:
    """The article as the classifier must see it: no subjects, keywords, slugline or genre."""
    extra = {k: v for k, v in article.extra.items() if k not in ("slugline", "keyword")}
    return article.model_copy(update={"subjects": (), "keywords": (), "genre": None,
                                      "extra": extra})


def topic_items(vocab: Vocabulary | None = None) -> list[TopicItem]:
    """Distinct shared wire items with text and a source classification that maps to IPTC."""
    vocab = vocab or shared_vocabulary()
    labels, retired = _labels_index(vocab), _retired_tops(vocab)
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
            text = " ".join([art.headline, art.teaser or "", art.body_text])
            if not gold or len(text.split()) < MIN_WORDS:
                continue
            # The same item ships in several format versions; the first path keeps it.
            out.setdefault((art.headline, art.teaser or "", art.body_text),
                           TopicItem(relative, hidden(art), gold, how))
    return list(out.values())


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
    # predicted top level -> (correct, predicted)
    predicted: dict[str, list[int]] | None = None

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0

    def add(self, guess: str | None, gold: frozenset[str]) -> None:
        self.n += 1
        ok = guess is not None and guess in gold
        self.correct += ok
        if guess is not None:
            self.predicted = self.predicted if self.predicted is not None else {}
            counts = self.predicted.setdefault(guess, [0, 0])
            counts[0] += ok
            counts[1] += 1

    def precision_lines(self, vocab: Vocabulary) -> list[str]:
        rows = sorted((self.predicted or {}).items(), key=lambda kv: -kv[1][1])
        return [f"    {vocab.concepts[q].labels.get('en', q)[:40]:40s} "
                f"P={ok / total:.3f} ({ok}/{total})" for q, (ok, total) in rows]
