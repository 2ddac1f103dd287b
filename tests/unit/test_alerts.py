"""Prometheus alert rules parse as PromQL and only name metrics the services export."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from shared.metrics import ServiceMetrics

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "newswire.json"
_NAME = re.compile(r"\bnewswire_[a-z_]+")
_SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_count", "_sum")}


def _exported() -> set[str]:
    """Every sample name the services' registry can expose."""
    names = set()
    for family in ServiceMetrics("any").registry.collect():
        names.update(family.name + suffix for suffix in _SUFFIXES[family.type])
    return names


def _rules() -> list[dict[str, Any]]:
    data = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [rule for group in data["groups"] for rule in group["rules"]]


def test_exported_names_are_known() -> None:
    # The check below is only as good as this list.
    assert {"newswire_consumer_lag", "newswire_messages_total",
            "newswire_ingest_to_stage_seconds_bucket"} <= _exported()


@pytest.mark.parametrize("rule", _rules(), ids=lambda rule: str(rule.get("alert")))
def test_alert_rule_is_complete_and_names_real_metrics(rule: dict[str, Any]) -> None:
    assert set(rule) >= {"alert", "expr", "for", "labels", "annotations"}
    assert rule["labels"]["severity"] in {"page", "ticket"}
    assert rule["annotations"]["summary"]
    promql_parser.parse(rule["expr"])  # raises on a syntax error
    assert set(_NAME.findall(rule["expr"])) <= _exported()


def test_a_broken_expression_is_caught() -> None:
    with pytest.raises(ValueError, match="parenthesis"):
        promql_parser.parse("sum by (service (rate(newswire_messages_total[5m]))")


def test_rules_are_loaded_by_prometheus() -> None:
    config = yaml.safe_load(PROMETHEUS.read_text(encoding="utf-8"))
    assert "/etc/prometheus/alerts.yml" in config["rule_files"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    mounts = compose["services"]["prometheus"]["volumes"]
    assert "./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in mounts


def test_dashboard_queries_parse_and_name_real_metrics() -> None:
    panels = json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]
    exprs = [t["expr"] for p in panels for t in p.get("targets", []) if "expr" in t]
    assert any("newswire_consumer_lag" in e for e in exprs)
    for expr in exprs:
        # Grafana variables are not PromQL; give them a value the parser accepts.
        promql_parser.parse(expr.replace("$__rate_interval", "1m").replace("$service", ".*"))
        assert set(_NAME.findall(expr)) <= _exported(), expr
