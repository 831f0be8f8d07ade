"""Make text from backends inert before it reaches the screen.

Log lines and alert annotations are written by whoever can make a service log something:
they may carry terminal escape sequences (move the cursor, set the window title, write
the clipboard with OSC 52), Rich markup, bidi overrides that reorder what is displayed,
megabyte-long lines or invalid UTF-8. `inert()` turns any such value into a
`rich.text.Text` that displays as literal characters:

- every C0/C1 control character (ESC, BEL, CSI 0x9b, …) becomes its visible Control
  Picture (ESC → ␛), so `ESC [2J` is shown as `␛[2J` and is no longer a sequence;
- bidi embedding/override/isolate marks are shown as `⟨U+202E⟩`;
- Rich markup is never parsed (a `Text` is built from the plain string);
- values longer than `max_len` are cut, with a marker saying how much was cut;
- bytes are decoded as UTF-8 with invalid sequences replaced by U+FFFD, and lone
  surrogates are replaced too (they cannot be encoded to the terminal).
"""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text

#: Cell-sized default: panes show one line per event.
DEFAULT_MAX_LEN = 500

_BIDI = (
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _build_table(keep_newlines: bool) -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x20):
        table[code] = chr(0x2400 + code)  # ␀ … ␟
    table[0x7F] = "\u2421"  # ␡
    for code in range(0x80, 0xA0):
        table[code] = f"⟨{code:02X}⟩"
    for ch in _BIDI:
        table[ord(ch)] = f"⟨U+{ord(ch):04X}⟩"
    table[0x09] = " "  # a tab is harmless but its width is not: one space
    if keep_newlines:
        table[0x0A] = "\n"
    else:
        table[0x0A] = "\u23ce"  # ⏎: one event, one line
    table[0x0D] = "\u240d" if not keep_newlines else ""
    # line/paragraph separators would break a row too
    table[0x2028] = "\u23ce" if not keep_newlines else "\n"
    table[0x2029] = "\u23ce" if not keep_newlines else "\n"
    return table


_ONE_LINE = _build_table(keep_newlines=False)
_MULTI_LINE = _build_table(keep_newlines=True)


def to_str(value: Any) -> str:
    """Any backend value as a str, never raising: bytes decoded leniently, None as ''."""
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    if not isinstance(value, str):
        try:
            value = str(value)
        except Exception:  # a hostile __str__ must not break rendering
            return "⟨unprintable⟩"
    return value


def clean(value: Any, max_len: int = DEFAULT_MAX_LEN, *, multiline: bool = False) -> str:
    """The inert plain string (see module docstring)."""
    text = to_str(value)
    cut = 0
    if max_len >= 0 and len(text) > max_len:
        cut = len(text) - max_len
        text = text[:max_len]
    # lone surrogates (e.g. from surrogateescape decoding) cannot be written out
    if _has_surrogates(text):
        text = _SURROGATE.sub("\ufffd", text)
    text = text.translate(_MULTI_LINE if multiline else _ONE_LINE)
    if cut:
        text += f" … [+{cut:,} chars]"
    return text


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def inert(
    value: Any,
    style: str = "",
    max_len: int = DEFAULT_MAX_LEN,
    *,
    multiline: bool = False,
) -> Text:
    """A `Text` showing `value` literally, in `style` (see module docstring)."""
    return Text(clean(value, max_len, multiline=multiline), style=style, no_wrap=not multiline)


def inert_cell(value: Any, width: int, style: str = "") -> Text:
    """`inert` for a table cell: cut to `width` cells with an ellipsis. Only a bounded
    prefix is ever processed, so a megabyte-long value costs no more than a short one."""
    text = inert(value, style, max_len=max(64, width * 4))
    text.truncate(max(1, width), overflow="ellipsis")
    return text
