"""Secrets: a password given in a URL or through the config never appears in any output format,
--output file, error message or undo script, raw or percent-encoded."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
import sqlalchemy as sa
from reliability_support import RULES, TABLES

from linter.testing import server_url

PASSWORD = f"Pw-{uuid.uuid4().hex[:8]}@:/%?#' \"x"  # characters that must be encoded in a URL


def _forms() -> list[str]:
    return [PASSWORD, quote(PASSWORD, safe=""), quote_plus(PASSWORD), PASSWORD.split("@")[0] + "@"]


def _assert_clean(texts: dict[str, str]) -> None:
    for where, text in texts.items():
        for form in _forms():
            assert form not in text, f"the password ({form!r}) leaked into {where}: {text[:500]}"


def _runs(dblint_run, url: str, tmp: Path) -> dict[str, str]:
    """Every kind of run: formats, --output, --diff, --fix (undo file), -v, errors."""
    seen: dict[str, str] = {}
    base = ["--rules", str(RULES), "--select", "UNDO"]
    cases = {
        "text": ["check", url, *base, "-v"],
        "json": ["check", url, *base, "--format", "json"],
        "output": ["check", url, *base, "--format", "json", "--output", str(tmp / "out.json")],
        "diff": ["check", url, *base, "--diff", "--unsafe-fixes"],
        "fix": [
            "check",
            url,
            *base,
            "--fix",
            "--unsafe-fixes",
            "--undo-file",
            str(tmp / "undo.sql"),
            "--format",
            "json",
        ],
        "fix-text": ["check", url, *base, "--fix", "--unsafe-fixes", "--undo-file", str(tmp / "undo2.sql")],
        "no-such-db": ["check", str(sa.make_url(url).set(database="dblint_no_such_db_x")), *base],
        "bad-port": [
            "check",
            str(sa.make_url(url).set(port=1)).replace("***", quote(PASSWORD, safe="")),
            *base,
        ],
        "bad-url": ["check", url.replace("@127.0.0.1", "@127.0.0.1:notaport"), *base],
        "bad-rule-select": ["check", url, *base, "--select", "NOPE"],
    }
    for name, args in cases.items():
        res = dblint_run(*args)
        assert "Traceback" not in res.stdout + res.stderr
        seen[f"{name} stdout"] = res.stdout
        seen[f"{name} stderr"] = res.stderr
    for f in ("out.json", "undo.sql", "undo2.sql"):
        if (tmp / f).exists():
            seen[f] = (tmp / f).read_text(encoding="utf-8")
    assert "undo.sql" in seen, seen["fix stderr"] + seen["fix stdout"]
    return seen


def _url_with_password(base: sa.URL, user: str, database: str) -> str:
    return sa.URL.create(
        base.drivername,
        username=user,
        password=PASSWORD,
        host=base.host or "127.0.0.1",
        port=base.port,
        database=database,
    ).render_as_string(hide_password=False)


@pytest.mark.parametrize("dblint_db", ["postgresql"], indirect=True)
def test_postgres_password_never_printed(dblint_db, dblint_run, tmp_path, monkeypatch):
    dblint_db.create(TABLES)
    role = f"dblint_secret_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(
        server_url("postgresql"), poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT"
    )
    from psycopg import sql

    raw = admin.raw_connection()
    try:
        # DDL takes no parameters: psycopg composes the literal safely.
        raw.cursor().execute(
            sql.SQL("CREATE ROLE {} LOGIN SUPERUSER PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(PASSWORD)
            )
        )
        raw.commit()
    finally:
        raw.close()
    try:
        url = _url_with_password(dblint_db.url, role, str(dblint_db.url.database))
        seen = _runs(dblint_run, url, tmp_path)
        # The target is shown, with its password masked, and the error paths really ran.
        assert f"{role}:***@" in seen["json stdout"]
        assert (
            "dblint_no_such_db_x" in seen["no-such-db stderr"]
            and "Connection refused" in seen["bad-port stderr"]
        )
        # The same through the config, with the password from the environment.
        conf = tmp_path / "dblint.yaml"
        conf.write_text(
            'database:\n  url: "postgresql+psycopg://'
            + role
            + ":${DBLINT_TEST_SECRET}@127.0.0.1:5432/"
            + str(dblint_db.url.database)
            + '"\n'
        )
        env = {"DBLINT_TEST_SECRET": quote(PASSWORD, safe="")}
        res = dblint_run(
            "check",
            "--config",
            str(conf),
            "--rules",
            str(RULES),
            "--select",
            "UNDO",
            "--format",
            "json",
            env=env,
        )
        assert res.exit_code in (0, 1), res.stderr
        seen["config stdout"], seen["config stderr"] = res.stdout, res.stderr
        bad = tmp_path / "bad.yaml"
        bad.write_text(conf.read_text().replace(str(dblint_db.url.database), "dblint_no_such_db_y"))
        res = dblint_run("check", "--config", str(bad), "--rules", str(RULES), "--select", "UNDO", env=env)
        assert res.exit_code == 2
        seen["config error"] = res.stderr
        assert "password authentication" not in res.stderr  # trust auth: the error is the missing database
        _assert_clean(seen)
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        admin.dispose()


@pytest.mark.parametrize("dblint_db", ["mysql"], indirect=True)
def test_mysql_wrong_password_error_does_not_print_it(dblint_db, dblint_run, tmp_path):
    dblint_db.create(TABLES)
    base = dblint_db.url
    # root has no password here: giving one forces the server's "access denied" error path.
    url = _url_with_password(base, base.username or "root", str(base.database))
    seen = {}
    for fmt in ("text", "json"):
        res = dblint_run(
            "check",
            url,
            "--rules",
            str(RULES),
            "--select",
            "UNDO",
            "--format",
            fmt,
            "--fix",
            "--undo-file",
            str(tmp_path / "u.sql"),
        )
        assert res.exit_code == 2, res.stdout + res.stderr
        assert "Access denied" in res.stderr and res.stderr.count("\n") == 1, res.stderr
        seen[f"{fmt} stdout"], seen[f"{fmt} stderr"] = res.stdout, res.stderr
    assert not (tmp_path / "u.sql").exists()
    _assert_clean(seen)


def test_password_not_printed_when_one_of_several_targets_fails(dblint_run, tmp_path):
    """One bad target among several is one line naming it, masked (the error's own text is masked
    too; the target in front of it must be)."""
    secret = "s3cret-dblint"
    (tmp_path / "x.db").write_bytes(b"")
    res = dblint_run("check", f"postgresql+psycopg://u:{secret}@127.0.0.1:1/db", str(tmp_path / "x.db"))
    assert res.exit_code == 2
    assert secret not in res.stdout + res.stderr, res.stderr
    assert "u:***@127.0.0.1:1/db" in res.stderr, res.stderr
