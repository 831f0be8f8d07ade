"""Fewer bytes to the terminal: the console runs over SSH, often on slow links.

Textual writes every segment as `ESC[0m ESC[<full style>m text`: a table row of eleven
cells carries eleven resets and eleven full colour sequences, and adjacent cells of the
same colour repeat it. `squeeze` rewrites one frame so the terminal ends up in the same
state, cell for cell: a style already in effect is not sent again, a change of colour
sends only what changed, and a reset is sent only before text (or a sequence) that needs
the default style. Anything it does not understand is passed through with the style state
forgotten, so the worst case is Textual's own output.

`terminal_driver()` is Textual's Linux driver with each write squeezed.
"""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.driver import Driver

#: an SGR sequence | what neither draws nor uses the style: a cursor position, a line
#: feed (Textual never feeds a line on the last row, so no background fill scrolls in),
#: an OSC (title, hyperlink, clipboard) | any other escape sequence (an erase uses the
#: background: the style is settled first) | text
_TOKEN = re.compile(
    r"(\x1b\[[0-9;]*m)"
    r"|(\x1b\[[0-9]*(?:;[0-9]*)?H|\n|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\))"
    r"|(\x1b\[[0-9;?<=>]*[ -/]*[@-~]|\x1b[^\[\]])"
    r"|([^\x1b\n]+|\x1b)"
)

_ATTRS = frozenset({"1", "2", "3", "4", "5", "6", "7", "8", "9", "21", "51", "52", "53"})

#: attributes, foreground, background ("" = the terminal's default colour)
Style = tuple[frozenset[str], str, str]
DEFAULT: Style = (frozenset(), "", "")
RESET = "\x1b[0m"


def _apply(params: str, base: Style) -> Style | None:
    """The style after SGR `params` on top of `base`; None if a code is not understood
    (underline colours, attribute-off codes…): then the sequence is passed as it is."""
    attrs, fg, bg = set(base[0]), base[1], base[2]
    codes = params.split(";")
    i = 0
    while i < len(codes):
        code = codes[i]
        if code in ("", "0"):
            attrs, fg, bg = set(), "", ""
        elif code in _ATTRS:
            attrs.add(code)
        elif code in ("38", "48"):
            if i + 2 < len(codes) and codes[i + 1] == "5":
                value, i = ";".join(codes[i:i + 3]), i + 2
            elif i + 4 < len(codes) and codes[i + 1] == "2":
                value, i = ";".join(codes[i:i + 5]), i + 4
            else:
                return None
            if code == "38":
                fg = value
            else:
                bg = value
        elif code == "39":
            fg = ""
        elif code == "49":
            bg = ""
        elif code.isdigit() and (30 <= int(code) <= 37 or 90 <= int(code) <= 97):
            fg = code
        elif code.isdigit() and (40 <= int(code) <= 47 or 100 <= int(code) <= 107):
            bg = code
        else:
            return None
        i += 1
    return frozenset(attrs), fg, bg


def _transition(now: Style, target: Style) -> str:
    """The shortest SGR taking the terminal from `now` to `target`."""
    if now[0] <= target[0]:
        codes = sorted(target[0] - now[0], key=int)
        if target[1] != now[1]:
            codes.append(target[1] or "39")
        if target[2] != now[2]:
            codes.append(target[2] or "49")
        return f"\x1b[{';'.join(codes)}m"
    codes = ["0", *sorted(target[0], key=int)] + [c for c in (target[1], target[2]) if c]
    return f"\x1b[{';'.join(codes)}m"


def squeeze(frame: str) -> str:
    """`frame` with the redundant style sequences left out (see the module's text)."""
    out: list[str] = []
    # `now`: the terminal's style; `wanted`: the style the frame has asked for so far.
    # None is "not known": at the start of every frame (something else may have written
    # in between) and after a sequence not understood, which is then passed as it is.
    now: Style | None = None
    wanted: Style | None = None

    def settle() -> None:
        """Bring the terminal to the wanted style, before text or another sequence."""
        nonlocal now
        if wanted is None or wanted == now:
            return
        if wanted == DEFAULT:
            out.append(RESET)
        elif now is None:
            out.append(_transition(DEFAULT, wanted).replace("\x1b[", "\x1b[0;", 1))
        else:
            out.append(_transition(now, wanted))
        now = wanted

    for sgr, move, other, text in _TOKEN.findall(frame):
        if sgr:
            params = sgr[2:-1]
            if wanted is not None:
                after = _apply(params, wanted)
            elif params.split(";")[0] in ("", "0"):  # a reset makes the rest known
                after = _apply(params, DEFAULT)
            else:
                after = None
            if after is None:
                settle()
                out.append(sgr)
                now = wanted = None
            else:
                wanted = after
        elif move:
            out.append(move)
        else:
            settle()
            out.append(other or text)
    settle()  # end the frame in the style the frame left
    return "".join(out)


def terminal_driver() -> "type[Driver] | None":
    """Textual's Linux driver with every frame squeezed before it is written (one write
    is one frame, so nothing is held back); None (Textual's choice) elsewhere."""
    if sys.platform == "win32" or os.environ.get("TEXTUAL_DRIVER"):
        return None
    from textual.drivers.linux_driver import LinuxDriver

    class SqueezingDriver(LinuxDriver):
        def write(self, data: str) -> None:
            super().write(squeeze(data))

    return SqueezingDriver
