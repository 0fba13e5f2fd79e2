"""The Specify pack's reference data and SQL expansion, without a database server."""

from __future__ import annotations

from importlib import metadata

import pytest
import sqlalchemy as sa

import dblint_specify
from dblint_specify import datasets
from dblint_specify.templating import expand
from linter.db import Schema
from linter.errors import MissingObject, RuleError
from linter.kinds.base import Context


def test_reference_data_matches_specify() -> None:
    dm = datasets.datamodel("7.12.0.6")
    assert len(dm["tables"]) == 215 and sum(len(t["items"]) for t in dm["tables"]) == 4515
    rules = datasets.uniqueness_rules()
    assert len(rules) == 49 and sum(r["isglobal"] for r in rules) == 18
    assert (
        sum(r["nfields"] for r in rules if not r["isglobal"]) * 2
        + sum(r["nfields"] for r in rules if r["isglobal"])
        == 159
    )
    roles = datasets.library_roles()
    assert len(roles) == 17 and sum(len(r["policies"]) for r in roles) == 404
    assert {r["name"]: r["need"] for r in roles if r["need"]} == {
        "Collection Admin": "always",
        "Read Only - Legacy": "limited",
        "Full Access - Legacy": "full",
    }


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("catalogNumber", "Catalog Number"),
        ("CollectionObject", "Collection Object"),
        ("timestampCreated", "Timestamp Created"),
        ("text1", "Text1"),
    ],
)
def test_default_captions(name: str, title: str) -> None:
    assert datasets.title(name) == title


def test_expand_binds_variables_and_quotes_data(tmp_path):  # type: ignore[no-untyped-def]
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    ctx = Context(Schema(engine), {"discipline_id": 3, "specify_version": "7.12.0.6"})
    clause = expand("SELECT COUNT(*), STRLIST(r.name) FROM {lib_roles} r WHERE :discipline_id = 3", ctx)
    assert set(clause._bindparams) == {"discipline_id"}  # the data are constants, the variable is bound
    with engine.connect() as c:
        n, names = c.execute(clause).one()
    assert n == 17 and "Full Access - Legacy" in names
    with engine.connect() as c:
        n = c.execute(expand("SELECT COUNT(*) FROM {dm_items_full} f", ctx)).scalar()
    assert n == 4515
    with pytest.raises(RuleError, match="unknown dataset"):
        expand("SELECT * FROM {nope}", ctx)
    with pytest.raises(RuleError, match="no variable defines"):
        expand("SELECT :nope", ctx)
    other = Context(Schema(engine), {"discipline_id": None, "specify_version": "6.8"})
    with pytest.raises(RuleError, match="no datamodel for Specify 6.8"):
        expand("SELECT * FROM {dm_tables}", other)
    with pytest.raises(MissingObject, match="no datamodel for Specify 6.8"):
        datasets.datamodel("6.8")
    # the pack is an ordinary package: the entry point dblint loads is the module imported here
    (ep,) = [ep for ep in metadata.entry_points(group="dblint") if ep.name == "specify"]
    assert ep.load() is dblint_specify


@pytest.mark.parametrize(
    ("container", "item", "has"),
    [
        ("collectionobject", "catalognumber", 1),
        ("collectionobject", "fullname", 0),  # a field of another table
        ("taxon", "fullname", 1),
        ("nosuchtable", "catalognumber", 0),
    ],
)
def test_datamodel_membership_expressions(tmp_path, container, item, has):  # type: ignore[no-untyped-def]
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    ctx = Context(Schema(engine), {"discipline_id": None, "specify_version": "7.12.0.6"})
    sql = (
        "SELECT x.tno, {dm_has_item}, {dm_is_field} FROM (SELECT k.tno, k.cname, :item AS lname"
        " FROM (SELECT {dm_tno} AS tno, c.cname FROM (SELECT :container AS cname) c) k) x"
    )
    ctx.variables.update(container=container, item=item)
    with engine.connect() as c:
        tno, got, is_field = c.execute(expand(sql, ctx)).one()
    assert got == has == is_field and (tno > 0) == (container != "nosuchtable")
