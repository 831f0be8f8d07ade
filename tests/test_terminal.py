"""Fewer bytes, the same screen: `squeeze` must leave every cell in the style Textual's
own output gives it. The oracle is a small terminal model written here (full SGR
semantics, cursor moves), fed Textual's frames and their squeezed form."""

from __future__ import annotations

import io
import random
import re

import pytest
from rich.console import Console

from obsconsole.ui.terminal import squeeze
from tests.helpers import NARROW, WIDE, frozen_demo_app, running, settle, wait_until

# ------------------------------------------------------------------ a terminal model

_OFF = {"22": {"1", "2"}, "23": {"3"}, "24": {"4", "21"}, "25": {"5", "6"}, "27": {"7"}, "28": {"8"}, "29": {"9"}}
#: the terminal's style before the first byte: unknown, and distinct from every other
UNKNOWN = (frozenset({"?"}), "?", "?", ())


def screen_of(stream: str) -> dict[tuple[int, int], tuple[str, tuple]]:
    """Each cell written: its character and the style it was written in."""
    attrs, fg, bg, other = set(UNKNOWN[0]), UNKNOWN[1], UNKNOWN[2], list(UNKNOWN[3])
    row = col = 0
    cells: dict[tuple[int, int], tuple[str, tuple]] = {}
    for m in re.finditer(r"\x1b\[([0-9;]*)m|\x1b\[(\d*);?(\d*)H|(\n)|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[[0-9;?]*[@-~]|([^\x1b\n])", stream):
        sgr, r, c, lf, ch = m.groups()
        if sgr is not None:
            codes = sgr.split(";")
            i = 0
            while i < len(codes):
                code = codes[i]
                if code in ("", "0"):
                    attrs, fg, bg, other = set(), "", "", []
                elif code in _OFF:
                    attrs -= _OFF[code]
                elif code in ("38", "48", "58"):
                    n = 3 if codes[i + 1] == "5" else 5
                    value = ";".join(codes[i:i + n])
                    i += n - 1
                    if code == "38":
                        fg = value
                    elif code == "48":
                        bg = value
                    else:
                        other.append(value)
                elif code == "39":
                    fg = ""
                elif code == "49":
                    bg = ""
                elif 30 <= int(code) <= 37 or 90 <= int(code) <= 97:
                    fg = code
                elif 40 <= int(code) <= 47 or 100 <= int(code) <= 107:
                    bg = code
                else:
                    attrs.add(code)
                i += 1
        elif r is not None and m.group(0).endswith("H"):
            row, col = int(r or 1) - 1, int(c or 1) - 1
        elif lf:
            row += 1
        elif ch is not None:
            cells[(row, col)] = (ch, (frozenset(attrs), fg, bg, tuple(other)))
            col += 1
    return cells


def same_screen(raw: str) -> str:
    squeezed = squeeze(raw)
    assert screen_of(squeezed) == screen_of(raw)
    return squeezed


# ------------------------------------------------------------------ written out


@pytest.mark.parametrize(
    "raw, expected",
    [
        # a run of one style: sent once
        ("\x1b[0m\x1b[38;5;203;48;5;16m▆\x1b[0m\x1b[38;5;203;48;5;16m▆\x1b[0m",
         "\x1b[0;38;5;203;48;5;16m▆▆\x1b[0m"),
        # only the colour that changes is sent
        ("\x1b[0m\x1b[38;5;188;48;5;16m \x1b[0m\x1b[38;5;244;48;5;16m10:40\x1b[0m",
         "\x1b[0;38;5;188;48;5;16m \x1b[38;5;244m10:40\x1b[0m"),
        # an attribute added is added; one dropped needs a reset
        ("\x1b[0m\x1b[38;5;1mA\x1b[0m\x1b[1;38;5;1mB\x1b[0m\x1b[38;5;1mC\x1b[0m",
         "\x1b[0;38;5;1mA\x1b[1mB\x1b[0;38;5;1mC\x1b[0m"),
        # cursor moves and line feeds keep the style; the default colour is 39/49
        ("\x1b[0m\x1b[31;44mA\x1b[0m\n\x1b[2;1H\x1b[31;44mB\x1b[0m\x1b[44mC\x1b[0m",
         "\x1b[0;31;44mA\n\x1b[2;1HB\x1b[39mC\x1b[0m"),
        # an erase uses the background: the reset comes first
        ("\x1b[0m\x1b[44mA\x1b[0m\x1b[K\x1b[44mB\x1b[0m",
         "\x1b[0;44mA\x1b[0m\x1b[K\x1b[44mB\x1b[0m"),
        # a hyperlink's OSC 8 draws nothing: the run goes on through it
        ("\x1b[0m\x1b[34mA\x1b[0m\x1b]8;id=1;https://x\x1b\\\x1b[34mB\x1b[0m\x1b]8;;\x1b\\",
         "\x1b[0;34mA\x1b]8;id=1;https://x\x1b\\B\x1b]8;;\x1b\\\x1b[0m"),
        # a first style not preceded by a reset builds on what the terminal had: as sent
        ("\x1b[1mA\x1b[0m\x1b[1mB", "\x1b[1mA\x1b[0;1mB"),
        # a code not understood (underline colour) is passed as it is, after settling
        ("\x1b[0m\x1b[4;58;5;9mA\x1b[0m\x1b[4mB\x1b[0m",
         "\x1b[0m\x1b[4;58;5;9mA\x1b[0;4mB\x1b[0m"),
        # truecolour
        ("\x1b[0m\x1b[38;2;1;2;3;48;2;4;5;6mA\x1b[0m\x1b[38;2;9;9;9;48;2;4;5;6mB\x1b[0m",
         "\x1b[0;38;2;1;2;3;48;2;4;5;6mA\x1b[38;2;9;9;9mB\x1b[0m"),
        # nothing to squeeze
        ("plain", "plain"),
    ],
)
def test_squeeze_sends_what_changes_and_the_screen_is_the_same(raw: str, expected: str) -> None:
    assert same_screen(raw) == expected


def test_random_runs_of_styles_draw_the_same_screen() -> None:
    rng = random.Random(7)
    pieces = ["1", "2", "3", "4", "7", "9", "21", "53", "31", "39", "42", "49", "38;5;203", "48;5;16",
              "38;2;10;20;30", "48;2;1;1;1", "0", "", "22", "27", "58;5;3", "95", "105"]
    for _ in range(400):
        out = []
        for _ in range(rng.randint(1, 30)):
            roll = rng.random()
            if roll < 0.5:
                out.append("\x1b[" + ";".join(rng.sample(pieces, rng.randint(1, 3))) + "m")
            elif roll < 0.6:
                out.append(f"\x1b[{rng.randint(1, 5)};{rng.randint(1, 9)}H")
            elif roll < 0.65:
                out.append(rng.choice(["\n", "\x1b[K", "\x1b]8;;\x1b\\", "\x1b[?25l"]))
            else:
                out.append(rng.choice(["a", "bc", " ", "▆▆", "é"]))
        same_screen("".join(out))


# ------------------------------------------------------------------ Textual's own frames


def frame(app, color_system: str) -> str:
    """The bytes Textual writes to redraw the whole screen, in that colour system."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system=color_system, legacy_windows=False)
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    return update.render_segments(console)


@pytest.mark.parametrize("size", [WIDE, NARROW], ids=["120x40", "80x24"])
async def test_the_demo_during_the_incident_draws_the_same_in_fewer_bytes(size) -> None:
    app = frozen_demo_app(elapsed_s=60)
    async with running(app, size) as pilot:
        await settle(pilot)
        await pilot.press("5")  # the alerts pane: runbook links (OSC 8), the cursor row
        await wait_until(pilot, lambda: app.overview.active_pane == "alerts", "the alerts pane focused")
        for system in ("256", "truecolor"):
            raw = frame(app, system)
            assert len(same_screen(raw)) < 0.7 * len(raw), (system, len(squeeze(raw)), len(raw))
        await pilot.press("enter")  # the group's detail: its runbook is a link (OSC 8)
        await wait_until(pilot, lambda: "\x1b]8;" in frame(app, "256"), "the runbook link drawn")
        raw = frame(app, "256")
        assert len(same_screen(raw)) < 0.7 * len(raw)
