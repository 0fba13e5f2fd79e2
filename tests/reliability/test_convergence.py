"""Convergence, as a property: for random small databases with random violations and a random rule
of each built-in fixable kind, ``--fix --unsafe-fixes`` leaves nothing fixable, a second ``--fix``
changes zero rows (and writes no undo script), and the first fix's undo script restores the
database exactly. SQLite carries the bulk; PostgreSQL and MariaDB get a smaller run."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linter.cli import cli
from linter.testing import TestDatabase

KINDS = ["row_exists", "not_null", "unique", "reference", "sql"]
SQLITE_EXAMPLES = int(os.environ.get("DBLINT_CONVERGENCE_EXAMPLES", "25"))  # per kind
SERVER_EXAMPLES = int(os.environ.get("DBLINT_CONVERGENCE_SERVER_EXAMPLES", "4"))

names = st.one_of(st.none(), st.sampled_from(["a", "A", "b", "B", "c", "ä", "it's"]))


@st.composite
def database(draw: Any) -> dict[str, Any]:
    n_parents = draw(st.integers(0, 6))
    parents = [[i + 1, draw(names), draw(st.one_of(st.none(), st.integers(0, 2)))] for i in range(n_parents)]
    children = [
        [
            i + 1,
            draw(st.one_of(st.none(), st.integers(0, n_parents + 3))),
            draw(names),
            draw(st.sampled_from([None, "x", "y"])),
            draw(st.one_of(st.none(), st.integers(0, 2))),
        ]
        for i in range(draw(st.integers(3, 14)))
    ]
    return {
        "parent": {
            "columns": {"id": "integer primary key", "name": "varchar(20)", "grp": "integer"},
            "rows": parents,
        },
        "child": {
            "columns": {
                "id": "integer primary key autoincrement",
                "parent_id": "integer",
                "code": "varchar(20)",
                "note": "varchar(20)",
                "grp": "integer",
            },
            "rows": children,
        },
    }


@st.composite
def rule(draw: Any, kind: str) -> dict[str, Any]:
    grp_filter = draw(st.one_of(st.none(), st.integers(0, 2)))
    if kind == "row_exists":
        match: dict[str, Any] = {"parent_id": "{id}"}
        insert: dict[str, Any] = {
            "parent_id": "{id}",
            "note": "auto",
            "code": draw(st.sampled_from([None, "{name}"])),
        }
        if draw(st.booleans()):
            match["grp"] = "{grp}"
            insert["grp"] = "{grp}"
        params: dict[str, Any] = {
            "for_each": {"table": "parent"},
            "require": {"table": "child", "match": match},
            "null_safe": True,
        }  # "{grp}" may be NULL: a NULL-safe match is what the fix can satisfy
        if grp_filter is not None:
            params["for_each"]["filter"] = {"grp": grp_filter}
        fix: dict[str, Any] = {"insert": insert}
    elif kind == "not_null":
        params = {"table": "child", "column": draw(st.sampled_from(["note", "code", "grp"]))}
        if grp_filter is not None and params["column"] != "grp":
            params["filter"] = {"grp": grp_filter}
        fix = {"set": 7 if params["column"] == "grp" else draw(st.sampled_from(["filled", "it's; --"]))}
    elif kind == "unique":
        params = {
            "table": "child",
            "columns": draw(st.sampled_from([["code"], ["code", "note"], ["parent_id"]])),
            "case_insensitive": draw(st.booleans()),
            "nulls_distinct": draw(st.booleans()),
        }
        if draw(st.booleans()):
            params["scope"] = ["grp"]
        if grp_filter is not None:
            params["filter"] = {"note": draw(st.sampled_from(["x", "y", None]))}
        fix = {
            "keep": draw(st.sampled_from(["first", "last"])),
            "order_by": draw(st.sampled_from([[], ["note"], ["grp", "id"]])),
        }
    elif kind == "reference":
        params = {
            "table": "child",
            "columns": ["parent_id"],
            "references": {"table": "parent", "columns": ["id"]},
        }
        if grp_filter is not None and draw(st.booleans()):
            params["filter"] = {"grp": grp_filter}
        fix = {"action": draw(st.sampled_from(["set_null", "delete", "insert_parent"]))}
        if fix["action"] == "insert_parent":
            fix["values"] = {"name": "made", "grp": 0}
    else:
        params = {"query": "SELECT id FROM child WHERE note = 'y'", "key": ["id"], "table": "child"}
        fix = {"statements": ["UPDATE child SET note = 'z' WHERE note = 'y'"]}
    fix["safety"] = draw(st.sampled_from(["safe", "unsafe"]))
    return {"id": "CONV001", "kind": kind, "params": params, "fix": fix}


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _reset(db: TestDatabase, tables: dict[str, Any]) -> None:
    md = sa.MetaData()
    md.reflect(db.engine)
    md.drop_all(db.engine)
    db.create(tables)


def converges(db: TestDatabase, tables: dict[str, Any], the_rule: dict[str, Any], work: Path) -> None:
    _reset(db, tables)
    before = {k: v for k, v in db.checksum().items()}
    rules = work / "rules.yaml"
    rules.write_text(yaml.safe_dump({"rules": [the_rule]}, allow_unicode=True), encoding="utf-8")
    base = [
        "check",
        db.url_string,
        "--rules",
        str(rules),
        "--select",
        "CONV",
        "--format",
        "json",
        "--max-examples",
        "0",
    ]
    first = _invoke(*base, "--fix", "--unsafe-fixes", "--undo-file", str(work / "undo.sql"))
    doc = json.loads(first.stdout)
    assert "fix_error" not in doc, doc["fix_error"]
    r = doc["rules"][0]
    assert r["status"] == "pass" and first.exit_code == 0, r
    again = _invoke(*base, "--fix", "--unsafe-fixes", "--undo-file", str(work / "again.sql"))
    assert again.exit_code == 0
    assert json.loads(again.stdout)["summary"]["fixed"] == 0
    assert not (work / "again.sql").exists()
    if r["fixed"]:
        db.apply_script(work / "undo.sql")
        assert db.checksum() == before, "the undo script did not restore the database"
        (work / "undo.sql").unlink()
    else:
        assert not (work / "undo.sql").exists()


@pytest.mark.parametrize("kind", KINDS)
def test_fix_converges_sqlite(kind: str) -> None:
    @given(tables=database(), the_rule=rule(kind))
    @settings(max_examples=SQLITE_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def prop(tables: dict[str, Any], the_rule: dict[str, Any]) -> None:
        with tempfile.TemporaryDirectory() as d:
            url = sa.make_url(f"sqlite:///{d}/db.sqlite")
            db = TestDatabase("sqlite", url, sa.create_engine(url, poolclass=sa.pool.NullPool))
            try:
                converges(db, tables, the_rule, Path(d))
            finally:
                db.engine.dispose()

    prop()


@pytest.mark.parametrize("dblint_db", ["postgresql", "mysql"], indirect=True)
@pytest.mark.parametrize("kind", KINDS)
def test_fix_converges_servers(kind: str, dblint_db: TestDatabase, tmp_path: Path) -> None:
    @given(tables=database(), the_rule=rule(kind))
    @settings(max_examples=SERVER_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def prop(tables: dict[str, Any], the_rule: dict[str, Any]) -> None:
        with tempfile.TemporaryDirectory(dir=tmp_path) as d:
            converges(dblint_db, tables, the_rule, Path(d))

    prop()
