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

    def label(self, lang: str) -> str:
        for key in (lang, f"{lang}-PT", f"{lang}-Hans", "en"):
            if key in self.labels:
                return self.labels[key]
        return self.qcode


class Vocabulary:
    def __init__(self, concepts: list[Concept]) -> None:
        self.concepts = {c.qcode: c for c in concepts}

    @classmethod
    def load(cls, path: Path | None = None) -> Vocabulary:
        raw = json.loads((path or default_vocab_path()).read_text(encoding="utf-8"))
        return cls([
            Concept(qcode=c["qcode"], parent=c["parent"], level=int(c["level"]),
                    labels=dict(c["labels"]), definitions=dict(c.get("definitions") or {}))
            for c in raw if not c.get("retired")
        ])

    def get(self, qcode: str) -> Concept | None:
        return self.concepts.get(normalize_qcode(qcode))

    def ancestors(self, qcode: str) -> list[str]:
        """Parents up to the top level, nearest first; stops at unknown or retired parents."""
        out: list[str] = []
        cur = self.concepts.get(qcode)
        while cur is not None and cur.parent and cur.parent not in out:
            out.append(cur.parent)
            cur = self.concepts.get(cur.parent)
        return out

    def top_level(self, qcode: str) -> str | None:
        qcode = normalize_qcode(qcode)
        if qcode not in self.concepts:
            return None
        chain = [qcode, *self.ancestors(qcode)]
        return chain[-1]

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
