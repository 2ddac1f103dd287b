"""Story linking over in-memory state: clusters, near-duplicates, update chains, source links."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.events import RelatedArticle, RelatedLink

from .doc import Doc
from .memory import MemoryForest, MemoryIndex, MemoryLinks
from .signature import Probe, Similarity, headline_key, node_key, signature
from .store import ArticleIndex, SourceLinks, StoredArticle, StoryForest, with_duplicate


@dataclass(frozen=True)
class Linked:
    story_id: str
    related: tuple[RelatedArticle, ...]
    duplicate_of: str | None
    source_links: tuple[RelatedLink, ...]
    gained: bool
    size: int
    # (source id, headline) of other articles' links this article resolved.
    resolved: tuple[tuple[str, str], ...]
    merged_from: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()  # the articles of the merged_from stories


@dataclass(frozen=True)
class LinkPolicy:
    link: float = 0.15
    related: float = 0.10
    duplicate_text: float = 0.6
    window: timedelta = timedelta(days=4)
    max_candidates: int = 60
    max_related: int = 8
    retention: timedelta = timedelta(days=14)
    prune_every: int = 1000


@dataclass
class StoryState:
    """Everything linking remembers; a pure function of the articles it was given, in order."""

    index: ArticleIndex = field(default_factory=MemoryIndex)
    forest: StoryForest = field(default_factory=MemoryForest)
    links: SourceLinks = field(default_factory=MemoryLinks)
    seen: int = 0
    latest: datetime | None = None


class StoryLinker:
    """Links one article at a time against the state; the same articles in the same order
    always give the same stories, which is what makes snapshot-and-replay recovery exact."""

    def __init__(self, state: StoryState | None = None, policy: LinkPolicy | None = None) -> None:
        self.state, self.policy = state or StoryState(), policy or LinkPolicy()

    def _maybe_prune(self, published: datetime) -> None:
        """Drop state older than the retention, measured in article time (bounded state)."""
        state = self.state
        state.seen += 1
        state.latest = max(state.latest or published, published)
        if state.seen % self.policy.prune_every == 0:
            gone = state.index.prune(state.latest - self.policy.retention)
            state.forest.drop(a.node for a in gone)
            state.links.drop(a.id for a in gone)

    def link(self, doc: Doc) -> Linked:
        art, pol, index, forest = doc.article, self.policy, self.state.index, self.state.forest
        existing = index.get(art.id)
        sig = signature(doc)
        # Update chains: a new version keeps its node, hence its story.
        node = existing.node if existing is not None else node_key(art)
        rec = StoredArticle(id=art.id, version=art.version, node=node, published=sig.published,
                            keys=sig.keys, sketch=sig.sketch, headline_key=sig.headline_key,
                            headline=art.headline)
        forest.make_set(node, art.id)
        fresh = index.put(rec)
        cands = index.candidates(sig.keys, sig.published - pol.window,
                                 sig.published + pol.window, pol.max_candidates,
                                 art.id) if fresh else []
        # The article's own side of similarity() is derived once, not once per candidate, and
        # candidates too weak to link, relate or duplicate are dropped early (most of them).
        compare = Probe(sig).compare_above
        floor = min(pol.link, pol.related)
        scored = [(cand, sim) for cand in cands
                  if (sim := compare(cand, floor, pol.duplicate_text)) is not None]
        # Candidates of one story share a root: union each distinct root once.
        linked = sorted({c.node for c, sim in scored if sim.score >= pol.link} - {node})
        before = {forest.find(n) for n in (node, *linked)}
        # Stories absorbed by this article's merges (the smallest root survives): consumers and
        # storage re-label them. A brand-new article's own one-member set is not worth
        # announcing. Their members are read before the unions join them.
        merged_from = tuple(sorted(before - {min(before)}
                                   - ({node} if existing is None else set())))
        moved = tuple(sorted({a for r in merged_from for a in forest.members(r)} - {art.id}))
        for other in sorted(before):
            forest.union(node, other)
        near: list[tuple[float, str, Similarity]] = []
        dups = []
        for cand, sim in scored:
            if sim.text >= pol.duplicate_text:
                dups.append(cand)
            if sim.score >= pol.related:
                near.append((-sim.score, cand.id, sim))
        near.sort(key=lambda r: (r[0], r[1]))
        related = tuple(RelatedArticle(id=cid, score=sim.score, reasons=sim.reasons() + (
            ("near_duplicate",) if sim.text >= pol.duplicate_text else ()))
            for _, cid, sim in near[: pol.max_related])
        duplicate_of = None
        earliest = min(dups, key=lambda c: (c.node, c.id), default=None)
        if earliest is not None and (earliest.node, earliest.id) < (node, art.id):
            duplicate_of = earliest.duplicate_of or earliest.id
            index.put(with_duplicate(rec, duplicate_of))
        root = forest.find(node)
        links = self._source_links(doc)
        resolved = self.state.links.claim(sig.headline_key, art.id) if fresh else []
        self._maybe_prune(sig.published)
        return Linked(story_id=root, related=related, duplicate_of=duplicate_of,
                      source_links=links, gained=existing is None and fresh,
                      size=forest.size(root), resolved=tuple(resolved), merged_from=merged_from,
                      moved=moved)

    def _source_links(self, doc: Doc) -> tuple[RelatedLink, ...]:
        """Resolve the source's own related headlines against linked articles; keep the rest
        waiting, so a later article with that headline resolves them (claim)."""
        if not doc.article.related:
            return ()
        index, links = self.state.index, self.state.links
        table: dict[str, tuple[str, str | None]] = {}
        for link in doc.article.related:
            key = headline_key(link.headline)
            target = link.resolved_id
            if target is None:
                hit = index.by_headline(key)
                target = hit.id if hit is not None and hit.id != doc.article.id else None
            table[key] = (link.headline, target)
        links.add(doc.article.id, table)
        known = links.of(doc.article.id, table)
        return tuple(link.model_copy(update={
            "resolved_id": known.get(headline_key(link.headline)) or link.resolved_id})
            for link in doc.article.related)
