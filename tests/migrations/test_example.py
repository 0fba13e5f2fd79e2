"""examples/migrations builds, and the README shows exactly what dblint prints for it."""

from __future__ import annotations

import re
import runpy
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow  # runs Alembic


def test_readme_before_you_migrate_output_is_real(tmp_path, dblint_run):
    copy = tmp_path / "migrations"
    shutil.copytree(
        ROOT / "examples" / "migrations", copy, ignore=shutil.ignore_patterns("*.sqlite3", "__pycache__")
    )
    runpy.run_path(str(copy / "build.py"))["build"]()
    res = dblint_run("check", "--select", "MIG,DRIFT,PRE", cwd=copy)
    assert res.exit_code == 1
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"dblint check --select MIG,DRIFT,PRE\n(.*?)\(exit code 1\)\n```", readme, re.S)
    assert block, "README lost its 'Before you migrate' output"
    assert res.stdout == block.group(1)

    # The rest of the README's story: fix the rows, upgrade to 0003, stamp 0004, all clean.
    import sqlite3

    from alembic import command
    from alembic.config import Config

    fixed = dblint_run("check", "--select", "PRE001,PRE002", "--fix", "--unsafe-fixes", cwd=copy)
    assert fixed.exit_code == 0, fixed.stdout
    with sqlite3.connect(copy / "shop.sqlite3") as conn:
        conn.execute("DELETE FROM tag WHERE id = 2")
    conn.close()
    cfg = Config(str(copy / "alembic.ini"))
    command.upgrade(cfg, "0003")
    after = dblint_run("check", "--select", "MIG,DRIFT,PRE", "--format", "json", cwd=copy)
    failing = {r["id"]: r["violations"] for r in after.json()["rules"] if r["status"] == "fail"}
    assert failing == {"MIG001": 1, "MIG007": 1}  # the models already have the hand-made column
    command.stamp(cfg, "0004")
    assert dblint_run("check", "--select", "MIG,DRIFT,PRE", cwd=copy).exit_code == 0


def test_readme_one_fault_one_finding_output_is_real(tmp_path, dblint_run):
    copy = tmp_path / "migrations"
    shutil.copytree(
        ROOT / "examples" / "migrations", copy, ignore=shutil.ignore_patterns("*.sqlite3", "__pycache__")
    )
    runpy.run_path(str(copy / "build.py"))["build_newer"]()
    res = dblint_run("check", "--select", "MIG,DRIFT,PRE", cwd=copy)
    assert res.exit_code == 1
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(
        r"build.py --newer\nbuilt examples/migrations/shop.sqlite3\n"
        r"\$ cd examples/migrations && \.\./\.\./\.venv/bin/dblint check --select "
        r"MIG,DRIFT,PRE\n(.*?)\(exit code 1\)\n```",
        readme,
        re.S,
    )
    assert block, "README lost its 'One fault, one finding' output"
    assert res.stdout == block.group(1)
    # The advice, followed with the real tool, gives a database Alembic and dblint agree on.
    from alembic import command
    from alembic.config import Config

    command.stamp(Config(str(copy / "alembic.ini")), "0004", purge=True)
    assert dblint_run("check", "--select", "MIG,DRIFT,PRE", cwd=copy).exit_code == 0
