#!/usr/bin/env python3
"""A large Specify institution on MariaDB, and the time of `dblint check --select SPEC` and of its
`--fix` on it.

    .venv/bin/python bench/specify_large.py [--runs 5] [--objects 1000000] [--keep]
    .venv/bin/python bench/specify_large.py --reuse mysql+pymysql://root@127.0.0.1:3306/dblint_big_…

The database is built from the reference DDL (tests/specify/data, Specify 7.12.0.6's own schema
and migration rows): 30 disciplines, 60 collections (two per discipline), two users, --objects
collection objects spread over the collections, each with a current determination. It is then
repaired by dblint's own `--fix --unsafe-fixes` (timed: the repair of a never-repaired
institution, 1,000,000 objects' types included), which writes the full schema configuration of
every discipline (215 containers, ~4,300 items and their English strings each), the pick lists,
uniqueness rules, roles and tectonic trees. Then `check --select SPEC` runs --runs times in a
subprocess (what an administrator runs: start-up, connection and reflection included) and the
median, minimum and the machine's load (`uptime`) are printed, with the slowest rules of one run
(`--timings`). The database is dropped at the end unless --keep (or --reuse) is given.

The checks are timed as bench/run times MariaDB (bench/servers.py): a buffer pool sized for the
database and in-memory temporary tables, set GLOBALLY for the timing and restored after, as a
Specify host holding such an institution would run (--server-defaults: the server as it is; with
the default 128 MiB pool, the rules that read `collectionobject`, 361 MB here, evict the schema
configuration's pages on every run). One untimed run first warms the pool.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import nullcontext
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "specify"))

from servers import describe, tuned  # noqa: E402  (bench/, this script's folder)
from specify_db import load_mariadb_schema  # noqa: E402

from linter.testing import TestDatabase  # noqa: E402

DISCIPLINES = 30  # discipline 3 of the minimal rows, then 101…129
COLLECTIONS = 60  # collection 4 of the minimal rows, then 201…259 (two per discipline)

# Disciplines 101… with their own trees (ids 2…), collections 201… (collection 200+n belongs to the
# (n DIV 2)-th discipline), two users (the per-collection roles depend on their types).
INSTITUTION = """
SET FOREIGN_KEY_CHECKS = 0;
INSERT INTO geographytreedef (GeographyTreeDefID, Name, FullNameDirection, DisciplineID,
  TimestampCreated, version)
  SELECT 1 + seq, CONCAT('Geography ', seq), -1, 100 + seq, NOW(), 0 FROM seq_1_to_{nd};
INSERT INTO geologictimeperiodtreedef (GeologicTimePeriodTreeDefID, Name, FullNameDirection, DisciplineID,
  TimestampCreated, version)
  SELECT 1 + seq, CONCAT('Chronostratigraphy ', seq), -1, 100 + seq, NOW(), 0 FROM seq_1_to_{nd};
INSERT INTO taxontreedef (TaxonTreeDefID, Name, FullNameDirection, DisciplineID, TimestampCreated, version)
  SELECT 1 + seq, CONCAT('Taxon ', seq), 1, 100 + seq, NOW(), 0 FROM seq_1_to_{nd};
INSERT INTO discipline (UserGroupScopeId, Name, Type, IsPaleoContextEmbedded, DivisionID, DataTypeID,
  GeographyTreeDefID, GeologicTimePeriodTreeDefID, TaxonTreeDefID, TimestampCreated, version)
  SELECT 100 + seq, CONCAT('Discipline ', seq), 'fish', 1, 2, 1, 1 + seq, 1 + seq, 1 + seq, NOW(), 0
  FROM seq_1_to_{nd};
INSERT INTO collection (UserGroupScopeId, CollectionName, Code, CatalogFormatNumName,
  IsEmbeddedCollectingEvent, DisciplineID, TimestampCreated, version)
  SELECT 200 + seq, CONCAT('Collection ', seq), CONCAT('C', seq), 'CatalogNumberNumeric', 1,
         CASE WHEN seq DIV 2 = 0 THEN 3 ELSE 100 + seq DIV 2 END, NOW(), 0
  FROM seq_1_to_{nc};
SET FOREIGN_KEY_CHECKS = 1;
INSERT INTO specifyuser (SpecifyUserID, Name, Password, IsLoggedIn, IsLoggedInReport, UserType,
  TimestampCreated, version)
VALUES (1, 'admin', 'x', 0, 0, 'Manager', NOW(), 0), (2, 'curator', 'x', 0, 0, 'FullAccess', NOW(), 0);
"""

# Objects 1…N: object n belongs to collection 200 + n MOD 60 (4 when the remainder is 0).
OBJECTS = """
SET FOREIGN_KEY_CHECKS = 0, UNIQUE_CHECKS = 0;
INSERT INTO collectionobject (CollectionObjectID, CollectionID, CollectionMemberID, CatalogNumber,
  TimestampCreated, version)
  SELECT seq, c, c, LPAD(seq, 9, '0'), NOW(), 0
  FROM (SELECT seq, CASE WHEN seq MOD {nc1} = 0 THEN 4 ELSE 200 + seq MOD {nc1} END AS c
        FROM seq_{lo}_to_{hi}) s;
INSERT INTO determination (CollectionObjectID, CollectionMemberID, IsCurrent, TimestampCreated, version)
  SELECT CollectionObjectID, CollectionMemberID, 1, NOW(), 0 FROM collectionobject
  WHERE CollectionObjectID BETWEEN {lo} AND {hi};
SET FOREIGN_KEY_CHECKS = 1, UNIQUE_CHECKS = 1;
"""


def load() -> str:
    return os.popen("uptime").read().strip().split("load average:")[-1].strip()


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def dblint(
    url: str, *args: str, select: str = "SPEC"
) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall time and the dblint process's own CPU time (the server's work is not in it)."""
    t, c = time.perf_counter(), cpu()
    res = subprocess.run(
        [sys.executable, "-m", "linter", "check", url, "--select", select, *args],
        capture_output=True,
        text=True,
    )
    if res.returncode not in (0, 1):
        raise SystemExit(res.stderr + res.stdout)
    return time.perf_counter() - t, cpu() - c, res


def build(url: sa.URL, objects: int) -> None:
    db = TestDatabase("mysql", url, sa.create_engine(url))
    t = time.perf_counter()
    load_mariadb_schema(db)
    db.execute(INSTITUTION.format(nd=DISCIPLINES - 1, nc=COLLECTIONS - 1))
    step = 200_000
    for lo in range(1, objects + 1, step):
        hi = min(objects, lo + step - 1)
        db.execute(OBJECTS.format(nc1=COLLECTIONS, lo=lo, hi=hi))
    db.engine.dispose()
    print(
        f"built: {DISCIPLINES} disciplines, {COLLECTIONS} collections, {objects:,} objects and "
        f"determinations in {time.perf_counter() - t:.0f}s (load {load()})"
    )


def counts(url: sa.URL) -> str:
    eng = sa.create_engine(url)
    with eng.connect() as c:
        parts = [
            f"{t} {c.exec_driver_sql(f'SELECT COUNT(*) FROM {t}').scalar():,}"
            for t in (
                "discipline",
                "collection",
                "splocalecontainer",
                "splocalecontaineritem",
                "splocaleitemstr",
                "collectionobject",
                "determination",
                "picklist",
            )
        ]
    eng.dispose()
    return ", ".join(parts)


def time_checks(target: str, runs: int) -> None:
    """``check --select SPEC`` and the floor (``--select SPEC901``), each warmed once, then timed
    ``runs`` times; the slowest rules of one more run."""
    for label, select in (("check --select SPEC", "SPEC"), ("floor: check --select SPEC901", "SPEC901")):
        dblint(target, "--format", "json", select=select)  # warm-up, not timed
        walls, cpus = [], []
        for _ in range(runs):
            secs, used, _ = dblint(target, "--format", "json", select=select)
            walls.append(secs)
            cpus.append(used)
        print(
            f"{label} (repaired): wall median {statistics.median(walls):.2f}s, min {min(walls):.2f}s, "
            f"max {max(walls):.2f}s; dblint CPU median {statistics.median(cpus):.2f}s; "
            f"{runs} runs (load {load()})"
        )
    _, _, res = dblint(target, "--timings")
    out = (res.stdout + res.stderr).splitlines()
    rows = [line for line in out if line.startswith("SPEC")]
    total = [line for line in out if "s of queries" in line]
    print("slowest rules of one run (--timings):\n  " + "\n  ".join(rows[:6] + total))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--objects", type=int, default=1_000_000)
    ap.add_argument("--url", default="mysql+pymysql://root@127.0.0.1:3306/mysql")
    ap.add_argument("--reuse", help="a database this script built (kept with --keep): time only")
    ap.add_argument("--keep", action="store_true", help="keep the database (its URL is printed)")
    ap.add_argument("--server-defaults", action="store_true", help="time with the server's own settings")
    a = ap.parse_args()
    admin = sa.create_engine(a.url, isolation_level="AUTOCOMMIT")
    if a.reuse:
        url = sa.make_url(a.reuse)
        name = None
    else:
        name = f"dblint_big_{uuid.uuid4().hex[:10]}"
        with admin.connect() as c:
            c.exec_driver_sql(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
        url = sa.make_url(a.url).set(database=name)
    target = url.render_as_string(hide_password=False)
    try:
        if name:
            build(url, a.objects)
            secs, _, _ = dblint(target, "--fix", "--unsafe-fixes", "--format", "json")
            print(f"--fix --unsafe-fixes of the never-repaired institution: {secs:.1f}s (load {load()})")
            print(f"repaired: {counts(url)}")
        settings = nullcontext() if a.server_defaults else tuned("mysql", a.url, str(url.database), print)
        with settings:
            print(f"server: {describe('mysql', a.url)}")
            time_checks(target, a.runs)
        if a.keep or a.reuse:
            print(f"kept: {url.render_as_string(hide_password=True)}")
    finally:
        if name and not a.keep:
            with admin.connect() as c:
                c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()


if __name__ == "__main__":
    main()
