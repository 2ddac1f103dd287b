"""Consumer lag on real Kafka: uncommitted records per partition, and the gauge showing them."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from prometheus_client import generate_latest

from shared.lag import LagMonitor
from shared.metrics import ServiceMetrics
from shared.runtime import ensure_topics
from tests.conftest import Infra

pytestmark = pytest.mark.integration


async def _produce(bootstrap: str, topic: str, per_partition: dict[int, int]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for partition, count in per_partition.items():
            for n in range(count):
                await producer.send_and_wait(topic, f"r{n}".encode(), partition=partition)
    finally:
        await producer.stop()


async def _commit(bootstrap: str, group: str, offsets: dict[TopicPartition, int]) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


async def test_lag_counts_what_the_group_has_not_committed(infra: Infra) -> None:
    topic, group = f"lag-test-{uuid.uuid4().hex[:8]}", f"lag-group-{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.bootstrap, [topic], partitions=2)
    await _produce(infra.bootstrap, topic, {0: 3, 1: 2})
    metrics = ServiceMetrics("lagtest")
    monitor = LagMonitor(infra.bootstrap, metrics, {group: [topic]}, interval=0)
    try:
        p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
        # Nothing committed yet: every record is lag.
        assert (await monitor.refresh())[group] == {p0: 3, p1: 2}
        await _commit(infra.bootstrap, group, {p0: 2, p1: 2})
        assert (await monitor.refresh())[group] == {p0: 1, p1: 0}
        await _produce(infra.bootstrap, topic, {1: 4})
        assert (await monitor.refresh())[group] == {p0: 1, p1: 4}
    finally:
        await monitor.stop()
    exposed = generate_latest(metrics.registry).decode()
    labels = f'group="{group}",partition="1",service="lagtest",topic="{topic}"'
    assert f"newswire_consumer_lag{{{labels}}} 4.0" in exposed


async def test_a_missing_topic_has_no_lag_and_no_error(infra: Infra) -> None:
    monitor = LagMonitor(infra.bootstrap, ServiceMetrics("lagtest"),
                         {"nobody": [f"absent-{uuid.uuid4().hex[:8]}"]}, interval=0)
    try:
        assert await monitor.refresh() == {"nobody": {}}
    finally:
        await monitor.stop()
