"""A command in its own pseudo-terminal, its output read continuously: the real
terminal path (benchmarks/tui_cost.py, benchmarks/flood.py, the hostile-text tests).

Linux only (pty, /proc)."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path
from typing import Callable

REPO_ROOT = Path(__file__).resolve().parent.parent
QUIT_GRACE_S = 3.0
CLK_TCK = os.sysconf("SC_CLK_TCK")

ANSI_RE = re.compile(
    rb"\x1b(?:\[[0-9;?<>=$ ]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)"
)


def _read_stat(pid: int) -> tuple[int, int] | None:
    """(ppid, utime+stime+cutime+cstime in ticks) of one process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces: split after the last ')'.
    fields = raw[raw.rindex(b")") + 2 :].split()
    # fields[0] is state (field 3 of proc(5)); ppid is field 4; utime..cstime are 14..17.
    ppid = int(fields[1])
    ticks = sum(int(x) for x in fields[11:15])
    return ppid, ticks


def _process_tree(root: int) -> list[int]:
    """root and all its live descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        st = _read_stat(int(entry))
        if st is not None:
            children.setdefault(st[0], []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def tree_cpu_ticks(root: int) -> int:
    """CPU ticks used so far by the tree under root (a reaped child's time is in its
    parent's cutime/cstime, so the sum stays consistent while children come and go)."""
    total = 0
    for pid in _process_tree(root):
        st = _read_stat(pid)
        if st is not None:
            total += st[1]
    return total


def tree_peak_rss_bytes(root: int) -> int | None:
    total, found = 0, False
    for pid in _process_tree(root):
        try:
            text = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        m = re.search(r"^VmHWM:\s+(\d+)\s+kB", text, re.M)
        if m:
            total += int(m.group(1)) * 1024
            found = True
    return total if found else None


class PtyApp:
    """A command running in its own pseudo-terminal and session, with the master read
    continuously by pump()."""

    def __init__(self, argv: list[str], cols: int, rows: int, ready_file: Path, *, record: bool = False, env: dict[str, str] | None = None) -> None:
        self.argv = argv
        self.ready_file = ready_file
        self.extra_env = env or {}
        #: record=True keeps every byte written (`output`), for tests that inspect it
        self.record = record
        self.output = bytearray()
        self.total_bytes = 0
        self.first_byte_at: float | None = None
        self.tail = bytearray()  # last output, for error messages
        self.master: int | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.cols, self.rows = cols, rows

    def start(self) -> float:
        """Spawn; return time.monotonic() taken just before the spawn."""
        env = dict(os.environ)
        env.update(
            TERM="xterm-256color",
            COLUMNS=str(self.cols),
            LINES=str(self.rows),
            OBSCONSOLE_READY_FILE=str(self.ready_file),
        )
        env.update(self.extra_env)
        # Measure what a user gets: bytecode caches are written and reused.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for var in ("TEXTUAL", "TEXTUAL_DEBUG", "TEXTUAL_DEVTOOLS_PORT", "TEXTUAL_FPS"):
            env.pop(var, None)
        with contextlib.suppress(FileNotFoundError):
            self.ready_file.unlink()

        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.rows, self.cols, 0, 0))
        os.set_blocking(master, False)
        self.master = master

        def make_controlling_tty() -> None:  # runs in the child, after setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        spawned_at = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=env,
                cwd=REPO_ROOT,
                start_new_session=True,
                preexec_fn=make_controlling_tty,  # no threads in this program: safe
                close_fds=True,
            )
        finally:
            os.close(slave)
        return spawned_at

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def pump(self, timeout: float) -> int:
        """Read whatever the app wrote, waiting up to timeout seconds; return bytes read."""
        if self.master is None:
            time.sleep(timeout)
            return 0
        got = 0
        try:
            ready, _, _ = select.select([self.master], [], [], timeout)
        except InterruptedError:
            return 0
        if not ready:
            return 0
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except BlockingIOError:
                break
            except OSError as exc:  # EIO: the slave side is closed (app exited)
                if exc.errno == errno.EIO:
                    self._close_master()
                    break
                raise
            if not chunk:
                self._close_master()
                break
            if self.first_byte_at is None:
                self.first_byte_at = time.monotonic()
            got += len(chunk)
            if self.record:
                self.output += chunk
            self.tail += chunk
            del self.tail[:-8192]
        self.total_bytes += got
        return got

    def pump_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.pump(min(left, 0.05))

    def send(self, data: bytes) -> None:
        if self.master is None:
            return
        with contextlib.suppress(OSError):
            os.write(self.master, data)

    def ready_time(self) -> float | None:
        try:
            text = self.ready_file.read_text().strip()
        except FileNotFoundError:
            return None
        try:
            return float(text)
        except ValueError:
            return None  # being written (an app that does not write atomically)

    def wait_ready(self, timeout: float) -> tuple[float | None, str | None]:
        """Pump output until the ready file appears, the app exits or timeout passes."""
        end = time.monotonic() + timeout
        while True:
            stamp = self.ready_time()
            if stamp is not None:
                return stamp, None
            if not self.alive():
                self.pump(0)
                return None, f"exited with code {self.proc.returncode} before populating" + self.tail_text()
            if time.monotonic() >= end:
                return None, f"never populated (no ready file after {timeout:.0f} s)"
            self.pump(0.02)

    def wait_until(self, condition: Callable[[bytearray], bool], timeout: float, what: str) -> str | None:
        """Pump output until condition(everything written so far) holds (needs
        record=True). None when it does; otherwise why not: the app exited, or the
        deadline passed (with the last lines of output)."""
        assert self.record, "wait_until reads `output`: start with record=True"
        end = time.monotonic() + timeout
        while True:
            if condition(self.output):
                return None
            if not self.alive():
                self.pump(0)
                if condition(self.output):
                    return None
                return f"{what}: the app exited with code {self.proc.returncode}" + self.tail_text()
            if time.monotonic() >= end:
                return f"{what}: not within {timeout:g} s" + self.tail_text()
            self.pump(0.05)

    def tail_text(self) -> str:
        text = ANSI_RE.sub(b"", bytes(self.tail)).decode("utf-8", "replace")
        lines = [ln.rstrip() for ln in text.replace("\r", "\n").split("\n") if ln.strip()]
        return (": " + " | ".join(lines[-6:])) if lines else ""

    def stop(self, quit_keys: bytes) -> None:
        """Ask nicely (quit key, then ctrl+q / ctrl+c), then SIGTERM, then SIGKILL; reap."""
        if self.proc is None:
            return
        steps: list[tuple[str, bytes | int]] = [
            ("key", quit_keys),
            ("key", b"\x11\x03"),
            ("sig", signal.SIGTERM),
        ]
        for kind, what in steps:
            if not self.alive():
                break
            if kind == "key":
                self.send(what)  # type: ignore[arg-type]
            else:
                self._signal_group(what)  # type: ignore[arg-type]
            end = time.monotonic() + QUIT_GRACE_S
            while self.alive() and time.monotonic() < end:
                self.pump(0.05)
        if self.alive():
            self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        # Anything left in the session (children that outlived the app) goes too.
        self._signal_group(signal.SIGKILL)
        self._close_master()

    def _signal_group(self, sig: int) -> None:
        # start_new_session: the process group id is the pid
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)

    def _close_master(self) -> None:
        if self.master is not None:
            os.close(self.master)
            self.master = None
