"""Engines and transactions per dialect: timeouts on every connection, the read-only transaction
of ``check`` and the one write transaction of ``--fix``."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine

from linter.db import tls
from linter.db.url import mask_text, mask_url, remember_secret
from linter.errors import TargetError, one_line


@dataclass(frozen=True)
class Timeouts:
    statement: float = 300.0  # seconds
    lock: float = 10.0


def create_engine(
    url: URL, *, pool_size: int = 5, timeouts: Timeouts | None = None, writes: bool = False
) -> Engine:
    """An engine for ``url``. With ``timeouts``, every new server connection gets them as session
    settings, so schema reflection (outside dblint's transactions) cannot hang behind a lock either.
    An SQLite file is opened read-only unless ``writes`` (``--fix``), and never created."""
    remember_secret(url.password)
    kwargs: dict[str, object] = {}
    if url.get_backend_name() == "sqlite":
        if url.database not in (None, "", ":memory:") and not url.query:
            kwargs["creator"] = _sqlite_opener(str(url.database), writes)
        elif url.database in (None, "", ":memory:"):
            # One connection holds the whole database; returning it to the pool must not roll back
            # the transaction dblint has open on it.
            kwargs["poolclass"] = sa.pool.StaticPool
            kwargs["pool_reset_on_return"] = None
            kwargs["connect_args"] = {"check_same_thread": False}
    else:
        kwargs["pool_size"] = pool_size
        kwargs["max_overflow"] = 2
        kwargs["pool_pre_ping"] = False
    try:
        engine = sa.create_engine(url, **kwargs)  # type: ignore[arg-type]
    except ModuleNotFoundError as exc:
        hint = driver_hint(url)
        raise TargetError(f"driver for {mask_url(url)} is not installed: {exc.name}{hint}") from None
    except Exception as exc:
        raise TargetError(f"cannot use {mask_url(url)}: {mask_text(one_line(str(exc)))}") from None
    if timeouts is not None:
        sa.event.listen(engine, "connect", _session_timeouts(engine, timeouts))
    if tls.applies(url):
        sa.event.listen(engine, "do_connect", lambda _d, _r, cargs, cparams: tls.connect(cargs, cparams))
    return engine


# The package that brings each driver a URL can ask for (SQLAlchemy's default driver when the URL
# names none), and the extra of dblint's pyproject that brings the tested one.
DRIVERS = {
    ("postgresql", "psycopg"): ("psycopg[binary]", "postgres"),
    ("postgresql", "psycopg2"): ("psycopg2-binary", None),
    ("postgresql", "pg8000"): ("pg8000", None),
    ("mysql", "pymysql"): ("PyMySQL", "mysql"),
    ("mysql", "mysqldb"): ("mysqlclient", None),
    ("mysql", "mysqlconnector"): ("mysql-connector-python", None),
    ("mariadb", "pymysql"): ("PyMySQL", "mysql"),
    ("mariadb", "mysqldb"): ("mysqlclient", None),
    ("mariadb", "mariadbconnector"): ("mariadb", None),
}
TESTED = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql", "mariadb": "mysql+pymysql"}


def driver_hint(url: URL) -> str:
    """How to install the driver this URL asks for, runnable as written; and the tested driver."""
    backend, driver = url.get_backend_name(), url.get_driver_name()
    package, extra = DRIVERS.get((backend, driver), (None, None))
    parts = [f"the URL asks for {driver}: pip install '{package}'"] if package else []
    if extra:
        parts.append(f"from a dblint clone: .venv/bin/pip install -e '.[{extra}]'")
    elif backend in TESTED:
        parts.append(f"or write {TESTED[backend]}://…, the driver dblint is tested with")
    return f" ({'; '.join(parts)})" if parts else ""


def _session_timeouts(engine: Engine, timeouts: Timeouts) -> Any:
    d = dialect_of(engine)
    stmts: list[str] = []
    if d == "postgresql":
        stmts = [
            f"SET statement_timeout = {int(timeouts.statement * 1000)}",
            f"SET lock_timeout = {int(timeouts.lock * 1000)}",
        ]
    elif d == "mysql":
        lock = max(1, int(round(timeouts.lock)))
        stmts = [f"SET SESSION innodb_lock_wait_timeout = {lock}", f"SET SESSION lock_wait_timeout = {lock}"]
    elif d == "sqlite":
        stmts = [f"PRAGMA busy_timeout = {int(timeouts.lock * 1000)}"]

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        extra = []
        if d == "mysql":
            server = str(getattr(dbapi_conn, "get_server_info", lambda: "")())
            if "mariadb" in server.lower():
                # Split materialization runs a grouped derived table once per row of its outer
                # join; chosen from statistics a large fix had left stale, it made SPEC105 take 6 s
                # instead of 0.2 s (docs/performance.md). dblint's checks read whole tables, where
                # materializing once is the better plan.
                extra = [f"SET SESSION max_statement_time = {timeouts.statement:.3f}"]
                if mariadb_version(server) >= (10, 3, 4):  # the switch came with the optimization
                    extra.append("SET SESSION optimizer_switch = 'split_materialized=off'")
            else:
                extra = [f"SET SESSION max_execution_time = {int(timeouts.statement * 1000)}"]
        cur = dbapi_conn.cursor()
        try:
            for stmt in stmts + extra:
                cur.execute(stmt)
        finally:
            cur.close()
        if d == "postgresql" and not getattr(dbapi_conn, "autocommit", True):
            dbapi_conn.commit()  # psycopg opened a transaction for the SETs; end it

    return on_connect


def mariadb_version(server: str) -> tuple[int, ...]:
    """(10, 11, 19) from "10.11.19-MariaDB-0+deb12u1" (or "5.5.5-10.11.19-MariaDB…"); () if unreadable."""
    m = re.search(r"(\d+)\.(\d+)\.(\d+)-MariaDB", server)
    return tuple(int(g) for g in m.groups()) if m else ()


def dialect_of(conn: Connection | Engine) -> str:
    name = conn.dialect.name
    return "mysql" if name in ("mysql", "mariadb") else name


def _set_timeouts(conn: Connection, timeouts: Timeouts) -> None:
    d = dialect_of(conn)
    if d == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeouts.statement * 1000)}")
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(timeouts.lock * 1000)}")
    elif d == "mysql":
        # Session-scoped on MySQL; the pool hands this connection to dblint only.
        lock = max(1, int(round(timeouts.lock)))
        conn.exec_driver_sql(f"SET SESSION innodb_lock_wait_timeout = {lock}")
        conn.exec_driver_sql(f"SET SESSION lock_wait_timeout = {lock}")
        if is_mariadb(conn):
            conn.exec_driver_sql(f"SET SESSION max_statement_time = {timeouts.statement:.3f}")
        else:
            conn.exec_driver_sql(f"SET SESSION max_execution_time = {int(timeouts.statement * 1000)}")
    elif d == "sqlite":
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(timeouts.lock * 1000)}")


def is_mariadb(conn: Connection | Engine) -> bool:
    return conn.dialect.name == "mariadb" or bool(getattr(conn.dialect, "is_mariadb", False))


@contextmanager
def read_only(
    engine: Engine, timeouts: Timeouts = Timeouts(), snapshot: str | None = None
) -> Iterator[Connection]:
    """A connection inside a read-only transaction (one snapshot), rolled back at the end.
    ``snapshot`` (PostgreSQL) imports another transaction's exported snapshot."""
    conn = _connect(engine)
    d = dialect_of(conn)
    try:
        if d == "sqlite":
            conn.exec_driver_sql("PRAGMA query_only = ON")
            _set_timeouts(conn, timeouts)
            conn.exec_driver_sql("BEGIN")  # one snapshot for every query of this connection
        elif d == "postgresql":
            # The session default too, so even a transaction that some statement ended and
            # restarted stays read-only; undone below before the connection returns to the pool.
            conn.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            conn.commit()
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            if snapshot:
                if not re.fullmatch(r"[0-9A-Fa-f-]+", snapshot):
                    raise ValueError(f"not a snapshot id: {snapshot!r}")
                conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            _set_timeouts(conn, timeouts)
        elif d == "mysql":
            _set_timeouts(conn, timeouts)
            conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")  # as for PostgreSQL above
            conn.exec_driver_sql("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
        yield conn
    finally:
        try:
            conn.rollback()
            if d == "sqlite":
                conn.exec_driver_sql("PRAGMA query_only = OFF")
                conn.commit()
            elif d == "postgresql":
                # Back to the database's or role's default (READ WRITE would lift a read-only one).
                conn.exec_driver_sql("RESET default_transaction_read_only")
                conn.commit()
            elif d == "mysql":
                var = "tx_read_only" if is_mariadb(conn) else "transaction_read_only"
                conn.exec_driver_sql(f"SET SESSION {var} = @@GLOBAL.{var}")
                conn.commit()
        except Exception:
            conn.invalidate()  # cannot restore the session: never hand it out again
        finally:
            conn.close()


@contextmanager
def writable(engine: Engine, timeouts: Timeouts = Timeouts()) -> Iterator[Connection]:
    """A connection in one write transaction. The caller commits; anything else rolls back."""
    conn = _connect(engine)
    mode: str | None = None
    try:
        _refuse_read_only_server(conn)
        if dialect_of(conn) == "sqlite":
            _set_timeouts(conn, timeouts)
            # Take the write lock up front so a concurrent writer fails fast, not half way.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            if dialect_of(conn) == "mysql":
                # A fix inserting key value 0 (a missing parent 0) must insert 0, not the next
                # AUTO_INCREMENT value. Restored below: the connection goes back to the pool.
                mode = str(conn.exec_driver_sql("SELECT @@SESSION.sql_mode").scalar() or "")
                conn.exec_driver_sql(
                    "SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_AUTO_VALUE_ON_ZERO')"
                )
            _set_timeouts(conn, timeouts)
        yield conn
    finally:
        try:
            conn.rollback()  # a no-op after the caller's commit
            if mode is not None:
                conn.exec_driver_sql("SET SESSION sql_mode = %s", (mode,))
                conn.rollback()
        finally:
            conn.close()


def _refuse_read_only_server(conn: Connection) -> None:
    """A hot standby or a server set read-only cannot take a fix: say so once, before anything."""
    d = dialect_of(conn)
    why = ""
    if d == "postgresql":
        if conn.exec_driver_sql("SELECT pg_is_in_recovery()").scalar():
            why = "a PostgreSQL hot standby (pg_is_in_recovery() is true)"
        elif conn.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "on":
            why = "read-only (default_transaction_read_only = on)"
        conn.rollback()
    elif d == "mysql":
        if conn.exec_driver_sql("SELECT @@GLOBAL.read_only").scalar():
            why = "read-only (@@read_only = 1)"
        conn.rollback()
    if why:
        url = mask_url(conn.engine.url)
        raise TargetError(f"--fix: {url} is {why}; nothing was written (fix the primary server)")


def _connect(engine: Engine) -> Connection:
    try:
        conn = engine.connect()
    except Exception as exc:
        raise TargetError(
            f"cannot connect to {mask_url(engine.url)}: {mask_text(one_line(str(exc.__cause__ or exc)))}"
        ) from None
    if dialect_of(conn) == "sqlite":
        # SQLAlchemy's pysqlite emits no BEGIN itself; we manage transactions explicitly.
        conn.connection.dbapi_connection.isolation_level = None  # type: ignore[union-attr]
    return conn


def _sqlite_opener(path: str, writes: bool) -> Callable[[], sqlite3.Connection]:
    """Connections to the file ``path`` by URI: ``mode=ro`` for check (SQLite then refuses every
    write, whatever a statement does), ``mode=rw`` for a fix; neither creates a missing file."""
    from urllib.parse import quote

    uri = f"file:{quote(os.path.abspath(path))}?mode={'rw' if writes else 'ro'}"

    def connect() -> sqlite3.Connection:
        # The pool hands a connection to one thread at a time (--jobs), never to two at once.
        return sqlite3.connect(uri, uri=True, check_same_thread=False)

    return connect
