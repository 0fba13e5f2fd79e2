#!/usr/bin/env python3
"""Time `dblint check --select SPEC` on the full Specify v7.12.0.6 schema (MariaDB) with two
disciplines and three collections, before and after the pack's repair.

    .venv/bin/python bench/specify_check.py [--runs 5] [--url mysql+pymysql://root@127.0.0.1:3306/mysql]

Builds a throwaway database (dropped at the end), runs the check in a subprocess (what an
administrator runs, start-up included) and prints each state's median wall time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "specify"))

from specify_db import SECOND_DISCIPLINE, load_mariadb_schema  # noqa: E402

from linter.testing import TestDatabase  # noqa: E402


def dblint(url: str, *args: str) -> float:
    t = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-m", "linter", "check", url, "--select", "SPEC", "--format", "json", *args],
        capture_output=True,
        text=True,
    )
    if res.returncode not in (0, 1):
        raise SystemExit(res.stderr)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--url", default="mysql+pymysql://root@127.0.0.1:3306/mysql")
    a = ap.parse_args()
    name = f"dblint_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(a.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    url = sa.make_url(a.url).set(database=name)
    try:
        db = TestDatabase("mysql", url, sa.create_engine(url))
        load_mariadb_schema(db)
        db.execute(SECOND_DISCIPLINE)
        target = url.render_as_string(hide_password=False)
        for state in ("fresh (never repaired)", "repaired"):
            times = [dblint(target) for _ in range(a.runs)]
            print(
                f"{state}: median {statistics.median(times):.2f}s, min {min(times):.2f}s over {a.runs} runs"
            )
            if state.startswith("fresh"):
                t = dblint(target, "--fix", "--unsafe-fixes")
                print(f"--fix (whole pipeline, one transaction): {t:.2f}s")
        db.engine.dispose()
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")


if __name__ == "__main__":
    main()
