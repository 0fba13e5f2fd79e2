"""Shared data and helpers of the reliability tests (undo, quarantine, crash, concurrency)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from linter.testing import TestDatabase

HERE = Path(__file__).parent
RULES = HERE / "undo_rules.yaml"

# Hostile values everywhere: quotes, semicolons, comment markers, backslashes, percents, unicode.
TABLES: dict[str, Any] = {
    "parent": {
        "columns": {"id": "integer primary key", "name": "varchar(64)"},
        "rows": [[1, "O'Brien; DROP TABLE parent; --"], [2, "back\\slash"], [3, 'ünï ☃ "q"'], [4, None]],
    },
    "child": {
        "columns": {
            "id": "integer primary key autoincrement",
            "parent_id": "integer",
            "kind": "varchar(16)",
            "note": "text",
            "created": "datetime",
            "amount": "numeric(10,2)",
            "flag": "boolean",
            "tag_id": "integer",
            "other_id": "integer",
        },
        "rows": [
            [1, 1, "main", "x", dt.datetime(2024, 1, 2, 3, 4, 5), Decimal("3.50"), False, 10, 1],
            [2, 2, "side", None, None, None, None, 11, 99],
            [3, 9, "main", None, dt.datetime(2023, 12, 31, 23, 59, 59), Decimal("0.10"), True, None, 98],
        ],
    },
    "item": {
        "columns": {
            "id": "integer primary key",
            "code": "varchar(32)",
            "parent_id": "integer",
            "flag": "boolean",
            "label": "varchar(64)",
        },
        "rows": [
            [1, "A", 1, True, "first"],
            [2, "a", 1, None, "dup of A"],
            [3, "B", 77, None, "orphan 100% %%"],  # % as data: the script must not escape it
            [4, "C", 2, None, "it's"],
            [5, "c", 3, None, "dup C\\'"],
        ],
    },
    "tag": {"columns": {"id": "integer primary key", "label": "varchar(64)"}, "rows": [[10, "ten"]]},
}


def apply_script(db: TestDatabase, script: Path) -> subprocess.CompletedProcess[str]:
    """Apply an SQL script with the dialect's own command-line client, as a user would."""
    url = db.url
    if db.dialect == "sqlite":
        cmd = ["sqlite3", "-bail", str(url.database)]
    elif db.dialect == "postgresql":
        cmd = [
            "psql",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            "-d",
            str(url.database),
        ]
    else:
        cmd = [
            "mysql",
            "-h",
            url.host or "127.0.0.1",
            "-P",
            str(url.port or 3306),
            "-u",
            url.username or "root",
            str(url.database),
        ]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD" if db.dialect == "postgresql" else "MYSQL_PWD"] = str(url.password)
    with script.open("rb") as fh:
        res = subprocess.run(cmd, stdin=fh, capture_output=True, env=env, timeout=120)
    out = subprocess.CompletedProcess(
        cmd, res.returncode, res.stdout.decode(errors="replace"), res.stderr.decode(errors="replace")
    )
    assert out.returncode == 0 and "error" not in out.stderr.lower(), f"{cmd[0]} failed: {out.stderr}"
    return out


def originals(checksum: dict[str, str]) -> dict[str, str]:
    """Checksums of the tables the test created (quarantine tables are dblint's own)."""
    return {k: v for k, v in checksum.items() if not k.lower().startswith("dblint_quarantine_")}


def fix_with_undo(
    run: Any, db: TestDatabase, tmp: Path, rule: dict[str, Any], *args: str
) -> tuple[Any, Path]:
    """``dblint check --fix`` of one rule (written to a rules file in ``tmp``) with its undo script
    at ``tmp/undo.sql``: the run's result and the script's path."""
    rules = tmp / "rules.yaml"
    rules.write_text(yaml.safe_dump({"rules": [rule]}))
    undo = tmp / "undo.sql"
    res = run(
        "check",
        db.url_string,
        "--rules",
        str(rules),
        "--select",
        rule["id"],
        "--fix",
        *args,
        "--undo-file",
        str(undo),
    )
    return res, undo
