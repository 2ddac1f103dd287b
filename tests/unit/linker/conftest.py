"""Linker unit fixtures: annotated records of the labelled story set, fakes of the ports."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.enrichment.pipeline import Annotator, annotated
from services.linker.snapshots import Snapshot
from shared.events import BodyBlock, CanonicalArticle, RelatedLink

REPO = Path(__file__).resolve().parents[3]
T0 = datetime(2026, 1, 20, 8, 0, tzinfo=UTC)


class MemorySnapshots:
    """The snapshot port in memory; counts saves."""

    def __init__(self) -> None:
        self.latest: Snapshot | None = None
        self.saves = 0

    async def load(self) -> Snapshot | None:
        return self.latest

    async def save(self, snapshot: Snapshot) -> None:
        self.latest, self.saves = snapshot, self.saves + 1

    async def ping(self) -> bool:
        return True


class ListReplay:
    """The replay port over a list standing in for the one-partition topic."""

    def __init__(self, values: list[bytes]) -> None:
        self.values = values
        self.reads: list[tuple[int, int]] = []

    async def read(self, start: int, stop: int) -> AsyncIterator[tuple[int, bytes]]:
        self.reads.append((start, stop))
        for offset in range(start, min(stop, len(self.values))):
            yield offset, self.values[offset]


def story_articles() -> list[CanonicalArticle]:
    """The labelled story set, with a second version and related links on some articles, so
    a stream exercises update chains, duplicates and link resolution."""
    rows = [json.loads(x) for x in (REPO / "tests/fixtures/stories/stories.jsonl").read_text(
        encoding="utf-8").splitlines() if x.strip()]
    heads = [r["headline"] for r in rows]
    out = []
    for i, r in enumerate(rows):
        related = tuple(RelatedLink(headline=heads[j]) for j in (i + 3, i + 9) if j < len(heads))
        out.append(CanonicalArticle(
            id=r["id"], uri=r["id"], source="test", format="test", headline=r["headline"],
            language=r["lang"], body=(BodyBlock(kind="paragraph", text=r["body"]),),
            related=related if i % 4 == 0 else (),
            first_created=T0 + timedelta(hours=r["hours"])))
        if i % 13 == 7:  # another desk's light rewrite: a near-duplicate
            src = out[-1]
            out.append(src.model_copy(update={
                "id": src.id + "-dup", "uri": src.id + "-dup",
                "headline": src.headline + " (Update)",
                "first_created": T0 + timedelta(hours=r["hours"] + 2)}))
        if i % 10 == 5:  # a new version of an earlier article
            prev = out[-2]
            out.append(prev.model_copy(update={"version": 2, "headline": prev.headline + " +"}))
    return out


@pytest.fixture(scope="session")
def annotated_values(model_dir: Path) -> list[bytes]:
    annotator = Annotator.default(model_dir)
    return [annotated(annotator.annotate(a)).model_dump_json().encode()
            for a in story_articles()]
