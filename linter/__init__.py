"""dblint: a rule-based consistency linter for relational databases.

This module is the API for rule-pack authors: everything a pack needs (the hook marker, the kind,
check and fix types, the applicability answer, the config, the output-format types and the test
helpers) is importable from here, and only these names are a promise (``__all__``). Everything else
may move.
Names are imported on first use, so ``dblint --version`` does not pay for SQLAlchemy or pydantic.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

_EXPORTS = {
    "hookimpl": "linter.hookspecs",
    "Kind": "linter.kinds.base",
    "Params": "linter.kinds.base",
    "FixModel": "linter.kinds.base",
    "Context": "linter.kinds.base",
    "Check": "linter.kinds.base",
    "QueryCheck": "linter.kinds.base",
    "ComputedCheck": "linter.kinds.base",
    "DeferredCheck": "linter.kinds.base",
    "Counted": "linter.kinds.base",
    "Finding": "linter.kinds.base",
    "Example": "linter.kinds.base",
    "FixStep": "linter.kinds.base",
    "MissingObject": "linter.errors",
    "RuleError": "linter.errors",
    "Applies": "linter.load.packs",
    "DatabaseInfo": "linter.load.packs",
    "Config": "linter.load.config",
    "Formatter": "linter.report.base",
    "Report": "linter.report.base",
    "TestDatabase": "linter.testing",
    "RuleCase": "linter.testing",
    "load_cases": "linter.testing",
}

__all__ = [
    "__version__",
    "hookimpl",
    "Kind",
    "Params",
    "FixModel",
    "Context",
    "Check",
    "QueryCheck",
    "ComputedCheck",
    "DeferredCheck",
    "Counted",
    "Finding",
    "Example",
    "FixStep",
    "MissingObject",
    "RuleError",
    "Applies",
    "DatabaseInfo",
    "Config",
    "Formatter",
    "Report",
    "TestDatabase",
    "RuleCase",
    "load_cases",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'linter' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from linter.errors import MissingObject, RuleError
    from linter.hookspecs import hookimpl
    from linter.kinds.base import (
        Check,
        ComputedCheck,
        Context,
        Counted,
        DeferredCheck,
        Example,
        Finding,
        FixModel,
        FixStep,
        Kind,
        Params,
        QueryCheck,
    )
    from linter.load.config import Config
    from linter.load.packs import Applies, DatabaseInfo
    from linter.report.base import Formatter, Report
    from linter.testing import RuleCase, TestDatabase, load_cases
