"""Throwaway databases on every dialect for tests: uniquely named, created from a small YAML-like
table spec, checksummed, dropped afterwards. Servers come from ``DBLINT_TEST_POSTGRES_URL`` /
``DBLINT_TEST_MYSQL_URL`` (defaults: the local servers)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

DIALECTS = ("sqlite", "postgresql", "mysql")
SERVER_URLS = {
    "postgresql": ("DBLINT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    "mysql": ("DBLINT_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/mysql"),
}
HOW_TO_START = {
    "postgresql": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "mysql": "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql",
}
_reachable: dict[str, str | None] = {}


def servers_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("DBLINT_REQUIRE_SERVERS") == "1"


def server_url(dialect: str) -> sa.URL:
    env, default = SERVER_URLS[dialect]
    return sa.make_url(os.environ.get(env) or default)


def _check_server(dialect: str) -> str | None:
    """None when reachable, else the reason."""
    if dialect not in _reachable:
        url = server_url(dialect)
        try:
            eng = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args=_connect_args(dialect))
            with eng.connect() as c:
                c.exec_driver_sql("SELECT 1")
            eng.dispose()
            _reachable[dialect] = None
        except Exception as exc:
            where = f"{url.host}:{url.port}"
            _reachable[dialect] = (
                f"{dialect} server at {where} not reachable ({type(exc).__name__}); "
                f"start it with: {HOW_TO_START[dialect]}"
            )
    return _reachable[dialect]


def _connect_args(dialect: str) -> dict[str, Any]:
    return {"connect_timeout": 5}


def split_sql(script: str) -> list[str]:
    """Split a script on semicolons outside quotes and comments, dropping the comments."""
    from linter.db.sqltext import split_statements

    return split_statements(script, keep_comments=False)


def _sqlite_statements(pieces: list[str]) -> list[str]:
    """Pieces split on semicolons joined back where SQLite says a statement is not complete yet (a
    CREATE TRIGGER's body holds semicolons of its own)."""
    import sqlite3

    out: list[str] = []
    buf = ""
    for piece in pieces:
        buf = f"{buf};\n{piece}" if buf else piece
        if sqlite3.complete_statement(buf + ";"):
            out.append(buf)
            buf = ""
    return out + ([buf] if buf else [])


_TYPE = re.compile(r"^\s*(\w+)(?:\((\d+)(?:\s*,\s*(\d+))?\))?\s*(.*)$", re.IGNORECASE)


def column_from_spec(name: str, spec: str) -> sa.Column[Any]:
    """``"integer primary key"``, ``"varchar(64) not null"``, ``"integer references t(c)"``…"""
    m = _TYPE.match(spec)
    if not m:
        raise ValueError(f"bad column spec {spec!r}")
    tname, a, b, rest = m.group(1).lower(), m.group(2), m.group(3), m.group(4).lower()
    types: dict[str, Any] = {
        "integer": sa.Integer(),
        "int": sa.Integer(),
        "bigint": sa.BigInteger(),
        "smallint": sa.SmallInteger(),
        "varchar": sa.String(int(a) if a else 255),
        "char": sa.CHAR(int(a) if a else 1),
        "text": sa.Text(),
        "boolean": sa.Boolean(),
        "bool": sa.Boolean(),
        "date": sa.Date(),
        "datetime": sa.DateTime(),
        "timestamp": sa.DateTime(),
        "float": sa.Float(),
        "numeric": sa.Numeric(int(a) if a else 10, int(b) if b else 2),
        "decimal": sa.Numeric(int(a) if a else 10, int(b) if b else 2),
    }
    if tname not in types:
        raise ValueError(f"unknown column type {tname!r} in {spec!r}")
    args: list[Any] = []
    ref = re.search(r"references\s+([\w ]+?)\s*\(([^)]+)\)", m.group(4), re.IGNORECASE)
    if ref:
        actions = dict(
            re.findall(r"\bon\s+(delete|update)\s+(cascade|set null|set default|restrict|no action)", rest)
        )
        args.append(
            sa.ForeignKey(
                f"{ref.group(1).strip()}.{ref.group(2).strip()}",
                ondelete=actions.get("delete", "").upper() or None,
                onupdate=actions.get("update", "").upper() or None,
            )
        )
    pk = "primary key" in rest
    return sa.Column(
        name,
        types[tname],
        *args,
        primary_key=pk,
        nullable=not pk and "not null" not in rest,
        unique=bool(re.search(r"\bunique\b", rest)),
        autoincrement=True if (pk and "autoincrement" in rest) else ("auto" if pk else False),
    )


@dataclass
class TestDatabase:
    """A throwaway database on one dialect."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    dialect: str
    url: sa.URL
    engine: sa.Engine

    @property
    def url_string(self) -> str:
        return self.url.render_as_string(hide_password=False)

    def execute(self, script: str | Sequence[str], params: Mapping[str, Any] | None = None) -> None:
        stmts = split_sql(script) if isinstance(script, str) else list(script)
        with self.engine.begin() as c:
            for s in stmts:
                c.execute(sa.text(s), params or {})

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        with self.engine.connect() as c:
            return [tuple(r) for r in c.execute(sa.text(sql), params or {})]

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        with self.engine.connect() as c:
            return c.execute(sa.text(sql), params or {}).scalar()

    def create(self, tables: Mapping[str, Mapping[str, Any]], *, enforce_fks: bool = False) -> sa.MetaData:
        """Create tables from ``{name: {columns: {col: spec}, rows: [...]}}`` and insert their rows.
        Rows may break foreign keys (orphans) unless ``enforce_fks``."""
        md = sa.MetaData()
        for name, t in tables.items():
            sa.Table(name, md, *[column_from_spec(c, s) for c, s in t["columns"].items()])
        md.create_all(self.engine)
        with self.engine.begin() as c:
            if not enforce_fks:
                self._fk_checks(c, False)
            for name, t in tables.items():
                rows = t.get("rows") or []
                table = md.tables[name]
                cols = list(t["columns"])
                dict_rows = [r if isinstance(r, Mapping) else dict(zip(cols, r, strict=True)) for r in rows]
                if dict_rows:
                    c.execute(sa.insert(table), dict_rows)
            if not enforce_fks:
                self._fk_checks(c, True)
        if self.dialect == "postgresql":
            self._reset_sequences(md)
        return md

    def _fk_checks(self, c: sa.Connection, on: bool) -> None:
        if self.dialect == "postgresql":
            c.exec_driver_sql(f"SET session_replication_role = {'origin' if on else 'replica'}")
        elif self.dialect == "mysql":
            c.exec_driver_sql(f"SET FOREIGN_KEY_CHECKS = {1 if on else 0}")

    def _reset_sequences(self, md: sa.MetaData) -> None:
        # Rows inserted with explicit ids leave SERIAL sequences behind; move them past the max.
        with self.engine.begin() as c:
            for t in md.tables.values():
                for col in t.primary_key.columns:
                    if isinstance(col.type, sa.Integer) and col.autoincrement in (True, "auto"):
                        seq = c.execute(
                            sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                            {"t": f'"{t.name}"', "c": col.name},
                        ).scalar()
                        if seq:
                            c.execute(
                                sa.text(
                                    f'SELECT setval(:s, COALESCE((SELECT MAX("{col.name}") '
                                    f'FROM "{t.name}"), 0) + 1, false)'
                                ),
                                {"s": seq},
                            )

    def apply_script(self, path: str | Path) -> None:
        """Run an SQL script (e.g. a dblint undo script) statement by statement in ONE transaction,
        through the DB-API cursor so nothing in it is taken for a bind parameter."""
        pieces = split_sql(Path(path).read_text(encoding="utf-8"))
        if self.dialect == "sqlite":
            pieces = _sqlite_statements(pieces)
        stmts = [s for s in pieces if s.strip().upper() not in ("BEGIN", "START TRANSACTION", "COMMIT")]
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            for s in stmts:
                cur.execute(s)
            raw.commit()
        except BaseException:
            raw.rollback()
            raise
        finally:
            raw.close()

    def table_names(self) -> list[str]:
        return sorted(sa.inspect(self.engine).get_table_names())

    def checksum(self) -> dict[str, str]:
        """A hash of every table's sorted rows, as the driver returns them (no reflection: one
        catalog query, then ``SELECT *`` per table): equal checksums mean equal contents."""
        out = {}
        with self.engine.connect() as c:
            quote = c.dialect.identifier_preparer.quote
            for name in sorted(sa.inspect(c).get_table_names()):
                result = c.exec_driver_sql(f"SELECT * FROM {quote(name)}")
                rows = sorted(json.dumps([plain(v) for v in r], default=str) for r in result)
                out[name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        return out

    def count(self, table: str, where: str = "") -> int:
        t = self.engine.dialect.identifier_preparer.quote(table)
        return int(self.scalar(f"SELECT COUNT(*) FROM {t}" + (f" WHERE {where}" if where else "")))


def plain(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, bytes):
        return v.hex()
    return v


def make_database(dialect: str, tmp_path: Path) -> Iterator[TestDatabase]:
    """Create a uniquely named database on ``dialect``; drop it when the generator closes."""
    name = f"dblint_t_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    if dialect == "sqlite":
        url = sa.URL.create("sqlite", database=str(tmp_path / f"{name}.sqlite"))
        engine = sa.create_engine(url)
        engine.connect().close()  # the file exists from the start: dblint never creates one
        try:
            yield TestDatabase("sqlite", url, engine)
        finally:
            engine.dispose()
        return
    reason = _check_server(dialect)
    if reason:
        if servers_required():
            pytest.fail(f"{reason} (CI or DBLINT_REQUIRE_SERVERS=1 is set, so this is a failure)")
        pytest.skip(reason)
    admin_url = server_url(dialect)
    admin = sa.create_engine(admin_url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    q = admin.dialect.identifier_preparer.quote
    with admin.connect() as c:
        if dialect == "mysql":
            c.exec_driver_sql(f"CREATE DATABASE {q(name)} CHARACTER SET utf8mb4")
        else:
            c.exec_driver_sql(f"CREATE DATABASE {q(name)}")
    url = admin_url.set(database=name)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        yield TestDatabase(dialect, url, engine)
    finally:
        engine.dispose()
        with admin.connect() as c:
            if dialect == "postgresql":
                c.exec_driver_sql(f"DROP DATABASE IF EXISTS {q(name)} WITH (FORCE)")
            else:
                c.exec_driver_sql(f"DROP DATABASE IF EXISTS {q(name)}")
        admin.dispose()
