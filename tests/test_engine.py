"""Engine behaviour below the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from linter import db
from linter.engine import Runner
from linter.kinds.base import Check, Context, Kind, Params
from linter.load.rules import Rule, RuleSpec


class BrokenParams(Params):
    where: str = "check"


class Broken(Kind[BrokenParams, Any]):
    """A kind with a bug, as a third-party pack might ship one."""

    name = "broken"
    Params = BrokenParams

    def check(self, ctx: Context, params: BrokenParams) -> Check:
        if params.where == "check":
            raise ValueError("oops in check")
        t = ctx.table("t")
        return Check(query=sa.select(t.c.id), table="t", key=["id"], message=lambda r: str(1 // 0))


def _rule(rule_id: str, where: str) -> Rule:
    spec = RuleSpec(id=rule_id, kind="broken")
    return Rule(spec, Broken(), BrokenParams(where=where), None, Path("x.yaml"), 1, "thirdparty")


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_a_buggy_kind_fails_its_rule_not_the_run(dblint_db: Any) -> None:
    dblint_db.create({"t": {"columns": {"id": "integer primary key"}, "rows": [[1]]}})
    engine = db.create_engine(dblint_db.url)
    try:
        results = Runner(engine, [_rule("BUG001", "check"), _rule("BUG002", "examples")]).check()
    finally:
        engine.dispose()
    assert [r.status for r in results] == ["error", "error"]
    assert (
        results[0].reason == "internal error in kind 'broken' of pack 'thirdparty': ValueError: oops in check"
    )
    assert results[1].reason.startswith(
        "internal error in kind 'broken' of pack 'thirdparty': ZeroDivisionError"
    )
