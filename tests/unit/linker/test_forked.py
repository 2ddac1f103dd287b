"""A dump in a forked child sees the state of the fork's moment and reports its failures."""

from __future__ import annotations

import time

import pytest

from services.linker.forked import DumpFailed, ForkedDump

pytestmark = pytest.mark.unit


async def test_child_dumps_the_state_as_it_was_at_the_fork() -> None:
    state = {"n": list(range(300_000))}  # larger than a pipe's buffer
    child = ForkedDump.start(lambda: repr(state).encode())
    expected = repr(state).encode()
    state["n"].append(-1)  # the parent goes on changing it; the child does not see that
    assert await child.result(timeout=60) == expected


async def test_failing_dump_raises() -> None:
    def broken() -> bytes:
        raise KeyError("gone")
    with pytest.raises(DumpFailed, match="exited with 1"):
        await ForkedDump.start(broken).result(timeout=60)


async def test_dump_past_its_timeout_is_killed() -> None:
    def slow() -> bytes:
        time.sleep(30)
        return b"late"
    started = time.monotonic()
    with pytest.raises(DumpFailed, match="more than"):
        await ForkedDump.start(slow).result(timeout=0.5)
    assert time.monotonic() - started < 10
