"""Issue 16: the config is found as Ruff and pytest find theirs, and every message names it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

DBLINT = str(Path(sys.executable).parent / "dblint")
RULES = "rules:\n  - id: TST001\n    title: t\n    kind: not_null\n    params: {table: obj, column: name}\n"


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("DBLINT_")}
    full.update(env or {})
    proc = subprocess.run([DBLINT, *args], cwd=cwd, env=full, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository (``.git``) with a database, a rule file and a subfolder ``src/app``."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "src" / "app").mkdir(parents=True)
    (root / "rules.yaml").write_text(RULES)
    with sqlite3.connect(root / "data.sqlite") as c:
        c.execute("CREATE TABLE obj (id INTEGER PRIMARY KEY, name TEXT)")
        c.execute("INSERT INTO obj VALUES (1, NULL), (2, 'x')")
    c.close()
    return root


def violations(proc: subprocess.CompletedProcess[str]) -> int:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    return int(json.loads(proc.stdout)["summary"]["violations"])


@pytest.mark.parametrize("name", ["dblint.yaml", ".dblint.yaml"])
def test_found_from_a_subfolder_and_named_by_v(repo: Path, name: str) -> None:
    (repo / name).write_text("database: {url: data.sqlite}\nrules: [rules.yaml]\nselect: [TST]\n")
    sub = repo / "src" / "app"
    assert violations(run("check", "--format", "json", cwd=sub)) == 1
    verbose = run("check", "-v", cwd=sub)
    assert f"dblint: config: {repo / name}\n" in verbose.stderr, verbose.stderr


def test_pyproject_from_a_subfolder(repo: Path) -> None:
    (repo / "pyproject.toml").write_text(
        '[tool.dblint]\nrules = ["rules.yaml"]\nselect = ["TST"]\n'
        '[tool.dblint.database]\nurl = "data.sqlite"\n'
    )
    assert violations(run("check", "--format", "json", cwd=repo / "src")) == 1
    # A pyproject.toml without [tool.dblint] is not a config: the search goes on upwards.
    (repo / "src" / "pyproject.toml").write_text('[project]\nname = "app"\n')
    assert violations(run("check", "--format", "json", cwd=repo / "src" / "app")) == 1


def test_two_configs_in_one_folder_is_an_error_naming_both(repo: Path) -> None:
    (repo / "dblint.yaml").write_text("select: [TST]\n")
    (repo / "pyproject.toml").write_text('[tool.dblint]\nselect = ["CORE"]\n')
    proc = run("check", "data.sqlite", cwd=repo)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (
        "dblint: two dblint configs in one folder: dblint.yaml and pyproject.toml [tool.dblint]; "
        "keep one (or pass --config)\n"
    )


def test_search_stops_at_the_repository_root(repo: Path) -> None:
    (repo.parent / "dblint.yaml").write_text("select: [NOPE]\n")  # above the repository: not ours
    proc = run(
        "check", "../data.sqlite", "--rules", "../rules.yaml", "--select", "TST", "-v", cwd=repo / "src"
    )
    assert "dblint: config: none found (defaults)" in proc.stderr, proc.stderr


def test_no_database_names_the_config(repo: Path) -> None:
    (repo / "dblint.yaml").write_text("rules: [rules.yaml]\n")
    proc = run("check", cwd=repo / "src")
    assert proc.returncode == 2
    assert "no database" in proc.stderr and f"({repo / 'dblint.yaml'} has none)" in proc.stderr, proc.stderr
    bare = run("check", cwd=repo)
    assert "(dblint.yaml has none)" in bare.stderr


def test_relative_path_in_environment_is_from_the_working_directory(repo: Path) -> None:
    (repo / "src" / "dblint.yaml").write_text("rules: [../rules.yaml]\nselect: [TST]\n")
    (repo / "src" / "app" / "data.sqlite").write_bytes((repo / "data.sqlite").read_bytes())
    env = {"DBLINT_DATABASE_URL": "data.sqlite"}
    proc = run("check", "--format", "json", cwd=repo / "src" / "app", env=env)
    assert violations(proc) == 1
    assert json.loads(proc.stdout)["target"] == "data.sqlite"


def test_unknown_pack_is_an_error_with_did_you_mean(repo: Path) -> None:
    proc = run("check", "data.sqlite", "--disable-pack", "specfy", cwd=repo)
    assert proc.returncode == 2
    assert proc.stderr.startswith("dblint: --disable-pack: no rule pack 'specfy' (did you mean 'specify'? ")
    (repo / "dblint.yaml").write_text("disable_packs: [migration]\n")
    proc = run("check", "data.sqlite", cwd=repo)
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        "dblint: dblint.yaml: disable_packs: no rule pack 'migration' (did you mean 'migrations'? "
    ), proc.stderr


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (
            "mysql://root@127.0.0.1:1/x",
            "the URL asks for mysqldb: pip install 'mysqlclient'; or write mysql+pymysql",
        ),
        ("mariadb+mariadbconnector://root@127.0.0.1:1/x", "pip install 'mariadb'"),
    ],
)
def test_driver_hint_names_the_driver_the_url_asks_for(tmp_path: Path, url: str, says: str) -> None:
    pytest.importorskip("sqlalchemy")
    import importlib.util

    if importlib.util.find_spec("MySQLdb") or importlib.util.find_spec("mariadb"):
        pytest.skip("the driver is installed here: no hint to show")
    proc = run("check", url, cwd=tmp_path)
    assert proc.returncode == 2 and says in proc.stderr, proc.stderr
    assert "dblint[" not in proc.stderr  # no extra that no index has


def test_driver_hints_of_the_tested_drivers_point_at_real_extras() -> None:
    import tomllib

    import sqlalchemy as sa

    from linter.db.session import driver_hint

    extras = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for url, extra in (("postgresql+psycopg://h/d", "postgres"), ("mysql+pymysql://h/d", "mysql")):
        hint = driver_hint(sa.make_url(url))
        assert f".venv/bin/pip install -e '.[{extra}]'" in hint and extra in extras


def test_fix_undo_dir_from_the_config(repo: Path) -> None:
    (repo / "rules.yaml").write_text(RULES + "    fix: {safety: safe, set: x}\n")
    (repo / "dblint.yaml").write_text(
        "database: {url: data.sqlite}\nrules: [rules.yaml]\nfix: {undo_dir: undo}\n"
    )
    proc = run("check", "--select", "TST", "--fix", cwd=repo / "src")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    written = list((repo / "undo").glob("dblint-undo-*.sql"))
    assert len(written) == 1 and f"undo script: {written[0]}" in proc.stderr
    assert not list(repo.glob("dblint-undo-*")) and not list((repo / "src").glob("dblint-undo-*"))
