"""A real Prometheus scrapes the running stack: dashboard queries have data, alert rules work."""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
import yaml

from deploy.launcher import SERVICES, Stack
from deploy.prometheus.local import ALERTS, Prometheus, dashboard_queries
from deploy.samples import page_text
from tests.conftest import Infra
from tests.e2e.conftest import running_stack

pytestmark = pytest.mark.e2e

BURST = "NewswireDeadLetterBurst"
ARTICLES = 2
GARBAGE = b"\x89PNG\r\n\x1a\n not an article "
# The dashboard's time range when an operator looks: wide enough to hold the whole test.
RATE_WINDOW = "5m"


@dataclass
class Monitored:
    stack: Stack
    prometheus: Prometheus


def push(stack: Stack, body: bytes, content_type: str = "text/plain; charset=utf-8") -> int:
    request = urllib.request.Request(  # noqa: S310 - local test service
        f"{stack['ingest'].url}/v1/articles?source=monitoring", data=body, method="POST",
        headers={"content-type": content_type},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310
            return int(reply.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


def until(what: str, probe: Callable[[], Any], timeout: float = 60) -> Any:
    """Poll `probe` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def value(prometheus: Prometheus, expr: str) -> float:
    result = prometheus.query(expr)
    return float(result[0]["value"][1]) if result else 0.0


def seen(prometheus: Prometheus, stored: int, dead: int) -> Callable[[], bool]:
    return lambda: (value(prometheus, "sum(newswire_articles_stored_total)") >= stored
                    and value(prometheus, "sum(newswire_dlq_messages_total)") >= dead)


def burst_state(prometheus: Prometheus) -> set[str]:
    return {a["state"] for a in prometheus.alerts() if a["labels"]["alertname"] == BURST}


@pytest.fixture(scope="module")
def monitored(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitored]:
    """The stack under a 1 s Prometheus, after two rounds of articles and a dead letter each.

    Two rounds, as on a running system (the services create every series at zero when they
    are built, so the first round counts in rate() too). Lag is measured every second so its
    gauge exists by then; the burst rule waits 2 s instead of a minute (its expression is the
    shipped one)."""
    with running_stack(infra, tmp_path_factory, prefix="mon",
                       extra_env={"NEWSWIRE_LAG_INTERVAL_SECONDS": "1"}) as stack:
        prometheus = Prometheus({name: s.port for name, s in stack.services.items()},
                                tmp_path_factory.mktemp("prometheus"), scrape_interval="1s",
                                evaluation_interval="1s", rule_for={BURST: "2s"})
        prometheus.start()
        try:
            # Scraped once before any traffic, as a running system is.
            until("Prometheus to scrape every process",
                  lambda: prometheus.targets_up() == dict.fromkeys(stack.services, True))
            for round_ in (1, 2):
                for n in range(ARTICLES):
                    text = page_text(round_ * ARTICLES + n, tag=f"monitoring{round_}")
                    assert push(stack, text.encode()) == 202
                assert push(stack, GARBAGE + b"round %d" % round_,
                            "application/octet-stream") == 202
                until(f"Prometheus to see round {round_} stored and dead-lettered",
                      seen(prometheus, stored=round_ * ARTICLES, dead=round_))
                time.sleep(2)  # two more scrapes, so the series stand beside their first sample
            yield Monitored(stack, prometheus)
        finally:
            prometheus.stop()


def test_every_service_process_is_scraped(monitored: Monitored) -> None:
    up = monitored.prometheus.targets_up()
    assert up == dict.fromkeys(monitored.stack.services, True)
    # The dashboard's service picker offers every service, each with its own counters.
    services = monitored.prometheus.api("label/service/values",
                                        **{"match[]": "newswire_messages_total"})
    assert set(services) == set(SERVICES)


def _substituted(expr: str) -> str:
    """Grafana's variables as Grafana fills them with "All" selected over the test's span."""
    return expr.replace("$__rate_interval", RATE_WINDOW).replace("$service", ".*")


def test_every_dashboard_query_returns_data(monitored: Monitored) -> None:
    queries = dashboard_queries()
    assert len(queries) >= 10
    empty: list[str] = []
    for title, expr in queries:
        query = _substituted(expr)
        # A stat's `or vector(0)` fallback would answer even with the metric missing: it is
        # the part before the fallback that has to find data.
        primary = query.removesuffix(" or vector(0)")
        result = monitored.prometheus.query(primary)
        finite = [s for s in result if not math.isnan(float(s["value"][1]))]
        if not finite:
            empty.append(f"{title}: {primary} -> {result}")
        monitored.prometheus.query(query)  # the whole expression evaluates too
    assert not empty, "\n".join(empty)
    # The lag panel shows every consuming service, not just one of them.
    lag = monitored.prometheus.query("sum by (service) (newswire_consumer_lag)")
    assert {s["metric"]["service"] for s in lag} == {"normalizer", "enrichment", "linker",
                                                     "storage"}


def test_every_alert_rule_evaluates_without_error(monitored: Monitored) -> None:
    shipped = {rule["alert"] for group in yaml.safe_load(ALERTS.read_text())["groups"]
               for rule in group["rules"]}
    start = time.time()

    def evaluated_since_start() -> list[dict[str, Any]]:
        rules = monitored.prometheus.rules()
        done = [r for r in rules
                if datetime.fromisoformat(r["lastEvaluation"]).timestamp() >= start]
        return rules if len(done) == len(rules) == len(shipped) else []

    rules = until("every rule to be evaluated once more", evaluated_since_start, timeout=20)
    assert {r["name"] for r in rules} == shipped
    broken = {r["name"]: r.get("lastError") for r in rules
              if r["health"] != "ok" or r.get("lastError")}
    assert not broken, json.dumps(broken)
    # All services answer, so the down rule must not even be pending.
    assert "NewswireServiceDown" not in {a["labels"]["alertname"]
                                         for a in monitored.prometheus.alerts()}


def test_the_first_dead_letter_of_a_reason_counts_in_increase(monitored: Monitored) -> None:
    # A series born with its first increment hides that step from rate() and increase(): the
    # burst rule would miss the first letter of each reason. Ours start at zero.
    series = 'newswire_dlq_messages_total{service="normalizer",reason="unsupported_format"}'
    [scraped] = monitored.prometheus.api("query", query=f"{series}[10m]")["result"]
    values = [float(v) for _, v in scraped["values"]]
    assert values[0] == 0
    assert values[-1] == 2  # one dead letter per round
    # The burst rule's own expression counts both, not just the second.
    assert value(monitored.prometheus, f"sum(increase({series}[10m]))") >= 2


def test_a_dead_letter_burst_fires(monitored: Monitored) -> None:
    prometheus = monitored.prometheus
    # A dead letter a round is no burst.
    assert value(prometheus, "sum(newswire_dlq_messages_total)") >= 2
    time.sleep(3)  # longer than the rule's `for` plus an evaluation
    assert not burst_state(prometheus)
    for n in range(1, 21):
        assert push(monitored.stack, GARBAGE + str(n).encode(), "application/octet-stream") == 202
    until(f"{BURST} to fire", lambda: "firing" in burst_state(prometheus), timeout=60)
    [alert] = [a for a in prometheus.alerts() if a["labels"]["alertname"] == BURST]
    assert alert["labels"]["service"] == "normalizer"
    assert alert["labels"]["reason"] == "unsupported_format"
    assert float(alert["value"]) > 10
