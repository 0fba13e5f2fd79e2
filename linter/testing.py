"""Test helpers for dblint and for rule-pack authors (a pytest plugin, like pytest's ``pytester``).

Fixtures:

- ``dblint_db``: a fresh, uniquely named database on each dialect (SQLite, PostgreSQL, MariaDB/MySQL),
  dropped afterwards. Tests using it run once per dialect; narrow it with
  ``@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)``.
- ``dblint_run``: run the ``dblint`` command line in-process and get (exit code, stdout, stderr).

Servers come from ``DBLINT_TEST_POSTGRES_URL`` / ``DBLINT_TEST_MYSQL_URL`` (defaults: the local
servers). An unreachable server skips its tests with one line saying how to start it, unless ``CI``
or ``DBLINT_REQUIRE_SERVERS=1`` is set: then it fails, so CI cannot pass without the servers.
"""

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
    from linter.sqltext import split_statements

    return split_statements(script, keep_comments=False)


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
        stmts = [
            s
            for s in split_sql(Path(path).read_text(encoding="utf-8"))
            if s.strip().upper() not in ("BEGIN", "START TRANSACTION", "COMMIT")
        ]
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
        """A hash of every table's sorted rows: equal checksums mean equal contents."""
        out = {}
        with self.engine.connect() as c:
            for name in self.table_names():
                t = sa.Table(name, sa.MetaData(), autoload_with=c)
                rows = sorted(
                    json.dumps([_plain(v) for v in r], default=str) for r in c.execute(sa.select(t))
                )
                out[name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        return out

    def count(self, table: str, where: str = "") -> int:
        t = self.engine.dialect.identifier_preparer.quote(table)
        return int(self.scalar(f"SELECT COUNT(*) FROM {t}" + (f" WHERE {where}" if where else "")))


def _plain(v: Any) -> Any:
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


@pytest.fixture(params=DIALECTS)
def dblint_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestDatabase]:
    """A fresh database, once per dialect."""
    yield from make_database(request.param, tmp_path)


@dataclass
class RunResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def rule(self, rule_id: str) -> dict[str, Any]:
        doc = self.json()
        for r in doc["rules"]:
            if r["id"] == rule_id:
                return r  # type: ignore[no-any-return]
        raise KeyError(rule_id)


@pytest.fixture
def dblint_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """``dblint_run("check", url, "--format", "json")`` → RunResult, in-process."""
    from click.testing import CliRunner

    from linter.cli import cli

    def run(*args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> RunResult:
        runner = CliRunner()
        if cwd is not None:
            monkeypatch.chdir(cwd)
        res = runner.invoke(cli, [str(a) for a in args], env=dict(env or {}), catch_exceptions=False)
        return RunResult(res.exit_code, res.stdout, res.stderr)

    return run


# --- rule tests as YAML data ------------------------------------------------------------------


@dataclass
class RuleCase:
    """One case of a ``*.yaml`` case file::

    rules: rules.yaml                 # relative to the case file; or a list of rule mappings
    cases:
      - name: two disciplines lack their directory
        dialects: [sqlite, postgresql, mysql]     # default: all
        tables: {discipline: {columns: {Id: integer primary key, Name: varchar(20)}, rows: [[1, a]]}}
        sql: "UPDATE ..."                           # optional extra setup statements
        select: [DEMO001]
        args: [--var, x=1]
        expect: {DEMO001: 2}                        # violations per rule id ("skipped"/"pass" allowed)
        reasons: {DEMO002: "does not exist"}       # text the reason of a skipped/error rule contains
        examples: {DEMO001: [{UserGroupScopeId: 5}]} # example keys, in order (at most 5 shown)
        diff: {DEMO001: [2]}                        # --diff: rows per fix step (and nothing written)
        diff_sql: {DEMO001: ["INSERT INTO"]}        # --diff: text the shown SQL contains
        fix: safe                                   # or unsafe: run --fix (--unsafe-fixes)
        fix_error: "still has"                      # the fix must roll back with this message
        after: {DEMO001: 0}                         # violations after the fix
        state:                                      # queries and their rows after the fix
          - {query: "SELECT COUNT(*) FROM x", rows: [[3]]}
    """

    file: Path
    name: str
    data: Mapping[str, Any]
    rules: list[Path]

    def __str__(self) -> str:
        return f"{self.file.stem}::{self.name}"

    def run(self, db: TestDatabase, run: Any) -> None:
        dialects = self.data.get("dialects") or DIALECTS
        if db.dialect not in dialects:
            pytest.skip(f"case {self.name} is not for {db.dialect}")
        db.create(self.data.get("tables") or {})
        if self.data.get("sql"):
            db.execute(self.data["sql"])
        base = ["check", db.url_string, "--format", "json", "--max-examples", "5"]
        for r in self.rules:
            base += ["--rules", str(r)]
        if self.data.get("select"):
            base += ["--select", ",".join(self.data["select"])]
        base += [str(a) for a in self.data.get("args") or []]
        before = db.checksum()
        res = run(*base)
        assert res.exit_code in (0, 1, 2), f"{self}: exit {res.exit_code}: {res.stderr}{res.stdout}"
        assert "Traceback" not in res.stderr, f"{self}: {res.stderr}"
        _expect(self, res, self.data.get("expect") or {}, "before the fix")
        for rule_id, text in (self.data.get("reasons") or {}).items():
            reason = res.rule(rule_id)["reason"]
            assert text in reason, f"{self}: {rule_id} reason {reason!r} lacks {text!r}"
        for rule_id, keys in (self.data.get("examples") or {}).items():
            got_keys = [e["key"] for e in res.rule(rule_id)["examples"]]
            assert got_keys == keys, f"{self}: {rule_id} examples {got_keys}, expected {keys}"
        assert db.checksum() == before, f"{self}: check wrote to the database"
        unsafe = ["--unsafe-fixes"] if self.data.get("fix", "unsafe") == "unsafe" else []
        if self.data.get("diff") or self.data.get("diff_sql"):
            shown = run(*base, "--diff", *unsafe)
            assert shown.exit_code in (0, 1), (
                f"{self}: --diff exit {shown.exit_code}: {shown.stderr}{shown.stdout}"
            )
            for rule_id, rows in (self.data.get("diff") or {}).items():
                steps = shown.rule(rule_id).get("diff")
                assert steps is not None, f"{self}: --diff shows no fix for {rule_id}: {shown.rule(rule_id)}"
                got_rows = [s["rows"] for s in steps]
                assert got_rows == rows, f"{self}: --diff rows of {rule_id} are {got_rows}, expected {rows}"
            for rule_id, texts in (self.data.get("diff_sql") or {}).items():
                sql = "\n".join(s["sql"] for s in shown.rule(rule_id).get("diff") or [])
                for text in texts:
                    assert text in sql, f"{self}: --diff SQL of {rule_id} lacks {text!r}:\n{sql}"
            assert db.checksum() == before, f"{self}: --diff wrote to the database"
        if self.data.get("fix"):
            import tempfile

            undo_dir = Path(tempfile.mkdtemp(prefix="dblint-case-"))
            undo = undo_dir / "undo.sql"
            args = base + ["--fix"] + unsafe
            before = _originals(db.checksum())
            fixed = run(*args, "--undo-file", str(undo))
            assert fixed.exit_code in (0, 1), (
                f"{self}: --fix exit {fixed.exit_code}: {fixed.stderr}{fixed.stdout}"
            )
            fix_error = fixed.json().get("fix_error")
            if self.data.get("fix_error"):
                assert fix_error and self.data["fix_error"] in fix_error, f"{self}: fix_error {fix_error!r}"
                assert _originals(db.checksum()) == before, f"{self}: a rolled-back fix changed the database"
                return
            assert not fix_error, f"{self}: {fix_error}"
            _expect(self, fixed, self.data.get("after") or {}, "after the fix")
            for item in self.data.get("state") or []:
                got = [list(map(_plain, r)) for r in db.query(item["query"])]
                assert got == item["rows"], f"{self}: {item['query']} gave {got}, expected {item['rows']}"
            settled = db.checksum()
            again = run(*args, "--undo-file", str(undo_dir / "again.sql"))
            assert sum(r["fixed"] for r in again.json()["rules"]) == 0, f"{self}: a second --fix changed rows"
            assert db.checksum() == settled, f"{self}: a second --fix changed the database"
            assert not (undo_dir / "again.sql").exists(), (
                f"{self}: a --fix that changed nothing wrote an undo script"
            )
            # Every case also proves its fix can be undone: the undo script restores every table.
            if any(r["fixed"] for r in fixed.json()["rules"]):
                assert undo.exists(), f"{self}: --fix changed rows but wrote no undo script"
                db.apply_script(undo)
                assert _originals(db.checksum()) == before, (
                    f"{self}: the undo script did not restore every table"
                )
            import shutil

            shutil.rmtree(undo_dir, ignore_errors=True)


def _originals(checksum: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in checksum.items() if not k.lower().startswith("dblint_quarantine_")}


def _expect(case: RuleCase, res: RunResult, expect: Mapping[str, Any], when: str) -> None:
    for rule_id, want in expect.items():
        r = res.rule(rule_id)
        if isinstance(want, str):
            assert r["status"] == want, (
                f"{case} {when}: {rule_id} is {r['status']} ({r['reason']}), expected {want}"
            )
        else:
            assert r["status"] in ("pass", "fail"), (
                f"{case} {when}: {rule_id} is {r['status']}: {r['reason']}"
            )
            assert r["violations"] == want, (
                f"{case} {when}: {rule_id} has {r['violations']} violations, expected {want}"
            )


def load_cases(*paths: str | Path) -> list[RuleCase]:
    """Every case of the given case files or folders (``*.yaml``), for ``pytest.mark.parametrize``."""
    import yaml

    files: list[Path] = []
    for p in map(Path, paths):
        # dot-files are the inline rules written below, not case files
        files += sorted(f for f in p.rglob("*.yaml") if not f.name.startswith(".")) if p.is_dir() else [p]
    out = []
    for f in files:
        doc = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        rules = doc.get("rules") or []
        rule_paths = [
            f.parent / r for r in ([rules] if isinstance(rules, str) else rules) if isinstance(r, str)
        ]
        if rules and not isinstance(rules, str) and not all(isinstance(r, str) for r in rules):
            inline = f.parent / f".{f.stem}.rules.yaml"  # inline rules: written beside, read by --rules
            text = yaml.safe_dump({"rules": rules, "vars": doc.get("vars") or {}}, sort_keys=False)
            # Parallel workers collect while others already run tests: never truncate in place.
            if not inline.exists() or inline.read_text(encoding="utf-8") != text:
                tmp = inline.with_name(f"{inline.name}.{os.getpid()}.tmp")
                tmp.write_text(text, encoding="utf-8")
                os.replace(tmp, inline)
            rule_paths = [inline]
        for i, case in enumerate(doc.get("cases") or []):
            _check_case(f, i, case)
            out.append(RuleCase(f, case["name"], case, rule_paths))
    return out


# Every key a case may have (see RuleCase): a misspelt key ("expects:") would otherwise be ignored
# and the case would pass without checking anything.
CASE_KEYS = frozenset(
    {
        "name",
        "dialects",
        "tables",
        "sql",
        "select",
        "args",
        "expect",
        "reasons",
        "examples",
        "diff",
        "diff_sql",
        "fix",
        "fix_error",
        "after",
        "state",
    }
)


def _check_case(file: Path, index: int, case: Any) -> None:
    where = f"{file}: cases[{index}]"
    if not isinstance(case, dict) or not isinstance(case.get("name"), str):
        raise ValueError(f"{where}: a case is a mapping with a name")
    unknown = sorted(set(case) - CASE_KEYS)
    if unknown:
        raise ValueError(
            f"{where} ({case['name']}): unknown key(s) {', '.join(unknown)} "
            f"(known: {', '.join(sorted(CASE_KEYS))})"
        )
    if case.get("fix") not in (None, "safe", "unsafe"):
        raise ValueError(f"{where} ({case['name']}): fix is safe or unsafe, not {case['fix']!r}")
    if not any(
        case.get(k)
        for k in ("expect", "examples", "reasons", "after", "state", "diff", "diff_sql", "fix_error")
    ):
        raise ValueError(f"{where} ({case['name']}): the case expects nothing, so it cannot fail")
