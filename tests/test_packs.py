"""Third-party rule packs: loading through the `dblint` entry point group, --disable-pack and its
config key, hook validation (check_pending), packs that fail to load, `dblint rules` pack/version.

Packs are real (throwaway) distributions: a ``NAME-VERSION.dist-info`` with ``entry_points.txt``
and a module, put on ``sys.path``, so importlib.metadata and pluggy find them as installed."""

import textwrap
import uuid
import warnings

import pytest

from linter.errors import DblintError
from linter.load import plugins


def fake_dist(tmp_path, monkeypatch, body, rules_yaml=None, version="1.2.3"):
    """Install a throwaway pack; return its entry point (and pack) name."""
    name = f"fakepack{uuid.uuid4().hex[:8]}"
    site = tmp_path / f"site-{name}"
    site.mkdir()
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[dblint]\n{name} = {name}_plugin\n")
    if rules_yaml is not None:
        (site / f"{name}_rules.yaml").write_text(textwrap.dedent(rules_yaml))
    (site / f"{name}_plugin.py").write_text(textwrap.dedent(body).replace("RULES", f"{name}_rules.yaml"))
    monkeypatch.syspath_prepend(str(site))
    return name


GOOD = """
    from pathlib import Path
    from linter.hookspecs import hookimpl

    @hookimpl
    def dblint_rule_files():
        return [Path(__file__).parent / "RULES"]
"""
RULES = """
    rules:
      - id: FAKE001
        title: Every thing has a name
        kind: not_null
        params: {table: thing, column: name}
"""


def test_installed_pack_is_loaded_and_rules_shows_its_pack_and_version(tmp_path, monkeypatch, dblint_run):
    name = fake_dist(tmp_path, monkeypatch, GOOD, RULES, version="1.2.3")
    res = dblint_run("rules", "--format", "json")
    assert res.exit_code == 0, res.stderr
    fake = [r for r in res.json() if r["id"] == "FAKE001"]
    assert [(r["pack"], r["pack_version"]) for r in fake] == [(name, "1.2.3")]
    text = dblint_run("rules").stdout
    line = next(line for line in text.splitlines() if line.startswith("FAKE001"))
    assert f"{name} 1.2.3" in line
    core = next(line for line in text.splitlines() if line.startswith("CORE001"))
    from linter import __version__

    assert f"core {__version__}" in core  # built-in packs carry dblint's version


def test_disable_pack_flag_and_config_key(tmp_path, monkeypatch, dblint_run):
    name = fake_dist(tmp_path, monkeypatch, GOOD, RULES)
    ids = lambda res: {r["id"] for r in res.json()}  # noqa: E731
    assert "FAKE001" in ids(dblint_run("rules", "--format", "json"))
    assert "FAKE001" not in ids(dblint_run("rules", "--format", "json", "--disable-pack", name))
    off_core = ids(dblint_run("rules", "--format", "json", "--disable-pack", "core"))
    assert "FAKE001" in off_core and not any(i.startswith("CORE") for i in off_core)
    cfg = tmp_path / "dblint.yaml"
    cfg.write_text(f"disable_packs: [{name}, core]\n")
    assert not {"FAKE001", "CORE001"} & ids(dblint_run("rules", "--format", "json", "--config", cfg))


def test_pack_with_an_unknown_hook_fails_loading_clearly(tmp_path, monkeypatch, dblint_run):
    name = fake_dist(
        tmp_path,
        monkeypatch,
        """
        from linter.hookspecs import hookimpl

        @hookimpl
        def dblint_rule_filez():
            return []
        """,
    )
    with pytest.raises(DblintError, match=rf"plugin '{name}' implements an unknown hook.*dblint_rule_filez"):
        plugins.get_plugin_manager()
    res = dblint_run("rules")
    assert res.exit_code == 2
    assert "implements an unknown hook" in res.stderr and "Traceback" not in res.stderr
    # ... and turning it off makes dblint usable again
    assert dblint_run("rules", "--disable-pack", name).exit_code == 0


def test_pack_that_raises_while_loading_is_named_and_skipped(tmp_path, monkeypatch, dblint_run):
    name = fake_dist(tmp_path, monkeypatch, "raise RuntimeError('database driver missing')\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pm = plugins.get_plugin_manager()
    msgs = [str(w.message) for w in caught if issubclass(w.category, plugins.PackLoadWarning)]
    assert msgs == [f"rule pack {name!r} ({name}) failed to load and was skipped: database driver missing"]
    assert not pm.has_plugin(name) and pm.has_plugin("core")
    res = dblint_run("rules")
    assert res.exit_code == 0
    assert f"dblint: warning: rule pack {name!r} ({name}) failed to load and was skipped" in res.stderr
    assert "CORE001" in res.stdout


def test_pack_kind_name_clash_is_an_error(tmp_path, monkeypatch, dblint_run):
    fake_dist(
        tmp_path,
        monkeypatch,
        """
        from linter.hookspecs import hookimpl
        from linter.kinds.base import Kind, Params

        class Other(Kind):
            name = "not_null"
            Params = Params

        @hookimpl
        def dblint_kinds():
            return [Other]
        """,
    )
    res = dblint_run("rules")
    assert res.exit_code == 2 and "registers kind 'not_null', which another plugin already has" in res.stderr


HANDLER_AND_FORMAT = """
    from pathlib import Path

    import sqlalchemy as sa

    from linter.hookspecs import hookimpl
    from linter.kinds.base import FixStep
    from linter.report.base import Formatter


    class CountFormatter(Formatter):
        name = "count"

        def render(self, report):
            return f"{report.summary['violations']}\\n"


    def fill_names(ctx, rule, conn):
        t = ctx.table("thing")
        name = ctx.col(t, "name")
        stmt = sa.update(t).where(name.is_(None)).values({name: "unnamed"})
        count = sa.select(sa.func.count()).select_from(t).where(name.is_(None))
        return [FixStep(stmt, count, "name the nameless")]


    @hookimpl
    def dblint_rule_files():
        return [Path(__file__).parent / "RULES"]


    @hookimpl
    def dblint_fix_handlers():
        return {"fill_names": fill_names}


    @hookimpl
    def dblint_formats():
        return {"count": CountFormatter}
"""


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_pack_adds_a_fix_handler_and_an_output_format(tmp_path, monkeypatch, dblint_db, dblint_run):
    fake_dist(
        tmp_path,
        monkeypatch,
        HANDLER_AND_FORMAT,
        RULES + "        fix: {safety: safe, handler: fill_names}\n",
    )
    dblint_db.create(
        {
            "thing": {
                "columns": {"id": "integer primary key", "name": "varchar(20)"},
                "rows": [[1, None], [2, "b"], [3, None]],
            }
        }
    )
    base = ["check", dblint_db.url_string, "--select", "FAKE001"]
    res = dblint_run(*base, "--format", "count")
    assert (res.exit_code, res.stdout) == (1, "2\n")
    shown = dblint_run(*base, "--diff", "--format", "json")
    assert [(s["summary"], s["rows"]) for s in shown.rule("FAKE001")["diff"]] == [("name the nameless", 2)]
    fixed = dblint_run(*base, "--fix", "--format", "json")
    assert fixed.exit_code == 0 and fixed.rule("FAKE001")["fixed"] == 2
    assert dblint_db.query("SELECT name FROM thing ORDER BY id") == [("unnamed",), ("b",), ("unnamed",)]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("{name: typo, expects: {X1: 1}}", "unknown key(s) expects"),
        ("{name: nothing, tables: {}}", "the case expects nothing, so it cannot fail"),
        ("{name: badfix, expect: {X1: 1}, fix: always}", "fix is safe or unsafe"),
        ("{expect: {X1: 1}}", "a case is a mapping with a name"),
    ],
)
def test_yaml_case_files_are_validated(tmp_path, case, message):
    from linter.testing import load_cases

    f = tmp_path / "cases.yaml"
    f.write_text(f"rules: rules.yaml\ncases:\n  - {case}\n")
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_cases(f)
