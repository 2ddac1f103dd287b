"""Linker batch handling: apply each record in order, publish every output, then snapshot."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from faststream.kafka import KafkaBroker
from prometheus_client import Gauge, Histogram
from pydantic import ValidationError

from services.enrichment.pipeline import Result, topic_streams
from shared.dlq import DeadLetters
from shared.metrics import ServiceMetrics
from shared.runtime import Timer, record_origin
from shared.topics import Topics

from .stage import LinkerStage

log = logging.getLogger("newswire.linker")
STAGE = "link"
REASONS = ("invalid_article", "linker_crash")
HEADERS = {"content-type": "application/json"}


@dataclass(frozen=True)
class Send:
    topic: str
    key: bytes | None
    value: bytes
    headers: dict[str, str] | None = None


def sends_of(result: Result, names: Topics) -> list[Send]:
    """The article on news.enriched and its topic streams, its story change, resolved links."""
    enriched = result.enriched
    body, key = enriched.model_dump_json().encode(), enriched.id.encode()
    out = [Send(t, key, body) for t in (names.enriched, *topic_streams(enriched, names))]
    if result.story is not None:
        out.append(Send(names.story, result.story.story_id.encode(),
                        result.story.model_dump_json().encode()))
    out += [Send(names.links, u.source_id.encode(), u.model_dump_json().encode())
            for u in result.links]
    return out


class StateGauges:
    """What an operator watches of the linker's state: its size, snapshots and recoveries."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        r = metrics.registry
        self.articles = Gauge("newswire_linker_state_articles",
                              "Articles in the linker's in-memory index (retention window)",
                              registry=r)
        self.offset = Gauge("newswire_linker_input_offset",
                            "Next news.annotated offset the linker state will apply", registry=r)
        self.snapshot = Gauge("newswire_linker_snapshot_offset",
                              "Input offset of the newest snapshot saved or restored", registry=r)
        self.restores = Gauge("newswire_linker_restores",
                              "Snapshots restored since the process started", registry=r)
        self.replayed = Gauge("newswire_linker_replayed_records",
                              "Records replayed without output since the process started",
                              registry=r)
        self.snapshot_seconds = Histogram("newswire_linker_snapshot_seconds",
                                          "Time the stream waits for a snapshot (the fork; "
                                          "the dump and its write go on in the background)",
                                          registry=r)

    def update(self, stage: LinkerStage) -> None:
        self.articles.set(stage.articles())
        self.offset.set(stage.next_offset)
        self.snapshot.set(stage.snapshot_offset)
        self.restores.set(stage.restores)
        self.replayed.set(stage.replayed)


class LinkerHandler:
    def __init__(self, broker: KafkaBroker, dead_letters: DeadLetters, stage: LinkerStage,
                 names: Topics, chunk: int = 32) -> None:
        self.broker, self.metrics, self.stage = broker, dead_letters.metrics, stage
        self.names, self.chunk = names, chunk
        self.gauges = StateGauges(self.metrics)
        self.dlq_topic = dead_letters.topic
        self.dlq = dead_letters.stage(STAGE, self, REASONS, aged=True)
        # Outputs of applied records not yet acknowledged by Kafka: a redelivered record
        # (after a failed publish) is sent again from here, since the state already holds it.
        self._unsent: dict[int, list[Send]] = {}

    async def handle(self, records: Sequence[object]) -> int:
        """Returns how many records were linked; raises only when Kafka fails (then nack)."""
        with Timer(self.metrics, STAGE):
            sent: list[asyncio.Task[object]] = []
            linked = at = 0
            while at < len(records):
                offset: int = getattr(records[at], "offset", -1)
                if offset > self.stage.next_offset:
                    await self.stage.catch_up(offset)
                # Linking is CPU work: in a worker thread, so the consumer's heartbeats and
                # the HTTP probes keep being answered while a large poll is linked. A part
                # at a time, each sent while the next is linked: a poll's first article
                # does not wait for its last one.
                at, part, n = await asyncio.to_thread(self._apply_run, records, at,
                                                      at + self.chunk)
                sent += [asyncio.ensure_future(self.broker.publish(
                    s.value, s.topic, key=s.key, headers=s.headers or HEADERS)) for s in part]
                linked += n
            await asyncio.gather(*sent)
            self._unsent.clear()
        self.metrics.ok(STAGE, linked)
        if self.stage.snapshot_due():
            with self.gauges.snapshot_seconds.time():
                self.stage.save_snapshot()
        self.gauges.update(self.stage)
        return linked

    def _apply_run(self, records: Sequence[object], at: int, until: int
                   ) -> tuple[int, list[Send], int]:
        """Apply records from `at` up to `until`, or to one that lies past the state (a gap
        to replay first); returns where it stopped, the sends and how many were linked."""
        sends: list[Send] = []
        linked = 0
        end = min(until, len(records))
        for i in range(at, end):
            record = records[i]
            offset: int = getattr(record, "offset", -1)
            value: bytes = getattr(record, "value", b"") or b""
            if offset < self.stage.next_offset:
                sends += self._unsent.pop(offset, [])
                continue
            if offset > self.stage.next_offset:
                return i, sends, linked
            try:
                result = self.stage.apply(offset, value)
            except ValidationError as exc:
                out = [self._dead_letter(record, value, exc, "invalid_article")]
            except Exception as exc:
                log.exception("linker crashed", extra={"offset": offset})
                out = [self._dead_letter(record, value, exc, "linker_crash")]
            else:
                out = sends_of(result, self.names)
                linked += 1
                self.metrics.observe_age(STAGE, result.enriched.article.received_at)
            self._unsent[offset] = out
            sends += out
        return end, sends, linked

    def _dead_letter(self, record: object, value: bytes, exc: Exception, reason: str) -> Send:
        """The DLQ record goes out with the batch, so a failed publish re-sends it too."""
        letter = self.dlq.letter(value, record_origin(record), exc, reason)
        return Send(self.dlq_topic, letter.key, letter.value, letter.headers)
