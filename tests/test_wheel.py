"""The built wheel is self-contained: installed into a new virtual environment (no site packages),
`dblint rules` lists the built-in packs, which ship inside it (hatch force-include)."""

from __future__ import annotations

import subprocess
import sys
import venv
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
    where = subprocess.run(
        [str(py), "-c", "import linter.load.plugins as p; print(p.builtin_rules_dir())"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert str(env_dir) in where.stdout, where.stdout  # the packs come from the installed wheel
