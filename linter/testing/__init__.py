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

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from linter.testing.cases import Prepared, RuleCase, RunResult, load_cases
from linter.testing.database import (
    DIALECTS,
    TestDatabase,
    column_from_spec,
    make_database,
    server_url,
    servers_required,
    split_sql,
)

__all__ = [
    "DIALECTS",
    "Prepared",
    "RuleCase",
    "RunResult",
    "TestDatabase",
    "column_from_spec",
    "dblint_db",
    "dblint_run",
    "load_cases",
    "make_database",
    "server_url",
    "servers_required",
    "split_sql",
]


@pytest.fixture(params=DIALECTS)
def dblint_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestDatabase]:
    """A fresh database, once per dialect."""
    yield from make_database(request.param, tmp_path)


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
