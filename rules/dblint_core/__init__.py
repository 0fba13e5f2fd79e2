"""The ``core`` pack: generic consistency rules (``CORE…``) for any database.

Its rules use dblint's own kinds (``linter.kinds``), so the pack is data only: it ships its YAML
and, having no ``dblint_applies`` hook, applies to every database.
"""

from __future__ import annotations

from pathlib import Path

from linter import hookimpl


@hookimpl
def dblint_rule_files() -> list[Path]:
    return [Path(__file__).parent / "rules"]
