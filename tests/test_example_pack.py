"""A real third-party pack (examples/dblint-pack-example, installed by `scripts/setup test`) plugs
in through the `dblint` entry point group: its rules are listed with its name and version, and its
own check kind runs."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from tests.test_cli import dblint


@pytest.fixture(scope="module")
def pack_version() -> str:
    try:
        return metadata.version("dblint-pack-example")
    except metadata.PackageNotFoundError:
        pytest.fail("examples/dblint-pack-example is not installed: run scripts/setup test")


def test_rules_lists_the_pack_with_name_and_version(pack_version: str) -> None:
    proc = dblint("rules")
    line = next(line for line in proc.stdout.splitlines() if line.startswith("EXA001"))
    assert f"example {pack_version}" in line and "Locality latitudes lie between -90 and 90" in line
    doc = {r["id"]: r for r in json.loads(dblint("rules", "--format", "json").stdout)}
    assert (doc["EXA002"]["pack"], doc["EXA002"]["pack_version"], doc["EXA002"]["kind"]) == (
        "example",
        pack_version,
        "range",
    )
    disabled = dblint("rules", "--disable-pack", "example")
    assert "EXA001" not in disabled.stdout and "CORE001" in disabled.stdout


def test_check_runs_the_pack_kind(pack_version: str, tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "specify.sqlite"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE locality (LocalityID INTEGER PRIMARY KEY, Latitude1 REAL, Longitude1 REAL)")
        c.executemany(
            "INSERT INTO locality VALUES (?, ?, ?)", [(1, 10.5, 20.0), (2, 123.0, 20.0), (3, -5.0, -181.0)]
        )
    c.close()
    proc = dblint("check", str(db), "--select", "EXA", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    rules: dict[str, Any] = {r["id"]: r for r in json.loads(proc.stdout)["rules"]}
    assert (rules["EXA001"]["violations"], rules["EXA002"]["violations"]) == (1, 1)
    assert rules["EXA001"]["pack"] == "example" and rules["EXA001"]["kind"] == "range"
    assert rules["EXA002"]["examples"][0]["key"] == {"LocalityID": 3}
