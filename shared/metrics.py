"""Per-service Prometheus registry with the counters and histograms operators watch."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

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

    def ok(self, stage: str, n: int = 1) -> None:
        self.messages.labels(self.service, stage, "ok").inc(n)

    def failed(self, stage: str, reason: str, n: int = 1) -> None:
        self.messages.labels(self.service, stage, "dlq").inc(n)
        self.dlq.labels(self.service, reason).inc(n)
