"""The linker's state machine over input offsets: apply, skip redeliveries, restore, replay."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from services.enrichment.pipeline import Result, doc_of, link_result
from services.enrichment.snapshot import SnapshotError, dump_state, load_state
from services.enrichment.stories import LinkPolicy, StoryLinker
from shared.events import EnrichedArticle

from .forked import ForkedDump
from .replay import Replay
from .snapshots import CorruptSnapshot, Snapshot, SnapshotStore

log = logging.getLogger("newswire.linker")


@dataclass
class SnapshotPolicy:
    every: int = 5000
    seconds: float = 120.0  # LinkerSettings.snapshot_seconds says why
    # A dump that takes longer than this is given up (its child killed); the next one retries.
    dump_timeout: float = 300.0


class LinkerStage:
    """The state is a pure function of the annotated stream up to next_offset.

    A record below next_offset was applied already (a redelivery after a failed publish, or
    after a restore from a snapshot newer than the group's commit); one above it means another
    instance applied records this one has not seen (a takeover): the newest snapshot is loaded
    and the records between are replayed without output, since their output is durable."""

    def __init__(self, snapshots: SnapshotStore, replay: Replay,
                 policy: LinkPolicy | None = None, snapshot: SnapshotPolicy | None = None) -> None:
        self.snapshots, self.replay = snapshots, replay
        self.policy, self.snapshot_policy = policy or LinkPolicy(), snapshot or SnapshotPolicy()
        self.linker = StoryLinker(policy=self.policy)
        self.next_offset = 0
        self.replayed = self.restores = 0
        self._since_snapshot = 0
        self._snapshot_at = time.monotonic()
        self._snapshot_offset = -1
        self._saving: asyncio.Task[None] | None = None

    def apply(self, offset: int, value: bytes) -> Result:
        """Link the record at next_offset; raises ValidationError on a bad record (which still
        counts as applied: it changes nothing, now or on replay)."""
        if offset != self.next_offset:
            raise ValueError(f"record {offset} applied at {self.next_offset}")
        self.next_offset = offset + 1
        self._since_snapshot += 1
        doc = doc_of(EnrichedArticle.model_validate_json(value))
        return link_result(doc, self.linker.link(doc))

    async def restore(self) -> bool:
        """Load the newest snapshot if it is ahead of this state; True if loaded. A snapshot
        this code cannot read (another format, lost chunks) is not fatal: the state is then
        rebuilt by replaying the stream from what it has, which gives the same state."""
        try:
            snap = await self.snapshots.load()
            if snap is None or snap.offset <= self.next_offset:
                return False
            state, offset = await asyncio.to_thread(load_state, snap.blob)
        except (SnapshotError, CorruptSnapshot):
            log.exception("snapshot unusable; replaying the stream instead")
            return False
        self.linker = StoryLinker(state, self.policy)
        self.next_offset = self._snapshot_offset = offset
        self.restores += 1
        log.info("restored linker state", extra={"offset": offset, "bytes": len(snap.blob)})
        return True

    async def catch_up(self, offset: int) -> None:
        """Bring the state to `offset` (a takeover or restart): snapshot, then replay."""
        await self.restore()
        async for at, value in self.replay.read(self.next_offset, offset):
            self.next_offset = at  # a record lost to retention is skipped, not waited for
            # A bad record was dead-lettered when first read and changes nothing now.
            with contextlib.suppress(ValueError):
                self.apply(at, value)
            self.replayed += 1
        self.next_offset = max(self.next_offset, offset)

    def snapshot_due(self) -> bool:
        pol = self.snapshot_policy
        return self._since_snapshot > 0 and (self._saving is None or self._saving.done()) and (
            self._since_snapshot >= pol.every
            or time.monotonic() - self._snapshot_at >= pol.seconds)

    def save_snapshot(self) -> None:
        """Only called between polls, once the output of every applied record is durable.
        The state is dumped by a forked child from its copy-on-write image of this moment,
        so the stream waits for the fork only (the dump took 0.6-1.3 s at a full window
        inline); the dump's write follows in the background, one snapshot at a time."""
        offset = self.next_offset
        state = self.linker.state
        child = ForkedDump.start(lambda: dump_state(state, offset))
        self._since_snapshot, self._snapshot_at = 0, time.monotonic()
        self._saving = asyncio.create_task(self._write(offset, child))

    async def _write(self, offset: int, child: ForkedDump) -> None:
        try:
            blob = await child.result(self.snapshot_policy.dump_timeout)
            await self.snapshots.save(Snapshot(offset=offset, blob=blob))
        except Exception:
            # Not fatal: the next snapshot tries again, and until then a restart replays more.
            log.exception("snapshot failed", extra={"offset": offset})
            return
        self._snapshot_offset = offset
        log.info("linker snapshot saved", extra={"offset": offset, "bytes": len(blob)})

    async def drain(self) -> None:
        """Wait for a snapshot write still under way (tests, shutdown)."""
        if self._saving is not None:
            await self._saving

    @property
    def snapshot_offset(self) -> int:
        """The input offset of the newest snapshot this instance saved or loaded (-1: none)."""
        return self._snapshot_offset

    def articles(self) -> int:
        index = self.linker.state.index
        return len(getattr(index, "articles", ()))
