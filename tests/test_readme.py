"""Issue 16: the README's commands run verbatim after ``scripts/demo`` and print what it shows.

Every ```console block of README.md is a transcript: ``$ COMMAND`` lines run (from the root of a
copy of this repository whose ``.venv`` is this one, after the demo database is built as
``scripts/demo`` builds it), each followed by its expected output (stdout and stderr as a terminal
shows them); ``(exit code N)`` checks the exit code and ``...`` stands for lines not shown. The
```sh blocks are templates (placeholder URLs, installs) and are not run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # builds the examples and runs Alembic

FENCE = re.compile(r"^```console\n(.*?)^```", re.M | re.S)


def transcripts() -> list[tuple[int, str, list[str]]]:
    """(README line, command, expected output lines) for every ``$`` line, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    out: list[tuple[int, str, list[str]]] = []
    for block in FENCE.finditer(text):
        line = text.count("\n", 0, block.start(1)) + 1
        for n, row in enumerate(block.group(1).splitlines()):
            if row.startswith("$ "):
                out.append((line + n, row[2:], []))
            elif out:
                out[-1][2].append(row)
    return out


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line for line, ``...`` matching any run of lines (possibly none)."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and actual[0] == expected[0] and matches(expected[1:], actual[1:])


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's files (tracked and new), its .venv linked in, the demo database built."""
    dest = tmp_path_factory.mktemp("readme") / "dblint"
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split("\0")
    for f in filter(None, files):
        if (ROOT / f).is_file():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, dest / f)
    (dest / ".venv").symlink_to(Path(sys.executable).parents[1])
    # What scripts/demo does after its setup step (the setup would reinstall dblint from here).
    subprocess.run([".venv/bin/python", "examples/demo/build.py", "demo.sqlite"], cwd=dest, check=True)
    return dest


def test_the_readme_has_transcripts() -> None:
    commands = [c for _, c, _ in transcripts()]
    assert any(c.startswith(".venv/bin/dblint check demo.sqlite") for c in commands), commands
    assert len(commands) >= 8


def test_every_readme_command_prints_what_the_readme_shows(clone: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBLINT_", "FORCE_COLOR"))}
    env["NO_COLOR"] = "1"
    failures = []
    for line, command, expected in transcripts():
        if command.startswith(".venv/bin/pip install"):
            # Would reinstall the shared .venv from this copy: check the extra is real instead.
            extra = re.search(r"\.\[(\w+)\]", command)
            assert extra and f"\n{extra.group(1)} = [" in (ROOT / "pyproject.toml").read_text(), command
            continue
        code = None
        if expected and (m := re.fullmatch(r"\(exit code (\d+)[^)]*\)", expected[-1])):
            code, expected = int(m.group(1)), expected[:-1]
        proc = subprocess.run(
            ["bash", "-c", command], cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, timeout=300,
        )  # fmt: skip
        actual = proc.stdout.splitlines()
        if code is not None and proc.returncode != code:
            failures.append(f"README.md:{line}: `{command}` exited {proc.returncode}, not {code}")
        if not matches(expected, actual):
            failures.append(f"README.md:{line}: `{command}` printed:\n" + "\n".join(actual[-40:]))
    assert not failures, "\n\n".join(failures)
