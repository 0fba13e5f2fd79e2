"""Build a deterministic, Specify-shaped benchmark database of N collection objects with a known
number of planted violations of each kind, set-based on the server (no rows pass through Python).

    python bench/generate.py --engine sqlite --size 1e5          # prints the planted counts

Tables (Specify's names): ``collection`` (8 rows), ``picklistitem`` (the prep-type pick list and a
second list), ``collectionobject`` (N rows) and ``determination`` (about 1.25 N rows: one current
determination per object, a second, older one for every fourth object, and some orphans).

Every violation is planted by arithmetic on the row id, so the planted counts are exact formulas
(see :func:`planted`) and a rebuilt database is identical. Built databases are cached: SQLite files
under ``bench/out/``, server databases named ``dblint_bench_<N>``; a ``bench_meta`` row records the
generator version and size, and a matching one means the database is reused.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import sqlalchemy as sa

VERSION = 3  # bump when the data or schema change: cached databases are then rebuilt
OUT = Path(__file__).resolve().parent / "out"
SERVERS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432",
    "mysql": "mysql+pymysql://root@127.0.0.1:3306",
}
COLLECTIONS = 8
PREPS = ("alcohol", "skeleton", "skin", "tissue", "dry")
BOGUS = "unknownprep"  # in pick list 2 only, so the rule's pick-list filter matters


def n_res(n: int, m: int, r: int) -> int:
    """How many ids in 1..n have id % m == r."""
    if r == 0:
        return n // m
    return 0 if r > n else (n - r) // m + 1


def planted(n: int) -> dict[str, int]:
    """The exact number of violations each rule of bench/rules.yaml must report."""
    return {
        "BENCH001": n_res(n, 10, 3),  # CatalogNumber NULL
        "BENCH002": n_res(n, 50, 11),  # CatalogerID NULL
        "BENCH003": 0,  # CollectionID is declared NOT NULL
        "BENCH004": n_res(n, 1000, 500),  # duplicate groups (size 2) within a collection
        "BENCH005": n_res(n, 5000, 77),  # prep type not in pick list 1
        "BENCH006": n // 2000,  # determinations of non-existent objects
        "BENCH007": n_res(n, 100, 42),  # objects without a current determination
        "BENCH008": 0,  # determination ids are the primary key
    }


def parse_size(text: str) -> int:
    return int(float(text))


def url_for(engine: str, n: int) -> str:
    if engine == "sqlite":
        return f"sqlite:///{OUT / f'bench_{n}.sqlite'}"
    return f"{SERVERS[engine]}/dblint_bench_{n}"


def _seq(engine: str, n: int) -> tuple[str, str]:
    """(prefix, FROM clause) yielding ids 1..n as column ``i``."""
    if engine == "postgresql":
        return "", f"generate_series(1, {n}) AS s(i)"
    if engine == "mysql":
        # MariaDB's Sequence engine: a virtual table seq_1_to_N.
        return "", f"(SELECT seq AS i FROM seq_1_to_{n}) AS s"
    return f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) ", "s"


def _pad(engine: str, expr: str) -> str:
    if engine == "sqlite":
        return f"printf('%09d', {expr})"
    if engine == "postgresql":
        return f"lpad(({expr})::text, 9, '0')"
    return f"LPAD({expr}, 9, '0')"


def statements(engine: str, n: int) -> list[str]:
    pre, src = _seq(engine, n)

    def m(a: str, b: int) -> str:
        # MOD() on the servers: a literal % would be read as a driver placeholder.
        return f"({a} % {b})" if engine == "sqlite" else f"MOD({a}, {b})"

    date_t = "DATE"
    preps = " ".join(f"WHEN {k} THEN '{p}'" for k, p in enumerate(PREPS))
    catno = (
        f"CASE WHEN {m('i', 10)} = 3 THEN NULL "
        f"WHEN {m('i', 1000)} = 500 THEN {_pad(engine, 'i - 8')} "  # same collection as i - 8: a duplicate
        f"WHEN {m('i', 1000)} = 900 THEN {_pad(engine, 'i - 1')} "  # other collection: not a duplicate
        f"ELSE {_pad(engine, 'i')} END"
    )
    prep = (
        f"CASE WHEN {m('i', 5000)} = 77 THEN '{BOGUS}' WHEN {m('i', 10)} = 9 THEN NULL "
        f"ELSE CASE {m('i', 5)} {preps} END END"
    )
    stmts = [
        "CREATE TABLE collection (CollectionID INTEGER NOT NULL PRIMARY KEY, "
        "CollectionName VARCHAR(64) NOT NULL)",
        "CREATE TABLE picklistitem (PickListItemID INTEGER NOT NULL PRIMARY KEY, "
        "PickListID INTEGER NOT NULL, Value VARCHAR(64) NOT NULL)",
        "CREATE TABLE collectionobject (CollectionObjectID INTEGER NOT NULL PRIMARY KEY, "
        "CollectionID INTEGER NOT NULL, CatalogNumber VARCHAR(32), CatalogerID INTEGER, "
        f"PrepType VARCHAR(64), CatalogedDate {date_t})",
        "CREATE TABLE determination (DeterminationID INTEGER NOT NULL PRIMARY KEY, "
        "CollectionObjectID INTEGER, IsCurrent SMALLINT NOT NULL, TaxonID INTEGER)",
        "INSERT INTO collection VALUES "
        + ", ".join(f"({k}, 'Collection {k}')" for k in range(1, COLLECTIONS + 1)),
        "INSERT INTO picklistitem VALUES "
        + ", ".join(f"({k + 1}, 1, '{p}')" for k, p in enumerate(PREPS))
        + f", ({len(PREPS) + 1}, 2, '{BOGUS}')",
        f"{pre}INSERT INTO collectionobject SELECT i, 1 + {m('i', COLLECTIONS)}, {catno}, "
        f"CASE WHEN {m('i', 50)} = 11 THEN NULL ELSE 1 + {m('i', 97)} END, {prep}, NULL FROM {src}",
        # One current determination per object, except objects with i % 100 = 42.
        f"{pre}INSERT INTO determination SELECT i, i, 1, 1 + {m('i', 1009)} FROM {src} "
        f"WHERE {m('i', 100)} <> 42",
        # An older, non-current determination for every fourth object.
        f"{pre}INSERT INTO determination SELECT {n} + i, i, 0, 1 + {m('i', 1013)} FROM {src} "
        f"WHERE {m('i', 4)} = 0",
        # Orphans: determinations of objects that do not exist.
        f"{pre}INSERT INTO determination SELECT {3 * n} + i, {n} + i, 1, 1 FROM {src} WHERE i <= {n // 2000}",
        "CREATE INDEX DetCollectionObjectIDX ON determination (CollectionObjectID)",
        "CREATE TABLE bench_meta (version INTEGER NOT NULL, size BIGINT NOT NULL)",
        f"INSERT INTO bench_meta VALUES ({VERSION}, {n})",
    ]
    return stmts


def _cached(eng: sa.Engine, n: int) -> bool:
    try:
        with eng.connect() as c:
            row = c.exec_driver_sql("SELECT version, size FROM bench_meta").first()
        return row is not None and tuple(row) == (VERSION, n)
    except Exception:
        return False


def build(engine: str, n: int, *, force: bool = False, log=print) -> str:
    """Build (or reuse) the database; returns its URL."""
    url = url_for(engine, n)
    if engine == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / f"bench_{n}.sqlite"
        eng = sa.create_engine(url)
        if not force and path.exists() and _cached(eng, n):
            eng.dispose()
            return url
        eng.dispose()
        path.unlink(missing_ok=True)
    else:
        admin = sa.create_engine(
            f"{SERVERS[engine]}/{'postgres' if engine == 'postgresql' else 'mysql'}",
            isolation_level="AUTOCOMMIT",
            poolclass=sa.pool.NullPool,
        )
        eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
        if not force and _cached(eng, n):
            return url
        with admin.connect() as c:
            q = '"' if engine == "postgresql" else "`"
            c.exec_driver_sql(f"DROP DATABASE IF EXISTS {q}dblint_bench_{n}{q}")
            c.exec_driver_sql(f"CREATE DATABASE {q}dblint_bench_{n}{q}")
        admin.dispose()
    t0 = time.perf_counter()
    eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with eng.connect() as c:
        if engine == "sqlite":
            c.exec_driver_sql("PRAGMA journal_mode = OFF")
            c.exec_driver_sql("PRAGMA synchronous = OFF")
        if engine == "mysql":
            c.exec_driver_sql("SET SESSION unique_checks = 0")
        for stmt in statements(engine, n):
            c.exec_driver_sql(stmt)
            c.commit()
        if engine == "sqlite":
            c.exec_driver_sql("ANALYZE")
            c.commit()
        elif engine == "mysql":
            c.exec_driver_sql("ANALYZE TABLE collectionobject, determination, picklistitem, collection")
            c.commit()
    if engine == "postgresql":
        # VACUUM sets the visibility map (index-only scans) and ANALYZE the statistics, as a
        # production database's autovacuum would have.
        with sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool).connect() as c:
            c.exec_driver_sql("VACUUM ANALYZE")
    eng.dispose()
    log(f"built {engine} {n:.0e} rows in {time.perf_counter() - t0:.1f}s: {url}")
    return url


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", choices=["sqlite", "postgresql", "mysql"], default="sqlite")
    ap.add_argument("--size", default="1e5", help="collection objects (1e5, 1e6, 1e7)")
    ap.add_argument("--force", action="store_true", help="rebuild even if a cached database matches")
    a = ap.parse_args(argv)
    n = parse_size(a.size)
    url = build(a.engine, n, force=a.force, log=lambda s: print(s, file=sys.stderr))
    print(url)
    for rule, count in planted(n).items():
        print(f"{rule}\t{count}")


if __name__ == "__main__":
    main()
