"""`ConfigError`: every config problem, as `file: key.path: reason` lines."""

from __future__ import annotations

from typing import Sequence


class ConfigError(Exception):
    """A config problem, rendered as one line: `file: key.path: reason`.

    The loader carries on past a mistake where it can, so one error may hold several
    problems (`problems`, in file order): then `str()` is one line per problem and
    `file`, `key_path` and `reason` are the first one's.
    """

    def __init__(self, file: str, key_path: str, reason: str) -> None:
        self.file = file
        self.key_path = key_path
        self.reason = reason
        self.problems: tuple[ConfigError, ...] = (self,)
        where = f"{file}: {key_path}: " if key_path else f"{file}: "
        super().__init__(where + reason)

    @classmethod
    def of(cls, errors: Sequence[ConfigError]) -> ConfigError:
        """One error for all the problems of `errors` (at least one)."""
        problems = tuple(p for e in errors for p in e.problems)
        if len(problems) == 1:
            return problems[0]
        first = problems[0]
        combined = cls(first.file, first.key_path, first.reason)
        combined.problems = problems
        combined.args = ("\n".join(str(p) for p in problems),)
        return combined
