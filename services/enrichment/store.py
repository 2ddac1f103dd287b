"""Story state interface and an in-memory implementation (tests, CLI, benchmark)."""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from itertools import pairwise
from operator import attrgetter
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class StoredArticle:
    id: str
    version: int
    node: str
    published: datetime
    keys: tuple[str, ...]
    sketch: tuple[int, ...]
    headline_key: str
    headline: str
    duplicate_of: str | None = None


class StoryStore(Protocol):
    """Shared by every replica; each method is atomic on its own."""

    async def get(self, article_id: str) -> StoredArticle | None: ...
    async def put(self, rec: StoredArticle) -> bool: ...
    async def candidates(self, keys: tuple[str, ...], since: datetime, until: datetime,
                         limit: int, exclude: str) -> list[StoredArticle]:
        """Articles published in [since, until] that share a key, but not exclude: most shared
        keys first, then the earliest node; at most limit, from a pool capped at POSTINGS_MAX
        (memory: each key's newest postings; Mongo: the newest nodes)."""
    async def make_set(self, node: str) -> None: ...
    async def find(self, node: str) -> str: ...
    async def roots(self, nodes: list[str]) -> dict[str, str]: ...
    async def union(self, a: str, b: str) -> str: ...
    async def size(self, root: str) -> int: ...
    async def by_headline(self, key: str) -> StoredArticle | None: ...
    async def add_links(self, source_id: str, resolved: dict[str, str | None]) -> None: ...
    async def claim_links(self, key: str, article_id: str) -> list[str]: ...
    async def links_of(self, source_id: str, keys: Iterable[str]) -> dict[str, str | None]:
        """The source's links with these headline keys, resolved or not."""
    async def save_enriched(self, article_id: str, payload: str) -> None: ...
    async def load_enriched(self, article_id: str) -> str | None: ...
    async def prune(self, before: datetime) -> int: ...
    async def ping(self) -> bool: ...


POSTINGS_MAX = 500
_new_slots = partial(array, "q")  # a key's postings as article slots, 8 bytes each


class MemoryStoryStore:
    """Process-local store with the same semantics as the Mongo one; not for replicas.

    Every lookup goes through an index (key, headline, pending link, source), so the cost of
    an article does not grow with the store; prune() keeps the store itself bounded."""

    def __init__(self) -> None:
        self.articles: dict[str, StoredArticle] = {}
        self.parents: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.links: dict[tuple[str, str], str | None] = {}
        self.enriched: dict[str, str] = {}
        # Inverted index key -> ids in insertion order, so candidate lookup does not scan the
        # whole store and can read a busy key's newest postings only.
        self.by_key: dict[str, dict[str, None]] = {}
        # The same postings as article slots, so candidates() counts shared keys with one
        # bincount instead of a dict update per posting (a busy key has hundreds).
        self._slots: defaultdict[str, array[int]] = defaultdict(_new_slots)
        self._slot_of: dict[str, int] = {}
        self._id_at: list[str] = []
        self._by_headline: dict[str, set[str]] = {}  # headline key -> article ids
        self._pending: dict[str, set[str]] = {}  # headline key -> sources with it unresolved
        self._by_source: dict[str, dict[str, None]] = {}  # source id -> its link keys, in order

    async def get(self, article_id: str) -> StoredArticle | None:
        return self.articles.get(article_id)

    async def put(self, rec: StoredArticle) -> bool:
        cur = self.articles.get(rec.id)
        if cur is not None and cur.version > rec.version:
            return False
        if cur is not None and cur.headline_key != rec.headline_key:
            _discard(self._by_headline, cur.headline_key, rec.id)
        self.articles[rec.id] = rec
        self._by_headline.setdefault(rec.headline_key, set()).add(rec.id)
        slot = self._slot_of.get(rec.id)
        if slot is None:
            slot = self._slot_of[rec.id] = len(self._id_at)
            self._id_at.append(rec.id)
        for key in rec.keys:
            ids = self.by_key.setdefault(key, {})
            if rec.id not in ids:
                ids[rec.id] = None
                self._slots[key].append(slot)
        return True

    async def candidates(self, keys: tuple[str, ...], since: datetime, until: datetime,
                         limit: int, exclude: str) -> list[StoredArticle]:
        # A key every story mentions ("usa") would make each article count thousands of
        # postings; its newest POSTINGS_MAX carry the candidates that matter.
        posted = [slots[-POSTINGS_MAX:] if len(slots) > POSTINGS_MAX else slots
                  for k in set(keys) if (slots := self._slots.get(k))]
        if not posted:
            return []
        counts = np.bincount(np.frombuffer(b"".join(posted), dtype=np.int64))
        own = self._slot_of.get(exclude)
        if own is not None and own < len(counts):
            counts[own] = 0
        # Most shared keys first, then earliest node: rank by count, and look up and
        # window-filter only the count groups that can still make the limit.
        found = np.flatnonzero(counts)
        found = found[np.argsort(-counts[found], kind="stable")]
        ranked = counts[found]
        starts = [0, *(np.flatnonzero(ranked[1:] != ranked[:-1]) + 1).tolist(), len(found)]
        articles, id_at = self.articles, self._id_at
        out: list[StoredArticle] = []
        for lo, hi in pairwise(starts):
            hits = [a for s in found[lo:hi].tolist()
                    if (a := articles.get(id_at[s])) is not None and since <= a.published <= until]
            hits.sort(key=attrgetter("node"))
            out += hits[:limit - len(out)]
            if len(out) >= limit:
                break
        return out

    async def make_set(self, node: str) -> None:
        if node not in self.parents:
            self.parents[node] = node
            self.sizes[node] = 1

    async def find(self, node: str) -> str:
        root = node
        while self.parents.get(root, root) != root:
            root = self.parents[root]
        while node != root:  # path compression keeps later finds short
            node, self.parents[node] = self.parents[node], root
        return root

    async def roots(self, nodes: list[str]) -> dict[str, str]:
        return {n: await self.find(n) for n in nodes}

    async def union(self, a: str, b: str) -> str:
        ra, rb = await self.find(a), await self.find(b)
        if ra == rb:
            return ra
        lo, hi = sorted((ra, rb))
        self.parents[hi] = lo
        self.sizes[lo] = self.sizes.get(lo, 1) + self.sizes.get(hi, 1)
        return lo

    async def size(self, root: str) -> int:
        return self.sizes.get(root, 1)

    async def by_headline(self, key: str) -> StoredArticle | None:
        hits = [self.articles[i] for i in self._by_headline.get(key, ())]
        return min(hits, key=lambda a: a.node) if hits else None

    async def add_links(self, source_id: str, resolved: dict[str, str | None]) -> None:
        for key, target in resolved.items():
            if self.links.get((source_id, key)) is None:
                self.links[(source_id, key)] = target
                self._by_source.setdefault(source_id, {})[key] = None
                if target is None:
                    self._pending.setdefault(key, set()).add(source_id)
                else:
                    _discard(self._pending, key, source_id)

    async def claim_links(self, key: str, article_id: str) -> list[str]:
        waiting = self._pending.get(key)
        if not waiting:
            return []
        claimed = sorted(s for s in waiting if s != article_id)
        for source in claimed:
            self.links[(source, key)] = article_id
            waiting.discard(source)
        if not waiting:
            del self._pending[key]
        return claimed

    async def links_of(self, source_id: str, keys: Iterable[str]) -> dict[str, str | None]:
        return {k: self.links[(source_id, k)] for k in keys if (source_id, k) in self.links}

    async def save_enriched(self, article_id: str, payload: str) -> None:
        self.enriched[article_id] = payload

    async def load_enriched(self, article_id: str) -> str | None:
        return self.enriched.get(article_id)

    async def prune(self, before: datetime) -> int:
        old = [a for a in self.articles.values() if a.published < before]
        for a in old:
            del self.articles[a.id]
            self.enriched.pop(a.id, None)
            self.parents.pop(a.node, None)
            self.sizes.pop(a.node, None)
            _discard(self._by_headline, a.headline_key, a.id)
            for key in self._by_source.pop(a.id, ()):
                del self.links[(a.id, key)]
                _discard(self._pending, key, a.id)
        gone = {a.id for a in old}
        if gone:
            for term, ids in list(self.by_key.items()):
                kept = {i: None for i in ids if i not in gone}
                if kept:
                    self.by_key[term] = kept
                else:
                    del self.by_key[term]
            # Slots renumbered over the articles left, so they stay as few as the articles.
            self._id_at = [i for i in self._id_at if i not in gone]
            self._slot_of = {i: s for s, i in enumerate(self._id_at)}
            slot_of = self._slot_of
            self._slots = defaultdict(_new_slots, {term: array("q", map(slot_of.__getitem__, ids))
                                                   for term, ids in self.by_key.items()})
        return len(old)

    async def ping(self) -> bool:
        return True


def _discard(index: dict[str, set[str]], key: str, item: str) -> None:
    items = index.get(key)
    if items is not None:
        items.discard(item)
        if not items:
            del index[key]


def with_duplicate(rec: StoredArticle, duplicate_of: str | None) -> StoredArticle:
    return replace(rec, duplicate_of=duplicate_of)
