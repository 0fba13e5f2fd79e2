"""End to end: the real pre-commit, on a temporary git repository whose .pre-commit-config.yaml
uses this repository (its working tree, committed into a scratch copy) as the hook repository.
Next to a good and a bad fixture dump, a SQLite file and a broken one, the repository holds pg_dump
output and a migration script: `dblint` leaves those alone, reports the broken file in one line and
still checks the rest; `dblint-fix` repairs the dump with a one-line diff in its own layout and the
SQLite file with its undo script in the cache folder; then `dblint` passes."""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from test_fixtures import make_dump
from users_support import DEMO_RULES, ROOT

pytestmark = pytest.mark.slow

GIT_ENV = {
    "GIT_AUTHOR_NAME": "dblint tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "dblint tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def hook_repo(tmp_path: Path) -> tuple[Path, str]:
    """This repository's current files (tracked and new, not ignored) as a one-commit repository."""
    files = git(ROOT, "ls-files", "-co", "--exclude-standard", "-z").split("\0")
    dest = tmp_path / "dblint-hooks"
    for f in filter(None, files):
        src = ROOT / f
        if src.is_file():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / f)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "snapshot")
    return dest, git(dest, "rev-parse", "HEAD").strip()


def pre_commit(
    project: Path, home: Path, *args: str, cache: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


PG_DUMP = """--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET client_encoding = 'UTF8';
CREATE TABLE public.discipline (id integer NOT NULL);
COPY public.discipline (id) FROM stdin;
1
\\.
"""

MIGRATION = "BEGIN;\nALTER TABLE discipline ADD COLUMN code varchar(8);\nCOMMIT;\n"


def cli_dump(path: Path) -> Path:
    """A dump as `sqlite3 DB .dump` writes it (unquoted names, PRAGMA first), the layout a fix
    must keep; iterdump's when the sqlite3 program is missing."""
    if shutil.which("sqlite3") is None:
        return make_dump(path)
    db = path.with_suffix(".tmp.sqlite")
    make_dump(path)
    subprocess.run(["sqlite3", str(db)], input=path.read_text(), text=True, check=True)
    path.write_text(subprocess.run(["sqlite3", str(db), ".dump"], capture_output=True, text=True).stdout)
    db.unlink()
    return path


def test_pre_commit_hooks_fail_on_the_bad_fixture_and_pass_after_dblint_fix(tmp_path):
    repo, rev = hook_repo(tmp_path)
    project = tmp_path / "project"
    (project / "fixtures").mkdir(parents=True)
    (project / "migrations").mkdir()
    shutil.copy(DEMO_RULES, project / "rules.yaml")
    (project / "dblint.yaml").write_text("rules: [rules.yaml]\nselect: [DEMO001, CORE]\n")
    good = make_dump(
        project / "fixtures" / "good.sql", "INSERT INTO spappresourcedir VALUES (2, 5, NULL, NULL, 0, 'x');"
    )
    bad = cli_dump(project / "fixtures" / "bad.sql")
    # Not this hook's business: pg_dump output and a migration script, both .sql.
    (project / "fixtures" / "prod.sql").write_text(PG_DUMP)
    (project / "migrations" / "0002_code.sql").write_text(MIGRATION)
    # A SQLite file to fix in place (its undo script must not land in the working tree) ...
    live = project / "fixtures" / "live.sqlite3"
    with sqlite3.connect(live) as conn:
        conn.executescript(fixtures_schema())
    conn.close()
    # ... and a broken one, which must not stop the others from being checked.
    (project / "fixtures" / "broken.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n"
        "      - id: dblint\n      - id: dblint-fix\n        stages: [manual]\n"
    )
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "fixtures")
    home = tmp_path / "pre-commit-home"
    cache = tmp_path / "cache"
    good_text = good.read_text()

    first = pre_commit(project, home, "run", "dblint", "--all-files")
    out = first.stdout + first.stderr
    assert first.returncode == 1, out
    assert "fixtures/bad.sql: DEMO001 error discipline[UserGroupScopeId=5]" in out
    assert "fixtures/live.sqlite3: DEMO001 error discipline[UserGroupScopeId=5]" in out
    assert "dblint: fixtures/broken.db: " in out, out  # one line for the broken file, the rest checked
    assert "good.sql" not in out and "prod.sql" not in out and "0002_code" not in out

    (project / "fixtures" / "broken.db").unlink()
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "drop the broken fixture")
    fixed = pre_commit(
        project, home, "run", "dblint-fix", "--all-files", "--hook-stage", "manual", cache=cache
    )
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr  # pre-commit fails a hook that changed files
    assert "files were modified by this hook" in fixed.stdout
    # The smallest diff, in the dump's own layout: the missing row's line, and the AUTOINCREMENT
    # counter that row moved (sqlite_sequence's line, rewritten in place).
    numstat = git(project, "diff", "--numstat", "--", "fixtures/bad.sql")
    assert numstat.split() == ["2", "1", "fixtures/bad.sql"], git(project, "diff")
    diff = git(project, "diff", "--", "fixtures/bad.sql")
    row = "VALUES(2,5,NULL,NULL,0,'Herpetology');"
    assert f"+INSERT INTO spappresourcedir {row}" in diff or f'+INSERT INTO "spappresourcedir" {row}' in diff
    assert good.read_text() == good_text  # nothing to fix: untouched
    # The undo script of the SQLite file went to the cache, not into the repository.
    assert git(project, "status", "--porcelain", "--untracked-files=all").split("\n")[0].endswith("bad.sql")
    assert "dblint-undo" not in git(project, "status", "--porcelain", "--untracked-files=all")
    assert list((cache / "dblint" / "undo").glob("dblint-undo-*.sql"))
    git(project, "add", "-A")

    second = pre_commit(project, home, "run", "dblint", "--all-files")
    assert second.returncode == 0, second.stdout + second.stderr
    again = pre_commit(
        project, home, "run", "dblint-fix", "--all-files", "--hook-stage", "manual", cache=cache
    )
    assert again.returncode == 0, again.stdout + again.stderr  # a second fix changes nothing
    assert bad.read_text() == (project / "fixtures" / "bad.sql").read_text()


def fixtures_schema() -> str:
    from test_fixtures import SCHEMA

    return SCHEMA
