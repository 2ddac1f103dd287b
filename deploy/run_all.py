"""The main job: start the services, push samples through HTTP ingest, print what was stored."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from deploy.launcher import ROOT, Stack
from deploy.prometheus.local import Prometheus
from deploy.samples import samples as generated
from services.storage.repository import MongoArticleRepository
from shared.ids import normalise_text_key
from shared.sanitize import clean_text

SHARED = Path(os.environ.get("NEWSWIRE_SHARED_DIR", ROOT.parent / "shared"))


# The event each fixture reports on, where two of them report the same one.
FIXTURE_STORIES = {"seed": "witkoff", "abu-dhabi": "witkoff"}
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Item:
    """A document to push, and the event it reports on (what the linker should find)."""

    name: str
    body: bytes
    content_type: str
    story: str

    @property
    def headline(self) -> str:
        return [ln for ln in self.body.decode().splitlines() if ln.strip()][1].strip()


def samples() -> list[Item]:
    """The seed when ../shared is there, the page-text fixtures, and deploy/sample_news."""
    found: list[Item] = []
    seed = SHARED / "seeds" / "000_c3eca885e310276e.txt"
    if seed.is_file():
        found.append(Item("seed", seed.read_bytes(), TEXT, FIXTURE_STORIES["seed"]))
    own = sorted((ROOT / "tests" / "fixtures" / "pagetext").glob("*.txt"))
    found.extend(Item(p.stem, p.read_bytes(), TEXT, FIXTURE_STORIES.get(p.stem, p.stem))
                 for p in own)
    found.extend(Item(s.name, s.text.encode(), TEXT, s.story) for s in generated())
    return found


def push(url: str, body: bytes, content_type: str, source: str) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - our own local ingest URL
        f"{url}/v1/articles?source={source}", data=body, method="POST",
        headers={"content-type": content_type},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310
        return dict(json.loads(reply.read()))


async def stored(mongo_url: str, db: str, expected: int, timeout: float) -> list[dict[str, Any]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url, tz_aware=True)
    try:
        deadline = time.monotonic() + timeout
        docs: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            docs = await client[db]["articles"].find({}).to_list(None)
            if len(docs) >= expected:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(2)  # story merges travel on news.story beside the articles
        # Merges are recorded as aliases (storage never rewrites stored articles for them):
        # show each article in the story it belongs to now.
        repo = MongoArticleRepository(client[db], "articles", "article_versions")
        for doc in docs:
            if doc.get("story_id"):
                doc["story_id"] = await repo.current_story(doc["story_id"])
        return docs
    finally:
        await client.close()


def summary(docs: list[dict[str, Any]]) -> str:
    lines = [f"stored {len(docs)} article(s):"]
    for doc in sorted(docs, key=lambda d: d["headline"]):
        art, enr = doc["article"], doc["enrichment"]
        people = [e["canonical"] for e in enr.get("entities", []) if e["type"] == "PER"]
        lines.append(
            f"- {doc['headline'][:70]}\n"
            f"    id={doc['_id']} v{doc['version']} lang={doc.get('language')} "
            f"story={doc.get('story_id')}\n"
            f"    kicker={art.get('kicker')!r} byline={[p['name'] for p in art['byline']]} "
            f"key_points={len(art['key_points'])} subheads="
            f"{sum(b['kind'] == 'subhead' for b in art['body'])} "
            f"paragraphs={sum(b['kind'] == 'paragraph' for b in art['body'])}\n"
            f"    ai_assisted={art['ai_assisted']} sources={art['sources']} "
            f"related={len(art['related'])} subjects={doc.get('subjects', [])[:5]}\n"
            f"    people={people[:8]}"
        )
    return "\n".join(lines)


def _key(headline: str) -> str:
    return normalise_text_key(clean_text(headline))


def story_view(docs: list[dict[str, Any]], items: list[Item]) -> str:
    """Story id -> its headlines, each tagged with the event its sample reports on; then
    which stories mix events (the linker merged unrelated articles) and which events were
    spread over several stories (the linker split one)."""
    event_of = {_key(item.headline): item.story for item in items}
    by_story: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        by_story.setdefault(str(doc.get("story_id")), []).append(doc)
    lines = [f"{len(by_story)} stor(ies), story id -> [event reported] published (UTC)  headline:"]
    mixed: list[str] = []
    stories_of: dict[str, set[str]] = {}
    for story, members in sorted(by_story.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        events = {event_of.get(_key(d["headline"]), "?") for d in members}
        for event in events:
            stories_of.setdefault(event, set()).add(story)
        flag = f"  <- MIXES {len(events)} events" if len(events) > 1 else ""
        if flag:
            mixed.append(story)
        lines.append(f"- {story} ({len(members)}){flag}")
        for doc in sorted(members, key=lambda d: str(d.get("version_created"))):
            when = doc.get("version_created") or doc.get("received_at")
            stamp = when.strftime("%d.%m. %H:%M") if when else "?"
            event = event_of.get(_key(doc["headline"]), "?")
            lines.append(f"    [{event}] {stamp}  {doc['headline'][:80]}")
    split = sorted(e for e, found in stories_of.items() if len(found) > 1)
    lines.append(
        f"linker check: {len({i.story for i in items})} events pushed, {len(by_story)} stories "
        f"stored; {len(mixed)} story(ies) mix unrelated events, {len(split)} event(s) split"
        + (f" ({', '.join(split)})" if split else ""))
    return "\n".join(lines)


def monitoring_view(prometheus: Prometheus, stored_docs: int) -> str:
    """What Prometheus sees once its scrapes caught up with the articles storage wrote."""

    def writes() -> float:
        result = prometheus.query("sum(newswire_articles_stored_total)")
        return float(result[0]["value"][1]) if result else 0.0

    deadline = time.monotonic() + 30
    up, seen = prometheus.targets_up(), writes()
    while not (up and all(up.values()) and seen >= stored_docs) and time.monotonic() < deadline:
        time.sleep(1)
        up, seen = prometheus.targets_up(), writes()
    lines = [f"prometheus {prometheus.url}: scraped "
             + ", ".join(f"{name} {'up' if ok else 'DOWN'}" for name, ok in sorted(up.items())),
             f"  article writes it counted: {seen:.0f} (stored articles: {stored_docs})"]
    rules = prometheus.rules()
    broken = [r["name"] for r in rules if r["health"] == "err"]
    active = [f"{a['labels']['alertname']} ({a['state']})" for a in prometheus.alerts()]
    lines.append(f"  {len(rules)} alert rules, in error: {', '.join(broken) or 'none'}; "
                 f"pending or firing: {', '.join(active) or 'none'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev run")
    parser.add_argument("--keep-running", action="store_true",
                        help="leave the services up after the summary (Ctrl-C stops them)")
    parser.add_argument("--monitoring", action="store_true",
                        help="also run Prometheus scraping every service, with the alert rules")
    parser.add_argument("--prometheus-port", type=int, default=9090,
                        help="Prometheus port with --monitoring (a free one if taken)")
    args = parser.parse_args(argv)
    bootstrap = os.environ["NEWSWIRE_KAFKA_BOOTSTRAP"]
    mongo_url = os.environ["NEWSWIRE_MONGO_URL"]
    run = uuid.uuid4().hex[:8]
    stack = Stack(bootstrap, mongo_url, namespace=f"run{run}.", mongo_db=f"newswire_run_{run}",
                  log_dir=ROOT / "deploy" / "local" / ".data" / "runs" / run)
    print(f"starting services (logs in {stack.log_dir}) ...")
    stack.start()
    prometheus = None
    try:
        for name, service in stack.services.items():
            print(f"  {name:<11} {service.url}  (/metrics /healthz /readyz)")
        if args.monitoring:
            prometheus = Prometheus({n: s.port for n, s in stack.services.items()},
                                    stack.log_dir / "prometheus", port=args.prometheus_port)
            prometheus.start()
            print(f"  {'prometheus':<11} {prometheus.url}  (API: /api/v1/query, /api/v1/alerts)")
        items = samples()
        for item in items:
            reply = push(stack["ingest"].url, item.body, item.content_type, "sample")
            print(f"pushed {item.name:<16} -> {reply['id']}")
        docs = asyncio.run(stored(mongo_url, stack.mongo_db, len(items), timeout=120))
        print(summary(docs))
        print(story_view(docs, items))
        if prometheus is not None:
            print(monitoring_view(prometheus, len(docs)))
        if args.keep_running:
            print("services keep running; Ctrl-C to stop")
            while True:
                time.sleep(3600)
        return 0 if len(docs) >= len(items) else 1
    except KeyboardInterrupt:
        return 0
    finally:
        if prometheus is not None:
            prometheus.stop()
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
