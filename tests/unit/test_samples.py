"""The main job's sample articles: real stories, unrelated singles, all parsed as page text."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import combinations

import pytest

from deploy.samples import Sample, page_text, samples, stories
from services.normalizer.parsers.base import ParseInput
from services.normalizer.parsers.registry import select
from shared.events import CanonicalArticle

pytestmark = pytest.mark.unit
RECEIVED = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ\"„])")
ALL = samples()


def parse(text: str) -> tuple[str, CanonicalArticle]:
    doc = ParseInput(payload=text.encode(), content_type="text/plain; charset=utf-8",
                     source="sample", received_at=RECEIVED, trace_id="t")
    parser = select(doc)
    [article] = parser.parse(doc)
    return parser.name, article


def key_points_of(sample: Sample) -> list[str]:
    lines = sample.text.splitlines()
    start = lines.index("Das Wichtigste in Kürze") + 1
    return lines[start:start + 3]


def sentences(article: CanonicalArticle) -> set[str]:
    """Teaser, key points and body text as sentences: what a reader reads as the article."""
    texts = [article.teaser or "", *article.key_points, *(b.text for b in article.body)]
    return {s.strip() for t in texts for s in _SENTENCE_RE.split(t) if len(s.split()) >= 4}


def test_there_are_real_stories_and_unrelated_singles() -> None:
    grouped = stories()
    reported = [reports for reports in grouped.values() if len(reports) >= 2]
    singles = [reports for reports in grouped.values() if len(reports) == 1]
    assert len(reported) >= 3
    assert all(len(reports) <= 3 for reports in reported)
    assert len(singles) >= 5


@pytest.mark.parametrize("sample", ALL, ids=[s.name for s in ALL])
def test_every_sample_parses_as_page_text(sample: Sample) -> None:
    name, article = parse(sample.text)
    lines = sample.text.splitlines()
    assert name == "pagetext"
    assert article.kicker == lines[0]
    assert article.headline == sample.headline == lines[1]
    assert article.key_points == tuple(key_points_of(sample))
    assert article.version_created is not None
    assert article.teaser
    assert sum(b.kind == "subhead" for b in article.body) == 1
    assert sum(b.kind == "paragraph" for b in article.body) >= 3
    assert article.sources


def test_no_sentence_is_shared_between_articles_of_different_events() -> None:
    parsed = [(s, sentences(parse(s.text)[1])) for s in ALL]
    for (a, sa), (b, sb) in combinations(parsed, 2):
        if a.story != b.story:
            assert not sa & sb, (a.name, b.name, sa & sb)


def test_reports_of_one_event_are_written_differently_hours_apart() -> None:
    for event, reports in stories().items():
        parsed = [parse(r.text)[1] for r in reports]
        assert len({a.headline for a in parsed}) == len(parsed), event
        for a, b in combinations(parsed, 2):
            assert not sentences(a) & sentences(b), (event, a.headline, b.headline)
            assert a.version_created and b.version_created
            assert abs(a.version_created - b.version_created) >= timedelta(hours=3), event
        # The same people and organisations: every report names someone the others name.
        names = [set(re.findall(r"\b[A-ZÄÖÜ][a-zäöüß]+ [A-ZÄÖÜ][a-zäöüß]+\b", r.text))
                 for r in reports]
        for a_names, b_names in combinations(names, 2):
            assert a_names & b_names, event


def test_page_text_gives_distinct_headlines_and_the_samples_themselves() -> None:
    assert [page_text(i) for i in range(len(ALL))] == [s.text for s in ALL]
    tagged = [parse(page_text(i, tag="run1"))[1].headline for i in range(3 * len(ALL))]
    assert len(set(tagged)) == len(tagged)
    assert tagged[0] == f"{ALL[0].headline} (run1 0)"
