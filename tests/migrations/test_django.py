"""Django projects (startproject, makemigrations, migrate) broken as the seeds describe: dblint's
findings and counts, then what Django's own ``migrate``/``showmigrations`` says about the same state."""

from __future__ import annotations

import pytest
from mig_projects import MODELS_V5, DjangoProject, write_config

CONFIG = {"migrations": {"django": {"apps": {"shop": "shop/migrations"}, "settings": "proj.settings"}}}
RECORD = "INSERT INTO django_migrations (app, name, applied) VALUES ('shop', :name, CURRENT_TIMESTAMP)"

pytestmark = pytest.mark.slow  # runs the real tools


def _check(run, p: DjangoProject, select: str, *extra: str):
    res = run(
        "check", "--config", str(p.root / "dblint.yaml"), "--select", select, "--format", "json", *extra
    )
    assert res.exit_code in (0, 1), res.stderr + res.stdout
    return res


def _counts(res) -> dict[str, object]:
    return {
        r["id"]: (r["violations"] if r["status"] in ("pass", "fail") else r["status"])
        for r in res.json()["rules"]
    }


def _failing(res) -> dict[str, int]:
    return {r["id"]: r["violations"] for r in res.json()["rules"] if r["status"] == "fail"}


def test_history_states(django_project, dblint_db, dblint_run):
    p = django_project
    tag_source = (p.migrations / "0003_tag.py").read_text()
    for f in ("0004_tighten.py", "0005_product_color.py"):
        (p.migrations / f).unlink()
    write_config(p.root, dblint_db.url_string, **CONFIG)
    p.manage("migrate", "-v0")

    # A clean project: nothing to report, and contenttypes' rows (an app not configured) are no finding.
    clean = _check(dblint_run, p, "MIG,DRIFT,PRE")
    assert clean.exit_code == 0, clean.stdout
    assert _counts(clean)["MIG006"] == "skipped"
    assert dblint_db.scalar("SELECT COUNT(*) FROM django_migrations WHERE app = 'contenttypes'") > 0

    # Unapplied migration (MIG001); Django: showmigrations shows it unticked.
    p.manage("migrate", "shop", "0002", "-v0")
    res = _check(dblint_run, p, "MIG", "--ignore", "MIG007")
    assert _failing(res) == {"MIG001": 1}
    assert res.rule("MIG001")["examples"][0]["key"] == {"app": "shop", "migration": "0003_tag"}
    assert "[ ] 0003_tag" in p.manage("showmigrations", "shop").stdout

    # Applied migration whose dependency is not applied (MIG003); Django: InconsistentMigrationHistory.
    dblint_db.execute("DELETE FROM django_migrations WHERE app = 'shop' AND name = '0002_product_price'")
    dblint_db.execute(RECORD, {"name": "0003_tag"})
    res = _check(dblint_run, p, "MIG", "--ignore", "MIG007")
    assert _failing(res) == {"MIG001": 1, "MIG003": 1}
    assert "0002_product_price is not" in res.rule("MIG003")["examples"][0]["message"]
    django = p.manage("migrate", check=False)
    assert django.returncode != 0 and "InconsistentMigrationHistory" in django.stderr

    # Recorded but never run: the applied state has a table the database lacks (DRIFT001).
    dblint_db.execute(RECORD, {"name": "0002_product_price"})
    res = _check(dblint_run, p, "MIG,DRIFT")
    assert _failing(res) == {"DRIFT001": 1}
    assert res.rule("DRIFT001")["examples"][0]["key"] == {"table": "shop_tag"}

    # A migration file deleted while still recorded (MIG002); Django no longer lists it at all.
    (p.migrations / "0003_tag.py").unlink()
    res = _check(dblint_run, p, "MIG,DRIFT")
    assert _failing(res) == {"MIG002": 1}
    assert "0003_tag" not in p.manage("showmigrations", "shop").stdout
    fixed = _check(dblint_run, p, "MIG002", "--fix", "--unsafe-fixes")
    assert fixed.rule("MIG002")["fixed"] == 1 and fixed.rule("MIG002")["violations"] == 0
    assert dblint_db.scalar("SELECT COUNT(*) FROM django_migrations WHERE app = 'shop'") == 2
    assert dblint_db.scalar("SELECT COUNT(*) FROM django_migrations WHERE app = 'contenttypes'") > 0

    # A dependency naming a deleted parent (MIG004); Django: NodeNotFoundError.
    (p.migrations / "0003_tag.py").write_text(
        (p.migrations / "0002_product_price.py").read_text().replace("0001_initial", "0002_gone")
    )
    res = _check(dblint_run, p, "MIG004")
    assert _counts(res) == {"MIG004": 1}
    assert res.rule("MIG004")["examples"][0]["message"].startswith(
        "depends on shop.0002_gone, which does not exist"
    )
    django = p.manage("migrate", check=False)
    assert django.returncode != 0 and "NodeNotFoundError" in django.stderr

    # Two leaf migrations after a merge (MIG005); Django: "Conflicting migrations detected".
    (p.migrations / "0003_tag.py").write_text(tag_source)
    other = p.migrations / "0003_other.py"
    other.write_text(
        (p.migrations / "0002_product_price.py").read_text().replace("0001_initial", "0002_product_price")
    )
    res = _check(dblint_run, p, "MIG005")
    assert _counts(res) == {"MIG005": 2}
    assert sorted(e["key"]["migration"] for e in res.rule("MIG005")["examples"]) == ["0003_other", "0003_tag"]
    assert "makemigrations --merge shop" in res.rule("MIG005")["examples"][0]["message"]
    django = p.manage("migrate", check=False)
    assert django.returncode != 0 and "Conflicting migrations detected" in django.stderr


def test_pending_migrations_blocked_by_rows_and_a_hand_made_column(django_project, dblint_db, dblint_run):
    p = django_project
    write_config(p.root, dblint_db.url_string, **CONFIG)
    p.manage("migrate", "shop", "0003", "-v0")
    dblint_db.execute(
        "INSERT INTO shop_product (id, name, sku) VALUES (1, 'a', 'X'), (2, NULL, 'X'), (3, NULL, 'Y');"
        "INSERT INTO shop_tag (id, product_id, label) VALUES (1, 1, 'fits'), (2, 1, 'much too long for ten')"
    )
    res = _check(dblint_run, p, "MIG,DRIFT,PRE")
    assert _failing(res) == {"MIG001": 2, "PRE001": 2, "PRE002": 1, "PRE004": 1}
    assert [e["key"]["id"] for e in res.rule("PRE001")["examples"]] == ["2", "3"]
    assert res.rule("PRE004")["examples"][0]["key"] == {"id": "2", "column": "label"}

    # Django finds out the hard way (where DDL is transactional, so the failed migration leaves no trace).
    if dblint_db.dialect != "mysql":
        django = p.manage("migrate", "shop", "0004", check=False)
        assert django.returncode != 0 and "IntegrityError" in django.stderr
        assert dblint_db.scalar("SELECT COUNT(*) FROM django_migrations WHERE app = 'shop'") == 3

    fixed = _check(dblint_run, p, "PRE001,PRE002", "--fix", "--unsafe-fixes")
    assert _counts(fixed) == {"PRE001": 0, "PRE002": 0}
    assert dblint_db.query("SELECT id, name, sku FROM shop_product ORDER BY id") == [
        (1, "a", "X"),
        (3, "unnamed", "Y"),
    ]
    dblint_db.execute("UPDATE shop_tag SET label = 'long' WHERE id = 2")
    p.manage("migrate", "shop", "0004", "-v0")  # goes through now that dblint's rows are cleared

    # A column added by hand that the pending 0005 adds again (MIG007: a --fake candidate).
    # (Added after 0004: on SQLite, 0004's table rebuild would silently drop a hand-made column.)
    dblint_db.execute("ALTER TABLE shop_product ADD COLUMN color VARCHAR(20) NULL")
    res = _check(dblint_run, p, "MIG,DRIFT,PRE")
    assert _failing(res) == {"MIG001": 1, "MIG007": 1, "DRIFT003": 1}
    assert res.rule("MIG007")["examples"][0]["key"] == {
        "app": "shop",
        "migration": "0005_product_color",
        "column": "shop_product.color",
    }
    assert "migrate shop 0005_product_color --fake" in res.rule("MIG007")["examples"][0]["message"]
    django = p.manage("migrate", check=False)
    assert django.returncode != 0 and any(
        s in django.stderr.lower() for s in ("duplicate column", "already exists")
    )

    # 0005 is faked, as MIG007 said. All clean now.
    p.manage("migrate", "shop", "0005_product_color", "--fake", "-v0")
    res = _check(dblint_run, p, "MIG,DRIFT,PRE")
    assert res.exit_code == 0, res.stdout


def test_without_settings_mig_rules_run_and_drift_is_skipped(django_project, dblint_db, dblint_run):
    p = django_project
    write_config(p.root, dblint_db.url_string, migrations={"django": {"apps": {"shop": "shop/migrations"}}})
    p.manage("migrate", "shop", "0003", "-v0")
    res = _check(dblint_run, p, "MIG,DRIFT,PRE")
    counts = _counts(res)
    assert counts["MIG001"] == 2 and counts["MIG005"] == 0
    assert counts["MIG007"] == "skipped" and counts["DRIFT001"] == "skipped" and counts["PRE001"] == "skipped"
    assert "migrations.django.settings" in res.rule("MIG007")["reason"]


@pytest.mark.parametrize("dblint_db", ["sqlite", "postgresql"], indirect=True)
def test_pending_foreign_key_blocked_by_orphans(django_project, dblint_db, dblint_run):
    """An integer column becomes a ForeignKey in a pending migration; rows naming deleted products
    make Django's constraint check fail (PRE003 counts them first)."""
    p = django_project
    write_config(p.root, dblint_db.url_string, **CONFIG)
    p.models(MODELS_V5 + "\n\nclass Review(models.Model):\n    product_ref = models.IntegerField()\n")
    p.manage("makemigrations", "shop", "--name", "review", "--noinput")
    p.manage("migrate", "-v0")
    p.models(
        MODELS_V5 + "\n\nclass Review(models.Model):\n"
        "    product_ref = models.ForeignKey(Product, on_delete=models.CASCADE, db_column='product_ref')\n"
    )
    p.manage("makemigrations", "shop", "--name", "review_fk", "--noinput")
    dblint_db.execute(
        "INSERT INTO shop_product (id, name) VALUES (1, 'a');"
        "INSERT INTO shop_review (id, product_ref) VALUES (1, 1), (2, 7), (3, 8)"
    )
    res = _check(dblint_run, p, "MIG,DRIFT,PRE")
    assert _failing(res) == {"MIG001": 1, "PRE003": 2}
    assert [e["key"] for e in res.rule("PRE003")["examples"]] == [
        {"id": "2", "foreign_key": "product_ref"},
        {"id": "3", "foreign_key": "product_ref"},
    ]
    assert "product_ref = 7 has no row in shop_product(id)" in res.rule("PRE003")["examples"][0]["message"]
    django = p.manage("migrate", check=False)
    assert django.returncode != 0 and "IntegrityError" in django.stderr
    dblint_db.execute("DELETE FROM shop_review WHERE id IN (2, 3)")
    p.manage("migrate", "-v0")
    assert _check(dblint_run, p, "MIG,DRIFT,PRE").exit_code == 0
