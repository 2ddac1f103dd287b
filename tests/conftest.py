"""Test infrastructure: real Kafka and Mongo-wire DB from env, testcontainers or local scripts."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NEWSWIRE_SHARED_DIR", ROOT.parent / "shared")).resolve()
SEED = SHARED / "seeds" / "000_c3eca885e310276e.txt"
FIXTURES = ROOT / "tests" / "fixtures"


@dataclass(frozen=True)
class Infra:
    bootstrap: str
    mongo_url: str
    how: str


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False)
    return probe.returncode == 0


def _local_scripts() -> Infra:
    script = ROOT / "deploy" / "local" / "infra.sh"
    for step in ("start", "wait"):
        # Output goes to a file, not a pipe: the daemons the script starts would hold a pipe
        # open and the read would never end.
        with tempfile.TemporaryFile() as out:
            done = subprocess.run(["bash", str(script), step], stdout=out, stderr=out,
                                  timeout=1800, check=False)
            out.seek(0)
            text = out.read().decode(errors="replace")
        if done.returncode != 0:
            pytest.fail(f"local infrastructure failed at '{step}':\n{text}")
    env = subprocess.run(["bash", str(script), "env"], capture_output=True, text=True, check=True)
    values = dict(
        line.removeprefix("export ").split("=", 1)
        for line in env.stdout.splitlines() if "=" in line
    )
    return Infra(values["NEWSWIRE_KAFKA_BOOTSTRAP"], values["NEWSWIRE_MONGO_URL"], "local-scripts")


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    """Env URLs when set, else testcontainers when Docker answers, else the local scripts.

    A missing service is a failure, never a skip: these tests exist to run against real ones.
    """
    bootstrap = os.environ.get("NEWSWIRE_KAFKA_BOOTSTRAP")
    mongo = os.environ.get("NEWSWIRE_MONGO_URL")
    if bootstrap and mongo:
        yield Infra(bootstrap, mongo, "env")
        return
    if _docker_answers():
        from testcontainers.kafka import KafkaContainer
        from testcontainers.mongodb import MongoDbContainer

        with KafkaContainer("apache/kafka:4.1.1").with_kraft() as kafka, \
                MongoDbContainer("mongo:8") as mongodb:
            yield Infra(kafka.get_bootstrap_server(), mongodb.get_connection_url(),
                        "testcontainers")
        return
    yield _local_scripts()


@pytest.fixture
def uid() -> str:
    return uuid.uuid4().hex[:12]


@pytest.fixture(scope="session")
def seed_bytes() -> bytes:
    # The seed lives in ../shared; without it the suite must fail, not skip.
    assert SEED.is_file(), f"seed page missing at {SEED}"
    return SEED.read_bytes()
