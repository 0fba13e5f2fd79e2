"""A read replica is a first-class target: `check` works on a real PostgreSQL hot standby and
`--fix` says in one line that it cannot write there (exit 2, nothing written).

The test makes its own primary (initdb) and streaming standby (pg_basebackup -R), each in a
temporary data directory on a port of its own, run as the `postgres` system user; it skips with a
line saying why when that is impossible here (no PostgreSQL binaries, not root, no such user)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.slow


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(*cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *cmd], capture_output=True, text=True, timeout=120, check=check
    )


def _psql(port: int, sql: str) -> str:
    out = subprocess.run(
        [
            "psql",
            "-X",
            "-q",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
        ]
        + ["-d", "postgres", "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return out.stdout.strip()


@pytest.fixture(scope="module")
def standby() -> Iterator[tuple[int, int]]:
    tools = {n: _bin(n) for n in ("initdb", "pg_ctl", "pg_basebackup")}
    missing = [n for n, p in tools.items() if p is None]
    if missing:
        pytest.skip(f"no PostgreSQL server binaries here ({', '.join(missing)})")
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("making a standby needs root (to run the servers as the postgres user)")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no postgres system user to run the servers as")
    base = Path(tempfile.mkdtemp(prefix="dblint-standby-"))
    shutil.chown(base, "postgres")
    primary, replica = base / "primary", base / "standby"
    p1, p2 = _port(), _port()
    started: list[Path] = []
    try:
        _as_postgres(str(tools["initdb"]), "-D", str(primary), "-A", "trust", "-U", "postgres")
        with (primary / "postgresql.conf").open("a") as fh:
            fh.write(f"\nport = {p1}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{base}'\n")
            fh.write("fsync = off\nshared_buffers = 16MB\n")
        _as_postgres(str(tools["pg_ctl"]), "-D", str(primary), "-l", str(base / "primary.log"), "-w", "start")
        started.append(primary)
        _psql(
            p1,
            "CREATE TABLE parent (id integer PRIMARY KEY);"
            "CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id));"
            "INSERT INTO parent VALUES (1); SET session_replication_role = replica;"
            "INSERT INTO child VALUES (1, 1), (2, 77), (3, 78);",
        )
        _as_postgres(
            str(tools["pg_basebackup"]), "-h", "127.0.0.1", "-p", str(p1), "-U", "postgres",
            "-D", str(replica), "-R", "-X", "stream",
        )  # fmt: skip
        with (replica / "postgresql.auto.conf").open("a") as fh:
            fh.write(f"\nport = {p2}\n")
        _as_postgres(str(tools["pg_ctl"]), "-D", str(replica), "-l", str(base / "standby.log"), "-w", "start")
        started.append(replica)
        for _ in range(100):
            if (
                _psql(p2, "SELECT pg_is_in_recovery()") == "t"
                and _psql(p2, "SELECT count(*) FROM child") == "3"
            ):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the standby never caught up")
        yield p1, p2
    finally:
        for d in reversed(started):
            _as_postgres(str(tools["pg_ctl"]), "-D", str(d), "-m", "immediate", "stop", check=False)
        shutil.rmtree(base, ignore_errors=True)


def _rules(tmp_path: Path) -> Path:
    rule = {
        "id": "STBY001",
        "title": "t",
        "kind": "reference",
        "params": {
            "table": "child",
            "columns": ["parent_id"],
            "references": {"table": "parent", "columns": ["id"]},
        },
        "fix": {"safety": "safe", "action": "delete"},
    }
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"rules": [rule]}))
    return path


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_check_on_a_hot_standby(standby: tuple[int, int], tmp_path: Path, dblint_run: Any, jobs: str) -> None:
    _, port = standby
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    res = dblint_run(
        "check",
        url,
        "--rules",
        str(_rules(tmp_path)),
        "--select",
        "CORE001,STBY",
        "--format",
        "json",
        "--jobs",
        jobs,
    )
    assert res.exit_code == 1, res.stdout + res.stderr
    by_id = {r["id"]: r for r in yaml.safe_load(res.stdout)["rules"]}
    assert by_id["CORE001"]["violations"] == by_id["STBY001"]["violations"] == 2


def test_fix_on_a_hot_standby_says_so(standby: tuple[int, int], tmp_path: Path, dblint_run: Any) -> None:
    primary, port = standby
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    undo = tmp_path / "undo.sql"
    res = dblint_run(
        "check", url, "--rules", str(_rules(tmp_path)), "--select", "STBY", "--fix", "--undo-file", str(undo)
    )
    assert res.exit_code == 2, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "hot standby" in lines[0] and "nothing was written" in lines[0], res.stderr
    assert not undo.exists()
    assert _psql(primary, "SELECT count(*) FROM child") == "3"
