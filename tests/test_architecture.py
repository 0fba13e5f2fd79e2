"""Meta-tests that keep the code's shape (Datasette-style: conventions become failures).

- no module imports another module's private (``_name``) names: Ruff's PLC2701 skips imports within
  one package, so this walks every import of linter/, rules/, tests/, examples/ and bench/;
- no function in linter/ or rules/ is over 80 lines and no module over 500: a run reads as a few
  named steps (the layering itself is import-linter's, run by scripts/lint).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OWN = ("linter", "dblint_core", "dblint_specify", "dblint_migrations")
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 500


def _python(*folders: str) -> list[Path]:
    return sorted(p for f in folders for p in (ROOT / f).rglob("*.py") if ".venv" not in p.parts)


def test_no_private_names_cross_modules() -> None:
    found = []
    for path in _python("linter", "rules", "tests", "examples", "bench"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in OWN:
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.module}.{alias.name}")
    assert not found, "private names imported across modules (make them public or move them):\n" + "\n".join(
        found
    )


def test_functions_and_modules_stay_small() -> None:
    found = []
    for path in _python("linter", "rules"):
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > MAX_MODULE_LINES:
            found.append(f"{path.relative_to(ROOT)}: {lines} lines (max {MAX_MODULE_LINES})")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.name} has {n} lines")
    assert not found, "split these into named steps:\n" + "\n".join(found)
