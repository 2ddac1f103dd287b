"""A state dump in a forked child: the stream waits for the fork, not for the dump."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable

CHUNK = 1 << 20


class DumpFailed(RuntimeError):
    """The child could not dump the state (or did not finish in time)."""


class ForkedDump:
    """Like Redis's BGSAVE: the child holds a copy-on-write image of the process as it was at
    the fork, dumps the state from it into a pipe and exits; the parent goes on linking.

    Fork is only safe because the child runs nothing but the pure dump (no event loop, no
    sockets, no locks another thread could hold) and leaves with os._exit. Memory: pages the
    parent writes to while the child dumps are copied, up to one more state's worth.
    """

    def __init__(self, pid: int, fd: int) -> None:
        self.pid, self.fd = pid, fd

    @classmethod
    def start(cls, dump: Callable[[], bytes]) -> ForkedDump:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: dump, write, leave without running any cleanup
            code = 1
            try:
                os.close(read_fd)
                view = memoryview(dump())
                while view:
                    view = view[os.write(write_fd, view[:CHUNK]):]
                code = 0
            except BaseException as exc:  # noqa: BLE001 - whatever it is, the parent is told
                with contextlib.suppress(OSError):
                    os.write(2, f"linker snapshot dump failed: {exc!r}\n".encode())
            finally:
                os._exit(code)
        os.close(write_fd)
        return cls(pid, read_fd)

    async def result(self, timeout: float) -> bytes:
        """The dump's bytes; DumpFailed if the child failed or ran past `timeout` (killed)."""
        reading = asyncio.ensure_future(asyncio.to_thread(self._read_all))
        try:
            blob = await asyncio.wait_for(asyncio.shield(reading), timeout)
        except TimeoutError:
            # Killing the child closes the pipe, which ends the read.
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            await reading
            raise DumpFailed(f"snapshot dump took more than {timeout:.0f} s") from None
        finally:
            code = await asyncio.to_thread(self._reap)
        if code != 0:
            raise DumpFailed(f"snapshot dump child exited with {code}")
        return blob

    def _read_all(self) -> bytes:
        parts = []
        try:
            while part := os.read(self.fd, CHUNK):
                parts.append(part)
        finally:
            os.close(self.fd)
        return b"".join(parts)

    def _reap(self) -> int:
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)
