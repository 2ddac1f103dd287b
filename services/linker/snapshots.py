"""Linker snapshots in a Mongo-wire database, written and read by _id only, in chunks."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

import pymongo
from bson import Binary
from pymongo.asynchronous.collection import AsyncCollection

# Well under MongoDB's 16 MiB document limit, and FerretDB's SQLite rows stay small.
CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class Snapshot:
    offset: int  # the next input record to apply on top of this state
    blob: bytes


class SnapshotStore(Protocol):
    async def load(self) -> Snapshot | None: ...
    async def save(self, snapshot: Snapshot) -> None: ...
    async def ping(self) -> bool: ...


class CorruptSnapshot(RuntimeError):
    """The stored chunks do not add up to the snapshot the head document describes."""


class MongoSnapshotStore:
    """Chunks first, then the head that points at them, then the old chunks go: a reader
    sees either the old snapshot or the new one whole, and a crash mid-save loses nothing."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]], name: str) -> None:
        self.collection, self.name = collection, name

    async def load(self) -> Snapshot | None:
        head = await self.collection.find_one({"_id": self.name})
        if head is None:
            return None
        parts = await asyncio.gather(*(self.collection.find_one({"_id": self._chunk(head, i)})
                                       for i in range(head["chunks"])))
        if any(p is None for p in parts):
            raise CorruptSnapshot(f"snapshot {self.name} gen {head['gen']} misses chunks")
        blob = b"".join(bytes(p["data"]) for p in parts if p is not None)
        if hashlib.sha256(blob).hexdigest() != head["sha256"]:
            raise CorruptSnapshot(f"snapshot {self.name} gen {head['gen']} fails its checksum")
        return Snapshot(offset=int(head["offset"]), blob=blob)

    async def save(self, snapshot: Snapshot) -> None:
        old = await self.collection.find_one({"_id": self.name})
        gen = (old["gen"] + 1) if old else 1
        blob = snapshot.blob
        pieces = [blob[i:i + CHUNK] for i in range(0, len(blob), CHUNK)] or [b""]
        head = {"gen": gen, "offset": snapshot.offset, "chunks": len(pieces),
                "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}
        for i, piece in enumerate(pieces):
            await self.collection.replace_one({"_id": self._chunk(head, i)},
                                              {"data": Binary(piece)}, upsert=True)
        await self.collection.replace_one({"_id": self.name}, head, upsert=True)
        if old is not None:
            await asyncio.gather(*(self.collection.delete_one({"_id": self._chunk(old, i)})
                                   for i in range(old["chunks"])))

    async def ping(self) -> bool:
        # pymongo's own deadline, under the readiness check's 3 s: a ping cancelled inside
        # server selection can leave pymongo's topology lock broken (seen in storage).
        with pymongo.timeout(2.0):
            reply = await self.collection.database.command("ping")
        return bool(reply.get("ok"))

    def _chunk(self, head: dict[str, Any], i: int) -> str:
        return f"{self.name}:{head['gen']}:{i}"
