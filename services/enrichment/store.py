"""Story-linking state ports: the candidate index, the story forest and the source links."""

from __future__ import annotations

from collections.abc import Iterable
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
    tabular: bool = False  # a results table, standings or price list (see signature)


def with_duplicate(rec: StoredArticle, duplicate_of: str | None) -> StoredArticle:
    return replace(rec, duplicate_of=duplicate_of)


class ArticleIndex(Protocol):
    """The linked articles of the retention window, found by key and by headline."""

    def get(self, article_id: str) -> StoredArticle | None: ...
    def put(self, rec: StoredArticle) -> bool:
        """Store rec unless a newer version is stored; True if stored."""
    def candidates(self, keys: tuple[str, ...], since: datetime, until: datetime,
                   limit: int, exclude: str, *, min_dice: float = 0.0,
                   min_entities: float = 0.0) -> list[StoredArticle]:
        """Articles published in [since, until] sharing a key, but not exclude: most shared
        keys first, then the earliest node; at most limit, counted over each key's newest
        POSTINGS_MAX postings (a key in every story must not make an article cost thousands).
        With min_dice or min_entities, only those whose shared keys can make the weighted
        Dice min_dice or the entity similarity min_entities, highest entity similarity
        first."""
    def by_headline(self, key: str) -> StoredArticle | None:
        """The article with this headline key and the earliest node, if any."""
    def prune(self, before: datetime) -> list[StoredArticle]:
        """Drop articles published before `before`; returns them."""


class StoryForest(Protocol):
    """Union-find over story nodes; a merged story's root is its smallest (earliest) node."""

    def make_set(self, node: str, article_id: str) -> None: ...
    def find(self, node: str) -> str: ...
    def union(self, a: str, b: str) -> str: ...
    def size(self, root: str) -> int: ...
    def members(self, root: str) -> tuple[str, ...]:
        """The article ids of the story rooted here."""
    def drop(self, nodes: Iterable[str]) -> None: ...


class SourceLinks(Protocol):
    """A source article's related headlines, resolved to article ids now or later."""

    def add(self, source_id: str, links: dict[str, tuple[str, str | None]]) -> None:
        """headline key -> (headline as the source lists it, target id or None); a resolved
        link never goes back to unresolved."""
    def claim(self, key: str, article_id: str) -> list[tuple[str, str]]:
        """Resolve every waiting link with this headline key to article_id; returns the
        (source id, headline) pairs it resolved, by source id."""
    def of(self, source_id: str, keys: Iterable[str]) -> dict[str, str | None]: ...
    def drop(self, source_ids: Iterable[str]) -> None: ...
