"""--var values as written: text unless the rule file declares the variable's type; a value that
does not fit, or a bad declaration, is one line and exit 2, never a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml


def _setup(tmp_path: Path, declared: Any) -> tuple[Path, Path]:
    db = tmp_path / "t.sqlite"
    conn = sqlite3.connect(db)
    conn.executescript(
        "CREATE TABLE item (id INTEGER PRIMARY KEY, code TEXT, n INTEGER);"
        "INSERT INTO item VALUES (1, '8', 8), (2, '010', 10), (3, 'no', 0), (4, '0', 0);"
    )
    conn.commit()
    conn.close()
    rule = {
        "id": "VAR001",
        "title": "t",
        "kind": "sql",
        "params": {"query": "SELECT id FROM item WHERE code = :v OR n = :v"},
    }
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump({"vars": {"v": declared}, "rules": [rule]}, sort_keys=False))
    return db, rules


def _ids(dblint_run: Any, db: Path, rules: Path, value: str) -> tuple[int, list[Any], str]:
    res = dblint_run(
        "check", str(db), "--rules", str(rules), "--select", "VAR", "--format", "json", "--var", value
    )
    if res.exit_code == 2:
        return 2, [], res.stderr
    doc = yaml.safe_load(res.stdout)
    rule = next(r for r in doc["rules"] if r["id"] == "VAR001")
    return res.exit_code, sorted(e["key"]["id"] for e in rule["examples"]), res.stderr


@pytest.mark.parametrize(
    ("value", "ids"), [("v=010", [2]), ("v=no", [3]), ("v=8", [1]), ("v=0", [3, 4]), ("v=1e3", [])]
)
def test_untyped_values_are_text(tmp_path: Path, dblint_run: Any, value: str, ids: list[int]) -> None:
    db, rules = _setup(tmp_path, None)
    code, found, err = _ids(dblint_run, db, rules, value)
    assert found == ids, err


def test_huge_value_is_text_without_traceback(tmp_path: Path, dblint_run: Any) -> None:
    db, rules = _setup(tmp_path, None)
    code, found, err = _ids(dblint_run, db, rules, "v=" + "9" * 5000)
    assert code == 0 and found == [] and "Traceback" not in err


@pytest.mark.parametrize(
    ("declared", "value", "ids"),
    [
        ({"type": "int"}, "v=010", [2]),  # 10, not YAML 1.1's octal 8
        ({"type": "int", "default": 8}, "v=8", [1]),
        (3, "v=8", [1]),  # an int default declares an int
        ({"type": "string"}, "v=8", [1]),
        ({"type": "bool"}, "v=false", [3, 4]),
        ({"type": "float"}, "v=8", [1]),
    ],
)
def test_declared_types(tmp_path: Path, dblint_run: Any, declared: Any, value: str, ids: list[int]) -> None:
    db, rules = _setup(tmp_path, declared)
    code, found, err = _ids(dblint_run, db, rules, value)
    assert code in (0, 1) and found == ids, err


@pytest.mark.parametrize(
    ("declared", "value"),
    [
        ({"type": "int"}, "v=" + "9" * 5000),
        ({"type": "int"}, "v=ten"),
        ({"type": "int"}, "v=1.5"),
        ({"type": "float"}, "v=nan"),
        ({"type": "float"}, "v=1e999"),
        ({"type": "bool"}, "v=no"),
    ],
)
def test_values_that_do_not_fit(tmp_path: Path, dblint_run: Any, declared: Any, value: str) -> None:
    db, rules = _setup(tmp_path, declared)
    code, _, err = _ids(dblint_run, db, rules, value)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--var" in err and "Traceback" not in err, err


@pytest.mark.parametrize(
    "declared",
    [{"type": "integer"}, {"default": 3}, {"type": "int", "default": "x"}, {"type": "int", "min": 1}, [1]],
)
def test_bad_declarations(tmp_path: Path, dblint_run: Any, declared: Any) -> None:
    db, rules = _setup(tmp_path, declared)
    res = dblint_run("check", str(db), "--rules", str(rules), "--select", "VAR")
    lines = res.stderr.strip().splitlines()
    assert res.exit_code == 2 and len(lines) == 1 and f"{rules}:" in lines[0] and "vars." in lines[0], (
        res.stderr
    )
