"""Dead letters: Kafka Connect-style error context, the original bytes, publish and metrics."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from shared.metrics import ServiceMetrics

log = logging.getLogger("newswire.dlq")

# Kafka Connect's header names (errors.deadletterqueue.context.headers.enable=true), so
# existing DLQ tooling that understands Connect can read ours too.
PREFIX = "__connect.errors."
H_TOPIC = PREFIX + "topic"
H_PARTITION = PREFIX + "partition"
H_OFFSET = PREFIX + "offset"
H_CONNECTOR = PREFIX + "connector.name"
H_STAGE = PREFIX + "stage"
H_CLASS = PREFIX + "class.name"
H_EXC_CLASS = PREFIX + "exception.class.name"
H_EXC_MESSAGE = PREFIX + "exception.message"
H_EXC_STACK = PREFIX + "exception.stacktrace"
# Our own short machine-readable reason, also the metrics label.
H_REASON = "nw-dlq-reason"

_MAX_HEADER = 4000


@dataclass(frozen=True)
class Origin:
    """Where the failed record was read from."""

    topic: str
    partition: int = -1
    offset: int = -1
    key: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeadLetter:
    key: bytes | None
    value: bytes
    headers: dict[str, str]
    reason: str


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_HEADER else text[: _MAX_HEADER - 1] + "…"


def dead_letter(
    *,
    value: bytes,
    origin: Origin,
    service: str,
    stage: str,
    handler: str,
    reason: str,
    exc: BaseException,
) -> DeadLetter:
    """Build the DLQ record: original key and bytes, original headers plus error context."""
    headers = {k: v for k, v in origin.headers.items() if not k.startswith(PREFIX)}
    stack = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=8))
    headers.update(
        {
            H_TOPIC: origin.topic,
            H_PARTITION: str(origin.partition),
            H_OFFSET: str(origin.offset),
            H_CONNECTOR: service,
            H_STAGE: stage,
            H_CLASS: handler,
            H_EXC_CLASS: f"{type(exc).__module__}.{type(exc).__qualname__}",
            H_EXC_MESSAGE: _clip(str(exc) or type(exc).__name__),
            H_EXC_STACK: _clip(stack),
            H_REASON: reason,
        }
    )
    return DeadLetter(key=origin.key, value=value, headers=headers, reason=reason)


class Publisher(Protocol):
    """What a dead letter needs from Kafka; the broker satisfies it."""

    async def publish(self, message: bytes, topic: str, *, key: bytes | None,
                      headers: dict[str, str]) -> object: ...


class DeadLetters:
    """A service's dead-letter queue: built once in its composition root, which names the
    service (through its metrics) and the DLQ topic; handlers take a view per stage."""

    def __init__(self, publisher: Publisher, metrics: ServiceMetrics, topic: str) -> None:
        self.publisher, self.metrics, self.topic = publisher, metrics, topic

    @property
    def service(self) -> str:
        return self.metrics.service

    def stage(self, name: str, handler: object, reasons: Iterable[str], *,
              timed: bool = True, aged: bool = False) -> StageLetters:
        """The stage's dead letters; its reasons' and outcomes' series start at zero now."""
        reasons = tuple(reasons)
        self.metrics.declare(name, reasons=reasons, timed=timed, aged=aged)
        return StageLetters(self, name, type(handler).__qualname__, frozenset(reasons))


@dataclass(frozen=True)
class StageLetters:
    """Dead letters of one stage of one handler."""

    queue: DeadLetters
    stage: str
    handler: str
    reasons: frozenset[str]

    def letter(self, value: bytes, origin: Origin, exc: BaseException, reason: str
               ) -> DeadLetter:
        """Build the record and count it, for a caller that sends it with other records (a
        failed send of the lot then re-sends the dead letter too)."""
        letter = self._build(value, origin, exc, reason)
        self._count(letter)
        return letter

    async def publish(self, value: bytes, origin: Origin, exc: BaseException,
                      reason: str) -> DeadLetter:
        """Awaited send: the source offset is committed only after the DLQ holds the record,
        and the record is counted only then."""
        letter = self._build(value, origin, exc, reason)
        await self.queue.publisher.publish(letter.value, self.queue.topic, key=letter.key,
                                           headers=letter.headers)
        self._count(letter)
        return letter

    def _build(self, value: bytes, origin: Origin, exc: BaseException, reason: str
               ) -> DeadLetter:
        if reason not in self.reasons:
            # An undeclared reason still goes out; its series just starts late (see declare).
            log.error("dead-letter reason not declared", extra={"reason": reason,
                                                                "stage": self.stage})
        return dead_letter(value=value, origin=origin, service=self.queue.service,
                           stage=self.stage, handler=self.handler, reason=reason, exc=exc)

    def _count(self, letter: DeadLetter) -> None:
        self.queue.metrics.failed(self.stage, letter.reason)
        log.warning("dead-lettered record", extra={
            "reason": letter.reason, "stage": self.stage,
            "error": letter.headers.get(H_EXC_MESSAGE, "")[:500]})
