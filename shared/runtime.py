"""Service plumbing every composition root uses: broker, topics, readiness, HTTP routes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol, TypedDict, TypeVar

import uvicorn
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from aiokafka.helpers import create_ssl_context
from faststream.asgi import AsgiFastStream
from faststream.asgi.types import ASGIApp, Receive, Scope, Send
from faststream.exceptions import IncorrectState
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.security import SASLPlaintext, SASLScram256, SASLScram512
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.dlq import Origin
from shared.kafka_auth import hold_while_refused
from shared.metrics import ServiceMetrics
from shared.settings import CommonSettings
from shared.topics import Topics

log = logging.getLogger("newswire.runtime")

ReadyCheck = Callable[[], Awaitable[bool]]


def _security(common: CommonSettings) -> Any:
    """The broker's FastStream security object, from the same options as every other client."""
    options = kafka_security(common)
    if not options:
        return None
    kinds = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}
    return kinds[options["sasl_mechanism"]](
        username=options["sasl_plain_username"], password=options["sasl_plain_password"],
        use_ssl=options["security_protocol"] == "SASL_SSL",
        ssl_context=options.get("ssl_context"))


def make_broker(
    common: CommonSettings, service: str, metrics: ServiceMetrics, **extra: Any
) -> KafkaBroker:
    """Idempotent producer with acks=all: a 'sent' article is on every in-sync replica."""
    return KafkaBroker(
        common.kafka_bootstrap,
        client_id=f"newswire-{service}",
        acks="all",
        enable_idempotence=True,
        linger_ms=common.kafka_linger_ms,
        max_batch_size=common.kafka_max_batch_bytes,
        security=_security(common),
        middlewares=[
            KafkaPrometheusMiddleware(registry=metrics.registry, app_name=service),
        ],
        logger=logging.getLogger(f"newswire.{service}.broker"),
        # "Received"/"Processed" for every record is DEBUG: at stream rates, two JSON log lines
        # per record and stage cost more CPU than some stages' own work.
        log_level=logging.DEBUG,
        **extra,
    )


class FetchOptions(TypedDict):
    fetch_min_bytes: int
    fetch_max_wait_ms: int


def fetch_options(common: CommonSettings) -> FetchOptions:
    """Subscriber options that batch fetches (see CommonSettings.kafka_fetch_min_bytes)."""
    return {"fetch_min_bytes": common.kafka_fetch_min_bytes,
            "fetch_max_wait_ms": common.kafka_fetch_max_wait_ms}


def kafka_security(common: CommonSettings) -> dict[str, Any]:
    """aiokafka client options for the same security as the broker's (admin, lag consumer).

    Empty for a plaintext cluster; SASL (PLAIN or SCRAM) over TLS or not, as make_broker uses.
    """
    if not common.kafka_sasl_mechanism or common.kafka_sasl_password is None:
        return {}
    use_ssl = common.kafka_security_protocol.upper() == "SASL_SSL"
    options: dict[str, Any] = {
        "security_protocol": "SASL_SSL" if use_ssl else "SASL_PLAINTEXT",
        "sasl_mechanism": common.kafka_sasl_mechanism.upper(),
        "sasl_plain_username": common.kafka_sasl_username or "",
        "sasl_plain_password": common.kafka_sasl_password.get_secret_value(),
    }
    if use_ssl:
        options["ssl_context"] = create_ssl_context(cafile=common.kafka_ssl_cafile)
    return options


# news.raw carries whole documents; the broker's 1 MiB default record limit is too small.
RAW_TOPIC_CONFIG = {"max.message.bytes": str(8 * 1024 * 1024)}
# The linker's input must stay replayable back to its oldest snapshot: a week, at least.
ANNOTATED_TOPIC_CONFIG = {"retention.ms": str(7 * 24 * 3600 * 1000)}


async def ensure_topics(
    bootstrap: str, names: Iterable[str], partitions: int = 3,
    configs: Mapping[str, Mapping[str, str]] | None = None,
    security: Mapping[str, Any] | None = None,
) -> None:
    """Create topics up front so consumers never race auto-creation; existing ones are kept."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **(security or {}))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in dict.fromkeys(names) if n not in existing]
        if missing:
            new = [
                NewTopic(n, num_partitions=partitions, replication_factor=1,
                         topic_configs=dict((configs or {}).get(n, {})))
                for n in missing
            ]
            # Another service may create them between list and create; that is fine.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
    finally:
        await admin.close()


async def ensure_annotated_topic(common: CommonSettings, names: Topics) -> None:
    """news.annotated, the linker's input: one partition (one total order), long retention.
    Both its producer (annotation) and its consumer (linker) make sure it exists first."""
    await ensure_topics(common.kafka_bootstrap, [names.annotated], 1,
                        {names.annotated: ANNOTATED_TOPIC_CONFIG}, kafka_security(common))


def header_map(raw_headers: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    return {k: v.decode("utf-8", errors="replace") for k, v in (raw_headers or ())}


class Timer:
    """Context manager that observes elapsed seconds into a histogram child."""

    def __init__(self, metrics: ServiceMetrics, stage: str) -> None:
        self._child = metrics.processing.labels(metrics.service, stage)
        self._start = 0.0

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        self._child.observe(time.perf_counter() - self._start)


async def _send(send: Send, status: int, body: bytes, content_type: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type.encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class Readiness:
    """Checks every dependency now and then, so the newswire_ready gauge is current whether
    or not anything calls /readyz; /readyz checks afresh and updates it too."""

    def __init__(self, metrics: ServiceMetrics, checks: Mapping[str, ReadyCheck],
                 interval: float = 5.0, timeout: float = 3.0) -> None:
        self.metrics, self.checks, self.interval = metrics, checks, interval
        self.timeout = timeout
        self._task: asyncio.Task[None] | None = None
        self._running: dict[str, asyncio.Task[bool]] = {}

    async def check(self) -> dict[str, bool]:
        """A check still unanswered after `timeout` counts as not ready but is never cancelled: it
        ends by its own client's deadline, and the next check waits on it instead of starting
        another. Cancelling a pymongo operation inside server selection during an outage left
        the client's topology lock broken and the client hung for good (the chaos run)."""
        results: dict[str, bool] = {}
        for name, check in self.checks.items():
            task = self._running.get(name)
            if task is None or task.done():
                if task is not None and not task.cancelled():
                    task.exception()  # seen: a failure that ended unwatched is not reported
                task = self._running[name] = asyncio.ensure_future(check())
            done, _ = await asyncio.wait({task}, timeout=self.timeout)
            results[name] = bool(task in done and not task.cancelled()
                                 and task.exception() is None and task.result())
        self.metrics.ready.labels(self.metrics.service).set(1 if all(results.values()) else 0)
        return results

    async def _loop(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="readiness")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # Checks left running end by their own deadline; shutting down, nobody waits for them.
        for running in self._running.values():
            running.cancel()


def ops_routes(metrics: ServiceMetrics, readiness: Readiness) -> list[tuple[str, ASGIApp]]:
    """/metrics, /healthz (process alive) and /readyz (every dependency answers)."""

    async def metrics_app(_scope: Scope, _receive: Receive, send: Send) -> None:
        await _send(send, 200, generate_latest(metrics.registry), CONTENT_TYPE_LATEST)

    async def healthz(_scope: Scope, _receive: Receive, send: Send) -> None:
        await _send(send, 200, b'{"status":"ok"}', "application/json")

    async def readyz(_scope: Scope, _receive: Receive, send: Send) -> None:
        results = await readiness.check()
        ready = all(results.values())
        body = json.dumps({"ready": ready, "checks": results}).encode()
        await _send(send, 200 if ready else 503, body, "application/json")

    return [("/metrics", metrics_app), ("/healthz", healthz), ("/readyz", readyz)]


def broker_check(broker: KafkaBroker, timeout: float = 2.0) -> ReadyCheck:
    """Kafka answers a metadata request naming no topic (its brokers only).

    FastStream's own ping asks for the metadata of every topic in the cluster: on the local
    broker, with 1,500 topics left by test runs, decoding that in Python every 5 s was most of
    an idle service's CPU, and a shared production cluster can hold far more topics."""
    async def check() -> bool:
        try:
            admin = broker.config.admin_client
        except IncorrectState:  # not connected (yet)
            return False
        try:
            async with asyncio.timeout(timeout):
                await admin.describe_topics([])
        except (TimeoutError, KafkaError, OSError):
            return False
        return True

    return check


def serve(app: AsgiFastStream, host: str, port: int) -> None:
    """Run one service: uvicorn drives the ASGI app, whose lifespan starts the broker."""
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, lifespan="on")


class _ServiceSettings(Protocol):
    common: CommonSettings
    http_port: int


S = TypeVar("S", bound=_ServiceSettings)


def run_service(settings: S, build_app: Callable[[S], tuple[AsgiFastStream, KafkaBroker]]
                ) -> int:
    """The `python -m services.<name>` entry: build the app from settings and serve it."""
    app, _ = build_app(settings)
    # Refused credentials keep the service up and not ready rather than exiting into a loop.
    if not hold_while_refused(settings.common.kafka_bootstrap, kafka_security(settings.common),
                              settings.common.http_host, settings.http_port,
                              settings.common.kafka_login_retry_seconds):
        return 0
    serve(app, settings.common.http_host, settings.http_port)
    return 0


async def raw_body(msg: Any) -> bytes:
    """Subscriber decoder that hands over the bytes untouched.

    FastStream would otherwise decode by content type before our code runs, and a decode
    error there would nack-loop the partition instead of reaching the DLQ.
    """
    return bytes(msg.body)


def origin_of(msg: Any) -> Origin:
    """DLQ context of one consumed record (FastStream KafkaMessage)."""
    return record_origin(msg.raw_message)


def record_origin(record: Any) -> Origin:
    """DLQ context of one aiokafka ConsumerRecord (an item of a batch)."""
    return Origin(
        topic=getattr(record, "topic", ""),
        partition=getattr(record, "partition", -1),
        offset=getattr(record, "offset", -1),
        key=getattr(record, "key", None),
        headers=header_map(getattr(record, "headers", None)),
    )


async def batch_records(msg: Any) -> list[Any]:
    """Batch decoder: the raw ConsumerRecords, so each can be validated (or dead-lettered)
    and its offset read."""
    raw = msg.raw_message
    return list(raw) if isinstance(raw, tuple | list) else [raw]
