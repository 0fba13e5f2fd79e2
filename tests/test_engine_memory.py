"""An in-memory SQLite database is one connection: reflecting the schema during --fix must not roll
back the fix transaction (it did, when reflection borrowed a pooled connection)."""

from pathlib import Path

from linter.app import App
from linter.load.config import Config
from linter.run import CheckOptions, CheckRun
from linter.targets.target import open_target

ROOT = Path(__file__).resolve().parent.parent


def test_fix_on_in_memory_sqlite_keeps_its_transaction():
    app = App.load(Config(), extra_rules=[ROOT / "examples/demo/rules.yaml"])
    target = open_target(
        "sqlite://", config=app.config, variables=app.variables, handlers=app.handlers, jobs=1
    )
    try:
        with target.engine.begin() as c:
            for stmt in (ROOT / "examples/demo/schema.sql").read_text().split(";"):
                if stmt.strip():
                    c.exec_driver_sql(stmt)
        select = ("DEMO001,CORE",)
        before, _ = CheckRun(app, CheckOptions(selected=select)).run_open(0, target)
        assert {r.rule.id: r.violations for r in before.results} == {"CORE001": 1, "CORE002": 1, "DEMO001": 2}
        after, _ = CheckRun(app, CheckOptions(selected=select, fix=True, no_undo=True)).run_open(0, target)
        assert {r.rule.id: (r.violations, r.fixed) for r in after.results}["DEMO001"] == (0, 2)
        with target.engine.connect() as c:
            assert c.exec_driver_sql("SELECT COUNT(*) FROM spappresourcedir").scalar() == 3
        again, _ = CheckRun(app, CheckOptions(selected=select)).run_open(0, target)
        assert {r.rule.id: r.violations for r in again.results}["DEMO001"] == 0
    finally:
        target.close()
