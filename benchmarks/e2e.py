"""End-to-end benchmark: N generated articles through HTTP ingest to MongoDB; rate and latency.

Also measures the storage write path against a naive baseline (one replace_one per article)
in the same run. Run with real infrastructure: `./dev infra start && ./dev infra wait`, then
`eval "$(./dev infra env)" && python benchmarks/e2e.py --n 2000`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pymongo import AsyncMongoClient

from deploy.launcher import ROOT, Stack
from deploy.run_all import push
from deploy.samples import page_text
from services.storage.repository import MongoArticleRepository
from shared.events import CanonicalArticle, EnrichedArticle, Enrichment


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def wait_stored(url: str, db: str, n: int, timeout: float) -> list[dict[str, Any]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await client[db]["articles"].count_documents({}) >= n:
                break
            await asyncio.sleep(0.25)
        projection = {"received_at": 1, "stored_at": 1}
        return await client[db]["articles"].find({}, projection).to_list(None)
    finally:
        await client.close()


def pipeline_run(n: int, concurrency: int) -> None:
    bootstrap, mongo = os.environ["NEWSWIRE_KAFKA_BOOTSTRAP"], os.environ["NEWSWIRE_MONGO_URL"]
    run = uuid.uuid4().hex[:8]
    stack = Stack(bootstrap, mongo, namespace=f"bench{run}.", mongo_db=f"bench_{run}",
                  log_dir=ROOT / "deploy" / "local" / ".data" / "bench" / run)
    stack.start()
    try:
        bodies = [page_text(i, tag=run).encode() for i in range(n)]
        url = stack["ingest"].url
        start = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(lambda b: push(url, b, "text/plain", "bench"), bodies))
        pushed = time.perf_counter() - start
        docs = asyncio.run(wait_stored(mongo, stack.mongo_db, n, timeout=600))
        total = time.perf_counter() - start
    finally:
        stack.stop()
    latencies = [(d["stored_at"] - d["received_at"]).total_seconds() for d in docs]
    print(f"pipeline: {len(docs)}/{n} stored; push {n / pushed:.0f} req/s; "
          f"sustained {len(docs) / total:.1f} articles/s end to end")
    print(f"ingest->stored latency: p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
          f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")


def _items(n: int, tag: str) -> list[EnrichedArticle]:
    return [
        EnrichedArticle(
            article=CanonicalArticle(id=f"{tag}-{i}", uri=f"{tag}-{i}", source="b", format="x",
                                     headline=f"headline {i}", body_html="<p>x</p>" * 50),
            enrichment=Enrichment(enricher="bench"),
        )
        for i in range(n)
    ]


async def storage_vs_naive(n: int, batch: int, repeats: int) -> None:
    url = os.environ["NEWSWIRE_MONGO_URL"]
    ours, naive = [], []
    for r in range(repeats):
        name = f"bench_store_{uuid.uuid4().hex[:8]}"
        repo, client = MongoArticleRepository.connect(url, name, "articles", "versions")
        items = _items(n, f"r{r}")
        start = time.perf_counter()
        for k in range(0, n, batch):
            await repo.upsert_many(items[k:k + batch])
        ours.append(n / (time.perf_counter() - start))
        coll = client[name]["naive"]
        start = time.perf_counter()
        for item in items:  # the naive sink: one round trip per record
            await coll.replace_one({"_id": item.id}, item.model_dump(mode="python"), upsert=True)
        naive.append(n / (time.perf_counter() - start))
        await client.drop_database(name)
        await client.close()
    mo, mn = statistics.median(ours), statistics.median(naive)
    print(f"storage write path ({n} articles, batch {batch}, median of {repeats}): "
          f"batched guarded upserts {mo:.0f}/s vs naive replace_one {mn:.0f}/s, "
          f"ratio {mo / mn:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--store-n", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(storage_vs_naive(args.store_n, 500, args.repeats))
    pipeline_run(args.n, args.concurrency)
    return 0


if __name__ == "__main__":
    sys.exit(main())
