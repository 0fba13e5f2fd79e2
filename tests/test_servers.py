"""Server behaviour the YAML cases cannot express: lock and statement timeouts, parallel rules
(--jobs) and MariaDB's implicit DDL commits."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from linter.testing import TestDatabase

server = pytest.mark.parametrize("dblint_db", ["postgresql", "mysql"], indirect=True)

RULES = """\
rules:
  - id: SRV001
    title: names are set
    kind: not_null
    params: {table: obj, column: name}
  - id: SRV002
    title: names are unique
    kind: unique
    params: {table: obj, columns: [name]}
  - id: SRV003
    title: objects belong to a collection
    kind: reference
    params: {table: obj, columns: [collection_id], references: {table: collection, columns: [id]}}
  - id: SRV004
    title: every collection has an object
    kind: row_exists
    params: {for_each: {table: collection}, require: {table: obj, match: {collection_id: "{id}"}}}
  - id: SRV005
    title: raw query
    kind: sql
    params: {query: "SELECT id FROM obj WHERE id > 95", key: [id], table: obj}
  - id: SRV006
    title: absent table
    kind: not_null
    params: {table: nothing_here, column: x}
"""


OBJECTS = [(i, i % 9, None if i % 7 == 0 else f"n{i % 40}") for i in range(1, 101)]
COLLECTIONS = range(1, 8)


def _expected() -> list[int]:
    """SRV001..SRV005 computed in Python from the rows, independently of dblint."""
    from collections import Counter

    names = Counter(n for _, _, n in OBJECTS if n is not None)
    return [
        sum(n is None for _, _, n in OBJECTS),
        sum(1 for c in names.values() if c > 1),
        sum(1 for _, c, _ in OBJECTS if c is not None and c not in COLLECTIONS),
        sum(1 for c in COLLECTIONS if not any(oc == c for _, oc, _ in OBJECTS)),
        sum(1 for i, _, _ in OBJECTS if i > 95),
    ]


def _objects(db: TestDatabase) -> None:
    db.create(
        {
            "collection": {"columns": {"id": "integer primary key"}, "rows": [[i] for i in COLLECTIONS]},
            "obj": {
                "columns": {"id": "integer primary key", "collection_id": "integer", "name": "varchar(16)"},
                "rows": [list(r) for r in OBJECTS],
            },
        }
    )


def _config(tmp_path: Path, **database: Any) -> Path:
    lines = ["database:"] + [f"  {k}: {v}" for k, v in database.items()]
    cfg = tmp_path / "dblint.yaml"
    cfg.write_text("\n".join(lines) + "\n")
    return cfg


@server
def test_jobs_give_identical_results(dblint_db: TestDatabase, dblint_run: Any, tmp_path: Path) -> None:
    _objects(dblint_db)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)

    def results(jobs: str) -> list[dict[str, Any]]:
        res = dblint_run("check", dblint_db.url_string, "--rules", rules, "--format", "json", "--jobs", jobs)
        assert res.exit_code == 1, res.stderr
        rows = res.json()["rules"]
        for r in rows:
            r.pop("seconds")
        return rows  # type: ignore[no-any-return]

    one, four = results("1"), results("4")
    assert one == four
    by_id = {r["id"]: r for r in one}
    assert [by_id[i]["violations"] for i in ("SRV001", "SRV002", "SRV003", "SRV004", "SRV005")] == _expected()
    assert by_id["SRV006"]["status"] == "skipped" and by_id["CORE002"]["status"] == "pass"


def _hold_lock(db: TestDatabase, ready: threading.Event, release: threading.Event) -> None:
    eng = sa.create_engine(db.url, poolclass=sa.pool.NullPool)
    with eng.connect() as c:
        if db.dialect == "postgresql":
            c.exec_driver_sql("LOCK TABLE obj IN ACCESS EXCLUSIVE MODE")
        else:
            c.exec_driver_sql("LOCK TABLES obj WRITE")
        ready.set()
        release.wait(60)
        if db.dialect == "mysql":
            c.exec_driver_sql("UNLOCK TABLES")
        c.rollback()
    eng.dispose()


@server
def test_check_gives_up_behind_a_lock(dblint_db: TestDatabase, dblint_run: Any, tmp_path: Path) -> None:
    _objects(dblint_db)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    cfg = _config(tmp_path, lock_timeout="1s")
    ready, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(dblint_db, ready, release), daemon=True)
    holder.start()
    try:
        assert ready.wait(30)
        t0 = time.monotonic()
        res = dblint_run(
            "check",
            dblint_db.url_string,
            "--config",
            cfg,
            "--rules",
            rules,
            "--select",
            "SRV001,SRV004",
            "--format",
            "json",
            "--jobs",
            "1",
        )
        elapsed = time.monotonic() - t0
    finally:
        release.set()
        holder.join(30)
    assert res.exit_code == 2, res.stdout + res.stderr
    for rule_id in ("SRV001", "SRV004"):
        r = res.rule(rule_id)
        assert r["status"] == "error"
        assert r["reason"].startswith("gave up waiting for a lock (database.lock_timeout)"), r["reason"]
    # two rules, each waiting about one second; generous bounds for a loaded machine
    assert elapsed < 20, elapsed


@pytest.mark.parametrize("dblint_db", ["postgresql"], indirect=True)
def test_reflection_respects_lock_timeout(dblint_db: TestDatabase, dblint_run: Any, tmp_path: Path) -> None:
    """An ACCESS EXCLUSIVE lock blocks even reading a table's columns on PostgreSQL: the
    session-level lock timeout makes that a clear error instead of a hang."""
    _objects(dblint_db)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    cfg = _config(tmp_path, lock_timeout="1s")
    ready, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(dblint_db, ready, release), daemon=True)
    holder.start()
    try:
        assert ready.wait(30)
        t0 = time.monotonic()
        res = dblint_run(
            "check", dblint_db.url_string, "--config", cfg, "--rules", rules, "--select", "CORE001"
        )
        elapsed = time.monotonic() - t0
    finally:
        release.set()
        holder.join(30)
    assert res.exit_code == 2
    assert "lock" in (res.stdout + res.stderr).lower()
    assert elapsed < 20, elapsed


@server
def test_statement_timeout(dblint_db: TestDatabase, dblint_run: Any, tmp_path: Path) -> None:
    _objects(dblint_db)
    # A 10^10-row cross join takes minutes on either server (SLEEP() would not do: MariaDB's SLEEP
    # just returns 1 when max_statement_time interrupts it).
    slow = "SELECT a.id FROM obj a, obj b, obj c, obj d, obj e WHERE a.id + b.id + c.id + d.id + e.id < 0"
    rules = tmp_path / "rules.yaml"
    rules.write_text(f"rules:\n  - id: SLOW001\n    kind: sql\n    params: {{query: '{slow}'}}\n")
    cfg = _config(tmp_path, statement_timeout="1s")
    t0 = time.monotonic()
    res = dblint_run(
        "check",
        dblint_db.url_string,
        "--config",
        cfg,
        "--rules",
        rules,
        "--select",
        "SLOW",
        "--format",
        "json",
    )
    elapsed = time.monotonic() - t0
    r = res.rule("SLOW001")
    assert r["status"] == "error", r
    assert r["reason"].startswith("gave up: the query ran longer than database.statement_timeout"), r[
        "reason"
    ]
    assert elapsed < 15, elapsed


def test_timeouts_default_and_parse() -> None:
    from linter.load.config import Config, DatabaseConfig

    assert (Config().database.statement_timeout, Config().database.lock_timeout) == (300.0, 10.0)
    db = DatabaseConfig.model_validate({"statement_timeout": "2m", "lock_timeout": "250ms"})
    assert (db.statement_timeout, db.lock_timeout) == (120.0, 0.25)
    with pytest.raises(ValueError):
        DatabaseConfig.model_validate({"lock_timeout": "soon"})


@pytest.mark.parametrize("dblint_db", ["mysql"], indirect=True)
def test_mariadb_refuses_ddl_fix_up_front(dblint_db: TestDatabase, dblint_run: Any, tmp_path: Path) -> None:
    """MariaDB commits DDL at once: a fix holding DDL is unavailable there, before anything runs,
    and says why; nothing is written."""
    _objects(dblint_db)
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n"
        "  - id: DDL002\n    kind: sql\n"
        "    params: {query: 'SELECT id FROM obj WHERE name IS NULL', table: obj}\n"
        "    fix: {safety: safe, statements: ['UPDATE obj SET name = 1 WHERE name IS NULL',\n"
        "                                     'ALTER TABLE obj ADD COLUMN fixed_by_dblint INTEGER']}\n"
    )
    before = dblint_db.checksum()
    args = ("check", dblint_db.url_string, "--rules", rules, "--select", "DDL")
    shown = dblint_run(*args, "--format", "json")
    assert shown.rule("DDL002")["fix_unavailable"] == (
        "fix unavailable here: its fix runs DDL, which MariaDB/MySQL commits at once and cannot roll back "
        "(run it by hand, or deselect the rule)"
    )
    assert shown.rule("DDL002")["fixable"] is False
    res = dblint_run(*args, "--fix")
    assert res.exit_code == 1  # the violations remain
    assert "Fixed 0 rows." in res.stdout
    assert dblint_db.checksum() == before
    cols = [c["name"] for c in sa.inspect(dblint_db.engine).get_columns("obj")]
    assert "fixed_by_dblint" not in cols


@pytest.mark.parametrize("dblint_db", ["postgresql", "sqlite"], indirect=True)
def test_ddl_fix_is_transactional_elsewhere(dblint_db: TestDatabase, dblint_run: Any, tmp_path: Path) -> None:
    """PostgreSQL and SQLite roll DDL back with everything else: a failing fix leaves no column behind."""
    _objects(dblint_db)
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n"
        "  - id: DDL002\n    kind: sql\n"
        "    params: {query: 'SELECT id FROM obj WHERE name IS NULL', table: obj}\n"
        "    fix: {safety: safe, statements: ['ALTER TABLE obj ADD COLUMN fixed_by_dblint INTEGER',\n"
        "                                     'INSERT INTO obj (id) SELECT id FROM obj']}\n"
    )
    before = dblint_db.checksum()
    res = dblint_run("check", dblint_db.url_string, "--rules", rules, "--select", "DDL", "--fix")
    assert res.exit_code == 2  # rolled back for an error (the second statement's duplicate keys)
    assert "fix rolled back, nothing was written: DDL002 failed" in res.stdout
    assert dblint_db.checksum() == before
    assert "fixed_by_dblint" not in [c["name"] for c in sa.inspect(dblint_db.engine).get_columns("obj")]


@server
def test_read_only_survives_a_stray_commit(dblint_db: TestDatabase) -> None:
    """The read-only mode is the session default while dblint checks, so a transaction that a
    statement ended and restarted is read-only as well; the pooled connection is writable again after."""
    from sqlalchemy.exc import DBAPIError

    from linter import db

    _objects(dblint_db)
    before = dblint_db.checksum()
    engine = db.create_engine(dblint_db.url, pool_size=1, timeouts=db.Timeouts())
    try:
        with db.read_only(engine) as conn:
            conn.exec_driver_sql("COMMIT")
            with pytest.raises(DBAPIError, match="(?i)read.only"):
                conn.exec_driver_sql("DELETE FROM obj")
        assert dblint_db.checksum() == before
        with db.writable(engine) as conn:  # the same pooled connection, read-write again
            conn.exec_driver_sql("DELETE FROM obj WHERE id = 1")
            conn.commit()
        assert dblint_db.count("obj") == len(OBJECTS) - 1
    finally:
        engine.dispose()


@pytest.mark.parametrize("dblint_db", ["mysql"], indirect=True)
def test_mariadb_sessions_skip_split_materialization(dblint_db: TestDatabase) -> None:
    """MariaDB may run a grouped derived table once per row of its outer join (split
    materialization, "LATERAL DERIVED"); from statistics a large fix left stale it turned SPEC105
    from 0.2 s into 6 s on bench/specify_large.py's institution. dblint's sessions turn it off,
    for checks and fixes alike, and leave every other optimizer switch as the server has it."""
    from linter import db

    def switches(conn: sa.Connection, scope: str) -> dict[str, str]:
        value = str(conn.exec_driver_sql(f"SELECT @@{scope}.optimizer_switch").scalar())
        return dict(s.split("=", 1) for s in value.split(","))

    plain = sa.create_engine(dblint_db.url, poolclass=sa.pool.NullPool)
    with plain.connect() as conn:
        server = switches(conn, "GLOBAL")
    engine = db.create_engine(dblint_db.url, pool_size=1, timeouts=db.Timeouts())
    try:
        for session in (db.read_only, db.writable):
            with session(engine) as conn:
                ours = switches(conn, "SESSION")
            assert ours.pop("split_materialized") == "off"
            assert ours == {k: v for k, v in server.items() if k != "split_materialized"}
    finally:
        engine.dispose()


def test_split_materialization_switch_only_where_mariadb_has_it() -> None:
    """MariaDB before 10.3.4 has no split_materialized switch (setting it would fail the connection)."""
    from linter.db.session import mariadb_version

    assert mariadb_version("10.11.19-MariaDB-0+deb12u1") >= (10, 3, 4)
    assert mariadb_version("5.5.5-10.2.44-MariaDB-log") < (10, 3, 4)
    assert mariadb_version("10.3.4-MariaDB") >= (10, 3, 4)
    assert mariadb_version("unreadable") < (10, 3, 4)


def test_pymysql_preferred_tls_context_is_pymysqls_own_settings() -> None:
    """dblint's shared PREFERRED-mode context (linter.db.tls) has the settings PyMySQL gives its own
    per-connection one: no certificate or host name check, the same protocol floor and options.
    If a PyMySQL release starts verifying in that mode, this fails rather than dblint verifying less."""
    import ssl

    from pymysql.connections import Connection

    from linter.db import tls

    attrs = ("verify_mode", "check_hostname", "verify_flags", "options", "minimum_version", "maximum_version")
    theirs = Connection._create_ssl_ctx(object(), {})  # what PyMySQL builds per connection
    ours = tls.preferred_context()
    for attr in (*attrs, "protocol", "keylog_filename", "security_level", "post_handshake_auth"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert ours.get_ciphers() == theirs.get_ciphers()
    assert ours.verify_mode == ssl.CERT_NONE
    # Any TLS setup of the user's own (a CA file, say) is PyMySQL's, untouched.
    cls = tls._connection_class()
    own = cls._create_ssl_ctx(cls.__new__(cls), {"ca": None, "check_hostname": False})
    assert own is not ours


def test_the_shared_tls_context_keeps_sslkeylogfile(monkeypatch, tmp_path) -> None:
    """SSLKEYLOGFILE (for debugging TLS traffic) is honoured as by PyMySQL's own context."""
    from pymysql.connections import Connection

    from linter.db import tls

    monkeypatch.setenv("SSLKEYLOGFILE", str(tmp_path / "keys.log"))
    tls.preferred_context.cache_clear()
    try:
        theirs = Connection._create_ssl_ctx(object(), {})
        assert tls.preferred_context().keylog_filename == theirs.keylog_filename == str(tmp_path / "keys.log")
    finally:
        tls.preferred_context.cache_clear()


@pytest.mark.parametrize("dblint_db", ["mysql"], indirect=True)
def test_mariadb_connections_share_one_preferred_tls_context(dblint_db: TestDatabase) -> None:
    """Each PyMySQL connection used to load the system's CA store for a context that checks no
    certificate (20-50 ms a connection); dblint's connections share one, and still connect."""
    from linter import db
    from linter.db import tls

    engine = db.create_engine(dblint_db.url, pool_size=2, timeouts=db.Timeouts())
    try:
        with db.read_only(engine) as one, db.read_only(engine) as two:
            raw = [c.connection.dbapi_connection for c in (one, two)]
            assert one.exec_driver_sql("SELECT 1").scalar() == 1
        assert all(r is not None and r.ctx is tls.preferred_context() for r in raw)
    finally:
        engine.dispose()
