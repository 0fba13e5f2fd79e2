"""An in-memory SQLite database is one connection: reflecting the schema during --fix must not roll
back the fix transaction (it did, when reflection borrowed a pooled connection)."""

from pathlib import Path

from linter.app import App
from linter.load.config import Config

ROOT = Path(__file__).resolve().parent.parent


def test_fix_on_in_memory_sqlite_keeps_its_transaction():
    app = App.load(Config(), extra_rules=[ROOT / "examples/demo/rules.yaml"])
    runner = app.runner("sqlite://", app.select(["DEMO001", "CORE"], []))
    with runner.engine.begin() as c:
        for stmt in (ROOT / "examples/demo/schema.sql").read_text().split(";"):
            if stmt.strip():
                c.exec_driver_sql(stmt)
    before = {r.rule.id: r.violations for r in runner.check()}
    assert before == {"CORE001": 1, "CORE002": 1, "DEMO001": 2}
    after = runner.fix(runner.check(), unsafe=False)
    assert {r.rule.id: (r.violations, r.fixed) for r in after}["DEMO001"] == (0, 2)
    with runner.engine.connect() as c:
        assert c.exec_driver_sql("SELECT COUNT(*) FROM spappresourcedir").scalar() == 3
    assert {r.rule.id: r.violations for r in runner.check()}["DEMO001"] == 0
