"""Linker state to bytes and back, exactly: a restored state links as the original would."""

from __future__ import annotations

import json
import zlib
from array import array
from datetime import UTC, datetime
from typing import Any

from .memory import MemoryForest, MemoryIndex, MemoryLinks
from .store import StoredArticle
from .stories import StoryState

# Bumped whenever what is stored means something else: format 4 stores the table flag that
# also marks name lists and press digests; format 5, states made under the link rules that
# need headline words and count acronyms and place echoes once (the same fields, but stories
# an older rule merged). An older snapshot is refused, and the linker rebuilds its state by
# replaying the stream instead.
FORMAT = 5
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SnapshotError(ValueError):
    """The bytes are not a snapshot this code can restore."""


_US = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC) - _EPOCH


def _micros(ts: datetime) -> int:
    return (ts - _EPOCH) // _US


def dump_state(state: StoryState, next_offset: int) -> bytes:
    """JSON for the structure, the sketches packed as uint32; zlib at its fastest level."""
    index, forest, links = state.index, state.forest, state.links
    if not (isinstance(index, MemoryIndex) and isinstance(forest, MemoryForest)
            and isinstance(links, MemoryLinks)):
        raise TypeError("only the in-memory state is snapshotted")
    arts = [index.articles[i] for i in index.id_at]
    sketches = array("I")
    for a in arts:
        sketches.extend(a.sketch)
    slot_of = index.slot_of
    body: dict[str, Any] = {
        "format": FORMAT,
        "next_offset": next_offset,
        "seen": state.seen,
        "latest": None if state.latest is None else _micros(state.latest),
        "articles": [[a.id, a.version, a.node, _micros(a.published), a.keys, len(a.sketch),
                      a.headline_key, a.headline, a.duplicate_of, a.tabular] for a in arts],
        "by_key": {k: [slot_of[i] for i in ids] for k, ids in index.by_key.items()},
        "parents": list(forest.parents.items()),
        "sizes": list(forest.sizes.items()),
        "article_of": list(forest.article_of.items()),
        "links": [[s, [[k, h, links.links[(s, k)]] for k, h in keys.items()]]
                  for s, keys in links.by_source.items()],
    }
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    head = len(text).to_bytes(8, "big")
    return zlib.compress(head + text + sketches.tobytes(), 1)


def load_state(blob: bytes) -> tuple[StoryState, int]:
    """The state and the input offset it stands at (the next record to apply)."""
    try:
        raw = zlib.decompress(blob)
        size = int.from_bytes(raw[:8], "big")
        body = json.loads(raw[8:8 + size])
        sketches = array("I")
        sketches.frombytes(raw[8 + size:])
    except (zlib.error, ValueError) as exc:
        raise SnapshotError(f"unreadable snapshot: {exc}") from exc
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise SnapshotError("unknown snapshot format")
    index, forest, links = MemoryIndex(), MemoryForest(), MemoryLinks()
    at = 0
    for aid, version, node, published, keys, n, hkey, headline, dup, tab in body["articles"]:
        rec = StoredArticle(id=aid, version=version, node=node,
                            published=_EPOCH + published * _US, keys=tuple(keys),
                            sketch=tuple(sketches[at:at + n]), headline_key=hkey,
                            headline=headline, duplicate_of=dup, tabular=bool(tab))
        at += n
        index.articles[aid] = rec
        index.slot_of[aid] = len(index.id_at)
        index.id_at.append(aid)
        index.headlines.setdefault(hkey, set()).add(aid)
    id_at = index.id_at
    index.by_key = {k: dict.fromkeys(id_at[s] for s in slots)
                    for k, slots in body["by_key"].items()}
    index.rebuild_slots()
    forest.parents = dict(body["parents"])
    forest.sizes = dict(body["sizes"])
    forest.article_of = dict(body["article_of"])
    forest.rebuild_members()
    for source, entries in body["links"]:
        keys = links.by_source[source] = {}
        for key, headline, target in entries:
            keys[key] = headline
            links.links[(source, key)] = target
            if target is None:
                links.pending.setdefault(key, set()).add(source)
    latest = None if body["latest"] is None else _EPOCH + body["latest"] * _US
    state = StoryState(index=index, forest=forest, links=links, seen=body["seen"], latest=latest)
    return state, int(body["next_offset"])
