"""A started app keeps newswire_ready current on real Kafka with nobody calling /readyz."""

from __future__ import annotations

import asyncio

import pytest

from services.normalizer.config import NormalizerSettings
from services.normalizer.main import build_app
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
