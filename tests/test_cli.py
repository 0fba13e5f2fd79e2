"""The command-line contract of issue 2, end to end through the installed console script."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from linter import __version__

DBLINT = str(Path(sys.executable).parent / "dblint")
DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo"

RULES = """\
vars: {collection: null}
rules:
  - id: TST001
    title: objects have a catalog number
    severity: warning
    kind: not_null
    params: {table: obj, column: catalog_number, filter: {collection_id: {var: collection}}}
    fix: {safety: safe, set: UNKNOWN}
  - id: TST002
    title: object names are unique
    kind: unique
    params: {table: obj, columns: [name]}
  - id: TST010
    title: objects belong to a collection
    kind: reference
    params: {table: obj, columns: [collection_id], references: {table: collection, columns: [id]}}
"""


def dblint(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DBLINT_")}
    full_env.update(env or {})
    full_env["NO_COLOR"] = "1"
    proc = subprocess.run([DBLINT, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with a rule file and an SQLite database: 12 NULL catalog numbers, 1 duplicate name."""
    (tmp_path / "rules.yaml").write_text(RULES)
    db = tmp_path / "data.sqlite"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE collection (id INTEGER PRIMARY KEY)")
        c.execute("INSERT INTO collection VALUES (4), (6)")
        c.execute(
            "CREATE TABLE obj (id INTEGER PRIMARY KEY, collection_id INTEGER, name TEXT, catalog_number TEXT)"
        )
        rows = [(i, 4 if i <= 10 else 6, f"n{i}", None if i <= 12 else f"c{i}") for i in range(1, 16)]
        rows.append((16, 6, "n1", "c16"))
        c.executemany("INSERT INTO obj VALUES (?, ?, ?, ?)", rows)
    c.close()
    return tmp_path


def test_version() -> None:
    proc = dblint("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"dblint {__version__}"


def test_rules_text_and_json(project: Path) -> None:
    text = dblint("rules", "--rules", "rules.yaml", cwd=project)
    assert text.returncode == 0, text.stderr
    core = next(line for line in text.stdout.splitlines() if line.startswith("CORE001"))
    assert f"core {__version__}" in core and "foreign keys" in core
    tst = next(line for line in text.stdout.splitlines() if line.startswith("TST001"))
    codes = [line.split()[0] for line in text.stdout.splitlines()[:-1]]
    assert codes == sorted(codes) and "TST001" in codes  # by code, not in load order
    assert "warning" in tst and "local" in tst
    doc = json.loads(dblint("rules", "--rules", "rules.yaml", "--format", "json", cwd=project).stdout)
    by_id = {r["id"]: r for r in doc}
    assert by_id["CORE001"]["pack"] == "core" and by_id["CORE001"]["kind"] == "foreign_keys"
    assert by_id["TST001"]["fix"] == "safe" and by_id["TST001"]["source"].endswith("rules.yaml:3")


def test_explain(project: Path) -> None:
    proc = dblint("explain", "CORE001")
    assert proc.returncode == 0
    assert proc.stdout.startswith("CORE001: Declared foreign keys have no orphan rows")
    assert "kind: foreign_keys" in proc.stdout and "SQLite only with PRAGMA foreign_keys=ON" in proc.stdout
    tst = dblint("explain", "tst001", "--rules", "rules.yaml", cwd=project)
    assert "fix (safe)" in tst.stdout and "set: UNKNOWN" in tst.stdout
    missing = dblint("explain", "NOPE001")
    assert (
        missing.returncode == 2 and missing.stderr.strip() == "dblint: no rule 'NOPE001' (see `dblint rules`)"
    )


def test_check_text_exit_1_and_summary(project: Path) -> None:
    proc = dblint(
        "check", "data.sqlite", "--rules", "rules.yaml", "--select", "TST", "--max-examples", "2", cwd=project
    )
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert "data.sqlite: TST001 warning obj[id=1] catalog_number is NULL" in lines
    assert "data.sqlite: TST002 error obj[name=n1] 2 rows share this name" in lines
    assert any("TST001: 10 more" in line for line in lines)
    assert lines[-1].startswith("Ran 3 rules: 2 failed with 13 violations, 1 passed.")
    assert lines[-1].endswith(" --fix repairs 12 violations of 1 rule.")
    assert "\033[" not in proc.stdout  # no colour when not on a terminal


def test_check_json_shape_and_max_examples(project: Path) -> None:
    proc = dblint(
        "check",
        "data.sqlite",
        "--rules",
        "rules.yaml",
        "--format",
        "json",
        "--max-examples",
        "3",
        cwd=project,
    )
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)  # exactly one JSON document
    assert {"dblint", "target", "rules", "summary"} <= set(doc)
    assert doc["dblint"] == __version__ and doc["target"] == "data.sqlite"
    rule_keys = {"id", "title", "severity", "status", "violations", "fixable", "fixed", "reason", "examples"}
    for r in doc["rules"]:
        assert rule_keys <= set(r), r
        assert r["status"] in ("pass", "fail", "skipped", "error")
        assert (
            isinstance(r["violations"], int)
            and isinstance(r["fixable"], bool)
            and isinstance(r["fixed"], int)
        )
        for e in r["examples"]:
            assert set(e) == {"table", "key", "message"}
    t1 = next(r for r in doc["rules"] if r["id"] == "TST001")
    assert t1["violations"] == 12 and len(t1["examples"]) == 3
    assert t1["examples"][0] == {"table": "obj", "key": {"id": 1}, "message": "catalog_number is NULL"}
    assert (t1["status"], t1["fixable"], t1["severity"]) == ("fail", True, "warning")
    t2 = next(r for r in doc["rules"] if r["id"] == "TST002")
    assert t2["violations"] == 1 and t2["examples"][0]["key"] == {"name": "n1"}
    assert {"rules", "failed", "violations", "fixed", "errors"} <= set(doc["summary"])
    assert (
        doc["summary"]["violations"] == 13 and doc["summary"]["failed"] == 2 and doc["summary"]["errors"] == 0
    )
    zero = json.loads(
        dblint(
            "check",
            "data.sqlite",
            "--rules",
            "rules.yaml",
            "--format",
            "json",
            "--max-examples",
            "0",
            cwd=project,
        ).stdout
    )
    assert all(r["examples"] == [] for r in zero["rules"]) and zero["summary"]["violations"] == 13


def test_select_ignore_prefixes(project: Path) -> None:
    def ids(*args: str) -> list[str]:
        proc = dblint("check", "data.sqlite", "--rules", "rules.yaml", "--format", "json", *args, cwd=project)
        return [r["id"] for r in json.loads(proc.stdout)["rules"]]

    assert ids("--select", "TST") == ["TST001", "TST002", "TST010"]
    assert ids("--select", "TST00") == ["TST001", "TST002"]
    assert ids("--select", "TST,CORE001", "--ignore", "TST00") == ["CORE001", "TST010"]
    assert ids("--select", "TST", "--ignore", "TST0", "--select", "TST002") == ["TST002"]
    assert ids("--select", "CORE,TST", "--ignore", "TST,CORE002") == ["CORE001"]
    bad = dblint("check", "data.sqlite", "--select", "XYZ", cwd=project)
    assert bad.returncode == 2 and "XYZ matches no loaded rule" in bad.stderr


def test_exit_0_fix_and_output(project: Path) -> None:
    out = project / "report.json"
    proc = dblint(
        "check",
        "data.sqlite",
        "--rules",
        "rules.yaml",
        "--select",
        "TST001",
        "--fix",
        "--format",
        "json",
        "--output",
        str(out),
        cwd=project,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    doc = json.loads(out.read_text())
    assert (
        doc["summary"]["fixed"] == 12
        and doc["rules"][0]["status"] == "pass"
        and doc["rules"][0]["fixed"] == 12
    )
    again = dblint(
        "check", "data.sqlite", "--rules", "rules.yaml", "--select", "TST001", "--fix", cwd=project
    )
    assert again.returncode == 0 and again.stdout.startswith("Fixed 0 rows. Ran 1 rule: 1 passed.")


def test_diff_writes_nothing(project: Path) -> None:
    before = (project / "data.sqlite").read_bytes()
    proc = dblint(
        "check", "data.sqlite", "--rules", "rules.yaml", "--select", "TST001", "--diff", cwd=project
    )
    assert proc.returncode == 1
    assert "--- TST001 (safe fix): objects have a catalog number" in proc.stdout
    assert "-- set catalog_number = 'UNKNOWN': 12 rows" in proc.stdout
    assert "UPDATE obj SET catalog_number='UNKNOWN' WHERE obj.catalog_number IS NULL;" in proc.stdout
    assert (project / "data.sqlite").read_bytes() == before


def test_var(project: Path) -> None:
    proc = dblint(
        "check",
        "data.sqlite",
        "--rules",
        "rules.yaml",
        "--select",
        "TST001",
        "--format",
        "json",
        "--var",
        "collection=6",
        cwd=project,
    )
    assert json.loads(proc.stdout)["rules"][0]["violations"] == 2
    bad = dblint("check", "data.sqlite", "--rules", "rules.yaml", "--var", "colection=6", cwd=project)
    assert bad.returncode == 2
    assert bad.stderr.startswith(
        "dblint: unknown variable 'colection' (variables declared by the loaded rules: "
    )
    assert "collection" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_target_as_url_and_from_config_and_env(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    def violations(proc: subprocess.CompletedProcess[str]) -> int:
        assert proc.returncode == 1, proc.stderr
        return int(json.loads(proc.stdout)["summary"]["violations"])

    url = f"sqlite:///{project / 'data.sqlite'}"
    common = ["--rules", str(project / "rules.yaml"), "--select", "TST001", "--format", "json"]
    assert violations(dblint("check", url, *common, cwd=project)) == 12
    # DBLINT_DATABASE_URL when neither TARGET nor database.url is given
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    assert violations(dblint("check", *common, cwd=elsewhere, env={"DBLINT_DATABASE_URL": url})) == 12
    # dblint.yaml in the working directory: database.url relative to the config file; select; vars
    (project / "dblint.yaml").write_text(
        "database: {url: data.sqlite}\nrules: [rules.yaml]\nselect: [TST001]\nvars: {collection: 6}\n"
    )
    assert violations(dblint("check", "--format", "json", cwd=project)) == 2
    # the config's database.url wins over the environment
    assert (
        violations(
            dblint("check", "--format", "json", cwd=project, env={"DBLINT_DATABASE_URL": "sqlite:///nope"})
        )
        == 2
    )
    # --config from anywhere
    assert (
        violations(
            dblint("check", "--config", str(project / "dblint.yaml"), "--format", "json", cwd=elsewhere)
        )
        == 2
    )
    (project / "dblint.yaml").unlink()
    # [tool.dblint] in pyproject.toml
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n'
        '[tool.dblint]\nrules = ["rules.yaml"]\nselect = ["TST"]\nignore = ["TST01"]\n'
        '[tool.dblint.database]\nurl = "data.sqlite"\n'
    )
    proc = dblint("check", "--format", "json", cwd=project)
    assert [r["id"] for r in json.loads(proc.stdout)["rules"]] == ["TST001", "TST002"]
    nowhere = dblint("check", cwd=elsewhere)
    assert nowhere.returncode == 2 and "no database: give a TARGET" in nowhere.stderr


def test_password_from_environment_in_config(project: Path) -> None:
    (project / "dblint.yaml").write_text(
        "database: {url: 'postgresql+psycopg://dblint:${DBLINT_TEST_PW}@127.0.0.1:1/specify'}\n"
    )
    proc = dblint("check", cwd=project, env={"DBLINT_TEST_PW": "s3cr3t-pw"})
    assert proc.returncode == 2
    assert "s3cr3t-pw" not in proc.stderr + proc.stdout
    assert "postgresql+psycopg://dblint:***@127.0.0.1:1/specify" in proc.stderr
    unset = dblint("check", cwd=project)
    assert unset.returncode == 2 and "environment variable DBLINT_TEST_PW is not set" in unset.stderr


# --- bad input: one line, exit 2, no traceback --------------------------------------------------


def bad(project: Path, text: str, *args: str) -> str:
    (project / "bad.yaml").write_text(text)
    proc = dblint("check", "data.sqlite", "--rules", "bad.yaml", *args, cwd=project)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_yaml_syntax_error(project: Path) -> None:
    line = bad(project, "rules:\n  - id: X001\n    kind: [unclosed\n")
    assert line.startswith("dblint: bad.yaml:") and "flow sequence" in line or "expected" in line, line


def test_yaml_error_names_where_the_construct_opened(project: Path) -> None:
    line = bad(project, "rules:\n  - id: X001\n    kind: [unclosed\n    title: t\n")
    assert line == (
        "dblint: bad.yaml:4: did not find expected ',' or ']' (a flow sequence opened at line 3, column 11)"
    )


def test_invalid_rule_names_file_line_rule_and_field(project: Path) -> None:
    text = "rules:\n  - id: BAD001\n    kind: unique\n    params:\n      table: obj\n      colums: [name]\n"
    line = bad(project, text)
    assert line == "dblint: bad.yaml:6: BAD001: params.colums: unknown key (did you mean 'columns'?)", line
    text = (
        "rules:\n  - id: BAD002\n    kind: not_null\n    severity: fatal\n"
        "    params: {table: obj, column: x}\n"
    )
    line = bad(project, text)
    assert line.startswith(
        "dblint: bad.yaml:4: BAD002: severity: Input should be 'error', 'warning' or 'info'"
    ), line
    text = "rules:\n  - id: BAD003\n    kind: not_null\n    params: {table: obj}\n"
    assert bad(project, text) == "dblint: bad.yaml:4: BAD003: params.column: is required"
    text = "rules:\n  - id: bad-id\n    kind: not_null\n"
    assert "bad.yaml:2:" in bad(project, text) and "is not a rule code" in bad(project, text)


def test_unknown_kind_lists_known_kinds(project: Path) -> None:
    line = bad(project, "rules:\n  - id: BAD001\n    kind: uniq\n    params: {}\n")
    assert line.startswith("dblint: bad.yaml:3: BAD001: unknown kind 'uniq' (known kinds: ")
    for kind in ("foreign_keys", "not_null", "primary_key", "reference", "row_exists", "sql", "unique"):
        assert kind in line


def test_duplicate_id(project: Path) -> None:
    text = "rules:\n  - id: TST001\n    kind: primary_key\n"
    line = bad(project, text, "--rules", "rules.yaml")
    assert "TST001: duplicate rule id (also at" in line and "rules.yaml:3" in line


def test_unreachable_database_masks_password(project: Path) -> None:
    proc = dblint("check", "postgresql+psycopg://someone:hunter2@127.0.0.1:1/nowhere")
    assert proc.returncode == 2
    assert "hunter2" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "dblint: cannot connect to postgresql+psycopg://someone:***@127.0.0.1:1/nowhere"
    ), proc.stderr
    missing = dblint("check", "no-such-file.sqlite")
    assert (
        missing.returncode == 2
        and missing.stderr.strip() == "dblint: no such database file: no-such-file.sqlite"
    )
    not_db = project / "rules.yaml"
    proc = dblint("check", str(not_db))
    assert proc.returncode == 2 and "is not an SQLite database" in proc.stderr


def test_rule_error_exits_2(project: Path) -> None:
    (project / "err.yaml").write_text(
        "rules:\n  - id: ERR001\n    kind: sql\n    params: {query: 'SELECT nonsense FROM obj'}\n"
    )
    proc = dblint("check", "data.sqlite", "--rules", "err.yaml", "--select", "ERR", cwd=project)
    assert proc.returncode == 2
    assert "data.sqlite: ERR001 error could not run:" in proc.stdout and "nonsense" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "Ran 1 rule: 1 could not run."


def test_usage_errors_exit_2(project: Path) -> None:
    assert dblint("check", "--bogus").returncode == 2
    proc = dblint("check", "data.sqlite", "--fix", "--diff", cwd=project)
    assert proc.returncode == 2 and "--fix and --diff exclude each other" in proc.stderr
    proc = dblint("check", "data.sqlite", "--format", "xml", cwd=project)
    assert proc.returncode == 2 and proc.stderr.startswith("dblint: unknown format 'xml' (known: ")
    assert "json, " in proc.stderr and "text" in proc.stderr


def test_config_errors_name_file_and_line(project: Path) -> None:
    (project / "dblint.yaml").write_text("database:\n  url: data.sqlite\ndatabse: {}\n")
    proc = dblint("check", cwd=project)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "dblint: dblint.yaml:3: databse: unknown key (did you mean 'database'?)"
    (project / "dblint.yaml").write_text("database:\n  url: data.sqlite\n  lock_timeout: soon\n")
    proc = dblint("check", cwd=project)
    assert proc.returncode == 2 and proc.stderr.startswith("dblint: dblint.yaml:3: database.lock_timeout:"), (
        proc.stderr
    )
    (project / "dblint.yaml").write_text("database: [\n")
    proc = dblint("check", cwd=project)
    assert proc.returncode == 2 and proc.stderr.startswith("dblint: dblint.yaml:"), proc.stderr
    missing = dblint("check", "--config", "nope.yaml", cwd=project)
    assert missing.returncode == 2 and missing.stderr.strip() == "dblint: nope.yaml: no such config file"


def test_password_with_url_characters_from_environment(project: Path) -> None:
    """A password such as "p@ss/w:rd#1" works in ${...} and is never printed, encoded or not."""
    from linter.load.config import load_config

    (project / "dblint.yaml").write_text(
        "database: {url: 'mysql+pymysql://u:${DBLINT_TEST_PW}@127.0.0.1:1/db'}\n"
    )
    os.environ["DBLINT_TEST_PW"] = "p@ss/w:rd#1"
    try:
        from sqlalchemy import make_url

        url = make_url(load_config(cwd=project).database.url or "")
        assert (url.username, url.password, url.host, url.port, url.database) == (
            "u",
            "p@ss/w:rd#1",
            "127.0.0.1",
            1,
            "db",
        )
    finally:
        del os.environ["DBLINT_TEST_PW"]
    proc = dblint("check", cwd=project, env={"DBLINT_TEST_PW": "p@ss/w:rd#1"})
    assert proc.returncode == 2
    assert "p@ss" not in proc.stderr and "p%40ss" not in proc.stderr
    assert "mysql+pymysql://u:***@127.0.0.1:1/db" in proc.stderr


@pytest.mark.parametrize(
    "url", ["mysql+pymysql://root:hunter2@127.0.0.1:1/nowhere", "sqlite:////no/such/dir/x.sqlite"]
)
def test_unreachable_other_dialects(url: str) -> None:
    proc = dblint("check", url)
    assert proc.returncode == 2 and "hunter2" not in proc.stderr
    # A missing SQLite file is named as such: dblint never creates it (test_check_never_writes).
    lead = "dblint: no such database file: " if url.startswith("sqlite") else "dblint: cannot connect to "
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith(lead), proc.stderr


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        (
            "SELECT id FROM obj; DELETE FROM obj",
            "params.query: Value error, must be exactly one statement, not 2",
        ),
        ("COMMIT", "params.query: Value error, COMMIT would change dblint's read-only transaction"),
        ("PRAGMA query_only = OFF", "params.query: Value error, may only use a reading PRAGMA"),
    ],
)
def test_sql_rule_that_could_escape_read_only_is_refused_at_load(
    project: Path, query: str, problem: str
) -> None:
    line = bad(project, f'rules:\n  - id: BAD001\n    kind: sql\n    params:\n      query: "{query}"\n')
    assert line.startswith(f"dblint: bad.yaml:5: BAD001: {problem}"), line


def test_sql_fix_with_transaction_control_is_refused_at_load(project: Path) -> None:
    text = (
        "rules:\n  - id: BAD001\n    kind: sql\n    params: {query: 'SELECT id FROM obj'}\n"
        "    fix:\n      statements: ['DELETE FROM obj', 'COMMIT']\n"
    )
    line = bad(project, text)
    assert line.startswith(
        "dblint: bad.yaml:6: BAD001: fix.statements: Value error, statement 2 COMMIT would break"
    ), line


def test_unwritable_output_is_one_line(project: Path) -> None:
    proc = dblint("check", "data.sqlite", "--output", "no/such/dir/report.txt", cwd=project)
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        == "dblint: --output no/such/dir/report.txt: cannot write: No such file or directory"
    )
