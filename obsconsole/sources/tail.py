"""Follow a growing line file (Wazuh's alerts.json) across rotation and truncation.

A writer appends lines; now and then the file is rotated (renamed away and a new one
started at the same path) or truncated in place (copytruncate). `LineTail.read()`
returns the complete lines added since the previous call, each exactly once:

- it remembers the open file's identity (device, inode) and offset, and reads only the
  bytes after that offset;
- a line still being written (no newline yet) is kept and finished by a later read;
- rotation (the path now names another inode): the old file is read to its end through
  the handle still open on it (whatever name it has now), then the new file from 0;
- truncation (the file is shorter than the offset, or the bytes just before the offset
  changed: truncated and already rewritten past it): read again from 0;
- a line longer than `max_line` is dropped without being held in memory, and counted.

All of this is blocking file I/O: callers run it in a thread. Not thread-safe: one
reader at a time (the caller holds a lock).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

#: bytes read per system call
CHUNK = 1 << 20
#: longest line kept (Wazuh alerts are a few KiB; a 1 MiB line is garbage or an attack)
MAX_LINE = 1 << 20
#: bytes one `read()` consumes at most, so one call stays short; the rest comes next call
READ_BUDGET = 32 << 20
#: on first open, how much of an existing file is read (the console shows recent alerts,
#: not a day's worth); the partial line at that point is skipped
INITIAL_BACKLOG = 8 << 20
#: bytes compared just before the offset to notice a truncate-and-rewrite
_MARK = 64


@dataclass
class TailStats:
    """What the tail saw besides lines, since it started."""

    #: lines dropped because they were longer than max_line
    oversized: int = 0
    rotations: int = 0
    truncations: int = 0


class LineTail:
    """The reader described in the module docstring, for one path."""

    def __init__(
        self,
        path: str,
        *,
        max_line: int = MAX_LINE,
        budget: int = READ_BUDGET,
        initial_backlog: int = INITIAL_BACKLOG,
    ) -> None:
        self.path = path
        self.max_line = max_line
        self.budget = budget
        self.initial_backlog = initial_backlog
        self.stats = TailStats()
        self._fd: int | None = None
        self._identity: tuple[int, int] | None = None
        self._offset = 0
        self._partial = bytearray()
        #: inside an over-long line: drop bytes up to the next newline
        self._dropping = False
        #: the last bytes before the offset, as read (to notice a rewrite)
        self._mark = b""

    @property
    def is_open(self) -> bool:
        return self._fd is not None

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def read(self) -> list[bytes]:
        """The complete lines appended since the last call (without their newlines).

        Raises OSError when the path exists but cannot be read; a path that does not
        exist (yet, or between a rotation's rename and the new file) is not an error.
        """
        lines: list[bytes] = []
        budget = self.budget
        if self._fd is None and not self._open(first=True):
            return lines
        if self._rewritten():
            self._restart()
        while True:
            budget -= self._drain(lines, budget)
            # a drain that used its whole budget may have stopped short of the end:
            # carry on next call, before looking for a rotation
            if budget <= 0 or not self._rotated():
                return lines
            # the path names a new file. A writer may have added a last line to the old
            # one between our read and its rename: read the old one to its end again.
            budget -= self._drain(lines, budget)
            if budget <= 0:
                return lines
            self._finish(lines)
            self.close()
            self.stats.rotations += 1
            if not self._open(first=False):
                return lines

    # ------------------------------------------------------------------ internals

    def _open(self, *, first: bool) -> bool:
        """Open the path; on first open start near the end of a big existing file."""
        try:
            # non-blocking: opening a FIFO put there by mistake must not hang the thread
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        except FileNotFoundError:
            return False
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise OSError("not a regular file")
        self._fd = fd
        self._identity = (st.st_dev, st.st_ino)
        self._partial.clear()
        self._dropping = False
        self._mark = b""
        self._offset = 0
        if first and st.st_size > self.initial_backlog:
            self._offset = st.st_size - self.initial_backlog
            start = max(0, self._offset - _MARK)
            self._mark = self._pread(start, self._offset - start)
            # unless we landed on a line start, the line we landed in is incomplete:
            # skip it (uncounted: it is not malformed, only cut by us)
            self._dropping = not self._mark.endswith(b"\n")
        return True

    def _rotated(self) -> bool:
        """Whether the path now names another file than the one open."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return False  # renamed away, the new file not there yet: keep reading the old
        return (st.st_dev, st.st_ino) != self._identity

    def _rewritten(self) -> bool:
        """Whether the open file was truncated since the last read (shorter than the
        offset, or the bytes before the offset are not the ones read)."""
        assert self._fd is not None
        if os.fstat(self._fd).st_size < self._offset:
            return True
        return bool(self._mark) and self._pread(self._offset - len(self._mark), len(self._mark)) != self._mark

    def _restart(self) -> None:
        self.stats.truncations += 1
        self._offset = 0
        self._partial.clear()
        self._dropping = False
        self._mark = b""

    def _pread(self, offset: int, size: int) -> bytes:
        assert self._fd is not None
        return os.pread(self._fd, size, offset) if size > 0 else b""

    def _drain(self, lines: list[bytes], budget: int) -> int:
        """Read from the offset to the end of the file (or `budget` bytes), appending
        complete lines; returns the bytes read."""
        total = 0
        while total < budget:
            chunk = self._pread(self._offset, min(CHUNK, budget - total))
            if not chunk:
                break
            self._offset += len(chunk)
            total += len(chunk)
            self._mark = (self._mark + chunk)[-_MARK:]
            self._split(chunk, lines)
        return total

    def _split(self, chunk: bytes, lines: list[bytes]) -> None:
        """Cut `chunk` into lines, joining the partial line kept from before."""
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            self._keep(chunk[start:end])
            if not self._dropping:
                lines.append(bytes(self._partial))
            self._partial.clear()
            self._dropping = False
            start = end + 1
        self._keep(chunk[start:])

    def _keep(self, piece: bytes) -> None:
        """Hold part of an unfinished line, unless it is already too long: then drop it
        (counted once) and every byte up to its newline."""
        if self._dropping:
            return
        if len(self._partial) + len(piece) > self.max_line:
            self.stats.oversized += 1
            self._partial.clear()
            self._dropping = True
            return
        self._partial += piece

    def _finish(self, lines: list[bytes]) -> None:
        """The rotated-away file ends without a newline: its last line is all there is."""
        if self._partial and not self._dropping:
            lines.append(bytes(self._partial))
        self._partial.clear()
        self._dropping = False
