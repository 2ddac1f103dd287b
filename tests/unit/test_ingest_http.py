"""Ingest HTTP endpoint on the in-memory broker: 202 after publish, 4xx on bad input or token."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from services.ingest.config import IngestSettings
from services.ingest.credentials import Credential, CredentialStore, digest
from services.ingest.http import articles_endpoint
from shared.envelope import from_record
from shared.events import RawArticle
from shared.logs import JsonFormatter
from shared.metrics import ServiceMetrics
from shared.runtime import raw_body
from shared.topics import TopicSettings

pytestmark = pytest.mark.unit


TOKEN_DPA = "dpa-" + "x" * 40
TOKEN_AFP = "afp-" + "y" * 40


def _raw_sink(broker: KafkaBroker) -> list[RawArticle]:
    got: list[RawArticle] = []

    # Where articles_endpoint sends: the namespace its settings read.
    @broker.subscriber(TopicSettings().names().raw, decoder=raw_body)
    async def on_raw(msg: KafkaMessage) -> None:
        key = getattr(msg.raw_message, "key", None)
        got.append(from_record(bytes(msg.body), dict(msg.headers), key))

    return got


def _push(client: httpx.AsyncClient, token: str | None, source: str,
          via_header: bool = False) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    if via_header:
        headers["x-newswire-source"] = source
        return client.post("/v1/articles", content=b"Titel\nText\n", headers=headers)
    return client.post(f"/v1/articles?source={source}", content=b"Titel\nText\n",
                       headers=headers)


async def test_push_answers_202_with_the_id_kafka_got_and_refusals_are_no_dead_letters() -> None:
    broker = KafkaBroker()
    got = _raw_sink(broker)
    settings = IngestSettings(max_payload_bytes=2048)
    metrics = ServiceMetrics("ingest")
    app = articles_endpoint(broker, settings, metrics)
    async with TestKafkaBroker(broker):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            ok = await client.post("/v1/articles?source=dpa", content=b"Kicker\nTitel\n",
                                   headers={"content-type": "text/plain; charset=utf-8",
                                            "x-newswire-id": "urn:x:1"})
            too_big = await client.post("/v1/articles?source=dpa", content=b"x" * 4096)
            no_source = await client.post("/v1/articles", content=b"abc")
            empty = await client.post("/v1/articles?source=dpa", content=b"  ")
            wrong = await client.get("/v1/articles")
    assert ok.status_code == 202
    assert ok.json()["id"] == "urn:x:1"
    assert [r.id for r in got] == ["urn:x:1"]
    assert got[0].payload == b"Kicker\nTitel\n"
    assert got[0].content_type == "text/plain; charset=utf-8"
    assert got[0].source == "dpa"
    assert too_big.status_code == 413
    assert no_source.status_code == 400 and "source" in no_source.json()["error"]
    assert empty.status_code == 400
    assert wrong.status_code == 405
    # Refusals are answered to the client and counted by outcome; none is a dead letter.
    samples = [s for m in metrics.registry.collect() for s in m.samples]
    counted = {s.labels["outcome"]: s.value for s in samples
               if s.name == "newswire_messages_total" and s.labels["stage"] == "ingest_http"}
    assert counted["too_large"] == 1 and counted["bad_request"] == 2 and counted["ok"] == 1
    assert sum(s.value for s in samples if s.name == "newswire_dlq_messages_total") == 0


async def test_each_token_pushes_only_as_its_own_sources(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = KafkaBroker()
    got = _raw_sink(broker)
    store = CredentialStore([
        Credential(name="dpa-1", sha256=digest(TOKEN_DPA), sources=("dpa", "dpa-sport")),
        Credential(name="afp-1", sha256=digest(TOKEN_AFP), sources=("afp",)),
    ])
    metrics = ServiceMetrics("ingest")
    app = articles_endpoint(broker, IngestSettings(), metrics, store)
    caplog.set_level(logging.DEBUG)
    async with TestKafkaBroker(broker):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            missing = await _push(client, None, "dpa")
            unknown = await _push(client, "z" * 44, "dpa")
            as_other = await _push(client, TOKEN_DPA, "afp")
            as_other_hdr = await _push(client, TOKEN_AFP, "dpa", via_header=True)
            own = await _push(client, TOKEN_DPA, "dpa-sport")
            own_hdr = await _push(client, TOKEN_AFP, "afp", via_header=True)
            no_source = await _push(client, TOKEN_DPA, "")
    assert missing.status_code == 401 and unknown.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert as_other.status_code == 403 and as_other_hdr.status_code == 403
    assert own.status_code == 202 and own_hdr.status_code == 202
    assert no_source.status_code == 400
    # Only the two allowed pushes reached Kafka, under their own sources.
    assert sorted(r.source for r in got) == ["afp", "dpa-sport"]
    counted = {s.labels["outcome"]: s.value for m in metrics.registry.collect()
               for s in m.samples if s.name == "newswire_messages_total"
               and s.labels["stage"] == "ingest_http"}
    assert counted["unauthorized"] == 2 and counted["forbidden"] == 2 and counted["ok"] == 2
    # Tokens appear in no log record and no reply.
    logged = [JsonFormatter("ingest").format(r) for r in caplog.records]
    assert any("push refused" in line and "dpa-1" in line for line in logged)
    for token in (TOKEN_DPA, TOKEN_AFP, "z" * 44):
        assert not any(token in line for line in logged)
        for reply in (missing, unknown, as_other, as_other_hdr, own, own_hdr):
            assert token not in reply.text


async def test_a_token_is_rotated_without_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"

    def write(*entries: tuple[str, str]) -> None:
        doc = [{"name": name, "sha256": digest(tok), "sources": ["dpa"]}
               for name, tok in entries]
        (tmp_path / "next.json").write_text(json.dumps(doc), encoding="utf-8")
        (tmp_path / "next.json").replace(path)

    write(("dpa-old", TOKEN_DPA))
    broker = KafkaBroker()
    got = _raw_sink(broker)
    settings = IngestSettings(credentials_file=path, credentials_reload_seconds=0)
    app = articles_endpoint(broker, settings, ServiceMetrics("ingest"))
    new = "dpa-new-" + "n" * 40
    async with TestKafkaBroker(broker):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            before = [(await _push(client, t, "dpa")).status_code for t in (TOKEN_DPA, new)]
            write(("dpa-old", TOKEN_DPA), ("dpa-new", new))
            both = [(await _push(client, t, "dpa")).status_code for t in (TOKEN_DPA, new)]
            write(("dpa-new", new))
            after = [(await _push(client, t, "dpa")).status_code for t in (TOKEN_DPA, new)]
    assert before == [202, 401]
    assert both == [202, 202]
    assert after == [401, 202]
    assert len(got) == 4


async def test_without_credentials_pushes_need_no_token() -> None:
    broker = KafkaBroker()
    got = _raw_sink(broker)
    app = articles_endpoint(broker, IngestSettings(), ServiceMetrics("ingest"))
    async with TestKafkaBroker(broker):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            anonymous = await _push(client, None, "dpa")
    assert anonymous.status_code == 202 and len(got) == 1


async def test_an_empty_credentials_file_refuses_everyone(tmp_path: Path) -> None:
    path = tmp_path / "none.json"
    path.write_text("[]", encoding="utf-8")
    broker = KafkaBroker()
    got = _raw_sink(broker)
    app = articles_endpoint(broker, IngestSettings(credentials_file=path), ServiceMetrics("i"))
    async with TestKafkaBroker(broker):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            anonymous = await _push(client, None, "dpa")
            guessed = await _push(client, TOKEN_DPA, "dpa")
    assert (anonymous.status_code, guessed.status_code) == (401, 401)
    assert got == []
