"""The production forest and links, held to plain fakes of their ports on a real stream."""

from __future__ import annotations

from typing import Any

import pytest

from services.enrichment.pipeline import Result, doc_of, link_result
from services.enrichment.stories import StoryLinker, StoryState
from shared.events import EnrichedArticle
from tests.unit.enrichment.fakes import PlainForest, PlainLinks

pytestmark = pytest.mark.unit


def outputs(linker: StoryLinker, values: list[bytes]) -> list[tuple[Any, ...]]:
    out = []
    for value in values:
        doc = doc_of(EnrichedArticle.model_validate_json(value))
        r: Result = link_result(doc, linker.link(doc))
        e = r.enriched.enrichment
        story = r.story.model_dump(exclude={"updated_at"}) if r.story else None
        out.append((r.enriched.id, e.story_id, e.duplicate_of, e.related,
                    r.enriched.article.related, story,
                    [(u.source_id, u.links) for u in r.links]))
    return out


def test_memory_state_links_as_the_plain_fakes_do(annotated_values: list[bytes]) -> None:
    real = outputs(StoryLinker(), annotated_values)
    plain = outputs(StoryLinker(StoryState(forest=PlainForest(), links=PlainLinks())),
                    annotated_values)
    assert real == plain
    assert any(links for *_, links in real)  # the stream resolves links
    assert len({story_id for _, story_id, *_ in real}) >= 10
