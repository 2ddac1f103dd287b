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
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from deploy.launcher import ROOT, Stack
from deploy.samples import page_text

SHARED = Path(os.environ.get("NEWSWIRE_SHARED_DIR", ROOT.parent / "shared"))


def samples() -> list[tuple[str, bytes, str]]:
    """(name, bytes, content type): the seed when ../shared is there, our own page texts."""
    found: list[tuple[str, bytes, str]] = []
    seed = SHARED / "seeds" / "000_c3eca885e310276e.txt"
    if seed.is_file():
        found.append(("seed", seed.read_bytes(), "text/plain; charset=utf-8"))
    own = sorted((ROOT / "tests" / "fixtures" / "pagetext").glob("*.txt"))
    found.extend((p.stem, p.read_bytes(), "text/plain; charset=utf-8") for p in own)
    found.extend((f"generated-{i}", page_text(i).encode(), "text/plain; charset=utf-8")
                 for i in range(3))
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev run")
    parser.add_argument("--keep-running", action="store_true",
                        help="leave the services up after the summary (Ctrl-C stops them)")
    args = parser.parse_args(argv)
    bootstrap = os.environ["NEWSWIRE_KAFKA_BOOTSTRAP"]
    mongo_url = os.environ["NEWSWIRE_MONGO_URL"]
    run = uuid.uuid4().hex[:8]
    stack = Stack(bootstrap, mongo_url, namespace=f"run{run}.", mongo_db=f"newswire_run_{run}",
                  log_dir=ROOT / "deploy" / "local" / ".data" / "runs" / run)
    print(f"starting services (logs in {stack.log_dir}) ...")
    stack.start()
    try:
        for name, service in stack.services.items():
            print(f"  {name:<11} {service.url}  (/metrics /healthz /readyz)")
        items = samples()
        for name, body, content_type in items:
            reply = push(stack["ingest"].url, body, content_type, "sample")
            print(f"pushed {name:<16} -> {reply['id']}")
        docs = asyncio.run(stored(mongo_url, stack.mongo_db, len(items), timeout=120))
        print(summary(docs))
        if args.keep_running:
            print("services keep running; Ctrl-C to stop")
            while True:
                time.sleep(3600)
        return 0 if len(docs) >= len(items) else 1
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
