"""Reads a range of the annotated stream again, to bring a restored state up to the present."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition

log = logging.getLogger("newswire.linker")


class Replay(Protocol):
    def read(self, start: int, stop: int) -> AsyncIterator[tuple[int, bytes]]:
        """(offset, value) of every retained record in [start, stop), in order."""


class KafkaReplay:
    """A group-less consumer assigned to the one partition: it commits nothing."""

    def __init__(self, bootstrap: str, topic: str, security: Mapping[str, Any] | None = None,
                 partition: int = 0) -> None:
        self.bootstrap, self.security = bootstrap, dict(security or {})
        self.tp = TopicPartition(topic, partition)

    async def read(self, start: int, stop: int) -> AsyncIterator[tuple[int, bytes]]:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None,
                                    enable_auto_commit=False, **self.security)
        await consumer.start()
        try:
            consumer.assign([self.tp])
            first = (await consumer.beginning_offsets([self.tp]))[self.tp]
            if first > start:
                log.error("annotated records %d..%d are gone (retention); the state skips them",
                          start, first - 1)
            consumer.seek(self.tp, max(start, first))
            position = max(start, first)
            while position < stop:
                batch = await consumer.getmany(self.tp, timeout_ms=1000, max_records=2000)
                for record in batch.get(self.tp, []):
                    if record.offset >= stop:
                        return
                    position = record.offset + 1
                    yield record.offset, record.value or b""
                if not batch and (await consumer.end_offsets([self.tp]))[self.tp] <= position:
                    return  # nothing more was written; stop short rather than wait forever
        finally:
            await consumer.stop()
