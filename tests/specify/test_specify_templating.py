"""The pack's templates write every value of its reference data exactly as in the data, on the
three dialects. Every rule and fix handler of the pack expands its SQL through
``templating.expand``; the values were once %-escaped twice on PostgreSQL and MariaDB (SPEC703's
fix wrote the policy ``/table/%`` as ``/table/%%``), and MariaDB's backslashes were not escaped."""

from __future__ import annotations

from types import SimpleNamespace

from dblint_specify import datasets, templating

VALUES = ["/table/%", "%", "%%", "100%s", "it's", "back\\slash", "dblint:role1", "a\\:b", "ünï ☃"]


def test_dataset_values_are_read_back_as_in_the_data(dblint_db, monkeypatch):
    rows = list(enumerate(VALUES, 1))
    monkeypatch.setitem(datasets.DATASETS, "t_values", lambda version: (["n", "v"], rows))
    ctx = SimpleNamespace(
        variables={}, schema=SimpleNamespace(bind=dblint_db.engine), dialect=dblint_db.dialect
    )
    query = templating.expand("SELECT t.n, t.v FROM {t_values} t WHERE t.v LIKE '%' ORDER BY t.n", ctx)
    with dblint_db.engine.connect() as c:
        got = [r[1] for r in c.execute(query)]
    assert got == VALUES


def test_fix_statements_write_the_values_as_in_the_data(dblint_db, monkeypatch):
    """An INSERT … SELECT from a dataset (as SPEC703's fix and the handlers do) stores each value."""
    dblint_db.create({"t": {"columns": {"n": "integer primary key", "v": "varchar(64)"}, "rows": []}})
    rows = list(enumerate(VALUES, 1))
    monkeypatch.setitem(datasets.DATASETS, "t_values", lambda version: (["n", "v"], rows))
    ctx = SimpleNamespace(
        variables={}, schema=SimpleNamespace(bind=dblint_db.engine), dialect=dblint_db.dialect
    )
    with dblint_db.engine.begin() as c:
        c.execute(templating.expand("INSERT INTO t (n, v) SELECT d.n, d.v FROM {t_values} d", ctx))
    assert [r[0] for r in dblint_db.query("SELECT v FROM t ORDER BY n")] == VALUES
