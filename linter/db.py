"""Connections: URL handling, read-only and write transactions per dialect, timeouts, and the
schema resolver that maps names written in rule files to the database's real spelling."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url

from linter.errors import MissingObject, TargetError, one_line

SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db", ".db3")


def parse_target(target: str) -> URL:
    """A SQLAlchemy URL, or a path to an SQLite file."""
    if "://" in target:
        try:
            return make_url(target)
        except Exception:
            # Unparseable, but it may still hold a password: never echo the userinfo part.
            shown = re.sub(r"(://[^/@]*?):[^/]*@", r"\1:***@", target)
            raise TargetError(f"not a database URL: {mask_text(shown)}") from None
    path = Path(target)
    if not path.exists():
        raise TargetError(f"no such database file: {target}")
    if path.is_dir():
        raise TargetError(f"{target} is a directory, not a database file")
    with path.open("rb") as fh:
        head = fh.read(16)
    if head and head != b"SQLite format 3\x00":
        raise TargetError(f"{target} is not an SQLite database")
    return URL.create("sqlite", database=str(path.resolve()))


def mask_url(url: URL | str) -> str:
    if isinstance(url, str):
        text = url
        try:
            url = make_url(text)
        except Exception:
            return mask_text(text)
    return url.render_as_string(hide_password=True)


_secrets: set[str] = set()


def remember_secret(secret: str | None) -> None:
    """Passwords seen in URLs are scrubbed from every message dblint prints."""
    if secret:
        from urllib.parse import quote, quote_plus

        # The password as typed in a URL, too: percent-encoded forms must not leak either.
        _secrets.update({secret, quote(secret, safe=""), quote_plus(secret)})


def mask_text(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


@dataclass(frozen=True)
class Timeouts:
    statement: float = 300.0  # seconds
    lock: float = 10.0


def create_engine(url: URL, *, pool_size: int = 5, timeouts: Timeouts | None = None) -> Engine:
    """An engine for ``url``. With ``timeouts``, every new server connection gets them as session
    settings, so schema reflection (outside dblint's transactions) cannot hang behind a lock either."""
    remember_secret(url.password)
    kwargs: dict[str, object] = {}
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
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
        extra = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}.get(url.get_backend_name())
        hint = f" (pip install 'dblint[{extra}]')" if extra else ""
        raise TargetError(f"driver for {mask_url(url)} is not installed: {exc.name}{hint}") from None
    except Exception as exc:
        raise TargetError(f"cannot use {mask_url(url)}: {mask_text(one_line(str(exc)))}") from None
    if timeouts is not None:
        sa.event.listen(engine, "connect", _session_timeouts(engine, timeouts))
    return engine


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
                extra = [f"SET SESSION max_statement_time = {timeouts.statement:.3f}"]
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
                conn.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE")
                conn.commit()
            elif d == "mysql":
                conn.exec_driver_sql("SET SESSION TRANSACTION READ WRITE")
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


class Schema:
    """Resolves table and column names case-insensitively to the database's own spelling and
    builds reflected :class:`sqlalchemy.Table` objects (columns, types, primary key) on demand.

    Rule packs are written once (``discipline``, ``DisciplineID``) and work on MariaDB's
    case-sensitive table names, PostgreSQL's folded lower case and SQLite alike. Thread-safe.
    """

    def __init__(self, engine: Engine | Connection, schema: str | None = None) -> None:
        self._bind = engine
        self.schema = schema
        self.metadata = sa.MetaData()
        self._lock = threading.RLock()
        self._names: dict[str, str] | None = None
        self._tables: dict[str, sa.Table] = {}
        self.dialect = dialect_of(engine)
        self._local = threading.local()

    @contextmanager
    def using(self, conn: Connection) -> Iterator[None]:
        """Reflect through ``conn`` (the connection a rule runs on) in this thread. Reflecting through
        the engine instead would borrow a second connection, which for an in-memory SQLite database
        IS the same connection, and returning it to the pool would roll back dblint's transaction."""
        previous = getattr(self._local, "conn", None)
        self._local.conn = conn
        try:
            yield
        finally:
            self._local.conn = previous

    @property
    def bind(self) -> Engine | Connection:
        return getattr(self._local, "conn", None) or self._bind

    def inspector(self) -> sa.Inspector:
        return sa.inspect(self.bind)

    def _inspector(self) -> sa.Inspector:
        return self.inspector()

    def table_names(self) -> dict[str, str]:
        with self._lock:
            if self._names is None:
                try:
                    names = self._inspector().get_table_names(schema=self.schema)
                    names += self._inspector().get_view_names(schema=self.schema)
                except Exception as exc:
                    raise TargetError(
                        f"cannot read the schema of {mask_url(self._bind.engine.url)}: "
                        f"{mask_text(one_line(str(exc)))}"
                    ) from None
                self._names = {}
                for n in sorted(names):  # exact spelling wins over a case-variant
                    self._names.setdefault(n.lower(), n)
                for n in names:
                    self._names[n] = n
            return self._names

    def has_table(self, name: str) -> bool:
        names = self.table_names()
        return name in names or name.lower() in names

    def real_name(self, name: str) -> str:
        names = self.table_names()
        real = names.get(name) or names.get(name.lower())
        if real is None:
            raise MissingObject(f"table {name} does not exist")
        return real

    def table(self, name: str) -> sa.Table:
        real = self.real_name(name)
        with self._lock:
            t = self._tables.get(real)
            if t is None:
                insp = self._inspector()
                cols = insp.get_columns(real, schema=self.schema)
                pk = set(insp.get_pk_constraint(real, schema=self.schema).get("constrained_columns") or [])
                t = sa.Table(
                    real,
                    self.metadata,
                    *[
                        sa.Column(
                            c["name"],
                            c["type"],
                            primary_key=c["name"] in pk,
                            nullable=c.get("nullable", True),
                        )
                        for c in cols
                    ],
                    schema=self.schema,
                )
                self._tables[real] = t
            return t

    def column(self, table: sa.Table | str, name: str) -> sa.Column[object]:
        t = self.table(table) if isinstance(table, str) else table
        col = t.c.get(name)
        if col is None:
            lowered = name.lower()
            for c in t.c:
                if c.name.lower() == lowered:
                    return c
            raise MissingObject(f"column {t.name}.{name} does not exist")
        return col

    def primary_key(self, table: sa.Table) -> list[sa.Column[object]]:
        return list(table.primary_key.columns)

    def foreign_keys(self, table: str) -> list[dict[str, object]]:
        real = self.real_name(table)
        with self._lock:
            fks = self._inspector().get_foreign_keys(real, schema=self.schema)
            return cast("list[dict[str, object]]", list(fks))  # ReflectedForeignKeyConstraint dicts


def env_url() -> str | None:
    return os.environ.get("DBLINT_DATABASE_URL") or None
