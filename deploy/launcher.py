"""Start, probe, SIGKILL and restart the five services as local processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

SERVICES = ("ingest", "normalizer", "enrichment", "linker", "storage")
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    module: str = ""  # the service package; replicas share it under their own names

    def __post_init__(self) -> None:
        self.module = self.module or self.name

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv of our own module
            [sys.executable, "-m", f"services.{self.module}"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as reply:  # noqa: S310
                return bool(reply.status == 200)
        except OSError:
            return False

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited; log tail:\n{self.tail()}")
            if self.ready():
                return
            time.sleep(0.3)
        raise TimeoutError(f"{self.name} not ready after {timeout}s; log tail:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, no offset is committed on the way out."""
        if self.proc is not None and self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def metrics(self) -> str:
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5) as reply:  # noqa: S310
            return str(reply.read().decode())


@dataclass
class Stack:
    """The five services sharing one namespace of topics, groups and one database."""

    bootstrap: str
    mongo_url: str
    namespace: str
    log_dir: Path
    mongo_db: str = "newswire"
    extra_env: dict[str, str] = field(default_factory=dict)
    # More than one process of a service (same group): e.g. {"linker": 2} adds "linker-2".
    replicas: dict[str, int] = field(default_factory=dict)
    services: dict[str, ServiceProcess] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        base = {
            **os.environ,
            "NEWSWIRE_KAFKA_BOOTSTRAP": self.bootstrap,
            "NEWSWIRE_MONGO_URL": self.mongo_url,
            "NEWSWIRE_MONGO_DB": self.mongo_db,
            "NEWSWIRE_TOPIC_NAMESPACE": self.namespace,
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        for module in SERVICES:
            for n in range(1, self.replicas.get(module, 1) + 1):
                name = module if n == 1 else f"{module}-{n}"
                env = dict(base)
                port = free_port()
                env[f"NEWSWIRE_{module.upper()}_HTTP_PORT"] = str(port)
                env[f"NEWSWIRE_{module.upper()}_GROUP_ID"] = f"{self.namespace}newswire-{module}"
                self.services[name] = ServiceProcess(name, port, env,
                                                     self.log_dir / f"{name}.log", module=module)

    def start(self, timeout: float = 120) -> None:
        for service in self.services.values():
            service.start()
        for service in self.services.values():
            service.wait_ready(timeout)

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.services[name]
