"""dbt-core and Soda Core 3 running the benchmark's checks, for bench/run's peer columns.

Both are optional: bench/setup-peers installs them into bench/.venv-peers/{dbt,soda}; when a
peer is missing (or has no data source for an engine: Soda Core 3 has no SQLite one here) its
column says so. Each peer runs the same eight checks as bench/rules.yaml (the naive floor's SQL,
bench/floors.py), each written the way that peer's users write a check (dbt: one singular data
test per check, which dbt counts; Soda: one ``failed rows`` check per check), as a whole process
(`dbt test`, `soda scan`), start-up included, like dblint. Counts are read back from their own
results and compared with the planted ones.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import floors
import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
PEERS = HERE / ".venv-peers"
DBT = {"postgresql": PEERS / "dbt" / "bin" / "dbt", "sqlite": PEERS / "dbt-sqlite" / "bin" / "dbt"}
SODA = PEERS / "soda" / "bin" / "soda"


def available() -> dict[str, str]:
    """{peer: version} of the installed peers (dbt: per engine it has an adapter for)."""
    out = {}
    for name, exe in (("dbt", DBT["postgresql"]), ("dbt-sqlite", DBT["sqlite"]), ("soda", SODA)):
        if exe.exists():
            text = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout
            m = re.search(r"(\d+\.\d+\.\d+)", text)
            out[name] = m.group(1) if m else "?"
    return out


def _failing_rows(sql: str) -> str:
    """The naive floor's ``SELECT COUNT(*) FROM …`` as the failing rows themselves (what dbt and
    Soda count): the same scan, grouping or anti-join."""
    return re.sub(r"^SELECT COUNT\(\*\) FROM", "SELECT * FROM", sql, count=1)


def _dbt_profile(engine: str, url: sa.URL, project: Path) -> str:
    if engine == "postgresql":
        return (
            "bench:\n  target: t\n  outputs:\n    t:\n      type: postgres\n      host: 127.0.0.1\n"
            f"      port: {url.port or 5432}\n      user: {url.username}\n      password: ''\n"
            f"      dbname: {url.database}\n      schema: public\n      threads: {os.cpu_count() or 1}\n"
        )
    return (
        "bench:\n  target: t\n  outputs:\n    t:\n      type: sqlite\n      threads: 1\n"
        f"      database: main\n      schema: main\n      schemas_and_paths:\n        main: {url.database}\n"
        f"      schema_directory: {project}\n"
    )


def dbt(engine: str, url_text: str) -> tuple[float, dict[str, int]]:
    """(wall seconds of `dbt test`, failing rows per rule id)."""
    url = sa.make_url(url_text)
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "dbt_project.yml").write_text(
            "name: bench\nversion: '1.0'\nprofile: bench\ntest-paths: [tests]\n"
        )
        (project / "profiles.yml").write_text(_dbt_profile(engine, url, project))
        (project / "tests").mkdir()
        for rid, sql in floors.naive_queries(engine).items():
            (project / "tests" / f"{rid.lower()}.sql").write_text(_failing_rows(sql) + "\n")
        cmd = [str(DBT[engine]), "test", "--profiles-dir", str(project), "--project-dir", str(project)]
        env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=project)
        wall = time.perf_counter() - t0
        results = project / "target" / "run_results.json"
        if not results.exists():
            raise RuntimeError(f"dbt test failed: {p.stdout[-500:]} {p.stderr[-500:]}")
        counts = {
            r["unique_id"].split(".")[-1].upper(): int(r.get("failures") or 0)
            for r in json.loads(results.read_text())["results"]
        }
    return wall, counts


def soda(engine: str, url_text: str) -> tuple[float, dict[str, int]]:
    """(wall seconds of `soda scan`, failing rows per rule id); PostgreSQL only."""
    url = sa.make_url(url_text)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "configuration.yml").write_text(
            "data_source bench:\n  type: postgres\n  host: 127.0.0.1\n"
            f"  port: {url.port or 5432}\n  username: {url.username}\n  password: ''\n"
            f"  database: {url.database}\n  schema: public\n"
        )
        checks = ["checks for collection:"]
        for rid, sql in floors.naive_queries(engine).items():
            query = _failing_rows(sql).replace("\n", " ")
            checks += [f"  - failed rows:\n      name: {rid}\n      fail query: |\n        {query}"]
        (d / "checks.yml").write_text("\n".join(checks) + "\n")
        out = d / "results.json"
        cmd = [
            str(SODA),
            "scan",
            "-d",
            "bench",
            "-c",
            str(d / "configuration.yml"),
            "-srf",
            str(out),
            str(d / "checks.yml"),
        ]
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=d)
        wall = time.perf_counter() - t0
        if not out.exists():
            raise RuntimeError(f"soda scan failed: {p.stdout[-500:]} {p.stderr[-500:]}")
        counts = {}
        for c in json.loads(out.read_text()).get("checks", []):
            value = (c.get("diagnostics") or {}).get("value")
            counts[c["name"]] = int(value or 0)
    return wall, counts
