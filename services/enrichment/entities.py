"""Entity enricher: CRF spans -> canonical people, organisations and places with mention counts."""

from __future__ import annotations

import re
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterator, Mapping

from shared.events import Entity

from .doc import Doc, Mention
from .ner.canonical import canonicalize, fold
from .ner.tagger import Span, TaggerSet

KINDS = frozenset({"PER", "ORG", "LOC"})
_NAME = r"[A-ZÄÖÜ][\w'\u2019-]+"
# A role word, then a name: "Kremlsprecher Dmitri Peskow", "Unterhändler Kirill Dmitrijew",
# "US-Präsident Donald Trump", "spokesman Dmitry Peskov". The name is a person.
_ROLES = ("sprecher|sprecherin|präsident|präsidenten|präsidentin|chef|chefin|"
          "minister|ministers|ministerin|kanzler|kanzlerin|gesandte|gesandten|gesandter|berater|"
          "beraterin|unterhändler|unterhändlerin|vertraute|vertrauten|sekretär|direktor|"
          "direktorin|botschafter|botschafterin|gouverneur|bürgermeister|bürgermeisterin|"
          "staatschef|regierungschef|spokesman|spokeswoman|envoy|negotiator|adviser|advisor|"
          "chancellor|senator|governor|mayor|secretary|minister")
_ROLE_NAME_RE = re.compile(rf"(?i:{_ROLES})\s+({_NAME}(?:\s+{_NAME}){{0,2}})")
# An organisation type, then its name: "Nachrichtenagentur Tass", 'Zeitung "Iswestija"',
# "news agency Interfax". The name is an organisation.
_ORG_HEAD = (r"agentur|nachrichtenagentur|zeitung|zeitschrift|magazin|sender|fernsehsender|"
             r"konzern|partei|gewerkschaft|bank|verlag|agency|newspaper|broadcaster|"
             r"daily|magazine|party|carrier|airline")
_ORG_NAME_RE = re.compile(
    rf"(?i:{_ORG_HEAD})\s+[\"„“«']?({_NAME}(?:\s+{_NAME}){{0,2}})")


class _Cue:
    """finditer() of a cue regex (cue word, blank, capitalised name) with the same matches,
    but the costly case-insensitive alternation only runs where a word ends in a cue word and
    a capital follows: a cheap scan finds those words first."""

    def __init__(self, regex: re.Pattern[str], cues: str, quote: bool) -> None:
        self.regex = regex
        self.suffixes = tuple(cues.split("|"))
        self.cue_end = re.compile(rf"(?i:{cues})\Z")
        opener = "[\"„“«']?" if quote else ""
        self.words = re.compile(rf"\b\w+(?=\s+{opener}[A-ZÄÖÜ])")

    def _is_cue(self, word: str) -> bool:
        if word.lower().endswith(self.suffixes):
            return True
        # Case-insensitive matching knows a few folds lower() does not (long s, dotted I).
        return not word.isascii() and self.cue_end.search(word) is not None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        pos, n = 0, len(text)
        for w in self.words.finditer(text):
            if w.end() <= pos or not self._is_cue(w.group()):
                continue
            # The leftmost match from here is finditer's next one: every earlier cue word
            # was tried already. A window bounds the search; a match touching its end is
            # redone without it.
            start, endpos = max(pos, w.start()), min(n, w.end() + 400)
            m = self.regex.search(text, start, endpos)
            if m is not None and m.end() == endpos < n:
                m = self.regex.search(text, start)
            if m is not None:
                yield m
                pos = m.end()


_ROLE_CUE = _Cue(_ROLE_NAME_RE, _ROLES, quote=False)
_ORG_CUE = _Cue(_ORG_NAME_RE, _ORG_HEAD, quote=True)
# A bare organisation-type word is not a name on its own ("der Zeitung").
_GENERIC = re.compile(rf"(?:{_ORG_HEAD}|regierung|ministerium|government|ministry)",
                      re.IGNORECASE)
# German compounds naming one organisation: "Weltwirtschaftsforum", "Finanzministeriums".
_ORG_WORD_RE = re.compile(r"\b[A-ZÄÖÜ]\w{3,}(?:forum|ministerium)s?\b")
# Seats of power stand for the institution in news copy ("Der Kreml bestätigt ...").
INSTITUTIONS = frozenset({"kreml", "kremlin", "weisses haus", "white house", "élysée",
                          "elysee", "élysée-palast", "pentagon", "downing street",
                          "vatikan", "vatican", "quai d'orsay", "bundeskanzleramt",
                          "kanzleramt", "zhongnanhai"})
ALIASES_MAX = 50_000
_QUOTES = "\"'„“”«»"


class EntityEnricher:
    name = "entities"

    def __init__(self, taggers: TaggerSet | None = None) -> None:
        self.taggers = taggers or TaggerSet()
        # Surname -> fullest person name seen recently, across articles; bounded (LRU), so
        # "Putin" alone in a later brief still comes out as "Wladimir Putin".
        self._aliases: OrderedDict[str, str] = OrderedDict()

    def mentions(self, text: str, lang: str) -> list[Mention]:
        tagger = self.taggers.for_lang(lang)
        tagged = [s for s in tagger.spans(text) if s.type in KINDS]
        spans = propagate(text, rules(text, tagged, tagger.featurizer.gaz))
        named = canonicalize(spans, text, lang)
        return [Mention(n.start, n.end, n.type, n.text, self._alias(n.canonical, n.type))
                for n in named]

    def _alias(self, canonical: str, kind: str) -> str:
        if kind != "PER":
            return canonical
        parts = canonical.split()
        key = fold(parts[-1])
        if len(parts) > 1:
            self._aliases[key] = canonical
            self._aliases.move_to_end(key)
            if len(self._aliases) > ALIASES_MAX:
                self._aliases.popitem(last=False)
            return canonical
        return self._aliases.get(key, canonical)

    def enrich(self, doc: Doc) -> None:
        doc.mentions = self.mentions(doc.text, doc.lang)
        doc.entities = group(doc.mentions)


def rules(text: str, spans: list[Span], gaz: Mapping[str, str]) -> list[Span]:
    """Cue rules over the CRF output: role words make persons, organisation types make
    organisations, seats of power are institutions, bare generic nouns are dropped."""
    forced: list[Span] = []
    for cue, kind in ((_ROLE_CUE, "PER"), (_ORG_CUE, "ORG")):
        for m in cue.finditer(text):
            words = m.group(1).split()
            # Stop at a word the training data never saw in a name ("Putin Kalender").
            keep: list[str] = []
            for w in words:
                g = gaz.get(w.lower().rstrip("s"), "") or gaz.get(w.lower(), "")
                if g and "PER" not in g and "FIRST" not in g and kind == "PER":
                    break  # a known common noun or place: "Präsident Frankreichs"
                if "NOUN" in g:
                    break
                keep.append(w)
            if keep:
                start = m.start(1)
                end = start + len(" ".join(keep))
                forced.append(Span(start, end, kind, text[start:end]))
    forced += [Span(m.start(), m.end(), "ORG", m.group()) for m in _ORG_WORD_RE.finditer(text)]
    out: list[Span] = []
    for s in spans:
        caps = [w.strip(_QUOTES) for w in s.text.split() if w[:1].isupper()]
        if caps and all(_GENERIC.fullmatch(w) for w in caps):
            continue  # "der russischen Zeitung": a kind of organisation, not a name
        kind = "ORG" if fold(s.text) in INSTITUTIONS else s.type
        out.append(Span(s.start, s.end, kind, s.text))
    # A forced span replaces the CRF spans it overlaps.
    for f in forced:
        out = [s for s in out if s.end <= f.start or s.start >= f.end]
    return sorted([*out, *forced], key=lambda s: s.start)


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
