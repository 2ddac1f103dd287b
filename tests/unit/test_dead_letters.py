"""One dead-letter helper for every stage: each real app, on its real subscribers, dead-letters
with Kafka Connect context and the original bytes; its series exist at zero once built."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from services.enrichment.config import EnrichmentSettings
from services.enrichment.language import LanguageEnricher
from services.enrichment.main import build_app as build_enrichment
from services.enrichment.pipeline import Annotator
from services.linker.config import LinkerSettings
from services.linker.main import build_app as build_linker
from services.normalizer.config import NormalizerSettings
from services.normalizer.handlers import REASONS as NORMALIZER_REASONS
from services.normalizer.main import build_app as build_normalizer
from services.storage.config import StorageSettings
from services.storage.main import build_app as build_storage
from shared.dlq import (
    H_CLASS,
    H_CONNECTOR,
    H_EXC_CLASS,
    H_EXC_MESSAGE,
    H_EXC_STACK,
    H_OFFSET,
    H_PARTITION,
    H_REASON,
    H_STAGE,
    H_TOPIC,
    DeadLetters,
    Origin,
)
from shared.envelope import to_headers
from shared.events import RawArticle, utcnow
from shared.metrics import ServiceMetrics
from shared.runtime import Readiness, raw_body
from shared.settings import CommonSettings
from shared.topics import Topics, TopicSettings
from tests.helpers import eventually, sample, scrape
from tests.unit.linker.conftest import ListReplay, MemorySnapshots
from tests.unit.test_storage_handler import FakeRepo

pytestmark = pytest.mark.unit

App = tuple[AsgiFastStream, KafkaBroker]


def common(namespace: str) -> CommonSettings:
    return CommonSettings(topics=TopicSettings(namespace=namespace))


def normalizer(ns: str) -> App:
    return build_normalizer(NormalizerSettings(common=common(ns)))


def enrichment(ns: str) -> App:
    return build_enrichment(EnrichmentSettings(common=common(ns)),
                            annotator=Annotator([LanguageEnricher()]))


def linker(ns: str) -> App:
    return build_linker(LinkerSettings(common=common(ns)), snapshots=MemorySnapshots(),
                        replay=ListReplay([]))


def storage(ns: str) -> App:
    return build_storage(StorageSettings(common=common(ns)), repo=FakeRepo())


@dataclass(frozen=True)
class Case:
    service: str
    build: Callable[[str], App]
    topic: Callable[[Topics], str]
    payload: bytes
    headers: dict[str, str]
    stage: str
    handler: str
    reason: str
    exc_class: str


def _garbage_envelope() -> tuple[bytes, dict[str, str]]:
    raw = RawArticle(id="r1", source="test", received_at=utcnow(),
                     content_type="application/octet-stream", payload=b"\x00\x01 no \xffformat",
                     trace_id="t1")
    return raw.payload, to_headers(raw)


GARBAGE, ENVELOPE = _garbage_envelope()
CASES = [
    Case("normalizer", normalizer, lambda t: t.raw, GARBAGE, ENVELOPE, "normalize",
         "NormalizerHandler", "unsupported_format", "UnsupportedFormat"),
    Case("enrichment", enrichment, lambda t: t.canonical, b"{not json", {"nw-trace-id": "t2"},
         "annotate", "AnnotationHandler", "invalid_article", "ValidationError"),
    Case("linker", linker, lambda t: t.annotated, b"{oops", {"nw-trace-id": "t3"}, "link",
         "LinkerHandler", "invalid_article", "ValidationError"),
    Case("storage", storage, lambda t: t.enriched, b"\xff not json", {"nw-trace-id": "t4"},
         "store", "StorageHandler", "invalid_event", "ValidationError"),
    Case("storage", storage, lambda t: t.story, b"[]", {"nw-trace-id": "t5"}, "story",
         "StorageHandler", "invalid_event", "ValidationError"),
    Case("storage", storage, lambda t: t.links, b'{"source_id": 1}', {"nw-trace-id": "t6"},
         "links", "StorageHandler", "invalid_event", "ValidationError"),
]


def _dlq_spy(broker: KafkaBroker, topic: str) -> list[tuple[bytes | None, bytes, dict[str, Any]]]:
    got: list[tuple[bytes | None, bytes, dict[str, Any]]] = []

    @broker.subscriber(topic, group_id="dlq-spy", decoder=raw_body)
    async def spy(msg: KafkaMessage) -> None:
        got.append((getattr(msg.raw_message, "key", None), bytes(msg.body), dict(msg.headers)))

    return got


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.service}-{c.stage}")
async def test_every_stage_dead_letters_the_original_bytes_with_connect_context(
        case: Case, uid: str) -> None:
    ns = f"t{uid}."
    names = Topics(ns)
    app, broker = case.build(ns)
    dead = _dlq_spy(broker, names.dlq)
    async with TestKafkaBroker(broker) as br:
        await br.publish(case.payload, case.topic(names), key=b"k1", headers=case.headers)
    assert len(dead) == 1
    key, value, headers = dead[0]
    assert (key, value) == (b"k1", case.payload)  # untouched, for a redrive after the fix
    assert {k: headers[k] for k in case.headers} == case.headers  # original headers kept
    assert (headers[H_TOPIC], headers[H_CONNECTOR], headers[H_STAGE], headers[H_CLASS],
            headers[H_REASON]) == (case.topic(names), case.service, case.stage, case.handler,
                                   case.reason)
    assert int(headers[H_PARTITION]) >= 0
    assert int(headers[H_OFFSET]) >= 0
    assert headers[H_EXC_CLASS].endswith(case.exc_class)
    assert headers[H_EXC_MESSAGE]
    assert "Traceback" in headers[H_EXC_STACK]
    seen = await scrape(app)
    assert sample(seen, "newswire_dlq_messages_total", service=case.service,
                  reason=case.reason) == 1
    assert sample(seen, "newswire_messages_total", service=case.service, stage=case.stage,
                  outcome="dlq") == 1


# What each app declares when built: (stage, dead-letter reasons, timed, aged) per service.
STAGES: dict[str, tuple[Callable[[str], App], list[tuple[str, tuple[str, ...], bool, bool]]]] = {
    "normalizer": (normalizer, [("normalize", NORMALIZER_REASONS, True, True)]),
    "enrichment": (enrichment, [("annotate", ("invalid_article", "enricher_crash"), True,
                                 False)]),
    "linker": (linker, [("link", ("invalid_article", "linker_crash"), True, True)]),
    "storage": (storage, [("store", ("invalid_event",), True, True),
                          ("story", ("invalid_event",), False, False),
                          ("links", ("invalid_event",), False, False)]),
}


@pytest.mark.parametrize("service", sorted(STAGES))
async def test_every_series_exists_at_zero_once_the_app_is_built(service: str) -> None:
    build, stages = STAGES[service]
    app, _ = build("zero.")
    seen = await scrape(app)

    def at_zero(name: str, **labels: str) -> bool:
        return sample(seen, name, service=service, **labels) == 0

    for stage, reasons, timed, aged in stages:
        assert at_zero("newswire_messages_total", stage=stage, outcome="ok")
        assert at_zero("newswire_messages_total", stage=stage, outcome="dlq")
        assert all(at_zero("newswire_dlq_messages_total", reason=r) for r in reasons)
        assert at_zero("newswire_processing_seconds_count", stage=stage) is timed
        assert at_zero("newswire_ingest_to_stage_seconds_count", stage=stage) is aged
    assert at_zero("newswire_ready")
    stored = {sample(seen, "newswire_articles_stored_total", result=r)
              for r in ("inserted", "updated", "stale")}
    assert stored == ({0.0} if service == "storage" else {None})


def test_the_normalizer_declares_every_parse_error_reason() -> None:
    # The e2e burst alert watches unsupported_format; a parser's own reason is found too.
    assert {"bad_envelope", "parser_crash", "unsupported_format", "hostile_input",
            "empty_document", "payload_too_large", "parse_error"} <= set(NORMALIZER_REASONS)


class Recorder:
    """The publisher port in memory; can fail like a broker that is down."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, str, bytes | None, dict[str, str]]] = []
        self.down = False

    async def publish(self, message: bytes, topic: str, *, key: bytes | None,
                      headers: dict[str, str]) -> object:
        if self.down:
            raise ConnectionError("broker down")
        self.sent.append((message, topic, key, headers))
        return None


class Handler:
    pass


async def test_a_published_dead_letter_counts_only_once_kafka_has_it() -> None:
    metrics, kafka = ServiceMetrics("svc"), Recorder()
    letters = DeadLetters(kafka, metrics, "ns.news.dlq").stage("st", Handler(), ["bad"])
    origin = Origin(topic="ns.in", partition=2, offset=7, key=b"k", headers={"a": "b"})
    kafka.down = True
    with pytest.raises(ConnectionError):
        await letters.publish(b"raw", origin, ValueError("nope"), "bad")
    count = ("newswire_dlq_messages_total", {"service": "svc", "reason": "bad"})
    assert metrics.registry.get_sample_value(*count) == 0
    kafka.down = False
    await letters.publish(b"raw", origin, ValueError("nope"), "bad")
    [(value, topic, key, headers)] = kafka.sent
    assert (value, topic, key) == (b"raw", "ns.news.dlq", b"k")
    assert (headers["a"], headers[H_CONNECTOR], headers[H_CLASS], headers[H_PARTITION],
            headers[H_OFFSET]) == ("b", "svc", "Handler", "2", "7")
    assert metrics.registry.get_sample_value(*count) == 1


def test_a_dead_letter_built_for_a_batch_is_counted_and_not_sent() -> None:
    metrics, kafka = ServiceMetrics("svc"), Recorder()
    letters = DeadLetters(kafka, metrics, "news.dlq").stage("st", Handler(), ["bad"])
    letter = letters.letter(b"raw", Origin(topic="in"), ValueError("nope"), "bad")
    assert (letter.value, letter.reason, letter.headers[H_REASON]) == (b"raw", "bad", "bad")
    assert kafka.sent == []  # the caller sends it with the batch's other records
    assert metrics.registry.get_sample_value(
        "newswire_messages_total", {"service": "svc", "stage": "st", "outcome": "dlq"}) == 1


def _ready(metrics: ServiceMetrics) -> float | None:
    return metrics.registry.get_sample_value("newswire_ready", {"service": metrics.service})


async def test_the_ready_gauge_follows_the_dependencies_without_a_readyz_call() -> None:
    metrics = ServiceMetrics("svc")
    state: dict[str, bool | None] = {"kafka": True, "mongo": True}

    def check(name: str) -> Callable[[], Any]:
        async def answer() -> bool:
            if state[name] is None:
                raise ConnectionError(name)
            return bool(state[name])
        return answer

    readiness = Readiness(metrics, {n: check(n) for n in state}, interval=0.01)
    assert _ready(metrics) == 0  # not ready until a check said so
    await readiness.start()
    try:
        await eventually(lambda: _ready(metrics) == 1, timeout=5)
        state["mongo"] = False
        await eventually(lambda: _ready(metrics) == 0, timeout=5)
        state["mongo"] = True
        await eventually(lambda: _ready(metrics) == 1, timeout=5)
        state["kafka"] = None  # a check that raises
        await eventually(lambda: _ready(metrics) == 0, timeout=5)
    finally:
        await readiness.stop()
    state["kafka"] = True
    await asyncio.sleep(0.05)
    assert _ready(metrics) == 0  # stopped: nothing checks any more



async def test_slow_readiness_check_is_not_cancelled_and_not_repeated() -> None:
    """A check past the timeout means not ready; it runs on to its own end (a pymongo call
    cancelled mid-selection broke its client), and later checks wait on it, not pile up."""
    metrics = ServiceMetrics("slow-ready")
    calls: list[int] = []
    finished: list[int] = []
    gate = asyncio.Event()

    async def slow() -> bool:
        calls.append(1)
        await gate.wait()
        finished.append(1)
        return True

    readiness = Readiness(metrics, {"mongo": slow}, timeout=0.05)
    assert await readiness.check() == {"mongo": False}
    assert await readiness.check() == {"mongo": False}
    assert len(calls) == 1  # the second check waited on the first call
    gate.set()
    assert await readiness.check() == {"mongo": True}
    assert finished == [1]  # it ran to its end: never cancelled
    assert _ready(metrics) == 1
    assert await readiness.check() == {"mongo": True}
    assert len(calls) == 2  # a finished check is started afresh
