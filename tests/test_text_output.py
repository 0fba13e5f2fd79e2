"""Issue 16's text output: lines a person reads (the layout, escaping, summaries, grouping, colour)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

DBLINT = str(Path(sys.executable).parent / "dblint")

RULES = """\
rules:
  - id: TXT001
    title: notes have a body
    severity: warning
    kind: not_null
    params: {table: "odd table", column: body}
    fix: {safety: safe, set: "-"}
  - id: TXT002
    title: names are unique
    kind: unique
    params: {table: "odd table", columns: [name]}
  - id: TXT003
    title: rows flagged by hand
    severity: info
    kind: sql
    params: {query: 'SELECT id FROM "odd table" WHERE flagged = 1', table: "odd table", key: [id]}
  - id: TXT004
    title: flagged rows with their name
    severity: info
    kind: sql
    params: {query: 'SELECT id, name FROM "odd table" WHERE flagged = 1', table: "odd table", key: [id]}
  - id: TXT005
    title: needs a missing table
    kind: not_null
    params: {table: missing, column: x}
  - id: TXT006
    title: needs the same missing table
    kind: not_null
    params: {table: missing, column: y}
"""


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    full.update(env or {})
    proc = subprocess.run([DBLINT, *args], cwd=cwd, env=full, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture
def odd(tmp_path: Path) -> Path:
    (tmp_path / "rules.yaml").write_text(RULES)
    with sqlite3.connect(tmp_path / "odd.sqlite") as c:
        c.execute('CREATE TABLE "odd table" (id INTEGER PRIMARY KEY, name TEXT, body TEXT, flagged INTEGER)')
        c.executemany(
            'INSERT INTO "odd table" VALUES (?, ?, ?, ?)',
            [(1, "a\nb \x1b[31mred", None, 1), (2, "a\nb \x1b[31mred", "x", 0), (3, "plain", "y", 0)],
        )
    c.close()
    return tmp_path


def test_one_line_per_finding_names_quoted_and_control_characters_escaped(odd: Path) -> None:
    proc = run("check", "odd.sqlite", "--rules", "rules.yaml", "--select", "TXT", cwd=odd)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert "\x1b" not in proc.stdout  # a value's escape sequence never reaches the terminal
    assert lines[0] == 'odd.sqlite: TXT001 warning "odd table"[id=1] body is NULL'
    assert (
        lines[1] == "odd.sqlite: TXT002 error \"odd table\"[name='a\\nb \\x1b[31mred'] 2 rows share this name"
    )
    # A sql rule without message: the columns the key does not show, or the rule's title.
    assert lines[2] == 'odd.sqlite: TXT003 info "odd table"[id=1] rows flagged by hand'
    assert lines[3] == "odd.sqlite: TXT004 info \"odd table\"[id=1] name='a\\nb \\x1b[31mred'"
    assert lines[4] == (
        "Ran 4 rules: 4 failed with 4 violations. 2 rules skipped (-v says why). "
        "--fix repairs 1 violation of 1 rule."
    )
    assert len(lines) == 5


def test_verbose_groups_skips_by_cause(odd: Path) -> None:
    proc = run("check", "odd.sqlite", "--rules", "rules.yaml", "--select", "TXT", "-v", cwd=odd)
    skips = [line for line in proc.stdout.splitlines() if "skipped " in line and "Ran " not in line]
    assert skips == ["odd.sqlite: skipped TXT005, TXT006: table missing does not exist"], proc.stdout


def test_color_flag_and_environment(odd: Path) -> None:
    args = ("check", "odd.sqlite", "--rules", "rules.yaml", "--select", "TXT001")
    assert "\033[" not in run(*args, cwd=odd).stdout  # a pipe: no colour by default
    assert "\033[1mTXT001\033[0m" in run(*args, "--color", "always", cwd=odd).stdout
    assert "\033[" in run(*args, cwd=odd, env={"FORCE_COLOR": "1"}).stdout
    assert "\033[" not in run(*args, "--color", "never", cwd=odd, env={"FORCE_COLOR": "1"}).stdout
    assert "\033[" not in run(*args, cwd=odd, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    # Machine formats never get colour, whatever is asked.
    assert "\033[" not in run(*args, "--color", "always", "--output-format", "json", cwd=odd).stdout


def test_output_format_alias_show_fixes_and_statistics_total(odd: Path) -> None:
    args = ("check", "odd.sqlite", "--rules", "rules.yaml", "--select", "TXT")
    assert run(*args, "--output-format", "json", cwd=odd).stdout.startswith("{")
    shown = run(*args, "--show-fixes", cwd=odd).stdout
    assert "Fixes ([*] --fix, [!] --fix --unsafe-fixes):\n  [*] TXT001 safe fix, 1 violation\n" in shown
    stats = run(*args, "--statistics", cwd=odd).stdout.splitlines()
    assert stats[-1] == "4 violations in 4 rules (1 fixable: [*])", stats
    fixed = run(*args, "--fix", "--show-fixes", "--no-undo", cwd=odd).stdout
    assert "Fixed:\n  TXT001 1 row: notes have a body\n" in fixed, fixed


def test_combined_summary_over_several_targets(odd: Path) -> None:
    (odd / "copy.sqlite").write_bytes((odd / "odd.sqlite").read_bytes())
    proc = run("check", "odd.sqlite", "copy.sqlite", "--rules", "rules.yaml", "--select", "TXT001", cwd=odd)
    last = proc.stdout.splitlines()[-1]
    assert last == (
        "Total over 2 targets: Ran 2 rules: 2 failed with 2 violations. "
        "--fix repairs 2 violations of 2 rules."
    )


@pytest.mark.parametrize("dblint_db", ["postgresql", "mysql"], indirect=True)
def test_a_server_is_named_once_as_a_heading(demo_db, dblint_run) -> None:
    from users_support import demo_args

    from linter.db import mask_url

    res = dblint_run(*demo_args(demo_db, "--select", "DEMO001"))
    lines = res.stdout.splitlines()
    assert lines[0] == mask_url(demo_db.url)  # the URL once, password masked
    assert lines[1].startswith("DEMO001 error discipline[UserGroupScopeId=5] ")
    assert not any("://" in line for line in lines[1:])


def test_check_help_lists_every_format(tmp_path: Path) -> None:
    text = " ".join(run("check", "--help", cwd=tmp_path).stdout.split())
    for name in ("text", "json", "sarif", "junit", "github", "html"):
        assert f" {name}," in text or f" {name} " in text, name
    assert "--output-format" in text and "--color" in text and "--show-fixes" in text


def test_a_sql_finding_without_message_says_the_title_in_every_format(odd: Path) -> None:
    import json

    args = ("check", "odd.sqlite", "--rules", "rules.yaml", "--select", "TXT003")
    doc = json.loads(run(*args, "--format", "json", cwd=odd).stdout)
    assert doc["rules"][0]["examples"][0]["message"] == "rows flagged by hand"
    assert "rows flagged by hand" in run(*args, "--format", "github", cwd=odd).stdout.split("::")[-1]


def test_names_and_values_stay_on_one_line() -> None:
    from linter.report.text import prefix
    from linter.report.text_names import escape, name, value, where

    assert escape("a\nb\tc\r\x1b[0m\u202e\u2028") == "a\\nb\\tc\\r\\x1b[0m\\u202e\\u2028"
    assert name("plain_name") == "plain_name" and name("odd table") == '"odd table"'
    assert name('q"uote') == '"q\\"uote"'
    assert [value(v) for v in (None, True, 3, 2.5, "K-1", "", "NULL", "it's")] == [
        "NULL", "true", "3", "2.5", "K-1", "''", "'NULL'", "'it\\'s'",
    ]  # fmt: skip
    assert where("t", {}) == "t" and where("t", {"table": "t"}) == "t"
    assert where("t", {"a": 1, "b c": "x y"}) == "t[a=1, \"b c\"='x y']"
    assert prefix("data dir/x.sqlite") == ('"data dir/x.sqlite": ', None)
    assert prefix("postgresql://u:***@h/db") == ("", "postgresql://u:***@h/db")
