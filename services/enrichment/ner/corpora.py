"""Readers for the shared NER corpora (CoNLL++, GermEval 2014, Europeana) as (words, tags)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .tokens import tokenize

Sentence = tuple[list[str], list[str]]
KEEP = frozenset({"PER", "ORG", "LOC"})


def _norm_tag(tag: str) -> str:
    """Keep PER/ORG/LOC, OTH as MISC; GermEval 'deriv'/'part' tags are not entities here."""
    if tag in {"O", ""} or "-" not in tag:
        return "O"
    prefix, kind = tag.split("-", 1)
    if kind in {"OTH", "MISC"}:
        return f"{prefix}-MISC"
    return f"{prefix}-{kind}" if kind in KEEP else "O"


def read_conll(path: Path) -> Iterator[Sentence]:
    words: list[str] = []
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("-DOCSTART-"):
            if words:
                yield words, tags
            words, tags = [], []
            continue
        parts = line.split()
        words.append(parts[0])
        tags.append(_norm_tag(parts[-1]))
    if words:
        yield words, tags


def read_germeval(path: Path) -> Iterator[Sentence]:
    words: list[str] = []
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        if not line.strip():
            if words:
                yield words, tags
            words, tags = [], []
            continue
        parts = line.split("\t")
        words.append(parts[1])
        tags.append(_norm_tag(parts[2]))
    if words:
        yield words, tags


def _split_token(word: str, tag: str) -> list[tuple[str, str]]:
    """Some files keep punctuation on the word ("Berlin," "„Medusa"); split it off with the
    tagger's own tokenizer, so training words look like the words tagged later."""
    pieces = [t.text for t in tokenize(word)] or [word]
    if len(pieces) == 1:
        return [(word, tag)]
    out: list[tuple[str, str]] = []
    kind = tag[2:] if tag != "O" else ""
    first = True
    for i, piece in enumerate(pieces):
        # The dot of an abbreviation inside a name ("Friedrich v. Schiller") stays in it.
        inner = piece == "." and i > 0 and len(pieces[i - 1]) <= 3 and pieces[i - 1].isalpha()
        if kind and (piece[:1].isalnum() or (inner and not first)):
            out.append((piece, ("B-" if first and tag.startswith("B-") else "I-") + kind))
            first = False
        else:
            out.append((piece, "O"))
    return out


def read_europeana(path: Path, max_len: int = 60) -> Iterator[Sentence]:
    """One token per line, no sentence breaks: cut after sentence-final punctuation."""
    words: list[str] = []
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.rsplit(" ", 1)
        if len(parts) != 2:
            continue
        for word, tag in _split_token(parts[0].split("/")[0] or parts[0],
                                      _norm_tag(parts[1].strip())):
            words.append(word)
            tags.append(tag)
            if (word in {".", "!", "?"} and tag == "O" and len(words) > 3) or len(words) >= max_len:
                yield words, _fix_iob(tags)
                words, tags = [], []
    if words:
        yield words, _fix_iob(tags)


def _fix_iob(tags: list[str]) -> list[str]:
    """An I- tag after O starts an entity (IOB1 style in some files)."""
    out = []
    prev = "O"
    for tag in tags:
        fixed = tag
        if tag.startswith("I-") and (prev == "O" or prev[2:] != tag[2:]):
            fixed = "B-" + tag[2:]
        out.append(fixed)
        prev = fixed
    return out


def spans(tags: list[str]) -> set[tuple[int, int, str]]:
    """Entity spans (start, end exclusive, type) from BIO tags."""
    out: set[tuple[int, int, str]] = set()
    start, kind = -1, ""
    for i, t in enumerate([*tags, "O"]):
        if t.startswith("I-") and kind == t[2:]:
            continue
        if kind:
            out.add((start, i, kind))
            kind = ""
        if t.startswith(("B-", "I-")):
            start, kind = i, t[2:]
    return out


def germeval_split(path: Path) -> tuple[list[Sentence], list[Sentence]]:
    """Clean split of GermEval dev: first half may train, second half is only evaluated."""
    sents = list(read_germeval(path))
    half = len(sents) // 2
    return sents[:half], sents[half:]


# Wiki markup the WikiANN extraction left as tokens ("''", "**") or on words ("Game]]").
_MARKUP = frozenset({"''", "'''", "**", "*", "[[", "]]", "{{", "}}", "|", "="})
# Inside a WikiANN span these separate two names ("Sioux Falls , South Dakota" is one LOC
# there; news corpora tag two places), so they end the span.
_SPAN_BREAKS = frozenset({",", "(", ")", ";", "\u2013", "-", "/"})


def read_wikiann(path: Path) -> Iterator[Sentence]:
    """WikiANN (silver labels from Wikipedia links): the `de:`/`en:` prefix and wiki markup
    dropped, spans cut at commas and brackets. Redirect stubs ("WEITERLEITUNG X") are names,
    not sentences, and are skipped."""
    words: list[str] = []
    tags: list[str] = []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if words and words[0] not in {"WEITERLEITUNG", "REDIRECT", "#REDIRECT"}:
                yield words, _fix_iob(tags)
            words, tags = [], []
            continue
        token, _, tag = line.rpartition("\t")
        word = token.split(":", 1)[1] if ":" in token[:4] else token
        word = word.strip("[]{}|")
        if not word or word in _MARKUP:
            continue
        tag = _norm_tag(tag.strip())
        if tag != "O" and word in _SPAN_BREAKS:
            tag = "O"
        words.append(word)
        tags.append(tag)


def europeana_split(sents: list[Sentence], test_share: float = 0.2
                    ) -> tuple[list[Sentence], list[Sentence]]:
    """(train, test) of one Europeana file: the last fifth is held out whole (one newspaper
    run, not interleaved sentences of the pages a model trained on)."""
    cut = int(len(sents) * (1 - test_share))
    return sents[:cut], sents[cut:]


def wikiann_split(path: Path, train: Path) -> tuple[list[Sentence], list[Sentence]]:
    """(tune, test) of a WikiANN dev file: first half for choices, second half untouched. A
    dev sentence whose words also occur as a training sentence (one in eight: Wikipedia
    repeats short titles) is dropped, so no score rewards memorising it."""
    seen = {tuple(words) for words, _ in read_wikiann(train)}
    sents = [s for s in read_wikiann(path) if tuple(s[0]) not in seen]
    half = len(sents) // 2
    return sents[:half], sents[half:]
