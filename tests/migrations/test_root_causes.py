"""One fault, one finding, on projects built and broken with the real tools (issue 13's classes),
on SQLite and PostgreSQL: dblint names the root cause once, says what it cannot know instead of
listing consequences, and Django or Alembic then fails on the same database exactly as dblint said."""

from __future__ import annotations

import textwrap

import pytest
import sqlalchemy as sa
from mig_projects import AlembicProject, DjangoProject, migrate_plan, write_config

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("dblint_db", ["sqlite", "postgresql"], indirect=True)]

MODELS = """
import sqlalchemy as sa

metadata = sa.MetaData()

product = sa.Table(
    "product", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100)),
    sa.Column("sku", sa.String(20)),
)
"""
CREATE_PRODUCT = """
op.create_table(
    "product",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=True),
    sa.Column("sku", sa.String(20), nullable=True),
)
"""
CREATE_TAG = """
op.create_table(
    "tag",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("label", sa.String(50), nullable=True),
)
"""


def _check(run, root, select: str, *extra: str, codes: tuple[int, ...] = (0, 1)):
    res = run("check", "--config", str(root / "dblint.yaml"), "--select", select, "--format", "json", *extra)
    assert res.exit_code in codes, res.stderr + res.stdout
    return res


def _outcomes(res) -> dict[str, object]:
    return {r["id"]: (r["violations"] if r["status"] == "fail" else r["status"]) for r in res.json()["rules"]}


def _alembic(p: AlembicProject, url: str, **models: str) -> None:
    p.revision("a001", CREATE_PRODUCT)
    p.revision("a002", CREATE_TAG)
    p.run("upgrade", "head")
    (p.root / "models.py").write_text(textwrap.dedent(MODELS), encoding="utf-8")
    write_config(p.root, url, migrations={"alembic": {"ini": "alembic.ini"}}, **models)


def test_unknown_revision_is_one_finding_with_proven_advice(alembic_project, dblint_db, dblint_run):
    """Class 3: the version table names a revision whose script is gone (the database was upgraded
    by newer code). Only MIG006, advising the revision whose tables and columns the database has;
    nothing is listed as pending and nothing as "already exists"."""
    p = alembic_project
    _alembic(p, dblint_db.url_string)
    p.revision("a003", 'op.add_column("tag", sa.Column("color", sa.String(20)))\n')
    p.run("upgrade", "head")
    dblint_db.execute("UPDATE alembic_version SET version_num = 'ffff0000'")

    res = _check(dblint_run, p.root, "MIG")
    assert _outcomes(res) == {
        "MIG001": "skipped",
        "MIG002": "skipped",
        "MIG003": "pass",
        "MIG004": "pass",
        "MIG005": "pass",
        "MIG006": 1,
        "MIG007": "skipped",
        "MIG008": "pass",
        "MIG009": "pass",
        "MIG010": "pass",
    }
    assert "alembic_version holds ffff0000, which no script knows (MIG006" in res.rule("MIG001")["reason"]
    advice = res.rule("MIG006")["examples"][0]["message"]
    assert "those revision a003 leaves" in advice and "`alembic stamp --purge a003`" in advice

    from alembic.util import CommandError

    with pytest.raises(CommandError, match="Can't locate revision identified by 'ffff0000'"):
        p.run("upgrade", "head")
    p.run("stamp", "a003", purge=True)  # MIG006's advice, by the real tool
    assert p.run("current").split()[0] == "a003"
    assert _check(dblint_run, p.root, "MIG").exit_code == 0


def test_pending_not_null_column_leftover_batch_table_and_no_drift(alembic_project, dblint_db, dblint_run):
    """Classes 6, 4 and 1: a pending revision adds a NOT NULL column without a server default to a
    table with rows (PRE005, counted) and makes another NOT NULL (PRE001): the differences it makes
    are not drift. The real upgrade fails as PRE005 says; on SQLite it leaves its batch copy behind,
    which MIG008 names and every retry trips over; PostgreSQL rolls it back."""
    p = alembic_project
    _alembic(p, dblint_db.url_string, models={"metadata": "models:metadata"})
    (p.root / "models.py").write_text(
        textwrap.dedent(MODELS).replace(
            'sa.Column("sku", sa.String(20)),',
            'sa.Column("sku", sa.String(20), nullable=False),\n'
            '    sa.Column("weight", sa.Integer, nullable=False),',
        )
        + '\ntag = sa.Table("tag", metadata, sa.Column("id", sa.Integer, primary_key=True),'
        ' sa.Column("label", sa.String(50)))\n',
        encoding="utf-8",
    )
    dblint_db.execute(
        "INSERT INTO product (id, name, sku) VALUES (1, 'a', 'X'), (2, 'b', NULL), (3, 'c', 'Z')"
    )
    p.revision(
        "a003",
        """
        with op.batch_alter_table("product") as batch_op:
            batch_op.alter_column("sku", existing_type=sa.String(20), nullable=False)
            batch_op.add_column(sa.Column("weight", sa.Integer, nullable=False))
        """,
    )
    res = _check(dblint_run, p.root, "MIG,DRIFT,PRE")
    failing = {k: v for k, v in _outcomes(res).items() if isinstance(v, int)}
    assert failing == {"MIG001": 1, "PRE001": 1, "PRE005": 1}  # no DRIFT002 weight, no DRIFT004 sku
    assert res.rule("PRE005")["examples"][0]["key"] == {"table": "product", "column": "weight"}
    assert res.rule("PRE005")["examples"][0]["message"].startswith(
        "3 row(s) in product, and pending revision a003 (alembic/versions/a003_rev_a003.py:"
    )
    assert res.rule("PRE001")["examples"][0]["key"] == {"id": "2", "column": "sku"}

    with pytest.raises(sa.exc.DBAPIError) as crash:
        p.run("upgrade", "head")
    if dblint_db.dialect == "sqlite":
        assert "NOT NULL constraint failed: _alembic_tmp_product" in str(crash.value)
        left = _check(dblint_run, p.root, "MIG008,DRIFT003")
        assert _outcomes(left) == {"MIG008": 1, "DRIFT003": "pass"}  # the copy is MIG008's, not drift
        message = left.rule("MIG008")["examples"][0]["message"]
        assert "It is empty: dropping it is safe (DROP TABLE _alembic_tmp_product)" in message
        with pytest.raises(sa.exc.DBAPIError, match="table _alembic_tmp_product already exists"):
            p.run("upgrade", "head")  # what every retry says
        ddl = dblint_db.query("SELECT sql FROM sqlite_master WHERE tbl_name = '_alembic_tmp_product'")
        undo = p.root / "undo.sql"
        fixed = _check(dblint_run, p.root, "MIG008", "--fix", "--undo-file", str(undo))
        assert _outcomes(fixed) == {"MIG008": "pass"} and fixed.rule("MIG008")["fixed"] == 1
        # The retry now meets the rows' own problem (PRE005's), no longer the leftover.
        with pytest.raises(sa.exc.DBAPIError, match="NOT NULL constraint failed: _alembic_tmp_product"):
            p.run("upgrade", "head")
        dblint_db.execute("DROP TABLE _alembic_tmp_product")  # the retry's own leftover
        dblint_db.apply_script(undo)  # sqlite3 -bail: the dropped copy comes back with its exact DDL
        assert dblint_db.query("SELECT sql FROM sqlite_master WHERE tbl_name = '_alembic_tmp_product'") == ddl
        dblint_db.execute("DROP TABLE _alembic_tmp_product")
    else:
        assert "contains null values" in str(crash.value)
        assert _outcomes(_check(dblint_run, p.root, "MIG008")) == {"MIG008": "pass"}
    assert dblint_db.query("SELECT version_num FROM alembic_version") == [("a002",)]


def test_several_batch_blocks_each_on_its_own_table(alembic_project, dblint_db, dblint_run):
    """Class 5: two `with op.batch_alter_table(...) as batch_op:` blocks in one upgrade(); the
    database already has the column the *second* block adds to the *first* table's name. No clash
    is claimed, and the real upgrade indeed runs fine."""
    p = alembic_project
    _alembic(p, dblint_db.url_string)
    dblint_db.execute("ALTER TABLE tag ADD COLUMN weight INTEGER")  # tag.weight, by hand
    p.revision(
        "a003",
        """
        with op.batch_alter_table("product") as batch_op:
            batch_op.add_column(sa.Column("weight", sa.Integer))
        with op.batch_alter_table("tag") as batch_op:
            batch_op.add_column(sa.Column("note", sa.Text))
        """,
    )
    res = _check(dblint_run, p.root, "MIG007")
    assert _outcomes(res) == {"MIG007": "pass"}
    p.run("upgrade", "head")  # the real upgrade: no clash
    assert dblint_db.query("SELECT version_num FROM alembic_version") == [("a003",)]


SETTINGS = {"migrations": {"django": {"apps": {"shop": "shop/migrations"}, "settings": "proj.settings"}}}


def test_deleted_dependency_is_one_finding_and_the_rest_say_why(django_project, dblint_db, dblint_run):
    """Class 2: the file of an applied migration that a later one depends on is deleted. MIG004
    names it; no second leaf is invented (MIG005), its row is not called stale (MIG002), and the
    rules that need Django's loader say once that it refuses the graph, instead of erroring."""
    p: DjangoProject = django_project
    write_config(p.root, dblint_db.url_string, **SETTINGS)
    p.manage("migrate", "-v0")
    (p.migrations / "0002_product_price.py").unlink()

    res = _check(dblint_run, p.root, "MIG,DRIFT,PRE")
    assert res.exit_code == 1, res.stderr
    outcomes = _outcomes(res)
    assert {k: v for k, v in outcomes.items() if isinstance(v, int)} == {"MIG004": 1}
    assert res.rule("MIG004")["examples"][0]["key"] == {
        "app": "shop",
        "migration": "0003_tag",
        "missing": "shop.0002_product_price",
    }
    assert outcomes["MIG002"] == "pass" and outcomes["MIG005"] == "skipped"
    assert "(MIG004)" in res.rule("MIG005")["reason"]
    for rid in ("MIG007", "DRIFT001", "DRIFT004", "PRE001", "PRE005"):
        assert outcomes[rid] == "skipped", rid
        assert res.rule(rid)["reason"].startswith(
            "Django's migration loader refuses this graph: shop.0003_tag"
        )
    django = p.manage("migrate", check=False)
    assert django.returncode != 0 and "NodeNotFoundError" in django.stderr


BLOG_MIGRATION = """
from django.conf import settings
from django.db import migrations, models

# as real apps do: a dependency only some installations have
DEPENDS = [("shop", "0001_initial")] if getattr(settings, "BLOG_FOLLOWS_SHOP", False) else []


class Migration(migrations.Migration):
    initial = True
    dependencies = [] + DEPENDS

    operations = [
        migrations.CreateModel(name="Post", fields=[("id", models.BigAutoField(primary_key=True))]),
    ]
"""


def test_computed_dependencies_degrade_per_file(django_project, dblint_db, dblint_run):
    """Class 7: one app computes its migration's dependencies from settings. Without settings that
    file is named once (MIG009) and every other app is judged; with them, Django's own loader reads
    it, and the pending list is what `manage.py migrate --plan` runs."""
    p: DjangoProject = django_project
    p.manage("startapp", "blog")
    (p.root / "blog" / "migrations" / "0001_initial.py").write_text(BLOG_MIGRATION, encoding="utf-8")
    (p.root / "blog" / "models.py").write_text(
        "from django.db import models\n\n\nclass Post(models.Model):\n    pass\n", encoding="utf-8"
    )
    settings = p.root / "proj" / "settings.py"
    settings.write_text(
        settings.read_text() + '\nINSTALLED_APPS += ["blog"]\nBLOG_FOLLOWS_SHOP = True\n', encoding="utf-8"
    )
    p.manage("migrate", "shop", "0003", "-v0")
    apps = {"shop": "shop/migrations", "blog": "blog/migrations"}

    write_config(p.root, dblint_db.url_string, migrations={"django": {"apps": apps}})
    res = _check(dblint_run, p.root, "MIG")
    outcomes = _outcomes(res)
    assert outcomes["MIG009"] == 1 and outcomes["MIG001"] == 3 and outcomes["MIG005"] == "skipped"
    assert res.rule("MIG009")["examples"][0]["message"].startswith(
        "blog/migrations/0001_initial.py:11: `[] + DEPENDS` is computed"
    )
    assert "blog.0001_initial cannot be read without running it (MIG009)" in res.rule("MIG005")["reason"]

    write_config(
        p.root, dblint_db.url_string, migrations={"django": {"apps": apps, "settings": "proj.settings"}}
    )
    res = _check(dblint_run, p.root, "MIG")
    assert _outcomes(res)["MIG009"] == "pass" and _outcomes(res)["MIG005"] == "pass"
    pending = {f"{e['key']['app']}.{e['key']['migration']}" for e in res.rule("MIG001")["examples"]}
    planned = {
        m for m in migrate_plan(p.manage("migrate", "--plan").stdout) if m.startswith(("shop.", "blog."))
    }
    assert pending == planned == {"shop.0004_tighten", "shop.0005_product_color", "blog.0001_initial"}
