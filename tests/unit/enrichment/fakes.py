"""Plain fakes of the linking ports: obviously right, slow, for holding the real ones to."""

from __future__ import annotations

from collections.abc import Iterable


class PlainForest:
    """Every node carries its story's name; a union renames the whole later story."""

    def __init__(self) -> None:
        self.story: dict[str, str] = {}
        self.article: dict[str, str] = {}

    def make_set(self, node: str, article_id: str) -> None:
        if node not in self.story:
            self.story[node], self.article[node] = node, article_id

    def find(self, node: str) -> str:
        return self.story.get(node, node)

    def union(self, a: str, b: str) -> str:
        lo, hi = sorted((self.find(a), self.find(b)))
        for node, story in self.story.items():
            if story == hi:
                self.story[node] = lo
        return lo

    def size(self, root: str) -> int:
        return max(1, sum(s == root for n, s in self.story.items() if n in self.article))

    def members(self, root: str) -> tuple[str, ...]:
        return tuple(a for n, a in self.article.items() if self.story.get(n) == root)

    def drop(self, nodes: Iterable[str]) -> None:
        # Members keep the name of a dropped root: it is stored on each of them.
        for node in nodes:
            self.article.pop(node, None)
            self.story.pop(node, None)


class PlainLinks:
    """Every link in one dict; a claim looks at all of them."""

    def __init__(self) -> None:
        self.links: dict[tuple[str, str], tuple[str, str | None]] = {}

    def add(self, source_id: str, links: dict[str, tuple[str, str | None]]) -> None:
        for key, (headline, target) in links.items():
            if self.links.get((source_id, key), (headline, None))[1] is None:
                self.links[(source_id, key)] = (headline, target)

    def claim(self, key: str, article_id: str) -> list[tuple[str, str]]:
        out = []
        for (source, k), (headline, target) in sorted(self.links.items()):
            if k == key and target is None and source != article_id:
                self.links[(source, k)] = (headline, article_id)
                out.append((source, headline))
        return out

    def of(self, source_id: str, keys: Iterable[str]) -> dict[str, str | None]:
        return {k: self.links[(source_id, k)][1] for k in keys if (source_id, k) in self.links}

    def drop(self, source_ids: Iterable[str]) -> None:
        gone = set(source_ids)
        self.links = {sk: v for sk, v in self.links.items() if sk[0] not in gone}
