"""Errors that end a run with exit code 2 and one line, never a traceback."""

from __future__ import annotations


class DblintError(Exception):
    """A usage, config, rule-file or connection problem: printed as one line, exit code 2."""

    exit_code = 2


class ConfigError(DblintError):
    pass


class RuleFileError(DblintError):
    pass


class TargetError(DblintError):
    """The database cannot be reached or is not usable."""


class MissingObject(Exception):
    """A table or column a rule needs does not exist: the rule is skipped, not failed."""


class RuleError(Exception):
    """A rule could not run against this database (raised by kinds; reported as status `error`)."""


def one_line(text: str) -> str:
    """The first meaningful line of a (driver) message, for one-line reports."""
    for line in str(text).splitlines():
        line = line.strip()
        if line and not line.startswith("(Background on this error"):
            return line
    return str(text).strip()


MAX_SHOWN = 80


def shown(value: object, limit: int = MAX_SHOWN) -> str:
    """``repr(value)`` cut to ``limit`` characters: an error line never repeats a huge input."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
