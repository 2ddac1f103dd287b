"""docker-compose.yml is valid Compose and wires the five services, Kafka, Mongo and monitoring.

No Docker engine needed: the file is checked against the Compose JSON Schema kept in the
shared data directory, plus a few structural assertions about this project.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from services.enrichment.config import EnrichmentSettings
from services.ingest.config import IngestSettings
from services.linker.config import LinkerSettings
from services.normalizer.config import NormalizerSettings
from services.storage.config import StorageSettings
from shared.settings import CommonSettings
from shared.topics import TopicSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
PROMETHEUS_FILE = ROOT / "deploy" / "prometheus" / "prometheus.yml"
# Deliberately not $NEWSWIRE_SHARED_DIR-dependent and never skipped: a missing schema must fail.
SCHEMA_FILE = ROOT.parent / "shared" / "schemas" / "compose-spec.json"

PROJECT_SERVICES = {"ingest": 8001, "normalizer": 8002, "enrichment": 8003, "linker": 8005,
                    "storage": 8004}
INFRA_SERVICES = {"kafka", "mongo", "prometheus", "grafana"}
# Read outside the settings classes: the data directory of the ninjs schemas and samples,
# shared by tests and tools that have no service settings.
NOT_SETTINGS = {"NEWSWIRE_SHARED_DIR"}


def _load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = _load_yaml(COMPOSE_FILE)
    assert isinstance(data, dict), "docker-compose.yml must be a mapping"
    return data


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    assert SCHEMA_FILE.is_file(), f"Compose JSON Schema not found at {SCHEMA_FILE}"
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    # The spec declares its own draft ("$schema"); pick the matching validator class and
    # make sure the schema itself is well formed before trusting its verdicts.
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    cls.check_schema(schema)
    return cls(schema)


def _errors(validator: jsonschema.protocols.Validator, doc: Any) -> list[str]:
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '<root>'}: {err.message}"
        for err in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.path)))
    ]


def test_compose_file_validates_against_compose_spec(
    compose: dict[str, Any], validator: jsonschema.protocols.Validator
) -> None:
    errors = _errors(validator, compose)
    assert not errors, "docker-compose.yml violates the Compose spec:\n" + "\n".join(errors)


def test_schema_check_rejects_a_broken_compose_file(
    compose: dict[str, Any], validator: jsonschema.protocols.Validator
) -> None:
    # Guards against a check that can never fail (e.g. an empty or permissive schema).
    broken = copy.deepcopy(compose)
    broken["services"] = list(broken["services"])
    assert _errors(validator, broken)

    typo = copy.deepcopy(compose)
    typo["services"]["ingest"]["buld"] = typo["services"]["ingest"].pop("build")
    assert _errors(validator, typo)


def test_all_services_present(compose: dict[str, Any]) -> None:
    services = set(compose["services"])
    missing = (set(PROJECT_SERVICES) | INFRA_SERVICES) - services
    assert not missing, f"services missing from docker-compose.yml: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(PROJECT_SERVICES))
def test_project_service_builds_itself(compose: dict[str, Any], name: str) -> None:
    svc = compose["services"][name]
    build = svc.get("build")
    assert isinstance(build, dict), f"{name}: build must be a mapping with args"
    assert build.get("context", ".") in (".", "./")
    assert build.get("dockerfile", "Dockerfile") == "Dockerfile"
    args = build.get("args")
    # Compose allows args as a mapping or a list of KEY=VALUE strings.
    if isinstance(args, list):
        args = dict(item.split("=", 1) for item in args)
    assert isinstance(args, dict), f"{name}: build.args missing"
    assert args.get("SERVICE") == name

    env = svc.get("environment")
    assert isinstance(env, dict), f"{name}: environment must be a mapping"
    assert env.get("NEWSWIRE_KAFKA_BOOTSTRAP") == "kafka:9092"
    assert env.get("NEWSWIRE_MONGO_URL") == "mongodb://mongo:27017"
    assert str(env.get(f"NEWSWIRE_{name.upper()}_HTTP_PORT")) == str(PROJECT_SERVICES[name])
    assert "healthcheck" in svc, f"{name}: no healthcheck"


def _setting_names() -> set[str]:
    """Every environment variable a service's settings read: prefix plus field name."""
    names: set[str] = set()
    for cls in (CommonSettings, TopicSettings, IngestSettings, NormalizerSettings,
                EnrichmentSettings, LinkerSettings, StorageSettings):
        prefix = str(cls.model_config.get("env_prefix", ""))
        names |= {f"{prefix}{field}".upper() for field in cls.model_fields}
    return names


def test_every_newswire_variable_in_compose_is_a_setting(compose: dict[str, Any]) -> None:
    # A variable no settings class reads is silently ignored: the service runs on a default
    # the file seems to override (a port, a bootstrap server).
    known = _setting_names() | NOT_SETTINGS
    unknown = {(name, var) for name, svc in compose["services"].items()
               for var in (svc.get("environment") or {})
               if var.startswith("NEWSWIRE_") and var not in known}
    assert unknown == set()


def test_dockerfile_uses_service_arg() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "ARG SERVICE" in text
    assert "ENV SERVICE=${SERVICE}" in text
    assert "services.${SERVICE" in text
    assert "\nUSER " in text, "image must not run as root"


def test_prometheus_scrapes_every_service(compose: dict[str, Any]) -> None:
    prom = compose["services"]["prometheus"]
    mounts = [str(v) for v in prom.get("volumes", [])]
    assert any(m.startswith("./deploy/prometheus/prometheus.yml:") for m in mounts), mounts

    config = _load_yaml(PROMETHEUS_FILE)
    targets: set[str] = set()
    for job in config.get("scrape_configs", []):
        if job.get("metrics_path", "/metrics") != "/metrics":
            continue
        for static in job.get("static_configs", []):
            targets.update(static.get("targets", []))
    expected = {f"{name}:{port}" for name, port in PROJECT_SERVICES.items()}
    assert expected <= targets, f"not scraped: {sorted(expected - targets)}"
