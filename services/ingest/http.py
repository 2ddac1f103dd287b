"""POST /v1/articles: raw body in, 202 with the article id once Kafka has it."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from faststream.asgi.types import ASGIApp, Receive, Scope, Send

from shared.metrics import ServiceMetrics
from shared.runtime import Timer
from shared.sanitize import PayloadTooLarge

from .config import IngestSettings
from .credentials import CredentialStore
from .gateway import BadRequest, Publisher, envelope, publish_raw

log = logging.getLogger("newswire.ingest")


_CHALLENGE = [(b"www-authenticate", b'Bearer realm="newswire-ingest"')]


async def _reply(send: Send, status: int, payload: dict[str, Any],
                 extra_headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(payload).encode()
    # A known length, not chunked: every HTTP/1.1 client reads it, and the keep-alive
    # connection is ready for the next push at once.
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            *(extra_headers or [])]})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks, size = [], 0
    while True:
        event = await receive()
        chunk = event.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"payload exceeds the limit of {limit} bytes")
        chunks.append(chunk)
        if not event.get("more_body"):
            return b"".join(chunks)


def credential_store(settings: IngestSettings) -> CredentialStore:
    """The store the settings describe; raises if the credentials file is missing or broken."""
    return CredentialStore(settings.credentials, settings.credentials_file,
                           reload_seconds=settings.credentials_reload_seconds)


def articles_endpoint(
    publisher: Publisher, settings: IngestSettings, metrics: ServiceMetrics,
    credentials: CredentialStore | None = None,
) -> ASGIApp:
    store = credentials if credentials is not None else credential_store(settings)
    if not store.enabled:
        log.warning("no ingest credentials configured: any client may push as any source")
    topic = settings.common.topics.names().raw
    refused = metrics.messages.labels(metrics.service, "ingest_http", "unauthorized")
    forbidden = metrics.messages.labels(metrics.service, "ingest_http", "forbidden")
    # A refused push is answered to its sender and never reaches news.dlq: counting it as a
    # dead letter raised the DLQ alert for a client's mistake.
    too_large = metrics.messages.labels(metrics.service, "ingest_http", "too_large")
    malformed = metrics.messages.labels(metrics.service, "ingest_http", "bad_request")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "POST":
            await _reply(send, 405, {"error": "use POST"})
            return
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = _query(scope)
        source = headers.get("x-newswire-source") or query.get("source", "")
        credential = "-"
        # Both refusals come before the body is read: nothing of theirs can reach Kafka.
        if store.enabled:
            who = store.identify(headers.get("authorization"))
            if who is None:
                refused.inc()
                log.info("push refused: missing or unknown token", extra={"source": source})
                await _reply(send, 401, {"error": "missing or unknown bearer token"}, _CHALLENGE)
                return
            credential = who.name
            # An empty source is a malformed push (400 below), not a question of ownership.
            if source and not who.allows(source):
                forbidden.inc()
                log.warning("push refused: source not allowed for this credential",
                            extra={"source": source, "credential": who.name})
                await _reply(send, 403, {"error": f"this token may not push as {source!r}"})
                return
        with Timer(metrics, "ingest_http"):
            try:
                body = await _read_body(receive, settings.max_payload_bytes)
                raw = envelope(
                    body, source=source,
                    content_type=headers.get("content-type"),
                    url=headers.get("x-newswire-url") or query.get("url"),
                    guid=headers.get("x-newswire-id") or query.get("id"),
                    max_bytes=settings.max_payload_bytes,
                )
            except PayloadTooLarge as exc:
                too_large.inc()
                await _reply(send, 413, {"error": str(exc)})
                return
            except (BadRequest, ValueError) as exc:
                malformed.inc()
                await _reply(send, 400, {"error": str(exc)})
                return
            accepted = await publish_raw(publisher, raw, topic)
        metrics.ok("ingest_http")
        log.info("accepted", extra={"id": accepted.id, "source": raw.source,
                                    "credential": credential})
        await _reply(send, 202, {"id": accepted.id, "topic": accepted.topic,
                                 "trace_id": accepted.trace_id})

    return app


def _query(scope: Scope) -> dict[str, str]:
    return dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
