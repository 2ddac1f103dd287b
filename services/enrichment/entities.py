"""Entity enricher: CRF spans -> canonical people, organisations and places with mention counts."""

from __future__ import annotations

import re
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache

from shared.events import Entity

from .doc import Doc, Mention
from .ner.canonical import canonicalize, fold, is_word
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
    without scanning the text with its costly case-insensitive alternation. A match must
    start inside a word that ends in a cue and is followed by a capital (_cue_words lists
    them), at the leftmost point from which a cue reaches the word's end: whether the name
    follows does not depend on which cue matched. So one anchored match per such word."""

    def __init__(self, regex: re.Pattern[str], cues: str) -> None:
        self.regex = regex
        self.cue_end = re.compile(rf"(?i:{cues})\Z")

    def offset(self, word: str) -> int | None:
        """Where the leftmost cue reaching the end of `word` starts, if any."""
        m = self.cue_end.search(word)
        return None if m is None else m.start()

    def finditer(self, text: str, words: list[tuple[int, int]]) -> Iterator[re.Match[str]]:
        """`words`: (word start, cue start) of each cue word followed by a capital, in order."""
        pos = 0
        for w_start, at in words:
            if at < pos:
                if w_start < pos:
                    continue  # inside the previous match
                # Unreachable for these cue lists (a name never ends inside a cue word),
                # kept so the equivalence with finditer() does not rest on that.
                m = self.regex.search(text, pos)
            else:
                m = self.regex.match(text, at)
            if m is not None:
                yield m
                pos = m.end()


_ROLE_CUE = _Cue(_ROLE_NAME_RE, _ROLES)
_ORG_CUE = _Cue(_ORG_NAME_RE, _ORG_HEAD)
# A word, then blanks, maybe an opening quote, and a capital: where either cue can start.
# Possessive: a shorter word or blank run never has the blank and capital after it, and not
# backtracking into each word makes this scan of the whole text a quarter faster.
_CUE_WORDS = re.compile(r"\b\w++(?=\s++[\"„“«']?[A-ZÄÖÜ])")
_CUE_AT: dict[str, tuple[int | None, int | None]] = {}


def _cue_words(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(role, organisation) cue words as (word start, cue start); memoised per word."""
    role: list[tuple[int, int]] = []
    org: list[tuple[int, int]] = []
    table = _CUE_AT
    for w in _CUE_WORDS.finditer(text):
        word = w.group()
        at = table.get(word)
        if at is None:
            if len(table) >= 100_000:
                table.clear()  # bounded
            at = table[word] = (_ROLE_CUE.offset(word), _ORG_CUE.offset(word))
        if at[0] is not None:
            role.append((w.start(), w.start() + at[0]))
        if at[1] is not None:
            org.append((w.start(), w.start() + at[1]))
    return role, org


# A bare organisation-type word is not a name on its own ("der Zeitung").
_GENERIC = re.compile(rf"(?:{_ORG_HEAD}|regierung|ministerium|government|ministry)",
                      re.IGNORECASE)
# German compounds naming one organisation: "Weltwirtschaftsforum", "Finanzministeriums".
_ORG_WORD_RE = re.compile(r"\b[A-ZÄÖÜ]\w{3,}(?:forum|ministerium)s?\b")
_ORG_WORD_HEADS = ("forum", "ministerium")  # one of them is in every match
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
    role_words, org_words = _cue_words(text)
    for cue, kind, words_at in ((_ROLE_CUE, "PER", role_words), (_ORG_CUE, "ORG", org_words)):
        for m in cue.finditer(text, words_at):
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
    forced += _org_words(text)
    forced += _institutions(text, gaz)
    out: list[Span] = []
    for s in spans:
        verdict = _verdict(s.text)
        if verdict is None or (s.text.count(" ") == 1 and _capitals_only(s.text, gaz)):
            continue
        out.append(s if verdict != "ORG" or s.type == "ORG" else s._replace(type="ORG"))
    # A forced span replaces the CRF spans it overlaps.
    for f in forced:
        out = [s for s in out if s.end <= f.start or s.start >= f.end]
    return sorted([*out, *forced], key=lambda s: s.start)


# Public institutions named by their town: "Kölner Zoo", "Berliner Philharmoniker", "Zoo Köln",
# "Stadtwerke München". The CRF often tags only the town, as a place, or nothing at all.
_INSTITUTION = (r"Zoo|Tierpark|Oper|Staatsoper|Philharmonie|Philharmoniker|Symphoniker|"
                r"Staatstheater|Schauspielhaus|Stadtwerke|Verkehrsbetriebe|Uniklinik|Klinikum|"
                r"Universität|Hochschule")
_TOWN_INSTITUTION_RE = re.compile(rf"\b([A-ZÄÖÜ]\w+)er\s+(?:{_INSTITUTION})\b")
_INSTITUTION_TOWN_RE = re.compile(rf"\b(?:{_INSTITUTION})\s+([A-ZÄÖÜ][\w-]+)\b")


def _is_place(word: str, gaz: Mapping[str, str]) -> bool:
    tags = gaz.get(word.lower(), "")
    return "LOC" in tags or "geo" in tags or "city" in tags


# Tags of a word in a place or person list (package data), and in any name list.
_LIST_TAGS = ("geo", "city", "fn", "ln")
_NAME_TAGS = ("PER", "ORG", "LOC", "FIRST", *_LIST_TAGS)
_ADJECTIVE_ENDINGS = ("e", "en", "er", "es", "em")


def _capitals_only(text: str, gaz: Mapping[str, str]) -> bool:
    """Two words: an adjective (seen lower-case mid-sentence, or inflected like one and in no
    place or person list), then a word no list knows at all. Nothing but capitals made the
    CRF call it a name ("Rote Pandas": WikiANN links "Rote Liste" as an organisation, so
    "Roten" looks like the start of one); names that start with an adjective have a known
    head ("Rote Armee", "Deutsche Bank", "Weißes Haus")."""
    first, second = text.split(" ")
    if second.lower() in gaz:
        return False
    tags = gaz.get(first.lower(), "")
    if "LC" in tags:
        return not any(t in tags for t in _NAME_TAGS)
    return first.lower().endswith(_ADJECTIVE_ENDINGS) and not any(t in tags for t in _LIST_TAGS)


def _institutions(text: str, gaz: Mapping[str, str]) -> list[Span]:
    """A town's institution as one organisation, when the town is a known place name."""
    if not any(head in text for head in ("Zoo", "Tierpark", "Oper", "Phil", "Symph", "Staats",
                                         "Schauspiel", "Stadtwerke", "Verkehrs", "Klini",
                                         "Universität", "Hochschule")):
        return []  # the common case: no head word, no regex scan
    out = [Span(m.start(), m.end(), "ORG", m.group()) for m in _TOWN_INSTITUTION_RE.finditer(text)
           if _is_place(m.group(1), gaz) or _is_place(m.group(1) + "en", gaz)]
    out += [Span(m.start(), m.end(), "ORG", m.group()) for m in _INSTITUTION_TOWN_RE.finditer(text)
            if _is_place(m.group(1), gaz)]
    return out


def _org_words(text: str) -> list[Span]:
    """What _ORG_WORD_RE.finditer finds. A match is a whole word containing one of the heads,
    so the pattern is tried only at the start of each such word: tried at every capital, it
    backtracked through each word and cost a twentieth of the entity stage."""
    starts: set[int] = set()
    for head in _ORG_WORD_HEADS:
        i = text.find(head)
        while i >= 0:
            j = i
            while j and is_word(text[j - 1]):
                j -= 1
            starts.add(j)
            i = text.find(head, i + len(head))
    return [Span(m.start(), m.end(), "ORG", m.group()) for j in sorted(starts)
            if (m := _ORG_WORD_RE.match(text, j)) is not None]


@lru_cache(maxsize=65_536)
def _verdict(text: str) -> str | None:
    """None for a bare generic noun ("der russischen Zeitung": a kind of organisation, not a
    name), "ORG" for a seat of power, else "". Memoised: the same names recur in the news."""
    caps = [w.strip(_QUOTES) for w in text.split() if w[:1].isupper()]
    if caps and all(_GENERIC.fullmatch(w) for w in caps):
        return None
    return "ORG" if fold(text) in INSTITUTIONS else ""


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
    taken = bytearray(len(text) + 1)
    for s in spans:
        taken[s.start:s.end] = b"\x01" * (s.end - s.start)
    extra = [Span(start, end, names[name], name) for start, end, name in _occurrences(text, names)
             if taken.find(1, start, end) < 0]
    return sorted([*spans, *extra], key=lambda s: s.start)


def _occurrences(text: str, names: Iterable[str]) -> list[tuple[int, int, str]]:
    """What finditer of r"\b(name|...)\b" (longest name first) finds for non-empty names,
    without compiling a pattern per article: that compile cost more than the rest of the
    entity stage."""
    n = len(text)

    def word(i: int) -> bool:
        return 0 <= i < n and is_word(text[i])

    hits: list[tuple[int, int, str]] = []
    for name in names:
        # The characters just inside a hit are the name's own first and last.
        first, last = is_word(name[0]), is_word(name[-1])
        i = text.find(name)
        while i >= 0:
            j = i + len(name)
            if word(i - 1) != first and word(j) != last:
                hits.append((i, -len(name), name))
            i = text.find(name, i + 1)
    hits.sort()
    out: list[tuple[int, int, str]] = []
    end = 0
    for i, neg_len, name in hits:
        if i >= end:
            end = i - neg_len
            out.append((i, end, name))
    return out
