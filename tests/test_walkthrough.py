"""The demo's whole scripted incident, key by key, in a real terminal.

tmux is the terminal: the console runs in a tmux pane (120×40 and 80×24, side by side),
`send-keys` types, `capture-pane -e` reads the screen with its colours, and `pipe-pane`
keeps every byte the console wrote. From calm, through the incident (alerts firing,
errors bursting) to recovery, the walk presses every key of the action table in every
pane and in every dialog, and waits (with a deadline, never a fixed pause) for what each
key must show. It fails if:

- the console exits before `q`, prints anything after `q` (Textual prints the traceback
  of a crash there), or exits with a code other than 0;
- a traceback or a pane's `internal:` error is on screen, or a log record is written
  (WARNING and above: Textual swallows stderr while it runs, so the launcher below sends
  the logging module, uncaught and unraisable exceptions to a file);
- the error pane follows (its title does not say HELD) while its top row is older than
  the newest event that arrived more than LAG_S ago;
- a key does not do what the action table says: `f` → HELD and back, the ack dialog is
  for the highlighted group (the first row while the cursor was not moved), Enter acks
  it and only it, `e`/`A` extend and expire it (FAILED is a failure), `l` shows the level
  filter, `y` puts a trace id on the clipboard, `t` the top 10, `?` the keys (also over a
  dialog), `/` a visible filter box, …

`obsconsole demo` itself has no option to move the incident; the same demo platform runs
from a config context with `demo: {incident_after: 5s}` (seed 1), started by `run`.

Run it alone (about 3 minutes, two consoles at once):
    .venv/bin/python -m pytest -p no:randomly -q tests/test_walkthrough.py
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shlex
import subprocess
import sys
import threading
import time
import traceback
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import pytest
import yaml

from tests.ptyapp import ANSI_RE, REPO_ROOT
from tests.stack import require

UTC = timezone.utc
T = TypeVar("T")

SEED = 1
INCIDENT_AFTER_S = 5.0
#: the demo's incident: ramps up for 15 s, recovers from 120 s, calm again at 135 s
#: (obsconsole/sources/demo/curves.py); the alerts resolve at the alerts pane's next poll
INCIDENT_END_S = INCIDENT_AFTER_S + 135.0
#: the recovery must be on screen by then (seconds after the start)
RECOVERED_BY_S = INCIDENT_END_S + 45.0
#: the whole walk, start to exit, at one size
WALK_BUDGET_S = 330.0  # seven panes, two sizes at once, under CI load
#: the error pane polls every 5 s: an event older than this must be on screen
LAG_S = 10.0
#: how long one key may take to show its effect
KEY_TIMEOUT_S = 10.0
#: toasts stay 8-10 s (a CRITICAL one 30 s)
TOAST_TIMEOUT_S = 35.0
#: how often the screen is read while waiting for a condition
POLL_S = 0.05
#: the screen is read again after this long even when the console wrote nothing
RECAPTURE_S = 0.5

SIZES = ((120, 40), (80, 24))

#: the border title each pane starts with, and the name its `?` help uses
PANES: dict[int, str] = {
    1: "Infrastructure",
    2: "API latency",
    3: "Error stream",
    4: "SLO budgets",
    5: "Alerts",
    6: "Security (Wazuh)",
    7: "Incidents",
}
NUMBERS = tuple(PANES)
#: the tab strip below 100×30: at 80 columns the shown pane's tab is named, every other
#: pane's shows its health mark and number
TAB_NAMES = {1: "Infra", 2: "Latency", 3: "Errors", 4: "SLO", 5: "Alerts", 6: "Security", 7: "Incidents"}


def tab_strip_ok(line: str, shown: int | None = None) -> bool:
    """Every pane's number in the tab strip, and the shown pane's name with it."""
    numbers = [int(t) for t in line.split() if t.isdigit()]
    return numbers == list(NUMBERS) and (shown is None or f"{shown} {TAB_NAMES[shown]}" in line)

#: every binding id of the action table and the key the default keymap gives it, as
#: tmux's send-keys names it. test_the_walk_presses_every_action_of_the_table keeps
#: this in step with obsconsole/ui/actions.py.
KEYS: dict[str, str] = {
    "app.help": "?",
    "app.palette": "C-p",
    "app.palette.colon": ":",
    "app.pause": "p",
    "app.refresh": "r",
    "app.quit": "q",
    "pane.focus-1": "1",
    "pane.focus-2": "2",
    "pane.focus-3": "3",
    "pane.focus-4": "4",
    "pane.focus-5": "5",
    "pane.focus-6": "6",
    "pane.focus-7": "7",
    "pane.next": "Tab",
    "pane.previous": "BTab",
    "pane.maximize": "m",
    "pane.restore": "Escape",
    "pane.search": "/",
    "pane.pause": "P",
    "pane.sort": "o",
    "pane.sort-reverse": "O",
    "alerts.ack": "a",
    "alerts.unack": "A",
    "alerts.extend": "e",
    "alerts.service": "s",
    "alerts.declare": "i",
    "errors.level": "l",
    "errors.service": "s",
    "errors.follow": "f",
    "errors.copy": "y",
    "security.top": "t",
    "table.detail": "Enter",
    "incidents.war-room": "w",
    "warroom.note": "n",
    "warroom.status": "S",
    "warroom.commander": "c",
    "warroom.severity": "v",
    "warroom.link": "L",
    "warroom.unlink": "U",
    "warroom.back": "Escape",
    "table.down": "Down",
    "table.up": "Up",
    "table.page-down": "PageDown",
    "table.page-up": "PageUp",
    "table.top": "Home",
    "table.bottom": "End",
    "table.left": "Left",
    "table.right": "Right",
}
NAVIGATION = ("table.down", "table.up", "table.page-down", "table.page-up", "table.top",
              "table.bottom", "table.left", "table.right")
#: what `/` types in each pane (rows that match exist in every phase)
FILTER_TEXT = {1: "aigym", 2: "aigym", 3: "aigym", 4: "api", 5: "aigym", 6: "1", 7: "aigym"}
#: the level filters `l` cycles through, as the error pane's title shows them
LEVEL_CYCLE = ("FATAL", "ERROR", "WARN+ERROR+FATAL", None)
#: the demo's services (its error stream's `s` cycles through them)
SERVICES = ("aigym-api", "aigym-auth", "aigym-conversations", "aigym-edge-functions", "supabase-db")
#: how the error pane's title shows a narrowed stream: levels, service names, “text”
_NARROWED = re.compile(r"\b(FATAL|ERROR|WARN)\b|“|\b[a-z0-9]+(?:-[a-z0-9]+)+\b")
#: what a crash report looks like on screen or after the exit
CRASH_RE = re.compile(r"Traceback \(most recent call last\)|^\w*(Error|Exception)\b.*:|Task exception was never retrieved"
                      r"|Exception in callback|Task was destroyed but it is pending", re.M)

#: Runs obsconsole's own main() with the logging module, uncaught exceptions (any
#: thread) and unraisable ones (__del__, callbacks) written to the file named first, and
#: main()'s exit status to the file named second (tmux does not always report it).
LAUNCHER = """\
import logging, sys, threading
log_path = sys.argv.pop(1)
status_path = sys.argv.pop(1)
handler = logging.FileHandler(log_path, encoding="utf-8")
logging.basicConfig(level=logging.WARNING, handlers=[handler],
                    format="%(asctime)s %(levelname)s %(name)s: %(message)s")
caught = logging.getLogger("walkthrough")
def excepthook(kind, value, tb):
    caught.error("uncaught exception", exc_info=(kind, value, tb))
    sys.__excepthook__(kind, value, tb)
sys.excepthook = excepthook
threading.excepthook = lambda a: caught.error("uncaught in thread %s", a.thread, exc_info=(a.exc_type, a.exc_value, a.exc_traceback))
sys.unraisablehook = lambda u: caught.error("unraisable: %s %r", u.err_msg, u.object, exc_info=(u.exc_type, u.exc_value, u.exc_traceback))
from obsconsole.cli import main
code = main(sys.argv[1:])
with open(status_path, "w") as status:
    status.write(str(code))
sys.exit(code)
"""


class Fatal(Exception):
    """The console is gone: nothing more can be checked at this size."""


class Stuck(Exception):
    """A condition did not hold before its deadline."""

    def __init__(self, message: str, screen: "Screen | None") -> None:
        super().__init__(message)
        self.screen = screen


# --------------------------------------------------------------------------- the screen

_SGR = re.compile(r"\x1b\[([0-9;:]*)m")
_OTHER_ESC = re.compile(r"\x1b(?:\][^\x07\x1b]*(?:\x07|\x1b\\)|\[[0-9;:?]*[A-Za-z]|.)")
#: the second cell of a double-width character
WIDE = "\x00"


@dataclass(frozen=True)
class Cell:
    ch: str
    fg: str
    bg: str


def _sgr(params: str, fg: str, bg: str, reverse: bool) -> tuple[str, str, bool]:
    tokens = params.split(";") if params else ["0"]
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if ":" in t:  # 38:2::r:g:b
            if t.startswith("38"):
                fg = t
            elif t.startswith("48"):
                bg = t
        elif t in ("", "0"):
            fg, bg, reverse = "", "", False
        elif t == "7":
            reverse = True
        elif t == "27":
            reverse = False
        elif t in ("38", "48") and i + 1 < len(tokens):
            n = 3 if tokens[i + 1] == "5" else 5
            colour = ";".join(tokens[i : i + n])
            if t == "38":
                fg = colour
            else:
                bg = colour
            i += n - 1
        elif t == "39":
            fg = ""
        elif t == "49":
            bg = ""
        elif t.isdigit() and (30 <= int(t) <= 37 or 90 <= int(t) <= 97):
            fg = t
        elif t.isdigit() and (40 <= int(t) <= 47 or 100 <= int(t) <= 107):
            bg = t
        i += 1
    return fg, bg, reverse


def parse_capture(raw: str) -> list[list[Cell]]:
    """`tmux capture-pane -p -e` output as rows of cells (colours as SGR parameters,
    reverse video applied)."""
    rows = []
    # tmux sends a colour once, when it changes: it carries over to the next lines
    fg = bg = ""
    reverse = False
    for line in raw.removesuffix("\n").split("\n"):
        cells: list[Cell] = []
        pos = 0
        while pos < len(line):
            m = _SGR.match(line, pos)
            if m:
                fg, bg, reverse = _sgr(m.group(1), fg, bg, reverse)
                pos = m.end()
                continue
            m = _OTHER_ESC.match(line, pos)
            if m and line[pos] == "\x1b":
                pos = m.end()
                continue
            ch = line[pos]
            pos += 1
            if unicodedata.combining(ch):
                continue
            shown_fg, shown_bg = (bg, fg) if reverse else (fg, bg)
            cells.append(Cell(ch, shown_fg, shown_bg))
            if unicodedata.east_asian_width(ch) in "WF":
                cells.append(Cell(WIDE, shown_fg, shown_bg))
        rows.append(cells)
    return rows


@dataclass
class Box:
    """A bordered box on screen: a pane or a dialog."""

    screen: "Screen"
    top: int
    left: int
    right: int
    bottom: int
    title: str
    #: None while a toast covers the bottom border
    subtitle: str | None

    @property
    def inner(self) -> list[str]:
        return [self.screen.text(y, self.left + 1, self.right) for y in range(self.top + 1, self.bottom)]

    def bg(self, y: int, x: int) -> str:
        return self.screen.cell(self.top + 1 + y, self.left + 1 + x).bg

    @property
    def corner_fg(self) -> str:
        return self.screen.cell(self.top, self.left).fg

    @property
    def truncated(self) -> bool:
        return self.title.endswith("…")

    def title_parts(self) -> list[str]:
        return self.title.split(" · ")


_PANE_TITLE = re.compile(r"^([1-7]) (" + "|".join(re.escape(t) for t in PANES.values()) + ")")
_ERROR_ROW = re.compile(r"^\s?(\d\d:\d\d:\d\d)\s+(FATAL|ERROR|WARN|INFO|DEBUG)\s+(\S+)")
_ALERT_ROW = re.compile(r"^\s?(CRIT|HIGH|MED|LOW|INFO)\s+(.+?)\s{2,}(\S+)\s+(active|unrouted|part-ack|acked\b.*?|esc [0-9:]+|incident #[0-9]+)\s*$")


@dataclass(frozen=True)
class AlertRow:
    index: int  # inner row
    severity: str
    service: str
    title: str  # as shown (cut with …)
    status: str


class Screen:
    def __init__(self, raw: str, at: float) -> None:
        self.raw = raw
        self.at = at  # time.time() when captured
        self.cells = parse_capture(raw)
        self.lines = ["".join(c.ch for c in row) for row in self.cells]

    def cell(self, y: int, x: int) -> Cell:
        if 0 <= y < len(self.cells) and 0 <= x < len(self.cells[y]):
            return self.cells[y][x]
        return Cell(" ", "", "")

    def text(self, y: int, x0: int = 0, x1: int | None = None) -> str:
        line = self.lines[y] if 0 <= y < len(self.lines) else ""
        return line[x0:x1].replace(WIDE, "")

    @property
    def plain(self) -> str:
        return "\n".join(line.replace(WIDE, "").rstrip() for line in self.lines)

    def __str__(self) -> str:
        return self.plain

    # ---- boxes

    def boxes(self) -> list[Box]:
        found = []
        for y, line in enumerate(self.lines):
            for m in re.finditer("╭─", line):
                left = m.start()
                right = line.find("╮", left)
                if right < 0 or "╭" in line[left + 1 : right]:
                    continue  # a box drawn over another one's title
                bottom = next((yy for yy in range(y + 1, len(self.lines))
                               if len(self.lines[yy]) > left and self.lines[yy][left] == "╰"), None)
                if bottom is None:
                    continue
                title = line[left + 2 : right].replace(WIDE, "").strip().rstrip("─").strip()
                border = self.text(bottom, left + 1, right)
                # a toast drawn over the bottom border hides the subtitle: unknown (so does
                # a lone ▌, a toast's last row: the console redraws the screen once a toast
                # goes, and Wait gives a covered screen up to one toast's lifetime more)
                covered = "▌" in border
                subtitle = None if covered else border.replace("▌", "").strip("─ ")
                found.append(Box(self, y, left, right, bottom, title, subtitle))
        return found

    def pane_boxes(self) -> dict[int, Box]:
        panes = {}
        for box in self.boxes():
            m = _PANE_TITLE.match(box.title)
            if m:
                panes[int(m.group(1))] = box
        return panes

    def pane(self, number: int) -> Box | None:
        return self.pane_boxes().get(number)

    def modal(self) -> str | None:
        """The dialog on top, if any: "help", "ack", "declare", "palette" or "detail"."""
        if "Search for commands" in self.plain:
            return "palette"
        for box in self.boxes():
            if _PANE_TITLE.match(box.title):
                continue
            if box.title.startswith("Keys"):
                return "help"
            if box.title.startswith("Acknowledge"):
                return "ack"
            if box.title.startswith("Declare an incident"):
                return "declare"
            if box.title.startswith("war room"):
                return "war room"
            return "detail"
        return None

    def has_box(self, prefix: str) -> bool:
        """A box (pane, dialog or war room part) whose title starts with `prefix`."""
        return any(b.title.startswith(prefix) for b in self.boxes())

    def modal_box(self) -> Box | None:
        return next((b for b in self.boxes() if not _PANE_TITLE.match(b.title)), None)

    def help_text(self) -> str:
        box = self.modal_box()
        return "\n".join(box.inner) if box is not None and box.title.startswith("Keys") else ""

    def focused_pane(self) -> int | None:
        """The pane whose border is drawn in the focus colour: the one of its kind."""
        panes = self.pane_boxes()
        if len(panes) == 1:
            return next(iter(panes))
        colours: dict[str, list[int]] = {}
        for number, box in panes.items():
            colours.setdefault(box.corner_fg, []).append(number)
        odd = [numbers for numbers in colours.values() if len(numbers) == 1]
        return odd[0][0] if len(odd) == 1 and len(colours) == 2 else None

    @property
    def header(self) -> str:
        return self.text(0)

    def toasts(self) -> str:
        """The text of every toast on screen (a toast's left edge is ▌), joined."""
        parts = []
        for y, line in enumerate(self.lines):
            x = line.find("▌")
            if x >= 0:
                parts.append(self.text(y, x + 1).strip(" │╮╯─▆▇█▃▂▁▄▅"))
        return " ".join(p for p in parts if p)

    def has_toast(self) -> bool:
        """A toast's left edge is a column of ▌ at least three rows tall (a lone ▌ left
        on a border row is not a toast)."""
        edges = [(y, line.find("▌")) for y, line in enumerate(self.lines) if "▌" in line]
        return any((y + 1, x) in edges and (y + 2, x) in edges for y, x in edges)

    def has_toast_edge(self) -> bool:
        """Any ▌ on screen: a toast, or a row of one (which still covers what is under it)."""
        return any("▌" in line for line in self.lines)

    # ---- pane contents

    def error_rows(self, box: Box) -> list[tuple[str, str, str]]:
        """(HH:MM:SS, level, service) of the error pane's rows on screen, top first."""
        return [(m.group(1), m.group(2), m.group(3)) for line in box.inner if (m := _ERROR_ROW.match(line))]

    def alert_rows(self, box: Box) -> list[AlertRow]:
        rows = []
        for i, line in enumerate(box.inner):
            m = _ALERT_ROW.match(line)
            if not m:
                continue
            what = m.group(2).split(" — acked by", 1)[0]
            service, _, title = what.partition(" · ")
            rows.append(AlertRow(i, m.group(1), service.strip(), title.strip().rstrip("…").strip(), m.group(4).strip()))
        return rows

    def cursor_row(self, box: Box, rows: list[AlertRow]) -> AlertRow | None:
        """The row drawn in the cursor's colours: the only one whose background differs
        from the table's (the rows and the blank lines below them)."""
        if not rows:
            return None
        # the table's own background: that of the blank lines below the rows (one row
        # and one blank line tie on a count), else the most common among the rows
        blank = [box.bg(i, 0) for i in range(rows[-1].index + 1, len(box.inner))]
        backgrounds = blank or [box.bg(r.index, 0) for r in rows]
        if len(backgrounds) < (1 if blank else 2):
            return None
        normal = max(set(backgrounds), key=backgrounds.count)
        marked = [r for r in rows if box.bg(r.index, 0) != normal]
        return marked[0] if len(marked) == 1 else None


def subtitle_has(box: Box | None, text: str) -> bool:
    return box is not None and box.subtitle is not None and text in box.subtitle


def subtitle_lacks(box: Box | None, text: str) -> bool:
    return box is not None and box.subtitle is not None and text not in box.subtitle


def error_title_state(box: Box) -> dict[str, Any]:
    """What the error pane's title says: held, paused, narrowed (levels, services, text)."""
    parts = box.title_parts()
    narrowed = [p for p in parts[1:] if _NARROWED.search(p)]
    return {
        "held": "HELD" in box.title,
        "paused": "PAUSED" in box.title,
        "stale": "STALE" in box.title or "NO DATA" in box.title,
        "narrowed": " ".join(narrowed) if narrowed else None,
        "truncated": box.truncated,
    }


# --------------------------------------------------------------------------- the demo's events


class DemoEvents:
    """The events the demo's Elasticsearch holds, for the follow check: the test asks the
    data source which events exist (as a test against a real backend would ask it), and
    checks what the pane shows. The demo is a pure function of (seed, time, start); the
    console's start is only known to lie between two instants, so a 10 s bucket counts
    only with the events it has for both (on the ramps a later start has fewer events,
    and the smaller set is a prefix of the larger)."""

    def __init__(self, started_lo: float, started_hi: float) -> None:
        from obsconsole.sources.demo import logs
        from obsconsole.sources.demo.curves import Timeline

        self._logs = logs
        self._timelines = (Timeline(SEED, started_lo, INCIDENT_AFTER_S), Timeline(SEED, started_hi, INCIDENT_AFTER_S))

    def newest_before(self, ts: float) -> datetime | None:
        """The newest event certainly there at or before `ts` (unix seconds)."""
        bucket = math.floor(ts / self._logs.BUCKET_S)
        for b in range(bucket, bucket - 360, -1):
            a, c = (self._logs.bucket_events(tl, b) for tl in self._timelines)
            both = {e.id for e in a} & {e.id for e in c}
            times = [e.timestamp for e in a if e.id in both and e.timestamp.timestamp() <= ts]
            if times:
                return max(times)
        return None


def shown_time(hms: str, around: float) -> datetime:
    """An HH:MM:SS (UTC) on screen as the instant nearest to `around`."""
    base = datetime.fromtimestamp(around, UTC)
    h, m, s = (int(x) for x in hms.split(":"))
    candidates = [(base + timedelta(days=d)).replace(hour=h, minute=m, second=s, microsecond=0) for d in (-1, 0, 1)]
    return min(candidates, key=lambda c: abs(c.timestamp() - around))


# --------------------------------------------------------------------------- tmux


class Terminal:
    """A private tmux server running one command in a cols×rows pane."""

    def __init__(self, name: str, cols: int, rows: int, work: Path) -> None:
        self.socket = f"obsconsole-walk-{os.getpid()}-{name}"
        self.cols, self.rows = cols, rows
        self.raw_path = work / "terminal.raw"
        self.started = False
        self.pid = 0

    def tmux(self, *args: str, check: bool = True) -> str:
        run = subprocess.run(["tmux", "-u", "-L", self.socket, "-f", "/dev/null", *args],
                             capture_output=True, text=True, timeout=20)
        if check and run.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {run.stderr.strip()}")
        return run.stdout

    def start(self, argv: list[str], env: dict[str, str]) -> float:
        """Start the command; return time.time() just before it could run."""
        gate = f"{self.socket}-go"
        command = (f"tmux -L {shlex.quote(self.socket)} wait-for {shlex.quote(gate)} && cd {shlex.quote(str(REPO_ROOT))} && exec env -i "
                   + " ".join(shlex.quote(f"{k}={v}") for k, v in env.items()) + " "
                   + " ".join(shlex.quote(a) for a in argv))
        self.tmux("start-server", ";",
                  "set-option", "-g", "exit-empty", "off", ";",
                  "set-option", "-g", "default-terminal", "tmux-256color", ";",
                  "set-option", "-g", "remain-on-exit", "on", ";",
                  "set-option", "-g", "status", "off", ";",
                  "set-option", "-g", "set-clipboard", "on", ";",
                  "set-option", "-g", "history-limit", "5000", ";",
                  "new-session", "-d", "-s", "walk", "-x", str(self.cols), "-y", str(self.rows), command)
        self.started = True
        self.tmux("pipe-pane", "-t", "walk", "-o", f"cat >> {shlex.quote(str(self.raw_path))}")
        size, pid = self.tmux("display-message", "-p", "-t", "walk", "#{pane_width}x#{pane_height} #{pane_pid}").split()
        assert size == f"{self.cols}x{self.rows}", f"the tmux pane is {size}"
        self.pid = int(pid)
        before = time.time()
        self.tmux("wait-for", "-S", gate)
        return before

    def send(self, key: str) -> None:
        self.tmux("send-keys", "-t", "walk", key)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "walk", "-l", text)

    def capture(self) -> Screen:
        at = time.time()
        return Screen(self.tmux("capture-pane", "-p", "-e", "-N", "-t", "walk"), at)

    def running(self) -> bool:
        """The console's process is there (no tmux call: this is asked at every poll)."""
        try:
            state = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        return state != "Z"

    def output_size(self) -> int:
        try:
            return self.raw_path.stat().st_size
        except FileNotFoundError:
            return 0

    def dead(self) -> tuple[bool, str | None]:
        """(exited, how: "status N" or "signal N")."""
        out = self.tmux("display-message", "-p", "-t", "walk", "#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}").strip().split("|")
        if out[0] != "1":
            return False, None
        # the pane dies when its output closes; the exit status follows when tmux reaps
        status, signal = (out + ["", ""])[1:3]
        return True, (f"status {status}" if status else f"signal {signal}" if signal else None)

    def clipboard(self) -> str:
        return self.tmux("show-buffer", check=False)

    def raw(self) -> bytes:
        try:
            return self.raw_path.read_bytes()
        except FileNotFoundError:
            return b""

    def kill(self) -> None:
        if self.started:
            self.tmux("kill-server", check=False)
            self.started = False


# --------------------------------------------------------------------------- the walk


@dataclass
class Problem:
    kind: str
    message: str
    screen: str
    count: int = 1


@dataclass
class Walk:
    """One console at one size, walked through the incident."""

    cols: int
    rows: int
    work: Path
    env: dict[str, str]
    problems: list[Problem] = field(default_factory=list)
    pressed: set[str] = field(default_factory=set)
    #: the war room was walked through (once per walk)
    war_room_done: bool = False
    follow_checks: int = 0
    follow_checks_in_burst: int = 0
    held_checks: int = 0
    acks: int = 0
    seen_firing_at: float | None = None
    seen_burst: bool = False
    seen_recovered_at: float | None = None
    disturbed_at: float = 0.0
    last_key: str = ""
    last_error_key: str = "(none yet)"
    last_screen: Screen | None = None
    last_size: int = -1
    logged_bytes: int = 0
    events: DemoEvents | None = None
    started_at: float = 0.0
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        self.term = Terminal(f"{self.cols}x{self.rows}", self.cols, self.rows, self.work)
        self.app_log = self.work / "app.log"
        self.status_path = self.work / "status"
        self.name = f"{self.cols}×{self.rows}"

    @property
    def compact(self) -> bool:
        return self.cols < 100 or self.rows < 30

    # ------------------------------------------------------------------ reporting

    def problem(self, kind: str, message: str, screen: Screen | str | None, once: bool = False) -> None:
        """Record a failure: the first message and screen of each distinct message (of
        each kind, when `once`: its messages differ by the times they name)."""
        for p in self.problems:
            if p.kind == kind and (once or p.message == message):
                p.count += 1
                return
        self.problems.append(Problem(kind, message, str(screen) if screen is not None else ""))

    def report(self) -> str:
        out = [f"==== {self.name}: {len(self.problems)} distinct failure(s)"]
        for p in self.problems:
            out.append(f"--- {p.kind} (seen {p.count}×): {p.message}")
            if p.screen:
                out.append(p.screen)
        return "\n".join(out)

    def note(self, text: str) -> None:
        self.log.append(f"{time.time() - self.started_at:6.1f}s {text}")

    # ------------------------------------------------------------------ looking

    def look(self) -> Screen:
        """Read the screen and check what must always hold. The screen is read again
        only when the console wrote something since (or after RECAPTURE_S): polling
        must not take the CPU the consoles need."""
        if not self.term.running():
            deadline = time.monotonic() + 5
            while (status := self.term.dead()[1]) is None and time.monotonic() < deadline:
                time.sleep(POLL_S)  # tmux reaps the process: its exit status follows
            raise Fatal(f"the console exited ({status or 'exit status not known yet'}) after {self.last_key!r}")
        size = self.term.output_size()
        last = self.last_screen
        if last is not None and size == self.last_size and time.time() - last.at < RECAPTURE_S:
            return last
        screen = self.term.capture()
        self.last_screen, self.last_size = screen, size
        text = screen.plain
        if CRASH_RE.search(text):
            self.problem("crash report on screen", "a traceback / exception report is on screen", screen)
        if "internal:" in text:
            self.problem("internal error", "a pane shows an internal error (a bug in the console)", screen)
        size = self.app_log.stat().st_size if self.app_log.exists() else 0
        if size > self.logged_bytes:
            logged = self.app_log.read_bytes()[self.logged_bytes:].decode("utf-8", "replace")
            self.logged_bytes = size
            self.problem("logged error", f"the console logged (after {self.last_key!r}):\n{logged[:3000]}", screen)
        self.observe(screen)
        return screen

    def observe(self, screen: Screen) -> None:
        """The incident's progress, and the follow check on the error pane."""
        if screen.modal() is not None:
            return
        panes = screen.pane_boxes()
        alerts = panes.get(5)
        if alerts is not None and not alerts.truncated and "PAUSED" not in alerts.title:
            rows = screen.alert_rows(alerts)
            firing = [r for r in rows if r.service == "aigym-api" and r.severity in ("HIGH", "MED", "CRIT")]
            if firing and self.seen_firing_at is None:
                self.seen_firing_at = screen.at
                self.note("alerts firing")
            if (rows and not firing and self.seen_firing_at is not None and self.seen_recovered_at is None
                    and screen.at - self.started_at > INCIDENT_END_S):
                self.seen_recovered_at = screen.at
                self.note("alerts resolved")
        errors = panes.get(3)
        if errors is not None:
            rows = screen.error_rows(errors)
            if sum(1 for r in rows if r[2] == "aigym-api") >= 5:
                self.seen_burst = True
            self.check_follow(screen, errors, rows)

    def check_follow(self, screen: Screen, box: Box, rows: list[tuple[str, str, str]], confirm: bool = False) -> None:
        state = error_title_state(box)
        if (state["held"] or state["paused"] or state["stale"] or state["narrowed"] or state["truncated"]
                or box.subtitle is None or "filter:" in box.subtitle or "sorted by" in box.subtitle
                or " PAUSED " in screen.header or not rows or self.events is None):
            return
        if screen.at - self.disturbed_at < LAG_S:
            return
        newest = self.events.newest_before(screen.at - LAG_S)
        if newest is None:
            return
        top = shown_time(rows[0][0], screen.at)
        if not confirm:
            self.follow_checks += 1
            if self.seen_firing_at is not None and self.seen_recovered_at is None:
                self.follow_checks_in_burst += 1
        if top < newest.replace(microsecond=0) and not confirm:
            # tmux may hand over a frame half drawn: a failure must hold on the next one
            again = self.term.capture()
            box2 = again.pane(3)
            if box2 is not None and again.modal() is None:
                self.check_follow(again, box2, again.error_rows(box2), confirm=True)
            return
        if top < newest.replace(microsecond=0):
            self.problem(
                "error pane not following",
                f"the title does not say HELD, yet the top row ({rows[0][0]}) is older than the event of "
                f"{newest:%H:%M:%S} that arrived more than {LAG_S:g} s before this screen "
                f"(captured {datetime.fromtimestamp(screen.at, UTC):%H:%M:%S} UTC); last key in the pane: {self.last_error_key}",
                screen,
                once=True,
            )

    def wait(self, what: str, condition: Callable[[Screen], T], timeout: float = KEY_TIMEOUT_S) -> T:
        """Poll the screen until condition(screen) is truthy; Stuck after the deadline.

        Time a toast spends on screen does not count (it may cover what is looked for, and
        a CRITICAL toast stays 30 s), up to one toast's lifetime more."""
        start = time.monotonic()
        deadline = start + timeout
        while True:
            screen = self.look()
            result = condition(screen)
            if result:
                return result
            now = time.monotonic()
            if screen.has_toast_edge():
                deadline = min(max(deadline, now + POLL_S), start + timeout + TOAST_TIMEOUT_S)
            if now > deadline:
                raise Stuck(f"waited {now - start:.0f} s for {what} (after {self.last_key!r})", screen)
            time.sleep(POLL_S)

    # ------------------------------------------------------------------ keys

    def press(self, binding: str, pane: int | None = None) -> None:
        key = KEYS[binding]
        self.pressed.add(binding.removesuffix(".colon"))
        self.last_key = f"{binding} ({key})"
        if pane == 3 or binding.startswith("errors."):
            self.last_error_key = self.last_key
        self.term.send(key)

    def toasts_away(self, k: int) -> None:
        """Clear the screen of toasts before reading the alert rows: on the plain overview
        (not maximised) esc dismisses them (a CRITICAL one stays 30 s); maximised, esc
        would restore the grid, so the walk waits for them to go."""
        if self.compact or k % 2 == 0:
            for _ in range(3):
                if not self.look().has_toast():
                    return
                self.pressed.add("pane.restore")
                self.term.send("Escape")
                with contextlib.suppress(Stuck):
                    self.wait("esc: the toasts dismissed", lambda s: not s.has_toast(), 3)
        self.wait("the toasts to go", lambda s: not s.has_toast(), TOAST_TIMEOUT_S)

    def dismiss_toasts(self, kind: str, focused: int) -> None:
        """esc on the overview, with no filter and nothing maximised, dismisses the toasts."""
        self.pressed.add("pane.restore")
        self.last_key = "pane.restore (Escape: the toasts)"
        self.term.send("Escape")
        self.check(kind, "esc: the toasts dismissed, the focus kept",
                   lambda s: not s.has_toast() and s.focused_pane() == focused)

    def no_modal(self, what: str = "the dialog to close") -> Screen:
        return self.wait(what, lambda s: s if s.modal() is None else None)

    def check(self, kind: str, what: str, condition: Callable[[Screen], Any], timeout: float = KEY_TIMEOUT_S) -> bool:
        """Wait for a required effect; a miss is a failure of the console, recorded."""
        try:
            self.wait(what, condition, timeout)
            return True
        except Stuck as exc:
            self.problem(kind, str(exc), exc.screen)
            return False

    @staticmethod
    def typing(screen: Screen) -> bool:
        """A text box has the focus: the footer then shows none of the overview's keys
        (only the palette's)."""
        footer = screen.text(len(screen.lines) - 1)
        return screen.modal() is None and not any(word in footer for word in ("Pause", "Keys", "Quit"))

    def clean(self, n: int | None = None) -> None:
        """Back to the overview with nothing open, pane n unfiltered and not paused (after
        a step went wrong, so that one failure does not cascade): escape, or P."""
        for _ in range(6):
            screen = self.look()
            box = screen.pane(n) if n is not None else None
            if screen.modal() is not None or self.typing(screen) or subtitle_has(box, "filter:"):
                self.term.send("Escape")
            elif box is not None and "PAUSED" in box.title:
                self.term.send(KEYS["pane.pause"])
            else:
                return
            with contextlib.suppress(Stuck):
                self.wait("the screen to change", lambda s, before=screen.plain: s.plain != before, 3)
        self.problem("stuck", f"could not get back to a clean overview (pane {n})", self.look())

    def step(self, what: str, action: Callable[[], None], n: int | None = None) -> None:
        """One step of the walk: a Stuck is recorded, then the screen cleaned up."""
        try:
            action()
        except Stuck as exc:
            self.problem("stuck", f"{what}: {exc}", exc.screen)
        self.clean(n)

    def help(self, expect: str) -> None:
        """`?` shows the keys (with `expect`, paging down to it on a small screen),
        Escape closes them: also a barrier, since keys are handled in order."""
        self.press("app.help")
        self.help_shows(expect)
        self.press("pane.restore")
        self.no_modal("the help to close")

    def help_shows(self, expect: str) -> bool:
        """The help is open and shows `expect`. On a small screen the help scrolls, and
        a pane's section may be below: then only the help itself is checked (the pane
        shown alone already says which one has the focus)."""
        screen = self.wait("the help", lambda s: s if s.modal() == "help" else None)
        if expect in screen.help_text():
            return True
        if self.compact and expect.startswith("In the "):
            return True
        screen = self.look()
        if expect in screen.help_text():
            return True
        self.problem("help", f"the help does not show {expect!r} (after {self.last_key!r})", screen)
        return False

    # ------------------------------------------------------------------ the walk

    def run(self) -> None:
        self.started_at = time.time()
        try:
            self.start()
            rounds = 0
            while True:
                self.round(rounds)
                rounds += 1
                elapsed = time.time() - self.started_at
                self.note(f"round {rounds} done")
                if self.seen_recovered_at is not None:
                    break
                if elapsed > RECOVERED_BY_S:
                    self.problem("no recovery", f"the alerts had not resolved {elapsed:.0f} s after the start "
                                 f"(firing seen: {self.seen_firing_at is not None})", self.look())
                    break
            self.final_checks()
            self.quit()
        except Fatal as exc:
            self.problem("console exited", str(exc), self.after_exit_screen())
        except Stuck as exc:
            self.problem("stuck", str(exc), exc.screen)
        except Exception:
            self.problem("walk error", traceback.format_exc(), None)

    def after_exit_screen(self) -> str:
        with contextlib.suppress(Exception):
            return self.term.tmux("capture-pane", "-p", "-t", "walk", "-S", "-200")
        return ""

    def start(self) -> None:
        config = self.work / "config.yaml"
        config.write_text(yaml.safe_dump({
            "audit_log": str(self.work / "audit.jsonl"),
            "contexts": {"demo": {"demo": {"seed": SEED, "incident_after": f"{INCIDENT_AFTER_S:g}s"}}},
        }))
        argv = [sys.executable, "-c", LAUNCHER, str(self.app_log), str(self.status_path), "--config", str(config), "run"]
        ready = self.work / "ready"
        lo = self.term.start(argv, {**self.env, "OBSCONSOLE_READY_FILE": str(ready)})
        self.started_at = lo
        first = self.wait("every pane's first data (the ready file)", lambda s: s if ready.exists() else None, 30)
        # the demo platform was made before the first frame: its start lies in [lo, first]
        self.events = DemoEvents(lo, first.at)
        self.disturbed_at = first.at
        if self.compact:
            self.check("tab strip", "one pane at a time with the tab strip of every pane",
                       lambda s: len(s.pane_boxes()) == 1 and tab_strip_ok(s.text(1)), TOAST_TIMEOUT_S)
        else:
            # (a toast over a border hides that pane's box until it goes)
            self.check("grid", "every pane", lambda s: sorted(s.pane_boxes()) == list(NUMBERS), TOAST_TIMEOUT_S)

    def round(self, k: int) -> None:
        self.note(f"round {k + 1}")
        self.step("the app's keys", lambda: self.global_keys(k))
        maximised = not self.compact and k % 2 == 1
        for i, n in enumerate(NUMBERS):
            if self.seen_recovered_at is not None and self.seen_recovered_at < time.time() - 1:
                self.note(f"recovered: the walk ends before pane {n}")
                return
            self.step(f"focus pane {n}", lambda: self.focus(n, i, k), n)
            if maximised:
                self.step(f"maximise pane {n}", lambda: self.maximise(n), n)
            self.pane_keys(n, k, strict=self.compact or maximised)
            if maximised:
                self.step(f"restore from pane {n}", lambda: self.restore("pane.maximize"), n)
            elif not self.compact and n == 2:
                self.step("m then escape", lambda: (self.maximise(n), self.restore("pane.restore")), n)
            elif self.compact:
                self.step("m and escape in one-pane mode", lambda: self.single_pane_zoom(n), n)

    def maximise(self, n: int) -> None:
        self.press("pane.maximize")
        self.check("maximise", f"m: pane {n} alone on screen", lambda s: list(s.pane_boxes()) == [n])

    def restore(self, binding: str) -> None:
        self.press(binding)
        self.check("restore", f"{KEYS[binding]}: every pane again", lambda s: len(s.pane_boxes()) == len(NUMBERS))

    def single_pane_zoom(self, n: int) -> None:
        """One pane fills the screen already: m and escape keep it there."""
        self.press("pane.maximize")
        self.help(f"In the {PANES[n]} pane")
        self.press("pane.restore")
        self.help(f"In the {PANES[n]} pane")
        self.check("single pane", f"pane {n} still the one shown", lambda s: list(s.pane_boxes()) == [n])

    def focus(self, n: int, step: int, k: int) -> None:
        """Focus pane n: by its number, or tab from the previous one and shift+tab back
        and tab again (every other pane, the others in the next round)."""
        if step == 0 or (n + k) % 2 == 0 or (k == 0 and n == NUMBERS[-1]):
            # (the last pane by its number in the first round: a walk may end early)
            self.press(f"pane.focus-{n}")
        else:
            self.press("pane.next")
            self.check("focus", f"tab: pane {n} focused", lambda s: s.focused_pane() == n)
            self.press("pane.previous")
            self.check("focus", f"shift+tab: pane {n - 1} focused", lambda s: s.focused_pane() == n - 1)
            self.press("pane.next")
        self.check("focus", f"pane {n} focused", lambda s: s.focused_pane() == n)
        if self.compact:
            self.check("tab strip", f"pane {n} alone, under the tab strip",
                       lambda s: list(s.pane_boxes()) == [n] and tab_strip_ok(s.text(1), n))
        self.help(f"In the {PANES[n]} pane")

    def global_keys(self, k: int) -> None:
        self.press("app.refresh")
        self.check("refresh", "the refresh toast", lambda s: "Refreshing every pane now" in s.toasts())
        self.press("app.pause")
        self.check("pause", "the header to say PAUSED", lambda s: " PAUSED " in s.header)
        self.press("app.pause")
        self.check("pause", "the header to drop PAUSED", lambda s: " PAUSED " not in s.header)
        self.disturbed_at = time.time()
        for binding in ("app.palette", "app.palette.colon"):
            self.press(binding)
            self.check("palette", "the command palette", lambda s: s.modal() == "palette")
            self.press("pane.restore")
            self.no_modal("the palette to close")
        self.help("Everywhere")

    # ------------------------------------------------------------------ in a pane

    def pane_keys(self, n: int, k: int, strict: bool) -> None:
        if n == 5 and k == 0:
            # 5, a, Enter: the ack before any cursor key, as at the start of an incident
            self.step("alert pane keys", lambda: self.alert_keys(k), n)
        self.step(f"pane {n}: cursor keys", lambda: self.navigate(n), n)
        self.step(f"pane {n}: detail", lambda: self.detail(n), n)
        self.step(f"pane {n}: filter", lambda: self.search(n), n)
        self.step(f"pane {n}: pause", lambda: self.pane_pause(n), n)
        self.step(f"pane {n}: sort", lambda: self.sort(n), n)
        if n == 3:
            self.step("error pane keys", lambda: self.error_keys(k, strict), n)
        elif n == 5 and k > 0:
            self.step("alert pane keys", lambda: self.alert_keys(k), n)
        elif n == 6:
            self.step("security pane keys", self.security_keys, n)
        elif n == 7 and not self.war_room_done:
            self.step("war room keys", self.war_room_keys, n)

    def war_room_keys(self) -> None:
        """w on the open incident: its war room; every key of it once (each change a
        toast: Done, or FAILED when the demo's script changed the incident first), then
        escape back to the overview."""
        box = self.look().pane(7)
        if box is None or any("no open incident" in line for line in box.inner):
            return  # not declared yet: the next round comes back
        self.press("table.top", 7)
        self.press("incidents.war-room", 7)
        self.check("war room", "w: the war room", lambda s: s.has_box("war room · incident #") and s.has_box("timeline"))
        note = f"walk note {self.name}"
        asks = (("warroom.note", "Note on incident", note, "note added"),
                ("warroom.status", "Status of incident", "", "status "),
                ("warroom.commander", "Commander of incident", "", "commander →"),
                ("warroom.severity", "Severity of incident", "", "severity "))
        for binding, title, text, toast in asks:
            self.press(binding)
            self.check("war room", f"{KEYS[binding]}: the dialog “{title}”", lambda s, t=title: s.has_box(t))
            if text:
                self.term.type(text)
            self.term.send("Enter")
            self.war_room_toast(binding, toast)
            if binding == "warroom.note":
                # the newest row (the timeline follows it): on screen at 80×24 too
                self.check("war room", "the note on the timeline", lambda s: f"note: {note}" in s.plain, TOAST_TIMEOUT_S)
        self.press("warroom.link")
        self.war_room_toast("warroom.link", ("linked", "left to link"))
        self.term.send("Tab")  # to the linked alerts
        self.press("warroom.unlink")
        self.war_room_toast("warroom.unlink", ("unlinked", "Select a linked alert"))
        self.press("warroom.back")
        self.check("war room", "escape: back to the overview", lambda s: s.pane(7) is not None and not s.has_box("war room"))
        self.war_room_done = True

    def war_room_toast(self, binding: str, words: str | tuple[str, ...]) -> None:
        """The toast an action's result shows (Done, or FAILED: the demo's script may
        change the incident first), then escape dismisses it and the war room stays."""
        words = (words,) if isinstance(words, str) else words
        self.check("war room", f"{KEYS[binding]}: its toast ({' / '.join(words)})",
                   lambda s: any(w in s.toasts() for w in words), TOAST_TIMEOUT_S)
        self.press("warroom.back")
        self.check("war room", "escape: the toasts dismissed, still in the war room",
                   lambda s: not s.has_toast_edge() and s.has_box("war room · incident #"))

    def navigate(self, n: int) -> None:
        for binding in NAVIGATION:
            self.press(binding, n)
        self.help(f"In the {PANES[n]} pane")
        if n == 3:
            # the cursor back on the first row: following again
            self.press("table.top", n)
            self.help(f"In the {PANES[n]} pane")

    def detail(self, n: int) -> None:
        box = self.look().pane(n)
        if box is not None and any("no open incident" in line for line in box.inner):
            # an empty table: Enter opens nothing (the walk comes back when there is a row)
            self.press("table.detail", n)
            self.help(f"In the {PANES[n]} pane")
            if self.look().modal() not in (None, "help"):
                self.problem("detail", "Enter on an empty table opened a dialog", self.look())
            return
        self.press("table.detail", n)
        screen = self.wait("the detail of the row", lambda s: s if s.modal() == "detail" else None)
        box = screen.modal_box()
        subtitle = (box.subtitle if box else None) or ""
        # the dialog's own keys: ? lists them, y copies a link when there is one
        self.press("app.help")
        self.help_shows("In this dialog")
        self.press("pane.restore")
        self.check("help in a dialog", "escape: back to the detail", lambda s: s.modal() == "detail")
        if "y copy link" in subtitle:
            self.term.send("y")
            self.check("copy link", "the copied-link toast", lambda s: "copied" in s.toasts())
        self.press("pane.restore")
        self.no_modal("the detail to close")

    def search(self, n: int) -> None:
        text = FILTER_TEXT[n]
        self.press("pane.search", n)
        self.check("filter", f"/: the filter box in pane {n}", lambda s: (b := s.pane(n)) is not None and "filter rows" in "\n".join(b.inner))
        self.term.type(text)
        self.term.send("Enter")
        self.check("filter", f"Enter: pane {n}'s subtitle to say filter: {text}",
                   lambda s: subtitle_has(s.pane(n), f"filter: {text}"), TOAST_TIMEOUT_S)
        if n == 3:
            self.check("filter", f"the error pane's title to show the server search “{text}”",
                       lambda s: (b := s.pane(3)) is not None and (f"“{text}”" in b.title or b.truncated))
        self.press("pane.restore", n)
        self.check("filter", f"escape: pane {n}'s filter gone, the keys back on the table",
                   lambda s: subtitle_lacks(b := s.pane(n), "filter:")
                   and (n != 3 or "“" not in b.title) and not self.typing(s), TOAST_TIMEOUT_S)

    def pane_pause(self, n: int) -> None:
        self.press("pane.pause", n)
        self.check("pane pause", f"pane {n}'s title to say PAUSED", lambda s: (b := s.pane(n)) is not None and ("PAUSED" in b.title or b.truncated))
        self.press("pane.pause", n)
        self.check("pane pause", f"pane {n}'s title to drop PAUSED", lambda s: (b := s.pane(n)) is not None and "PAUSED" not in b.title)
        if n == 3:
            self.disturbed_at = time.time()

    def sort(self, n: int) -> None:
        self.press("pane.sort", n)
        first = self.wait(f"o: pane {n}'s subtitle to say sorted by",
                          lambda s: b if subtitle_has(b := s.pane(n), "sorted by") else None, TOAST_TIMEOUT_S)
        arrow = "↑" if "↓" in (first.subtitle or "") else "↓"
        self.press("pane.sort-reverse", n)
        self.check("sort", f"O: the sort reversed ({arrow})", lambda s: subtitle_has(s.pane(n), arrow), TOAST_TIMEOUT_S)
        before = ""
        for _ in range(12):  # more than any pane has columns
            box = self.wait(f"pane {n}'s subtitle", lambda s: b if (b := s.pane(n)) is not None and b.subtitle is not None else None,
                            TOAST_TIMEOUT_S)
            if "sorted by" not in box.subtitle:
                break
            before = box.subtitle
            self.press("pane.sort", n)
            self.wait("o: the next column, or the pane's own order",
                      lambda s, before=before: (b := s.pane(n)) is not None and b.subtitle is not None and b.subtitle != before,
                      TOAST_TIMEOUT_S)
        else:
            self.problem("sort", f"o did not come back to pane {n}'s own order (last: {before})", self.look())

    # ------------------------------------------------------------------ the error stream

    def error_title(self, predicate: Callable[[dict[str, Any]], bool], strict: bool) -> Callable[[Screen], bool]:
        """The error pane's title satisfies predicate; when not strict (a pane in the
        120×40 grid, whose title may be cut), a cut title passes unread."""
        def condition(s: Screen) -> bool:
            box = s.pane(3)
            if box is None:
                return False
            if box.truncated:
                return not strict
            return predicate(error_title_state(box))
        return condition

    def error_keys(self, k: int, strict: bool) -> None:
        for expected in LEVEL_CYCLE:
            self.press("errors.level", 3)
            self.check("level filter", f"l: the title to show the level filter {expected}",
                       self.error_title(lambda st, e=expected: st["narrowed"] == e, strict))
        seen: list[str | None] = [None]
        for _ in range(len(SERVICES) + 2):
            self.press("errors.service", 3)
            if not strict:
                continue
            state = self.wait("s: the title to show the next service (or every service again)",
                              lambda s, before=seen[-1]: (b := s.pane(3)) is not None and not b.truncated
                              and (st := error_title_state(b))["narrowed"] != before and [st["narrowed"]])
            seen.append(state[0])
            if state[0] is None:
                break
        else:
            if strict:
                self.problem("service filter", f"s did not come back to every service: {seen}", self.look())
        if strict and not all(s in SERVICES for s in seen[1:-1]):
            self.problem("service filter", f"s showed {seen}, not the demo's services {SERVICES}", self.look())
        if not strict:
            # as many s as the cycle may be long: back to every service, the title says
            self.help(f"In the {PANES[3]} pane")
            for _ in range(len(SERVICES) + 1):
                box = self.look().pane(3)
                if box is None or box.truncated or error_title_state(box)["narrowed"] is None:
                    break
                before = box.title
                self.press("errors.service", 3)
                self.wait("s: the next service", lambda s, before=before: (b := s.pane(3)) is not None and b.title != before)
        # f and f again: in the grid, also with the pane maximised, where the title has room
        for zoom in ((False, True) if not strict else (False,)):
            if zoom:
                self.maximise(3)
            exact = strict or zoom
            self.press("errors.follow", 3)
            if self.check("follow", "f: the title to say HELD", self.error_title(lambda st: st["held"], exact)):
                box = self.look().pane(3)
                if box is not None and not box.truncated:
                    self.held_checks += 1
            self.press("errors.follow", 3)
            self.check("follow", "f again: the title to stop saying HELD", self.error_title(lambda st: not st["held"], exact))
            if zoom:
                self.restore("pane.maximize")
        # y copies the selected event's trace id (the demo's are 32 hex digits)
        self.press("errors.copy", 3)
        if self.check("copy", "y: the copied toast", lambda s: "copied" in s.toasts()):
            copied = self.term.clipboard()
            if not re.fullmatch(r"[0-9a-f]{32}", copied):
                self.problem("copy", f"y put {copied[:200]!r} on the clipboard, not a trace id", self.look())
            self.dismiss_toasts("copy", 3)
        if not strict:
            self.help(f"In the {PANES[3]} pane")

    # ------------------------------------------------------------------ alerts

    def alert_keys(self, k: int) -> None:
        self.toasts_away(k)
        screen = self.look()
        rows = screen.alert_rows(screen.pane(5)) if screen.pane(5) else []
        if not rows:
            self.problem("alerts", "no alert group to ack (the demo always has one)", screen)
            return
        # first round: the cursor where it is (5 then a, as a user does); then other rows,
        # but not a group of the incident while it may resolve under the ack
        if k > 0:
            elapsed = time.time() - self.started_at
            late = INCIDENT_AFTER_S + 90 < elapsed < INCIDENT_END_S + 40
            calm = [i for i, r in enumerate(rows) if r.service != "aigym-api"]
            index = calm[0] if late and calm else k % len(rows)
            self.press("table.top", 5)
            for _ in range(index):
                self.press("table.down", 5)
            self.help(f"In the {PANES[5]} pane")
        target = self.wait("the highlighted alert group",
                           lambda s: (b := s.pane(5)) is not None and s.cursor_row(b, s.alert_rows(b)))
        if k == 0:
            # an untouched cursor stays on the first row: during the incident, the most
            # urgent group
            elapsed = time.time() - self.started_at
            firing = INCIDENT_AFTER_S + 30 < elapsed < INCIDENT_AFTER_S + 110
            first = self.look().alert_rows(self.look().pane(5))[:1]
            expected = ("HIGH", "aigym-api", "API error rate") if firing else None
            if (first and target != first[0]) or (expected and (target.severity, target.service, target.title[:14]) != expected):
                self.problem("ack target", f"5 without a cursor key: the highlighted group is {target}, "
                             f"not the first row {first[0] if first else None}" + (f" {expected}" if expected else ""), self.look())
        acked_before = {(r.service, r.title) for r in rows if r.status.startswith("acked")}
        self.note(f"ack {target.service} · {target.title}")
        self.press("alerts.ack", 5)
        dialog = self.wait("the ack dialog", lambda s: s if s.modal() == "ack" else None)
        self.check_ack_target(dialog, target)
        # the dialog's keys: ? lists them, tab moves between its fields, escape cancels
        self.press("app.help")
        self.help_shows("In this dialog")
        self.press("pane.restore")
        self.check("help in a dialog", "escape: back to the ack dialog", lambda s: s.modal() == "ack")
        self.term.send("Tab")
        self.press("pane.restore")
        after = self.no_modal("escape: the ack dialog cancelled")
        acked_after = {(r.service, r.title) for r in after.alert_rows(after.pane(5)) if r.status.startswith("acked")}
        if acked_after - acked_before:
            self.problem("ack", f"escape cancelled the ack dialog, yet {sorted(acked_after - acked_before)} show acked", after)
        # i: the declare dialog names the group; escape cancels it (nothing declared)
        self.press("alerts.declare", 5)
        declare = self.wait("the declare dialog", lambda s: s if s.modal() == "declare" else None)
        inner = "\n".join(declare.modal_box().inner) if declare.modal_box() else ""
        if target.service not in inner:
            self.problem("declare", f"the declare dialog does not name {target.service}", declare)
        self.press("pane.restore")
        self.no_modal("escape: the declare dialog cancelled")
        # a, then Enter: acked
        self.press("alerts.ack", 5)
        dialog = self.wait("the ack dialog", lambda s: s if s.modal() == "ack" else None)
        self.check_ack_target(dialog, target)
        self.term.send("Enter")
        self.no_modal("Enter: the ack dialog closes")
        if not self.action_toast("ack", f"acked {target.service}/", target):
            return
        self.acks += 1
        self.toasts_away(k)
        shown = self.wait(f"the group {target.service} · {target.title} shown acked (or resolved)",
                          lambda s: s if self.gone(s, target) or any(
                              r.service == target.service and r.title == target.title and r.status.startswith("acked")
                              for r in s.alert_rows(s.pane(5))) else None)
        if self.gone(shown, target):
            self.note("the acked group resolved")
            return
        acked = {(r.service, r.title) for r in shown.alert_rows(shown.pane(5)) if r.status.startswith("acked")}
        if acked - acked_before != {(target.service, target.title)}:
            self.problem("ack", f"acked {target.service} · {target.title}, yet these show acked: {sorted(acked)}", shown)
        # e extends, A expires
        self.press("alerts.extend", 5)
        if not self.action_toast("extend", "ack extended to", target):
            return
        self.press("alerts.unack", 5)
        if not self.action_toast("unack", f"ack expired for {target.service}/", target):
            return
        self.toasts_away(k)
        self.check("unack", f"the group {target.service} · {target.title} no longer acked",
                   lambda s: not any(r.service == target.service and r.title == target.title and r.status.startswith("acked")
                                     for r in s.alert_rows(s.pane(5))))
        # s: the group's service in the error stream (focus moves there), then back to all
        self.press("alerts.service", 5)
        self.check("alert service", f"s: the error pane focused, narrowed to {target.service}",
                   lambda s: s.focused_pane() == 3 and (b := s.pane(3)) is not None
                   and (b.truncated or error_title_state(b)["narrowed"] == target.service))
        for _ in range(len(SERVICES) + 2):
            box3 = self.look().pane(3)
            if box3 is not None and error_title_state(box3)["narrowed"] is None and not box3.truncated:
                break
            before = box3.title if box3 else ""
            self.press("errors.service", 3)
            self.wait("s: the next service", lambda s, before=before: (b := s.pane(3)) is not None and b.title != before)
        self.press("pane.focus-5")
        self.check("focus", "pane 5 focused", lambda s: s.focused_pane() == 5)

    @staticmethod
    def gone(screen: Screen, target: AlertRow) -> bool:
        """The group is no longer listed (resolved): its ack cannot be shown."""
        box = screen.pane(5)
        if box is None or screen.modal() is not None or box.truncated:
            return False
        rows = screen.alert_rows(box)
        return bool(rows) and not any(r.service == target.service and r.title == target.title for r in rows)

    def action_toast(self, kind: str, success: str, target: AlertRow) -> bool:
        """The toast an ack action must show: `success`, or FAILED, which is a failure
        of the console unless the group resolved meanwhile."""
        screen = self.wait(f"the toast: {success}…", lambda s: s if success in s.toasts() or "FAILED" in s.toasts() else None)
        if success in screen.toasts():
            return True
        self.wait("the FAILED toast to go", lambda s: not s.has_toast(), 70)
        if self.gone(self.look(), target):
            self.note(f"{kind}: the group resolved meanwhile")
        else:
            self.problem(kind, f"{kind} of {target.service} · {target.title} reported FAILED", screen)
        return False

    def check_ack_target(self, dialog: Screen, target: AlertRow) -> None:
        box = dialog.modal_box()
        first = box.inner[0].strip() if box else ""
        # "[Acknowledge SEV ]service/category: title"
        m = re.search(r"(\S+)/\S+: (.+)$", first)
        service, title = (m.group(1), m.group(2)) if m else ("", "")
        if service != target.service or not title.startswith(target.title):
            self.problem("ack target", f"the highlighted group is {target.service} · {target.title}…, "
                         f"the ack dialog is for {first!r}", dialog)

    # ------------------------------------------------------------------ security

    def security_keys(self) -> None:
        self.press("security.top", 6)
        self.check("top 10", "t: the title to say top … of 24 h", lambda s: (b := s.pane(6)) is not None and ("of 24 h" in b.title or b.truncated))
        self.press("security.top", 6)
        self.check("top 10", "t again: the events", lambda s: (b := s.pane(6)) is not None and "of 24 h" not in b.title)

    # ------------------------------------------------------------------ the end

    def final_checks(self) -> None:
        if self.seen_firing_at is None:
            self.problem("incident", "the alerts pane never showed the aigym-api alerts firing", None)
        if not self.seen_burst:
            self.problem("incident", "the error pane never showed the aigym-api burst", None)
        if self.follow_checks_in_burst == 0:
            self.problem("follow check", f"the error pane could not be checked during the burst ({self.follow_checks} checks in all)", None)
        if self.held_checks == 0:
            self.problem("follow", "HELD after f was never seen", None)
        if self.acks == 0:
            self.problem("ack", "no ack was confirmed", None)

    def quit(self) -> None:
        self.press("app.quit")
        deadline = time.monotonic() + 15
        while (ended := self.term.dead())[1] is None:
            if ended[0] and self.status_path.exists():
                # the pane is dead and main() wrote its status: tmux may not reap it soon
                ended = (True, f"status {self.status_path.read_text().strip()}")
                break
            if time.monotonic() > deadline:
                self.problem("quit", f"q: the console {'ended, status unknown' if ended[0] else 'still runs'} 15 s later",
                             self.term.capture())
                return
            time.sleep(POLL_S)
        status = ended[1]
        after = self.after_exit()
        if status != "status 0":
            self.problem("exit status", f"q: the console ended with {status}, not status 0", after)
        if after.strip():
            self.problem("output after exit", "the console printed after it left the screen", after)
        size = self.app_log.stat().st_size if self.app_log.exists() else 0
        if size > self.logged_bytes:
            logged = self.app_log.read_bytes()[self.logged_bytes:].decode("utf-8", "replace")
            self.problem("logged error", f"the console logged while it shut down:\n{logged[:3000]}", after)

    def after_exit(self) -> str:
        """What the console wrote after it left the alternate screen (nothing, unless it
        crashed), as text."""
        raw = self.term.raw()
        cut = raw.rfind(b"\x1b[?1049l")
        tail = raw[cut + len(b"\x1b[?1049l"):] if cut >= 0 else raw
        return ANSI_RE.sub(b"", tail).decode("utf-8", "replace").replace("\r", "")

    def close(self) -> None:
        self.term.kill()


# --------------------------------------------------------------------------- tests


def test_the_walk_presses_every_action_of_the_table() -> None:
    from obsconsole.ui.actions import ACTIONS

    missing = sorted(a.id for a in ACTIONS if a.id not in KEYS)
    assert missing == [], f"the walkthrough does not press {missing}: add them to KEYS and to the walk"


@pytest.fixture
def walks(tmp_path: Path, isolated_env: Path) -> Iterator[list[Walk]]:
    require("tmux")  # skips, or fails under CI, naming the Debian package
    # the console gets only these (env -i): no TEXTUAL_*, COLORTERM or NO_COLOR from outside
    env = {k: os.environ[k] for k in ("HOME", "PATH", "USER", "XDG_CONFIG_HOME", "XDG_STATE_HOME") if k in os.environ}
    env.update(LANG="C.UTF-8", TERM="tmux-256color", TZ="UTC")
    made = [Walk(cols, rows, tmp_path / f"{cols}x{rows}", env) for cols, rows in SIZES]
    try:
        yield made
    finally:
        for walk in made:
            walk.close()


@pytest.mark.timeout(WALK_BUDGET_S + 25)
def test_every_key_through_the_whole_incident_at_120x40_and_80x24(walks: list[Walk]) -> None:
    threads = [threading.Thread(target=w.run, name=w.name, daemon=True) for w in walks]
    for t in threads:
        t.start()
    deadline = time.monotonic() + WALK_BUDGET_S
    for t, w in zip(threads, walks):
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():
            w.problem("overtime", f"the walk at {w.name} took more than {WALK_BUDGET_S:g} s", None)
    for w in walks:
        print(f"--- {w.name}\n" + "\n".join(w.log))
        never = sorted(set(KEYS) - {k.removesuffix('.colon') for k in w.pressed} - {"app.palette.colon"})
        if never:
            w.problem("keys not pressed", f"the walk never pressed {never}", None)
    failures = [w.report() for w in walks if w.problems]
    assert not failures, "\n\n".join(failures)
