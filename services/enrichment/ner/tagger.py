"""CRF tagger over raw text: sentences in, entity spans with character offsets out."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import NamedTuple

import pycrfsuite

from .clusters import load_clusters
from .features import FEATURE_VERSION, Featurizer, load_gazetteer
from .tokens import Sentence, sentences
from .viterbi import LinearCrf

SUPPORTED = ("de", "en")


class ModelMissingError(RuntimeError):
    """The CRF model was not built; `python scripts/train_ner.py` builds it."""


def default_model_dir() -> Path:
    """Models live outside the repo (a cache), built by scripts/train_ner.py."""
    explicit = os.environ.get("NEWSWIRE_ENRICHMENT_MODEL_DIR")
    if explicit:
        return Path(explicit)
    cache = os.environ.get("NEWSWIRE_CACHE") or str(Path.home() / ".cache" / "newswire")
    return Path(cache) / "models"


def model_path(model_dir: Path, lang: str) -> Path:
    """Versioned with the feature set, so a model built for other features is never reused."""
    return model_dir / f"ner-{lang}.v{FEATURE_VERSION}.crfsuite"


def gazetteer_path(model: Path) -> Path:
    """The word lists the model was trained with; written before the model itself."""
    return model.with_suffix(".gaz.json")


def clusters_path(model: Path) -> Path:
    """The word clusters the model was trained with; written before the model itself."""
    return model.with_suffix(".clusters.json")


class Span(NamedTuple):
    """A tagged name; a tuple, since a frozen dataclass costs several times more to build and
    an article makes dozens."""

    start: int
    end: int
    type: str
    text: str


class CrfTagger:
    """One crfsuite model, decoded by LinearCrf (same tags, a fraction of the cost); crfsuite's
    own tagger stays available as the reference. Decoding shares word-type tables, so one lock
    serialises it: the service runs on one event loop, the lock only guards other callers."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            raise ModelMissingError(f"NER model {path} missing: run `python scripts/train_ner.py`")
        self.path = path
        self._local = threading.local()
        gaz = load_gazetteer(gazetteer_path(path))
        clusters = load_clusters(clusters_path(path))
        self.crf = LinearCrf(self._tagger(), gaz, clusters)
        if not clusters and any(a.startswith("k0=") for a in self.crf.featurizer.ids):
            # Tagging without them would run, silently worse: every cluster weight unused.
            raise ModelMissingError(f"NER model {path} was trained with word clusters, but "
                                    f"{clusters_path(path)} is missing")
        # The string featurizer (reference tagging) keeps only attributes the model weighs, as
        # the decoder does; crfsuite ignores the others. Read from the decoder's table, since
        # parsing the model's info() once costs a good part of a second.
        self.featurizer = Featurizer(gaz, known=frozenset(self.crf.featurizer.ids),
                                    clusters=clusters)
        self._lock = threading.Lock()

    def _tagger(self) -> pycrfsuite.Tagger:
        tagger = getattr(self._local, "tagger", None)
        if tagger is None:
            tagger = pycrfsuite.Tagger()
            tagger.open(str(self.path))
            self._local.tagger = tagger
        return tagger

    def reference_tags(self, words: list[str]) -> list[str]:
        """crfsuite's own decoding of one sentence (the tests hold LinearCrf to it)."""
        return list(self._tagger().tag(self.featurizer.sent(words)))

    def tag_sentences(self, sentences: list[list[str]]) -> list[list[str]]:
        with self._lock:
            return self.crf.tag(sentences)

    def tag_tokens(self, words: list[str]) -> list[str]:
        return self.tag_sentences([words])[0]

    def spans(self, text: str) -> list[Span]:
        sents = sentences(text)
        tags = self.tag_sentences([sent.words for sent in sents])
        out: list[Span] = []
        for sent, sent_tags in zip(sents, tags, strict=True):
            out += _assemble(text, sent, sent_tags)
        return out


def _assemble(text: str, sent: Sentence, tags: list[str]) -> list[Span]:
    out: list[Span] = []
    if tags.count("O") == len(tags):
        return out  # most sentences name nobody
    start_i, kind = -1, ""
    words, starts = sent
    for i, tag in enumerate([*tags, "O"]):
        if tag == "O" and not kind:
            continue  # outside a name: the common case, decided first
        if tag.startswith("I-") and tag[2:] == kind:
            continue
        if kind:
            s, e = starts[start_i], starts[i - 1] + len(words[i - 1])
            out.append(Span(s, e, kind, text[s:e]))
            kind = ""
        if tag != "O":
            start_i, kind = i, tag[2:]
    return out


class TaggerSet:
    """Lazily opened taggers per language; unknown languages fall back to English capitalisation."""

    def __init__(self, model_dir: Path | None = None) -> None:
        self.model_dir = model_dir or default_model_dir()
        self._taggers: dict[str, CrfTagger] = {}
        self._lock = threading.Lock()

    def for_lang(self, lang: str | None) -> CrfTagger:
        # Romance languages capitalise names like English, so the English model is the
        # closest fallback; German capitalises every noun and needs its own.
        key = "de" if lang == "de" else "en"
        with self._lock:
            if key not in self._taggers:
                self._taggers[key] = CrfTagger(model_path(self.model_dir, key))
            return self._taggers[key]

    def check(self) -> None:
        for lang in SUPPORTED:
            self.for_lang(lang)
