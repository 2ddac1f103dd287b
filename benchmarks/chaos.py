"""Chaos run: the whole pipeline under SIGKILLs, a broker kill and a database outage, validated.

It starts a Kafka and a FerretDB of its own (deploy/private_infra.py; the shared instances are
never touched) and the five services with a standby linker, pushes `--n` varied articles over
HTTP at a steady rate (about 10 % new versions of earlier ids, some out of order) and `--fuzz`
fuzzed inputs beside them, and meanwhile SIGKILLs each service `--kills` times (restart after a
random 0-10 s), SIGKILLs the broker and stops the database for `--db-down` seconds. Once every
consumer group's lag is zero, benchmarks/chaos_check.py counts what was lost, duplicated,
regressed, left unaccounted of the fuzz, and how stories differ from an uninterrupted linker
on the same input. `--json` prints the figures as the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import random
import re
import signal
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from benchmarks.chaos_check import Sent, validate
from benchmarks.chaos_inputs import SOURCE, Push, fuzz_pushes, valid_pushes
from benchmarks.e2e import read_response
from benchmarks.enrich import corpus_sentences
from deploy.launcher import ROOT, SERVICES, ServiceProcess, Stack
from deploy.private_infra import PrivateInfra
from shared import topics
from shared.lag import group_lag

TARGETS = ("lost", "duplicated", "regressed", "fuzz_unaccounted", "story_diffs")
_OFFSET = re.compile(r"^newswire_linker_input_offset ([0-9.e+-]+)$", re.MULTILINE)
_HANDLING = re.compile(r"^newswire_processing_seconds_(sum|count)\{[^}]*\} ([0-9.e+-]+)$",
                       re.MULTILINE)


def topic_names(namespace: str) -> dict[str, str]:
    """The topics of a stack in this namespace (the names live in shared/topics.py)."""
    t = topics.Topics(namespace)
    return {"raw": t.raw, "canonical": t.canonical, "annotated": t.annotated,
            "enriched": t.enriched, "story": t.story, "links": t.links, "dlq": t.dlq}


def groups_of(namespace: str) -> dict[str, list[str]]:
    """Every consumer group of the pipeline and the topics it reads."""
    t = topic_names(namespace)
    g = f"{namespace}newswire-"
    return {f"{g}normalizer": [t["raw"]], f"{g}enrichment": [t["canonical"]],
            f"{g}linker": [t["annotated"]], f"{g}storage": [t["enriched"]],
            f"{g}storage-stories": [t["story"]], f"{g}storage-links": [t["links"]]}


class Client:
    """Pushes over HTTP/1.1 with a fresh connection per attempt, retrying what ingest did not
    answer (down, restarting, Kafka away) until it answers 202 or a 4xx, as an agency would."""

    def __init__(self, url: str, deadline: float = 900) -> None:
        host, _, port = url.removeprefix("http://").partition(":")
        self.host, self.port, self.deadline = host, int(port), deadline
        self.retries = 0

    async def post(self, push: Push) -> Sent:
        end, pause = time.monotonic() + self.deadline, 0.5
        while True:
            try:
                status, body = await asyncio.wait_for(self._exchange(push), 90)
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError, TimeoutError):
                status, body = 0, b""
            if status == 202 or 400 <= status < 500:
                trace = json.loads(body).get("trace_id") if status == 202 else None
                return Sent(push, status, trace)
            if time.monotonic() > end:
                return Sent(push, status, None)
            self.retries += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)

    async def _exchange(self, push: Push) -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            head = [f"POST /v1/articles?source={SOURCE} HTTP/1.1", f"Host: {self.host}",
                    f"Content-Length: {len(push.body)}", "Connection: close"]
            if push.content_type:
                head.append(f"Content-Type: {push.content_type}")
            if push.guid:
                head.append(f"X-Newswire-Id: {push.guid}")
            if push.url:
                head.append(f"X-Newswire-Url: {push.url}")
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + push.body)
            return await read_response(reader)
        finally:
            writer.close()


async def paced(client: Client, pushes: list[Push], rate: float) -> list[Sent]:
    """Offer the pushes at a steady rate; each is retried on its own, so a fault delays only
    the pushes it met."""
    start, tasks = time.monotonic(), []
    for i, push in enumerate(pushes):
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        tasks.append(asyncio.create_task(client.post(push)))
    return list(await asyncio.gather(*tasks))


class LagProbe:
    """Total committed lag over the pipeline's groups; None while Kafka does not answer."""

    def __init__(self, bootstrap: str, groups: dict[str, list[str]]) -> None:
        self.bootstrap, self.groups = bootstrap, groups
        self.by_group: dict[str, int] = {}  # the last measurement, per group
        self.lock = asyncio.Lock()
        self.last: int | None = None
        self.at = 0.0
        self.admin: AIOKafkaAdminClient | None = None
        self.consumer: AIOKafkaConsumer | None = None

    async def total(self) -> int | None:
        """One measurement at a time, shared by the callers of the same second."""
        async with self.lock:
            if time.monotonic() - self.at < 1:
                return self.last
            try:
                self.last = await asyncio.wait_for(self._measure(), 15)
            except Exception:  # noqa: BLE001 - the broker may be down: reconnect next time
                await self.close()
                self.last = None
            self.at = time.monotonic()
            return self.last

    async def _measure(self) -> int:
        if self.admin is None or self.consumer is None:
            self.admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
            self.consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap)
            await self.admin.start()
            await self.consumer.start()
        for group, names in self.groups.items():
            lag = await group_lag(self.admin, self.consumer, group, names)
            self.by_group[group.rpartition("newswire-")[2]] = sum(lag.values())
        return sum(self.by_group.values())

    async def close(self) -> None:
        admin, consumer, self.admin, self.consumer = self.admin, self.consumer, None, None
        for part in (consumer, admin):
            if part is not None:
                # Closing a client of a dead broker may fail in any way; it is dropped anyway.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(part.stop() if part is consumer else part.close(), 10)  # type: ignore[union-attr]


def activity(proc: ServiceProcess) -> tuple[float, float, float]:
    """CPU seconds the process used, seconds its handlers ran and batches they handled, so
    far: a trace tells a stage starved of CPU (handling, little CPU) from one waiting."""
    cpu = handled = batches = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError, AttributeError):
        stat = Path(f"/proc/{proc.proc.pid}/stat").read_text().rpartition(")")[2].split()  # type: ignore[union-attr]
        cpu = (int(stat[11]) + int(stat[12])) / 100  # utime + stime, in clock ticks
    with contextlib.suppress(OSError):
        for kind, value in _HANDLING.findall(proc.metrics()):
            if kind == "sum":
                handled += float(value)
            else:
                batches += float(value)
    return cpu, handled, batches


@dataclass
class Fault:
    kind: str  # "kill" (a service), "broker", "db"
    target: str
    at_s: float = 0.0
    down_s: float = 0.0
    recovered_s: float | None = None
    lag_peak: int = 0

    def row(self) -> dict[str, Any]:
        return {"kind": self.kind, "target": self.target, "at_s": round(self.at_s, 1),
                "down_s": round(self.down_s, 1), "lag_peak": self.lag_peak,
                "recovered_s": None if self.recovered_s is None else round(self.recovered_s, 1)}


class Chaos:
    """Injects the faults one at a time at random moments of the push; each is measured
    until the lag is back at the level before it before the next one comes."""

    def __init__(self, stack: Stack, infra: PrivateInfra, probe: LagProbe, args: argparse.Namespace,
                 rng: random.Random) -> None:
        self.stack, self.infra, self.probe, self.args, self.rng = stack, infra, probe, args, rng
        self.faults = [Fault("kill", s) for s in SERVICES for _ in range(args.kills)]
        self.faults += [Fault("broker", "kafka") for _ in range(args.broker_kills)]
        self.faults += [Fault("db", "ferretdb") for _ in range(args.db_stops)]
        rng.shuffle(self.faults)
        self.t0 = time.monotonic()

    async def run(self, span: float) -> None:
        """Each fault at its moment, or as soon as the one before has recovered: one at a
        time, so each recovery is the fault's own (overlapping ones summed their backlogs
        and a recovery counted the next faults' too)."""
        moments = sorted(self.rng.uniform(0.05, 0.9) * span for _ in self.faults)
        for fault, moment in zip(self.faults, moments, strict=True):
            await asyncio.sleep(max(0.0, self.t0 + moment - time.monotonic()))
            await self.inject(fault)

    async def inject(self, fault: Fault) -> None:
        fault.at_s = time.monotonic() - self.t0
        before = await self.probe.total()
        start = time.monotonic()
        try:
            await self.break_and_repair(fault)
        finally:
            fault.down_s = time.monotonic() - start
        fault.recovered_s = await self.recovered(start, fault, max(self.args.lag_ok, before or 0))
        print(f"  fault {fault.row()}; lag now {self.probe.by_group}", flush=True)

    async def break_and_repair(self, fault: Fault) -> None:
        if fault.kind == "kill":
            proc = self.victim(fault.target)
            fault.target = proc.name
            proc.kill()
            await asyncio.sleep(self.rng.uniform(0, 10))
            proc.start()
        elif fault.kind == "broker":
            await asyncio.to_thread(self.infra.kill_kafka)
            await asyncio.sleep(self.rng.uniform(0, 10))
            await asyncio.to_thread(self.infra.start_kafka)
        else:
            await asyncio.to_thread(self.infra.stop_db)
            await asyncio.sleep(self.args.db_down)
            await asyncio.to_thread(self.infra.start_db)

    def victim(self, service: str) -> ServiceProcess:
        """The service's process; for the linker the active one (furthest input offset)."""
        procs = [p for p in self.stack.services.values() if p.module == service]
        if len(procs) == 1:
            return procs[0]

        def offset(p: ServiceProcess) -> float:
            try:
                found = _OFFSET.search(p.metrics())
            except OSError:
                return -1.0
            return float(found.group(1)) if found else -1.0

        return max(procs, key=offset)

    async def recovered(self, start: float, fault: Fault, level: int) -> float | None:
        """Seconds from the fault until every process is ready and the lag is back at the
        level before it (or `--lag-ok` records, the steady level at the offered rate);
        None if that takes more than `--recovery-timeout` after the repair."""
        # From the repair: a broker whose JVM took minutes to start niced on a busy machine is
        # the host's slowness, shown as down_s, not a service that failed to recover.
        end, shown = time.monotonic() + self.args.recovery_timeout, 0.0
        seen: dict[str, tuple[float, float, float]] = {}
        while time.monotonic() < end:
            lag = await self.probe.total()
            if lag is not None:
                fault.lag_peak = max(fault.lag_peak, lag)
            procs = list(self.stack.services.values())
            ready = await asyncio.gather(*(asyncio.to_thread(p.ready) for p in procs))
            if all(ready) and lag is not None and lag <= level:
                return time.monotonic() - start
            if self.args.trace and time.monotonic() - shown >= 5:
                shown = time.monotonic()
                waiting = [p.name for p, r in zip(procs, ready, strict=True) if not r]
                now = {p.name: await asyncio.to_thread(activity, p) for p in procs}
                busy = " ".join(
                    f"{n}:{c - seen[n][0]:.1f}cpu/{h - seen[n][1]:.1f}s/{b - seen[n][2]:.0f}"
                    for n, (c, h, b) in now.items() if n in seen)
                seen = now
                print(f"    {fault.target} +{shown - start:.0f} s: lag {lag} (ok at {level}) "
                      f"{self.probe.by_group}, not ready {waiting}; {busy}", flush=True)
            await asyncio.sleep(1)
        return None


async def drained(probe: LagProbe, timeout: float) -> tuple[float, bool]:
    """Wait until every group's lag is zero three samples in a row; returns the seconds and
    whether it got there (validating an undrained pipeline counts its backlog as lost)."""
    start, zero, shown = time.monotonic(), 0, 0.0
    while time.monotonic() - start < timeout and zero < 3:
        lag = await probe.total()
        zero = zero + 1 if lag == 0 else 0
        if time.monotonic() - shown > 15:
            print(f"  lag {lag}: {probe.by_group}", flush=True)
            shown = time.monotonic()
        await asyncio.sleep(2)
    return time.monotonic() - start, zero >= 3


async def chaos_run(args: argparse.Namespace, infra: PrivateInfra) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    rng = random.Random(args.seed)
    valid = valid_pushes(run, args.n, corpus_sentences(), seed=args.seed)
    fuzz = fuzz_pushes(args.fuzz, seed=args.seed + 1)
    namespace = f"chaos{run}."
    logs = Path(args.log_dir) / run if args.log_dir else ROOT / "deploy/local/.data/chaos" / run
    env = {"NEWSWIRE_LAG_INTERVAL_SECONDS": "0", **dict(e.split("=", 1) for e in args.env)}
    stack = Stack(infra.bootstrap, infra.mongo_url, namespace=namespace, mongo_db=f"chaos_{run}",
                  log_dir=logs, replicas={"linker": 2}, extra_env=env)
    print(f"chaos {run}: {len(valid)} articles at {args.rate}/s, {len(fuzz)} fuzzed, "
          f"logs in {logs}", flush=True)
    probe = LagProbe(infra.bootstrap, groups_of(namespace))
    client = Client(stack["ingest"].url)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongo_url, tz_aware=True)
    try:
        await asyncio.to_thread(stack.start, 240)
        span = len(valid) / args.rate
        chaos = Chaos(stack, infra, probe, args, rng)
        started = time.monotonic()
        sent_valid, sent_fuzz, _ = await asyncio.gather(
            paced(client, valid, args.rate),
            paced(client, fuzz, max(len(fuzz) / span, 0.1)) if fuzz else _none(),
            chaos.run(span))
        pushed_s = time.monotonic() - started
        print(f"pushed in {pushed_s:.0f} s ({client.retries} retries); draining", flush=True)
        drain_s, empty = await drained(probe, args.drain_timeout)
        left = "" if empty else " (lag left)"
        print(f"drained in {drain_s:.0f} s{left}; validating", flush=True)
        result = await validate(mongo[stack.mongo_db], infra.bootstrap, topic_names(namespace),
                                sent_valid, sent_fuzz)
        result |= {"faults": [f.row() for f in chaos.faults], "pushed_s": round(pushed_s, 1),
                   "drain_s": round(drain_s, 1), "drained": empty,
                   "push_retries": client.retries,
                   "unanswered": sum(1 for s in [*sent_valid, *sent_fuzz] if s.status == 0)}
    finally:
        await probe.close()
        await mongo.close()
        await asyncio.to_thread(stack.stop)
    report(result)
    return result


def report(result: dict[str, Any]) -> None:
    for fault in result["faults"]:
        print(f"  {fault['kind']:6} {fault['target']:10} at {fault['at_s']:7.1f} s, down "
              f"{fault['down_s']:5.1f} s, recovered after {fault['recovered_s']} s, "
              f"lag peak {fault['lag_peak']}")
    print(" ".join(f"{k} {result[k]}" for k in ("acked", *TARGETS, "fuzz_total")))
    print(f"details: {json.dumps({k: v for k, v in result.items() if k != 'faults'})}")


async def _none() -> list[Sent]:
    return []


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--n", type=int, default=20000, help="valid pushes")
    p.add_argument("--fuzz", type=int, default=10000, help="fuzzed pushes")
    p.add_argument("--rate", type=float, default=25.0, help="valid pushes offered per second")
    p.add_argument("--kills", type=int, default=5, help="SIGKILLs per service")
    p.add_argument("--broker-kills", type=int, default=1)
    p.add_argument("--db-stops", type=int, default=1)
    p.add_argument("--db-down", type=float, default=30.0, help="seconds the database is down")
    p.add_argument("--lag-ok", type=int, default=100,
                   help="total lag counted as recovered (the steady level at the rate)")
    p.add_argument("--recovery-timeout", type=float, default=300.0)
    p.add_argument("--drain-timeout", type=float, default=1800.0)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--env", action="append", default=[], help="NAME=VALUE for every service")
    p.add_argument("--log-dir", default="", help="service logs (default deploy/local/.data)")
    p.add_argument("--keep-infra", action="store_true", help="keep the private data dir")
    p.add_argument("--json", action="store_true", help="print the figures as a last line")
    p.add_argument("--trace", action="store_true",
                   help="print lag per group and unready processes every 5 s of a recovery")
    return p


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    args = parser().parse_args()
    # Stopped by SIGTERM or SIGINT (ignored in a background job), the run still stops its
    # services and its private infrastructure on the way out.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    # The probe's clients complain on every attempt while the broker is down, as intended.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    with PrivateInfra(keep=args.keep_infra) as infra:
        print(f"private infrastructure: kafka {infra.bootstrap}, db {infra.mongo_url}, "
              f"data {infra.data}", flush=True)
        result = asyncio.run(chaos_run(args, infra))
    if args.json:
        print(json.dumps({k: result[k] for k in ("acked", "lost", "duplicated", "regressed",
                                                  "fuzz_total", "fuzz_unaccounted",
                                                  "story_diffs", "faults")}))
    return 0 if all(result[k] == 0 for k in TARGETS) else 1


if __name__ == "__main__":
    sys.exit(main())
