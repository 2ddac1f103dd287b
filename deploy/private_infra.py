"""A private Kafka and MongoDB-wire database (own ports and data), safe to kill and restart."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from deploy.launcher import ROOT, free_port

SCRIPT = ROOT / "deploy" / "local" / "infra.sh"
BASH = shutil.which("bash") or "/bin/bash"


class InfraError(RuntimeError):
    """infra.sh failed; the message carries its output."""


@dataclass
class PrivateInfra:
    """One Kafka (KRaft) and one FerretDB of their own, run by deploy/local/infra.sh with
    another data directory and free ports, so faults injected here (SIGKILL of the broker,
    the database stopped) never touch the shared instances. Stopped and removed on exit.

    `with PrivateInfra() as infra:` then `infra.bootstrap`, `infra.mongo_url`,
    `infra.kill_kafka()`, `infra.start_kafka()`, `infra.stop_db()`, `infra.start_db()`."""

    data_dir: Path | None = None
    keep: bool = False  # keep the data directory after stop (post-mortems)
    kafka_heap: str = "-Xms256m -Xmx768m"
    # A broker of niced processes on a busy machine took more than infra.sh's 120 s default.
    wait_timeout: int = 600
    ports: dict[str, int] = field(default_factory=dict)
    _made_dir: bool = False

    def __post_init__(self) -> None:
        if self.data_dir is None:
            self.data_dir = Path(tempfile.mkdtemp(prefix="newswire-private-infra-"))
            self._made_dir = True
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for name in ("kafka", "controller", "mongo"):
            self.ports.setdefault(name, free_port())

    @property
    def data(self) -> Path:
        if self.data_dir is None:
            raise InfraError("no data directory")
        return self.data_dir

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.ports['kafka']}"

    @property
    def mongo_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.ports['mongo']}"

    def env(self) -> dict[str, str]:
        """infra.sh's environment for this instance (the cache is shared: jars, binary)."""
        return {**os.environ,
                "NEWSWIRE_DATA": str(self.data),
                "NEWSWIRE_KAFKA_PORT": str(self.ports["kafka"]),
                "NEWSWIRE_KAFKA_CONTROLLER_PORT": str(self.ports["controller"]),
                "NEWSWIRE_MONGO_PORT": str(self.ports["mongo"]),
                "NEWSWIRE_FERRETDB_DEBUG_PORT": "-",
                "NEWSWIRE_MONGO_BACKEND": "ferretdb",
                "NEWSWIRE_KAFKA_HEAP": self.kafka_heap,
                "NEWSWIRE_INFRA_WAIT_TIMEOUT": str(self.wait_timeout)}

    def _script(self, step: str, timeout: float = 900) -> None:
        # Output to a file, not a pipe: the daemons it starts would keep a pipe open.
        with tempfile.TemporaryFile() as out:
            done = subprocess.run([BASH, str(SCRIPT), step], stdout=out, stderr=out,  # noqa: S603
                                  env=self.env(), timeout=timeout, check=False)
            out.seek(0)
            text = out.read().decode(errors="replace")
        if done.returncode != 0:
            raise InfraError(f"infra.sh {step} failed for {self.data}:\n{text}")

    def start(self) -> None:
        """Start whatever of the two is not running, then wait until both answer."""
        self._script("start")
        self._script("wait")

    def stop(self) -> None:
        self._script("stop", timeout=120)

    def pid(self, name: str) -> int | None:
        """The pid infra.sh recorded for `kafka` or `mongo`, if that process still runs."""
        pid_file = self.data / "run" / f"{name}.pid"
        try:
            pid = int(pid_file.read_text().split()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            return None
        # Only a process started with this data directory is ours to signal.
        return pid if str(self.data).encode() in cmdline else None

    def _signal(self, name: str, sig: signal.Signals, timeout: float = 60) -> bool:
        """Signal the process and wait until it is gone; False if it outlived the timeout."""
        pid = self.pid(name)
        if pid is None:
            return True
        os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
            except OSError:
                return True
            if state == "Z":
                return True  # a zombie of a detached daemon: gone for every purpose here
            time.sleep(0.05)
        return False

    def kill_kafka(self) -> None:
        """SIGKILL the broker: no controlled shutdown, no flush."""
        self._signal("kafka", signal.SIGKILL)

    def start_kafka(self) -> None:
        self.start()

    def stop_db(self, grace: float = 10) -> None:
        """Stop the database as an orchestrator would: SIGTERM, and SIGKILL after `grace`
        seconds (FerretDB waits for its clients' connections on SIGTERM)."""
        if not self._signal("mongo", signal.SIGTERM, grace):
            self._signal("mongo", signal.SIGKILL)

    def start_db(self) -> None:
        self.start()

    def pids(self) -> dict[str, int]:
        return {n: p for n in ("kafka", "mongo") if (p := self.pid(n)) is not None}

    def close(self) -> None:
        try:
            self.stop()
        finally:
            if self._made_dir and not self.keep:
                shutil.rmtree(self.data, ignore_errors=True)

    def __enter__(self) -> PrivateInfra:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
