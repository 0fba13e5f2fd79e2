"""Outcomes stated once and the same everywhere: no green run on nothing (exit 2 with one line;
--exit-zero: 0 and the same line), a rolled-back fix reports 0 rows fixed in every format, a rollback
for an error exits 2 and one for remaining findings 1, and unsafe fixes left are announced."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml


def _db(tmp_path: Path) -> Path:
    path = tmp_path / "t.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE q (id INTEGER PRIMARY KEY, s INTEGER); INSERT INTO q VALUES (1, NULL), (2, NULL);"
    )
    conn.commit()
    conn.close()
    return path


RULES = [
    {
        "id": "OUT001",
        "title": "a fix that leaves a violation (the re-check rolls it back)",
        "kind": "sql",
        "params": {"query": "SELECT id FROM q WHERE s IS NULL", "key": ["id"], "table": "q"},
        "fix": {"safety": "safe", "statements": ["UPDATE q SET s = 0 WHERE id = 1"]},
    },
    {
        "id": "OUT002",
        "title": "a fix that fails (an error rolls it back)",
        "kind": "sql",
        "params": {"query": "SELECT id FROM q WHERE s IS NULL", "key": ["id"], "table": "q"},
        "fix": {
            "safety": "safe",
            "statements": ["UPDATE q SET s = 0", "INSERT INTO q (id) SELECT id FROM q"],
        },
    },
    {
        "id": "OUT003",
        "title": "an unsafe fix",
        "kind": "not_null",
        "params": {"table": "q", "column": "s"},
        "fix": {"safety": "unsafe", "set": 5},
    },
]


def _rules(tmp_path: Path) -> Path:
    p = tmp_path / "rules.yaml"
    p.write_text(yaml.safe_dump({"rules": RULES}, sort_keys=False))
    return p


@pytest.mark.parametrize("exit_zero", [False, True])
def test_no_green_on_nothing(tmp_path: Path, dblint_run: Any, exit_zero: bool) -> None:
    args = ["check", str(_db(tmp_path)), "--select", "SPEC", *(["--exit-zero"] if exit_zero else [])]
    res = dblint_run(*args)
    assert res.exit_code == (0 if exit_zero else 2)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "no selected rule could run" in lines[0] and "specify" in lines[0], res.stderr


@pytest.mark.parametrize(("rule", "code"), [("OUT001", 1), ("OUT002", 2)])
@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github"])
def test_rolled_back_fix_fixed_zero_everywhere(
    tmp_path: Path, dblint_run: Any, rule: str, code: int, fmt: str
) -> None:
    db = _db(tmp_path)
    res = dblint_run(
        "check", str(db), "--rules", str(_rules(tmp_path)), "--select", rule, "--fix", "--format", fmt
    )
    assert res.exit_code == code, res.stdout + res.stderr
    out = res.stdout
    assert "fix rolled back, nothing was written" in out + res.stderr
    if fmt == "json":
        doc = json.loads(out)
        assert doc["summary"]["fixed"] == 0 and all(r["fixed"] == 0 for r in doc["rules"])
    elif fmt == "text":
        assert "Fixed 1" not in out and "Fixed 2" not in out
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM q WHERE s IS NULL").fetchone()[0] == 2
    conn.close()


def test_unsafe_fixes_left_are_announced(tmp_path: Path, dblint_run: Any) -> None:
    res = dblint_run(
        "check", str(_db(tmp_path)), "--rules", str(_rules(tmp_path)), "--select", "OUT003", "--fix"
    )
    assert res.exit_code == 1
    # The wording is the text format's; what counts is that the unsafe fix left is named.
    assert "with --fix --unsafe-fixes" in res.stdout.splitlines()[-1], res.stdout


@pytest.mark.parametrize("dblint_db", ["postgresql"], indirect=True)
def test_fix_on_a_read_only_database_says_so(dblint_db: Any, tmp_path: Path, dblint_run: Any) -> None:
    dblint_db.execute(
        ["CREATE TABLE q (id integer PRIMARY KEY, s integer)", "INSERT INTO q VALUES (1, NULL)"]
    )
    dblint_db.execute(f'ALTER DATABASE "{dblint_db.url.database}" SET default_transaction_read_only = on')
    dblint_db.engine.dispose()  # new sessions take the setting
    undo = tmp_path / "undo.sql"
    args = ["check", dblint_db.url_string, "--rules", str(_rules(tmp_path)), "--select", "OUT003"]
    assert dblint_run(*args).exit_code == 1  # check works: it only reads
    res = dblint_run(*args, "--fix", "--unsafe-fixes", "--undo-file", str(undo))
    lines = res.stderr.strip().splitlines()
    assert res.exit_code == 2 and len(lines) == 1, res.stdout + res.stderr
    assert "read-only (default_transaction_read_only = on); nothing was written" in lines[0]
    assert not undo.exists()
    reset = f'ALTER DATABASE "{dblint_db.url.database}" RESET default_transaction_read_only'
    dblint_db.execute(["SET TRANSACTION READ WRITE", reset])


def test_fix_that_changes_no_row_is_not_fixable(tmp_path: Path, dblint_run: Any) -> None:
    rule = dict(
        RULES[0], id="OUT004", fix={"safety": "safe", "statements": ["UPDATE q SET s = 0 WHERE id = 99"]}
    )
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"rules": [rule]}, sort_keys=False))
    res = dblint_run("check", str(_db(tmp_path)), "--rules", str(path), "--fix", "--format", "json")
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    out = next(r for r in doc["rules"] if r["id"] == "OUT004")
    assert out["fixable"] is False and "its fix changed no row" in out["fix_unavailable"], out
    assert "OUT004: its fix changed no row; 2 violation(s) remain" in res.stderr, res.stderr
