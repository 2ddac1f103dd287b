"""`push PATH...`: send files or whole directories to news.raw, with a progress bar."""

from __future__ import annotations

import asyncio
import mimetypes
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from aiokafka.errors import KafkaError
from tqdm import tqdm

from shared.kafka_auth import login_refusal
from shared.metrics import ServiceMetrics
from shared.runtime import kafka_security, make_broker
from shared.sanitize import PayloadTooLarge

from .config import IngestSettings
from .gateway import BadRequest, Publisher, envelope, publish_raw

# Extensions the wire formats use that mimetypes does not know or guesses wrong.
_TYPES = {
    ".txt": "text/plain", ".json": "application/json", ".xml": "application/xml",
    ".nitf": "application/xml", ".rss": "application/rss+xml",
    ".atom": "application/atom+xml", ".html": "text/html", ".htm": "text/html",
    ".rdf": "application/rdf+xml",
}


def expand(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            files = (p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            yield from sorted(files)
        elif path.is_file():
            yield path
        else:
            raise FileNotFoundError(path)


def content_type_of(path: Path) -> str:
    return _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or (
        "application/octet-stream"
    )


async def push_files(
    publisher: Publisher, files: list[Path], *, source: str, max_bytes: int, topic: str,
    progress: bool = True,
) -> tuple[list[str], list[tuple[Path, str]]]:
    """Publishes each file, awaiting Kafka's ack; returns accepted ids and refused files."""
    accepted: list[str] = []
    refused: list[tuple[Path, str]] = []
    for path in tqdm(files, unit="file", disable=not progress):
        try:
            raw = envelope(path.read_bytes(), source=source, content_type=content_type_of(path),
                           max_bytes=max_bytes)
        except (BadRequest, PayloadTooLarge) as exc:
            refused.append((path, str(exc)))
            continue
        accepted.append((await publish_raw(publisher, raw, topic)).id)
    return accepted, refused


class KafkaUnavailable(Exception):
    """Kafka refused our login or could not be reached; nothing was sent."""


async def run_push(paths: list[Path], source: str, settings: IngestSettings,
                   progress: bool = True) -> tuple[list[str], list[tuple[Path, str]]]:
    files = list(expand(paths))
    common = settings.common
    # Asked first and on its own: the producer's start only says "unable to bootstrap".
    refusal = await login_refusal(common.kafka_bootstrap, kafka_security(common))
    if refusal is not None:
        raise KafkaUnavailable(f"Kafka at {common.kafka_bootstrap} refused the login as "
                               f"{common.kafka_sasl_username!r}: {refusal}")
    # The HTTP ingest's producer (idempotent, acks=all) with the same SASL/TLS settings.
    broker = make_broker(settings.common, "ingest-cli", ServiceMetrics("ingest-cli"),
                         max_request_size=settings.max_payload_bytes + 64 * 1024)
    try:
        await broker.start()
    except KafkaError as exc:
        await broker.stop()
        raise KafkaUnavailable(f"cannot reach Kafka at {common.kafka_bootstrap}: {exc}") from exc
    try:
        return await push_files(broker, files, source=source,
                                max_bytes=settings.max_payload_bytes,
                                topic=common.topics.names().raw, progress=progress)
    finally:
        await broker.stop()


def main_push(paths: list[Path], source: str) -> int:
    """Exit status 0 if anything was sent, 1 if every file was refused, 2 if Kafka was not."""
    try:
        accepted, refused = asyncio.run(run_push(paths, source, IngestSettings()))
    except KafkaUnavailable as exc:
        print(f"push: {exc}; nothing was sent", file=sys.stderr)
        return 2
    for path, why in refused:
        print(f"refused {path}: {why}")
    print(f"pushed {len(accepted)} file(s), refused {len(refused)}")
    return 1 if refused and not accepted else 0
