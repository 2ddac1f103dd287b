"""`python -m services.enrichment link`: canonical articles in, one JSON line of links out."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from services.enrichment.__main__ import main
from tests.unit.linker.conftest import story_articles

pytestmark = pytest.mark.unit


def test_files_and_json_lines_give_one_line_per_article_in_order(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], model_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    arts = [a for a in story_articles() if a.id.startswith(("s01", "s02"))]
    first = tmp_path / "first.json"
    first.write_text(arts[0].model_dump_json())
    rest = tmp_path / "rest.jsonl"
    rest.write_text("\n".join(a.model_dump_json() for a in arts[1:5]) + "\n")
    assert main(["--model-dir", str(model_dir), "link", str(first), str(rest)]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["id"] for x in lines] == [a.id for a in arts[:5]]
    assert set(lines[0]) == {"id", "story_id", "duplicate_of", "related"}
    # The talks reports share a story, the Dortmund coach story is another one.
    story = {x["id"]: x["story_id"] for x in lines}
    assert story["s01-a"] == story["s01-b"] == story["s01-c"]
    assert story["s02-a"] != story["s01-a"]
    assert lines[1]["related"][0]["id"] == "s01-a"
    # Stdin works the same way, and a line that is no article is reported, not skipped.
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(
        (arts[0].model_dump_json() + "\n{\"id\": 1}\n").encode())))
    assert main(["--model-dir", str(model_dir), "link"]) == 1
    out = capsys.readouterr()
    assert [json.loads(x)["id"] for x in out.out.splitlines()] == [arts[0].id]
    assert "-:2: not a canonical article" in out.err

