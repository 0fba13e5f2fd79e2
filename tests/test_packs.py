"""Third-party rule packs: loading through the `dblint` entry point group, --disable-pack and its
config key, hook validation (check_pending), packs that fail to load, `dblint rules` pack/version.

Packs are real (throwaway) distributions: a ``NAME-VERSION.dist-info`` with ``entry_points.txt``
and a module, put on ``sys.path``, so importlib.metadata and pluggy find them as installed."""

import ast
import json
import re
import textwrap
import uuid
import warnings
from pathlib import Path

import pytest

from linter.errors import DblintError
from linter.load import plugins


def fake_dist(tmp_path, monkeypatch, body, rules_yaml=None, version="1.2.3", name=None):
    """Install a throwaway pack; return its entry point (and pack) name. ``RULES`` in the body is
    the rule file's name, ``NAME`` in the body and the rules the pack's name."""
    name = name or f"fakepack{uuid.uuid4().hex[:8]}"
    site = tmp_path / f"site-{name}"
    site.mkdir()
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[dblint]\n{name} = {name}_plugin\n")
    if rules_yaml is not None:
        (site / f"{name}_rules.yaml").write_text(textwrap.dedent(rules_yaml).replace("NAME", name))
    body = textwrap.dedent(body).replace("RULES", f"{name}_rules.yaml").replace("NAME", name)
    (site / f"{name}_plugin.py").write_text(body)
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


# --- built-in packs: the same entry point group --------------------------------------------------


def test_builtin_packs_are_found_through_the_dblint_entry_point_group():
    from importlib.metadata import entry_points

    import dblint_core
    import dblint_migrations
    import dblint_specify

    modules = {"core": dblint_core, "specify": dblint_specify, "migrations": dblint_migrations}
    eps = {ep.name: ep for ep in entry_points(group="dblint")}
    for name, module in modules.items():
        assert (eps[name].value, eps[name].dist.name) == (module.__name__, "dblint")
        assert eps[name].load() is module
    pm = plugins.get_plugin_manager()
    # registered once each, under the entry point's name, like any installed pack
    assert sorted(n for n, p in pm.list_name_plugin() if p in modules.values()) == sorted(modules)
    assert all(pm.get_plugin(name) is module for name, module in modules.items())
    # builtin_only: dblint's own entry points and no one else's
    only = plugins.get_plugin_manager(builtin_only=True)
    assert {n for n in eps if only.has_plugin(n)} == set(modules)


# --- dblint_applies: where a pack's rules run ----------------------------------------------------


def test_applicability_asks_every_pack_that_answers():
    import pluggy

    import linter.hookspecs
    from linter import Applies, Config, DatabaseInfo, hookimpl
    from linter.hookspecs import PROJECT
    from linter.load.packs import EVERYWHERE, applicability

    class ByTables:
        @hookimpl
        def dblint_applies(self, database):  # pluggy passes only the arguments a hook names
            return Applies.when_tables(database, "order", "Customer", application="Shop")

    class ByConfig:
        @hookimpl
        def dblint_applies(self, database, config):
            return Applies(bool(config.select), f"select: {config.select}")

    class Unsure:
        @hookimpl
        def dblint_applies(self, database, config):
            return None  # no answer: like a pack without the hook

    class NoHook:
        @hookimpl
        def dblint_rule_files(self):
            return []

    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(linter.hookspecs)
    for name, plugin in (("shop", ByTables()), ("cfg", ByConfig()), ("unsure", Unsure()), ("x", NoHook())):
        pm.register(plugin, name=name)
    info = DatabaseInfo.of("postgresql", ["ORDER", "item"])
    assert (info.tables, info.has_table("Order"), info.missing("item", "customer")) == (
        frozenset({"order", "item"}),
        True,
        ["customer"],
    )
    assert applicability(pm, info, Config(select=["X1"])) == {
        "shop": Applies(False, "not a Shop database (no Customer table)"),
        "cfg": Applies(True, "select: ['X1']"),
        "unsure": EVERYWHERE,
    }
    both = DatabaseInfo.of("sqlite", ["order", "customer"])
    assert applicability(pm, both, Config())["shop"] == Applies(True, "a Shop database (has order, Customer)")
    assert (
        Applies.when_tables(both, "a", "b", "order", application="Z").reason
        == "not a Z database (no a, b table)"
    )


APPLIES = """
    from pathlib import Path
    from linter import Applies, hookimpl

    @hookimpl
    def dblint_rule_files():
        return [Path(__file__).parent / "RULES"]

    @hookimpl
    def dblint_applies(database, config):
        return Applies.when_tables(database, "thing", "thing_meta", application="Thing")
"""


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_dblint_init_honours_a_third_party_packs_dblint_applies(tmp_path, monkeypatch, dblint_db, dblint_run):
    name = fake_dist(tmp_path, monkeypatch, APPLIES, RULES)
    dblint_db.create({"thing": {"columns": {"id": "integer primary key", "name": "varchar(20)"}}})
    off = dblint_run("init", dblint_db.url_string, "--output", "-", cwd=tmp_path)
    assert off.exit_code == 0, off.stderr
    assert f"#   {name}: off (not a Thing database (no thing_meta table))" in off.stdout
    disabled = next(line for line in off.stdout.splitlines() if line.startswith("disable_packs:"))
    assert name in disabled and "core" not in disabled
    dblint_db.create({"thing_meta": {"columns": {"id": "integer primary key"}}})
    on = dblint_run("init", dblint_db.url_string, "--output", "-", cwd=tmp_path)
    assert f"#   {name}: on (a Thing database (has thing, thing_meta))" in on.stdout
    assert name not in next(line for line in on.stdout.splitlines() if line.startswith("disable_packs:"))


# --- dblint_config_sections: a pack's own config keys --------------------------------------------

SECTION = """
    from pathlib import Path

    import sqlalchemy as sa
    from pydantic import BaseModel, ConfigDict

    from linter import Kind, Params, QueryCheck, hookimpl


    class Limits(BaseModel):
        model_config = ConfigDict(extra="forbid")
        limit: int = 10
        note: str = ""


    class OverParams(Params):
        table: str


    class Over(Kind):
        name = "NAME_over"
        Params = OverParams

        def check(self, ctx, params):
            limit = ctx.config.section("NAME").limit  # the validated section
            t = ctx.table(params.table)
            n = ctx.col(t, "n")
            return QueryCheck(
                query=sa.select(t.c.id.label("id"), n.label("n")).where(n > limit),
                table=t.name,
                key=["id"],
                message=lambda r: f"n = {r['n']} is over {limit}",
            )


    @hookimpl
    def dblint_kinds():
        return [Over]


    @hookimpl
    def dblint_rule_files():
        return [Path(__file__).parent / "RULES"]


    @hookimpl
    def dblint_config_sections():
        return {"NAME": Limits}
"""
SECTION_RULES = """
    rules:
      - id: OVER001
        title: n stays under the configured limit
        kind: NAME_over
        params: {table: thing}
"""


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_pack_config_section_reaches_its_kind(tmp_path, monkeypatch, dblint_db, dblint_run):
    from linter.app import App
    from linter.load.config import load_config

    name = fake_dist(tmp_path, monkeypatch, SECTION, SECTION_RULES)
    dblint_db.create(
        {
            "thing": {
                "columns": {"id": "integer primary key", "n": "integer"},
                "rows": [[1, 5], [2, 50], [3, 7]],
            }
        }
    )
    cfg = tmp_path / "dblint.yaml"
    cfg.write_text(f"database: {{url: '{dblint_db.url_string}'}}\n{name}:\n  limit: 6\n")
    section = App.load(load_config(cfg)).config.section(name)
    assert (type(section).__name__, section.limit, section.note) == ("Limits", 6, "")
    res = dblint_run("check", "--config", cfg, "--select", "OVER001", "--format", "json")
    assert res.exit_code == 1, res.stderr
    assert [e["message"] for e in res.rule("OVER001")["examples"]] == ["n = 50 is over 6", "n = 7 is over 6"]
    # the same section under [tool.dblint] in pyproject.toml
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        f"[tool.dblint.database]\nurl = '{dblint_db.url_string}'\n[tool.dblint.{name}]\nlimit = 40\n"
    )
    res = dblint_run("check", "--config", pyproject, "--select", "OVER001", "--format", "json")
    assert res.exit_code == 1 and res.rule("OVER001")["violations"] == 1
    # dblint schema config has the section
    schema = json.loads(dblint_run("schema", "config").stdout)
    assert schema["properties"][name] == {"$ref": "#/$defs/Limits", "default": None}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("NAME:\n  limit: lots\n", "dblint.yaml:2: NAME.limit: Input should be a valid integer"),
        ("NAME: {limt: 3}\n", "dblint.yaml:1: NAME.limt: unknown key (did you mean 'limit'?)"),
        ("NAME: 7\n", "dblint.yaml:1: NAME: Input should be a valid dictionary or instance of Limits"),
        ("select: []\nNAMEx:\n  limit: 3\n", "dblint.yaml:2: NAMEx: unknown key (did you mean 'NAME'?)"),
        # with the migrations pack disabled, its keys are still known (and accepted unread)
        ("max_examples: 5\nmodles: {}\n", "dblint.yaml:2: modles: unknown key (did you mean 'models'?)"),
    ],
)
def test_pack_config_section_errors_are_one_line_with_file_and_line(
    tmp_path, monkeypatch, dblint_run, text, error
):
    name = fake_dist(tmp_path, monkeypatch, SECTION, SECTION_RULES)
    (tmp_path / "dblint.yaml").write_text(text.replace("NAME", name))
    args = ["--disable-pack", "migrations"] if "modles" in text else []
    res = dblint_run("rules", *args, cwd=tmp_path)
    assert res.exit_code == 2
    assert res.stderr.startswith("dblint: " + error.replace("NAME", name)), res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_sections_of_disabled_packs_are_accepted_unread(tmp_path, monkeypatch, dblint_run):
    name = fake_dist(tmp_path, monkeypatch, SECTION, SECTION_RULES)
    cfg = tmp_path / "dblint.yaml"
    # invalid for its pack, which is not loaded: nothing reads it
    cfg.write_text(f"{name}: {{limit: lots}}\nmigrations: {{django: {{apps: {{}}}}}}\nmodels: 3\n")
    res = dblint_run("rules", "--config", cfg, "--disable-pack", name, "--disable-pack", "migrations")
    assert res.exit_code == 0, res.stderr
    cfg.write_text("disable_packs: [migrations]\nmigrations: {alembic: {ini: alembic.ini}}\n")
    assert dblint_run("rules", "--config", cfg).exit_code == 0
    # a pack that owns a key dblint already has is refused
    clash = fake_dist(
        tmp_path,
        monkeypatch,
        """
        from pydantic import BaseModel
        from linter import hookimpl

        @hookimpl
        def dblint_config_sections():
            return {"database": BaseModel}
        """,
    )
    res = dblint_run("rules", "--disable-pack", name)
    assert res.exit_code == 2
    assert (
        res.stderr.strip()
        == f"dblint: plugin {clash!r} registers config section 'database', one of dblint's own keys"
    )


# --- the public API: what packs import ----------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def _dblint_imports(path: Path) -> set[str]:
    """The dblint modules a file imports (``linter`` and below)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
        names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
        found |= {n for n in names if n == "linter" or n.startswith("linter.")}
    return found


def test_packs_and_the_pack_guide_import_only_the_public_api():
    example = ROOT / "examples" / "dblint-pack-example" / "src"
    assert {m for p in example.rglob("*.py") for m in _dblint_imports(p)} == {"linter"}
    guide = (ROOT / "docs" / "packs.md").read_text(encoding="utf-8")
    assert set(re.findall(r"^from (linter\S*) import", guide, re.MULTILINE)) == {"linter"}
    # The built-in packs also build on core kinds (linter.kinds.*) and, where a pack opens a
    # database or vets SQL as dblint does, on linter.db; never on the run machinery.
    builtin = {
        str(p.relative_to(ROOT)): sorted(
            m for m in _dblint_imports(p) if m != "linter" and not m.startswith(("linter.kinds", "linter.db"))
        )
        for p in (ROOT / "rules").rglob("*.py")
    }
    assert {p: ms for p, ms in builtin.items() if ms} == {}
    assert len(builtin) >= 15


def test_an_installed_pack_cannot_take_a_builtin_packs_name(tmp_path, monkeypatch):
    import dblint_specify

    fake_dist(tmp_path, monkeypatch, GOOD, RULES, name="specify")  # first on sys.path
    pm = plugins.get_plugin_manager()
    assert pm.get_plugin("specify") is dblint_specify
    assert not any("site-specify" in str(path) for path, _, _ in plugins.rule_sources(pm))


def test_two_packs_owning_one_config_section_is_an_error(tmp_path, monkeypatch, dblint_run):
    body = """
        from pydantic import BaseModel
        from linter import hookimpl

        @hookimpl
        def dblint_config_sections():
            return {"shared": BaseModel}
    """
    first, second = fake_dist(tmp_path, monkeypatch, body), fake_dist(tmp_path, monkeypatch, body)
    res = dblint_run("rules")
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1
    assert "registers config section 'shared', which plugin" in res.stderr
    assert {first, second} <= set(re.findall(r"'(fakepack\w+)'", res.stderr))
    assert dblint_run("rules", "--disable-pack", first).exit_code == 0
