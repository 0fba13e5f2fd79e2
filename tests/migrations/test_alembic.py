"""Alembic projects broken as the seeds describe: dblint's findings and counts, then what Alembic
itself says about the same state (so the test proves dblint saw it first)."""

from __future__ import annotations

import textwrap

import pytest
import sqlalchemy as sa
from mig_projects import AlembicProject, write_config

pytestmark = pytest.mark.slow  # runs the real tools

MODELS = """
import sqlalchemy as sa

metadata = sa.MetaData()

product = sa.Table(
    "product", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, default="unnamed"),
    sa.Column("sku", sa.String(20), unique=True),
)
tag = sa.Table(
    "tag", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("product_id", sa.Integer, sa.ForeignKey("product.id")),
    sa.Column("label", sa.String(10)),
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
    sa.Column("product_id", sa.Integer, nullable=True),
    sa.Column("label", sa.String(50), nullable=True),
)
"""
TIGHTEN = """
with op.batch_alter_table("product") as batch_op:
    batch_op.alter_column("name", existing_type=sa.String(100), nullable=False)
    batch_op.create_unique_constraint("uq_product_sku", ["sku"])
"""


def _base(p: AlembicProject) -> None:
    p.revision("a001", CREATE_PRODUCT)
    p.revision("a002", CREATE_TAG)
    p.run("upgrade", "head")
    (p.root / "models.py").write_text(textwrap.dedent(MODELS), encoding="utf-8")


def _check(run, p: AlembicProject, select: str, *extra: str, codes: tuple[int, ...] = (0, 1)):
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


def test_blocking_rows_counted_before_upgrade_fails(alembic_project, dblint_db, dblint_run):
    p = alembic_project
    _base(p)
    dblint_db.execute(
        """
        INSERT INTO product (id, name, sku)
          VALUES (1, 'a', 'X'), (2, NULL, 'X'), (3, NULL, 'Y'), (4, 'd', NULL);
        INSERT INTO tag (id, product_id, label)
          VALUES (1, 1, 'ok'), (2, 99, 'this label is too long'), (3, NULL, 'x');
        """
    )
    p.revision("a003", TIGHTEN)
    write_config(
        p.root,
        dblint_db.url_string,
        migrations={"alembic": {"ini": "alembic.ini"}},
        models={"metadata": "models:metadata"},
    )
    res = _check(dblint_run, p, "MIG,DRIFT,PRE")
    assert _counts(res) == {
        "MIG001": 1,
        "MIG002": "skipped",
        "MIG003": 0,
        "MIG004": 0,
        "MIG005": 0,
        "MIG006": 0,
        "MIG007": 0,
        "MIG008": 0,
        "MIG009": 0,
        "MIG010": 0,
        "DRIFT001": 0,
        "DRIFT002": 0,
        "DRIFT003": 0,
        # name NOT NULL and UNIQUE sku are what the pending a003 makes (not drift); the models'
        # VARCHAR(10) label and tag's foreign key are no pending revision's: drift
        "DRIFT004": 1,
        "DRIFT005": 1,
        "PRE001": 2,
        "PRE002": 1,
        "PRE003": 1,
        "PRE004": 1,
        "PRE005": 0,
    }
    assert res.rule("DRIFT004")["examples"][0]["key"] == {"table": "tag", "column": "label"}
    assert res.rule("DRIFT005")["examples"][0]["key"] == {"table": "tag", "foreign_key": "product_id"}
    assert res.rule("MIG001")["examples"][0]["key"] == {"revision": "a003", "head": "a003"}
    assert sorted(e["key"]["id"] for e in res.rule("PRE001")["examples"]) == ["2", "3"]
    assert res.rule("PRE002")["examples"][0]["key"] == {"sku": "X"}
    assert "2 rows share this (sku): the UNIQUE (sku)" in res.rule("PRE002")["examples"][0]["message"]
    assert res.rule("PRE003")["examples"][0]["key"] == {"id": "2", "foreign_key": "product_id"}
    assert "22 characters" in res.rule("PRE004")["examples"][0]["message"]

    # Alembic finds out the hard way: the upgrade dies on the rows dblint counted.
    with pytest.raises(sa.exc.DBAPIError) as crash:
        p.run("upgrade", "head")
    assert any(s in str(crash.value).lower() for s in ("null", "duplicate", "unique"))
    if dblint_db.dialect == "sqlite":  # non-transactional DDL: the batch's temp table is left behind
        left = _check(dblint_run, p, "MIG008")
        assert _counts(left) == {"MIG008": 1}
        assert "It is empty: dropping it is safe" in left.rule("MIG008")["examples"][0]["message"]
        dblint_db.execute("DROP TABLE _alembic_tmp_product")

    # The unsafe fixes (models' default; keep the first of each duplicate group) clear the way.
    fixed = _check(dblint_run, p, "PRE001,PRE002", "--fix", "--unsafe-fixes")
    assert _counts(fixed) == {"PRE001": 0, "PRE002": 0}
    assert dblint_db.query("SELECT id, name, sku FROM product ORDER BY id") == [
        (1, "a", "X"),
        (3, "unnamed", "Y"),
        (4, "d", None),
    ]
    p.run("upgrade", "head")
    assert dblint_db.query("SELECT version_num FROM alembic_version") == [("a003",)]
    after = _check(dblint_run, p, "MIG001,PRE001,PRE002")
    assert _counts(after) == {"MIG001": 0, "PRE001": 0, "PRE002": 0}


def test_heads_unknown_revision_and_existing_column(alembic_project, dblint_db, dblint_run):
    p = alembic_project
    _base(p)
    write_config(p.root, dblint_db.url_string, migrations={"alembic": {"ini": "alembic.ini"}})
    p.revision("b003", 'op.add_column("tag", sa.Column("color", sa.String(20)))\n')
    p.revision("c003", 'op.create_index("ix_tag_label", "tag", ["label"])\n', head="a002", splice=True)
    dblint_db.execute("ALTER TABLE tag ADD COLUMN color VARCHAR(20)")  # by hand, before the migration

    res = _check(dblint_run, p, "MIG")
    assert _counts(res) == {
        "MIG001": 2,
        "MIG002": "skipped",
        "MIG003": 0,
        "MIG004": 0,
        "MIG005": 2,
        "MIG006": 0,
        "MIG007": 1,
        "MIG008": 0,
        "MIG009": 0,
        "MIG010": 0,
    }
    assert sorted(e["key"]["revision"] for e in res.rule("MIG005")["examples"]) == ["b003", "c003"]
    assert res.rule("MIG007")["examples"][0]["key"] == {"revision": "b003", "column": "tag.color"}
    assert "alembic stamp b003" in res.rule("MIG007")["examples"][0]["message"]
    # DRIFT and PRE need a model schema: skipped, saying so.
    skipped = _check(dblint_run, p, "DRIFT001", codes=(2,))  # a run that checked nothing
    assert "no model schema configured" in skipped.rule("DRIFT001")["reason"]
    assert "no selected rule could run" in skipped.stderr

    # What Alembic says: two heads; `upgrade head` refuses; b003 crashes on the hand-made column.
    heads = p.run("heads")
    assert "b003 (head)" in heads and "c003 (head)" in heads
    from alembic.util import CommandError

    with pytest.raises(CommandError, match="Multiple head revisions"):
        p.run("upgrade", "head")
    with pytest.raises(sa.exc.DBAPIError, match="(?i)duplicate|already exists"):
        p.run("upgrade", "b003")

    # A revision the scripts do not know, and one naming a parent that does not exist.
    dblint_db.execute("UPDATE alembic_version SET version_num = 'ffff0000'")
    c003 = next((p.root / "alembic" / "versions").glob("c003_*.py"))
    c003.write_text(
        c003.read_text().replace(
            "down_revision: Union[str, Sequence[str], None] = 'a002'",
            "down_revision: Union[str, Sequence[str], None] = 'a00x'",
        )
    )
    res = _check(dblint_run, p, "MIG004,MIG006")
    assert _counts(res) == {"MIG004": 1, "MIG006": 1}
    assert res.rule("MIG004")["examples"][0]["key"] == {"revision": "c003", "missing": "a00x"}
    assert res.rule("MIG006")["examples"][0]["key"] == {"revision": "ffff0000"}
    with pytest.warns(UserWarning, match="a00x .* is not present"), pytest.raises(Exception, match="a00x"):
        p.run("heads")  # Alembic warns, then fails with a KeyError from its revision map
    c003.write_text(c003.read_text().replace("'a00x'", "'a002'"))
    with pytest.raises(CommandError, match="ffff0000"):
        p.run("upgrade", "b003")


@pytest.mark.parametrize("dblint_db", ["sqlite", "postgresql"], indirect=True)
def test_overlapping_rows_and_drift(alembic_project, dblint_db, dblint_run):
    p = alembic_project
    _base(p)
    (p.root / "models.py").write_text(
        textwrap.dedent(MODELS).replace(
            'sa.Column("label", sa.String(10)),',
            'sa.Column("label", sa.String(50)),\n    sa.Column("note", sa.Text),',
        )
        + '\nextra = sa.Table("extra", metadata, sa.Column("id", sa.Integer, primary_key=True))\n',
        encoding="utf-8",
    )
    write_config(
        p.root,
        dblint_db.url_string,
        migrations={"alembic": {"script_location": "alembic"}},
        models={"metadata": "models:metadata"},
    )
    dblint_db.execute(
        "INSERT INTO alembic_version (version_num) VALUES ('a001'); "
        "ALTER TABLE product ADD COLUMN legacy INTEGER"
    )
    res = _check(dblint_run, p, "MIG003,DRIFT001,DRIFT002,DRIFT003")
    assert _counts(res) == {"MIG003": 1, "DRIFT001": 1, "DRIFT002": 1, "DRIFT003": 1}
    assert res.rule("MIG003")["examples"][0]["key"] == {"revision": "a001"}
    assert res.rule("DRIFT001")["examples"][0]["key"] == {"table": "extra"}
    assert res.rule("DRIFT002")["examples"][0]["key"] == {"table": "tag", "column": "note"}
    assert res.rule("DRIFT003")["examples"][0]["key"] == {"table": "product", "column": "legacy"}
    # Alembic on the same rows: it cannot make sense of a revision listed with its own ancestor.
    from alembic.util import CommandError

    with pytest.raises(
        CommandError, match="Requested revision a002 overlaps with other requested revisions a001"
    ):
        p.run("upgrade", "head")


def test_reference_database_built_by_the_migrations(alembic_project, dblint_db, dblint_run, tmp_path):
    """CKAN's check (pg_dump the database built by the migrations, diff it with the live one),
    done by reflection: models.reference_url names a database freshly built by `alembic upgrade`."""
    from linter.testing import make_database

    p = alembic_project
    p.revision("a001", CREATE_PRODUCT)
    p.revision("a002", CREATE_TAG + 'op.create_index("ix_tag_label", "tag", ["label"])\n')
    p.run("upgrade", "head")
    dblint_db.execute("DROP INDEX ix_tag_label" + (" ON tag" if dblint_db.dialect == "mysql" else ""))
    dblint_db.execute("ALTER TABLE tag ADD COLUMN legacy INTEGER")
    maker = make_database(dblint_db.dialect, tmp_path / "ref")
    (tmp_path / "ref").mkdir()
    ref = next(maker)
    try:
        p.cfg.set_main_option("sqlalchemy.url", ref.url_string)
        p.run("upgrade", "head")
        write_config(
            p.root,
            dblint_db.url_string,
            migrations={"alembic": {"ini": "alembic.ini"}},
            models={"reference_url": ref.url_string},
        )
        res = _check(dblint_run, p, "MIG,DRIFT,PRE")
        failing = {r["id"]: r["violations"] for r in res.json()["rules"] if r["status"] == "fail"}
        assert failing == {"DRIFT003": 1, "DRIFT005": 1}
        assert res.rule("DRIFT003")["examples"][0]["key"] == {"table": "tag", "column": "legacy"}
        assert res.rule("DRIFT005")["examples"][0]["key"] == {"table": "tag", "index": "label"}
        assert "reference database" in res.rule("DRIFT005")["examples"][0]["message"]
    finally:
        maker.close()
