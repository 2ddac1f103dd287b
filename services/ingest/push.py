"""`push PATH...`: send files or whole directories to news.raw, with a progress bar."""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import Iterable, Iterator
from pathlib import Path

from faststream.kafka import KafkaBroker
from tqdm import tqdm

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
    publisher: Publisher, files: list[Path], *, source: str, max_bytes: int, progress: bool = True
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
        accepted.append((await publish_raw(publisher, raw)).id)
    return accepted, refused


async def run_push(paths: list[Path], source: str, settings: IngestSettings,
                   progress: bool = True) -> tuple[list[str], list[tuple[Path, str]]]:
    broker = KafkaBroker(settings.common.kafka_bootstrap, acks="all", enable_idempotence=True,
                         max_request_size=settings.max_payload_bytes + 64 * 1024,
                         client_id="newswire-ingest-cli")
    async with broker:
        return await push_files(broker, list(expand(paths)), source=source,
                                max_bytes=settings.max_payload_bytes, progress=progress)


def main_push(paths: list[Path], source: str) -> int:
    accepted, refused = asyncio.run(run_push(paths, source, IngestSettings()))
    for path, why in refused:
        print(f"refused {path}: {why}")
    print(f"pushed {len(accepted)} file(s), refused {len(refused)}")
    return 1 if refused and not accepted else 0
