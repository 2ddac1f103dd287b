"""Story linking over a shared store: clusters, near-duplicates, update chains, source links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.events import RelatedArticle, RelatedLink

from .doc import Doc
from .signature import Probe, Similarity, headline_key, node_key, signature
from .store import StoredArticle, StoryStore, with_duplicate


@dataclass(frozen=True)
class Linked:
    story_id: str
    related: tuple[RelatedArticle, ...]
    duplicate_of: str | None
    source_links: tuple[RelatedLink, ...]
    gained: bool
    size: int
    resolved_sources: tuple[str, ...]
    merged_from: tuple[str, ...] = ()


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


class StoryLinker:
    """Insert first, then look: of two replicas racing on similar articles, at least the later
    reader sees the other and unions both stories, so concurrent new stories never stay split."""

    def __init__(self, store: StoryStore, policy: LinkPolicy | None = None) -> None:
        self.store, self.policy = store, policy or LinkPolicy()
        self._seen = 0
        self._latest: datetime | None = None

    async def _maybe_prune(self, published: datetime) -> None:
        """Drop state older than the retention, measured in article time (bounded store)."""
        self._seen += 1
        self._latest = max(self._latest or published, published)
        if self._seen % self.policy.prune_every == 0:
            await self.store.prune(self._latest - self.policy.retention)

    async def link(self, doc: Doc) -> Linked:
        art, pol = doc.article, self.policy
        existing = await self.store.get(art.id)
        sig = signature(doc)
        # Update chains: a new version keeps its node, hence its story.
        node = existing.node if existing is not None else node_key(art)
        rec = StoredArticle(id=art.id, version=art.version, node=node, published=sig.published,
                            keys=sig.keys, sketch=sig.sketch, headline_key=sig.headline_key,
                            headline=art.headline)
        await self.store.make_set(node)
        fresh = await self.store.put(rec)
        cands = await self.store.candidates(sig.keys, sig.published - pol.window,
                                            sig.published + pol.window, pol.max_candidates,
                                            art.id) if fresh else []
        near: list[tuple[float, str, Similarity]] = []
        dups = []
        # Candidates of one story share a root: union each distinct root once, not each
        # candidate (a busy story would otherwise cost one union per member per article).
        # The article's own side of similarity() is derived once, not once per candidate, and
        # candidates too weak to link, relate or duplicate are dropped early (most of them).
        compare = Probe(sig).compare_above
        floor = min(pol.link, pol.related)
        scored = [(cand, sim) for cand in cands
                  if (sim := compare(cand, floor, pol.duplicate_text)) is not None]
        linked = sorted({c.node for c, sim in scored if sim.score >= pol.link} - {node})
        before = set((await self.store.roots([node, *linked])).values())
        for other in sorted(before):
            await self.store.union(node, other)
        for cand, sim in scored:
            if sim.text >= pol.duplicate_text:
                dups.append(cand)
            if sim.score >= pol.related:
                near.append((-sim.score, cand.id, sim))
        # Only the best max_related are reported, so only those are built.
        near.sort(key=lambda r: (r[0], r[1]))
        related = [RelatedArticle(id=cid, score=sim.score, reasons=sim.reasons() + (
            ("near_duplicate",) if sim.text >= pol.duplicate_text else ()))
            for _, cid, sim in near[: pol.max_related]]
        duplicate_of = None
        earliest = min(dups, key=lambda c: (c.node, c.id), default=None)
        if earliest is not None and (earliest.node, earliest.id) < (node, art.id):
            duplicate_of = earliest.duplicate_of or earliest.id
            await self.store.put(with_duplicate(rec, duplicate_of))
        root = await self.store.find(node)
        # Stories absorbed by this article's merges: consumers and storage re-label them.
        # A brand-new article's own one-member set is not worth announcing.
        merged_from = tuple(sorted(before - {root} - ({node} if existing is None else set())))
        links = await self._source_links(doc)
        resolved = await self.store.claim_links(sig.headline_key, art.id) if fresh else []
        await self._maybe_prune(sig.published)
        return Linked(story_id=root, related=tuple(related),
                      duplicate_of=duplicate_of, source_links=links,
                      gained=existing is None and fresh, size=await self.store.size(root),
                      resolved_sources=tuple(resolved), merged_from=merged_from)

    async def _source_links(self, doc: Doc) -> tuple[RelatedLink, ...]:
        """Resolve the source's own related headlines against stored articles; keep the rest
        pending, so a later article with that headline resolves them (claim_links)."""
        if not doc.article.related:
            return ()
        out: list[RelatedLink] = []
        table: dict[str, str | None] = {}
        for link in doc.article.related:
            key = headline_key(link.headline)
            target = link.resolved_id
            if target is None:
                hit = await self.store.by_headline(key)
                target = hit.id if hit is not None and hit.id != doc.article.id else None
            table[key] = target
        await self.store.add_links(doc.article.id, table)
        known = await self.store.links_of(doc.article.id, table)
        for link in doc.article.related:
            target = known.get(headline_key(link.headline)) or link.resolved_id
            out.append(link.model_copy(update={"resolved_id": target}))
        return tuple(out)


def apply_links(links: tuple[RelatedLink, ...], table: dict[str, str | None]) -> tuple[
        RelatedLink, ...]:
    """The source's links with every resolution the store now knows."""
    return tuple(link.model_copy(update={"resolved_id": table.get(headline_key(link.headline))
                                         or link.resolved_id}) for link in links)
