"""A started app keeps newswire_ready current on real Kafka with nobody calling /readyz."""

from __future__ import annotations

import asyncio

import pytest
from faststream.kafka import KafkaBroker

from services.normalizer.config import NormalizerSettings
from services.normalizer.main import build_app
from shared.runtime import broker_check
from shared.settings import CommonSettings
from shared.topics import TopicSettings
from tests.conftest import Infra
from tests.helpers import sample, scrape

pytestmark = pytest.mark.integration


def _checking() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == "readiness" and not t.done()]


async def test_the_ready_gauge_is_set_by_the_started_app_and_stops_with_it(
        infra: Infra, uid: str) -> None:
    settings = NormalizerSettings(
        common=CommonSettings(kafka_bootstrap=infra.bootstrap, ready_interval_seconds=0.2,
                              lag_interval_seconds=0,
                              topics=TopicSettings(namespace=f"t{uid}.")),
        group_id=f"ready-{uid}")
    app, _ = build_app(settings)

    async def ready() -> float | None:
        return sample(await scrape(app), "newswire_ready", service="normalizer")

    assert await ready() == 0  # built, not started: not ready
    await app.start()
    try:
        seen = []
        for _ in range(200):  # up to 20 s; the first check runs right after startup
            seen.append(await ready())
            if seen[-1] == 1:
                break
            await asyncio.sleep(0.1)
        assert seen[-1] == 1
        assert len(_checking()) == 1
    finally:
        await app.stop()
    assert _checking() == []  # cancelled on shutdown


async def test_the_broker_check_asks_kafka_for_its_brokers_and_no_topic(infra: Infra) -> None:
    broker = KafkaBroker(infra.bootstrap)
    check = broker_check(broker)
    assert await check() is False  # not connected yet
    await broker.connect()
    try:
        assert await check() is True
        # What the check sends: a metadata request naming no topic answers with none, where
        # FastStream's ping (every topic) would decode the whole cluster's metadata.
        assert await broker.config.admin_client.describe_topics([]) == []
        assert await broker.config.admin_client.list_topics()  # the cluster has topics
    finally:
        await broker.stop()
    assert await check() is False
