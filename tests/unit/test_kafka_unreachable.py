"""A service started while no broker answers stays up and not ready, and starts once one
answers (the chaos run found services exiting when restarted during a broker restart)."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request

import pytest

from shared import kafka_auth

pytestmark = pytest.mark.unit


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as reply:
            return int(reply.status), json.loads(reply.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


async def test_a_closed_port_is_unreachable_with_the_reason() -> None:
    reason = await kafka_auth.unreachable(f"127.0.0.1:{_free_port()}", {}, timeout_ms=1000)
    assert reason is not None and "no bootstrap server answers" in reason


async def test_hold_serves_not_ready_while_no_broker_answers_then_starts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    broker_up = asyncio.Event()
    real = kafka_auth.unreachable

    async def unreachable(bootstrap: str, security: dict[str, object]) -> str | None:
        # A closed port really is tried until the "broker" comes up.
        return None if broker_up.is_set() else await real(bootstrap, security, timeout_ms=500)

    monkeypatch.setattr(kafka_auth, "unreachable", unreachable)
    port = _free_port()
    # The start-up path of every service without a login (run_service -> hold_while_refused).
    hold = asyncio.create_task(kafka_auth._hold(f"127.0.0.1:{_free_port()}", {}, "127.0.0.1",
                                                port, retry_seconds=30))
    status, body = 0, dict[str, object]()
    for _ in range(200):  # until the not-ready app listens
        await asyncio.sleep(0.05)
        try:
            status, body = await asyncio.to_thread(_get, port, "/readyz")
            break
        except OSError:
            continue
    assert status == 503 and body["ready"] is False
    assert str(body["error"]).startswith("Kafka does not answer: no bootstrap server answers")
    assert (await asyncio.to_thread(_get, port, "/healthz")) == (200, {"status": "ok"})
    # A push meanwhile is told to retry, not that it was refused.
    assert (await asyncio.to_thread(_get, port, "/v1/articles"))[0] == 503
    assert not hold.done()  # it does not give up (an exit would need someone to restart it)
    broker_up.set()
    assert await asyncio.wait_for(hold, 10) is True
