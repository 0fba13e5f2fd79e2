"""What checking foreign keys costs now that a declared key is never taken as proof (issue 12).

    .venv/bin/python bench/fk_check.py [--rows 1000000] [--repeat 3] [--engines postgresql,mysql,sqlite]

Builds, per engine, a throwaway database: `parent` (1,000 rows) and `child` (N rows) with a
validated, enforced FOREIGN KEY child(parent_id) -> parent(id) and no orphans: exactly the case in
which dblint used to pass a `reference` rule "guaranteed by constraint" without a query (PostgreSQL
only). Runs `dblint check --select REF001 --format json` --repeat times and prints the median wall
time of the whole process and the rule's own `seconds` (the anti-join), beside a run of a NOT NULL
rule on the primary key (still guaranteed by constraint, so no query: start-up and catalog only).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

DBLINT = str(Path(sys.executable).parent / "dblint")
RULES = """\
rules:
  - {id: REF001, kind: reference,
     params: {table: child, columns: [parent_id], references: {table: parent, columns: [id]}}}
  - {id: NN001, kind: not_null, params: {table: child, column: id}}
"""
SERVERS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "mysql": "mysql+pymysql://root@127.0.0.1:3306/mysql",
}
FILL = {
    "postgresql": "INSERT INTO child SELECT g, 1 + g %% 1000 FROM generate_series(1, {n}) g",
    "mysql": "INSERT INTO child SELECT seq, 1 + seq %% 1000 FROM seq_1_to_{n}",
    "sqlite": "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {n}) "
    "INSERT INTO child SELECT i, 1 + i % 1000 FROM g",
}
PARENTS = {
    "postgresql": "INSERT INTO parent SELECT g FROM generate_series(1, 1000) g",
    "mysql": "INSERT INTO parent SELECT seq FROM seq_1_to_1000",
    "sqlite": "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 1000) "
    "INSERT INTO parent SELECT i FROM g",
}


def build(engine: str, rows: int, tmp: Path, admin: sa.Engine | None, name: str) -> str:
    if admin is None:
        url = f"sqlite:///{tmp / 'fk.sqlite'}"
    else:
        with admin.connect() as c:
            c.exec_driver_sql(f"CREATE DATABASE {name}")
        url = sa.make_url(SERVERS[engine]).set(database=name).render_as_string(hide_password=False)
    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.exec_driver_sql("CREATE TABLE parent (id integer PRIMARY KEY)")
        c.exec_driver_sql(
            "CREATE TABLE child (id integer PRIMARY KEY, parent_id integer NOT NULL, "
            "FOREIGN KEY (parent_id) REFERENCES parent (id))"
        )
        c.exec_driver_sql(PARENTS[engine])
        c.exec_driver_sql(FILL[engine].format(n=rows))
    if engine == "postgresql":
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
    eng.dispose()
    return url


def run(url: str, rules: Path, select: str) -> tuple[float, float]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [DBLINT, "check", url, "--rules", str(rules), "--select", select, "--format", "json", "--jobs", "1"],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    doc = json.loads(proc.stdout)
    rule = next(r for r in doc["rules"] if r["id"] == select)
    assert rule["status"] == "pass", rule
    return wall, float(rule["seconds"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--engines", default="postgresql,mysql,sqlite")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        rules = tmp / "rules.yaml"
        rules.write_text(RULES)
        for engine in args.engines.split(","):
            name = f"dblint_fk_{uuid.uuid4().hex[:8]}"
            admin = (
                sa.create_engine(SERVERS[engine], isolation_level="AUTOCOMMIT") if engine in SERVERS else None
            )
            try:
                url = build(engine, args.rows, tmp, admin, name)
                for select in ("NN001", "REF001"):
                    runs = [run(url, rules, select) for _ in range(args.repeat)]
                    wall = statistics.median(r[0] for r in runs)
                    rule = statistics.median(r[1] for r in runs)
                    print(f"{engine:10} {args.rows:>9} rows  {select}: wall {wall:.2f} s, rule {rule:.3f} s")
            finally:
                if admin is not None:
                    with admin.connect() as c:
                        c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
                    admin.dispose()


if __name__ == "__main__":
    main()
