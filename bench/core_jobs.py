"""Wall time of the core pack with --jobs 1 and --jobs 2 on PostgreSQL with a 1-million-row table.

    .venv/bin/python bench/core_jobs.py [--rows 1000000] [--repeat 5] [--url postgresql+psycopg://postgres@127.0.0.1/postgres]

Creates a throwaway database (dropped at the end): `parent` (1,000 rows) and `child` (N rows,
built with generate_series) whose declared foreign key to `parent` has 10 planted orphans, so
CORE001 must anti-join the whole child table. Prints the median and min wall time of
`dblint check URL --select CORE --jobs J` per J, and the load average before and after.

With ``--kinds``, four more rules on the big table (not_null, unique, reference, row_exists) run
beside the core pack, to show what --jobs buys when there are several heavy rules.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

DBLINT = str(Path(sys.executable).parent / "dblint")
KIND_RULES = """\
rules:
  - {id: BENCH001, kind: not_null, params: {table: child, column: val}}
  - {id: BENCH002, kind: unique, params: {table: child, columns: [val]}}
  - {id: BENCH003, kind: reference,
     params: {table: child, columns: [parent_id], references: {table: parent, columns: [id]}}}
  - {id: BENCH004, kind: row_exists,
     params: {for_each: {table: child}, require: {table: parent, match: {id: "{parent_id}"}}}}
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--jobs", default="1,2")
    ap.add_argument(
        "--kinds", action="store_true", help="also run four rules of other kinds on the big table"
    )
    ap.add_argument(
        "--url",
        default=os.environ.get(
            "DBLINT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = ap.parse_args()

    admin = sa.create_engine(args.url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"dblint_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(args.url).set(database=name)
    try:
        eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
        t0 = time.perf_counter()
        with eng.begin() as c:
            c.exec_driver_sql("CREATE TABLE parent (id integer PRIMARY KEY, name text)")
            c.exec_driver_sql("INSERT INTO parent SELECT g, 'p' || g FROM generate_series(1, 1000) g")
            c.exec_driver_sql(
                "CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id), "
                "val text)"
            )
            c.exec_driver_sql("SET session_replication_role = replica")  # plant orphans past the FK
            c.exec_driver_sql(
                "INSERT INTO child SELECT g, "
                "CASE WHEN mod(g, :n / 10) = 0 THEN -g ELSE 1 + mod(g, 1000) END, md5(g::text) "
                "FROM generate_series(1, :n) g".replace(":n", str(args.rows))
            )
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
        eng.dispose()
        print(f"built {args.rows} child rows in {time.perf_counter() - t0:.1f}s")
        target = url.render_as_string(hide_password=False)
        select = ["--select", "CORE"]
        if args.kinds:
            rules = Path(tempfile.mkdtemp()) / "bench.yaml"
            rules.write_text(KIND_RULES)
            select = ["--rules", str(rules), "--select", "CORE,BENCH"]
        print(f"load average before: {os.getloadavg()}")
        for jobs in args.jobs.split(","):
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                proc = subprocess.run(
                    [DBLINT, "check", target, *select, "--jobs", jobs, "--format", "json"],
                    capture_output=True,
                    text=True,
                )
                times.append(time.perf_counter() - t)
                assert proc.returncode == 1, proc.stderr  # the planted orphans are found
                assert '"violations": 10,' in proc.stdout, proc.stdout
            print(
                f"--jobs {jobs}: median {statistics.median(times):.2f}s  min {min(times):.2f}s  "
                f"(runs: {', '.join(f'{x:.2f}' for x in times)})"
            )
        print(f"load average after: {os.getloadavg()}")
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
