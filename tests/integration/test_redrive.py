"""Dead letters sent back on real Kafka: chosen by reason, unchanged bytes, each input once."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from deploy.redrive import H_FIRST_FAILURE, Selection, redrive, replay_headers
from shared.dlq import H_REASON, Origin, dead_letter
from shared.runtime import ensure_topics
from shared.settings import CommonSettings
from tests.conftest import Infra

pytestmark = pytest.mark.integration


async def _dead_letter(bootstrap: str, dlq: str, source: str, value: bytes, *, reason: str,
                       offset: int, headers: dict[str, str] | None = None) -> None:
    letter = dead_letter(value=value, origin=Origin(source, 0, offset, b"key-" + value,
                                                     headers or {"nw-source": "dpa"}),
                         service="normalizer", stage="normalize", handler="T", reason=reason,
                         exc=ValueError(f"cannot read {value!r}"))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(dlq, letter.value, key=letter.key,
                                     headers=[(k, v.encode()) for k, v in letter.headers.items()])
    finally:
        await producer.stop()


async def _read_all(bootstrap: str, topic: str) -> list[tuple[bytes, dict[str, str]]]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                group_id=f"redrive-check-{uuid.uuid4().hex[:8]}")
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=3000)
        records = [r for got in batch.values() for r in got]
        return [(r.value, {k: v.decode() for k, v in r.headers}) for r in records]
    finally:
        await consumer.stop()


async def test_chosen_dead_letters_go_back_once_with_their_bytes(infra: Infra) -> None:
    run = uuid.uuid4().hex[:8]
    dlq, source = f"redrive-dlq-{run}", f"redrive-src-{run}"
    await ensure_topics(infra.bootstrap, [dlq, source], partitions=1)
    await _dead_letter(infra.bootstrap, dlq, source, b"<a>", reason="parse_error", offset=10)
    await _dead_letter(infra.bootstrap, dlq, source, b"<b>", reason="parse_error", offset=11)
    await _dead_letter(infra.bootstrap, dlq, source, b"{c}", reason="payload_too_large", offset=12)
    # <a> was sent back before and failed again: its first failure travels with it.
    again = dict(replay_headers({"nw-source": "dpa", "__connect.errors.topic": source,
                                 "__connect.errors.partition": "0",
                                 "__connect.errors.offset": "10"}))
    await _dead_letter(infra.bootstrap, dlq, source, b"<a>", reason="parse_error", offset=40,
                       headers={k: v.decode() for k, v in again.items()})
    common = CommonSettings(kafka_bootstrap=infra.bootstrap)
    chosen = Selection(reasons=frozenset({"parse_error"}))

    dry = await redrive(common, chosen, dlq=dlq, dry_run=True)
    assert sum(dry.sent.values()) == 2 and dry.repeated == 1
    assert await _read_all(infra.bootstrap, source) == []

    report = await redrive(common, chosen, dlq=dlq)
    assert report.sent == {(source, "parse_error"): 2}
    back = await _read_all(infra.bootstrap, source)
    assert sorted(value for value, _ in back) == [b"<a>", b"<b>"]
    for _, headers in back:
        assert headers["nw-source"] == "dpa"
        assert H_REASON not in headers
        assert not any(k.startswith("__connect.errors.") for k in headers)
    assert sorted(h[H_FIRST_FAILURE] for _, h in back) == [f"{source}/0/10", f"{source}/0/11"]
