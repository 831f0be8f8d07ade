"""The validator's toolkit: where a value sits in the file (`_At`), the readers of
scalars, secrets and structure, and the gathering of problems (`_Problems`).

Validation is hand-written rather than pydantic: every error must name the exact key
path in the user's terms, and the console starts on every SSH login, so imports stay
light (yaml itself is imported only when a file is actually loaded).

Each section of the file is a *schema*: a mapping from YAML key to a *reader*. A reader
takes an `_At` (a value plus where it sits in the file) and returns the typed value or
fails with a ConfigError. Defaults live only in the dataclasses (`types`): the loader
passes just the keys the file sets (`_kwargs`), so a default is never written down twice.

The names here keep their leading underscore: they are the config package's own tools,
shared by its modules (`expand`, `sections`, `load`), not an API for the rest of the
program.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, NoReturn, Sequence
from urllib.parse import urlsplit

from obsconsole.config.errors import ConfigError
from obsconsole.logic.durations import parse_duration


# --------------------------------------------------------------------------- positions


@dataclass(frozen=True)
class _At:
    """A value of the document and where it is: the file, the directory relative paths
    are resolved against, and the dotted key path (`contexts.prod.alertmanager[1].url`)."""

    file: str
    base_dir: Path
    path: str
    value: Any

    def key(self, name: object, value: Any = None) -> _At:
        path = f"{self.path}.{name}" if self.path else str(name)
        return _At(self.file, self.base_dir, path, value)

    def index(self, i: int, value: Any = None) -> _At:
        return _At(self.file, self.base_dir, f"{self.path}[{i}]", value)

    def error(self, reason: str) -> ConfigError:
        return ConfigError(self.file, self.path, reason)

    def fail(self, reason: str) -> NoReturn:
        raise self.error(reason)


class _Problems:
    """Collects the mistakes of independent parts (the keys of a mapping, the items of a
    list) so that one run reports them all; `check()` raises them together."""

    def __init__(self) -> None:
        self.errors: list[ConfigError] = []

    def add(self, error: ConfigError) -> None:
        self.errors.append(error)

    def read(self, reader: Callable[[_At], Any], at: _At) -> Any:
        """`reader(at)`, or _FAILED after recording its error."""
        try:
            return reader(at)
        except ConfigError as exc:
            self.errors.append(exc)
            return _FAILED

    def check(self) -> None:
        if self.errors:
            raise ConfigError.of(self.errors)


_FAILED: Any = object()
"""What `_Problems.read` returns for a part that failed (never reaches a dataclass)."""


Reader = Callable[[_At], Any]


def _show(value: Any) -> str:
    """A value as the user wrote it, for `got …` in messages (never used for secrets)."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def _suggest(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f"did you mean '{close[0]}'?" if close else "expected one of: " + ", ".join(options)


def _kwargs(values: Mapping[str, Any], *same: str, **renamed: str) -> dict[str, Any]:
    """Dataclass keyword arguments for the keys the file set (so the dataclass defaults
    apply to the rest): `same` keys keep their name, `renamed` map YAML key → field."""
    names = {**{k: k for k in same}, **renamed}
    return {names[k]: v for k, v in values.items() if k in names}


# --------------------------------------------------------------------------- scalars
#
# Substitution yields strings, so numeric and boolean readers also accept their string
# forms: `refresh: ${R:-10}` and `verify_tls: ${VERIFY:-true}` must work.


def _to_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def _string(at: _At) -> str:
    if not isinstance(at.value, str):
        at.fail(f"expected a string, got {_show(at.value)}")
    return at.value


def _name(at: _At) -> str:
    """A non-empty string, trimmed."""
    text = _string(at).strip()
    if not text:
        at.fail("must not be empty")
    return text


def _bool(at: _At) -> bool:
    flag = _to_bool(at.value)
    if flag is None:
        at.fail(f"expected true or false, got {_show(at.value)}")
    return flag


def _number(at: _At) -> float:
    number = _to_float(at.value)
    if number is None:
        at.fail(f"expected a number, got {_show(at.value)}")
    return number


def _positive(at: _At) -> float:
    number = _number(at)
    if number <= 0:
        at.fail(f"must be greater than zero, got {_show(at.value)}")
    return number


def _percent(at: _At) -> float:
    number = _number(at)
    if not 0 <= number <= 100:
        at.fail(f"must be between 0 and 100, got {_show(at.value)}")
    return number


def _integer(low: int, high: int | None = None) -> Reader:
    def read(at: _At) -> int:
        value = at.value
        text = value.strip() if isinstance(value, str) else None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif text is not None and re.fullmatch(r"[+-]?\d+", text):
            number = int(text)
        else:
            at.fail(f"expected an integer, got {_show(value)}")
        if high is None and number < low:
            at.fail(f"must be at least {low}, got {number}")
        if high is not None and not low <= number <= high:
            at.fail(f"must be between {low} and {high}, got {number}")
        return number

    return read


def _duration(*, allow_zero: bool = False) -> Reader:
    def read(at: _At) -> float:
        try:
            seconds = parse_duration(at.value)
        except ValueError:
            at.fail(f"expected a duration like '30s', '5m' or '1h30m', got {_show(at.value)}")
        if seconds < 0 or (seconds == 0 and not allow_zero):
            limit = "must not be negative" if allow_zero else "must be greater than zero"
            at.fail(f"{limit}, got {_show(at.value)}")
        return seconds

    return read


def _ratio(*, exclusive: bool = False) -> Reader:
    """A ratio: a number 0-1 or a percentage string ("99.9%"). `exclusive` excludes 0 and
    1 (an SLO target of 100 % leaves no budget to divide by)."""

    def read(at: _At) -> float:
        value = at.value
        if isinstance(value, str) and value.strip().endswith("%"):
            number = _to_float(value.strip()[:-1])
            ratio = None if number is None else number / 100.0
        else:
            ratio = _to_float(value)
        if ratio is None:
            at.fail(f"expected a ratio like 0.999 or '99.9%', got {_show(value)}")
        if exclusive and not 0 < ratio < 1:
            at.fail(
                "ratio out of range: expected more than 0 and less than 1 "
                f"(or a percentage like '99.9%'), got {_show(value)}"
            )
        if not 0 <= ratio <= 1:
            at.fail(
                "ratio out of range: expected 0 to 1 or a percentage like '99.9%', "
                f"got {_show(value)}"
            )
        return ratio

    return read


def _choice(options: Sequence[str], noun: str = "value") -> Reader:
    def read(at: _At) -> str:
        text = _name(at)
        if text not in options:
            at.fail(f"unknown {noun} '{text}' ({_suggest(text, options)})")
        return text

    return read


_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@")


def _url(at: _At) -> str:
    """An http(s) URL with a host, without a trailing slash (sources append paths)."""
    text = _string(at).strip()
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 (raises ValueError on a bad port)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid:
        redacted = _USERINFO.sub(r"\1***@", text)  # a password in a bad URL stays hidden
        at.fail(f"not a URL: {_show(redacted)}")
    if parts.username is not None or parts.password is not None:
        # URLs are shown on screen, in snapshots and in errors: credentials must not be.
        at.fail("credentials in the URL are not allowed: use basic_auth or bearer_token")
    return text.rstrip("/")


def _path(at: _At) -> str | None:
    """A file path (`~` expanded, relative to the config file's directory); empty → None."""
    text = _string(at).strip()
    if not text:
        return None
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = at.base_dir / path
    return str(path)


def _existing_file(at: _At) -> str | None:
    path = _path(at)
    if path is not None and not Path(path).is_file():
        at.fail(f"file not found: '{path}'")
    return path


# --------------------------------------------------------------------------- secrets
#
# A secret's value never appears in a message, whatever is wrong with it. An empty
# secret (typically `${TOKEN:-}` with TOKEN unset) means "not set".


def _clean_secret(at: _At, text: str, where: str = "") -> str | None:
    text = text.strip()
    if not text:
        return None
    if not text.isprintable():  # a newline would split the HTTP header it goes into
        at.fail(f"invalid value{where}")
    return text


def _secret(at: _At) -> str | None:
    if not isinstance(at.value, str):
        at.fail("invalid value: expected a string (quote it)")
    return _clean_secret(at, at.value)


def _secret_file(at: _At) -> str | None:
    path = _path(at)
    if path is None:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        at.fail(f"file not found: '{path}'")
    except UnicodeDecodeError:
        at.fail(f"invalid value in '{path}': not UTF-8 text")
    except OSError as exc:
        at.fail(f"cannot read '{path}': {exc.strerror or exc}")
    if not text.strip():
        at.fail(f"file is empty: '{path}'")
    return _clean_secret(at, text, f" in '{path}'")


def _either(at: _At, values: Mapping[str, Any], key: str) -> str | None:
    """`key` or `key_file`, whichever is set (both set is ambiguous)."""
    inline, from_file = values.get(key), values.get(f"{key}_file")
    if inline and from_file:
        at.fail(f"set either {key} or {key}_file, not both")
    return inline or from_file


# --------------------------------------------------------------------------- structure


def _mapping(at: _At) -> dict[str, Any]:
    if not isinstance(at.value, dict):
        at.fail(f"expected a mapping, got {_show(at.value)}")
    for key, value in at.value.items():
        if not isinstance(key, str):
            at.key(key, value).fail(f"key must be a string, got {_show(key)}")
    return at.value


def _fields(at: _At, schema: Mapping[str, Reader], required: Sequence[str] = ()) -> dict[str, Any]:
    """Check a mapping against `schema` and read each key that has a value.

    Unknown keys fail with a did-you-mean; a key set to null counts as absent (so an
    emptied-out block in YAML is not an error unless the key is required). Every key is
    read even when an earlier one failed, and all the mistakes are raised together, in
    file order; a missing required key comes last, and is not reported when an unknown
    key is its misspelling (one mistake, one line).
    """
    raw = _mapping(at)
    problems = _Problems()
    values: dict[str, Any] = {}
    misspelt: set[str] = set()
    for key, value in raw.items():
        if key not in schema:
            problems.add(at.key(key).error(f"unknown key ({_suggest(key, list(schema))})"))
            misspelt.update(difflib.get_close_matches(key, list(schema), n=1))
        elif value is not None:
            read = problems.read(schema[key], at.key(key, value))
            if read is not _FAILED:
                values[key] = read
    for key in required:
        if raw.get(key) is None and key not in misspelt:
            problems.add(at.error(f"missing required key '{key}'"))
    problems.check()
    return values


def _list(item: Reader, *, single_ok: bool = True, non_empty: bool = False) -> Reader:
    """A list of `item`; with `single_ok` a lone scalar is a one-element list."""

    def read(at: _At) -> tuple[Any, ...]:
        value = at.value
        if single_ok and not isinstance(value, (list, dict)):
            return (item(at),)
        if not isinstance(value, list):
            at.fail(f"expected a list, got {_show(value)}")
        if non_empty and not value:
            at.fail("must not be empty")
        problems = _Problems()
        items = tuple(problems.read(item, at.index(i, v)) for i, v in enumerate(value))
        problems.check()
        return items

    return read


def _str_map(value_reader: Reader) -> Reader:
    def read(at: _At) -> dict[str, Any]:
        problems = _Problems()
        out = {k: problems.read(value_reader, at.key(k, v)) for k, v in _mapping(at).items()}
        problems.check()
        return out

    return read


def _unique(at: _At, keys: Sequence[str], noun: str, field_name: str | None) -> None:
    """Fail on the second occurrence of a key in a list (ids, names, URLs)."""
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key in seen:
            where = at.index(i)
            if field_name:
                where = where.key(field_name)
            where.fail(f"duplicate {noun} '{key}' (also at index {seen[key]})")
        seen[key] = i
