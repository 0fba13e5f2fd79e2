"""The one place an exception becomes a rule's status and reason: a missing table or column skips
the rule; a database error or a :class:`RuleError` is an ``error`` with the driver's first line
(timeouts and read-only refusals said plainly); anything else is a bug in a kind, named as such.
Passwords are masked in every reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from linter import db
from linter.errors import MissingObject, RuleError, one_line
from linter.model import Status

if TYPE_CHECKING:
    from linter.load.rules import Rule


def explain(exc: BaseException) -> str:
    """A database or rule error as one line, saying what a timeout or a refused write means."""
    text = one_line(str(getattr(exc, "orig", None) or exc))
    low = text.lower()
    if any(s in low for s in ("read-only", "readonly", "read only")):
        return db.mask_text(f"refused: check is read-only and this rule tried to write ({text})")
    if any(s in low for s in ("lock timeout", "lock wait timeout", "canceling statement due to lock")):
        return db.mask_text(f"gave up waiting for a lock (database.lock_timeout): {text}")
    if any(s in low for s in ("statement timeout", "max_statement_time", "query execution was interrupted")):
        return db.mask_text(f"gave up: the query ran longer than database.statement_timeout ({text})")
    if "database is locked" in low:
        return db.mask_text(f"gave up waiting for a lock (database.lock_timeout): {text}")
    return db.mask_text(text)


def bug(rule: Rule, exc: BaseException) -> str:
    where = f"kind {rule.kind.name!r}" + (f" of pack {rule.pack!r}" if rule.pack else "")
    return db.mask_text(f"internal error in {where}: {type(exc).__name__}: {one_line(str(exc))}")


def settle(rule: Rule, exc: Exception) -> tuple[Status, str]:
    """The status and reason of a rule whose check raised ``exc``."""
    if isinstance(exc, MissingObject):
        return Status.SKIPPED, str(exc)
    if isinstance(exc, RuleError | SQLAlchemyError):  # SQLAlchemyError: a query or reflection failed
        return Status.ERROR, explain(exc)
    return Status.ERROR, bug(rule, exc)  # a bug in a (third-party) kind: this rule fails, the run goes on
