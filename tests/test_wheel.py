"""The built wheel is self-contained: installed into a new virtual environment (no site packages),
`dblint rules` lists every built-in rule. The built-in packs are top-level packages of the wheel
(dblint_core, dblint_specify, dblint_migrations, from rules/) with their YAML and data files, found
through dblint's own entry points."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_builtin_packs(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = dist.glob("dblint-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    data = sorted(
        str(p.relative_to(ROOT / "rules"))
        for p in (ROOT / "rules").rglob("*")
        if p.suffix in (".yaml", ".json") and p.is_file()
    )
    assert data and [d for d in data if d not in shipped] == []  # every pack's YAML and data files
    assert not any(n.startswith(("rules/", "linter/rules/")) for n in shipped)
    (info,) = [n for n in shipped if n.endswith(".dist-info/entry_points.txt")]
    entry_points = zipfile.ZipFile(wheel).read(info).decode()
    for pack in ("core = dblint_core", "specify = dblint_specify", "migrations = dblint_migrations"):
        assert pack in entry_points, entry_points

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    py = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True, timeout=600
    )
    assert install.returncode == 0, install.stdout + install.stderr

    # Run from an empty folder, so nothing of the source checkout can be picked up.
    work = tmp_path / "elsewhere"
    work.mkdir()
    proc = subprocess.run(
        [str(env_dir / "bin" / "dblint"), "rules"], cwd=work, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    core = [line for line in proc.stdout.splitlines() if line.startswith("CORE001")]
    assert core and " core " in core[0], proc.stdout
    listed = subprocess.run(
        [str(env_dir / "bin" / "dblint"), "rules", "--format", "json"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    from_wheel = {(r["id"], r["pack"]) for r in json.loads(listed.stdout)}
    assert from_wheel == _builtin_rules()  # every built-in rule, in its pack
    assert {pack for _, pack in from_wheel} == {"core", "specify", "migrations"}
    where = subprocess.run(
        [str(py), "-c", "import dblint_core, dblint_specify, dblint_migrations as m; print(m.__file__)"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert str(env_dir) in where.stdout, where.stdout  # the packs come from the installed wheel


def _builtin_rules() -> set[tuple[str, str]]:
    """(rule id, pack) of every rule the built-in packs of this checkout ship."""
    from linter.load import plugins, rules

    pm = plugins.get_plugin_manager(builtin_only=True)
    return {(r.id, r.pack) for r in rules.load(plugins.rule_sources(pm), plugins.collect_kinds(pm)).rules}
