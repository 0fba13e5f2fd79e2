"""A fix that drops a table (MIG008/MIG010's leftover batch copies) is undone exactly on PostgreSQL:
the table, its rows and its SERIAL sequences' state come back through `psql -v ON_ERROR_STOP=1`; a
table with an identity column, which reflection cannot re-create, is refused (the fix rolls back)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from reliability_support import apply_script

from linter.testing import TestDatabase


def _project(tmp: Path) -> Path:
    (tmp / "alembic" / "versions").mkdir(parents=True)
    (tmp / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/alembic\n")
    config = tmp / "dblint.yaml"
    config.write_text("migrations:\n  alembic: {ini: alembic.ini}\n")
    return config


def _fix(run: Any, db: TestDatabase, tmp: Path) -> tuple[Any, Path]:
    undo = tmp / "undo.sql"
    res = run(
        "check", db.url_string, "--config", str(_project(tmp)), "--select", "MIG010",
        "--fix", "--unsafe-fixes", "--undo-file", str(undo),
    )  # fmt: skip
    return res, undo


@pytest.mark.parametrize("dblint_db", ["postgresql"], indirect=True)
def test_dropped_table_comes_back_with_its_sequence(
    dblint_db: TestDatabase, tmp_path: Path, dblint_run: Any
) -> None:
    dblint_db.execute(
        [
            "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)",
            "CREATE TABLE product (id serial PRIMARY KEY, name text)",
            "CREATE TABLE _alembic_tmp_product (id serial PRIMARY KEY, name text NOT NULL)",
            "INSERT INTO _alembic_tmp_product (name) VALUES ('a'), ('b'), ('c')",
            "DELETE FROM _alembic_tmp_product WHERE id = 3",
        ]
    )
    before = dblint_db.checksum()
    res, undo = _fix(dblint_run, dblint_db, tmp_path)
    assert res.exit_code == 0, res.stdout + res.stderr
    assert "_alembic_tmp_product" not in dblint_db.checksum()
    apply_script(dblint_db, undo)
    assert dblint_db.checksum() == before
    # The sequence goes on where it was (3 was used and deleted): the next row is 4, not 1.
    dblint_db.execute("INSERT INTO _alembic_tmp_product (name) VALUES ('d')")
    assert dblint_db.query("SELECT max(id) FROM _alembic_tmp_product") == [(4,)]


@pytest.mark.parametrize("dblint_db", ["postgresql"], indirect=True)
def test_identity_column_refuses_the_drop(dblint_db: TestDatabase, tmp_path: Path, dblint_run: Any) -> None:
    dblint_db.execute(
        [
            "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)",
            "CREATE TABLE product (id integer PRIMARY KEY, name text)",
            "CREATE TABLE _alembic_tmp_product"
            " (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text)",
            "INSERT INTO _alembic_tmp_product (name) VALUES ('a')",
        ]
    )
    before = dblint_db.checksum()
    res, undo = _fix(dblint_run, dblint_db, tmp_path)
    assert res.exit_code == 2, res.stdout + res.stderr
    assert "identity column" in res.stdout + res.stderr
    assert dblint_db.checksum() == before and not undo.exists()
