"""Hand-written page-text articles: invented events with 2-3 reports each, and singles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().with_name("sample_news")
# "faehre-2.txt" is the second report on the event "faehre"; a name without "-<n>" is a single.
_REPORT_RE = re.compile(r"^(?P<story>.+)-(?P<n>\d+)$")


@dataclass(frozen=True)
class Sample:
    """One article as a news portal's text scrape, and the event it reports on."""

    name: str
    story: str
    text: str

    @property
    def headline(self) -> str:
        """The second non-empty line (the first is the kicker); every sample has both."""
        return [line for line in self.text.splitlines() if line.strip()][1].strip()


@cache
def samples() -> tuple[Sample, ...]:
    """All samples, ordered by name (so reports of one event sit together)."""
    found = []
    for path in sorted(SAMPLE_DIR.glob("*.txt")):
        match = _REPORT_RE.match(path.stem)
        story = match["story"] if match else path.stem
        found.append(Sample(path.stem, story, path.read_text(encoding="utf-8")))
    return tuple(found)


def stories() -> dict[str, list[Sample]]:
    """Event key -> its reports; a single article is an event with one report."""
    grouped: dict[str, list[Sample]] = {}
    for sample in samples():
        grouped.setdefault(sample.story, []).append(sample)
    return grouped


def page_text(index: int, *, tag: str = "") -> str:
    """Sample `index`; past the last sample they repeat as reprints of the same article.

    A reprint (or any article given a `tag`) gets the tag and index appended to its
    headline, because page text without a URL takes its id from the headline: callers that
    need N distinct ids (the crash test) get them, and the reprints honestly belong to the
    story of the article they copy.
    """
    pool = samples()
    sample = pool[index % len(pool)]
    if not tag and index < len(pool):
        return sample.text
    suffix = " ".join(part for part in (tag, str(index)) if part)
    return sample.text.replace(sample.headline, f"{sample.headline} ({suffix})", 1)
