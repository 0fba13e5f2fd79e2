"""The check planner (linter/check/planner.py) gives the same answers as one query per rule, on every
dialect, and trusts only constraints the database really enforces."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from linter.app import App
from linter.check.executor import check_target
from linter.check.planner import PlanOptions
from linter.errors import MissingObject
from linter.kinds.base import Check
from linter.kinds.not_null import NotNull as NotNullKind
from linter.load.config import Config
from linter.load.rules import Rule, RuleSpec
from linter.targets.target import open_target

TABLES = {
    "parent": {
        "columns": {"ID": "integer primary key", "Name": "varchar(32)", "Code": "varchar(16) not null"},
        "rows": [[1, "a", "X"], [2, "b", "x"], [3, None, "Y"], [4, "d", "Z"]],
    },
    "child": {
        "columns": {
            "ID": "integer primary key",
            "ParentID": "integer",
            "Label": "varchar(32)",
            "Kind": "integer",
            "Note": "varchar(32)",
        },
        "rows": [
            [1, 1, "L1", 0, None],
            [2, 1, "L1", 0, "n"],
            [3, 2, "l1", 0, None],
            [4, 9, "L2", 1, "n"],
            [5, None, None, 1, None],
            [6, 3, None, 1, None],
            [7, 9, "L3", None, "n"],
        ],
    },
}

RULES = [
    {"id": "P001", "kind": "not_null", "params": {"table": "child", "column": "Label"}},
    {"id": "P002", "kind": "not_null", "params": {"table": "child", "column": "Note", "filter": {"Kind": 0}}},
    {"id": "P003", "kind": "not_null", "params": {"table": "parent", "column": "Name"}},
    {"id": "P004", "kind": "not_null", "params": {"table": "parent", "column": "Code"}},
    {
        "id": "P005",
        "kind": "unique",
        "params": {"table": "child", "columns": ["Label"], "scope": ["ParentID"]},
    },
    {
        "id": "P006",
        "kind": "unique",
        "params": {"table": "child", "columns": ["Label"], "case_insensitive": True},
    },
    {
        "id": "P007",
        "kind": "unique",
        "params": {"table": "child", "columns": ["Label"], "nulls_distinct": False},
    },
    {"id": "P008", "kind": "unique", "params": {"table": "parent", "columns": ["ID"]}},
    {
        "id": "P009",
        "kind": "reference",
        "params": {
            "table": "child",
            "columns": ["ParentID"],
            "references": {"table": "parent", "columns": ["ID"]},
        },
    },
    {
        "id": "P010",
        "kind": "row_exists",
        "params": {
            "for_each": {"table": "parent"},
            "require": {"table": "child", "match": {"ParentID": "{ID}"}},
        },
    },
    {"id": "P011", "kind": "sql", "params": {"query": "SELECT 1 AS x FROM parent WHERE 1 = 0", "key": ["x"]}},
    {
        "id": "P012",
        "kind": "unique",
        "params": {"table": "parent", "columns": ["Code"], "case_insensitive": True},
    },
    {
        "id": "P013",
        "kind": "not_null",
        "params": {"table": "child", "column": "Kind", "filter": {"Label": "L3"}},
    },
    {"id": "P014", "kind": "unique", "params": {"table": "child", "columns": ["ID"]}},
    {"id": "P015", "kind": "not_null", "params": {"table": "nosuchtable", "column": "x"}},
]

# Counts that hold on every dialect (P007 differs on MariaDB, whose collation folds case).
EXPECTED = {
    "P001": 2,
    "P002": 2,
    "P003": 1,
    "P004": 0,
    "P005": 1,
    "P006": 1,
    "P008": 0,
    "P009": 2,
    "P010": 1,
    "P011": 0,
    "P012": 1,
    "P013": 1,
    "P014": 0,
}


def _app(tmp_path: Path, rules: list[dict]) -> App:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"rules": rules}))
    return App.load(Config(), extra_rules=[path], builtin_packs=False)


def _run(app: App, url: str, rules, *, options: PlanOptions, max_examples: int = 20):
    target = open_target(
        url, config=app.config, variables=app.variables, handlers=app.handlers, jobs=options.jobs
    )
    try:
        return {r.rule.id: r for r in check_target(target, rules, options, max_examples)[0]}
    finally:
        target.close()


def _check(app: App, url: str, *, plan: bool, jobs: int, max_examples: int = 20):
    # plan=False: no shortcut at all, one count query and one examples query per rule.
    options = PlanOptions(plan, plan, plan, plan, jobs)
    return _run(app, url, app.ruleset.rules, options=options, max_examples=max_examples)


def _summary(results, limit: int):
    out = {}
    for rid, r in results.items():
        keys = sorted(repr(sorted(e.key.items())) for e in r.examples)
        # Which examples come back first is the database's choice; when all of them fit, the
        # sets must be equal.
        out[rid] = (r.status, r.violations, len(r.examples), keys if r.violations <= limit else None)
    return out


@pytest.mark.parametrize("limit", [20, 1, 0])
def test_planned_equals_unplanned(dblint_db, tmp_path, limit):
    dblint_db.create(TABLES)
    app = _app(tmp_path, RULES)
    plain = _check(app, dblint_db.url_string, plan=False, jobs=1, max_examples=limit)
    for jobs in (1, 2):
        planned = _check(app, dblint_db.url_string, plan=True, jobs=jobs, max_examples=limit)
        assert _summary(planned, limit) == _summary(plain, limit)
        # Enough heavy queries to keep both connections busy: no unique rule is split.
        assert planned["P005"].how == "count+examples in one query"
    for rid, n in EXPECTED.items():
        assert planned[rid].violations == n, rid
    assert planned["P015"].status == "skipped"
    assert all(len(r.examples) == min(limit, r.violations) for r in planned.values())
    # Per-row rules of one table share one scan; constraints settle P004/P008/P014 without one. On
    # SQLite the reference to a parent of few rows (P009) is counted in that scan too.
    shared = f"shared scan of child ({4 if dblint_db.dialect == 'sqlite' else 3} rules)"
    assert planned["P001"].how == planned["P002"].how == shared
    assert (planned["P009"].how == shared) == (dblint_db.dialect == "sqlite")
    assert planned["P004"].reason.startswith("guaranteed by constraint NOT NULL on parent.")
    assert planned["P008"].reason.startswith("guaranteed by constraint")
    assert planned["P014"].reason.startswith("guaranteed by constraint")
    assert plain["P004"].reason == ""


def test_unique_guarantee_needs_exact_semantics(dblint_db, tmp_path):
    """A unique index on A guarantees "A unique" (NULLs distinct) and "A unique within B", but not
    "B unique within A" (rows whose scope A is NULL compare equal), nor the case-insensitive or
    NULLs-equal variants."""
    dblint_db.create(
        {
            "u": {
                "columns": {"id": "integer primary key", "a": "varchar(8)", "b": "integer"},
                "rows": [[1, None, 5], [2, None, 5], [3, "q", 1], [4, "r", None], [5, "s", None]],
            }
        }
    )
    dblint_db.execute("CREATE UNIQUE INDEX u_a ON u (a)")
    rules = [
        {"id": "U001", "kind": "unique", "params": {"table": "u", "columns": ["A"]}},
        {"id": "U002", "kind": "unique", "params": {"table": "u", "columns": ["B"], "scope": ["A"]}},
        {"id": "U003", "kind": "unique", "params": {"table": "u", "columns": ["A"], "nulls_distinct": False}},
        {
            "id": "U004",
            "kind": "unique",
            "params": {"table": "u", "columns": ["A"], "case_insensitive": True},
        },
        {"id": "U005", "kind": "unique", "params": {"table": "u", "columns": ["A"], "scope": ["B"]}},
    ]
    res = _check(_app(tmp_path, rules), dblint_db.url_string, plan=True, jobs=1)
    if dblint_db.dialect == "mysql":
        # InnoDB does not check secondary unique indexes while unique_checks=0: not trusted.
        assert res["U001"].reason == res["U005"].reason == ""
        assert res["U001"].violations == res["U005"].violations == 0
    else:
        assert res["U001"].reason == "guaranteed by constraint u_a (a)"
        assert res["U005"].reason.startswith("guaranteed by constraint")  # A unique ⇒ (B, A) unique
    for rid in ("U002", "U003", "U004"):
        assert not res[rid].reason, rid
    assert res["U002"].violations == 1  # two rows with A NULL and B = 5: NULL scopes compare equal
    assert res["U003"].violations == 1  # the two NULLs, which the index lets through


@pytest.mark.parametrize("dblint_db", ["postgresql", "sqlite"], indirect=True)
def test_partial_unique_index_is_not_trusted(dblint_db, tmp_path):
    dblint_db.create(
        {"u": {"columns": {"id": "integer primary key", "a": "integer"}, "rows": [[1, -1], [2, -1], [3, 1]]}}
    )
    dblint_db.execute("CREATE UNIQUE INDEX u_a ON u (a) WHERE a > 0")
    res = _check(
        _app(tmp_path, [{"id": "U001", "kind": "unique", "params": {"table": "u", "columns": ["A"]}}]),
        dblint_db.url_string,
        plan=True,
        jobs=1,
    )
    assert res["U001"].reason == "" and res["U001"].violations == 1


FK_TABLES = {
    "parent": {"columns": {"ID": "integer primary key"}, "rows": [[1], [2]]},
    "child": {
        "columns": {"ID": "integer primary key", "ParentID": "integer references parent(ID)"},
        "rows": [[1, 1], [2, 7]],
    },
}
FK_RULES = [
    {
        "id": "F001",
        "kind": "reference",
        "params": {
            "table": "child",
            "columns": ["ParentID"],
            "references": {"table": "parent", "columns": ["ID"]},
        },
    },
]


def test_foreign_keys_trusted_only_when_enforced(dblint_db, tmp_path):
    """SQLite (PRAGMA foreign_keys off), MariaDB (FOREIGN_KEY_CHECKS=0) and PostgreSQL (NOT VALID)
    can all hold orphans under a declared foreign key: the orphan must be found."""
    if dblint_db.dialect == "postgresql":
        dblint_db.execute(
            'CREATE TABLE parent ("ID" integer primary key); '
            'CREATE TABLE child ("ID" integer primary key, "ParentID" integer);'
            "INSERT INTO parent VALUES (1), (2); INSERT INTO child VALUES (1, 1), (2, 7);"
            'ALTER TABLE child ADD CONSTRAINT child_fk FOREIGN KEY ("ParentID") '
            'REFERENCES parent ("ID") NOT VALID'
        )
    else:
        dblint_db.create(FK_TABLES)
    res = _check(_app(tmp_path, FK_RULES), dblint_db.url_string, plan=True, jobs=1)
    assert res["F001"].reason == ""
    assert res["F001"].violations == 1


@pytest.mark.parametrize("dblint_db", ["postgresql"], indirect=True)
def test_validated_postgres_foreign_key_is_still_checked(dblint_db, tmp_path):
    """Even a validated key with its triggers on is no proof (rows loaded under
    session_replication_role = replica keep it "valid"): the reference rule runs its query."""
    dblint_db.create(
        {"parent": FK_TABLES["parent"], "child": {**FK_TABLES["child"], "rows": [[1, 1], [2, 2]]}},
        enforce_fks=True,
    )
    app = _app(
        tmp_path,
        [
            *FK_RULES,
            {
                "id": "F002",
                "kind": "reference",
                "params": {
                    "table": "child",
                    "columns": ["ParentID"],
                    "references": {"table": "parent", "columns": ["ID"], "filter": {"ID": 1}},
                },
            },
        ],
    )
    res = _check(app, dblint_db.url_string, plan=True, jobs=1)
    assert res["F001"].reason == "" and res["F001"].violations == 0
    assert res["F002"].reason == "" and res["F002"].violations == 1  # the filter narrows the parents


class _DivByZero(NotNullKind):
    """A third-party-style per-row kind whose condition fails when evaluated (1/0 on PostgreSQL)."""

    name = "div_by_zero"

    def check(self, ctx, params):
        check = super().check(ctx, params)
        t, cond = check.scan
        broken = sa.and_(cond, sa.literal_column("1") / sa.literal_column("0") == 1)
        return Check(
            query=check.query.where(broken),
            table=check.table,
            key=check.key,
            message=check.message,
            count_query=sa.select(sa.func.count()).select_from(t).where(broken),
            scan=(t, broken),
        )

    def guaranteed(self, ctx, params):
        return None


@pytest.mark.parametrize("dblint_db", ["postgresql"], indirect=True)
def test_broken_condition_does_not_take_down_its_shared_scan(dblint_db, tmp_path):
    dblint_db.create(TABLES)
    app = _app(tmp_path, RULES[:1])
    good = app.ruleset.rules[0]
    bad = Rule(RuleSpec(id="X001", kind="div_by_zero"), _DivByZero(), good.params, None, Path("x.yaml"), 1)
    res = _run(app, dblint_db.url_string, [good, bad], options=PlanOptions())
    assert res["P001"].status == "fail" and res["P001"].violations == 2
    assert res["X001"].status == "error" and "division by zero" in res["X001"].reason


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_timings_go_to_stderr(dblint_db, dblint_run, tmp_path):
    dblint_db.create(TABLES)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"rules": RULES[:5]}))
    res = dblint_run(
        "check",
        dblint_db.url_string,
        "--rules",
        path,
        "--select",
        "P00",
        "--format",
        "json",
        "--timings",
        cwd=tmp_path,
    )
    assert res.exit_code == 1
    assert {r["id"] for r in res.json()["rules"]} == {"P001", "P002", "P003", "P004", "P005"}
    lines = res.stderr.splitlines()
    assert lines[0].split() == ["rule", "seconds", "status", "how"]
    assert any(line.startswith("P004") and "guaranteed by constraint" in line for line in lines)
    assert "with --jobs" in lines[-1]


@pytest.mark.parametrize("limit", [20, 2])
def test_split_unique_covers_null_and_negative_keys(dblint_db, tmp_path, limit):
    """A unique rule split by its integer key into --jobs parts finds every group exactly once:
    NULL scopes (which group together), negative keys (negative remainders) and positive ones."""
    rows = [
        [i, g, v]
        for i, (g, v) in enumerate(
            [
                (None, "a"),
                (None, "a"),
                (-3, "a"),
                (-3, "a"),
                (-2, "b"),
                (-2, "b"),
                (-1, "c"),
                (0, "c"),
                (0, "c"),
                (1, "d"),
                (1, "d"),
                (2, "d"),
                (5, "e"),
                (5, "e"),
                (5, "e"),
                (7, "f"),
            ],
            start=1,
        )
    ]
    dblint_db.create(
        {"s": {"columns": {"id": "integer primary key", "g": "integer", "v": "varchar(8)"}, "rows": rows}}
    )
    app = _app(
        tmp_path,
        [{"id": "S001", "kind": "unique", "params": {"table": "s", "columns": ["v"], "scope": ["g"]}}],
    )
    plain = _check(app, dblint_db.url_string, plan=False, jobs=1, max_examples=limit)
    for jobs in (2, 3):
        planned = _check(app, dblint_db.url_string, plan=True, jobs=jobs, max_examples=limit)
        assert planned["S001"].how.startswith(f"split in {jobs} parts")
        assert _summary(planned, limit) == _summary(plain, limit)
        assert planned["S001"].violations == 6


def test_labels_differing_only_in_case(dblint_db, tmp_path):
    """row_exists labels the parent key as the table spells it and the rule's "{id}" as the rule
    does: MariaDB rejects such twins in a derived table, so that check keeps its two queries."""
    dblint_db.create(TABLES)
    rule = {
        "id": "C001",
        "kind": "row_exists",
        "params": {
            "for_each": {"table": "parent"},
            "require": {"table": "child", "match": {"ParentID": "{id}"}},
        },
    }
    res = _check(_app(tmp_path, [rule]), dblint_db.url_string, plan=True, jobs=1)
    assert res["C001"].status == "fail" and res["C001"].violations == 1
    assert len(res["C001"].examples) == 1


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_reference_joins_a_shared_scan_only_beside_another_rule_and_to_few_values(dblint_db, tmp_path):
    from linter.kinds import reference

    rows = [[i, f"v{i % 7}"] for i in range(1, reference.SMALL + 2)]  # one row more than SMALL
    dblint_db.create(
        {
            "few": {"columns": {"ID": "integer primary key", "V": "varchar(8)"}, "rows": rows[:5]},
            "many": {"columns": {"ID": "integer primary key", "V": "varchar(8)"}, "rows": rows},
            "t": {
                "columns": {"ID": "integer primary key", "V": "varchar(8)", "W": "varchar(8)"},
                "rows": [[1, "v1", None], [2, "V1", "x"], [3, "v6", None], [4, None, "y"]],
            },
        }
    )

    def ref(rid: str, parent: str, **extra) -> dict:
        params = {"table": "t", "columns": ["V"], "references": {"table": parent, "columns": ["V"]}}
        return {"id": rid, "kind": "reference", "params": {**params, **extra}}

    rules = [
        {"id": "S001", "kind": "not_null", "params": {"table": "t", "column": "W"}},
        ref("S002", "few"),  # v1..v5: V1 (case) and v6 are orphans
        ref("S003", "few", case_insensitive=True),  # only v6
        ref("S004", "many"),  # every v0..v6 exists; V1 does not
    ]
    app = _app(tmp_path, rules)
    planned = _check(app, dblint_db.url_string, plan=True, jobs=1)
    plain = _check(app, dblint_db.url_string, plan=False, jobs=1)
    assert _summary(planned, 20) == _summary(plain, 20)
    assert {rid: planned[rid].violations for rid in ("S001", "S002", "S003", "S004")} == {
        "S001": 2, "S002": 2, "S003": 1, "S004": 1,
    }  # fmt: skip
    assert planned["S002"].how == planned["S003"].how == "shared scan of t (3 rules)"
    assert planned["S004"].how == "count+examples in one query"  # more than SMALL values: alone
    # Without an unconditional rule on the table, a reference is never a scan of its own.
    alone = _check(_app(tmp_path, rules[1:2]), dblint_db.url_string, plan=True, jobs=1)
    assert alone["S002"].how == "count+examples in one query"


def _shape(t: sa.Table) -> list[tuple[str, str, bool, bool]]:
    return [(c.name, repr(c.type), c.primary_key, bool(c.nullable)) for c in t.columns]


def test_prefetch_reflects_as_table_does(dblint_db):
    """The planner reflects every table its rules read in one catalog round (Schema.prefetch): the
    tables are the same as one by one, a view included; a name that does not exist is left for the
    rule that asks to report; on PostgreSQL the round takes fewer catalog queries."""
    from linter import db
    from linter.db.schema import Schema

    dblint_db.create(TABLES)
    q = "`" if dblint_db.dialect == "mysql" else '"'
    dblint_db.execute(f"CREATE VIEW named AS SELECT {q}ID{q}, {q}Name{q} FROM parent WHERE {q}Name{q} > ''")
    engine = db.create_engine(dblint_db.url, timeouts=db.Timeouts())
    queries: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
    try:
        one_by_one = Schema(engine)
        one_by_one.table_names()
        before = len(queries)
        expected = {n: _shape(one_by_one.table(n)) for n in ("parent", "child", "named")}
        singly = len(queries) - before

        batched = Schema(engine)
        batched.table_names()
        before = len(queries)
        batched.prefetch(["PARENT", "child", "named", "no_such_table"])
        together = len(queries) - before
        assert {n: _shape(batched.table(n)) for n in expected} == expected
        assert len(queries) - before == together  # table() found them reflected
        with pytest.raises(MissingObject):
            batched.table("no_such_table")
        if dblint_db.dialect == "postgresql":
            assert together < singly, (together, singly)
    finally:
        engine.dispose()
