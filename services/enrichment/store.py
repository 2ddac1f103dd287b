"""Story state interface and an in-memory implementation (tests, CLI, benchmark)."""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol


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
                         limit: int, exclude: str) -> list[StoredArticle]: ...
    async def make_set(self, node: str) -> None: ...
    async def find(self, node: str) -> str: ...
    async def union(self, a: str, b: str) -> str: ...
    async def size(self, root: str) -> int: ...
    async def by_headline(self, key: str) -> StoredArticle | None: ...
    async def add_links(self, source_id: str, resolved: dict[str, str | None]) -> None: ...
    async def claim_links(self, key: str, article_id: str) -> list[str]: ...
    async def links_of(self, source_id: str) -> dict[str, str | None]: ...
    async def save_enriched(self, article_id: str, payload: str) -> None: ...
    async def load_enriched(self, article_id: str) -> str | None: ...
    async def prune(self, before: datetime) -> int: ...
    async def ping(self) -> bool: ...


class MemoryStoryStore:
    """Process-local store with the same semantics as the Mongo one; not for replicas."""

    def __init__(self) -> None:
        self.articles: dict[str, StoredArticle] = {}
        self.parents: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.links: dict[tuple[str, str], str | None] = {}
        self.enriched: dict[str, str] = {}
        # Inverted index key -> ids, so candidate lookup does not scan the whole store.
        self.by_key: dict[str, set[str]] = {}

    async def get(self, article_id: str) -> StoredArticle | None:
        return self.articles.get(article_id)

    async def put(self, rec: StoredArticle) -> bool:
        cur = self.articles.get(rec.id)
        if cur is not None and cur.version > rec.version:
            return False
        self.articles[rec.id] = rec
        for key in rec.keys:
            self.by_key.setdefault(key, set()).add(rec.id)
        return True

    async def candidates(self, keys: tuple[str, ...], since: datetime, until: datetime,
                         limit: int, exclude: str) -> list[StoredArticle]:
        shared: Counter[str] = Counter()
        for k in set(keys):
            shared.update(self.by_key.get(k, ()))
        shared.pop(exclude, None)
        hits = [(-n, a.node, a) for i, n in shared.items()
                if (a := self.articles.get(i)) is not None and since <= a.published <= until]
        return [h[2] for h in heapq.nsmallest(limit, hits, key=lambda h: (h[0], h[1]))]

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
        hits = [a for a in self.articles.values() if a.headline_key == key]
        return min(hits, key=lambda a: a.node) if hits else None

    async def add_links(self, source_id: str, resolved: dict[str, str | None]) -> None:
        for key, target in resolved.items():
            if self.links.get((source_id, key)) is None:
                self.links[(source_id, key)] = target

    async def claim_links(self, key: str, article_id: str) -> list[str]:
        claimed = []
        for (source, k), target in self.links.items():
            if k == key and target is None and source != article_id:
                self.links[(source, k)] = article_id
                claimed.append(source)
        return sorted(claimed)

    async def links_of(self, source_id: str) -> dict[str, str | None]:
        return {k: t for (s, k), t in self.links.items() if s == source_id}

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
        gone = {a.id for a in old}
        for term in list(self.by_key):
            self.by_key[term] -= gone
            if not self.by_key[term]:
                del self.by_key[term]
        for key in [k for k in self.links if k[0] in gone]:
            del self.links[key]
        return len(old)

    async def ping(self) -> bool:
        return True


def with_duplicate(rec: StoredArticle, duplicate_of: str | None) -> StoredArticle:
    return replace(rec, duplicate_of=duplicate_of)
