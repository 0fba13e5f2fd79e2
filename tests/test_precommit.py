"""End to end: the real pre-commit, on a temporary git repository whose .pre-commit-config.yaml
uses this repository (its working tree, committed into a scratch copy) as the hook repository.
One good and one bad fixture dump: `dblint` fails on the bad one only; `dblint-fix` repairs it
(pre-commit reports the rewritten file); then `dblint` passes."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_fixtures import make_dump
from users_support import DEMO_RULES, ROOT

pytestmark = pytest.mark.slow

GIT_ENV = {
    "GIT_AUTHOR_NAME": "dblint tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "dblint tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def hook_repo(tmp_path: Path) -> tuple[Path, str]:
    """This repository's current files (tracked and new, not ignored) as a one-commit repository."""
    files = git(ROOT, "ls-files", "-co", "--exclude-standard", "-z").split("\0")
    dest = tmp_path / "dblint-hooks"
    for f in filter(None, files):
        src = ROOT / f
        if src.is_file():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / f)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "snapshot")
    return dest, git(dest, "rev-parse", "HEAD").strip()


def pre_commit(project: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_pre_commit_hooks_fail_on_the_bad_fixture_and_pass_after_dblint_fix(tmp_path):
    repo, rev = hook_repo(tmp_path)
    project = tmp_path / "project"
    (project / "fixtures").mkdir(parents=True)
    shutil.copy(DEMO_RULES, project / "rules.yaml")
    (project / "dblint.yaml").write_text("rules: [rules.yaml]\nselect: [DEMO001, CORE]\n")
    good = make_dump(
        project / "fixtures" / "good.sql", "INSERT INTO spappresourcedir VALUES (2, 5, NULL, NULL, 0, 'x');"
    )
    bad = make_dump(project / "fixtures" / "bad.sql")
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n"
        "      - id: dblint\n      - id: dblint-fix\n        stages: [manual]\n"
    )
    git(project, "init", "-q")
    git(project, "add", "-A")
    home = tmp_path / "pre-commit-home"
    good_text = good.read_text()

    first = pre_commit(project, home, "run", "dblint", "--all-files")
    out = first.stdout + first.stderr
    assert first.returncode == 1, out
    assert "fixtures/bad.sql DEMO001 error discipline UserGroupScopeId=5" in out
    assert "good.sql" not in out

    fixed = pre_commit(project, home, "run", "dblint-fix", "--all-files", "--hook-stage", "manual")
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr  # pre-commit fails a hook that changed files
    assert "files were modified by this hook" in fixed.stdout
    diff = git(project, "diff", "--", "fixtures/bad.sql")
    assert "+INSERT INTO \"spappresourcedir\" VALUES(2,5,NULL,NULL,0,'Herpetology');" in diff
    assert good.read_text() == good_text  # nothing to fix: untouched
    git(project, "add", "-A")

    second = pre_commit(project, home, "run", "dblint", "--all-files")
    assert second.returncode == 0, second.stdout + second.stderr
    again = pre_commit(project, home, "run", "dblint-fix", "--all-files", "--hook-stage", "manual")
    assert again.returncode == 0, again.stdout + again.stderr  # a second fix changes nothing
    assert bad.read_text() == (project / "fixtures" / "bad.sql").read_text()
