"""A real Prometheus beside a local stack: its config, start, HTTP API queries and stop."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "newswire.json"
INSTALL = ROOT / "deploy" / "local" / "prometheus.sh"
JOB = "newswire"  # the job the alert rules select (up{job="newswire"})


def install() -> str:
    """Path of the cached Prometheus binary, fetched on the first call (a few seconds)."""
    done = subprocess.run(  # noqa: S603 - our own script, fixed argv; bash from PATH
        ["bash", str(INSTALL), "install"], capture_output=True, text=True, timeout=600,  # noqa: S607
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"installing Prometheus failed:\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        # As a server binds (Go sets it too): connections of a stopped run still in TIME_WAIT
        # do not keep the port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port(preferred: int = 0) -> int:
    """`preferred` when nothing listens there, else any free port."""
    if preferred and _port_free(preferred):
        return preferred
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alert_rules(rule_for: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The shipped alert rules, with the `for:` of the named alerts replaced (tests shorten
    the wait; the expressions stay exactly the ones operators get)."""
    rules: dict[str, Any] = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    wanted = dict(rule_for or {})
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") in wanted:
                rule["for"] = wanted.pop(rule["alert"])
    if wanted:
        raise KeyError(f"no such alert rule(s): {sorted(wanted)}")
    return rules


def scrape_config(targets: Mapping[str, int], self_port: int, rule_file: Path,
                  scrape_interval: str, evaluation_interval: str) -> dict[str, Any]:
    """One static target per service process. `instance` is the process name (ingest,
    linker-2, ...) so alerts read as names rather than loopback ports; no `service` target
    label, since the metrics carry their own and Prometheus would rename theirs."""
    return {
        "global": {"scrape_interval": scrape_interval,
                   "evaluation_interval": evaluation_interval},
        "rule_files": [str(rule_file)],
        "scrape_configs": [
            {"job_name": JOB, "metrics_path": "/metrics",
             "static_configs": [{"targets": [f"127.0.0.1:{port}"], "labels": {"instance": name}}
                                for name, port in sorted(targets.items())]},
            {"job_name": "prometheus",
             "static_configs": [{"targets": [f"127.0.0.1:{self_port}"]}]},
        ],
    }


@dataclass
class Prometheus:
    """One Prometheus process scraping the given services (name -> HTTP port) on loopback."""

    targets: dict[str, int]
    data_dir: Path
    port: int = 0
    scrape_interval: str = "5s"
    evaluation_interval: str = "15s"
    rule_for: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "prometheus.log"

    def start(self, timeout: float = 60) -> None:
        binary = install()
        self.port = free_port(self.port)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        rules = self.data_dir / "alerts.yml"
        rules.write_text(yaml.safe_dump(alert_rules(self.rule_for), sort_keys=False),
                         encoding="utf-8")
        config = self.data_dir / "prometheus.yml"
        config.write_text(yaml.safe_dump(scrape_config(
            self.targets, self.port, rules, self.scrape_interval, self.evaluation_interval),
            sort_keys=False), encoding="utf-8")
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - the cached binary, fixed flags
            [binary, f"--config.file={config}", f"--storage.tsdb.path={self.data_dir / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{self.port}",
             "--storage.tsdb.retention.time=2d"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited; log tail:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as reply:  # noqa: S310
                    if reply.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"prometheus not ready after {timeout}s; log tail:\n{self.tail()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def api(self, path: str, **params: str) -> Any:
        """GET /api/v1/<path>; the `data` member of a successful answer."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/{path}{query}",  # noqa: S310
                                        timeout=10) as reply:
                body = json.loads(reply.read())
        except urllib.error.HTTPError as err:  # a bad query answers 400 with the reason
            body = json.loads(err.read())
        if body.get("status") != "success":
            raise RuntimeError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's vector (a scalar comes back as one unlabelled sample)."""
        data = self.api("query", query=expr)
        if data["resultType"] == "vector":
            return list(data["result"])
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": data["result"]}]
        raise RuntimeError(f"{expr}: unexpected result type {data['resultType']}")

    def targets_up(self) -> dict[str, bool]:
        """Process name -> whether its last scrape succeeded."""
        return {t["labels"]["instance"]: t["health"] == "up"
                for t in self.api("targets", state="active")["activeTargets"]
                if t["labels"]["job"] == JOB}

    def alerts(self) -> list[dict[str, Any]]:
        """Pending and firing alerts with their labels and state."""
        return list(self.api("alerts")["alerts"])

    def rules(self) -> list[dict[str, Any]]:
        """Every loaded alerting rule with its health, last error and last evaluation."""
        return [rule for group in self.api("rules", type="alert")["groups"]
                for rule in group["rules"]]


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL with Grafana's variables left in) for every panel target."""
    panels = json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]
    return [(p["title"], t["expr"]) for p in panels for t in p.get("targets", []) if "expr" in t]
