"""`dblint init` (starter config) and `dblint schema` (JSON Schemas for editors)."""

import json
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa
import yaml
from users_support import DEMO_RULES, ROOT

from linter import Applies, Config, DatabaseInfo
from linter.commands import init_config as starter
from linter.load import plugins
from linter.load.config import load_config
from linter.load.packs import applicability


def test_init_writes_a_config_that_dblint_check_uses(demo_db, dblint_run, tmp_path):
    res = dblint_run("init", demo_db.url_string, cwd=tmp_path)
    assert res.exit_code == 0, res.stderr
    text = (tmp_path / "dblint.yaml").read_text()
    assert f"# Target: a {demo_db.dialect} database with 3 table(s)." in text
    assert "#   core: on (applies to any database)" in text
    cfg = load_config(tmp_path / "dblint.yaml")
    # no django_migrations / alembic_version here, and Specify-shaped tables but no spversion,
    # institution, division or collection: not a Specify database. (examples/dblint-pack-example, which
    # scripts/setup test installs, has no dblint_applies: it applies to any database.)
    assert cfg.disable_packs == ["migrations", "specify"]
    assert (
        "#   specify: off (not a Specify database (no spversion, institution, division, collection table))"
        in text
    )
    check = dblint_run(
        "check", "--rules", str(DEMO_RULES), "--select", "DEMO001", "--format", "json", cwd=tmp_path
    )
    assert check.exit_code == 1 and check.rule("DEMO001")["violations"] == 2  # the URL came from the file
    again = dblint_run("init", demo_db.url_string, cwd=tmp_path)
    assert again.exit_code == 2 and "exists; use --force" in again.stderr
    assert dblint_run("init", demo_db.url_string, "--force", cwd=tmp_path).exit_code == 0


def test_init_never_writes_a_password():
    url = sa.make_url("postgresql+psycopg://app:s3cret@db.example:5432/prod")
    written = starter._url_for_config(url, None, Path.cwd())
    assert (
        "s3cret" not in written
        and written == "postgresql+psycopg://app:${DBLINT_PASSWORD}@db.example:5432/prod"
    )


def test_builtin_packs_apply_by_their_own_dblint_applies():
    pm = plugins.get_plugin_manager(builtin_only=True)

    def answers(*tables: str, config: Config | None = None) -> dict[str, Applies]:
        return applicability(pm, DatabaseInfo.of("sqlite", tables), config or Config())

    specify = ("spversion", "institution", "division", "discipline", "collection")
    assert answers(*specify)["specify"] == Applies(
        True, "a Specify database (has spversion, institution, division, discipline, collection)"
    )
    assert answers("discipline", "collection")["specify"] == Applies(
        False, "not a Specify database (no spversion, institution, division table)"
    )
    assert answers("SpVersion", "Institution", "Division", "Discipline", "Collection")["specify"].applies
    assert answers("thing")["migrations"] == Applies(
        False, "no migrations configured and no django_migrations or alembic_version table"
    )
    assert answers("alembic_version")["migrations"] == Applies(True, "has alembic_version")
    assert answers("django_migrations", "thing")["migrations"] == Applies(True, "has django_migrations")
    bound = Config()
    plugins.bind_config_sections(bound, pm, ())  # as App.load does
    configured = bound.with_sections({"migrations": {"alembic": {"script_location": "alembic"}}})
    assert answers("thing", config=configured)["migrations"] == Applies(
        True, "configured: migrations.alembic"
    )
    assert "core" not in answers("thing")  # no dblint_applies: applies to any database


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_init_finds_alembic_and_django_migrations(demo_db, dblint_run, tmp_path):
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = alembic\n")
    mig = tmp_path / "shop" / "orders" / "migrations"
    mig.mkdir(parents=True)
    (mig / "__init__.py").write_text("")
    (mig / "0001_initial.py").write_text("")
    (tmp_path / ".venv" / "lib" / "x" / "migrations").mkdir(parents=True)  # never looked into
    res = dblint_run("init", demo_db.url_string, "--output", "-", cwd=tmp_path)
    assert res.exit_code == 0, res.stderr
    assert "ini: alembic.ini" in res.stdout
    assert "orders: shop/orders/migrations" in res.stdout
    # no bookkeeping table yet, but the config being written configures them: the pack is on
    assert "#   migrations: on (configured: migrations.django, migrations.alembic)" in res.stdout
    assert "disable_packs: [specify]" in res.stdout
    assert ".venv" not in res.stdout
    assert not (tmp_path / "dblint.yaml").exists()  # --output - prints


def _schema(dblint_run, what):
    res = dblint_run("schema", what)
    assert res.exit_code == 0, res.stderr
    return json.loads(res.stdout)


def test_rule_schema_validates_every_shipped_rule_file_and_rejects_mistakes(dblint_run):
    schema = _schema(dblint_run, "rules")
    v = jsonschema.Draft202012Validator(schema)
    files = [DEMO_RULES, *sorted((ROOT / "rules").rglob("*.yaml"))]
    for f in files:
        errors = list(v.iter_errors(yaml.safe_load(f.read_text())))
        assert not errors, f"{f}: {errors[0].message}"
    ok = {
        "rules": [
            {
                "id": "X001",
                "kind": "not_null",
                "params": {"table": "t", "column": "c"},
                "fix": {"safety": "safe", "set": 0},
            }
        ]
    }
    assert v.is_valid(ok)
    # a discriminated union on kind: not_null's params and fix are checked against not_null's models
    assert not v.is_valid({"rules": [{"id": "X001", "kind": "not_null", "params": {"table": "t"}}]})
    assert not v.is_valid(
        {"rules": [{"id": "X001", "kind": "not_null", "params": {"table": "t", "column": "c", "typo": 1}}]}
    )
    assert not v.is_valid({"rules": [{"id": "X001", "kind": "no_such_kind"}]})
    assert not v.is_valid({"rules": [{"id": "lowercase1", "kind": "primary_key"}]})
    kinds = {d["properties"]["kind"]["const"] for n, d in schema["$defs"].items() if n.startswith("Rule_")}
    assert {"row_exists", "not_null", "unique", "reference", "sql", "foreign_keys", "primary_key"} <= kinds


def test_config_schema_validates_the_example_config(dblint_run):
    v = jsonschema.Draft202012Validator(_schema(dblint_run, "config"))
    example = yaml.safe_load((ROOT / "config.example.yaml").read_text())
    errors = list(v.iter_errors(example))
    assert not errors, errors[0].message
    assert not v.is_valid({"database": {"statement_timeout": "soon"}})
    assert not v.is_valid({"suppress": [{"rule": "CORE001"}]})  # a reason is required
    assert not v.is_valid({"unknown_key": 1})
