"""Dead-letter records with Kafka Connect-style error context headers and the original bytes."""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field

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
