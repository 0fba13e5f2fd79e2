"""How long the `dblint` pre-commit hook takes on ten small fixtures.

    .venv/bin/python bench/precommit_fixtures.py [--runs 5]

Builds a scratch git repository with ten fixtures (five SQLite files, five .sql dumps, each a few
tables of the demo schema with some planted problems), a dblint.yaml with the demo rules, and a
.pre-commit-config.yaml whose hook is this repository's `dblint` hook run as `repo: local`,
`language: system` with this virtualenv's dblint (so no environment install is timed). Prints
the median wall time of `pre-commit run dblint --all-files` (one dblint process for all ten
files, as pre-commit batches them) and of one `dblint check --quiet FILE` per fixture.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = (ROOT / "examples" / "demo" / "schema.sql").read_text()
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def build(project: Path) -> list[Path]:
    fixtures = project / "fixtures"
    fixtures.mkdir(parents=True)
    out = []
    for i in range(10):
        conn = sqlite3.connect(":memory:")
        conn.executescript(SCHEMA)
        conn.execute("INSERT INTO discipline VALUES (?, ?)", (100 + i, f"D{i}"))
        conn.commit()  # a backup of a connection with an open write transaction never ends
        if i % 2:
            path = fixtures / f"f{i}.sqlite"
            disk = sqlite3.connect(path)
            conn.backup(disk)
            disk.close()
        else:
            path = fixtures / f"f{i}.sql"
            path.write_text("\n".join(conn.iterdump()) + "\n")
        conn.close()
        out.append(path)
    shutil.copy(ROOT / "examples" / "demo" / "rules.yaml", project / "rules.yaml")
    (project / "dblint.yaml").write_text("rules: [rules.yaml]\n")
    manifest = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in manifest if h["id"] == "dblint")
    dblint = Path(sys.executable).with_name("dblint")
    hook = {**hook, "language": "system", "entry": hook["entry"].replace("dblint", str(dblint), 1)}
    (project / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": [hook]}]})
    )
    subprocess.run(["git", "init", "-q"], cwd=project, check=True, env=ENV)
    subprocess.run(["git", "add", "-A"], cwd=project, check=True, env=ENV)
    return out


def timed(cmd: list[str], cwd: Path) -> tuple[float, int, float]:
    """(wall seconds, exit code, CPU seconds of the child processes: less sensitive to other load)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True).returncode
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, rc, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        files = build(project)
        home = {"PRE_COMMIT_HOME": str(Path(tmp) / "home")}
        ENV.update(home)
        hook = [sys.executable, "-m", "pre_commit", "run", "dblint", "--all-files"]
        timed(hook, project)  # warm-up (pre-commit's first run sets up its store)
        runs = [timed(hook, project) for _ in range(args.runs)]
        dblint = str(Path(sys.executable).with_name("dblint"))
        batch = [timed([dblint, "check", "--quiet", *map(str, files)], project) for _ in range(args.runs)]
        start = [timed([dblint, "--version"], project) for _ in range(args.runs)]
        per_file = [
            timed([dblint, "check", "--quiet", str(f)], project) for f in files for _ in range(args.runs)
        ]
        med = lambda xs, i: statistics.median(x[i] for x in xs)  # noqa: E731
        print(f"load average before: {os.getloadavg()[0]:.1f} (2 cores shared: figures are upper bounds)")
        print(
            f"pre-commit run dblint --all-files, 10 fixtures: median {med(runs, 0):.2f}s wall, "
            f"{med(runs, 2):.2f}s CPU (exit {sorted({r[1] for r in runs})}: "
            "the fixtures have planted problems)"
        )
        print(
            f"dblint check --quiet on the 10 files, one process: median {med(batch, 0):.2f}s wall, "
            f"{med(batch, 2):.2f}s CPU"
        )
        print(
            f"dblint --version (interpreter + imports): median {med(start, 0):.2f}s wall, "
            f"{med(start, 2):.2f}s CPU"
        )
        print(
            f"dblint check --quiet FILE, one process per fixture: median {med(per_file, 0):.2f}s wall, "
            f"{med(per_file, 2):.2f}s CPU, max {max(p[0] for p in per_file):.2f}s wall"
        )


if __name__ == "__main__":
    main()
