"""Story merge and link update cost against collection size: by-_id walk vs a story_id query."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from typing import Any

from pymongo import AsyncMongoClient

from services.storage.repository import MongoArticleRepository
from shared.events import CanonicalArticle, EnrichedArticle, Enrichment, RelatedLink, ResolvedLink

STORY_SIZE = 20


def _item(i: int) -> EnrichedArticle:
    return EnrichedArticle(
        article=CanonicalArticle(id=f"a{i}", uri=f"a{i}", source="b", format="x",
                                 headline=f"headline {i}", body_html="<p>x</p>" * 50,
                                 related=(RelatedLink(headline=f"see {i}"),)),
        enrichment=Enrichment(enricher="bench", story_id=f"s{i // STORY_SIZE}"))


async def at_size(url: str, n: int, merges: int) -> tuple[float, float, float]:
    """Median ms of: our merge, the old update_many merge, one link update; at n articles."""
    name = f"bench_merge_{uuid.uuid4().hex[:8]}"
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
    repo = MongoArticleRepository(client[name], "articles", "versions")
    try:
        items = [_item(i) for i in range(n)]
        for k in range(0, n, 500):
            await repo.upsert_many(items[k:k + 500])
        stories = n // STORY_SIZE
        ours, old, links = [], [], []
        for m in range(merges):
            # Disjoint story pairs, so every merge moves a full story.
            root, absorbed = f"s{2 * m}", f"s{2 * m + 1}"
            start = time.perf_counter()
            members = [f"a{i}" for i in range((2 * m + 1) * STORY_SIZE, (2 * m + 2) * STORY_SIZE)]
            await repo.merge_stories(root, [absorbed], members)
            ours.append(time.perf_counter() - start)
            root, absorbed = f"s{stories - 2 * m - 1}", f"s{stories - 2 * m - 2}"
            start = time.perf_counter()  # what merge_stories did before: a story_id query
            await repo.articles.update_many({"story_id": {"$in": [absorbed]}},
                                            {"$set": {"story_id": root}})
            old.append(time.perf_counter() - start)
            start = time.perf_counter()
            await repo.resolve_links(f"a{m}", [ResolvedLink(headline=f"see {m}",
                                                            resolved_id="x")])
            links.append(time.perf_counter() - start)
        return tuple(statistics.median(x) * 1000 for x in (ours, old, links))  # type: ignore[return-value]
    finally:
        await client.drop_database(name)
        await client.close()


async def run(sizes: list[int], merges: int) -> None:
    url = os.environ["NEWSWIRE_MONGO_URL"]
    for n in sizes:
        ours, old, link = await at_size(url, n, merges)
        print(f"{n:>6} articles: merge of a {STORY_SIZE}-article story {ours:.1f} ms (aliases; "
              f"articles not rewritten) vs {old:.1f} ms re-labelling by story_id query "
              f"({old / ours:.1f}x); "
              f"link update {link:.1f} ms (medians of {merges})")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000])
    parser.add_argument("--merges", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.sizes, args.merges))
    return 0


if __name__ == "__main__":
    sys.exit(main())
