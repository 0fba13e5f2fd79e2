"""The two floors dblint is measured against: hand-written SQL for the same answers as
bench/rules.yaml, timed in the same run.

- naive: one query per check, one after the other, uniqueness by GROUP BY … HAVING.
- best: what a database expert would run using the whole machine: one scan per table for all the
  per-row conditions, constraint-guaranteed checks skipped, one grouping per uniqueness rule, one
  anti-join per reference rule, and the independent queries at the same time on separate
  connections (one per core; SQLite too, since the checks only read).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

CO, DET, PL = "collectionobject", "determination", "picklistitem"


def _q(dialect: str) -> Callable[[str], str]:
    quote = "`" if dialect == "mysql" else '"'

    def q(name: str) -> str:
        return f"{quote}{name}{quote}" if dialect != "postgresql" else name.lower()

    return q


def _groups(q: Callable[[str], str], table: str, cols: list[str], not_null: list[str]) -> str:
    cs = ", ".join(q(c) for c in cols)
    where = " AND ".join(f"{q(c)} IS NOT NULL" for c in not_null)
    return (
        f"SELECT COUNT(*) FROM (SELECT {cs} FROM {q(table)}{' WHERE ' + where if where else ''} "
        f"GROUP BY {cs} HAVING COUNT(*) > 1) AS g"
    )


def _anti_joins(q: Callable[[str], str]) -> dict[str, str]:
    return {
        "BENCH005": f"SELECT COUNT(*) FROM {q(CO)} c WHERE c.{q('PrepType')} IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {q(PL)} p WHERE p.{q('Value')} = c.{q('PrepType')} AND p.{q('PickListID')} = 1)",
        "BENCH006": f"SELECT COUNT(*) FROM {q(DET)} d WHERE d.{q('CollectionObjectID')} IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM {q(CO)} c "
        f"WHERE c.{q('CollectionObjectID')} = d.{q('CollectionObjectID')})",
        "BENCH007": f"SELECT COUNT(*) FROM {q(CO)} c WHERE NOT EXISTS (SELECT 1 FROM {q(DET)} d "
        f"WHERE d.{q('CollectionObjectID')} = c.{q('CollectionObjectID')} AND d.{q('IsCurrent')} = 1)",
    }


def naive_queries(dialect: str) -> dict[str, str]:
    q = _q(dialect)
    return {
        **{
            rid: f"SELECT COUNT(*) FROM {q(CO)} WHERE {q(col)} IS NULL"
            for rid, col in (
                ("BENCH001", "CatalogNumber"),
                ("BENCH002", "CatalogerID"),
                ("BENCH003", "CollectionID"),
            )
        },
        "BENCH004": _groups(q, CO, ["CollectionID", "CatalogNumber"], ["CatalogNumber"]),
        **_anti_joins(q),
        "BENCH008": _groups(q, DET, ["DeterminationID"], ["DeterminationID"]),
    }


def best_queries(dialect: str, jobs: int = 2) -> list[tuple[list[str], str]]:
    """(rule ids, query returning one row with one count per rule id), heaviest first; a rule id
    may appear in several queries, whose counts add up."""
    q = _q(dialect)
    # One grouping for the uniqueness rule: splitting it by collection into one part per
    # connection measured slower here, the anti-joins keep the other connection busy anyway.
    unique = [(["BENCH004"], _groups(q, CO, ["CollectionID", "CatalogNumber"], ["CatalogNumber"]))]

    def hits(cond: str) -> str:
        if dialect == "mysql":
            return f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)"
        return f"COUNT(*) FILTER (WHERE {cond})"

    aj = _anti_joins(q)
    return [
        *unique,
        (["BENCH007"], aj["BENCH007"]),
        (["BENCH006"], aj["BENCH006"]),
        (
            ["BENCH001", "BENCH002"],
            f"SELECT {hits(q('CatalogNumber') + ' IS NULL')}, {hits(q('CatalogerID') + ' IS NULL')} "
            f"FROM {q(CO)}",
        ),
        (["BENCH005"], aj["BENCH005"]),
    ]


# BENCH003 (NOT NULL column) and BENCH008 (primary key) are guaranteed by constraints: the expert
# reads the catalog, not the table.
GUARANTEED = {"BENCH003": 0, "BENCH008": 0}


def _read_only(conn: sa.Connection, dialect: str) -> None:
    if dialect == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    elif dialect == "mysql":
        conn.exec_driver_sql("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")


def naive(url: str) -> tuple[float, dict[str, int]]:
    eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
    dialect = "mysql" if eng.dialect.name in ("mysql", "mariadb") else eng.dialect.name
    t0 = time.perf_counter()
    counts = {}
    with eng.connect() as c:
        _read_only(c, dialect)
        for rid, sql in naive_queries(dialect).items():
            counts[rid] = int(c.exec_driver_sql(sql).scalar_one())
    dt = time.perf_counter() - t0
    eng.dispose()
    return dt, counts


def best(url: str, jobs: int = 2) -> tuple[float, dict[str, int]]:
    eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
    dialect = "mysql" if eng.dialect.name in ("mysql", "mariadb") else eng.dialect.name
    work = best_queries(dialect, jobs)
    counts = dict(GUARANTEED)

    def run(item: tuple[list[str], str]) -> dict[str, int]:
        ids, sql = item
        with eng.connect() as c:
            _read_only(c, dialect)
            row = c.exec_driver_sql(sql).one()
        return {rid: int(v or 0) for rid, v in zip(ids, row, strict=True)}

    t0 = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        for part in pool.map(run, work):
            for rid, n in part.items():
                counts[rid] = counts.get(rid, 0) + n
    dt = time.perf_counter() - t0
    eng.dispose()
    return dt, counts
