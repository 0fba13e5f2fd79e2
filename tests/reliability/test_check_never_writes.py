"""`check` never creates or overwrites anything: SQLite files are opened read-only (URI
``mode=ro``; ``mode=rw`` for ``--fix``, never ``rwc``), a missing file is exit 2 in URL and path
form, and the files dblint writes (--output, --write-baseline, --undo-file) never land on a target or
on any existing SQLite database."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from linter import db


def _sqlite(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE item (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES item(id));"
        "INSERT INTO item VALUES (1, NULL), (2, 99);"
    )
    conn.commit()
    conn.close()
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "form", ["sqlite:///{p}", "sqlite:///{p}?timeout=3", "{p}", "sqlite:///file:{p}?uri=true"]
)
def test_missing_file_is_exit_2_and_never_created(tmp_path: Path, dblint_run: Any, form: str) -> None:
    missing = tmp_path / "typo.sqlite"
    res = dblint_run("check", form.format(p=missing), "--select", "CORE")
    assert res.exit_code == 2
    assert len(res.stderr.strip().splitlines()) == 1 and "no such database file" in res.stderr, res.stderr
    assert not missing.exists()
    assert list(tmp_path.iterdir()) == []


def test_check_opens_sqlite_read_only(tmp_path: Path, dblint_run: Any) -> None:
    path = _sqlite(tmp_path / "t.sqlite")
    before = _digest(path)
    res = dblint_run("check", f"sqlite:///{path}", "--select", "CORE")
    assert res.exit_code == 1, res.stdout + res.stderr
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.sqlite"]
    # The engine check uses refuses writes by itself, whatever a statement would try.
    engine = db.create_engine(db.parse_target(str(path)))
    with engine.connect() as conn, pytest.raises(sa.exc.OperationalError, match="readonly"):
        conn.exec_driver_sql("DELETE FROM item")
    engine.dispose()
    writer = db.create_engine(db.parse_target(str(path)), writes=True)
    with writer.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM item").scalar() == 2
    writer.dispose()


@pytest.mark.parametrize("flag", ["--output", "--write-baseline", "--undo-file"])
@pytest.mark.parametrize("victim", ["target", "other"])
def test_outputs_never_overwrite_a_database(tmp_path: Path, dblint_run: Any, flag: str, victim: str) -> None:
    target = _sqlite(tmp_path / "t.sqlite")
    other = _sqlite(tmp_path / "other.db")
    path = target if victim == "target" else other
    digests = (_digest(target), _digest(other))
    extra = ["--fix"] if flag == "--undo-file" else []
    res = dblint_run("check", str(target), "--select", "CORE", *extra, flag, str(path))
    assert res.exit_code == 2
    assert len(res.stderr.strip().splitlines()) == 1 and flag in res.stderr, res.stderr
    assert (_digest(target), _digest(other)) == digests


def test_output_never_overwrites_a_dump_target(tmp_path: Path, dblint_run: Any) -> None:
    dump = tmp_path / "fixture.sql"
    dump.write_text("CREATE TABLE item (id INTEGER PRIMARY KEY, parent_id INTEGER);\n", encoding="utf-8")
    before = dump.read_text()
    res = dblint_run("check", str(dump), "--select", "CORE", "--output", str(dump))
    assert res.exit_code == 2 and "--output" in res.stderr, res.stderr
    assert dump.read_text() == before
