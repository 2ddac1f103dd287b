"""deploy/k8s: valid Kubernetes (strict schemas) and KEDA resources, wired to real settings.

Offline: kubernetes-validate bundles the Kubernetes JSON schemas; KEDA's CRDs are checked
against tests/fixtures/k8s/keda.schema.json, written from KEDA's documented spec.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import latest_version
from pydantic_settings import BaseSettings

from services.enrichment.config import EnrichmentSettings
from services.ingest.config import IngestSettings
from services.ingest.credentials import parse
from services.linker.config import LinkerSettings
from services.normalizer.config import NormalizerSettings
from services.storage.config import StorageSettings
from shared.topics import TopicSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KEDA_SCHEMA = ROOT / "tests" / "fixtures" / "k8s" / "keda.schema.json"
# Not applied by kustomize (real secrets stay out of git), but validated like the rest.
EXAMPLE_FILE = "secret.example.yaml"
# The oldest Kubernetes the manifests promise to work on, and the newest schemas bundled.
KUBE_VERSIONS = ("1.30", latest_version())
KEDA_KINDS = {"ScaledObject", "TriggerAuthentication"}
SETTINGS: dict[str, type[BaseSettings]] = {
    "ingest": IngestSettings, "normalizer": NormalizerSettings,
    "enrichment": EnrichmentSettings, "linker": LinkerSettings, "storage": StorageSettings,
}
# What each scaled stage consumes (services/<name>/main.py): topic and group suffix.
CONSUMES = {
    "normalizer": [("news.raw", "")],
    "enrichment": [("news.canonical", "")],
    "storage": [("news.enriched", ""), ("news.story", "-stories"), ("news.links", "-links")],
}


def _load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [doc for doc in yaml.safe_load_all(fh) if doc is not None]


@pytest.fixture(scope="module")
def kustomization() -> dict[str, Any]:
    return _load(K8S / "kustomization.yaml")[0]


@pytest.fixture(scope="module")
def docs(kustomization: dict[str, Any]) -> list[dict[str, Any]]:
    """Every resource kustomize applies."""
    return [doc for name in kustomization["resources"] for doc in _load(K8S / name)]


@pytest.fixture(scope="module")
def secret() -> dict[str, Any]:
    [doc] = _load(K8S / EXAMPLE_FILE)
    return doc


def _of(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return container


def _service_of(container: dict[str, Any]) -> str:
    assert container["command"][:2] == ["python", "-m"], container["command"]
    return str(container["command"][2]).removeprefix("services.")


def env_names(cls: type[BaseSettings]) -> set[str]:
    """The env vars a settings class reads: its prefix plus each field name; a nested
    settings class (CommonSettings) reads its own env with its own prefix."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for name, field in cls.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseSettings):
            names |= env_names(kind)
        else:
            alias = field.validation_alias
            names.add((alias if isinstance(alias, str) else prefix + name).upper())
    return names


def settings_env(service: str) -> set[str]:
    # shared.topics reads NEWSWIRE_TOPIC_NAMESPACE in every service.
    return env_names(SETTINGS[service]) | env_names(TopicSettings)


def _container_env(container: dict[str, Any], docs: list[dict[str, Any]],
                   secret: dict[str, Any]) -> dict[str, str]:
    """Name -> value as the pod would see it (ConfigMaps resolved, the example Secret's
    values for secret references)."""
    maps = _of(docs, "ConfigMap")
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(maps[source["configMapRef"]["name"]]["data"])
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
        else:
            ref = var["valueFrom"]["secretKeyRef"]
            assert ref["name"] == secret["metadata"]["name"]
            env[var["name"]] = secret["stringData"][ref["key"]]
    return env


def test_kustomization_lists_every_manifest(kustomization: dict[str, Any],
                                            docs: list[dict[str, Any]]) -> None:
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", EXAMPLE_FILE}
    assert sorted(kustomization["resources"]) == sorted(on_disk)
    assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert kustomization["kind"] == "Kustomization"
    assert kustomization["namespace"] == "newswire"
    # kustomize knows these top-level fields; a misspelt one would be silently ignored.
    assert set(kustomization) <= {"apiVersion", "kind", "namespace", "labels", "resources",
                                  "images", "patches", "configMapGenerator",
                                  "secretGenerator"}
    images = {_container(d)["image"] for d in _of(docs, "Deployment").values()}
    assert images == {i["name"] for i in kustomization["images"]}
    names = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert len(names) == len(set(names)), "two resources share a kind and name"


@pytest.mark.parametrize("version", KUBE_VERSIONS)
def test_every_manifest_is_valid_kubernetes(docs: list[dict[str, Any]], secret: dict[str, Any],
                                            version: str) -> None:
    checked = 0
    for doc in [*docs, secret]:
        if doc["kind"] in KEDA_KINDS:
            continue
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} on {version}: {exc.message} "
                        f"at {'/'.join(map(str, exc.path))}")
        checked += 1
    assert checked == len(docs) + 1 - sum(d["kind"] in KEDA_KINDS for d in docs)
    assert checked >= 14


def test_strict_validation_refuses_typos_and_wrong_types(docs: list[dict[str, Any]]) -> None:
    deployment = _of(docs, "Deployment")["normalizer"]
    typo = copy.deepcopy(deployment)
    typo["spec"]["replcas"] = 2
    wrong_type = copy.deepcopy(deployment)
    _container(wrong_type)["ports"][0]["containerPort"] = "8002"
    for bad in (typo, wrong_type):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(bad, KUBE_VERSIONS[0], strict=True)


@pytest.fixture(scope="module")
def keda_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(KEDA_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_keda_resources_match_keda_spec(docs: list[dict[str, Any]],
                                        keda_validator: jsonschema.protocols.Validator) -> None:
    keda = [d for d in docs if d["kind"] in KEDA_KINDS]
    assert {d["kind"] for d in keda} == KEDA_KINDS
    for doc in keda:
        errors = [e.message for e in keda_validator.iter_errors(doc)]
        assert not errors, f"{doc['kind']}/{doc['metadata']['name']}: {errors}"


def test_keda_schema_refuses_broken_scaled_objects(
    docs: list[dict[str, Any]], keda_validator: jsonschema.protocols.Validator
) -> None:
    good = _of(docs, "ScaledObject")["normalizer"]
    no_target = copy.deepcopy(good)
    del no_target["spec"]["scaleTargetRef"]
    number = copy.deepcopy(good)
    number["spec"]["triggers"][0]["metadata"]["lagThreshold"] = 500
    typo = copy.deepcopy(good)
    meta = typo["spec"]["triggers"][0]["metadata"]
    meta["lagTreshold"] = meta.pop("lagThreshold")
    no_broker = copy.deepcopy(good)
    del no_broker["spec"]["triggers"][0]["metadata"]["bootstrapServersFromEnv"]
    for bad in (no_target, number, typo, no_broker):
        assert not keda_validator.is_valid(bad)


def test_every_env_var_is_a_real_setting(docs: list[dict[str, Any]],
                                         secret: dict[str, Any]) -> None:
    deployments = _of(docs, "Deployment")
    assert sorted(_service_of(_container(d)) for d in deployments.values()) == sorted(SETTINGS)
    for deployment in deployments.values():
        container = _container(deployment)
        service = _service_of(container)
        unknown = set(_container_env(container, docs, secret)) - settings_env(service)
        assert not unknown, f"{service}: not settings of {SETTINGS[service].__name__}: {unknown}"


def test_the_env_check_knows_what_each_service_reads() -> None:
    # Guards against a check that cannot fail: names come from the classes, per service.
    assert "NEWSWIRE_INGEST_CREDENTIALS_FILE" in settings_env("ingest")
    assert "NEWSWIRE_INGEST_CREDENTIALS_FILE" not in settings_env("normalizer")
    assert {"NEWSWIRE_KAFKA_SASL_PASSWORD", "NEWSWIRE_MONGO_URL",
            "NEWSWIRE_TOPIC_NAMESPACE"} <= settings_env("storage")
    assert "NEWSWIRE_STORAGE_COMMON" not in settings_env("storage")
    assert "NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS" not in settings_env("linker")


def test_manifest_values_load_into_the_settings(docs: list[dict[str, Any]],
                                                secret: dict[str, Any],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    scaled = _of(docs, "ScaledObject")
    for deployment in _of(docs, "Deployment").values():
        container = _container(deployment)
        service = _service_of(container)
        for name in [n for n in os.environ if n.startswith("NEWSWIRE_")]:
            monkeypatch.delenv(name)
        for name, value in _container_env(container, docs, secret).items():
            monkeypatch.setenv(name, value)
        settings: Any = SETTINGS[service]()
        assert settings.common.http_host == "0.0.0.0"  # noqa: S104 - pods are probed on the pod IP
        assert settings.common.kafka_sasl_password is not None
        port = container["ports"][0]
        assert (port["name"], port["containerPort"]) == ("http", settings.http_port)
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(settings.http_port)
        if service in CONSUMES:
            triggers = scaled[deployment["metadata"]["name"]]["spec"]["triggers"]
            assert [(t["metadata"]["topic"], t["metadata"]["consumerGroup"]) for t in triggers] \
                == [(topic, settings.group_id + suffix) for topic, suffix in CONSUMES[service]]
            for trigger in triggers:
                assert trigger["metadata"]["bootstrapServersFromEnv"] == \
                    "NEWSWIRE_KAFKA_BOOTSTRAP"
            assert settings.common.topic_partitions == \
                scaled[deployment["metadata"]["name"]]["spec"]["maxReplicaCount"]
        uses_mongo = service in {"storage", "linker"}
        assert ("NEWSWIRE_MONGO_URL" in {v["name"] for v in container["env"]}) == uses_mongo


def test_probes_resources_and_disruption_budgets(docs: list[dict[str, Any]]) -> None:
    budgets = _of(docs, "PodDisruptionBudget")
    for name, deployment in _of(docs, "Deployment").items():
        container = _container(deployment)
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        requests = container["resources"]["requests"]
        assert {"cpu", "memory"} <= set(requests)
        assert "memory" in container["resources"]["limits"]
        pod = deployment["spec"]["template"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
        labels = pod["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
        selector = budgets[name]["spec"]["selector"]["matchLabels"]
        assert selector.items() <= labels.items(), f"the PDB {name} selects other pods"


def test_scaling_normalizer_annotation_storage_and_one_standby_linker(
    docs: list[dict[str, Any]],
) -> None:
    deployments = _of(docs, "Deployment")
    scaled = _of(docs, "ScaledObject")
    auths = _of(docs, "TriggerAuthentication")
    partitions = int(_of(docs, "ConfigMap")["newswire-config"]["data"]
                     ["NEWSWIRE_TOPIC_PARTITIONS"])
    assert set(scaled) == set(CONSUMES)
    for name, obj in scaled.items():
        target = obj["spec"]["scaleTargetRef"]["name"]
        assert target == name and target in deployments
        # The HPA owns the count; a replicas field would fight it on every apply.
        assert "replicas" not in deployments[target]["spec"]
        assert 1 <= obj["spec"]["minReplicaCount"] <= obj["spec"]["maxReplicaCount"]
        assert obj["spec"]["maxReplicaCount"] == partitions
        for trigger in obj["spec"]["triggers"]:
            assert trigger["type"] == "kafka"
            assert trigger["authenticationRef"]["name"] in auths
            assert trigger["metadata"]["allowIdleConsumers"] == "false"
    linker = deployments["linker"]["spec"]
    assert linker["replicas"] == 2
    assert linker["strategy"]["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": 1}
    assert _of(docs, "PodDisruptionBudget")["linker"]["spec"]["maxUnavailable"] == 1
    assert deployments["ingest"]["spec"]["replicas"] >= 2


def test_secrets_come_from_the_secret(docs: list[dict[str, Any]],
                                      secret: dict[str, Any]) -> None:
    keys = set(secret["stringData"])
    used: set[str] = set()
    for auth in _of(docs, "TriggerAuthentication").values():
        for ref in auth["spec"]["secretTargetRef"]:
            assert ref["name"] == "newswire-secrets"
            used.add(ref["key"])
    for deployment in _of(docs, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        container = _container(deployment)
        for var in container["env"]:
            if var["name"] in {"NEWSWIRE_MONGO_URL", "NEWSWIRE_KAFKA_SASL_PASSWORD"}:
                used.add(var["valueFrom"]["secretKeyRef"]["key"])  # never a literal
        for volume in pod["volumes"]:
            if "secret" in volume:
                assert volume["secret"]["secretName"] == "newswire-secrets"
                used |= {item["key"] for item in volume["secret"]["items"]}
        # subPath mounts are never updated by the kubelet: rotation would need a restart.
        assert all("subPath" not in m for m in container.get("volumeMounts", []))
    assert used <= keys, f"keys the example Secret lacks: {used - keys}"
    assert {"mongo-url", "kafka-sasl-password", "ingest-credentials.json"} <= used
    ingest = _of(docs, "Deployment")["ingest"]
    env = {v["name"]: v.get("value") for v in _container(ingest)["env"]}
    [mount] = [m for m in _container(ingest)["volumeMounts"] if m["name"] == "credentials"]
    [volume] = [v for v in ingest["spec"]["template"]["spec"]["volumes"]
                if v["name"] == "credentials"]
    assert env["NEWSWIRE_INGEST_CREDENTIALS_FILE"] == \
        f"{mount['mountPath']}/{volume['secret']['items'][0]['path']}"
    assert parse(secret["stringData"]["ingest-credentials.json"])
