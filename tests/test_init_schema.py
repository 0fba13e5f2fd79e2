"""`dblint init` (starter config) and `dblint schema` (JSON Schemas for editors)."""

import json
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa
import yaml
from users_support import DEMO_RULES, ROOT

from linter.commands import init_config as starter
from linter.load.config import load_config


def test_init_writes_a_config_that_dblint_check_uses(demo_db, dblint_run, tmp_path):
    res = dblint_run("init", demo_db.url_string, cwd=tmp_path)
    assert res.exit_code == 0, res.stderr
    text = (tmp_path / "dblint.yaml").read_text()
    assert f"# Target: a {demo_db.dialect} database with 3 table(s)." in text
    assert "#   core: on (applies to any database)" in text
    cfg = load_config(tmp_path / "dblint.yaml")
    # no django_migrations / alembic_version here; and (scripts/setup test installs it) no locality
    # table for examples/dblint-pack-example, which init rightly turns off as well
    assert cfg.disable_packs in (["migrations"], ["example", "migrations"])
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


def test_packs_apply_by_marker_tables_or_by_their_rules_tables():
    assert starter._pack_applies("specify", [], {"discipline", "collection"}) == (True, "has discipline")
    assert starter._pack_applies("migrations", [], {"thing"})[0] is False
    assert starter._pack_applies("migrations", [], {"alembic_version"}) == (True, "has alembic_version")

    class R:
        def __init__(self, rid, tables):
            self.id, self.params = rid, tables
            self.kind = type("K", (), {"tables": staticmethod(lambda p: p)})()

    assert starter._pack_applies("x", [R("X1", ["a", "b"]), R("X2", ["c"])], {"a", "b"}) == (
        True,
        "1 of 2 rules have their tables",
    )
    assert starter._pack_applies("x", [R("X1", ["zzz"])], {"a"}) == (False, "none of its rules' tables exist")
    assert starter._pack_applies("x", [R("X1", [])], set())[0] is True  # a rule for any database


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
