"""Re-drive dead letters: send chosen news.dlq records back to the topic they failed on."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from shared.dlq import H_CONNECTOR, H_OFFSET, H_PARTITION, H_REASON, H_TOPIC, PREFIX
from shared.lag import partitions_of
from shared.runtime import kafka_security
from shared.settings import CommonSettings

# Where a record first failed. It is kept through every later failure, because dead_letter
# copies every header but the error context, so one run sends each failed input back once.
H_FIRST_FAILURE = "nw-redrive-origin"


@dataclass(frozen=True)
class Selection:
    """Which dead letters to send back; an empty set means any."""

    reasons: frozenset[str] = frozenset()
    source_topics: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    after_ms: int = 0

    def wants(self, headers: dict[str, str], timestamp_ms: int) -> bool:
        return (timestamp_ms >= self.after_ms
                and (not self.reasons or headers.get(H_REASON, "") in self.reasons)
                and (not self.source_topics or headers.get(H_TOPIC, "") in self.source_topics)
                and (not self.services or headers.get(H_CONNECTOR, "") in self.services))


@dataclass
class Report:
    sent: Counter[tuple[str, str]] = field(default_factory=Counter)  # (topic, reason) -> count
    repeated: int = 0  # later failures of an input this run already sends
    unroutable: int = 0  # no source topic header: not a record of ours


def _headers(raw: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    return {k: v.decode("utf-8", errors="replace") for k, v in (raw or ())}


def _first_failure(headers: dict[str, str]) -> str:
    return headers.get(H_FIRST_FAILURE) or "/".join(
        headers.get(h, "") for h in (H_TOPIC, H_PARTITION, H_OFFSET))


def replay_headers(headers: dict[str, str]) -> list[tuple[str, bytes]]:
    """The original headers, without the error context, plus where the input first failed."""
    kept = {k: v for k, v in headers.items() if not k.startswith(PREFIX) and k != H_REASON}
    kept[H_FIRST_FAILURE] = _first_failure(headers)
    return [(k, v.encode()) for k, v in kept.items()]


async def _dead_letters(common: CommonSettings, dlq: str) -> AsyncIterator[Any]:
    """Every record the DLQ holds now, batch by batch; later ones are left for a later run."""
    security = kafka_security(common)
    admin = AIOKafkaAdminClient(bootstrap_servers=common.kafka_bootstrap, **security)
    await admin.start()
    try:
        partitions = await partitions_of(admin, [dlq])
    finally:
        await admin.close()
    if not partitions:
        return
    consumer = AIOKafkaConsumer(bootstrap_servers=common.kafka_bootstrap,
                                enable_auto_commit=False, **security)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, got in batch.items():
                for record in got:
                    if record.offset < ends[tp]:
                        yield record
            # The position, not the last record's offset: it also passes offsets with no record.
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()


async def redrive(common: CommonSettings, selection: Selection, *, dlq: str | None = None,
                  dry_run: bool = False) -> Report:
    """Send the selected dead letters back, each failed input once, key and bytes unchanged.

    Downstream effects are idempotent (stable ids, version-guarded upserts), so sending back
    an input that meanwhile succeeded changes nothing; one that fails again is dead-lettered
    again with its first failure kept. Only the chosen records are held, not the whole DLQ.
    `dlq` defaults to the namespace's news.dlq.
    """
    report, chosen = Report(), {}
    async for record in _dead_letters(common, dlq or common.topics.names().dlq):
        headers = _headers(record.headers)
        if not selection.wants(headers, record.timestamp):
            continue
        if not headers.get(H_TOPIC):
            report.unroutable += 1
            continue
        first = _first_failure(headers)
        report.repeated += first in chosen
        chosen[first] = (record, headers)  # the latest failure of that input
    if not dry_run:
        await _send(common, list(chosen.values()))
    for _, headers in chosen.values():
        report.sent[(headers[H_TOPIC], headers.get(H_REASON, ""))] += 1
    return report


async def _send(common: CommonSettings, letters: list[tuple[Any, dict[str, str]]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=common.kafka_bootstrap, acks="all",
                                enable_idempotence=True, **kafka_security(common))
    await producer.start()
    try:
        for record, headers in letters:
            await producer.send_and_wait(headers[H_TOPIC], record.value, key=record.key,
                                         headers=replay_headers(headers))
    finally:
        await producer.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.redrive", description=__doc__)
    parser.add_argument("--reason", action="append", default=[], help="e.g. parse_error")
    parser.add_argument("--topic", action="append", default=[], help="source topic")
    parser.add_argument("--service", action="append", default=[], help="e.g. normalizer")
    parser.add_argument("--after-ms", type=int, default=0, help="DLQ record time, epoch ms")
    parser.add_argument("--dry-run", action="store_true", help="count only, send nothing")
    args = parser.parse_args(argv)
    selection = Selection(frozenset(args.reason), frozenset(args.topic),
                          frozenset(args.service), args.after_ms)
    report = asyncio.run(redrive(CommonSettings(), selection, dry_run=args.dry_run))
    verb = "would send" if args.dry_run else "sent"
    for (topic, reason), count in sorted(report.sent.items()):
        print(f"{verb} {count:6d}  {topic}  ({reason})")
    print(f"{verb} {sum(report.sent.values())} in all; {report.repeated} later failures of the"
          f" same inputs skipped; {report.unroutable} without a source topic skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
