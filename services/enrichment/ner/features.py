"""CRF token features (v5): word shape, affixes, role/organisation cues, gazetteers, clusters.

Each word's own features and its features as a left/right neighbour are computed once and
memoised in bounded per-featurizer tables, because news vocabulary repeats a lot; a sentence
is then assembled by concatenating cached tuples, with no per-token string building.

At tagging time the featurizer may be given the model's attribute set: crfsuite ignores an
attribute the model has no weight for, so dropping those before the call changes no tag but
saves their conversion and dictionary lookup (the feature set itself is unchanged).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

# In the model's file name: a new feature set or training recipe bumps it, so a cached model
# of an older one is retrained by `train_ner.py --if-missing`.
FEATURE_VERSION = 5
_CACHE_MAX = 200_000

# Role words in front of a name ("Kremlsprecher Peskow", "US-Sondergesandten Witkoff",
# "Präsident Putin"): matched at the end of a (compound) word, inflected forms included.
_ROLE_WORDS = (
    "sprecher", "sprecherin", "präsident", "präsidenten", "präsidentin", "chef", "chefs",
    "chefin", "minister", "ministers", "ministerin", "kanzler", "kanzlers", "kanzlerin",
    "gesandte", "gesandten", "gesandter", "berater", "beraterin", "vertraute", "vertrauten",
    "vertrauter", "unterhändler", "unterhändlers", "sekretär", "sekretärs", "direktor",
    "direktors", "direktorin", "vorsitzende", "vorsitzenden", "vorsitzender", "botschafter",
    "botschafterin", "trainer", "trainerin", "schwiegersohn", "sohn", "tochter", "ehefrau",
    "ehemann", "witwe", "kollege", "kollegin", "gouverneur", "senator", "senatorin",
    "abgeordnete", "abgeordneten", "bürgermeister", "bürgermeisterin", "staatschef",
    "regierungschef", "herr", "frau", "autor", "autorin", "sänger", "sängerin", "schauspieler",
    "schauspielerin", "spokesman", "spokeswoman", "spokesperson", "president", "minister",
    "secretary", "envoy", "chancellor", "senator", "governor", "mayor", "adviser", "advisor",
    "ceo", "chairman", "chairwoman", "director", "coach", "manager", "mr", "mrs", "ms", "dr",
    "prof", "sir", "prime", "king", "queen", "prince", "pope", "papst", "könig", "königin",
    "prinz", "general", "leader")
# Heads of organisation names ("Weltwirtschaftsforum", "Nachrichtenagentur", "Finanzministerium").
_ORG_HEADS = (
    "forum", "forums", "agentur", "konzern", "konzerns", "partei", "ministerium",
    "ministeriums", "bank", "verband", "verbands", "gericht", "gerichts", "institut",
    "instituts", "gewerkschaft", "kommission", "stiftung", "behörde", "bundesamt", "amt",
    "amts", "verein", "vereins", "gmbh", "ag", "ug", "kg", "se", "holding", "gruppe", "group",
    "inc", "corp", "ltd", "llc", "co", "plc", "sa", "nv", "university", "universität",
    "universitäts", "college", "council", "committee", "ministry", "agency", "association",
    "federation", "union", "party", "bundestag", "bundesrat", "rat", "rats", "klinikum", "fc",
    "sv", "tsv", "vfb", "vfl", "club")
# Words that usually follow a name and end it ("Putin sagte").
_PREP_PLACE = frozenset({"in", "im", "nach", "aus", "bei", "von", "from", "at", "to", "into"})
_LEN = tuple("len=" + str(n // 3) for n in range(13))  # by min(len(word), 12)

Gazetteer = Mapping[str, str]
Clusters = Mapping[str, tuple[int, ...]]
_NO_CLUSTERS: Clusters = {}


def _ends_with(low: str, words: tuple[str, ...]) -> bool:
    """What searching r"(word|...)$" finds, without trying the alternation at every
    position: a third of featurizing a new word went there. `$` also matches before a
    final newline."""
    return low.endswith(words) or (low[-1:] == "\n" and low[:-1].endswith(words))


def _shape(word: str) -> str:
    out: list[str] = []
    for ch in word[:12]:
        if ch.isupper():
            c = "X"
        elif ch.islower():
            c = "x"
        elif ch.isdigit():
            c = "d"
        else:
            c = ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def features_of(word: str, gaz: Gazetteer,
                clusters: Clusters = _NO_CLUSTERS) -> tuple[list[str], list[str]]:
    """A word's features on its own, and as a neighbour (context). Computed together: they
    share the lower-casing, shape, role check and gazetteer lookup, and their common strings
    are then hashed once when looked up."""
    low = word.lower()
    w, sh, s3 = "w=" + low, "sh=" + _shape(word), "s3=" + low[-3:]
    title = word[:1].isupper()
    feats = [w, s3, "s4=" + low[-4:], "s2=" + low[-2:], "s5=" + low[-5:], "p3=" + low[:3], sh,
             _LEN[min(len(word), 12)]]
    ctx = [w, sh, s3, "t" if title else "l"]
    if title:
        feats.append("title")
    if word.isupper() and len(word) > 1:
        feats.append("upper")
    # No letter is a digit (a unit test checks all of Unicode), so most words skip the scan.
    if not word.isalpha() and any(c.isdigit() for c in word):
        feats.append("digit")
    if "-" in word:
        head, _, tail = word.rpartition("-")
        feats += ["hyph", "hl=" + tail.lower()[-5:], "hf=" + head.split("-")[0].lower()]
        if tail[:1].isupper():
            feats.append("hlt")
    if len(word) == 1 and not word.isalnum():
        feats.append("punct")
    if _ends_with(low, _ROLE_WORDS):
        feats.append("role")
        ctx.append("role")
    if title and _ends_with(low, _ORG_HEADS):
        feats.append("orgsuf")
    if low in _PREP_PLACE:
        ctx.append("prep")
    g = gaz.get(low)
    if g:
        gz = ["gz=" + x for x in g.split(",")]
        feats += gz
        ctx += gz
    cl = clusters.get(low)
    if cl:
        # Word clusters from unlabelled text: a name the labelled data never had shares its
        # cluster with names that it did have.
        ks = [f"k{i}={c}" for i, c in enumerate(cl)]
        feats += ks
        ctx += ks
    if title and low.endswith("er") and len(low) > 5:
        # "Berliner", "Schweizer": an adjective from a place name, a name only inside an ORG.
        stem = gaz.get(low[:-2], "")
        if "LOC" in stem or "geo" in stem:
            feats.append("placeadj")
    return feats, ctx


class Featurizer:
    """Sentence features as attribute strings, for training and for crfsuite's own tagger; the
    gazetteer travels with the model file."""

    def __init__(self, gaz: Gazetteer | None = None,
                 known: frozenset[str] | None = None,
                 clusters: Clusters = _NO_CLUSTERS) -> None:
        self.gaz: Gazetteer = gaz or {}
        self.clusters = clusters
        # Attributes the model weighs; None keeps every feature (training).
        self.known = known
        # Per word: its own atoms and its (left 1, right 1, left 2, right 2) neighbour atoms,
        # from one features_of call.
        self._memo: dict[str, tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]] = {}
        self._bos, self._eos = self.atoms(("BOS",)), self.atoms(("EOS",))

    def atoms(self, feats: tuple[str, ...]) -> tuple[str, ...]:
        known = self.known
        return feats if known is None else tuple(x for x in feats if x in known)

    def _of(self, word: str) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
        m = self._memo.get(word)
        if m is None:
            if len(self._memo) >= _CACHE_MAX:
                self._memo.clear()  # bounded: start over rather than grow without limit
            feats, ctx = features_of(word, self.gaz, self.clusters)
            m = self._memo[word] = (
                self.atoms(("b", *feats)),
                (self.atoms(tuple("-1" + x for x in ctx)),
                 self.atoms(tuple("+1" + x for x in ctx)),
                 self.atoms(("-2" + ctx[0],)), self.atoms(("+2" + ctx[0],))))
        return m

    def sent(self, words: list[str]) -> list[tuple[str, ...]]:
        """Features for each token of one sentence: own word plus a +-2 window."""
        n = len(words)
        memo = [self._of(w) for w in words]
        own = [m[0] for m in memo]
        ctx = [m[1] for m in memo]
        bos, eos = self._bos, self._eos
        out: list[tuple[str, ...]] = []
        for i in range(n):
            if i == 0:
                left = bos
            elif i == 1:
                left = ctx[0][0]
            else:
                left = ctx[i - 1][0] + ctx[i - 2][2]
            if i == n - 1:
                right = eos
            elif i == n - 2:
                right = ctx[i + 1][1]
            else:
                right = ctx[i + 1][1] + ctx[i + 2][3]
            out.append(own[i] + left + right)
        return out


class IdFeaturizer:
    """A word's features as a model's attribute ids, in each role of the +-2 window (own, left
    1, left 2, right 1, right 2), in the order Featurizer lists them. Attributes the model has
    no weight for are dropped, which changes no tag (crfsuite ignores them too)."""

    def __init__(self, gaz: Gazetteer, ids: Mapping[str, int],
                 clusters: Clusters = _NO_CLUSTERS) -> None:
        self.gaz = gaz
        self.clusters = clusters
        self.ids = ids
        # "-1w=putin" is the context feature "w=putin" of a left neighbour. Keyed by the
        # unprefixed feature, a role's id is one lookup: building the prefixed strings and
        # their tuples cost more than computing the features of a new word.
        self._by_role = tuple({a[2:]: j for a, j in ids.items() if a[:2] == prefix}
                              for prefix in ("-1", "-2", "+1", "+2"))
        self._b = [ids["b"]] if "b" in ids else []

    def atoms(self, feats: tuple[str, ...]) -> list[int]:
        get = self.ids.get
        return [j for x in feats if (j := get(x)) is not None]

    def roles(self, word: str) -> tuple[list[int], list[int], list[int], list[int], list[int]]:
        """Ids of `word` as own word, left 1, left 2, right 1 and right 2 neighbour."""
        get = self.ids.get
        feats, ctx = features_of(word, self.gaz, self.clusters)
        own = self._b + [j for x in feats if (j := get(x)) is not None]
        left1, left2, right1, right2 = self._by_role
        get1, get2 = left1.get, right1.get
        near_l = [j for x in ctx if (j := get1(x)) is not None]
        near_r = [j for x in ctx if (j := get2(x)) is not None]
        far_l, far_r = left2.get(ctx[0]), right2.get(ctx[0])
        return (own, near_l, [] if far_l is None else [far_l], near_r,
                [] if far_r is None else [far_r])


def sent_features(words: list[str]) -> list[tuple[str, ...]]:
    """Features without a gazetteer (kept for callers that have no model at hand)."""
    return Featurizer().sent(words)


def build_gazetteer(sentences: Iterable[tuple[list[str], list[str]]], min_count: int = 2,
                    ratio: float = 0.6) -> dict[str, str]:
    """Word lists learned from tagged sentences: PER/ORG/LOC names, first names ('FIRST'), and
    capitalised words that are (almost) never part of a name ('NOUN')."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    case: dict[str, Counter[bool]] = defaultdict(Counter)
    for words, tags in sentences:
        for i, (w, t) in enumerate(zip(words, tags, strict=True)):
            low = w.lower()
            kind = t[2:] if t != "O" else "O"
            counts[low][kind] += 1
            if i > 0 and w[:1].isalpha():
                # Case away from the sentence start: a word seen lower-case there is a common
                # word even when it starts a sentence or a title.
                case[low][w[:1].islower()] += 1
            if t.startswith("B-PER") and i + 1 < len(tags) and tags[i + 1] == "I-PER":
                counts[low]["FIRST"] += 1
    out: dict[str, str] = {}
    for low, c in counts.items():
        total = sum(v for k, v in c.items() if k != "FIRST")
        tags_ = [kind for kind in ("PER", "ORG", "LOC")
                 if c[kind] >= min_count and c[kind] / total >= ratio]
        if c["FIRST"] >= min_count and c["FIRST"] / total >= ratio:
            tags_.append("FIRST")
        if c["O"] >= 3 and c["O"] / total >= 0.97 and low[:1].isalpha():
            tags_.append("NOUN")
        lc = case[low]
        if lc[True] >= 2 and lc[True] >= lc[False]:
            tags_.append("LC")
        if tags_:
            out[low] = ",".join(tags_)
    return out


def save_gazetteer(gaz: Mapping[str, str], path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dict(sorted(gaz.items())), ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def load_gazetteer(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}
