"""IPTC Media Topic tagging: multilingual lexical scoring of vocabulary labels and curated cues."""

from __future__ import annotations

import math
import re
from collections import defaultdict

from shared.events import Subject

from .cues import CUES
from .doc import Doc
from .stopwords import STOPWORDS
from .vocab import Vocabulary, normalize_qcode, shared_vocabulary

_WORD_RE = re.compile(r"\w+(?:-\w+)*")
_STOP = frozenset(("and", "und", "et", "y", "e", "other", "sonstige", "autres", "otros", "altri",
                   "general", "allgemein", "général", "the", "der", "die", "das", "les", "los",
                   "gli", "des", "del", "della", "von", "of", "de", "di"))
# How many letters a word may carry beyond a stem ("krieg" -> "kriegen", "kriegs").
_INFLECTION = 3
_MIN_TAIL = 5
LABEL_WEIGHT = 1.0
CUE_WEIGHT = 1.5
HEAD_BOOST = 2.0


def _fold(word: str) -> str:
    return word.lower().replace("ß", "ss")


class TermIndex:
    """Stem -> [(qcode, weight)]; lookups by word prefix and by German compound tail."""

    def __init__(self) -> None:
        self.terms: dict[str, dict[str, float]] = defaultdict(dict)
        self._memo: dict[tuple[str, bool], dict[str, float]] = {}

    def add(self, term: str, qcode: str, weight: float) -> None:
        term = _fold(term)
        cur = self.terms[term].get(qcode, 0.0)
        self.terms[term][qcode] = max(cur, weight)

    def finish(self) -> None:
        # A term shared by many concepts says little about any one of them.
        for postings in self.terms.values():
            damp = 1.0 / math.sqrt(len(postings))
            for q in postings:
                postings[q] *= damp

    def match(self, word: str, compounds: bool) -> dict[str, float]:
        """Memoised (bounded): the same words come back article after article."""
        key = (word, compounds)
        hit = self._memo.get(key)
        if hit is None:
            if len(self._memo) >= 100_000:
                self._memo.clear()
            hit = self._memo[key] = self._match(word, compounds)
        return hit

    def _match(self, word: str, compounds: bool) -> dict[str, float]:
        n = len(word)
        hits: dict[str, float] = {}
        if n < 4:
            return self.terms.get(word) or {}
        for k in range(max(4, n - _INFLECTION), n + 1):
            found = self.terms.get(word[:k])
            if found:
                hits = found
        if compounds and not hits and n >= 8:
            # German compounds name the kind last: "Wintersturm" is a storm.
            stripped = word.rstrip("sne") if n > 9 else word
            for k in range(_MIN_TAIL, min(12, len(stripped) - 3) + 1):
                found = self.terms.get(stripped[-k:])
                if found:
                    hits = found
        return hits


def label_langs(vocab: Vocabulary, lang: str) -> set[str]:
    """The article's own labels; English only where the vocabulary has none in its language
    (English labels on a German text match function words: 'war', 'art', 'stand')."""
    keys = {"nb"} if lang in {"no", "nb"} else {lang}
    if not any(k in c.labels for c in vocab.concepts.values() for k in keys):
        keys = {"en"}
    return keys


def build_index(vocab: Vocabulary, lang: str) -> TermIndex:
    index = TermIndex()
    keys = label_langs(vocab, lang)
    for qcode, concept in vocab.concepts.items():
        for key in keys:
            label = concept.labels.get(key)
            if not label:
                continue
            words = [w for w in _WORD_RE.findall(_fold(label)) if w not in _STOP and len(w) > 2]
            for w in words:
                index.add(_stem(w), qcode, LABEL_WEIGHT / len(words))
    for qcode, cues in CUES.items():
        for cue in cues:
            index.add(cue if " " in cue else _stem(_fold(cue)), qcode, CUE_WEIGHT)
    index.finish()
    return index


def _stem(word: str) -> str:
    """Crude multilingual stem: drop common inflection endings from longer words."""
    if len(word) > 6:
        for suffix in ("ungen", "ung", "en", "es", "er", "e", "s", "n"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 6:
                return word[: -len(suffix)]
    return word


class TopicEnricher:
    name = "topics"

    def __init__(self, vocab: Vocabulary | None = None, max_subjects: int = 6,
                 min_score: float = 1.2, hide_source: bool = False) -> None:
        self.vocab = vocab or shared_vocabulary()
        self.max_subjects, self.min_score, self.hide_source = max_subjects, min_score, hide_source
        self._indexes: dict[str, TermIndex] = {}

    def _index(self, lang: str) -> TermIndex:
        if lang not in self._indexes:
            self._indexes[lang] = build_index(self.vocab, lang)
        return self._indexes[lang]

    def scores(self, doc: Doc) -> dict[str, float]:
        """Raw evidence per concept; headline, kicker and teaser count double."""
        index = self._index(doc.lang)
        compounds = doc.lang in {"de", "nl", "sv", "da", "nb"}
        art = doc.article
        head = " ".join(filter(None, [art.headline, art.kicker, art.teaser]))
        raw: dict[str, float] = defaultdict(float)
        tf: dict[str, float] = defaultdict(float)
        for text, boost in ((head, HEAD_BOOST), (art.body_text, 1.0)):
            words = [_fold(w) for w in _WORD_RE.findall(text)]
            for i, w in enumerate(words):
                tf[w] += boost
                for part in w.split("-") if "-" in w else ():
                    tf[part] += boost
                if i + 1 < len(words):
                    tf[f"{w} {words[i + 1]}"] += boost
        stop = STOPWORDS.get(doc.lang, frozenset())
        for word, count in tf.items():
            if word in stop or len(word) < 3:
                continue
            hits = index.terms.get(word, {}) if " " in word else index.match(word, compounds)
            for q, weight in hits.items():
                raw[q] += weight * (1.0 + math.log(count))
        return raw

    def classify(self, doc: Doc) -> list[Subject]:
        raw = self.scores(doc)
        if not raw:
            return []
        # A concept's evidence also supports each ancestor, so the top level sums its subtree.
        total: dict[str, float] = defaultdict(float)
        for q, s in raw.items():
            total[q] += s
            for anc in self.vocab.ancestors(q):
                total[anc] += s
        tops = sorted((q for q in total if self.vocab.concepts[q].level == 1),
                      key=lambda q: (-total[q], q))
        if not tops:
            return []
        best = total[tops[0]]
        chosen: dict[str, tuple[float, float]] = {}
        for top in tops[:3]:
            if total[top] < self.min_score or total[top] < 0.15 * best:
                continue
            share = total[top] / sum(total[t] for t in tops)
            chosen[top] = (share, total[top] / best)
            leaves = sorted((q for q in raw if q != top and self.vocab.top_level(q) == top
                             and raw[q] >= max(self.min_score, 0.3 * total[top])),
                            key=lambda q: (-raw[q], q))
            for leaf in leaves[:2]:
                for q in [leaf, *self.vocab.ancestors(leaf)]:
                    if q not in chosen:
                        conf = min(1.0, share * min(1.0, total[q] / total[top] + 0.2))
                        chosen[q] = (conf, total[q] / best)
        subjects = [self._subject(q, doc.lang, c, r) for q, (c, r) in chosen.items()]
        return sorted(subjects, key=lambda s: (-s.relevance, s.qcode))[: self.max_subjects * 2]

    def _subject(self, qcode: str, lang: str, conf: float, rel: float) -> Subject:
        return Subject(qcode=qcode, name=self.vocab.concepts[qcode].label(lang), scheme="medtop",
                       origin="machine", confidence=round(min(max(conf, 0.0), 1.0), 3),
                       relevance=round(min(max(rel, 0.0), 1.0), 3))

    def enrich(self, doc: Doc) -> None:
        source = [] if self.hide_source else self._source_subjects(doc)
        have = {s.qcode for s in source}
        machine = [s for s in self.classify(doc) if s.qcode not in have]
        doc.subjects = [*source, *machine]

    def _source_subjects(self, doc: Doc) -> list[Subject]:
        """Source-given subjects stay, marked 'source'; medtop leaves also imply their ancestors."""
        out: dict[tuple[str, str], Subject] = {}
        for s in doc.article.subjects:
            qcode = normalize_qcode(s.qcode) if s.scheme == "medtop" else s.qcode
            out.setdefault((s.scheme, qcode), s.model_copy(update={"qcode": qcode,
                                                                    "origin": "source"}))
            if s.scheme == "medtop" and qcode in self.vocab.concepts:
                for anc in self.vocab.ancestors(qcode):
                    name = self.vocab.concepts[anc].label(doc.lang)
                    out.setdefault(("medtop", anc), Subject(qcode=anc, name=name,
                                                            origin="source",
                                                            confidence=s.confidence,
                                                            relevance=s.relevance))
        return list(out.values())
