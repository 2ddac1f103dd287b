"""Story signatures: entity/keyphrase keys, a bottom-k text sketch, and a symmetric similarity."""

from __future__ import annotations

import hashlib
import math
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import NamedTuple, Protocol

from shared.events import CanonicalArticle

from .doc import Doc
from .keyphrases import phrase_key
from .ner.canonical import fold

SKETCH = 64
_WORD_RE = re.compile(r"\w+")
# Exonyms, so a German and an English article about Moscow share the place key.
_PLACE_ALIASES = {
    "moskau": "moscow", "moscou": "moscow", "moscu": "moscow", "mosca": "moscow",
    "kiew": "kyiv", "kyjiw": "kyiv", "kiev": "kyiv", "kiiv": "kyiv",
    "russland": "russia", "russie": "russia", "rusia": "russia",
    "vereinigte staaten": "usa", "united states": "usa", "us": "usa", "u.s.": "usa",
    "etats-unis": "usa", "estados unidos": "usa", "stati uniti": "usa",
    "deutschland": "germany", "allemagne": "germany", "alemania": "germany",
    "germania": "germany", "frankreich": "france", "francia": "france",
    "china": "china", "chine": "china", "cina": "china", "peking": "beijing",
    "washington": "washington", "brussel": "brussels", "brussels": "brussels",
    "bruxelles": "brussels", "brussel ": "brussels", "brüssel": "brussels",
    "wien": "vienna", "vienne": "vienna", "viena": "vienna", "rom": "rome", "roma": "rome",
    "genf": "geneva", "geneve": "geneva", "ginebra": "geneva", "ginevra": "geneva",
    "ukraina": "ukraine", "ucrania": "ukraine", "ucraina": "ukraine",
    "abu dhabi": "abu dhabi", "abu dabi": "abu dhabi", "kreml": "kremlin",
}
WEIGHTS = {"p": 2.0, "o": 1.5, "l": 0.6, "k": 1.0}


@dataclass(frozen=True)
class Signature:
    keys: tuple[str, ...]
    sketch: tuple[int, ...]
    published: datetime
    headline_key: str


def published_at(article: CanonicalArticle) -> datetime:
    """The article's own time, not the consumer's, so replays and replicas agree."""
    for ts in (article.first_created, article.version_created, article.received_at):
        if ts is not None:
            return ts.astimezone(UTC)
    return datetime(1970, 1, 1, tzinfo=UTC)


def node_key(article: CanonicalArticle) -> str:
    """Time-ordered story key: the earliest article of a merged story names it."""
    stamp = published_at(article).strftime("%Y%m%dT%H%M%S")
    digest = hashlib.blake2b(article.id.encode(), digest_size=6).hexdigest()
    return f"st-{stamp}-{digest}"


def headline_key(text: str) -> str:
    return " ".join(_WORD_RE.findall(fold(text)))


def entity_key(kind: str, canonical: str) -> str:
    name = fold(canonical).strip()
    if kind == "PER":
        return "p:" + name.split()[-1] if name else ""
    if kind == "LOC":
        return "l:" + _PLACE_ALIASES.get(name, name)
    if kind == "ORG":
        return "o:" + _PLACE_ALIASES.get(name, name)
    return ""


def sketch(text: str, k: int = SKETCH) -> tuple[int, ...]:
    """Bottom-k of hashed word 3-shingles: order-free estimate of text overlap."""
    words = _WORD_RE.findall(fold(text))
    shingles = {" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2))}
    hashes = sorted({zlib.crc32(s.encode()) for s in shingles})
    return tuple(hashes[:k])


def signature(doc: Doc, max_keyphrases: int = 8) -> Signature:
    keys: dict[str, None] = {}
    for e in doc.entities:
        key = entity_key(e.type, e.canonical)
        if key and len(key) > 3:
            keys[key] = None
    for kp in doc.keyphrases[:max_keyphrases]:
        keys["k:" + phrase_key(fold(kp.text))] = None
    art = doc.article
    return Signature(keys=tuple(keys), sketch=sketch(art.body_text or art.headline),
                     published=published_at(art), headline_key=headline_key(art.headline))


def sketch_similarity(a: tuple[int, ...], b: tuple[int, ...], k: int = SKETCH) -> float:
    if not a or not b:
        return 0.0
    sa = _hash_set(a)
    inter = sa.intersection(b)
    if not inter:
        return 0.0
    # Sketch hashes are distinct, so the union's size needs no set.
    n_union = len(a) + len(b) - len(inter)
    if n_union <= k:
        return len(inter) / n_union
    # Bottom-k of the union: the shared hashes among its k smallest.
    kth = sorted(sa.union(b))[k - 1]
    return sum(1 for h in inter if h <= kth) / k


class Similarity(NamedTuple):
    """A tuple, not a frozen dataclass: one is built per candidate, and that was measurable."""

    score: float
    entities: float
    text: float
    hours: float
    shared: tuple[str, ...]

    def reasons(self) -> tuple[str, ...]:
        out = []
        ents = [k[2:] for k in self.shared if k[0] in "pol"]
        kps = [k[2:] for k in self.shared if k[0] == "k"]
        if ents:
            out.append("shared_entities:" + ",".join(ents[:6]))
        if kps:
            out.append("shared_keyphrases:" + ",".join(kps[:6]))
        if self.text >= 0.1:
            out.append(f"text_similarity:{self.text:.2f}")
        if self.hours <= 48:
            out.append(f"time_proximity:{self.hours:.0f}h")
        return tuple(out)


@lru_cache(maxsize=4096)
def _mass(keys: tuple[str, ...]) -> float:
    return sum(WEIGHTS.get(k[0], 1.0) for k in keys)


# A signature is compared with up to max_candidates others: its sets are built once.
@lru_cache(maxsize=4096)
def _key_set(keys: tuple[str, ...]) -> frozenset[str]:
    return frozenset(keys)


@lru_cache(maxsize=4096)
def _hash_set(hashes: tuple[int, ...]) -> frozenset[int]:
    return frozenset(hashes)


class Signed(Protocol):
    """What similarity() reads: a Signature, or a stored article's record."""

    @property
    def keys(self) -> tuple[str, ...]: ...
    @property
    def sketch(self) -> tuple[int, ...]: ...
    @property
    def published(self) -> datetime: ...


def similarity(a: Signed, b: Signed, horizon_hours: float = 72.0) -> Similarity:
    """Symmetric in a and b, so either replica computing it reaches the same decision."""
    shared = tuple(sorted(_key_set(a.keys).intersection(b.keys)))
    ma, mb = _mass(a.keys), _mass(b.keys)
    # Not through _mass's cache: a pair's shared keys rarely recur and would evict the
    # articles' own key sets.
    ms, strong = 0.0, 0
    for k in shared:
        ms += WEIGHTS.get(k[0], 1.0)
        strong += k[0] in "po"
    # Dice punishes a long article against a short one; the overlap coefficient alone lets
    # a two-name brief join anything; their mean sits between.
    ents = (ms / (ma + mb) + ms / min(ma, mb) / 2) if ma and mb else 0.0
    if strong < 2:
        ents *= 0.5  # one shared person is a topic, not yet a story
    text = sketch_similarity(a.sketch, b.sketch)
    hours = abs((a.published - b.published).total_seconds()) / 3600
    closeness = math.exp(-hours / horizon_hours)
    score = min(1.0, max(ents, text) + 0.2 * min(ents, text)) * (0.7 + 0.3 * closeness)
    return Similarity(round(score, 4), round(ents, 4), round(text, 4), round(hours, 1), shared)
