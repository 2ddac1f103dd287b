"""Entity enricher: CRF spans -> canonical people, organisations and places with mention counts."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from shared.events import Entity

from .doc import Doc, Mention
from .ner.canonical import canonicalize, fold
from .ner.tagger import Span, TaggerSet

KINDS = frozenset({"PER", "ORG", "LOC"})


class EntityEnricher:
    name = "entities"

    def __init__(self, taggers: TaggerSet | None = None) -> None:
        self.taggers = taggers or TaggerSet()

    def mentions(self, text: str, lang: str) -> list[Mention]:
        spans = propagate(text, [s for s in self.taggers.for_lang(lang).spans(text)
                                 if s.type in KINDS])
        return [Mention(n.start, n.end, n.type, n.text, n.canonical)
                for n in canonicalize(spans, text, lang)]

    def enrich(self, doc: Doc) -> None:
        doc.mentions = self.mentions(doc.text, doc.lang)
        doc.entities = group(doc.mentions)


def group(mentions: list[Mention]) -> list[Entity]:
    counts: Counter[tuple[str, str]] = Counter()
    forms: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
    names: dict[tuple[str, str], str] = {}
    for m in mentions:
        key = (fold(m.canonical), m.type)
        counts[key] += 1
        forms[key][m.text] = None
        names.setdefault(key, m.canonical)
    ranked = sorted(counts, key=lambda k: (-counts[k], k))
    return [Entity(canonical=names[k], type=k[1], mentions=counts[k],
                   surface_forms=tuple(forms[k])) for k in ranked]


def propagate(text: str, spans: list[Span]) -> list[Span]:
    """One sense per document: a name tagged once is tagged at its other mentions too."""
    names: dict[str, str] = {}
    for s in spans:
        last = s.text.split()[-1]
        if s.type == "PER" and last[:1].isupper() and len(last) > 3:
            names.setdefault(last, "PER")  # the surname alone, never the first name
        if " " not in s.text and s.text[:1].isupper() and len(s.text) > 2:
            names.setdefault(s.text, s.type)
    if not names:
        return spans
    taken = [False] * (len(text) + 1)
    for s in spans:
        for i in range(s.start, s.end):
            taken[i] = True
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names, key=len,
                                                                  reverse=True))) + r")\b")
    extra = [Span(m.start(), m.end(), names[m.group()], m.group())
             for m in pattern.finditer(text) if not any(taken[m.start():m.end()])]
    return sorted([*spans, *extra], key=lambda s: s.start)
