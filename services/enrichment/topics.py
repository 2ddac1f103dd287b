"""IPTC Media Topic tagging: multilingual lexical scoring of vocabulary labels and curated cues."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import pairwise

from shared.events import Subject

from .cues import CUES, NOT_TERMS, WEAK_CUES
from .doc import Doc
from .stopwords import FUNCTION_WORDS
from .topic_lexicon import top_terms
from .vocab import Vocabulary, normalize_qcode, shared_vocabulary

_WORD_RE = re.compile(r"\w+(?:-\w+)*")


# Punctuation that clings to words; none of it is \\w or "-".
_CLING = ".,;:!?\"'()[]{}<>/*+=&%$§@#|~^`„“”‚‘’«»‹›–—…·•"  # noqa: RUF001


def tokens(text: str) -> list[str]:
    """_WORD_RE.findall(text), faster: most whitespace-separated tokens are a plain word with
    some punctuation (isalnum() is exactly \\w without "_"); only the rest need the regex."""
    out: list[str] = []
    for tok in text.split():
        if tok.isalnum():
            out.append(tok)
            continue
        core = tok.strip(_CLING)
        if core.isalnum():
            out.append(core)
        else:
            out.extend(_WORD_RE.findall(tok))
    return out


_STOP = frozenset(("and", "und", "et", "y", "e", "other", "sonstige", "autres", "otros", "altri",
                   "general", "allgemein", "général", "the", "der", "die", "das", "les", "los",
                   "gli", "des", "del", "della", "von", "of", "de", "di"))
# How many letters a word may carry beyond a stem ("krieg" -> "kriegen", "kriegs").
_INFLECTION = 3
_MEMO_SIZE = 100_000
_MIN_TAIL = 5
LABEL_WEIGHT = 1.0
PART_WEIGHT = 0.6
DEF_WEIGHT = 0.3
DEF_MAX_CONCEPTS = 3
CUE_WEIGHT = 1.5
WEAK_CUE_WEIGHT = 0.5
HEAD_BOOST = 2.0
_COMPOUNDING = frozenset(("de", "nl", "sv", "da", "nb"))


def _fold(word: str) -> str:
    return word.lower().replace("ß", "ss")


class TermIndex:
    """Stem -> [(qcode, weight)]; lookups by word prefix and by German compound tail."""

    def __init__(self, stop: frozenset[str] = frozenset(), compounds: bool = False) -> None:
        self.terms: dict[str, dict[str, float]] = defaultdict(dict)
        self.stop, self.compounds = stop, compounds
        self.phrase_firsts: frozenset[str] = frozenset()
        # Words a curated cue matches exactly ("nato", "kremlin"): names that are evidence.
        self.cue_terms: frozenset[str] = frozenset()
        # Per-word memo (bounded): the same words come back article after article.
        self._memo: dict[str, list[tuple[str, float]]] = {}
        self.misses: set[str] = set()

    def add(self, term: str, qcode: str, weight: float) -> None:
        term = _fold(term)
        cur = self.terms[term].get(qcode, 0.0)
        self.terms[term][qcode] = max(cur, weight)

    def finish(self, tops: dict[str, dict[str, float]] | None = None) -> None:
        # A term shared by many concepts says little about any one of them.
        for postings in self.terms.values():
            damp = 1.0 / math.sqrt(len(postings))
            for q in postings:
                postings[q] *= damp
        # Top-level evidence is added after damping: a word many concepts of one tree share
        # ("spieler", "gericht") is strong evidence for the tree, not weak for each concept.
        for term, postings in (tops or {}).items():
            for q, weight in postings.items():
                self.terms[term][q] = self.terms[term].get(q, 0.0) + weight
        self.phrase_firsts = frozenset(t.split(" ", 1)[0] for t in self.terms if " " in t)

    def lookup(self, word: str) -> list[tuple[str, float]]:
        """Postings for a text word or bigram; stopwords and short words have none."""
        hit = self._memo.get(word)
        if hit is None:
            if len(self._memo) + len(self.misses) >= _MEMO_SIZE:
                self._memo.clear()
                self.misses.clear()
            if word in self.stop or len(word) < 3 or word.startswith(NOT_TERMS):
                found: dict[str, float] = {}
            elif " " in word:
                found = self._phrase(word)
            else:
                found = self._match(word, self.compounds)
            hit = list(found.items())
            if hit:
                self._memo[word] = hit
            else:
                self.misses.add(word)
        return hit

    def _phrase(self, bigram: str) -> dict[str, float]:
        """A phrase's last word may carry inflection ("interest rates", "armed forces")."""
        first, last = bigram.split(" ", 1)
        hits: dict[str, float] = {}
        for k in range(max(3, len(last) - _INFLECTION), len(last) + 1):
            found = self.terms.get(f"{first} {last[:k]}")
            if found:
                hits = found
        return hits

    def _match(self, word: str, compounds: bool) -> dict[str, float]:
        n = len(word)
        hits: dict[str, float] = {}
        if n < 4:
            return self.terms.get(word) or {}
        # Index terms are stems, which may be shorter than the word's own stem allows for
        # ("oppositionens" -> "oppositio"); the longest matching prefix wins.
        for k in range(max(4, min(n, len(_stem(word))) - _INFLECTION), n + 1):
            found = self.terms.get(word[:k])
            if found:
                hits = found
        if compounds and not hits and n >= 8:
            # Compounds name the kind last: "Wintersturm" is a storm, "Finanzministerin" a
            # minister; the tail may carry inflection letters of its own.
            for end in range(n, n - _INFLECTION - 1, -1):
                for k in range(_MIN_TAIL, min(12, end - 3) + 1):
                    found = self.terms.get(word[end - k:end])
                    if found:
                        hits = found
                if hits:
                    break
        return hits


# The vocabulary's label keys for an article language.
_LABEL_KEYS = {"pt": ("pt-PT", "pt-BR"), "no": ("nb", "nn"), "nb": ("nb", "nn"),
               "nn": ("nn", "nb"), "zh": ("zh-Hans",)}


def label_langs(vocab: Vocabulary, lang: str) -> set[str]:
    """The article's own labels; English only where the vocabulary has none in its language
    (English labels on a German text match function words: 'war', 'art', 'stand')."""
    keys = set(_LABEL_KEYS.get(lang, (lang,)))
    if not any(k in c.labels for c in vocab.concepts.values() for k in keys):
        keys = {"en"}
    return keys


def _content(text: str, stop: frozenset[str]) -> list[str]:
    return [w for w in _WORD_RE.findall(_fold(text))
            if w not in _STOP and w not in stop and len(w) > 2 and not w.isdigit()]


def _definition_words(text: str, stop: frozenset[str], nouns_only: bool) -> list[str]:
    """Content words of a definition; in German only its nouns (capitalised): the verbs and
    adverbs of a rule's wording ("müssen", "jeweils", "passiert") name no topic, and the
    hundreds of sport definitions would otherwise collect them all."""
    if nouns_only:
        text = " ".join(w for w in text.split() if w[:1].isupper())
    return _content(text, stop)


def build_index(vocab: Vocabulary, lang: str) -> TermIndex:
    stop = FUNCTION_WORDS.get(lang, frozenset())
    index = TermIndex(stop, lang in _COMPOUNDING)
    keys = label_langs(vocab, lang)
    defs: dict[str, list[str]] = {}
    concept_words: dict[str, set[str]] = {}
    for qcode, concept in vocab.concepts.items():
        for key in keys:
            words = _content(concept.labels.get(key) or "", stop)
            if len(words) == 1:
                index.add(_stem(words[0]), qcode, LABEL_WEIGHT)
            for a, b in pairwise(words):
                # A two-word label ("interest rate") is evidence as a phrase; either word
                # alone ("rate") is weak evidence.
                index.add(f"{a} {_stem(b)}", qcode, LABEL_WEIGHT)
            for w in words if len(words) > 1 else ():
                index.add(_stem(w), qcode, PART_WEIGHT / len(words))
            defs[qcode] = defs.get(qcode, []) + _definition_words(
                concept.definitions.get(key) or "", stop, lang in _NOUN_CAPITALISING)
            concept_words.setdefault(qcode, set()).update(
                _stem(w) for w in (*words, *defs[qcode]) if len(w) > 3)
    # Definition words that few concepts use are mild evidence ("budgetår", "parlament").
    df: dict[str, int] = {}
    for words in defs.values():
        for w in {_stem(w) for w in words}:
            df[w] = df.get(w, 0) + 1
    for qcode, words in defs.items():
        for w in {_stem(w) for w in words}:
            if df[w] <= DEF_MAX_CONCEPTS and len(w) > 3:
                index.add(w, qcode, DEF_WEIGHT)
    for qcode, cues in CUES.items():
        for cue in cues:
            if cue not in stop:  # English "war" is German "was"
                index.add(cue if " " in cue else _stem(_fold(cue)), qcode, CUE_WEIGHT)
    for qcode, cues in WEAK_CUES.items():
        for cue in cues:
            if cue not in stop:
                index.add(_stem(_fold(cue)), qcode, WEAK_CUE_WEIGHT)
    tops = {q: top for q in concept_words if (top := vocab.top_level(q)) is not None}
    index.finish(top_terms(concept_words, tops))
    index.cue_terms = frozenset(_fold(c) for cues in (*CUES.values(), *WEAK_CUES.values())
                                for c in cues if " " not in c)
    return index


# Languages that capitalise every noun: there a capital says nothing about a name.
_NOUN_CAPITALISING = frozenset(("de", "lb"))
_SENTENCE_END = frozenset(".!?:\"\u201c\u00bb\u00ab-\u2013")


def _names_only(text: str, words: Iterable[str], index: TermIndex) -> list[str]:
    """Indexed words the text writes only capitalised and never at a sentence start: names
    ("Dell Precision", "Industrial Strength"), whose common-noun sense is not the subject.
    Only words with postings are looked at, so this costs a few string searches."""
    names = []
    for word in words:
        if (" " in word or word in index.cue_terms or word in index.misses
                or not index.lookup(word) or word in text):
            continue  # a phrase, a curated cue, no evidence, or written in lower case too
        cap = word[:1].upper() + word[1:]
        pos = text.find(cap)
        if pos < 0:
            continue  # the text writes it otherwise (all caps, ß): not a clear name
        while pos >= 0:
            end = pos - 1
            while end >= 0 and text[end].isspace():
                end -= 1
            if end < 0 or text[end] in _SENTENCE_END:
                break  # a sentence starts with it: a common word may stand there
            pos = text.find(cap, pos + 1)
        else:
            names.append(word)
    return names


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
                 min_score: float = 0.6, hide_source: bool = False) -> None:
        # min_score 0.6 (was 1.2): short items with weak but consistent evidence got no topic
        # at all; on the vocabulary-definition tuning folds it lifts top-level accuracy from
        # 0.56 to 0.67 with no loss on the wire tuning half (benchmarks/enrich.py).
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
        art = doc.article
        head = " ".join(filter(None, [art.headline, art.kicker, art.teaser]))
        firsts = index.phrase_firsts
        tf: dict[str, float] = defaultdict(float)
        # Body first, as a plain count; the few headline words are added with their boost.
        for text, boost in ((art.body_text, 1.0), (head, HEAD_BOOST)):
            if not text:
                continue
            words = tokens(_fold(text))
            counts = Counter(words)
            # Only bigrams the index knows can score; look for no others.
            hot = firsts.intersection(counts)
            for w in [w for w in counts if "-" in w]:
                for part in w.split("-"):
                    counts[part] += counts[w]
            for a in hot:
                i = words.index(a)
                while True:
                    if i + 1 < len(words):
                        counts[f"{a} {words[i + 1]}"] += 1
                    try:
                        i = words.index(a, i + 1)
                    except ValueError:
                        break
            if boost == 1.0:
                if doc.lang not in _NOUN_CAPITALISING:
                    for name in _names_only(text, list(counts), index):
                        del counts[name]
                tf.update(counts)
            else:
                for w, n in counts.items():
                    tf[w] += boost * n
        raw: dict[str, float] = defaultdict(float)
        lookup = index.lookup
        for word in tf.keys() - index.misses:
            hits = lookup(word)
            if hits:
                factor = 1.0 + math.log(tf[word])
                for q, weight in hits:
                    raw[q] += weight * factor
        return raw

    def classify(self, doc: Doc) -> list[Subject]:
        raw = self.scores(doc)
        if not raw:
            return []
        # A concept's evidence also supports each ancestor, so the top level sums its subtree.
        total: dict[str, float] = defaultdict(float)
        chains = self.vocab.chains
        for q, s in raw.items():
            total[q] += s
            for anc in chains[q]:
                total[anc] += s
        tops = sorted((q for q in total if not chains.get(q, True)), key=lambda q: (-total[q], q))
        if not tops:
            return []
        best = total[tops[0]]
        whole = sum(total[t] for t in tops)
        by_top: dict[str, list[str]] = defaultdict(list)
        for q, chain in ((q, chains[q]) for q in raw):
            if chain:
                by_top[chain[-1]].append(q)
        chosen: dict[str, tuple[float, float]] = {}
        for top in tops[:3]:
            if total[top] < self.min_score or total[top] < 0.15 * best:
                continue
            share = total[top] / whole
            chosen[top] = (share, total[top] / best)
            floor = max(self.min_score, 0.3 * total[top])
            leaves = sorted((q for q in by_top[top] if raw[q] >= floor), key=lambda q: (-raw[q], q))
            for leaf in leaves[:2]:
                for q in (leaf, *chains[leaf]):
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
