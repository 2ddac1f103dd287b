"""IPTC Media Topics vocabulary: active concepts, labels per language, ancestry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MEDTOP = "medtop:"


def default_vocab_path() -> Path:
    """../shared/data/vocab relative to the repo root; read in place, never copied."""
    return Path(__file__).resolve().parents[2].parent / "shared/data/vocab/iptc-mediatopics.json"


@dataclass(frozen=True)
class Concept:
    qcode: str
    parent: str | None
    level: int
    labels: dict[str, str]
    definitions: dict[str, str]
    subject_code: str | None = None

    def label(self, lang: str) -> str:
        for key in (lang, f"{lang}-PT", f"{lang}-Hans", "en"):
            if key in self.labels:
                return self.labels[key]
        return self.qcode


class Vocabulary:
    def __init__(self, concepts: list[Concept]) -> None:
        self.concepts = {c.qcode: c for c in concepts}
        # Ancestry is asked for on every classification: walk the tree once, up front.
        self.chains: dict[str, tuple[str, ...]] = {q: tuple(self._walk(q)) for q in self.concepts}
        self._by_subject: dict[str, str] | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> Vocabulary:
        raw = json.loads((path or default_vocab_path()).read_text(encoding="utf-8"))
        return cls([
            Concept(qcode=c["qcode"], parent=c["parent"], level=int(c["level"]),
                    labels=dict(c["labels"]), definitions=dict(c.get("definitions") or {}),
                    subject_code=(c.get("subject_code") or "").rsplit("/", 1)[-1] or None)
            for c in raw if not c.get("retired")
        ])

    def from_subject_code(self, code: str) -> str | None:
        """The Media Topic the vocabulary maps an IPTC Subject Code to ('subj:15007000',
        '.../subjectcode/15007000' or '15007000'); else the one its top-level code maps to."""
        if self._by_subject is None:
            self._by_subject = {c.subject_code: q for q, c in self.concepts.items()
                                if c.subject_code}
        digits = code.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        if not (digits.isdigit() and len(digits) == 8):
            return None
        return self._by_subject.get(digits) or self._by_subject.get(digits[:2] + "000000")

    def get(self, qcode: str) -> Concept | None:
        return self.concepts.get(normalize_qcode(qcode))

    def ancestors(self, qcode: str) -> list[str]:
        """Parents up to the top level, nearest first; stops at unknown or retired parents."""
        chain = self.chains.get(qcode)
        return list(chain) if chain is not None else []

    def _walk(self, qcode: str) -> list[str]:
        out: list[str] = []
        cur = self.concepts.get(qcode)
        while cur is not None and cur.parent and cur.parent not in out:
            out.append(cur.parent)
            cur = self.concepts.get(cur.parent)
        return out

    def top_level(self, qcode: str) -> str | None:
        qcode = normalize_qcode(qcode)
        chain = self.chains.get(qcode)
        if chain is None:
            return None
        return chain[-1] if chain else qcode

    @property
    def top_levels(self) -> list[str]:
        return [q for q, c in self.concepts.items() if c.level == 1]


def normalize_qcode(code: str) -> str:
    """'medtop:16000000', '.../newscodes/mediatopic/16000000' or '16000000' -> 'medtop:16000000'."""
    code = code.strip()
    if "/mediatopic/" in code:
        return MEDTOP + code.rstrip("/").rsplit("/", 1)[-1]
    if code.startswith(MEDTOP):
        return code
    if code.isdigit() and len(code) == 8:
        return MEDTOP + code
    return code


@lru_cache(maxsize=4)
def shared_vocabulary(path: str | None = None) -> Vocabulary:
    return Vocabulary.load(Path(path) if path else None)
