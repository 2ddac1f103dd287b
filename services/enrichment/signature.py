"""Story signatures: entity/keyphrase keys, a bottom-k text sketch, and a symmetric similarity."""

from __future__ import annotations

import hashlib
import math
import re
import zlib
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache, reduce
from itertools import islice
from operator import add
from typing import NamedTuple, Protocol

from shared.events import CanonicalArticle

from .doc import Doc
from .keyphrases import phrase_key
from .ner.canonical import NON_ASCII, fold, is_word

SKETCH = 64
_WORD_RE = re.compile(r"\w+")
# The ASCII characters that are not \w, as spaces: split() then yields ASCII text's \w+ runs.
_SPACED = str.maketrans({c: " " for c in map(chr, range(128)) if not is_word(c)})
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
# A body at least this share number tokens is a table (results, standings, prices): such
# articles share team, league and market names and boilerplate without being one story.
TABULAR_SHARE = 0.3
# A list of names (fixtures, a draw, a squad, scorers) is a table without numbers: this many
# people and organisations, at least this share of its words.
LIST_NAMES = 20
LIST_SHARE = 0.3
# A press digest (review, Presseschau, revue de presse) lists the day's stories of several
# papers: it names the people of many stories and is none of them, so it links as a table does.
_DIGEST = re.compile(r"\b(press digest|press review|presseschau|pressestimmen|revue de presse|"
                     r"rassegna stampa|revista de prensa|what the papers say)\b", re.IGNORECASE)
# News agencies and desks name themselves in the text of every story they file: a shared
# agency is no evidence of a shared event.
_AGENCIES = frozenset({"o:reuters", "o:rtrs", "o:afp", "o:dpa", "o:ap", "o:associated press"})


@dataclass(frozen=True)
class Signature:
    keys: tuple[str, ...]
    sketch: tuple[int, ...]
    published: datetime
    headline_key: str
    tabular: bool = False


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


# Memoised: an article's ~40 names are mostly names seen before, and the same key string
# shared by every article that has it makes set lookups identity hits (fewer cache misses).
@lru_cache(maxsize=65_536)
def entity_key(kind: str, canonical: str) -> str:
    name = fold(canonical).strip()
    if kind == "PER":
        return "p:" + name.split()[-1] if name else ""
    if kind == "LOC":
        return "l:" + _PLACE_ALIASES.get(name, name)
    if kind == "ORG":
        return "o:" + _PLACE_ALIASES.get(name, name)
    return ""


@lru_cache(maxsize=65_536)
def _phrase_key(text: str) -> str:
    return "k:" + phrase_key(fold(text))


def words_of(text: str) -> list[str]:
    """_WORD_RE.findall(text), by translate and split where the text is ASCII: a few times
    faster, and most bodies are ASCII once folded but for quotes and dashes."""
    if not text.isascii():
        # A non-ASCII character that is no word character separates words as a space does.
        for ch in set(NON_ASCII.findall(text)):
            if not is_word(ch):
                text = text.replace(ch, " ")
        if not text.isascii():
            return _WORD_RE.findall(text)
    return text.translate(_SPACED).split()


def sketch(text: str, k: int = SKETCH) -> tuple[int, ...]:
    """Bottom-k of hashed word 3-shingles: order-free estimate of text overlap."""
    return sketch_of_words(words_of(fold(text)), k)


def numeric_share(words: list[str]) -> float:
    """The share of words that are numbers: a third for a results table, a few percent for a
    report."""
    return sum(map(str.isdigit, words)) / len(words) if words else 0.0


def sketch_of_words(words: list[str], k: int = SKETCH) -> tuple[int, ...]:
    # Hashes of every shingle, deduplicated after hashing (equal shingles hash equal), so the
    # whole pass stays in C. Stored sketches depend on these exact values: never change them.
    # zip stops at the shortest list on purpose: n words make n-2 shingles.
    triples = (zip(words, words[1:], words[2:], strict=False) if len(words) >= 3
               else ((*words,),))
    hashes = set(map(zlib.crc32, map(str.encode, map(" ".join, triples))))
    if len(hashes) > 4 * k:
        # Only the k smallest are kept: sorting just those under a cut that about 2k of the
        # (uniform) hashes pass is cheaper than sorting all; should fewer than k pass, by
        # rare chance, all are sorted after all.
        cut = (2 * k << 32) // len(hashes)
        low = sorted([h for h in hashes if h < cut])
        if len(low) >= k:
            return _compact(low[:k])
    return _compact(sorted(hashes)[:k])


def _compact(hashes: list[int]) -> tuple[int, ...]:
    """The same ints made afresh, one after another in memory: the hashing pass scattered
    them among hundreds of others, and every comparison reads a stored sketch's 64 ints."""
    return tuple(array("I", hashes))


def signature(doc: Doc, max_keyphrases: int = 8) -> Signature:
    keys: dict[str, None] = {}
    for e in doc.entities:
        key = entity_key(e.type, e.canonical)
        if key and len(key) > 3:
            keys[key] = None
    for kp in doc.keyphrases[:max_keyphrases]:
        keys[_phrase_key(kp.text)] = None
    art = doc.article
    words = words_of(fold(art.body_text or art.headline))
    names = sum(k[0] in "op" for k in keys)
    return Signature(keys=tuple(keys), sketch=sketch_of_words(words), published=published_at(art),
                     headline_key=headline_key(art.headline),
                     tabular=numeric_share(words) >= TABULAR_SHARE
                     or (names >= LIST_NAMES and names >= LIST_SHARE * len(words))
                     or _DIGEST.search(art.headline) is not None)


def _sketch_overlap(a: tuple[int, ...], sa: frozenset[int], b: tuple[int, ...], k: int) -> float:
    """Shared hashes among the union's k smallest, over k; sketches are sorted and distinct."""
    inter = sa.intersection(b)
    n_inter = len(inter)
    if not n_inter:
        return 0.0
    n_union = len(a) + len(b) - n_inter
    if n_union <= k:
        return n_inter / n_union
    # The union's r largest hashes are left out; without building and sorting the union,
    # look only at whichever side is short: the left-out hashes or the shared ones.
    r = n_union - k
    if r < 2 * n_inter:
        # The union's r largest lie among each sketch's own r largest: near-duplicates.
        dropped = sorted(set(a[-r:]).union(b[-r:]))[-r:]
        return (n_inter - len(inter.intersection(dropped))) / k
    # A shared hash x is kept while its rank in the union, bisect(a) + bisect(b) minus the
    # shared hashes up to x, is at most k; ranks rise with x, so the first miss ends it.
    j = 0
    for x in sorted(inter):
        if bisect_right(a, x) + bisect_right(b, x) - j > k + 1:
            break
        j += 1
    return j / k


class Similarity(NamedTuple):
    """A tuple, not a frozen dataclass: one is built per candidate, and that was measurable."""

    score: float
    entities: float
    text: float
    hours: float
    shared: tuple[str, ...]
    # What linking decides on (LinkPolicy.links): the weighted Dice of the shared keys, how
    # many shared keys name a person or organisation (agencies aside), how many a place or a
    # keyphrase, how many of the two articles are tables, and the shorter text's shingle count
    # (its sketch's length, at most SKETCH): overlap over a few shingles is boilerplate.
    dice: float = 0.0
    strong: int = 0
    places: int = 0
    phrases: int = 0
    tabular: int = 0
    shingles: int = SKETCH
    # Both headlines fold to the same words: a re-issue, or the next instalment of a series
    # (a digest, a league's results, a bulletin) whose headline never changes.
    same_headline: bool = False
    # Both headline keys, read only by the rules that ask what the headlines share.
    headlines: tuple[str, str] = ("", "")

    def reasons(self) -> tuple[str, ...]:
        out = []
        # Only the first six of each kind are named: the rest are not sliced out of their keys.
        ents = [k[2:] for k in islice((k for k in self.shared if k[0] in "pol"), 6)]
        kps = [k[2:] for k in islice((k for k in self.shared if k[0] == "k"), 6)]
        if ents:
            out.append("shared_entities:" + ",".join(ents))
        if kps:
            out.append("shared_keyphrases:" + ",".join(kps))
        if self.text >= 0.1:
            out.append(f"text_similarity:{self.text:.2f}")
        if self.hours <= 48:
            out.append(f"time_proximity:{self.hours:.0f}h")
        return tuple(out)


@lru_cache(maxsize=4096)
def _mass(keys: tuple[str, ...]) -> float:
    return sum(WEIGHTS.get(k[0], 1.0) for k in keys)


def key_mass(keys: tuple[str, ...]) -> float:
    """The keys' summed weights (the denominator of the weighted Dice)."""
    return _mass(keys)


@lru_cache(maxsize=4096)
def _run_mass(n_k: int, n_l: int, n_o: int, n_p: int) -> float:
    """The weights of sorted shared keys summed left to right from 0.0, from the length of
    each kind's run: the same float as the plain sum, looked up instead of added up."""
    weights = [WEIGHTS["k"]] * n_k + [WEIGHTS["l"]] * n_l + [WEIGHTS["o"]] * n_o
    return reduce(add, weights + [WEIGHTS["p"]] * n_p, 0.0)


# A signature is compared with up to max_candidates others: its sets are built once.
@lru_cache(maxsize=4096)
def _key_set(keys: tuple[str, ...]) -> frozenset[str]:
    return frozenset(keys)


@lru_cache(maxsize=4096)
def _hash_set(hashes: tuple[int, ...]) -> frozenset[int]:
    return frozenset(hashes)


class Signed(Protocol):
    """What a comparison reads: a Signature, or a stored article's record."""

    @property
    def keys(self) -> tuple[str, ...]: ...
    @property
    def sketch(self) -> tuple[int, ...]: ...
    @property
    def published(self) -> datetime: ...
    @property
    def tabular(self) -> bool: ...
    @property
    def headline_key(self) -> str: ...


class Probe:
    """One signature's side of the similarity, derived once and compared with every candidate.
    The similarity is symmetric in the two articles, so either replica reaches the same
    decision."""

    __slots__ = ("agencies", "hashes", "headline", "horizon", "key_set", "mass", "published",
                 "runs", "sketch", "tabular", "weight")

    def __init__(self, sig: Signed, horizon_hours: float = 72.0) -> None:
        self.key_set = _key_set(sig.keys)
        self.mass = _mass(sig.keys)
        # Keys of the four kinds only (as signature() makes them): the shared keys' weight
        # follows from the length of each kind's run in sorted order.
        self.runs = all(k[:1] in ("k", "l", "o", "p") for k in self.key_set)
        self.weight = {} if self.runs else {k: WEIGHTS.get(k[0], 1.0) for k in self.key_set}
        self.sketch = sig.sketch
        self.hashes = _hash_set(sig.sketch)
        self.published = sig.published
        self.horizon = horizon_hours
        self.tabular = sig.tabular
        self.headline = sig.headline_key
        self.agencies = self.key_set & _AGENCIES

    def compare_above(self, b: Signed, min_score: float, min_text: float,
                      min_dice: float = 2.0) -> Similarity | None:
        """The similarity to b, or None if its score is below min_score, its text below
        min_text and its Dice below min_dice. Most candidates share a key or two and no text:
        their score is bounded without the time decay and the rounding, and the rest of the
        work is skipped."""
        shared = sorted(self.key_set.intersection(b.keys))
        ma, mb = self.mass, _mass(b.keys)
        # Keys starting with "o" or "p" (organisations, people) are one run of the sorted list.
        at_o = bisect_left(shared, "o")
        strong = bisect_left(shared, "q") - at_o
        at_l = bisect_left(shared, "l", 0, at_o)
        # Summed left to right from 0.0 in sorted order, as a plain loop would: float sums
        # depend on order, and replicas must agree to the bit.
        if self.runs:
            at_p = bisect_left(shared, "p", at_o)
            ms = _run_mass(at_l, at_o - at_l, at_p - at_o, len(shared) - at_p)
        else:
            ms = reduce(add, map(self.weight.__getitem__, shared), 0.0)
        # Dice punishes a long article against a short one; the overlap coefficient alone
        # lets a two-name brief join anything; their mean sits between.
        ents = (ms / (ma + mb) + ms / min(ma, mb) / 2) if ma and mb else 0.0
        if strong < 2:
            ents *= 0.5  # one shared person is a topic, not yet a story
        a_sk, b_sk = self.sketch, b.sketch
        text = _sketch_overlap(a_sk, self.hashes, b_sk, SKETCH) if a_sk and b_sk else 0.0
        dice = round(2 * ms / (ma + mb), 4) if ma and mb else 0.0
        # The time factor is at most 1.0 and round() is monotone, so this bounds the score.
        high = min(1.0, max(ents, text) + 0.2 * min(ents, text))
        if round(high, 4) < min_score and round(text, 4) < min_text and dice < min_dice:
            return None
        hours = abs((self.published - b.published).total_seconds()) / 3600
        closeness = math.exp(-hours / self.horizon)
        score = high * (0.7 + 0.3 * closeness)
        if self.agencies:
            strong -= len(self.agencies.intersection(shared))
        return Similarity(round(score, 4), round(ents, 4), round(text, 4), round(hours, 1),
                          tuple(shared), dice, strong, at_o - at_l, at_l,
                          self.tabular + b.tabular, min(len(a_sk), len(b_sk)),
                          bool(self.headline) and self.headline == b.headline_key,
                          (self.headline, b.headline_key))
