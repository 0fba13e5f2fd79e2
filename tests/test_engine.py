"""Engine behaviour below the command line: a check run driven as a library."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from linter.check.executor import check_target
from linter.check.planner import PlanOptions
from linter.kinds.base import Check, Context, Kind, Params, QueryCheck
from linter.load.config import Config
from linter.load.rules import Rule, RuleSpec
from linter.model import Status
from linter.targets.target import open_target


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
        return QueryCheck(query=sa.select(t.c.id), table="t", key=["id"], message=lambda r: str(1 // 0))


def _rule(rule_id: str, where: str) -> Rule:
    spec = RuleSpec(id=rule_id, kind="broken")
    return Rule(spec, Broken(), BrokenParams(where=where), None, Path("x.yaml"), 1, "thirdparty")


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_a_buggy_kind_fails_its_rule_not_the_run(dblint_db: Any) -> None:
    dblint_db.create({"t": {"columns": {"id": "integer primary key"}, "rows": [[1]]}})
    target = open_target(dblint_db.url_string, config=Config(), variables={}, handlers={}, jobs=1)
    try:
        results, _ = check_target(
            target, [_rule("BUG001", "check"), _rule("BUG002", "examples")], PlanOptions(), 20
        )
    finally:
        target.close()
    assert [r.status for r in results] == [Status.ERROR, Status.ERROR]
    assert (
        results[0].reason == "internal error in kind 'broken' of pack 'thirdparty': ValueError: oops in check"
    )
    assert results[1].reason.startswith(
        "internal error in kind 'broken' of pack 'thirdparty': ZeroDivisionError"
    )


def test_check_is_a_compatible_query_check() -> None:
    """Packs wrote ``Check(query=…)`` before the check shapes were split: it still builds one."""
    t = sa.table("t", sa.column("id"))
    check = Check(query=sa.select(t.c.id), table="t", key=["id"], message=lambda r: "")
    assert isinstance(check, QueryCheck)


class _Unreadable(QueryCheck):
    def stream(self, conn: Any, page: int = 1000) -> Any:
        raise sa.exc.OperationalError("SELECT …", {}, Exception("Duplicate column name 'x'"))


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_a_rule_that_cannot_be_read_again_errors_instead_of_crashing_the_adoption(dblint_db: Any) -> None:
    """Baselines and suppressions read a failing rule again: if that fails, the rule says so (error,
    exit 2), and --write-baseline writes nothing and says why in one line."""
    from linter.adopt import Adoption
    from linter.adopt import baseline as baseline_file
    from linter.adopt.suppressions import Suppressions
    from linter.errors import DblintError
    from linter.model import Outcome

    rule = _rule("BUG003", "examples")
    t = sa.table("t", sa.column("id"))
    check = _Unreadable(query=sa.select(t.c.id), table="t", key=["id"], message=lambda r: "")
    failing = Outcome(rule, Status.FAIL, 2)
    with dblint_db.engine.connect() as conn:
        adopted, _ = Adoption(baseline={"BUG003": {"x"}}).apply(conn, [failing], {"BUG003": check})
        assert adopted[0].status == Status.ERROR
        assert adopted[0].reason.startswith("cannot apply the baseline or suppressions: ")
        path = Path(dblint_db.url.database).with_name("b.json")
        with pytest.raises(DblintError, match="cannot read BUG003 again: Duplicate column name"):
            baseline_file.write(conn, [failing], {"BUG003": check}, path, Suppressions())
        assert not path.exists() and not path.with_name("b.json.tmp").exists()
