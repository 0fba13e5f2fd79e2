"""Start-up cost (issue 15) without changing what is checked: a pack's rules are validated where they
run, the user's own rule files at once; `--version` and a SQLite check import only what they need.
Timings live in bench/ (bench/run), never here: these tests check what is loaded, not how fast."""

import subprocess
import sys
import textwrap

import pytest

from tests.test_packs import APPLIES, fake_dist

BAD_RULES = """
    rules:
      - id: FAKE001
        title: Every thing has a name
        kind: not_null
        params: {table: thing, column: name}
      - id: FAKE002
        kind: not_null
        params: {table: thing, colum: name}
"""


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_a_packs_broken_rule_is_reported_where_the_pack_applies(tmp_path, monkeypatch, dblint_db, dblint_run):
    name = fake_dist(tmp_path, monkeypatch, APPLIES, BAD_RULES)
    dblint_db.create({"plain": {"columns": {"id": "integer primary key"}, "rows": [{"id": 1}]}})
    # The pack does not apply here: its rules are neither run nor validated.
    off = dblint_run("check", dblint_db.url_string, "--format", "json")
    assert off.exit_code == 0, off.stderr
    assert not any(r["id"].startswith("FAKE") for r in off.json()["rules"])
    dblint_db.create(
        {
            "thing": {"columns": {"id": "integer primary key", "name": "varchar(20)"}},
            "thing_meta": {"columns": {"id": "integer primary key"}},
        }
    )
    on = dblint_run("check", dblint_db.url_string, "--format", "json")
    assert on.exit_code == 2
    assert on.stdout == ""
    [line] = on.stderr.splitlines()
    assert f"{name}_rules.yaml:9: FAKE002:" in line and "colum" in line and "Traceback" not in on.stderr
    # A rule of an applying pack that --select leaves out is not validated either.
    only = dblint_run("check", dblint_db.url_string, "--select", "FAKE001", "--format", "json")
    assert only.exit_code == 0, only.stderr
    assert [r["id"] for r in only.json()["rules"]] == ["FAKE001"]
    # `dblint rules` shows every rule, so it validates every rule.
    listed = dblint_run("rules")
    assert listed.exit_code == 2 and f"{name}_rules.yaml:9: FAKE002:" in listed.stderr


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_a_users_own_broken_rule_is_reported_whatever_is_selected(tmp_path, dblint_db, dblint_run):
    dblint_db.create({"thing": {"columns": {"id": "integer primary key", "name": "varchar(20)"}}})
    rules = tmp_path / "mine.yaml"
    rules.write_text(textwrap.dedent(BAD_RULES))
    res = dblint_run("check", dblint_db.url_string, "--rules", rules, "--select", "FAKE001")
    assert res.exit_code == 2
    assert f"{rules}:9: FAKE002:" in res.stderr


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


def test_version_imports_neither_sqlalchemy_nor_pydantic():
    loaded = _modules_after("import linter.cli")
    assert "click" in loaded
    assert not {"sqlalchemy", "pydantic", "yaml", "pluggy"} & loaded


def test_a_sqlite_check_imports_no_server_dialect(tmp_path):
    db = tmp_path / "t.sqlite"
    code = textwrap.dedent(
        f"""
        import sqlite3
        c = sqlite3.connect({str(db)!r}); c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)"); c.close()
        from linter.cli import cli
        try:
            cli(["check", "sqlite:///{db}", "--quiet"], standalone_mode=False)
        except SystemExit:
            pass
        """
    )
    loaded = _modules_after(code)
    assert "sqlalchemy.dialects.sqlite" in loaded and "dblint_migrations" in loaded
    assert not {"sqlalchemy.dialects.mysql", "sqlalchemy.dialects.postgresql", "pymysql", "psycopg"} & loaded


def test_the_console_script_answers_version_without_the_command_line_parser():
    code = "import sys; sys.argv = ['dblint', '--version']\nfrom linter.entry import main\nmain()"
    loaded = _modules_after(code)
    assert "linter.entry" in loaded and "click" not in loaded
    out = subprocess.run([sys.executable, "-m", "linter", "--version"], capture_output=True, text=True)
    from linter import __version__

    assert out.stdout == f"dblint {__version__}\n" and out.returncode == 0


_GC_PROBE = """
import gc, json, sys
from linter import run
states = []
real = run.CheckRun.run_target
def probe(self, n, raw):
    states.append(gc.isenabled())
    return real(self, n, raw)
run.CheckRun.run_target = probe
sys.argv = ["dblint", "check", *sys.argv[1:], "--format", "json"]
from linter.entry import main
try:
    main()
except SystemExit:
    pass
print(json.dumps({"during": states, "after": gc.isenabled(), "frozen": gc.get_freeze_count() > 0}))
"""


def _gc_states(tmp_path, *args: str) -> dict[str, object]:
    import json

    out = subprocess.run(
        [sys.executable, "-c", _GC_PROBE, *args], capture_output=True, text=True, cwd=tmp_path
    )
    return json.loads(out.stdout.splitlines()[-1])


def test_the_console_script_runs_one_target_without_the_cycle_collector(tmp_path):
    """Off while the run starts and checks one target (nearly all it builds lives until exit), and
    frozen at exit so the interpreter does not walk it once more."""
    import sqlite3

    for name in ("a.sqlite", "b.sqlite"):
        with sqlite3.connect(tmp_path / name) as c:
            c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    one = _gc_states(tmp_path, "a.sqlite")
    assert one == {"during": [False], "after": False, "frozen": True}
    # A second target: what the first built is garbage, so the collector is back on for it.
    two = _gc_states(tmp_path, "a.sqlite", "b.sqlite")
    assert two == {"during": [False, True], "after": True, "frozen": True}


def test_a_fix_runs_with_the_cycle_collector(tmp_path):
    import sqlite3

    with sqlite3.connect(tmp_path / "a.sqlite") as c:
        c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    assert _gc_states(tmp_path, "a.sqlite", "--fix")["after"] is True


def test_resuming_collects_what_became_garbage_first():
    """The collector comes back after one collection: the objects a first target left in cycles are
    freed, not frozen with what lives on (the console script's pause; linter.collector)."""
    import gc
    import weakref

    from linter import collector

    class Node:
        pass

    collector.pause()
    try:
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle: only the collector frees it
        alive = weakref.ref(a)
        del a, b
        collector.resume()
        assert alive() is None and gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_a_library_callers_collector_is_left_as_it_was(dblint_db, tmp_path):
    """Only the console script pauses the collector, so only its pause is resumed: a program that
    turned the collector off itself and runs two targets (or a fix) keeps it off and unfrozen."""
    import gc

    from linter.app import App
    from linter.load.config import Config
    from linter.run import CheckOptions, CheckRun

    dblint_db.create({"t": {"columns": {"id": "integer primary key"}, "rows": [{"id": 1}]}})
    app = App.load(Config())
    frozen = gc.get_freeze_count()
    gc.disable()
    try:
        CheckRun(app, CheckOptions()).run([dblint_db.url_string, dblint_db.url_string])
        CheckRun(app, CheckOptions(fix=True, no_undo=True)).run([dblint_db.url_string])
        assert not gc.isenabled() and gc.get_freeze_count() == frozen
    finally:
        gc.enable()
