"""Agency credentials on a real ingest process and real Kafka: refusals publish nothing,
a token is rotated while the process runs, and no token reaches its log."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from deploy.launcher import ServiceProcess, free_port
from services.ingest.credentials import digest
from shared.envelope import from_record
from shared.events import RawArticle
from tests.conftest import Infra

pytestmark = pytest.mark.integration

OLD = "dpa-old-" + uuid.uuid4().hex + uuid.uuid4().hex
NEW = "dpa-new-" + uuid.uuid4().hex + uuid.uuid4().hex
AFP = "afp-" + uuid.uuid4().hex + uuid.uuid4().hex


def _write(path: Path, entries: list[tuple[str, str, list[str]]]) -> None:
    doc = [{"name": name, "sha256": digest(token), "sources": sources}
           for name, token, sources in entries]
    tmp = path.with_name("next.json")
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    tmp.replace(path)


async def _all_records(bootstrap: str, topic: str, want: int) -> list[RawArticle]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap,
                                group_id=f"cred-test-{uuid.uuid4().hex}",
                                auto_offset_reset="earliest")
    await consumer.start()
    found: list[RawArticle] = []
    try:
        async with asyncio.timeout(60):
            while len(found) < want:
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    found += [from_record(r.value or b"", dict(r.headers), r.key)
                              for r in records]
        # Anything refused but published anyway was sent before the accepted pushes ended.
        for records in (await consumer.getmany(timeout_ms=2000)).values():
            found += [from_record(r.value or b"", dict(r.headers), r.key) for r in records]
    finally:
        await consumer.stop()
    return found


async def test_credentials_on_a_running_ingest(infra: Infra, tmp_path: Path) -> None:
    namespace = f"cred{uuid.uuid4().hex[:8]}."
    creds = tmp_path / "credentials.json"
    _write(creds, [("dpa-old", OLD, ["dpa"]), ("afp-1", AFP, ["afp"])])
    port = free_port()
    env = {**os.environ, "NEWSWIRE_KAFKA_BOOTSTRAP": infra.bootstrap,
           "NEWSWIRE_TOPIC_NAMESPACE": namespace, "PYTHONUNBUFFERED": "1",
           "NEWSWIRE_INGEST_HTTP_PORT": str(port),
           "NEWSWIRE_INGEST_CREDENTIALS_FILE": str(creds),
           "NEWSWIRE_INGEST_CREDENTIALS_RELOAD_SECONDS": "0"}
    ingest = ServiceProcess("ingest", port, env, tmp_path / "ingest.log")
    ingest.start()
    statuses: dict[str, int] = {}
    try:
        await asyncio.to_thread(ingest.wait_ready, 60)
        async with httpx.AsyncClient(base_url=ingest.url, timeout=30) as client:

            async def push(label: str, token: str | None, source: str) -> None:
                headers = {"authorization": f"Bearer {token}"} if token else {}
                reply = await client.post(f"/v1/articles?source={source}", headers=headers,
                                          content=f"{label}\n\nText of {label}.\n".encode())
                statuses[label] = reply.status_code

            await push("anonymous", None, "dpa")
            await push("guessed", "g" * 48, "dpa")
            await push("afp-as-dpa", AFP, "dpa")
            await push("old-before", OLD, "dpa")
            await push("new-before", NEW, "dpa")
            _write(creds, [("dpa-old", OLD, ["dpa"]), ("dpa-new", NEW, ["dpa"]),
                           ("afp-1", AFP, ["afp"])])
            await push("new-added", NEW, "dpa")
            await push("old-still", OLD, "dpa")
            _write(creds, [("dpa-new", NEW, ["dpa"]), ("afp-1", AFP, ["afp"])])
            await push("old-removed", OLD, "dpa")
            await push("new-only", NEW, "dpa")
            await push("afp-own", AFP, "afp")
        assert ingest.alive(), ingest.tail()
    finally:
        ingest.stop()
    assert statuses == {
        "anonymous": 401, "guessed": 401, "afp-as-dpa": 403, "old-before": 202,
        "new-before": 401, "new-added": 202, "old-still": 202, "old-removed": 401,
        "new-only": 202, "afp-own": 202,
    }
    records = await _all_records(infra.bootstrap, f"{namespace}news.raw", want=5)
    titles = sorted(r.payload.split(b"\n", 1)[0].decode() for r in records)
    assert titles == ["afp-own", "new-added", "new-only", "old-before", "old-still"]
    assert {r.source for r in records} == {"dpa", "afp"}
    log = (tmp_path / "ingest.log").read_text(errors="replace")
    assert "push refused" in log and "credentials loaded" in log
    for token in (OLD, NEW, AFP, "g" * 48):
        assert token not in log
