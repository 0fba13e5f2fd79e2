"""The static readers (no database, no Django import) and the configuration around them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dblint_migrations.readers import ProjectError, alembic_graph, django_graph
from linter.app import App
from linter.errors import ConfigError
from linter.load.config import Config, load_config


def _mig(folder: Path, name: str, deps: list[tuple[str, str]], replaces: list[tuple[str, str]] = ()) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").touch()
    (folder / f"{name}.py").write_text(
        textwrap.dedent(
            f"""
            from django.conf import settings
            from django.db import migrations


            class Migration(migrations.Migration):
                dependencies = {list(deps)!r}
                replaces = {list(replaces)!r}
                operations = []
            """
        )
    )


def test_django_squash_replaces_applied_targets(tmp_path):
    shop = tmp_path / "shop" / "migrations"
    _mig(shop, "0001_squashed_0002_x", [], [("shop", "0001_initial"), ("shop", "0002_x")])
    _mig(shop, "0003_y", [("shop", "0002_x"), ("auth", "0012_alter_user")])
    g = django_graph.build(
        {"shop": shop}, {("shop", "0001_initial"), ("shop", "0002_x"), ("auth", "0012_alter_user")}
    )
    assert set(g.nodes) == {("shop", "0001_squashed_0002_x"), ("shop", "0003_y")}
    assert g.parents[("shop", "0003_y")] == [("shop", "0001_squashed_0002_x")]  # remapped, as Django does
    assert g.external[("shop", "0003_y")] == [("auth", "0012_alter_user")]
    assert ("shop", "0001_squashed_0002_x") in g.applied
    assert g.stale_rows() == []  # the replaced migrations' rows are not stale: the squash stands for them
    assert [k for k in g.plan() if k not in g.applied] == [("shop", "0003_y")]


def test_django_partially_applied_squash_stands_aside(tmp_path):
    shop = tmp_path / "shop" / "migrations"
    _mig(shop, "0001_initial", [])
    _mig(shop, "0002_x", [("shop", "0001_initial")])
    _mig(shop, "0001_squashed_0002_x", [], [("shop", "0001_initial"), ("shop", "0002_x")])
    g = django_graph.build({"shop": shop}, {("shop", "0001_initial"), ("shop", "0099_gone")})
    assert set(g.nodes) == {("shop", "0001_initial"), ("shop", "0002_x")}
    assert [k for k in g.plan() if k not in g.applied] == [("shop", "0002_x")]
    assert g.stale_rows() == [("shop", "0099_gone")]


def test_django_swappable_first_and_missing(tmp_path):
    shop, blog = tmp_path / "shop" / "migrations", tmp_path / "blog" / "migrations"
    _mig(shop, "0001_initial", [("blog", "__first__")])
    (shop / "0001_initial.py").write_text(
        (shop / "0001_initial.py")
        .read_text()
        .replace(
            "dependencies = [",
            "run_before = [('blog', '0002_b')]\n"
            "    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL), ",
        )
    )
    _mig(blog, "0001_a", [])
    _mig(blog, "0002_b", [("blog", "0001_a"), ("shop", "0007_nope")])
    g = django_graph.build({"shop": shop, "blog": blog}, set())
    assert g.parents[("shop", "0001_initial")] == [("blog", "0001_a")]
    assert ("shop", "0001_initial") in g.parents[("blog", "0002_b")]  # run_before
    assert g.missing == [(("blog", "0002_b"), ("shop", "0007_nope"))]
    assert g.leaves("blog") == [("blog", "0002_b")]


def test_django_unreadable_file_names_file_and_line(tmp_path):
    shop = tmp_path / "shop" / "migrations"
    _mig(shop, "0001_initial", [])
    (shop / "0002_bad.py").write_text("class Migration(:\n")
    with pytest.raises(ProjectError, match=r"0002_bad.py:1:"):
        django_graph.build({"shop": shop}, set())


def test_alembic_reads_ini_merges_labels_and_creates(tmp_path):
    (tmp_path / "alembic.ini").write_text(
        "[alembic]\nscript_location = %(here)s/scripts\n"
        "version_locations = %(here)s/v1 %(here)s/v2\npath_separator = space\n"
    )
    (tmp_path / "scripts").mkdir()
    for folder in ("v1", "v2"):
        (tmp_path / folder).mkdir()
    (tmp_path / "v1" / "a.py").write_text("revision = 'a'\ndown_revision = None\nbranch_labels = ('core',)\n")
    (tmp_path / "v1" / "b.py").write_text("revision: str = 'b'\ndown_revision: str | None = 'a'\n")
    (tmp_path / "v2" / "c.py").write_text(
        "revision = 'c'\ndown_revision = 'a'\ndepends_on = 'core'\n"
        "def upgrade():\n    op.create_table('t', sa.Column('id', sa.Integer))\n"
        "    with op.batch_alter_table('u') as batch_op:\n"
        "        batch_op.add_column(sa.Column('x', sa.String(5)))\n"
        "    op.create_index('ix_t', 't', ['id'])\n"
    )
    (tmp_path / "v2" / "m.py").write_text("revision = 'm'\ndown_revision = ('b', 'c')\n")
    location, versions, recursive = alembic_graph.script_location(tmp_path / "alembic.ini", None)
    g = alembic_graph.read(location, versions, recursive)
    assert g.heads() == ["m"]
    assert g.ancestors(["c"]) == {"a", "c"}
    assert g.order().index("a") < g.order().index("b") < g.order().index("m")
    assert g.missing() == []
    assert [(k, t, n) for k, t, n, _ in g.revisions["c"].ops.creates()] == [
        ("table", "t", "t"),
        ("column", "u", "x"),
        ("index", "t", "ix_t"),
    ]


def _loaded(path: Path) -> Config:
    """The config as a run has it: the pack sections are validated when the packs load."""
    return App.load(load_config(path)).config


def test_config_keys_are_checked(tmp_path):
    cfg = tmp_path / "dblint.yaml"
    cfg.write_text("migrations:\n  alembic: {ini: alembic.ini, script_location: alembic}\n")
    with pytest.raises(ConfigError, match=r"dblint.yaml:2: .*exactly one of ini or script_location"):
        _loaded(cfg)
    cfg.write_text("models:\n  metadata: models.Base.metadata\n")
    with pytest.raises(ConfigError, match=r"dblint.yaml:2: models.metadata: .*import path"):
        _loaded(cfg)
    cfg.write_text(
        "migrations:\n  django: {apps: {shop: shop/migrations}, settings: proj.settings, extra: 1}\n"
    )
    with pytest.raises(ConfigError, match=r"dblint.yaml:2: migrations.django.extra: unknown key"):
        _loaded(cfg)
    cfg.write_text(
        "migrations:\n  django: {apps: {shop: shop/migrations}, settings: proj.settings}\n"
        "models: {reference_url: ref.sqlite3}\n"
    )
    c = _loaded(cfg)
    mig, models = c.section("migrations"), c.section("models")
    assert mig.django.apps == {"shop": "shop/migrations"} and models.reference_url == "ref.sqlite3"


def test_long_chains_and_cycles(tmp_path):
    versions = tmp_path / "alembic" / "versions"
    versions.mkdir(parents=True)
    for i in range(3000):  # deeper than Python's recursion limit
        down = repr(f"r{i - 1:04d}") if i else "None"
        (versions / f"r{i:04d}.py").write_text(f"revision = 'r{i:04d}'\ndown_revision = {down}\n")
    g = alembic_graph.read(tmp_path / "alembic", [versions])
    assert g.order()[:2] == ["r0000", "r0001"] and g.order()[-1] == "r2999"
    assert g.heads() == ["r2999"] and len(g.ancestors(["r2999"])) == 3000
    (versions / "r0000.py").write_text("revision = 'r0000'\ndown_revision = 'r0002'\n")
    with pytest.raises(ProjectError, match="dependency cycle"):
        alembic_graph.read(tmp_path / "alembic", [versions]).order()


def test_alembic_ops_follow_each_batch_block_and_nested_statements(tmp_path):
    (tmp_path / "versions" / "2024").mkdir(parents=True)
    (tmp_path / "alembic.ini").write_text(
        "[alembic]\nscript_location = %(here)s\nversion_locations = %(here)s/versions\n"
        "recursive_version_locations = true\n"
    )
    (tmp_path / "versions" / "2024" / "r1.py").write_text(
        textwrap.dedent(
            """
            revision = "r1"
            down_revision = None

            def upgrade():
                with op.batch_alter_table("a") as batch_op:
                    batch_op.add_column(sa.Column("x", sa.Integer, nullable=False))
                    if True:
                        batch_op.create_index("ix_a_x", ["x"])
                with op.batch_alter_table("b") as batch_op:
                    batch_op.add_column(sa.Column("y", sa.Integer, nullable=False, server_default="0"))
                    batch_op.alter_column("z", nullable=False)
                    batch_op.create_unique_constraint("uq_b", ["y", "z"])
                op.drop_column("c", "old")
                op.create_foreign_key("fk", "b", "a", ["a_id"], ["id"])
            """
        )
    )
    location, versions, recursive = alembic_graph.script_location(tmp_path / "alembic.ini", None)
    assert recursive
    ops = alembic_graph.read(location, versions, recursive).revisions["r1"].ops.items
    assert [(o.what, o.table, o.name, o.columns, o.not_null_no_default) for o in ops] == [
        ("add_column", "a", "x", ("x",), True),
        ("create_index", "a", "ix_a_x", ("x",), False),
        ("add_column", "b", "y", ("y",), False),
        ("alter_column", "b", "z", ("z",), False),
        ("create_unique", "b", "uq_b", ("y", "z"), False),
        ("drop_column", "c", "old", ("old",), False),
        ("create_foreign_key", "b", "fk", ("a_id",), False),
    ]
    # Without the flag, revisions in sub-folders are not Alembic's either.
    assert alembic_graph.read(location, versions).revisions == {}
