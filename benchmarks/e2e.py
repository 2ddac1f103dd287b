"""End-to-end benchmark: real-news articles as ninjs through HTTP ingest to MongoDB; rate, latency.

Phase one pushes N articles as fast as ingest takes them and measures the stored rate,
overall and per quarter of the push order, and duplicates. Phase two offers a steady rate for
some seconds and measures ingest->stored latency. The articles are runs of
GermEval-dev / CoNLL++ sentences (no two share a run, see `distinct`), so vocabularies, people
and lengths vary as in a live stream. `--storage-compare` instead measures the storage write
path against a naive baseline. Run with real infrastructure:
`eval "$(bash deploy/local/infra.sh env)" && python benchmarks/e2e.py --n 1000 --seconds 20`.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import math
import os
import random
import re
import statistics
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pymongo import AsyncMongoClient

from benchmarks.enrich import corpus_sentences
from deploy.launcher import ROOT, ServiceProcess, Stack
from deploy.private_infra import PrivateInfra
from services.storage.repository import MongoArticleRepository
from shared.events import BodyBlock, CanonicalArticle, EnrichedArticle, Enrichment

NINJS = "application/ninjs+json"
T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
Docs = list[dict[str, Any]]


@dataclass(frozen=True)
class Wire:
    id: str
    body: bytes


# Stride 1, then primes: each pass of the corpus reads it with another stride.
_STRIDES = (1, *(n for n in range(7, 1000) if all(n % d for d in range(2, int(n**0.5) + 1))))


def distinct(i: int, sents: list[str], size: int = 3000) -> CanonicalArticle:
    """About `size` bytes of corpus sentences that no other article of its pass shares: pass p
    reads sentence (n * stride_p) mod len for its own run of n, a bijection, so articles do not
    overlap within a pass and share a sentence or two at most across passes (unlike random
    runs, which made near-duplicate chains of unrelated articles)."""
    per = max(1, size // 150)  # sentences per article (corpus sentences average ~150 bytes)
    n_sents = len(sents)
    per_pass = n_sents // per
    stride = next(s for s in _STRIDES[(i // per_pass) % len(_STRIDES):] + _STRIDES
                  if math.gcd(s, n_sents) == 1)
    start = (i % per_pass) * per
    picked = [sents[((start + j) * stride) % n_sents] for j in range(per)]
    body = tuple(BodyBlock(kind="paragraph", text=t) for t in picked[1:])
    return CanonicalArticle(id=f"e2e-{i}", uri=f"e2e-{i}", source="bench", format="bench",
                            headline=picked[0][:90], body=body)


class Articles:
    """Distinct ninjs items from corpus runs, published over `span` with half-hour jitter."""

    def __init__(self, run: str, total: int, span: timedelta, seed: int = 7) -> None:
        self.run, self.total, self.span = run, total, span
        self.sents, self.rng = corpus_sentences(), random.Random(seed)
        self.made = 0

    def take(self, phase: str, count: int) -> list[Wire]:
        out = []
        for _ in range(count):
            i = self.made
            self.made += 1
            art = distinct(i, self.sents)
            published = (T0 + self.span * (i / max(self.total, 1))
                         + timedelta(minutes=self.rng.uniform(-30, 30)))
            uri = f"urn:newswire:bench:{self.run}:{phase}:{i}"
            item = {"uri": uri, "type": "text", "headline": art.headline,
                    "firstcreated": published.isoformat(), "versioncreated": published.isoformat(),
                    "body_html": "".join(f"<p>{html.escape(b.text)}</p>" for b in art.body)}
            out.append(Wire(uri, json.dumps(item, ensure_ascii=False).encode()))
        return out


class Pusher:
    """A pool of keep-alive HTTP/1.1 connections to ingest. The client is part of what the
    benchmark runs on the same two cores, so it is kept lean: httpx cost about twice the CPU
    per request that ingest itself spends."""

    def __init__(self, url: str, size: int) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.size = size
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue())
        self.opened = 0
        self.refused: dict[int, int] = {}  # status -> count of pushes ingest did not take

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.idle.empty() and self.opened < self.size:
            self.opened += 1
            return await asyncio.open_connection(self.host, self.port)
        return await self.idle.get()

    async def post(self, wire: Wire) -> bool:
        """POST one article; True on 202. A connection the server closed while it was idle
        is replaced and the push sent again (it is idempotent: the id is in the header)."""
        for attempt in range(3):
            # An idle connection may be stale (servers close them after a few seconds); a
            # retry always opens a fresh one.
            if attempt:
                self.opened += 1
                reader, writer = await asyncio.open_connection(self.host, self.port)
            else:
                reader, writer = await self._connection()
            try:
                status = await self._exchange(reader, writer, wire)
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                writer.close()
                self.opened -= 1
                continue
            self.idle.put_nowait((reader, writer))
            if status != 202:
                self.refused[status] = self.refused.get(status, 0) + 1
            return status == 202
        return False

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        wire: Wire) -> int:
        head = (f"POST /v1/articles?source=bench HTTP/1.1\r\nHost: {self.host}\r\n"
                f"Content-Type: {NINJS}\r\nX-Newswire-Id: {wire.id}\r\n"
                f"Content-Length: {len(wire.body)}\r\n\r\n")
        writer.write(head.encode() + wire.body)
        status, _ = await read_response(reader)
        return status

    async def close(self) -> None:
        while not self.idle.empty():
            _, writer = self.idle.get_nowait()
            writer.close()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Status and body of one HTTP/1.1 reply (ingest always sends Content-Length)."""
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def post(client: Pusher, wire: Wire, gate: asyncio.Semaphore) -> bool:
    async with gate:
        return await client.post(wire)


_INSERTED = re.compile(r'^newswire_articles_stored_total\{result="inserted"\} ([0-9.e+]+)$',
                       re.MULTILINE)


def inserted(storage: ServiceProcess) -> int:
    """Articles storage inserted, from its /metrics: counting the collection would make
    FerretDB scan every stored document once per poll, competing with the writes measured."""
    found = _INSERTED.search(storage.metrics())
    return int(float(found.group(1))) if found else 0


async def wait_count(storage: ServiceProcess, expected: int, timeout: float, label: str,
                     stall: float = 180) -> int:
    """Poll until `expected` articles are stored, the timeout passes, or the count has not
    moved for `stall` seconds (a stuck pipeline); returns the count."""
    deadline, last_print, count, moved, last = time.monotonic() + timeout, 0.0, 0, 0.0, -1
    while time.monotonic() < deadline:
        count = await asyncio.to_thread(inserted, storage)
        if count >= expected:
            break
        now = time.monotonic()
        if count != last:
            moved, last = now, count
        elif now - moved > stall:
            print(f"  {label}: no article stored for {stall:.0f} s, giving up")
            break
        if now - last_print > 15:
            print(f"  {label}: {count}/{expected} stored ...")
            last_print = now
        await asyncio.sleep(1)
    return int(count)


class CpuMeter:
    """CPU seconds (user + system, from /proc) of every process the pipeline runs on: the
    services, the broker, the database and this benchmark's own pusher. Their sum per stored
    article is what caps the end-to-end rate on a machine of a few cores."""

    def __init__(self, stack: Stack, infra: dict[str, int] | None = None) -> None:
        run_dir = ROOT / "deploy" / "local" / ".data" / "run"
        self.pids = {name: s.proc.pid for name, s in stack.services.items() if s.proc}
        for name in ("kafka", "mongo"):
            pid_file = run_dir / f"{name}.pid"
            if infra is not None:
                if name in infra:
                    self.pids[name] = infra[name]
            elif pid_file.exists():
                self.pids[name] = int(pid_file.read_text().split()[0])
        self.pids["pusher"] = os.getpid()
        self.start = self.read()

    def read(self) -> dict[str, float]:
        tick, out = os.sysconf("SC_CLK_TCK"), {}
        for name, pid in self.pids.items():
            try:
                # Fields after the parenthesised command: utime, stime, then cutime and cstime
                # (reaped children: the linker's forked snapshot dumps count as its own CPU).
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            out[name] = sum(int(f) for f in fields[11:15]) / tick
        return out

    def report(self, articles: int) -> dict[str, float]:
        """Milliseconds of CPU per article per process since the start, printed."""
        now = self.read()
        per = {n: 1000 * (now[n] - self.start.get(n, 0.0)) / max(articles, 1) for n in now}
        total = sum(per.values())
        print(f"  CPU per stored article: {total:.1f} ms in all = "
              + ", ".join(f"{n} {v:.2f}" for n, v in sorted(per.items(), key=lambda kv: -kv[1])))
        return per


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def quarter_rates(order: list[str], by_id: dict[str, dict[str, Any]]) -> list[float]:
    """Per quarter of the push order: the middle 90% of its stored_at stamps, as articles per
    second (0.9 x its stored / (p95 - p5)); the trimmed ends drop the few articles that
    partitions and batches store early or late, which would otherwise set the span."""
    rates = []
    size = max(len(order) // 4, 1)
    for q in range(4):
        ids = order[q * size:(q + 1) * size if q < 3 else len(order)]
        stamps = sorted(by_id[i]["stored_at"] for i in ids if i in by_id)
        lo, hi = pct_of(stamps, 0.05), pct_of(stamps, 0.95)
        span = (hi - lo).total_seconds() if lo and hi else 0.0
        rates.append(0.9 * len(stamps) / span if span > 0 else float("nan"))
    return rates


def stored_order_rates(stamps: list[datetime]) -> list[float]:
    """The same figure per quarter of the storing order: rate as stored articles accumulate."""
    stamps = sorted(stamps)
    size = len(stamps) // 4
    spans = [(stamps[min((q + 1) * size, len(stamps) - 1)] - stamps[q * size]).total_seconds()
             for q in range(4)] if size else []
    return [size / s if s > 0 else float("nan") for s in spans]


def pct_of(stamps: list[datetime], q: float) -> datetime | None:
    return stamps[min(len(stamps) - 1, int(q * len(stamps)))] if stamps else None


async def duplicates(db: Any, pushed: set[str], stored: Docs) -> tuple[int, int, int, int]:
    """(stored ids not pushed, history entries of pushed ids, pushed versions stored, sum)."""
    strangers = sum(1 for d in stored if d["_id"] not in pushed)
    history = await db["article_versions"].find({}, {"article_id": 1}).to_list(None)
    per_id = Counter(h["article_id"] for h in history if h["article_id"] in pushed)
    stored_pushed = sum(1 for d in stored if d["_id"] in pushed)  # one version pushed per id
    extra = sum(per_id.values()) - stored_pushed
    return strangers, sum(per_id.values()), stored_pushed, strangers + max(extra, 0)


async def phase_one(db: Any, storage: ServiceProcess, client: Pusher,
                    wires: list[Wire], *, concurrency: int, timeout: float,
                    meter: CpuMeter) -> dict[str, Any]:
    gate = asyncio.Semaphore(concurrency)
    start = time.perf_counter()
    ok = await asyncio.gather(*(post(client, w, gate) for w in wires))
    pushed_s = time.perf_counter() - start
    accepted = [w.id for w, good in zip(wires, ok, strict=True) if good]
    print(f"phase one: pushed {len(wires)} ({len(accepted)} accepted) in {pushed_s:.1f} s, "
          f"{len(accepted) / pushed_s:.0f} req/s; refused by status: {client.refused or 'none'}",
          flush=True)
    meter.report(await wait_count(storage, len(accepted), timeout - pushed_s, "phase one"))
    stored: Docs = await db["articles"].find(
        {}, {"stored_at": 1, "received_at": 1, "duplicate_of": 1}).to_list(None)
    by_id = {d["_id"]: d for d in stored}
    mine = [by_id[i] for i in accepted if i in by_id]
    first_in = min((d["received_at"] for d in mine), default=None)
    last_out = max((d["stored_at"] for d in mine), default=None)
    span = (last_out - first_in).total_seconds() if first_in and last_out else 0.0
    rate = len(mine) / span if span > 0 else float("nan")
    quarters = quarter_rates(accepted, by_id)
    strangers, history, versions, dups = await duplicates(db, set(accepted), stored)
    lat = [(d["stored_at"] - d["received_at"]).total_seconds() * 1000 for d in mine]
    print(f"phase one: {len(mine)}/{len(accepted)} stored; rate {rate:.1f} articles/s "
          f"(stored / (last stored_at - first received_at) = {len(mine)} / {span:.1f} s)")
    print("  per quarter of the push order (0.9 x its stored / its p5..p95 stored_at span): "
          + ", ".join(f"Q{q + 1} {r:.1f}/s" for q, r in enumerate(quarters))
          + f"; last/first {quarters[3] / quarters[0]:.2f}x")
    by_store = stored_order_rates([d["stored_at"] for d in mine])
    if by_store:
        print("  per quarter of the storing order (its articles / its stored_at span): "
              + ", ".join(f"Q{q + 1} {r:.1f}/s" for q, r in enumerate(by_store)))
    print(f"  latency under backlog: median {statistics.median(lat) if lat else float('nan'):.0f}"
          f" ms, p99 {pct(lat, 0.99):.0f} ms")
    print(f"  duplicates {dups} = stored ids never pushed {strangers} + history entries beyond "
          f"the pushed versions ({history} entries for {versions} stored ids, one version "
          f"pushed each); ids pushed {len(accepted)}, distinct stored {len(mine)}")
    flagged = sum(1 for d in mine if d.get("duplicate_of"))
    print(f"  near-duplicates flagged by the linker (duplicate_of set): {flagged} "
          "(overlapping corpus runs; content, not delivery)")
    return {"n": len(wires), "stored": len(mine), "duplicates": dups, "rate": rate,
            "rate_first_quarter": quarters[0], "rate_last_quarter": quarters[3]}


async def phase_two(db: Any, storage: ServiceProcess, client: Pusher,
                    wires: list[Wire], *, rate: float, timeout: float,
                    before: int, meter: CpuMeter) -> tuple[float, float]:
    gate = asyncio.Semaphore(512)  # bounds open requests if ingest stalls (then offered < rate)
    start = time.monotonic()
    tasks = []
    for i, wire in enumerate(wires):
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        tasks.append(asyncio.create_task(post(client, wire, gate)))
    ok = await asyncio.gather(*tasks)
    offered_s = time.monotonic() - start
    accepted = {w.id for w, good in zip(wires, ok, strict=True) if good}
    print(f"phase two: offered {len(wires)} at {rate:g}/s, sent in {offered_s:.1f} s "
          f"({len(wires) / offered_s:.1f}/s), {len(accepted)} accepted; refused by status: "
          f"{client.refused or 'none'}", flush=True)
    await wait_count(storage, before + len(accepted), timeout, "phase two")
    # At a steady rate the polls are small, and what each one costs counts per article.
    meter.report(len(accepted))
    stored: Docs = await db["articles"].find(
        {}, {"stored_at": 1, "received_at": 1, "enriched_at": 1}).to_list(None)
    mine = sorted((d for d in stored if d["_id"] in accepted), key=lambda d: d["received_at"])
    lat = [(d["stored_at"] - d["received_at"]).total_seconds() * 1000 for d in mine]
    p50, p99 = pct(lat, 0.5), pct(lat, 0.99)
    print(f"phase two: {len(lat)}/{len(accepted)} stored; ingest->stored latency (stored_at - "
          f"received_at) p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {max(lat, default=0):.0f} ms")
    latency_split(mine)
    return p50, p99


def latency_split(docs: Docs, windows: int = 6) -> None:
    """Where the latency goes: up to annotation (enriched_at) and after it (linker and
    storage), and over the phase in equal windows, to tell a slow start from periodic stalls."""
    def ms(a: datetime, b: datetime) -> float:
        return (b - a).total_seconds() * 1000

    head = [ms(d["received_at"], d["enriched_at"]) for d in docs]
    tail = [ms(d["enriched_at"], d["stored_at"]) for d in docs]
    print(f"  received->annotated p50 {pct(head, 0.5):.0f} p99 {pct(head, 0.99):.0f} ms; "
          f"annotated->stored p50 {pct(tail, 0.5):.0f} p99 {pct(tail, 0.99):.0f} ms")
    size = max(1, -(-len(docs) // windows))
    parts = []
    for at in range(0, len(docs), size):
        lat = [ms(d["received_at"], d["stored_at"]) for d in docs[at:at + size]]
        parts.append(f"{pct(lat, 0.5):.0f}/{max(lat):.0f}")
    print(f"  p50/max per {windows} windows of the offer: {', '.join(parts)} ms")


async def pipeline_run(args: argparse.Namespace, infra: PrivateInfra | None = None
                       ) -> dict[str, Any]:
    if infra is None:
        bootstrap, mongo = os.environ["NEWSWIRE_KAFKA_BOOTSTRAP"], os.environ["NEWSWIRE_MONGO_URL"]
    else:
        bootstrap, mongo = infra.bootstrap, infra.mongo_url
    infra_pids = infra.pids() if infra is not None else None
    run = uuid.uuid4().hex[:8]
    phase2_n = int(args.rate * args.seconds)
    source = Articles(run, args.n + phase2_n, timedelta(hours=args.span_hours))
    first, second = source.take("p1", args.n), source.take("p2", phase2_n)
    print(f"built {len(first) + len(second)} ninjs articles, median "
          f"{statistics.median(len(w.body) for w in first):.0f} bytes")
    replicas = {module: int(n) for module, _, n in (r.partition("=") for r in args.replicas)}
    stack = Stack(bootstrap, mongo, namespace=f"bench{run}.", mongo_db=f"bench_{run}",
                  log_dir=ROOT / "deploy" / "local" / ".data" / "bench" / run,
                  replicas=replicas)
    stack.start()
    mongo_client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo, tz_aware=True)
    client = Pusher(stack["ingest"].url, args.concurrency)
    try:
        db = mongo_client[stack.mongo_db]
        storage = stack["storage"]
        result = await phase_one(db, storage, client, first, concurrency=args.concurrency,
                                 timeout=args.timeout, meter=CpuMeter(stack, infra_pids))
        if result["stored"] < len(first):
            print("  phase one timed out: its backlog inflates phase two's latency")
        p50, p99 = await phase_two(db, storage, client, second, rate=args.rate,
                                   timeout=args.timeout,
                                   before=await asyncio.to_thread(inserted, storage),
                                   meter=CpuMeter(stack, infra_pids))
        await client.close()
        result |= {"p50_ms_at_50": p50, "p99_ms_at_50": p99}
        if not args.keep_db:
            await mongo_client.drop_database(stack.mongo_db)
            await mongo_client.drop_database(f"{stack.mongo_db}_linker")
    finally:
        await mongo_client.close()
        stack.stop()
    return result


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=20000, help="phase one: articles pushed")
    parser.add_argument("--concurrency", type=int, default=32, help="open pushes in phase one")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds each phase waits for its articles to be stored")
    parser.add_argument("--rate", type=float, default=50, help="phase two: articles/s offered")
    parser.add_argument("--seconds", type=float, default=60, help="phase two: duration")
    parser.add_argument("--span-hours", type=float, default=72,
                        help="first_created of all articles spread over this many hours")
    parser.add_argument("--replicas", action="append", default=[], metavar="SERVICE=N",
                        help="run N processes of a stateless service (e.g. enrichment=2)")
    parser.add_argument("--keep-db", action="store_true", help="keep the benchmark database")
    parser.add_argument("--private-infra", action="store_true",
                        help="start a Kafka and a FerretDB of its own (deploy/private_infra.py)")
    parser.add_argument("--json", action="store_true", help="print the figures as a last line")
    parser.add_argument("--storage-compare", action="store_true",
                        help="only compare the storage write path with naive replace_one")
    parser.add_argument("--store-n", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress, live
    if args.storage_compare:
        asyncio.run(storage_vs_naive(args.store_n, 500, args.repeats))
        return 0
    if args.private_infra:
        # A Kafka and a FerretDB of the run's own: other jobs' tests on the shared ones
        # neither slow it nor count in its CPU figures.
        with PrivateInfra() as infra:
            result = asyncio.run(pipeline_run(args, infra))
    else:
        result = asyncio.run(pipeline_run(args))
    if args.json:  # NaN (nothing stored to measure) is not JSON: null instead
        print(json.dumps({k: None if isinstance(v, float) and math.isnan(v) else v
                          for k, v in result.items()}))
    return 0 if result["stored"] == result["n"] else 1


if __name__ == "__main__":
    sys.exit(main())
