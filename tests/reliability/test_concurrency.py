"""Concurrency: ``check`` reads one snapshot while another connection writes (consistent counts,
the writer never waits for it), and ``--fix`` on a table another session has locked gives up after
the lock timeout, says so, and changes nothing."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from reliability_support import RULES, TABLES

from linter.testing import TestDatabase

LOCK_TIMEOUT = 1.0


def _config(tmp: Path) -> Path:
    conf = tmp / "dblint.yaml"
    conf.write_text(f"database: {{lock_timeout: {LOCK_TIMEOUT}s, statement_timeout: 60s}}\n")
    return conf


SNAPSHOT_RULES = """
rules:
  - id: SNAP001
    kind: not_null
    params: {table: log, column: note}
  - id: SNAP002
    kind: sql
    params: {query: "SELECT id FROM log WHERE note IS NULL", key: [id], table: log}
  - id: SNAP003
    kind: sql
    params:
      query: "SELECT a.id FROM log a JOIN log b ON b.id = a.id WHERE a.note IS NULL AND b.note IS NULL"
      key: [id]
"""


@pytest.mark.parametrize("dblint_db", ["postgresql", "mysql"], indirect=True)
def test_check_sees_one_snapshot_and_never_blocks_the_writer(dblint_db, dblint_run, tmp_path):
    dblint_db.create(
        {
            "log": {
                "columns": {"id": "integer primary key autoincrement", "note": "varchar(20)"},
                "rows": [[i, None if i % 3 else "x"] for i in range(1, 3001)],
            }
        }
    )
    rules = tmp_path / "snap.yaml"
    rules.write_text(SNAPSHOT_RULES)
    stop = threading.Event()
    waits: list[float] = []
    writes = 0

    def writer() -> None:
        nonlocal writes
        eng = sa.create_engine(dblint_db.url, poolclass=sa.pool.NullPool)
        t = sa.Table("log", sa.MetaData(), autoload_with=eng)
        with eng.connect() as c:
            while not stop.is_set():
                t0 = time.monotonic()
                c.execute(sa.insert(t), [{"note": None}, {"note": None}, {"note": "y"}])
                c.execute(sa.update(t).where(t.c.id == (writes % 3000) + 1).values(note=None))
                c.commit()
                waits.append(time.monotonic() - t0)
                writes += 1
        eng.dispose()

    # PostgreSQL's parallel workers import one exported snapshot. MariaDB cannot share a snapshot
    # between connections, so there one connection (--jobs 1) is what gives one snapshot.
    jobs = "3" if dblint_db.dialect == "postgresql" else "1"
    th = threading.Thread(target=writer, daemon=True)
    th.start()
    try:
        time.sleep(0.2)
        for _ in range(6):
            res = dblint_run(
                "check",
                dblint_db.url_string,
                "--config",
                str(_config(tmp_path)),
                "--rules",
                str(rules),
                "--select",
                "SNAP",
                "--format",
                "json",
                "--jobs",
                jobs,
                "--max-examples",
                "0",
            )
            assert res.exit_code == 1, res.stdout + res.stderr
            counts = {r["id"]: r["violations"] for r in res.json()["rules"]}
            # Three queries on three connections, while rows keep arriving: one snapshot, one count.
            assert len(set(counts.values())) == 1, counts
    finally:
        stop.set()
        th.join(timeout=30)
    assert writes > 10, "the writer did not run alongside the checks"
    assert max(waits) < LOCK_TIMEOUT, f"the writer waited {max(waits):.2f}s for dblint's check"


def _hold_lock(db: TestDatabase) -> tuple[sa.Engine, sa.Connection]:
    """Another session holding a write lock on ``item`` (row locks on servers, the database write
    lock on SQLite), in an open transaction."""
    eng = sa.create_engine(db.url, poolclass=sa.pool.NullPool)
    c = eng.connect()
    if db.dialect == "sqlite":
        c.connection.dbapi_connection.isolation_level = None
        c.exec_driver_sql("BEGIN IMMEDIATE")
        c.exec_driver_sql("UPDATE item SET label = label")
    else:
        c.exec_driver_sql("UPDATE item SET label = label")  # autobegun, not committed: row locks
    return eng, c


def test_fix_on_a_locked_table_gives_up_and_changes_nothing(dblint_db, dblint_run, tmp_path):
    dblint_db.create(TABLES)
    before = dblint_db.checksum()
    eng, other = _hold_lock(dblint_db)
    try:
        t0 = time.monotonic()
        res = dblint_run(
            "check",
            dblint_db.url_string,
            "--config",
            str(_config(tmp_path)),
            "--rules",
            str(RULES),
            "--select",
            "UNDO003,UNDO004,UNDO007",
            "--fix",
            "--unsafe-fixes",
            "--undo-file",
            str(tmp_path / "u.sql"),
        )
        elapsed = time.monotonic() - t0
    finally:
        other.rollback()
        other.close()
        eng.dispose()
    assert res.exit_code == 2  # rolled back for an error, res.stdout + res.stderr
    assert "fix rolled back, nothing was written" in res.stdout
    assert "gave up waiting for a lock (database.lock_timeout)" in res.stdout, res.stdout
    assert "Traceback" not in res.stdout + res.stderr
    assert elapsed < LOCK_TIMEOUT + 15, f"gave up only after {elapsed:.1f}s"
    assert not (tmp_path / "u.sql").exists()
    assert dblint_db.checksum() == before
