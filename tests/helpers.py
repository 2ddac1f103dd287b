"""Small helpers shared by tests: waiting for a condition, in-memory/real broker switching."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def eventually(condition: Callable[[], bool], timeout: float = 30.0,
                     interval: float = 0.05) -> None:
    """Wait until condition() holds; fail with the timeout otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
