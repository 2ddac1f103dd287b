"""A large poll is annotated and sent a part at a time, in order, before the commit."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from services.enrichment.doc import Doc
from services.enrichment.handlers import AnnotationHandler
from services.enrichment.language import LanguageEnricher
from services.enrichment.pipeline import Annotator
from shared.dlq import DeadLetters
from shared.events import CanonicalArticle, EnrichedArticle
from shared.metrics import ServiceMetrics
from shared.runtime import raw_body
from shared.topics import Topics

pytestmark = pytest.mark.unit
topics = Topics("chunk.")


@dataclass
class Record:
    offset: int
    value: bytes
    topic: str = topics.canonical
    partition: int = 0
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


class WaitOnThird:
    """Annotating the third article waits (in the worker thread) until two were sent."""

    name = "gate"

    def __init__(self, sent: list[bytes]) -> None:
        self.sent = sent
        self.seen_sent: list[int] = []

    def enrich(self, doc: Doc) -> None:
        if doc.article.id.endswith("-2"):
            deadline = time.monotonic() + 5.0
            while len(self.sent) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            self.seen_sent.append(len(self.sent))


@pytest.mark.parametrize(("chunk", "sent_while_third_is_annotated"), [(2, 2), (10, 0)])
async def test_a_polls_first_part_is_sent_while_the_rest_is_annotated(
        seed_article: CanonicalArticle, chunk: int, sent_while_third_is_annotated: int) -> None:
    broker = KafkaBroker()
    sent: list[bytes] = []

    @broker.subscriber(topics.annotated, group_id="spy", decoder=raw_body)
    async def spy(msg: KafkaMessage) -> None:
        sent.append(bytes(msg.body))

    gate = WaitOnThird(sent)
    articles = [seed_article.model_copy(update={"id": f"{seed_article.id}-{i}"})
                for i in range(5)]
    async with TestKafkaBroker(broker):
        handler = AnnotationHandler(
            broker, DeadLetters(broker, ServiceMetrics("enrichment"), topics.dlq),
            Annotator([LanguageEnricher(), gate]), out_topic=topics.annotated, chunk=chunk)
        out = await handler.handle([Record(i, a.model_dump_json().encode())
                                    for i, a in enumerate(articles)])
    assert gate.seen_sent == [sent_while_third_is_annotated]
    # Every article sent once. (The order on the wire is the producer's queue order, which
    # the in-memory broker does not keep for concurrent sends: real-broker tests hold it.)
    assert sorted(EnrichedArticle.model_validate_json(b).id for b in sent) == \
        sorted(a.id for a in articles)
    assert [a.id for a in out] == [a.id for a in articles]
