"""Per-service Prometheus registry with the counters and histograms operators watch."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

STORE_RESULTS = ("inserted", "updated", "stale")
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


@dataclass
class ServiceMetrics:
    """One registry per service, so tests can build several services in one process."""

    service: str
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.messages = Counter(
            "newswire_messages_total", "Messages handled, by stage and outcome",
            ["service", "stage", "outcome"], registry=r,
        )
        self.processing = Histogram(
            "newswire_processing_seconds", "Time spent handling one message or batch",
            ["service", "stage"], buckets=_LATENCY_BUCKETS, registry=r,
        )
        self.dlq = Counter(
            "newswire_dlq_messages_total", "Records sent to the dead-letter topic, by reason",
            ["service", "reason"], registry=r,
        )
        self.end_to_end = Histogram(
            "newswire_ingest_to_stage_seconds",
            "Age of an article since ingest when a stage is done",
            ["service", "stage"], buckets=_LATENCY_BUCKETS, registry=r,
        )
        self.articles_stored = Counter(
            "newswire_articles_stored_total", "Article writes by result (inserted, updated, stale)",
            ["result"], registry=r,
        )
        self.lag = Gauge(
            "newswire_consumer_lag",
            "Records past the consumer group's committed offset, per partition",
            ["service", "group", "topic", "partition"], registry=r,
        )
        self.ready = Gauge(
            "newswire_ready", "1 when the service's broker and database answer", ["service"],
            registry=r,
        )
        self.ready.labels(self.service).set(0)

    def declare(self, stage: str, *, reasons: Iterable[str] = (), timed: bool = True,
                aged: bool = False) -> None:
        """Create a stage's series at zero when it is built. rate() and increase() count only
        the steps between samples of a series, so a series born with its first increment
        hides that increment: the first dead letter of a reason would never count."""
        for outcome in ("ok", "dlq"):
            self.messages.labels(self.service, stage, outcome)
        for reason in reasons:
            self.dlq.labels(self.service, reason)
        if timed:
            self.processing.labels(self.service, stage)
        if aged:
            self.end_to_end.labels(self.service, stage)

    def declare_stored(self) -> None:
        """Storage's write results at zero, for the same reason as declare()."""
        for result in STORE_RESULTS:
            self.articles_stored.labels(result)

    def observe_age(self, stage: str, received_at: datetime | None,
                    now: datetime | None = None) -> None:
        """Ingest-to-stage age of one article done by the stage (none without a receipt)."""
        if received_at is not None:
            age = ((now or datetime.now(UTC)) - received_at).total_seconds()
            self.end_to_end.labels(self.service, stage).observe(max(age, 0.0))

    def ok(self, stage: str, n: int = 1) -> None:
        self.messages.labels(self.service, stage, "ok").inc(n)

    def failed(self, stage: str, reason: str, n: int = 1) -> None:
        self.messages.labels(self.service, stage, "dlq").inc(n)
        self.dlq.labels(self.service, reason).inc(n)
