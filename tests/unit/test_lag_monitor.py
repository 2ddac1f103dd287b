"""The lag monitor when Kafka does not answer: an error to log, nothing half-started kept."""

from __future__ import annotations

import asyncio
import socket

import pytest

from shared.lag import LagMonitor
from shared.metrics import ServiceMetrics

pytestmark = pytest.mark.unit


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_failed_start_keeps_no_client_and_the_loop_goes_on() -> None:
    monitor = LagMonitor(f"127.0.0.1:{_closed_port()}", ServiceMetrics("lagtest"),
                         {"group": ["news.raw"]}, interval=0.05)
    with pytest.raises(Exception, match=r"(?i)connect"):
        await monitor.refresh()
    assert monitor._admin is None and monitor._consumer is None
    await monitor.start()
    await asyncio.sleep(0.3)
    assert monitor._task is not None and not monitor._task.done()  # logged, not ended
    await monitor.stop()
    assert monitor._task.cancelled()
