"""The chaos run's validator: lost, duplicated, regressed, fuzz accounting and story diffs."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo.asynchronous.database import AsyncDatabase

from benchmarks.chaos_inputs import Push
from services.enrichment.pipeline import doc_of, link_result
from services.enrichment.stories import LinkPolicy, StoryLinker
from services.linker.config import LinkerSettings
from shared import dlq
from shared.events import EnrichedArticle

MAX_HOPS = 8


@dataclass(frozen=True)
class Sent:
    """A push and what ingest finally answered (0: no answer before the deadline)."""

    push: Push
    status: int
    trace_id: str | None


async def read_topic(bootstrap: str, topic: str) -> list[Any]:
    """Every record of every partition up to the end offsets at the time of the call."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False, max_partition_fetch_bytes=8 << 20)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in sorted(await _partitions(consumer, topic))]
        consumer.assign(parts)
        ends = await consumer.end_offsets(parts)
        await consumer.seek_to_beginning(*parts)
        out: list[Any] = []
        todo = {tp for tp in parts if ends[tp] > 0}
        while todo:
            for tp, records in (await consumer.getmany(*todo, timeout_ms=1000,
                                                       max_records=5000)).items():
                out += [r for r in records if r.offset < ends[tp]]
                if records and records[-1].offset >= ends[tp] - 1:
                    todo.discard(tp)
            for tp in list(todo):
                if await consumer.position(tp) >= ends[tp]:
                    todo.discard(tp)
        return out
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str, wait_s: float = 60) -> set[int]:
    """The topic's partitions; an error if the broker does not name them within `wait_s`.
    A run's dead-letter topic once read as empty while the normalizer had 461 records on it
    acknowledged: an unknown topic must fail the validation, not count as no records."""
    deadline = asyncio.get_running_loop().time() + wait_s
    while not (found := consumer.partitions_for_topic(topic)):
        if asyncio.get_running_loop().time() > deadline:
            raise RuntimeError(f"the broker does not know topic {topic}")
        await consumer._client.force_metadata_update()  # aiokafka has no public call
        await asyncio.sleep(1)
    return set(found)


@dataclass
class Reference:
    """What storage should hold, from the linker's pure code on the linker's actual input:
    per id the output storage keeps (newest version, then latest enrichment), the story
    aliases the merges give, and the resolutions of source links."""

    best: dict[str, EnrichedArticle] = field(default_factory=dict)
    alias: dict[str, str] = field(default_factory=dict)
    absorbed: dict[str, set[str]] = field(default_factory=dict)
    links: dict[str, dict[str, str]] = field(default_factory=dict)
    traces: dict[str, set[tuple[str, int]]] = field(default_factory=dict)
    applied: int = 0
    redelivered: int = 0

    def merge(self, root: str, merged: Iterable[str]) -> None:
        """Storage's merge_stories: every story the root took in points at it, one hop."""
        root = self.alias.get(root, root)
        old = {m for m in merged if m != root}
        if not old:
            return
        taken = old.union(*(self.absorbed.get(s, set()) for s in (root, *old))) - {root}
        for story in taken:
            self.alias[story] = root
        self.absorbed.setdefault(root, set()).update(taken)

    def story(self, story_id: str | None) -> str | None:
        return None if story_id is None else self.alias.get(story_id, story_id)

    def related(self, item: EnrichedArticle) -> list[tuple[str, str | None]]:
        known = self.links.get(item.id, {})
        return [(r.headline, known.get(r.headline, r.resolved_id)) for r in item.article.related]


def reference(values: Iterable[bytes], policy: LinkPolicy | None = None) -> Reference:
    """Link the annotated stream in order, as an uninterrupted linker would."""
    ref, seen = Reference(), set()
    linker = StoryLinker(policy=policy or linker_policy())
    for value in values:
        try:
            doc = doc_of(EnrichedArticle.model_validate_json(value))
            result = link_result(doc, linker.link(doc))
        except Exception:  # noqa: BLE001, S112 - the linker dead-letters these; they change nothing
            continue
        ref.applied += 1
        item = result.enriched
        key = (item.id, item.version, item.enrichment.enriched_at)
        ref.redelivered += key in seen
        seen.add(key)
        old = ref.best.get(item.id)
        if old is None or _order(item) >= _order(old):
            ref.best[item.id] = item
        if result.story is not None and result.story.merged_from:
            ref.merge(result.story.story_id, result.story.merged_from)
        for update in result.links:
            ref.links.setdefault(update.source_id, {}).update(
                {lk.headline: lk.resolved_id for lk in update.links})
        if item.article.trace_id:
            ref.traces.setdefault(item.article.trace_id, set()).add((item.id, item.version))
    return ref


def linker_policy() -> LinkPolicy:
    s = LinkerSettings()
    return LinkPolicy(link=s.link_threshold, window=timedelta(days=s.window_days),
                      retention=timedelta(days=s.retention_days), prune_every=s.prune_every)


def _order(item: EnrichedArticle) -> tuple[int, str]:
    return item.version, item.enrichment.enriched_at.isoformat()


def _trace_of(record: Any, headers: dict[str, str]) -> str | None:
    if headers.get("nw-trace-id"):
        return headers["nw-trace-id"]
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        data = json.loads(record.value or b"")
        inner = data.get("article", data) if isinstance(data, dict) else {}
        trace = inner.get("trace_id") if isinstance(inner, dict) else None
        return str(trace) if trace else None
    return None


async def validate(db: AsyncDatabase[dict[str, Any]], bootstrap: str, topic_of: dict[str, str],
                   valid: Sequence[Sent], fuzz: Sequence[Sent]) -> dict[str, Any]:
    """The figures of the run, after every consumer group's lag is back to zero."""
    docs = await db["articles"].find({}, {"version": 1, "story_id": 1, "duplicate_of": 1,
                                          "article.related": 1}).to_list(None)
    history = await db["article_versions"].find({}, {"article_id": 1, "version": 1}).to_list(None)
    aliases = {d["_id"]: d["root"] for d in await db["articles_stories"].find(
        {}, {"root": 1}).to_list(None) if d.get("root")}
    stored = {d["_id"]: d for d in docs}
    versions = Counter((h["article_id"], h["version"]) for h in history)

    newest: dict[str, int] = {}
    acked_versions: set[tuple[str, int]] = set()
    for s in valid:
        if s.status == 202 and s.push.article:
            newest[s.push.article] = max(newest.get(s.push.article, 0), s.push.version)
            acked_versions.add((s.push.article, s.push.version))
    lost = sorted(a for a in newest if a not in stored)
    regressed = sorted(a for a, v in newest.items() if a in stored and stored[a]["version"] < v)
    mine = set(newest)
    duplicated = (len(docs) - len(stored)) + sum(
        c - 1 for (aid, _), c in versions.items() if c > 1 and aid in mine)
    versions_lost = sorted(f"{a}#v{v}" for a, v in acked_versions if (a, v) not in versions)

    annotated = await read_topic(bootstrap, topic_of["annotated"])
    ref = reference(r.value or b"" for r in annotated)
    diffs = story_diffs(ref, stored, aliases)

    letters: dict[str, list[tuple[str, dict[str, str], bytes]]] = {}
    dlq_records = await read_topic(bootstrap, topic_of["dlq"])
    for r in dlq_records:
        headers = {k: v.decode(errors="replace") for k, v in (r.headers or ())}
        trace = _trace_of(r, headers)
        if trace:
            letters.setdefault(trace, []).append((headers.get(dlq.H_CONNECTOR, ""), headers,
                                                  r.value or b""))
    fuzz_counts = account_fuzz(fuzz, letters, ref, versions)
    refused = sum(1 for s in valid if s.status != 202)
    return {"acked": len(newest), "lost": len(lost), "duplicated": duplicated,
            "valid_refused": refused,
            "regressed": len(regressed), "versions_lost": len(versions_lost),
            "fuzz_total": len(fuzz), "fuzz_unaccounted": fuzz_counts.pop("unaccounted"),
            "story_diffs": sum(diffs.values()), "story_diff_kinds": diffs,
            "fuzz_outcomes": fuzz_counts, "annotated_records": len(annotated),
            "annotated_redelivered": ref.redelivered, "dlq_records": len(dlq_records),
            "examples": {"lost": lost[:5], "regressed": regressed[:5],
                         "versions_lost": versions_lost[:5]}}


def story_diffs(ref: Reference, stored: dict[str, dict[str, Any]],
                aliases: dict[str, str]) -> dict[str, int]:
    """Per article: its current story, duplicate_of and resolved links, stored vs reference."""

    def current(story: str | None) -> str | None:
        for _ in range(MAX_HOPS):
            if story is None or story not in aliases:
                break
            story = aliases[story]
        return story

    out = Counter({"stories": 0, "duplicates": 0, "links": 0, "missing": 0, "extra": 0})
    for aid, item in ref.best.items():
        doc = stored.get(aid)
        if doc is None:
            out["missing"] += 1
            continue
        if current(doc.get("story_id")) != ref.story(item.enrichment.story_id):
            out["stories"] += 1
        if doc.get("duplicate_of") != item.enrichment.duplicate_of:
            out["duplicates"] += 1
        have = [(r.get("headline"), r.get("resolved_id"))
                for r in (doc.get("article") or {}).get("related", ())]
        if have != ref.related(item):
            out["links"] += 1
    out["extra"] = sum(1 for aid in stored if aid not in ref.best)
    return dict(out)


def account_fuzz(fuzz: Sequence[Sent], letters: dict[str, list[tuple[str, dict[str, str], bytes]]],
                 ref: Reference, versions: Counter[tuple[str, int]]) -> dict[str, int]:
    """Each fuzzed push is refused at the door (4xx), dead-lettered by the normalizer with a
    reason and its original bytes, stored as valid articles (every version it gave is in the
    history), or dead-lettered further down with a reason. The rest is unaccounted."""
    out = Counter({"refused": 0, "dlq_normalizer": 0, "stored": 0, "dlq_downstream": 0,
                   "unaccounted": 0})
    for s in fuzz:
        if 400 <= s.status < 500:
            out["refused"] += 1
            continue
        found = letters.get(s.trace_id or "", []) if s.status == 202 else []
        if any(svc == "normalizer" and h.get(dlq.H_REASON) and value == s.push.body
               for svc, h, value in found):
            out["dlq_normalizer"] += 1
        elif s.status == 202 and (made := ref.traces.get(s.trace_id or "")) and all(
                versions.get(k) for k in made):
            out["stored"] += 1
        elif any(svc != "normalizer" and h.get(dlq.H_REASON) for svc, h, _ in found):
            out["dlq_downstream"] += 1
        else:
            out["unaccounted"] += 1
    return dict(out)
