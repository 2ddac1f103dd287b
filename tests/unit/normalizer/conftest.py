"""Shared helpers for the normalizer parser tests: paths to samples and a ParseInput factory."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from services.normalizer.export import to_ninjs
from services.normalizer.ninjs_schema import errors
from services.normalizer.parsers.base import ParseInput
from services.normalizer.parsers.registry import select
from shared.events import CanonicalArticle

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO / ".." / "shared"
WIRES = SHARED / "data" / "wires"
FIXTURES = REPO / "tests" / "fixtures"
RECEIVED = datetime(2025, 2, 1, 12, 0, tzinfo=UTC)


def shared_file(relative: str) -> Path:
    """A file under ../shared/data/wires; a missing sample fails the test, never skips it."""
    path = WIRES / relative
    assert path.is_file(), f"shared sample missing: {path}"
    return path


def fixture_file(relative: str) -> Path:
    path = FIXTURES / relative
    assert path.is_file(), f"fixture missing: {path}"
    return path


def make_doc(payload: bytes, content_type: str | None = None, url: str | None = None) -> ParseInput:
    return ParseInput(payload=payload, content_type=content_type, source="test",
                      received_at=RECEIVED, url=url, trace_id="t-1")


def parse_path(path: Path, content_type: str | None = None) -> tuple[str, list[CanonicalArticle]]:
    doc = make_doc(path.read_bytes(), content_type)
    parser = select(doc)
    return parser.name, parser.parse(doc)


def assert_valid_ninjs(article: CanonicalArticle) -> None:
    problems = errors(to_ninjs(article))
    assert not problems, problems
