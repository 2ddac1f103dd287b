"""Consumer-group lag from committed offsets, exported per partition as newswire_consumer_lag."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from shared.metrics import ServiceMetrics

log = logging.getLogger("newswire.lag")


async def partitions_of(admin: AIOKafkaAdminClient,
                        topic_names: Sequence[str]) -> list[TopicPartition]:
    """Every partition of the topics that exist; a missing topic has none."""
    described = await admin.describe_topics(list(topic_names))
    return sorted(TopicPartition(t["topic"], p["partition"])
                  for t in described if not t["error_code"] for p in t["partitions"])


async def group_lag(admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer, group_id: str,
                    topic_names: Sequence[str]) -> dict[TopicPartition, int]:
    """Records each partition holds past the group's committed offset.

    Committed, not consumed: offsets are committed only after an effect is durable, so this is
    the work a restart would redo. A partition without a commit counts from its first retained
    record, where an `earliest` consumer starts.
    """
    partitions = await partitions_of(admin, topic_names)
    if not partitions:
        return {}
    committed = await admin.list_consumer_group_offsets(group_id, partitions=partitions)
    ends = await consumer.end_offsets(partitions)
    starts = await consumer.beginning_offsets(partitions)
    lag = {}
    for tp in partitions:
        meta = committed.get(tp)
        done = max(meta.offset if meta is not None else -1, starts[tp])
        lag[tp] = max(ends[tp] - done, 0)
    return lag


class LagMonitor:
    """Refreshes the lag gauge of some consumer groups; a failed measurement is logged only."""

    def __init__(self, bootstrap: str, metrics: ServiceMetrics,
                 groups: Mapping[str, Sequence[str]], interval: float,
                 security: Mapping[str, Any] | None = None) -> None:
        self.bootstrap, self.metrics, self.groups, self.interval = (
            bootstrap, metrics, dict(groups), interval)
        self.security = dict(security or {})
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def refresh(self) -> dict[str, dict[TopicPartition, int]]:
        """Measure every group once and set the gauge; connects on first use."""
        if self._admin is None or self._consumer is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, **self.security)
            # No group: this consumer only asks for partition offsets and never joins one.
            consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, **self.security)
            try:
                await admin.start()
                await consumer.start()
            except BaseException:
                # Kept only once both answer, so a failed start is retried whole next time.
                await _close(admin, consumer)
                raise
            self._admin, self._consumer = admin, consumer
        found = {}
        for group, names in self.groups.items():
            lag = found[group] = await group_lag(self._admin, self._consumer, group, names)
            for tp, value in lag.items():
                self.metrics.lag.labels(self.metrics.service, group, tp.topic,
                                        str(tp.partition)).set(value)
        return found

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as exc:  # noqa: BLE001 - no failure may end the measuring
                log.warning("consumer lag not measured: %r", exc)
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        if self.interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await _close(self._admin, self._consumer)
        self._admin = self._consumer = None


async def _close(admin: AIOKafkaAdminClient | None, consumer: AIOKafkaConsumer | None) -> None:
    if consumer is not None:
        with contextlib.suppress(KafkaError, OSError):
            await consumer.stop()
    if admin is not None:
        with contextlib.suppress(KafkaError, OSError):
            await admin.close()
