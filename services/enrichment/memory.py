"""The linker's working state in process memory: every lookup through an index, none scans."""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import pairwise
from operator import attrgetter

import numpy as np

from .signature import WEIGHTS, key_mass
from .store import StoredArticle

POSTINGS_MAX = 500
_new_slots = partial(array, "q")  # a key's postings as article slots, 8 bytes each
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def _micros(ts: datetime) -> int:
    """Exact, unlike float seconds, so the window's edges are where datetimes put them."""
    return (ts - _EPOCH) // _US


class MemoryIndex:
    """Inverted index key -> article slots in insertion order, plus a headline index.

    The cost of an article does not grow with the index: candidates() counts the postings of
    its own keys (each capped at its newest POSTINGS_MAX), and prune() keeps it bounded."""

    def __init__(self) -> None:
        self.articles: dict[str, StoredArticle] = {}
        # key -> ids in insertion order, so a busy key's newest postings can be read alone.
        self.by_key: dict[str, dict[str, None]] = {}
        # The same postings as article slots, so candidates() counts shared keys with one
        # bincount instead of a dict update per posting (a busy key has hundreds).
        self.slots: defaultdict[str, array[int]] = defaultdict(_new_slots)
        self.slot_of: dict[str, int] = {}
        self.id_at: list[str] = []
        # Per slot, so candidates() filters by window and by what can still link in numpy.
        self.mass_at = array("d")
        self.time_at = array("q")  # published, microseconds since the epoch
        self.headlines: dict[str, set[str]] = {}  # headline key -> article ids

    def get(self, article_id: str) -> StoredArticle | None:
        return self.articles.get(article_id)

    def put(self, rec: StoredArticle) -> bool:
        cur = self.articles.get(rec.id)
        if cur is not None and cur.version > rec.version:
            return False
        if cur is not None and cur.headline_key != rec.headline_key:
            _discard(self.headlines, cur.headline_key, rec.id)
        self.articles[rec.id] = rec
        self.headlines.setdefault(rec.headline_key, set()).add(rec.id)
        slot = self.slot_of.get(rec.id)
        if slot is None:
            slot = self.slot_of[rec.id] = len(self.id_at)
            self.id_at.append(rec.id)
            self.mass_at.append(0.0)
            self.time_at.append(0)
        self.mass_at[slot] = key_mass(rec.keys)
        self.time_at[slot] = _micros(rec.published)
        if cur is not None and cur.keys == rec.keys:
            return True  # the same keys (a duplicate mark, a headline fix): postings stand
        for key in rec.keys:
            ids = self.by_key.setdefault(key, {})
            if rec.id not in ids:
                ids[rec.id] = None
                self.slots[key].append(slot)
        return True

    def candidates(self, keys: tuple[str, ...], since: datetime, until: datetime,
                   limit: int, exclude: str, *, min_dice: float = 0.0,
                   min_entities: float = 0.0) -> list[StoredArticle]:
        own = sorted(set(keys))
        posted = [(k, slots[-POSTINGS_MAX:] if len(slots) > POSTINGS_MAX else slots)
                  for k in own if (slots := self.slots.get(k))]
        if not posted:
            return []
        postings = np.frombuffer(b"".join(p for _, p in posted), dtype=np.int64)
        counts = np.bincount(postings)
        found = np.flatnonzero(counts)
        times = np.frombuffer(self.time_at, dtype=np.int64)[found]
        keep = (times >= _micros(since)) & (times <= _micros(until))
        ex = self.slot_of.get(exclude)
        if ex is not None:
            keep &= found != ex
        rank: np.ndarray = counts[found]
        if min_dice > 0 or min_entities > 0:
            rank, reach = self._reach(keys, posted, postings, found, min_dice=min_dice,
                                      min_entities=min_entities)
            keep &= reach
        found, rank = found[keep], rank[keep]
        # Most shared keys (or the highest reach) first, then earliest node: rank, and look
        # up and sort by node only the groups of equal rank that can still make the limit.
        order = np.argsort(-rank, kind="stable")
        found, ranked = found[order], rank[order]
        starts = [0, *(np.flatnonzero(ranked[1:] != ranked[:-1]) + 1).tolist(), len(found)]
        articles, id_at = self.articles, self.id_at
        out: list[StoredArticle] = []
        for lo, hi in pairwise(starts):
            hits = [articles[id_at[s]] for s in found[lo:hi].tolist()]
            hits.sort(key=attrgetter("node"))
            out += hits[:limit - len(out)]
            if len(out) >= limit:
                break
        return out

    def _reach(self, keys: tuple[str, ...], posted: list[tuple[str, array[int]]],
               postings: np.ndarray, found: np.ndarray, *, min_dice: float,
               min_entities: float) -> tuple[np.ndarray, np.ndarray]:
        """The entity similarity (Probe.compare_above) each found slot's shared keys can make
        at most, and whether that reaches min_entities or their weighted Dice min_dice. The
        shared keys' weight is summed from the postings (a stored article's earlier
        versions' keys too, so it can only be more than the comparison's), with a margin for
        the order floats are added in."""
        # Arrays, not lists, to np.repeat: a list takes numpy's slow generic path.
        lengths = np.array([len(p) for _, p in posted])
        weights = np.array([WEIGHTS.get(k[0], 1.0) for k, _ in posted]).repeat(lengths)
        shared = np.bincount(postings, weights=weights)[found] * (1 + 1e-9)
        strong = np.array([k[0] in "op" for k, _ in posted]).repeat(lengths)
        people = np.bincount(postings[strong], minlength=len(self.id_at))[found]
        mass, own_mass = np.frombuffer(self.mass_at, dtype=np.float64)[found], key_mass(keys)
        ents = shared / (own_mass + mass) + shared / np.minimum(own_mass, mass) / 2
        ents[people < 2] /= 2
        return ents, (2 * shared / (own_mass + mass) >= min_dice) | (ents >= min_entities)

    def postings(self, key: str) -> int:
        """How many retained articles carry this key (its document frequency)."""
        return len(self.by_key.get(key, ()))

    def by_headline(self, key: str) -> StoredArticle | None:
        hits = [self.articles[i] for i in self.headlines.get(key, ())]
        return min(hits, key=lambda a: (a.node, a.id)) if hits else None

    def prune(self, before: datetime) -> list[StoredArticle]:
        old = [a for a in self.articles.values() if a.published < before]
        if not old:
            return []
        for a in old:
            del self.articles[a.id]
            _discard(self.headlines, a.headline_key, a.id)
        gone = {a.id for a in old}
        for term, ids in list(self.by_key.items()):
            if gone.isdisjoint(ids):
                continue
            kept = {i: None for i in ids if i not in gone}
            if kept:
                self.by_key[term] = kept
            else:
                del self.by_key[term]
        self._renumber([s for s, i in enumerate(self.id_at) if i not in gone])
        return old

    def _renumber(self, kept: list[int]) -> None:
        """Slots renumbered over the articles left, so they stay as few as the articles: the
        postings and per-slot arrays are mapped in one pass each, not rebuilt article by
        article (a prune is every thousand articles over the whole window)."""
        keep = np.array(kept, dtype=np.int64)
        remap = np.full(len(self.id_at), -1, dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        self.id_at = [self.id_at[s] for s in kept]
        self.slot_of = {i: s for s, i in enumerate(self.id_at)}
        self.mass_at = array("d", np.frombuffer(self.mass_at, dtype=np.float64)[keep].tobytes())
        self.time_at = array("q", np.frombuffer(self.time_at, dtype=np.int64)[keep].tobytes())
        terms = list(self.slots)
        flat = remap[np.frombuffer(b"".join(self.slots.values()), dtype=np.int64)]
        # Each term's postings after the prune: the slots left, in their order.
        owner = np.repeat(np.arange(len(terms)), [len(self.slots[t]) for t in terms])
        alive = flat >= 0
        flat, counts = flat[alive], np.bincount(owner[alive], minlength=len(terms))
        ends = np.cumsum(counts).tolist()
        data, self.slots = flat.tobytes(), defaultdict(_new_slots)
        start = 0
        for term, end in zip(terms, ends, strict=True):
            if end > start:
                self.slots[term] = array("q", data[start * 8:end * 8])
            start = end

    def rebuild_slots(self) -> None:
        """The slot postings and per-slot arrays derived from by_key, slot_of and the articles
        (after a prune or a restore)."""
        slot_of, arts = self.slot_of, [self.articles[i] for i in self.id_at]
        self.slots = defaultdict(_new_slots, {term: array("q", map(slot_of.__getitem__, ids))
                                              for term, ids in self.by_key.items()})
        self.mass_at = array("d", (key_mass(a.keys) for a in arts))
        self.time_at = array("q", (_micros(a.published) for a in arts))


class MemoryForest:
    """Union-find with path compression; the smaller node always becomes the root. Each root
    lists its members' article ids, so a merge can name the articles that changed story."""

    def __init__(self) -> None:
        self.parents: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.article_of: dict[str, str] = {}  # node -> the article it was made for
        self.members_at: dict[str, dict[str, None]] = {}  # root -> article ids

    def make_set(self, node: str, article_id: str) -> None:
        if node not in self.parents:
            self.parents[node] = node
            self.sizes[node] = 1
            self.article_of[node] = article_id
            self.members_at[node] = {article_id: None}

    def find(self, node: str) -> str:
        parents = self.parents
        root = node
        while (up := parents.get(root, root)) != root:
            root = up
        while node != root:  # path compression keeps later finds short
            # The target is named before `node` moves on: assigning `node` first would
            # compress the parent instead, and give a dropped root a parent entry again.
            parents[node], node = root, parents[node]
        return root

    def root_of(self, node: str) -> str:
        """find() without compressing: a read that leaves the forest as it is."""
        parents = self.parents
        while (up := parents.get(node, node)) != node:
            node = up
        return node

    def union(self, a: str, b: str) -> str:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        lo, hi = sorted((ra, rb))
        self.parents[hi] = lo
        self.sizes[lo] = self.sizes.get(lo, 1) + self.sizes.get(hi, 1)
        self.members_at.setdefault(lo, {}).update(self.members_at.pop(hi, {}))
        return lo

    def size(self, root: str) -> int:
        return self.sizes.get(root, 1)

    def members(self, root: str) -> tuple[str, ...]:
        return tuple(self.members_at.get(root, ()))

    def drop(self, nodes: Iterable[str]) -> None:
        # A dropped root stays the name of its surviving members: find() stops at a node
        # without a parent entry, so their story id does not change under them. Every root
        # is found before any node goes, so a dropped inner node cannot misdirect a later find.
        nodes = list(nodes)
        roots = [self.find(n) for n in nodes]
        for node, root in zip(nodes, roots, strict=True):
            article = self.article_of.pop(node, None)
            listed = self.members_at.get(root)
            if article is not None and listed is not None:
                listed.pop(article, None)
                if not listed:
                    del self.members_at[root]
        for node in nodes:
            self.parents.pop(node, None)
            self.sizes.pop(node, None)

    def rebuild_members(self) -> None:
        """Each root's members derived from the nodes' articles (after a restore); reads only,
        so the restored forest stays the one that was saved."""
        self.members_at = {}
        for node, article in self.article_of.items():
            self.members_at.setdefault(self.root_of(node), {})[article] = None


class MemoryLinks:
    """(source, headline key) -> target, with the sources waiting on each headline key."""

    def __init__(self) -> None:
        self.links: dict[tuple[str, str], str | None] = {}
        self.by_source: dict[str, dict[str, str]] = {}  # source -> key -> headline, in order
        self.pending: dict[str, set[str]] = {}  # headline key -> sources with it unresolved

    def add(self, source_id: str, links: dict[str, tuple[str, str | None]]) -> None:
        for key, (headline, target) in links.items():
            if self.links.get((source_id, key)) is None:
                self.links[(source_id, key)] = target
                self.by_source.setdefault(source_id, {})[key] = headline
                if target is None:
                    self.pending.setdefault(key, set()).add(source_id)
                else:
                    _discard(self.pending, key, source_id)

    def claim(self, key: str, article_id: str) -> list[tuple[str, str]]:
        waiting = self.pending.get(key)
        if not waiting:
            return []
        claimed = sorted(s for s in waiting if s != article_id)
        for source in claimed:
            self.links[(source, key)] = article_id
            waiting.discard(source)
        if not waiting:
            del self.pending[key]
        return [(source, self.by_source[source][key]) for source in claimed]

    def of(self, source_id: str, keys: Iterable[str]) -> dict[str, str | None]:
        return {k: self.links[(source_id, k)] for k in keys if (source_id, k) in self.links}

    def drop(self, source_ids: Iterable[str]) -> None:
        for source in source_ids:
            for key in self.by_source.pop(source, ()):
                del self.links[(source, key)]
                _discard(self.pending, key, source)


def _discard(index: dict[str, set[str]], key: str, item: str) -> None:
    items = index.get(key)
    if items is not None:
        items.discard(item)
        if not items:
            del index[key]
