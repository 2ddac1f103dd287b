"""The login check's answers without a broker, and the not-ready app a refused service serves."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from pydantic import SecretStr

from shared.kafka_auth import _not_ready_app, hold_while_refused, login_refusal
from shared.runtime import kafka_security
from shared.settings import CommonSettings

pytestmark = pytest.mark.unit

SASL = kafka_security(CommonSettings(
    kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-512",
    kafka_sasl_username="wire", kafka_sasl_password=SecretStr("pw")))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_no_login_no_refusal() -> None:
    assert await login_refusal(f"127.0.0.1:{_closed_port()}", {}) is None


async def test_an_unreachable_broker_is_not_a_refusal() -> None:
    # Nobody answered, so nobody refused: the normal start reports the outage instead.
    assert await login_refusal(f"127.0.0.1:{_closed_port()}", SASL, timeout_ms=2000) is None


def test_hold_returns_at_once_when_nothing_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    async def answers(*_: object) -> None:
        return None

    # A broker answers (faked: no broker in unit tests) and needs no login.
    monkeypatch.setattr("shared.kafka_auth.unreachable", answers)
    # The port is taken: had it tried to serve the not-ready app, uvicorn could not bind.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        assert hold_while_refused(f"127.0.0.1:{_closed_port()}", {}, "127.0.0.1", port) is True


async def _call(path: str) -> tuple[int, dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await _not_ready_app("SaslAuthenticationFailed: invalid credentials")(
        {"type": "http", "path": path}, receive, send)
    return int(sent[0]["status"]), json.loads(sent[1]["body"])


async def test_not_ready_app_says_why() -> None:
    assert await _call("/healthz") == (200, {"status": "ok"})
    status, body = await _call("/readyz")
    assert status == 503 and body["ready"] is False and body["checks"] == {"kafka": False}
    assert body["error"] == "Kafka refused the login: SaslAuthenticationFailed: invalid credentials"
    # A push meanwhile is told to come back (503), not that its article does not exist.
    assert await _call("/v1/articles") == (status, body)
