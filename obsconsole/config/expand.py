"""`${VAR}` and `${VAR:-default}` in string values, substituted before validation (so
`refresh: ${REFRESH:-10s}` is checked as "10s"); `$$` is a literal `$`.

The semantics are the shell's: `${VAR:-default}` also replaces a variable that is set but
empty, and an unset variable without a default is an error naming its key path. Every
bad or unset reference in the file is reported, not only the first.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from obsconsole.config.validate import _At, _Problems


# `$$` first, then a closed `${…}`, then an unclosed `${`. A lone `$` stays as it is
# (PromQL and Grafana-style text use it).
_REFERENCE = re.compile(r"\$\$|\$\{([^}]*)\}|\$\{")
_REFERENCE_BODY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?", re.DOTALL)


def _substitute(at: _At, env: Mapping[str, str]) -> str:
    text: str = at.value
    if "$" not in text:
        return text

    def expand(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        body = match.group(1)
        if body is None:
            at.fail("unclosed '${' (write '$$' for a literal '$')")
        ref = _REFERENCE_BODY.fullmatch(body)
        if ref is None:
            at.fail(
                f"bad variable reference '${{{body}}}' "
                "(expected ${NAME} or ${NAME:-default})"
            )
        name, default = ref.group(1), ref.group(2)
        value = env.get(name)
        # Shell semantics: `:-` also replaces a variable that is set but empty.
        if default is not None and not value:
            return default
        if value is None:
            at.fail(f"environment variable {name} is not set")
        return value

    return _REFERENCE.sub(expand, text)


def _substitute_tree(at: _At, env: Mapping[str, str]) -> Any:
    """Substitute in every string value (keys are left alone); every bad or unset
    reference is reported, not only the first."""
    value = at.value
    if isinstance(value, str):
        return _substitute(at, env)
    problems = _Problems()
    if isinstance(value, dict):
        out: Any = {k: problems.read(lambda a: _substitute_tree(a, env), at.key(k, v)) for k, v in value.items()}
    elif isinstance(value, list):
        out = [problems.read(lambda a: _substitute_tree(a, env), at.index(i, v)) for i, v in enumerate(value)]
    else:
        return value
    problems.check()
    return out
