"""The dblint_db fixture: an unreachable server skips its tests with one line saying how to start
it, unless CI or DBLINT_REQUIRE_SERVERS=1 is set; then it is a failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TEST = """\
import pytest

@pytest.mark.parametrize("dblint_db", ["postgresql", "mysql"], indirect=True)
def test_needs_server(dblint_db):
    assert dblint_db.scalar("SELECT 1") == 1
"""


def _pytest(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_needs_server.py").write_text(TEST)
    full = {k: v for k, v in os.environ.items() if k not in ("CI", "DBLINT_REQUIRE_SERVERS")}
    full.update(
        DBLINT_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:1/postgres",
        DBLINT_TEST_MYSQL_URL="mysql+pymysql://root@127.0.0.1:1/mysql",
        **env,
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_unreachable_server_skips_with_how_to_start(tmp_path: Path) -> None:
    proc = _pytest(tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert "2 skipped" in proc.stdout
    assert "postgresql server at 127.0.0.1:1 not reachable" in proc.stdout and "pg_ctlcluster" in proc.stdout
    assert "mysql server at 127.0.0.1:1 not reachable" in proc.stdout and "mariadbd" in proc.stdout


@pytest.mark.parametrize("env", [{"CI": "true"}, {"DBLINT_REQUIRE_SERVERS": "1"}])
def test_unreachable_server_fails_when_required(tmp_path: Path, env: dict[str, str]) -> None:
    proc = _pytest(tmp_path, **env)
    assert proc.returncode == 1, proc.stdout
    assert "2 failed" in proc.stdout or "2 errors" in proc.stdout, proc.stdout
    assert "so this is a failure" in proc.stdout
