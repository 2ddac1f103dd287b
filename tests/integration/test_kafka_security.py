"""The five services and the push CLI on a real SASL/SCRAM-SHA-512 over TLS broker."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError
from pydantic import SecretStr
from pymongo import AsyncMongoClient

from deploy.launcher import ROOT, Stack, free_port
from shared.kafka_auth import login_refusal
from shared.runtime import kafka_security
from shared.settings import CommonSettings
from tests.conftest import FIXTURES, Infra
from tests.helpers import wait_docs

pytestmark = pytest.mark.integration
SCRIPT = ROOT / "deploy" / "local" / "infra.sh"


@dataclass(frozen=True)
class SecureKafka:
    env: dict[str, str]  # the NEWSWIRE_KAFKA_* client settings infra.sh secure-env prints
    script_env: dict[str, str]  # infra.sh's environment for this instance

    @property
    def bootstrap(self) -> str:
        return self.env["NEWSWIRE_KAFKA_BOOTSTRAP"]

    def common(self, **override: Any) -> CommonSettings:
        fields = {k.removeprefix("NEWSWIRE_").lower(): v for k, v in self.env.items()}
        return CommonSettings(**{**fields, **override})


def _script(step: str, env: dict[str, str]) -> str:
    # A file, not a pipe: the broker the script starts would hold a pipe open forever.
    with tempfile.TemporaryFile() as out:
        done = subprocess.run(["bash", str(SCRIPT), step], env=env, stdout=out, stderr=out,
                              timeout=600, check=False)
        out.seek(0)
        text = out.read().decode(errors="replace")
    if done.returncode != 0:
        pytest.fail(f"infra.sh {step} failed for the secured broker:\n{text}")
    return text


async def _wait_answers(kafka: SecureKafka, timeout: float = 120) -> None:
    """Until an authenticated client lists topics (no JVM per try, unlike secure-wait)."""
    deadline = time.monotonic() + timeout
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap, request_timeout_ms=5000,
                                    **kafka_security(kafka.common()))
        try:
            await admin.start()
            await admin.list_topics()
        except KafkaConnectionError:
            if time.monotonic() > deadline:
                raise
        else:
            return
        finally:
            await admin.close()
        await asyncio.sleep(0.5)


@pytest.fixture(scope="session")
def secure_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureKafka]:
    """A secured broker of this session's own (own directory and ports), stopped at the end;
    the main plaintext broker is never touched. Failing to start it fails the tests."""
    env = {**os.environ,
           "NEWSWIRE_SECURE_KAFKA_DIR": str(tmp_path_factory.mktemp("kafka-secure")),
           "NEWSWIRE_SECURE_KAFKA_PORT": str(free_port()),
           "NEWSWIRE_SECURE_KAFKA_CONTROLLER_PORT": str(free_port())}
    try:
        _script("secure-start", env)
        printed = subprocess.run(["bash", str(SCRIPT), "secure-env"], env=env, check=True,
                                 capture_output=True, text=True).stdout
        kafka = SecureKafka(dict(line.removeprefix("export ").split("=", 1)
                                 for line in printed.splitlines() if "=" in line), env)
        asyncio.run(_wait_answers(kafka))
        yield kafka
    finally:
        subprocess.run(["bash", str(SCRIPT), "secure-stop"], env=env, capture_output=True,
                       timeout=120, check=False)


@pytest.fixture(scope="module")
def secure_stack(secure_kafka: SecureKafka, infra: Infra,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    run = uuid.uuid4().hex[:8]
    stack = Stack(secure_kafka.bootstrap, infra.mongo_url, namespace=f"sec{run}.",
                  mongo_db=f"sec_{run}", log_dir=tmp_path_factory.mktemp(f"secure-{run}"),
                  extra_env=secure_kafka.env)
    try:
        stack.start(timeout=180)
        yield stack
    finally:
        stack.stop()


def _push_cli(env: dict[str, str], *paths: Path, source: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.ingest", "push", *map(str, paths), "--source", source],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def _post(url: str, body: bytes) -> int:
    request = urllib.request.Request(  # noqa: S310 - local test service
        url, data=body, method="POST", headers={"content-type": "text/plain; charset=utf-8"})
    with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310
        return int(reply.status)


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310 - local service
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


async def test_articles_flow_through_every_stage_over_sasl_ssl(
    secure_stack: Stack, secure_kafka: SecureKafka, infra: Infra, seed_bytes: bytes
) -> None:
    # One article through the push CLI, one through the ingest service's HTTP producer.
    pushed = _push_cli(secure_stack["ingest"].env, FIXTURES / "pagetext" / "zoo.txt",
                       source="secure-cli")
    assert pushed.returncode == 0, pushed.stderr
    assert "pushed 1 file(s), refused 0" in pushed.stdout
    assert await asyncio.to_thread(_post, f"{secure_stack['ingest'].url}/v1/articles"
                                   "?source=secure-http", seed_bytes) == 202

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongo_url, tz_aware=True)
    try:
        docs = await wait_docs(client[secure_stack.mongo_db], {}, 2, timeout=150)
    finally:
        await client.close()
    by_source = {d["source"]: d for d in docs}
    assert set(by_source) == {"secure-cli", "secure-http"}
    for doc in docs:
        # A headline (normalizer), a language (annotation), a story (linker), stored (storage).
        assert doc["headline"] and doc["language"] == "de" and doc["story_id"]
    assert by_source["secure-http"]["headline"].startswith("Signal der Annäherung?")

    # The stream really ran on the secured broker: its topics are there.
    admin = AIOKafkaAdminClient(bootstrap_servers=secure_kafka.bootstrap,
                                **kafka_security(secure_kafka.common()))
    await admin.start()
    try:
        names = set(await admin.list_topics())
    finally:
        await admin.close()
    ns = secure_stack.namespace
    assert {f"{ns}news.raw", f"{ns}news.canonical", f"{ns}news.enriched"} <= names


async def test_plaintext_and_untrusted_clients_are_refused(secure_kafka: SecureKafka) -> None:
    for options in (
        {},  # PLAINTEXT: no TLS, no login
        {k: v for k, v in kafka_security(secure_kafka.common()).items() if k != "ssl_context"}
        | {"security_protocol": "SASL_PLAINTEXT"},  # the right password, but in the clear
    ):
        producer = AIOKafkaProducer(bootstrap_servers=secure_kafka.bootstrap,
                                    request_timeout_ms=5000, **options)
        with pytest.raises(KafkaConnectionError):
            await producer.start()
        await producer.stop()
    # TLS without our CA: the broker's certificate is not trusted.
    untrusted = secure_kafka.common(kafka_ssl_cafile=None)
    refusal = await login_refusal(untrusted.kafka_bootstrap, kafka_security(untrusted))
    assert refusal is not None and "CERTIFICATE_VERIFY_FAILED" in refusal
    # And the right settings are accepted, so the refusals above are about what they lack.
    assert await login_refusal(secure_kafka.bootstrap,
                               kafka_security(secure_kafka.common())) is None


def test_wrong_password_is_a_clear_error_without_a_restart_loop(
    secure_kafka: SecureKafka, infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> None:
    wrong = {**secure_kafka.env, "NEWSWIRE_KAFKA_SASL_PASSWORD": "not-the-password"}
    run = uuid.uuid4().hex[:8]
    stack = Stack(secure_kafka.bootstrap, infra.mongo_url, namespace=f"secbad{run}.",
                  mongo_db=f"secbad_{run}", log_dir=tmp_path_factory.mktemp(f"secbad-{run}"),
                  extra_env=wrong)
    pushed = _push_cli(stack["ingest"].env, FIXTURES / "pagetext" / "zoo.txt", source="bad")
    assert pushed.returncode == 2
    assert "refused the login as 'newswire'" in pushed.stderr
    assert "SaslAuthenticationFailed" in pushed.stderr and "Traceback" not in pushed.stderr
    assert "not-the-password" not in pushed.stdout + pushed.stderr

    try:
        for service in stack.services.values():
            service.start()
        pending = set(stack.services)
        deadline = time.monotonic() + 120
        while pending and time.monotonic() < deadline:
            for name in sorted(pending):
                service = stack[name]
                assert service.alive(), f"{name} exited:\n{service.tail()}"
                try:
                    status, body = _get(f"{service.url}/readyz")
                except OSError:
                    continue
                assert status == 503, f"{name}: {body}"
                assert "SaslAuthenticationFailed" in body["error"]
                assert _get(f"{service.url}/healthz")[0] == 200
                pending.discard(name)
            time.sleep(0.3)
        assert not pending, f"never reported not ready: {pending}"
        time.sleep(2)  # still up a while later, and it said so once, without the password
        for name, service in stack.services.items():
            assert service.alive(), f"{name} exited:\n{service.tail()}"
            log = service.log_path.read_text(errors="replace")
            errors = [json.loads(line) for line in log.splitlines()
                      if line.startswith("{") and '"ERROR"' in line]
            assert [e["logger"] for e in errors] == ["newswire.kafka_auth"], (name, errors)
            assert "invalid credentials" in errors[0]["msg"]
            assert "not-the-password" not in log
    finally:
        stack.stop()


def test_a_refused_service_starts_once_kafka_knows_its_login(
    secure_kafka: SecureKafka, infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> None:
    run = uuid.uuid4().hex[:8]
    user, password = f"late-{run}", uuid.uuid4().hex
    stack = Stack(secure_kafka.bootstrap, infra.mongo_url, namespace=f"seclate{run}.",
                  mongo_db=f"seclate_{run}", log_dir=tmp_path_factory.mktemp(f"seclate-{run}"),
                  extra_env={**secure_kafka.env, "NEWSWIRE_KAFKA_SASL_USERNAME": user,
                             "NEWSWIRE_KAFKA_SASL_PASSWORD": password,
                             "NEWSWIRE_KAFKA_LOGIN_RETRY_SECONDS": "1"})
    normalizer = stack["normalizer"]
    try:
        normalizer.start()
        deadline = time.monotonic() + 60
        while True:
            assert normalizer.alive(), normalizer.tail()
            try:
                if _get(f"{normalizer.url}/readyz")[0] == 503:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, normalizer.tail()
            time.sleep(0.3)
        # The operator adds the user on the broker; the waiting service needs no restart.
        client = Path(secure_kafka.script_env["NEWSWIRE_SECURE_KAFKA_DIR"]) / "client.properties"
        added = subprocess.run(
            ["bash", str(SCRIPT), "kafka-class", "kafka.admin.ConfigCommand",
             "--bootstrap-server", secure_kafka.bootstrap, "--command-config", str(client),
             "--alter", "--add-config", f"SCRAM-SHA-512=[password={password}]",
             "--entity-type", "users", "--entity-name", user],
            env=secure_kafka.script_env, capture_output=True, text=True, timeout=120, check=False)
        assert added.returncode == 0, added.stderr
        normalizer.wait_ready(90)
        log = normalizer.log_path.read_text(errors="replace")
        assert "Kafka accepts the login now; starting" in log
        assert password not in log
    finally:
        normalizer.stop()


def test_secure_env_names_real_settings(secure_kafka: SecureKafka) -> None:
    common = secure_kafka.common()
    assert common.kafka_security_protocol == "SASL_SSL"
    assert common.kafka_sasl_mechanism == "SCRAM-SHA-512"
    assert isinstance(common.kafka_sasl_password, SecretStr)
    assert common.kafka_ssl_cafile and Path(common.kafka_ssl_cafile).is_file()
