"""Text from backends is shown literally and can never drive the terminal: escape
sequences, Rich markup, bidi overrides, huge lines and broken encodings are made inert
(obsconsole/logic/sanitize.py)."""

from __future__ import annotations

import io
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from obsconsole.logic.sanitize import DEFAULT_MAX_LEN, _build_table, clean, inert, inert_cell, to_str

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
C1 = [chr(c) for c in range(0x80, 0xA0)]
C0 = [chr(c) for c in range(0x20)] + ["\x7f"]


def control_chars(text: str, *, allow_newline: bool = False) -> list[str]:
    return [
        c
        for c in text
        if unicodedata.category(c) == "Cc" and not (allow_newline and c == "\n")
    ]


def surrogates(text: str) -> list[str]:
    return [c for c in text if 0xD800 <= ord(c) <= 0xDFFF]


def render(renderable: object, width: int = 200) -> str:
    """What a colourless terminal would receive."""
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system=None, width=width)
    console.print(renderable)
    return out.getvalue()


# --------------------------------------------------------------------------- escapes


@pytest.mark.parametrize(
    ("raw", "visible"),
    [
        ("\x1b[2J", "␛[2J"),  # clear screen
        ("\x1b[10;20H", "␛[10;20H"),  # cursor move
        ("\x1b[1A\x1b[2K", "␛[1A␛[2K"),  # cursor up, erase line
        ("\x1b]0;pwned\x07", "␛]0;pwned␇"),  # set window title
        ("\x1b]52;c;ZXZpbA==\x07", "␛]52;c;ZXZpbA==␇"),  # OSC 52: write the clipboard
        ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "␛]8;;http://evil␛\\link␛]8;;␛\\"),
        ("\x1bP+q544e\x1b\\", "␛P+q544e␛\\"),  # DCS (XTGETTCAP)
        ("\x1bc", "␛c"),  # full reset
    ],
)
def test_escape_sequences_are_shown_as_visible_characters(raw: str, visible: str) -> None:
    line = f"user said {raw} here"
    out = clean(line)
    assert out == f"user said {visible} here"
    assert "\x1b" not in out
    assert "␛" in out
    assert control_chars(out) == []


def test_an_8_bit_csi_is_made_visible() -> None:
    out = clean("x\x9b2Jy")
    assert out == "x⟨9B⟩2Jy"
    assert control_chars(out) == []


@pytest.mark.parametrize("char", C0 + C1)
def test_no_c0_or_c1_control_character_survives(char: str) -> None:
    assert control_chars(clean(f"a{char}b")) == []
    assert control_chars(clean(f"a{char}b", multiline=True), allow_newline=True) == []


def test_bell_backspace_and_carriage_return_cannot_rewrite_the_line() -> None:
    # "\r" would return the cursor and let the rest overwrite what was shown
    assert clean("ok\rFAKE\x08\x07") == "ok␍FAKE␈␇"


def test_rendering_a_hostile_line_writes_no_escape_to_the_terminal() -> None:
    hostile = "\x1b]0;pwned\x07\x1b[2J\x1b]52;c;ZXZpbA==\x07\x9b31m\x1bP1$r\x1b\\"
    out = render(inert(hostile))
    assert "\x1b" not in out
    assert "\x9b" not in out
    assert "\x07" not in out
    assert "␛]0;pwned␇" in out


# --------------------------------------------------------------------------- markup


def test_rich_markup_is_shown_literally_not_interpreted() -> None:
    text = inert("[bold red]x[/]")
    assert isinstance(text, Text)
    assert text.plain == "[bold red]x[/]"
    assert text.spans == []
    assert "[bold red]x[/]" in render(text)


def test_markup_like_link_tags_stay_text() -> None:
    text = inert("[link=http://evil]click[/link] [@click=app.quit]x[/]")
    assert text.plain == "[link=http://evil]click[/link] [@click=app.quit]x[/]"
    assert text.spans == []


def test_the_given_style_applies_to_the_whole_text() -> None:
    text = inert("[b]x", style="red")
    assert text.plain == "[b]x"
    assert text.style == "red"
    assert text.spans == []


# --------------------------------------------------------------------------- bidi


@pytest.mark.parametrize("mark", sorted(BIDI_CONTROLS))
def test_bidi_controls_are_neutralised_and_shown(mark: str) -> None:
    out = clean(f"invoice{mark}fdp.exe")
    assert mark not in out
    assert f"⟨U+{ord(mark):04X}⟩" in out


def test_a_right_to_left_override_cannot_disguise_a_filename() -> None:
    assert clean("evil\u202egnp.exe") == "evil⟨U+202E⟩gnp.exe"


# --------------------------------------------------------------------------- size


def test_a_megabyte_line_is_cut_with_a_marker_saying_how_much() -> None:
    line = "A" * 1_000_000
    out = clean(line)
    assert out.startswith("A" * DEFAULT_MAX_LEN)
    assert out.endswith(" … [+999,500 chars]")
    assert len(out) < DEFAULT_MAX_LEN + 40


def test_a_line_at_the_limit_is_not_cut() -> None:
    line = "B" * DEFAULT_MAX_LEN
    assert clean(line) == line


def test_only_the_kept_prefix_is_processed() -> None:
    # a megabyte of 8-bit CSIs would grow 4× if all of it were translated
    out = clean("\x9b" * 1_000_000, max_len=100)
    assert out.startswith("⟨9B⟩" * 100)
    assert len(out) < 100 * 4 + 40
    assert "\x9b" not in out


def test_a_custom_limit_is_honoured() -> None:
    assert clean("abcdef", max_len=3) == "abc … [+3 chars]"


def test_a_megabyte_cell_is_cut_to_the_cell_width() -> None:
    cell = inert_cell("\x1b" * 1_000_000, 40)
    assert cell.cell_len <= 40
    assert cell.plain.endswith("…")
    assert "\x1b" not in cell.plain


# --------------------------------------------------------------------------- encodings


def test_invalid_utf8_bytes_become_replacement_characters() -> None:
    assert clean(b"ok \xff\xfe bad") == "ok \ufffd\ufffd bad"


def test_bytes_with_escapes_are_decoded_then_made_inert() -> None:
    assert clean(b"\x1b[2Jhi") == "␛[2Jhi"
    assert clean(bytearray(b"\xc3\xa9t\xc3\xa9")) == "été"
    assert clean(memoryview(b"abc")) == "abc"


def test_lone_surrogates_are_replaced() -> None:
    assert clean("a\ud800b\udcff") == "a\ufffdb\ufffd"
    # the result can be written to a UTF-8 terminal
    clean("x\udc80").encode("utf-8")


def test_surrogateescaped_filesystem_bytes_are_replaced() -> None:
    raw = b"log \xff line".decode("utf-8", errors="surrogateescape")
    assert clean(raw) == "log \ufffd line"


def test_none_and_non_strings_are_shown_without_raising() -> None:
    assert clean(None) == ""
    assert clean(42) == "42"

    class Hostile:
        def __str__(self) -> str:
            raise RuntimeError("boom")

    assert clean(Hostile()) == "⟨unprintable⟩"
    assert to_str(None) == ""


# --------------------------------------------------------------------------- lines


def test_one_line_mode_shows_newlines_as_a_return_symbol() -> None:
    assert clean("first\nsecond") == "first⏎second"
    assert clean("a\u2028b\u2029c") == "a⏎b⏎c"
    assert clean("a\r\nb") == "a␍⏎b"


def test_multiline_mode_keeps_newlines() -> None:
    assert clean("first\nsecond", multiline=True) == "first\nsecond"
    assert clean("a\r\nb", multiline=True) == "a\nb"
    assert clean("a\u2028b", multiline=True) == "a\nb"


def test_tabs_become_one_space() -> None:
    assert clean("a\tb") == "a b"


def test_one_line_text_does_not_wrap_and_multiline_text_may() -> None:
    assert inert("x").no_wrap is True
    assert inert("x", multiline=True).no_wrap is False


def test_a_stack_trace_keeps_its_lines_in_multiline_mode() -> None:
    stack = 'Traceback:\n  File "x.py", line 1\n\x1b[31mValueError\x1b[0m'
    text = inert(stack, multiline=True, max_len=10_000)
    assert text.plain.split("\n") == [
        "Traceback:",
        '  File "x.py", line 1',
        "␛[31mValueError␛[0m",
    ]


# --------------------------------------------------------------------------- cells


def test_a_cell_is_cut_to_its_width_with_an_ellipsis() -> None:
    assert inert_cell("abcdefghij", 5).plain == "abcd…"
    assert inert_cell("abc", 5).plain == "abc"
    assert inert_cell("abcde", 5).plain == "abcde"


def test_a_cell_of_wide_characters_fits_its_width() -> None:
    cell = inert_cell("漢字漢字漢字漢字", 7)
    assert cell.cell_len <= 7
    assert cell.plain.endswith("…")


def test_a_cell_is_one_line() -> None:
    assert "\n" not in inert_cell("a\nb", 10).plain


def test_a_zero_width_cell_still_does_not_raise() -> None:
    assert inert_cell("abc", 0).cell_len <= 1


def test_a_cell_keeps_its_style_and_no_markup() -> None:
    cell = inert_cell("[red]x[/red]", 20, style="bold")
    assert cell.plain == "[red]x[/red]"
    assert cell.style == "bold"
    assert cell.spans == []


def test_a_limit_of_zero_keeps_only_the_marker_and_a_negative_limit_keeps_everything() -> None:
    assert clean("abc", max_len=0) == " … [+3 chars]"
    assert clean("abc", max_len=-1) == "abc"
    assert clean("x" * 1_000, max_len=-1) == "x" * 1_000


def test_inert_honours_its_limit_and_has_no_style_unless_given() -> None:
    text = inert("abcdef", max_len=3)
    assert text.plain == "abc … [+3 chars]"
    assert text.style == ""
    assert inert_cell("abc", 10).style == ""


def test_a_cell_of_stacked_combining_marks_is_bounded_and_says_it_was_cut() -> None:
    # "zalgo" text: few cells wide, but any number of characters. A cell processes at
    # most max(64, 4 × width) characters and shows how many it left out.
    wide = inert_cell("a" * 30 + "\u0301" * 150, 40)
    assert wide.plain == "a" * 30 + "\u0301" * 130 + " … [+20 c…"
    narrow = inert_cell("a" * 5 + "\u0301" * 100, 10)
    assert narrow.plain == "a" * 5 + "\u0301" * 59 + " … […"
    # within the bound nothing is cut
    assert inert_cell("a" * 30 + "\u0301" * 130, 40).plain == "a" * 30 + "\u0301" * 130


# --------------------------------------------------------------------------- the tables
# _build_table runs at import, so a mutation tool cannot reach it through clean():
# the tables are checked here directly, entry by entry.

C0_PICTURES = "␀␁␂␃␄␅␆␇␈␉␊␋␌␍␎␏␐␑␒␓␔␕␖␗␘␙␚␛␜␝␞␟"
C1_MARKS = (
    "⟨80⟩ ⟨81⟩ ⟨82⟩ ⟨83⟩ ⟨84⟩ ⟨85⟩ ⟨86⟩ ⟨87⟩ ⟨88⟩ ⟨89⟩ ⟨8A⟩ ⟨8B⟩ ⟨8C⟩ ⟨8D⟩ ⟨8E⟩ ⟨8F⟩ "
    "⟨90⟩ ⟨91⟩ ⟨92⟩ ⟨93⟩ ⟨94⟩ ⟨95⟩ ⟨96⟩ ⟨97⟩ ⟨98⟩ ⟨99⟩ ⟨9A⟩ ⟨9B⟩ ⟨9C⟩ ⟨9D⟩ ⟨9E⟩ ⟨9F⟩"
).split()
BIDI_MARKS = {
    0x061C: "⟨U+061C⟩", 0x200E: "⟨U+200E⟩", 0x200F: "⟨U+200F⟩", 0x202A: "⟨U+202A⟩",
    0x202B: "⟨U+202B⟩", 0x202C: "⟨U+202C⟩", 0x202D: "⟨U+202D⟩", 0x202E: "⟨U+202E⟩",
    0x2066: "⟨U+2066⟩", 0x2067: "⟨U+2067⟩", 0x2068: "⟨U+2068⟩", 0x2069: "⟨U+2069⟩",
}


def expected_table(*, tab: str, lf: str, cr: str, separator: str) -> dict[int, str]:
    table = {code: picture for code, picture in zip(range(0x20), C0_PICTURES)}
    table.update({0x7F: "␡", 0x09: tab, 0x0A: lf, 0x0D: cr, 0x2028: separator, 0x2029: separator})
    table.update({code: mark for code, mark in zip(range(0x80, 0xA0), C1_MARKS)})
    table.update(BIDI_MARKS)
    return table


def test_the_one_line_table_shows_every_control_and_folds_line_breaks() -> None:
    assert _build_table(keep_newlines=False) == expected_table(tab=" ", lf="⏎", cr="␍", separator="⏎")


def test_the_multiline_table_keeps_newlines_and_drops_carriage_returns() -> None:
    assert _build_table(keep_newlines=True) == expected_table(tab=" ", lf="\n", cr="", separator="\n")


def test_the_pictures_are_the_unicode_control_pictures() -> None:
    # the literal pictures above are U+2400..U+241F, and ␡ is U+2421
    assert [ord(c) for c in C0_PICTURES] == list(range(0x2400, 0x2420))
    assert len(C1_MARKS) == 32


# --------------------------------------------------------------------------- properties

#: characters an attacker would reach for, mixed into arbitrary text
HOSTILE = st.sampled_from(
    C0 + C1 + sorted(BIDI_CONTROLS) + ["\u2028", "\u2029", "\ud800", "\udfff", "\udc80", "[", "]", "/"]
)
ANY_TEXT = st.text(
    alphabet=st.one_of(st.characters(exclude_categories=()), HOSTILE), max_size=300
)
VALUES = st.one_of(ANY_TEXT, st.binary(max_size=300), st.none(), st.integers())

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_inert(out: str, *, multiline: bool) -> None:
    assert control_chars(out, allow_newline=multiline) == []
    assert not (BIDI_CONTROLS & set(out))
    assert surrogates(out) == []
    if not multiline:
        assert "\n" not in out and "\u2028" not in out and "\u2029" not in out
    out.encode("utf-8")  # writable to a UTF-8 terminal


@PROPERTY
@given(value=VALUES, max_len=st.integers(0, 400))
def test_clean_never_raises_and_leaves_nothing_that_controls_the_terminal(
    value: object, max_len: int
) -> None:
    assert_inert(clean(value, max_len), multiline=False)
    assert_inert(clean(value, max_len, multiline=True), multiline=True)


@PROPERTY
@given(value=VALUES, multiline=st.booleans())
def test_inert_text_is_inert(value: object, multiline: bool) -> None:
    text = inert(value, multiline=multiline)
    assert text.spans == []
    assert_inert(text.plain, multiline=multiline)


@PROPERTY
@given(value=VALUES, width=st.integers(0, 120))
def test_inert_cell_never_raises_and_fits_its_width(value: object, width: int) -> None:
    cell = inert_cell(value, width)
    assert cell.cell_len <= max(1, width)
    assert_inert(cell.plain, multiline=False)


@PROPERTY
@given(value=VALUES, multiline=st.booleans())
def test_rendering_inert_text_writes_no_escape_byte(value: object, multiline: bool) -> None:
    out = render(inert(value, multiline=multiline), width=80)
    assert "\x1b" not in out
    assert control_chars(out, allow_newline=True) == []


@PROPERTY
@given(value=ANY_TEXT)
def test_clean_text_is_already_clean(value: str) -> None:
    once = clean(value, max_len=10_000)
    # cleaning is idempotent on what it produces (nothing left to translate)
    assert clean(once, max_len=100_000) == once
