"""MongoDB adapter for articles: batched upserts settled by _id, history, story merges, links."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pymongo
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from shared.events import EnrichedArticle, ResolvedLink, utcnow

from .documents import (
    article_document,
    has_unresolved,
    history_content,
    history_document,
    link_field,
    resolution_patch,
    resolutions_of,
)

log = logging.getLogger("newswire.storage")
DUPLICATE_KEY = 11000
# Aliases are flattened on every merge, so one hop is the rule; the bound only stops a cycle.
MAX_ALIAS_HOPS = 8
# A link update re-reads the article when a new version landed while it patched; bounded.
MAX_PATCH_ATTEMPTS = 3
PING_SECONDS = 2.0


@dataclass(frozen=True)
class WriteResult:
    inserted: int
    updated: int
    stale: int


class ArticleRepository(Protocol):
    async def upsert_many(self, items: Sequence[EnrichedArticle]) -> WriteResult: ...

    async def merge_stories(self, root: str, merged: Sequence[str],
                            moved: Sequence[str] = ()) -> int: ...

    async def current_story(self, story_id: str) -> str: ...

    async def resolve_links(self, source_id: str, links: Sequence[ResolvedLink]) -> int: ...

    async def ping(self) -> bool: ...


class MongoArticleRepository:
    """Every filter is exactly `{_id: value}`, the only one FerretDB pushes down; anything
    else makes it decode every stored article (a guarded `{_id, order_key}` update cost 3-5 s
    of its CPU per article at 700 stored ones, and the chaos run's versions saturated it).

    A by-`_id` write cannot compare-and-set, so an update of a stored id is settled instead
    (`_update_stored`): writers record the highest order key they bring per id with `$max`
    (atomic per document) in `<articles>_order`, only the holder of that key writes its copy,
    and every writer then checks stored against recorded keys and, where an older copy landed
    last (a zombie replica), writes the newest one back from the history.
    """

    def __init__(self, db: AsyncDatabase[dict[str, Any]], articles: str, versions: str,
                 concurrency: int = 1) -> None:
        self.db = db
        # Calls in flight at once across the three handlers; each call sends one command at
        # a time, so this bounds the commands in flight too. FerretDB on SQLite serialises
        # writers and answers concurrent ones with lock retries: 10 concurrent by-_id updates
        # took 150 ms each against 10 ms one after another, and the chaos run's storage fell
        # to 11 articles/s under its own concurrency. A real MongoDB can take more
        # (StorageSettings.db_concurrency).
        self._slots = asyncio.Semaphore(concurrency)
        self.articles = db[articles]
        self.versions = db[versions]
        # Per absorbed story id: `root` (the story it now belongs to); on a root, `absorbed`
        # (every story it took in, so a later merge of the root re-points them in one hop).
        # Merges are recorded here only: stored articles are never rewritten for them.
        self.stories = db[f"{articles}_stories"]
        # Per source article id: the resolutions of its related headlines, which may arrive
        # before the article (another topic, no ordering) and must survive its later versions.
        self.links = db[f"{articles}_links"]
        # Per stored article id that got an update: the highest order key any writer brought.
        self.order = db[f"{articles}_order"]

    @classmethod
    def connect(cls, url: str, db_name: str, articles: str, versions: str, concurrency: int = 1
                ) -> tuple[MongoArticleRepository, AsyncMongoClient[dict[str, Any]]]:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            url, tz_aware=True, serverSelectionTimeoutMS=5000
        )
        return cls(client[db_name], articles, versions, concurrency), client

    async def ensure_indexes(self) -> None:
        """The queries consumers make: by story, by subject, by entity, by time."""
        await self.articles.create_index([("story_id", ASCENDING), ("version_created", DESCENDING)])
        await self.articles.create_index([("subjects", ASCENDING), ("version_created", DESCENDING)])
        await self.articles.create_index([("entities", ASCENDING)])
        await self.articles.create_index([("version_created", DESCENDING)])
        await self.articles.create_index([("received_at", DESCENDING)])
        await self.versions.create_index([("article_id", ASCENDING), ("version", DESCENDING)])

    async def ping(self) -> bool:
        # pymongo's own deadline, shorter than the readiness check's 3 s: a ping cancelled
        # inside server selection during a database outage left pymongo's topology lock
        # broken ("Lock is not acquired") and every later operation of the client hanging,
        # which stalled the chaos run's storage for good.
        with pymongo.timeout(PING_SECONDS):
            reply = await self.db.command("ping")
        return bool(reply.get("ok"))

    async def upsert_many(self, items: Sequence[EnrichedArticle]) -> WriteResult:
        """Write a batch idempotently; the newest version of each id wins."""
        if not items:
            return WriteResult(0, 0, 0)
        async with self._slots:
            return await self._upsert_many(items)

    async def _upsert_many(self, items: Sequence[EnrichedArticle]) -> WriteResult:
        now = utcnow()
        docs = [article_document(item, now) for item in items]
        await self._insert_ignoring_duplicates(self.versions, [history_document(d) for d in docs])
        pending = _newest_per_id(docs)
        stale = len(docs) - len(pending)
        # New ids are inserted, not upserted: most articles are new, an insert needs no read,
        # and an upsert whose filter has more than _id makes FerretDB scan the collection.
        existing = await self._insert_ignoring_duplicates(self.articles, list(pending.values()))
        inserted, updated = len(pending) - len(existing), 0
        if existing:
            updated = await self._update_stored({i: pending[i] for i in existing})
            stale += len(existing) - updated
        await self._apply_links(list(pending.values()), existing)
        return WriteResult(inserted, updated, stale)

    async def _update_stored(self, docs: dict[Any, dict[str, Any]]) -> int:
        """Newer copies of stored ids, the newest winning among concurrent writers, by `_id`
        only; returns how many of `docs` this call wrote and still stored. A batch read again
        after a restart or a nack holds copies stored already: they cost reads, no write."""
        ids, written = sorted(docs), set()
        stored = await self._find_by_ids(self.articles, ids, {"order_key": 1})
        newer = [i for i in ids if _key(stored.get(i)) < docs[i]["order_key"]]
        if newer:
            await self.order.bulk_write(
                [UpdateOne({"_id": i}, {"$max": {"order_key": docs[i]["order_key"]}},
                           upsert=True) for i in newer], ordered=False)
            recorded = await self._find_by_ids(self.order, newer, {"order_key": 1})
            # A writer that brought a newer key meanwhile writes its own copy.
            mine = [i for i in newer if _key(recorded.get(i)) == docs[i]["order_key"]]
            written.update(mine)
            if mine:
                await self.articles.bulk_write(
                    [UpdateOne({"_id": i}, {"$set": docs[i]}) for i in mine], ordered=False)
        settled = await self._settle(ids, docs, written, None if newer else stored)
        return sum(1 for i in written if settled.get(i) == docs[i]["order_key"])

    async def _settle(self, ids: list[Any], docs: dict[Any, dict[str, Any]], written: set[Any],
                      stored: dict[Any, dict[str, Any]] | None = None) -> dict[Any, str]:
        """Where the stored copy is older than the newest recorded key (an older writer's
        write landed after the newer one's, or the newer writer is still writing), write the
        newest: ours, or the history's copy of that key. Every writer checks after writing,
        and a writer killed before checking has its poll redelivered, which checks again.
        Returns the stored order key per id; adds ours it wrote to `written`; `stored`: the
        keys just read, when nothing was written since."""
        keys: dict[Any, str] = {}
        for _ in range(MAX_PATCH_ATTEMPTS):
            if stored is None:
                stored = await self._find_by_ids(self.articles, ids, {"order_key": 1})
            recorded = await self._find_by_ids(self.order, ids, {"order_key": 1})
            keys = {i: _key(stored.get(i)) for i in ids}
            behind = {i: _key(recorded.get(i)) for i in ids
                      if keys[i] < _key(recorded.get(i))}
            newest = [docs[i] for i, key in behind.items() if docs[i]["order_key"] == key]
            written.update(d["_id"] for d in newest)
            others = [i for i, key in behind.items() if docs[i]["order_key"] != key]
            copies = await self._find_by_ids(self.versions, [
                f"{i}#v{int(behind[i].partition('|')[0])}" for i in others],
                {"encoding": 1, "document": 1})
            # Another enrichment of that version (another key) is its writer's to put back.
            newest += [c for c in map(history_content, copies.values())
                       if c["order_key"] == behind.get(c["_id"])]
            if not newest:
                return keys
            await self.articles.bulk_write(
                [UpdateOne({"_id": d["_id"]}, {"$set": d}) for d in newest], ordered=False)
            stored = None
        log.warning("stored copies of %d articles kept changing while settled", len(ids))
        return keys

    async def merge_stories(self, root: str, merged: Sequence[str],
                            moved: Sequence[str] = ()) -> int:
        """Record that `root` absorbed `merged`: an alias on each absorbed story, the list on
        the root; returns how many stories now point at the root. Stored articles keep the
        story they were linked into (`moved` names them, for consumers that re-label their
        own copies); rewriting them would be an update per article, and on FerretDB each
        update walks the table (README)."""
        del moved  # named for the contract; the aliases alone make the current story known
        async with self._slots:
            return await self._merge_stories(root, merged)

    async def _merge_stories(self, root: str, merged: Sequence[str]) -> int:
        # news.story is keyed by story id, so "C took B" may be handled before "B took A".
        root = (await self._roots({root})).get(root, root)
        old = sorted({m for m in merged if m != root})
        if not old:
            return 0
        found = await self._find_by_ids(self.stories, [root, *old], {"absorbed": 1})
        absorbed = set(old).union(*(d.get("absorbed", ()) for d in found.values())) - {root}
        # Every story the root took in, directly or before, points at it: one hop.
        ops = [UpdateOne({"_id": s}, {"$set": {"root": root}}, upsert=True)
               for s in sorted(absorbed)]
        ops.append(UpdateOne({"_id": root},
                             {"$addToSet": {"absorbed": {"$each": sorted(absorbed)}}}, upsert=True))
        await self.stories.bulk_write(ops, ordered=False)
        return len(absorbed)

    async def history(self, article_id: str) -> list[dict[str, Any]]:
        """Every stored version of an article, oldest first, each as `articles` held it.
        By `article_id` (indexed on MongoDB; FerretDB scans): a reader's query, not storage's."""
        found = await self.versions.find({"article_id": article_id}).to_list(None)
        return [history_content(h) for h in sorted(found, key=lambda h: h["version"])]

    async def current_story(self, story_id: str) -> str:
        """The story a story id belongs to now (itself unless it was absorbed)."""
        return (await self._roots({story_id})).get(story_id, story_id)

    async def story_ids(self, story_id: str) -> list[str]:
        """Every story id whose articles belong to this story now: its root first, then the
        ones it absorbed. Readers query `articles` by `story_id` in these (indexed)."""
        root = await self.current_story(story_id)
        doc = await self.stories.find_one({"_id": root}, {"absorbed": 1})
        return [root, *sorted((doc or {}).get("absorbed", ()))]

    async def resolve_links(self, source_id: str, links: Sequence[ResolvedLink]) -> int:
        """Record resolutions of a source's headlines, then set them on the stored article.

        Returns how many related links of the stored article changed (0 if not stored yet:
        the article write applies the recorded resolutions then).
        """
        fields = dict(link_field(link.headline, link.resolved_id) for link in links)
        async with self._slots:
            # Recorded before the article is read, so a version written meanwhile finds them.
            recorded = await self.links.find_one_and_update(
                {"_id": source_id}, {"$set": fields}, upsert=True,
                return_document=ReturnDocument.AFTER)
            return await self._patch_stored(source_id, resolutions_of(recorded))

    async def _patch_stored(self, source_id: str, resolutions: dict[str, str]) -> int:
        """Read-patch-verify by _id: FerretDB has no arrayFilters, so paths come from a read.

        If a new version of the article landed between the read and the patch, its links may
        sit at other indices; the patch is then redone from that version's own links (its
        history copy), which also undoes a value written at the wrong index.
        """
        changed, base = 0, None
        projection = {"order_key": 1, "version": 1, "article.related": 1}
        for _ in range(MAX_PATCH_ATTEMPTS):
            doc = await self.articles.find_one({"_id": source_id}, projection)
            if doc is None:
                return changed
            patch = resolution_patch(doc["article"].get("related", []), resolutions, base)
            if patch:
                await self.articles.update_one({"_id": source_id}, {"$set": patch})
                changed += sum(v is not None for v in patch.values())
            check = await self.articles.find_one({"_id": source_id},
                                                 {"order_key": 1, "version": 1})
            if check is None or check["order_key"] == doc["order_key"]:
                return changed
            history = await self.versions.find_one({"_id": f"{source_id}#v{check['version']}"},
                                                   {"encoding": 1, "document": 1})
            base = (history_content(history)["article"].get("related", []) if history
                    else None)
        log.warning("related links of %s kept changing while patched", source_id)
        return changed

    async def _apply_links(self, written: list[dict[str, Any]], existing: set[Any]) -> None:
        """Recorded resolutions onto the articles just written; read only where one is open."""
        open_ids = [d["_id"] for d in written if has_unresolved(d)]
        if not open_ids:
            return
        found = await self._find_by_ids(self.links, open_ids, None)
        ops = []
        for doc in written:
            resolutions = resolutions_of(found.get(doc["_id"]))
            if not resolutions:
                continue
            if doc["_id"] in existing:
                # An update may have lost to a newer stored version with other links:
                # patch what is stored, not this document's layout.
                await self._patch_stored(doc["_id"], resolutions)
            elif patch := resolution_patch(doc["article"]["related"], resolutions):
                ops.append(UpdateOne({"_id": doc["_id"]}, {"$set": patch}))
        if ops:
            await self.articles.bulk_write(ops, ordered=False)

    async def _roots(self, stories: Iterable[str]) -> dict[str, str]:
        """Story id -> the story that absorbed it, for those absorbed: one query per hop for
        the whole batch (aliases are re-pointed on every merge, so one hop is the rule). The
        alias collection holds one document per absorbed story, far fewer than articles."""
        roots: dict[str, str] = {}
        frontier = {s: s for s in stories}
        for _ in range(MAX_ALIAS_HOPS):
            if not frontier:
                break
            found = {d["_id"]: d for d in await self.stories.find(
                {"_id": {"$in": sorted(set(frontier.values()))}}, {"root": 1}).to_list(None)}
            step = {s: found[at]["root"] for s, at in frontier.items()
                    if at in found and found[at].get("root") not in (None, at)}
            if not step:
                break
            roots.update(step)
            frontier = step
        return roots

    @staticmethod
    async def _find_by_ids(collection: Any, ids: Sequence[Any], projection: dict[str, int] | None
                           ) -> dict[Any, dict[str, Any]]:
        """One find_one by _id per id (FerretDB scans for `_id: {$in}`), one after another:
        50 at once on FerretDB took 14 ms each, one after another 5 ms."""
        found = [await collection.find_one({"_id": i}, projection) for i in ids]
        return {f["_id"]: f for f in found if f}

    @staticmethod
    async def _insert_ignoring_duplicates(collection: Any, docs: list[dict[str, Any]]
                                          ) -> set[Any]:
        """insert_many(ordered=False); returns the ids that already existed."""
        if not docs:
            return set()
        try:
            await collection.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            return {docs[e["index"]]["_id"] for e in errors}
        return set()


def _key(doc: dict[str, Any] | None) -> str:
    """A document's order key; '' (older than any) for none."""
    return str((doc or {}).get("order_key", ""))


def _newest_per_id(docs: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    """All but the newest document of one id in a batch are stale already."""
    newest: dict[Any, dict[str, Any]] = {}
    for doc in docs:
        seen = newest.get(doc["_id"])
        if seen is None or doc["order_key"] >= seen["order_key"]:
            newest[doc["_id"]] = doc
    return newest
