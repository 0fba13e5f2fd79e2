"""Rules without their configuration are skipped with the reason; broken sources are one-line errors."""

from __future__ import annotations

import pytest
from mig_projects import write_config

from dblint_migrations.readers import django_state

pytestmark = pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)


def _json(run, cfg, select):
    res = run("check", "--config", str(cfg), "--select", select, "--format", "json")
    return res


def test_nothing_configured_skips_every_rule_with_the_reason(dblint_db, dblint_run, tmp_path):
    # A Django database checked without a migrations: section: the pack applies (it has
    # django_migrations), and each rule says what it is missing.
    dblint_db.execute(
        "CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app VARCHAR(255), name VARCHAR(255))"
    )
    cfg = write_config(tmp_path, dblint_db.url_string)
    res = _json(dblint_run, cfg, "MIG,DRIFT,PRE")
    assert res.exit_code == 2 and "no selected rule could run" in res.stderr  # nothing checked
    reasons = {r["id"]: (r["status"], r["reason"]) for r in res.json()["rules"]}
    assert reasons["MIG001"] == (
        "skipped",
        "no migrations configured (migrations.django or migrations.alembic in dblint.yaml)",
    )
    assert reasons["DRIFT001"][0] == reasons["PRE001"][0] == "skipped"
    assert "no model schema configured" in reasons["DRIFT001"][1]
    # Neither a section nor a bookkeeping table: the pack does not apply here, and says why.
    dblint_db.execute("DROP TABLE django_migrations")
    dblint_db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    res = _json(dblint_run, cfg, "MIG,DRIFT,PRE")
    why = "no migrations configured and no django_migrations or alembic_version table"
    assert res.exit_code == 2 and f"pack migrations does not apply ({why})" in res.stderr
    assert not [r["id"] for r in res.json()["rules"]]


def test_django_not_installed_keeps_mig_rules_and_skips_the_rest(
    dblint_db, dblint_run, tmp_path, monkeypatch
):
    folder = tmp_path / "shop" / "migrations"
    folder.mkdir(parents=True)
    (folder / "0001_initial.py").write_text(
        "from django.db import migrations\n\n"
        "class Migration(migrations.Migration):\n    initial = True\n    dependencies = []\n"
    )
    monkeypatch.setattr(django_state, "django_installed", lambda: False)
    cfg = write_config(
        tmp_path,
        dblint_db.url_string,
        migrations={"django": {"apps": {"shop": "shop/migrations"}, "settings": "proj.settings"}},
    )
    res = _json(dblint_run, cfg, "MIG,DRIFT,PRE")
    rules = {r["id"]: r for r in res.json()["rules"]}
    assert (
        rules["MIG001"]["status"] == "fail" and rules["MIG001"]["violations"] == 1
    )  # no django_migrations table yet
    for rid in ("MIG007", "DRIFT001", "DRIFT004", "PRE001", "PRE004"):
        assert rules[rid]["status"] == "skipped"
        assert (
            rules[rid]["reason"] == "Django is not installed (pip install Django; "
            "from a dblint clone: .venv/bin/pip install -e '.[django]')"
        )


def test_unimportable_models_is_one_line_error(dblint_db, dblint_run, tmp_path):
    (tmp_path / "mymodels.py").write_text("raise RuntimeError('boom')\n")
    cfg = write_config(tmp_path, dblint_db.url_string, models={"metadata": "mymodels:metadata"})
    res = _json(dblint_run, cfg, "DRIFT001")
    assert res.exit_code == 2
    assert (
        res.rule("DRIFT001")["reason"]
        == "models.metadata 'mymodels:metadata' cannot be imported: RuntimeError: boom"
    )
