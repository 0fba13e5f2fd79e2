"""Alembic projects whose env.py renames the version table (``context.configure(version_table=...)``):
how env.py and the config are read (no database), then projects where the real ``alembic upgrade``
writes its bookkeeping there, and dblint reads that table for the MIG rules and leaves it out of
DRIFT."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from alembic.util import CommandError
from mig_projects import AlembicProject, write_config

from dblint_migrations.config import SECTIONS
from dblint_migrations.readers import ProjectError, alembic_graph, project
from linter.errors import ConfigError
from linter.kinds.base import Context
from linter.load.config import load_config

MODELS = """
import sqlalchemy as sa

metadata = sa.MetaData()

product = sa.Table(
    "product", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100)),
)
tag = sa.Table(
    "tag", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("label", sa.String(50)),
)
"""
CREATE_PRODUCT = """
op.create_table(
    "product", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(100), nullable=True)
)
"""
CREATE_TAG = """
op.create_table(
    "tag", sa.Column("id", sa.Integer, primary_key=True), sa.Column("label", sa.String(50), nullable=True)
)
"""


def _env(tmp_path: Path, body: str) -> Path:
    (tmp_path / "alembic" / "versions").mkdir(parents=True, exist_ok=True)
    (tmp_path / "alembic" / "env.py").write_text(textwrap.dedent(body))
    return tmp_path / "alembic" / "env.py"


def _ctx(tmp_path: Path, **alembic: object) -> Context:
    cfg = tmp_path / "dblint.yaml"
    cfg.write_text(yaml.safe_dump({"migrations": {"alembic": {"script_location": "alembic", **alembic}}}))
    config = load_config(cfg)
    config.bind_sections(SECTIONS)  # the migrations pack's sections, as App.load binds them
    return Context(schema=None, config=config)  # type: ignore[arg-type]


def _version_table(tmp_path: Path, **alembic: object) -> project.VersionTable:
    return project.version_table(_ctx(tmp_path, **alembic))


def test_alembic_version_table_from_env_py(tmp_path):
    env = _env(
        tmp_path,
        """
        from alembic import context
        def offline():
            context.configure(url=url, version_table="app_version", literal_binds=True)
        def online():
            context.configure(connection=c, version_table="app_version", version_table_schema=None, **extra)
        """,
    )
    assert alembic_graph.env_settings(env, "env.py") == {
        "version_table": "app_version",
        "version_table_schema": None,
    }
    assert _version_table(tmp_path) == project.VersionTable("app_version", None)
    # The config wins over env.py: version_table, and version_table_schema even when null.
    assert _version_table(tmp_path, version_table="v") == project.VersionTable("v", None)
    env.write_text(env.read_text().replace("version_table_schema=None", "version_table_schema='meta'"))
    assert _version_table(tmp_path) == project.VersionTable("app_version", "meta")
    assert _version_table(tmp_path, version_table_schema=None) == project.VersionTable("app_version", None)
    assert _version_table(tmp_path, version_table_schema="x").shown == "x.app_version"
    # DRIFT and PRE leave the renamed table alone (and alembic_version is then a table like any other).
    assert project.bookkeeping(_ctx(tmp_path)) == {"django_migrations", "app_version"}
    assert project.bookkeeping(Context(schema=None)) == {"django_migrations", "alembic_version"}  # type: ignore[arg-type]
    # Nothing set, or no env.py: Alembic's default.
    _env(tmp_path, "from alembic import context\ncontext.configure(url=url)\n")
    assert _version_table(tmp_path) == project.VersionTable("alembic_version", None)
    env.unlink()
    assert alembic_graph.env_settings(env, "env.py") == {}
    assert _version_table(tmp_path) == project.VersionTable("alembic_version", None)


@pytest.mark.parametrize(
    "call, message, settled",
    [
        (
            "context.configure(version_table=VERSION_TABLE)",
            r"^alembic/env.py:3: version_table=VERSION_TABLE is not a string literal, and dblint "
            r"reads env.py without running it: set migrations.alembic.version_table in the dblint config$",
            {"version_table": "app_version"},
        ),
        (
            "context.configure(version_table=os.environ.get('VT', 'a_version'))",
            r"^alembic/env.py:3: version_table=os.environ.get\('VT', 'a_version'\) is not a string literal",
            {"version_table": "app_version"},
        ),
        (
            "context.configure(version_table='a_version')\ncontext.configure(version_table='b_version')",
            r"^alembic/env.py:4: version_table='b_version', but line 3 gives 'a_version': "
            r"set migrations.alembic.version_table in the dblint config$",
            {"version_table": "app_version"},
        ),
        (
            "context.configure(version_table='app_version', version_table_schema=schema_name)",
            r"^alembic/env.py:3: version_table_schema=schema_name is not a string literal.*"
            r"set migrations.alembic.version_table_schema in the dblint config$",
            {"version_table_schema": None},
        ),
        (
            "context.configure(version_table=(",  # a syntax error
            r"^alembic/env.py:3: ",
            {"version_table": "app_version", "version_table_schema": None},
        ),
    ],
)
def test_alembic_version_table_env_py_not_readable(tmp_path, call, message, settled):
    _env(tmp_path, f"from alembic import context\n\n{call}\n")
    with pytest.raises(ProjectError, match=message):
        _version_table(tmp_path)
    # The config key settles it: env.py's value for that key is not read at all.
    assert _version_table(tmp_path, **settled) == project.VersionTable("app_version", None)


def test_version_table_config_keys_are_checked(tmp_path):
    with pytest.raises(ConfigError, match=r"dblint.yaml:4: migrations.alembic.version_table: "):
        _ctx(tmp_path, version_table="")
    with pytest.raises(ConfigError, match=r"dblint.yaml:4: migrations.alembic.version_table_schema: "):
        _ctx(tmp_path, version_table_schema=["meta"])


MIG_CLEAN = {
    "MIG001": 0,
    "MIG002": "skipped",
    "MIG003": 0,
    "MIG004": 0,
    "MIG005": 0,
    "MIG006": 0,
    "MIG007": 0,
    "MIG008": 0,
    "MIG009": 0,
    "MIG010": 0,
}
DRIFT_CLEAN = {f"DRIFT00{i}": 0 for i in range(1, 6)}


def _configure(p: AlembicProject, extra: str, before: str = "") -> None:
    """Pass ``extra`` to both context.configure(...) calls of the generated env.py (offline and
    online), with ``before`` (module-level code) after its imports."""
    env = p.root / "alembic" / "env.py"
    text = env.read_text(encoding="utf-8")
    assert text.count("target_metadata=target_metadata") == 2
    text = text.replace("target_metadata=target_metadata", f"target_metadata=target_metadata, {extra}")
    text = text.replace("\nfrom alembic import context\n", f"\nfrom alembic import context\n{before}\n", 1)
    env.write_text(text, encoding="utf-8")


def _project(p: AlembicProject, url: str, **alembic: str) -> None:
    p.revision("a001", CREATE_PRODUCT)
    p.revision("a002", CREATE_TAG)
    p.run("upgrade", "head")
    (p.root / "models.py").write_text(textwrap.dedent(MODELS), encoding="utf-8")
    _config(p, url, **alembic)


def _config(p: AlembicProject, url: str, **alembic: str | None) -> None:
    write_config(
        p.root,
        url,
        migrations={"alembic": {"ini": "alembic.ini", **alembic}},
        models={"metadata": "models:metadata"},
    )


def _check(run, p: AlembicProject, select: str, *extra: str, codes=(0, 1)):
    res = run(
        "check", "--config", str(p.root / "dblint.yaml"), "--select", select, "--format", "json", *extra
    )
    assert res.exit_code in codes, res.stderr + res.stdout
    return res


def _counts(res) -> dict[str, object]:
    return {
        r["id"]: (r["violations"] if r["status"] in ("pass", "fail") else r["status"])
        for r in res.json()["rules"]
    }


def _tables(db, schema: str | None = None) -> set[str]:
    with db.engine.connect() as c:
        return {t.lower() for t in sa.inspect(c).get_table_names(schema=schema)}


@pytest.mark.slow  # runs the real tools
def test_version_table_set_in_env_py(alembic_project, dblint_db, dblint_run):
    p = alembic_project
    _configure(p, 'version_table="app_version"')
    _project(p, dblint_db.url_string)
    # Alembic kept its bookkeeping in app_version, and made no alembic_version.
    assert dblint_db.query("SELECT version_num FROM app_version") == [("a002",)]
    assert {"app_version", "product", "tag"} == _tables(dblint_db)
    assert "a002 (head)" in p.run("current")

    # Everything applied, and app_version is not a table the models lack.
    res = _check(dblint_run, p, "MIG,DRIFT")
    assert _counts(res) == {**MIG_CLEAN, **DRIFT_CLEAN}

    # The config key wins over env.py: told the table is alembic_version (which does not exist),
    # dblint sees nothing applied, and app_version is then just a table the models lack.
    _config(p, dblint_db.url_string, version_table="alembic_version")
    res = _check(dblint_run, p, "MIG001,DRIFT003")
    assert _counts(res) == {"MIG001": 2, "DRIFT003": 1}
    assert res.rule("DRIFT003")["examples"][0]["key"] == {"table": "app_version"}
    _config(p, dblint_db.url_string, version_table="app_version")
    assert _counts(_check(dblint_run, p, "MIG001,DRIFT003")) == {"MIG001": 0, "DRIFT003": 0}

    # A pending revision is pending against app_version.
    p.revision("a003", 'op.add_column("tag", sa.Column("color", sa.String(20)))\n')
    res = _check(dblint_run, p, "MIG001")
    assert [e["key"] for e in res.rule("MIG001")["examples"]] == [{"revision": "a003", "head": "a003"}]
    assert res.rule("MIG001")["examples"][0]["table"] == "app_version"

    # A revision recorded with its own ancestor: the message names app_version in its DELETE.
    dblint_db.execute("INSERT INTO app_version (version_num) VALUES ('a001')")
    res = _check(dblint_run, p, "MIG003")
    assert _counts(res) == {"MIG003": 1}
    msg = res.rule("MIG003")["examples"][0]["message"]
    assert msg.startswith("app_version holds a001 and also its descendant a002")
    assert "(DELETE FROM app_version WHERE version_num = 'a001')" in msg
    with pytest.raises(CommandError, match="a002 overlaps with other requested revisions a001"):
        p.run("upgrade", "head")
    dblint_db.execute("DELETE FROM app_version WHERE version_num = 'a001'")

    # A planted revision no script knows, in app_version: MIG006, then what Alembic says about it.
    # (The database's place in the history is then unknown: MIG001 and MIG007 say so, once each,
    # instead of calling a001 and a002 pending and their tables clashes.)
    dblint_db.execute("UPDATE app_version SET version_num = 'ffff0000'")
    res = _check(dblint_run, p, "MIG")
    assert _counts(res) == {**MIG_CLEAN, "MIG001": "skipped", "MIG006": 1, "MIG007": "skipped"}
    assert "app_version holds ffff0000, which no script knows" in res.rule("MIG001")["reason"]
    example = res.rule("MIG006")["examples"][0]
    assert example["table"] == "app_version" and example["key"] == {"revision": "ffff0000"}
    assert example["message"].startswith("app_version holds ffff0000, which no script in alembic knows")
    with pytest.raises(CommandError, match="Can't locate revision identified by 'ffff0000'"):
        p.run("upgrade", "head")


@pytest.mark.slow
def test_version_table_env_py_cannot_tell(alembic_project, dblint_db, dblint_run):
    p = alembic_project
    _configure(p, "version_table=VERSION_TABLE", before='VERSION_TABLE = "app_version"')
    _project(p, dblint_db.url_string)  # Alembic runs env.py: the name is no problem for it
    assert dblint_db.query("SELECT version_num FROM app_version") == [("a002",)]
    line = next(
        i
        for i, text in enumerate((p.root / "alembic" / "env.py").read_text().splitlines(), 1)
        if "version_table=VERSION_TABLE" in text
    )
    reason = (
        f"alembic/env.py:{line}: version_table=VERSION_TABLE is not a string literal, and dblint reads "
        "env.py without running it: set migrations.alembic.version_table in the dblint config"
    )
    # dblint does not guess: each rule that needs the version table errors with that one line.
    res = _check(dblint_run, p, "MIG,DRIFT", codes=(2,))
    statuses = {r["id"]: (r["status"], r["reason"]) for r in res.json()["rules"]}
    assert statuses.pop("MIG002")[0] == "skipped"  # Django's
    # leftover batch tables: no version table needed
    assert statuses.pop("MIG008") == statuses.pop("MIG010") == ("pass", "")
    assert set(statuses.values()) == {("error", reason)}
    text = dblint_run("check", "--config", str(p.root / "dblint.yaml"), "--select", "MIG006")
    assert text.exit_code == 2
    assert re.search(rf"MIG006 error could not run: {re.escape(reason)}\n", text.stdout), text.stdout
    # One line for the one cause, naming every rule it stopped (not one line per rule).
    every = dblint_run("check", "--config", str(p.root / "dblint.yaml"), "--select", "MIG,DRIFT")
    stopped = [line for line in every.stdout.splitlines() if "error could not run" in line]
    assert len(stopped) == 1 and "MIG001, " in stopped[0], every.stdout

    # The config key settles it.
    _config(p, dblint_db.url_string, version_table="app_version")
    assert _counts(_check(dblint_run, p, "MIG,DRIFT")) == {**MIG_CLEAN, **DRIFT_CLEAN}


@pytest.mark.slow
@pytest.mark.parametrize("dblint_db", ["postgresql"], indirect=True)
def test_version_table_schema_set_in_env_py(alembic_project, dblint_db, dblint_run):
    p = alembic_project
    dblint_db.execute("CREATE SCHEMA meta")
    _configure(p, 'version_table="app_version", version_table_schema="meta"')
    _project(p, dblint_db.url_string)
    assert dblint_db.query("SELECT version_num FROM meta.app_version") == [("a002",)]
    assert _tables(dblint_db) == {"product", "tag"} and _tables(dblint_db, "meta") == {"app_version"}
    assert _counts(_check(dblint_run, p, "MIG,DRIFT")) == {**MIG_CLEAN, **DRIFT_CLEAN}

    dblint_db.execute("INSERT INTO meta.app_version (version_num) VALUES ('a001')")
    res = _check(dblint_run, p, "MIG003")
    msg = res.rule("MIG003")["examples"][0]["message"]
    assert msg.startswith("meta.app_version holds a001 and also its descendant a002")
    assert "(DELETE FROM meta.app_version WHERE version_num = 'a001')" in msg
    with pytest.raises(CommandError, match="a002 overlaps with other requested revisions a001"):
        p.run("upgrade", "head")

    # version_table_schema: null in the config means the checked schema, whatever env.py says:
    # there is no app_version in public, so nothing is applied.
    _config(p, dblint_db.url_string, version_table_schema=None)
    assert _counts(_check(dblint_run, p, "MIG001")) == {"MIG001": 2}
