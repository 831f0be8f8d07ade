"""The hostile-text corpus (tests/data/hostile/) and the checks on what reaches a terminal.

`entries()` gives every corpus string (the 1 MB line built at load time, not stored);
`INVALID_UTF8` the raw bytes no decoder should choke on. `leaks(raw)` lists what of the
corpus reached a terminal's byte stream *as control sequences*: an inert console shows
ESC as the visible ␛ (U+241B), so the corpus's own sequences never appear verbatim.
"""

from __future__ import annotations

import re

import json
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent / "data" / "hostile"
INVALID_UTF8: bytes = (HERE / "invalid-utf8.bin").read_bytes()

#: sequences a console must never emit on behalf of data (Textual itself uses none of
#: these: it draws with CSI cursor/colour sequences only)
NEVER: dict[str, bytes] = {
    "OSC 0/2 window title": b"\x1b]0;",
    "OSC 2 window title": b"\x1b]2;",
    "OSC 52 clipboard write": b"\x1b]52;",
    "OSC 8 hyperlink": b"\x1b]8;",
    "DCS string": b"\x1bP",
    "8-bit CSI": "\u009b".encode(),
    "right-to-left override": "\u202e".encode(),
    "right-to-left isolate": "\u2067".encode(),
}


@dataclass(frozen=True)
class Entry:
    name: str
    why: str
    text: str


def entries() -> list[Entry]:
    data = json.loads((HERE / "corpus.json").read_text())
    out = []
    for raw in data["entries"]:
        if "text" in raw:
            text = raw["text"]
        elif "json" in raw:
            text = json.loads(raw["json"])
        else:
            text = raw["repeat"] * raw["times"]
        out.append(Entry(raw["name"], raw["why"], text))
    return out


def by_name(name: str) -> str:
    return next(e.text for e in entries() if e.name == name)


def short() -> list[Entry]:
    """The corpus without the 1 MB line (for fields shown in narrow cells)."""
    return [e for e in entries() if len(e.text) < 10_000]


def _control_runs(text: str) -> list[bytes]:
    """Each control character of `text` with what follows it (up to 12 characters): the
    byte strings that would act on a terminal if written verbatim. Runs shorter than 8
    characters (a bare `ESC [0m` at the end of a string) are left out: Textual writes
    those itself, so only runs carrying the corpus's own payload identify a leak."""
    runs = []
    for i, ch in enumerate(text):
        code = ord(ch)
        if len(text) - i < 8:
            break
        if code < 0x20 and ch not in "\t\n" or 0x7F <= code < 0xA0:
            try:
                runs.append(text[i : i + 12].encode("utf-8"))
            except UnicodeEncodeError:  # a lone surrogate: cannot be written at all
                continue
    return runs


#: the console's own sequences, which are not leaks: its terminal title (the state and the
#: context name, made inert) and its reset, and the links it draws for web addresses it
#: checked (printable ASCII only, nothing that could end the sequence early)
OWN = re.compile(
    rb"\x1b\]2;obsconsole \xc2\xb7 (?:OK|WARNING|CRITICAL|UNKNOWN) \xc2\xb7 [^\x00-\x1f\x7f]*?\x07"
    rb"|\x1b\]2;\x07"
    rb"|\x1b\]8;(?:id=[0-9]+)?;https?://[!-~]+?\x1b\\"
    rb"|\x1b\]8;;\x1b\\"
)


def leaks(raw: bytes) -> list[str]:
    """What in `raw` (a terminal's byte stream) came from the corpus as live control
    sequences, one description each; empty when everything was shown inert."""
    raw = OWN.sub(b"", raw)
    found = [f"{what}: {seq!r}" for what, seq in NEVER.items() if seq in raw]
    for entry in short():
        for run in _control_runs(entry.text):
            if run in raw:
                found.append(f"{entry.name}: {run!r}")
    return found
