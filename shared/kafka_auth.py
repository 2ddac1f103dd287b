"""Start-up Kafka check: a service whose login is refused, or that no broker answers yet,
stays up and not ready."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import uvicorn
from aiokafka.conn import create_conn
from aiokafka.errors import (
    AuthenticationFailedError,
    KafkaError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)
from faststream.asgi.types import Receive, Scope, Send

log = logging.getLogger("newswire.kafka_auth")

# Refusals that no retry by the client can fix: the operator must change a setting or a secret.
_REFUSED = (SaslAuthenticationFailed, UnsupportedSaslMechanismError, AuthenticationFailedError,
            ssl.SSLError)


async def login_refusal(bootstrap: str, security: Mapping[str, Any],
                        timeout_ms: int = 10_000) -> str | None:
    """Why the first answering bootstrap server refuses our login; None if it accepts it, if
    no server answers (the normal start reports that) or if the cluster needs no login."""
    if not security:
        return None
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            conn = await create_conn(host, int(port), client_id="newswire-login-check",
                                     request_timeout_ms=timeout_ms, **security)
        except _REFUSED as err:
            return str(err) or type(err).__name__
        except (OSError, KafkaError, TimeoutError):
            continue
        conn.close()
        return None
    return None


async def unreachable(bootstrap: str, security: Mapping[str, Any],
                      timeout_ms: int = 5_000) -> str | None:
    """Why no bootstrap server answers (a Kafka answer, not only a TCP accept); None as soon
    as one does, whether or not it takes our login (login_refusal reports that)."""
    last: BaseException | None = None
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            conn = await create_conn(host, int(port), client_id="newswire-start-check",
                                     request_timeout_ms=timeout_ms, **security)
        except _REFUSED:
            return None
        except (OSError, KafkaError, TimeoutError) as err:
            last = err
            continue
        conn.close()
        return None
    return f"no bootstrap server answers ({bootstrap}): {last!r}"


def _not_ready_app(reason: str, error: str | None = None) -> Any:
    """/healthz 200 (the process is fine); every other path 503 with the reason, so a client
    pushing meanwhile retries (a 404 told the chaos run's agency its articles were refused)."""
    ready = json.dumps({"ready": False, "checks": {"kafka": False},
                        "error": error or f"Kafka refused the login: {reason}"}).encode()

    async def app(scope: Scope, _receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        status, body = (200, b'{"status":"ok"}') if scope["path"] == "/healthz" else (503, ready)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return app


async def _hold(bootstrap: str, security: Mapping[str, Any], host: str, port: int,
                retry_seconds: float) -> bool:
    reason = await login_refusal(bootstrap, security)
    if reason is None:
        return await _hold_while_unreachable(bootstrap, security, host, port)
    who = {"bootstrap": bootstrap, "user": security.get("sasl_plain_username"),
           "mechanism": security.get("sasl_mechanism"),
           "protocol": security.get("security_protocol")}
    # One clear error, then a reminder per retry: a restart would not change the answer, so the
    # process stays up (not ready) instead of exiting into a supervisor's restart loop.
    log.error("Kafka refused the login: %s; staying up and not ready, checking again every "
              "%.0f s (fix NEWSWIRE_KAFKA_SASL_* / NEWSWIRE_KAFKA_SSL_CAFILE or the broker's "
              "user)", reason, retry_seconds, extra=who)
    if not await _serve_not_ready(
            _not_ready_app(reason), host, port, retry_seconds,
            probe=lambda: login_refusal(bootstrap, security),
            still=lambda still: log.warning("Kafka still refuses the login: %s", still, extra=who)):
        return False
    log.info("Kafka accepts the login now; starting", extra=who)
    return True


async def _serve_not_ready(app: Any, host: str, port: int, retry_seconds: float, *,
                           probe: Callable[[], Awaitable[str | None]],
                           still: Callable[[str], None] | None = None) -> bool:
    """Serve the not-ready app on the service's port and ask `probe` every `retry_seconds`
    until it finds no reason to wait (True), or the server is told to stop (False)."""
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None,
                                           access_log=False, lifespan="off"))
    serving = asyncio.create_task(server.serve())
    try:
        while True:
            done, _ = await asyncio.wait({serving}, timeout=retry_seconds)
            if done:  # stopped by a signal while waiting
                return False
            reason = await probe()
            if reason is None:
                return True
            if still is not None:
                still(reason)
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await serving


async def _hold_while_unreachable(bootstrap: str, security: Mapping[str, Any], host: str,
                                  port: int, retry_seconds: float = 2.0) -> bool:
    """Started while no broker answers (a cluster restart, the broker restarting): stay up
    and not ready until one does. Exiting would leave the service down for good wherever no
    supervisor restarts it, and the broker's start would have failed at once anyway."""
    reason = await unreachable(bootstrap, security)
    if reason is None:
        return True
    log.warning("Kafka does not answer: %s; staying up and not ready, trying every %.0f s",
                reason, retry_seconds, extra={"bootstrap": bootstrap})
    if not await _serve_not_ready(
            _not_ready_app(reason, f"Kafka does not answer: {reason}"), host, port,
            retry_seconds, probe=lambda: unreachable(bootstrap, security)):
        return False
    log.info("Kafka answers now; starting", extra={"bootstrap": bootstrap})
    return True


def hold_while_refused(bootstrap: str, security: Mapping[str, Any], host: str, port: int,
                       retry_seconds: float = 30.0) -> bool:
    """Blocks while Kafka refuses the credentials or no broker answers, serving /healthz and a
    503 /readyz on the service's port; True once Kafka answers and accepts them, False if the
    process was told to stop."""
    return asyncio.run(_hold(bootstrap, security, host, port, retry_seconds))
