"""Rule tests as YAML data (see :class:`RuleCase`): one parametrised test runs every case on every
dialect, with the checks every case gets for free (check and --diff write nothing, a second --fix
is a no-op, the undo script restores every table)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from linter.testing.database import DIALECTS, TestDatabase, plain


@dataclass
class RunResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def rule(self, rule_id: str) -> dict[str, Any]:
        doc = self.json()
        for r in doc["rules"]:
            if r["id"] == rule_id:
                return r  # type: ignore[no-any-return]
        raise KeyError(rule_id)


@dataclass
class RuleCase:
    """One case of a ``*.yaml`` case file::

    rules: rules.yaml                 # relative to the case file; or a list of rule mappings
    cases:
      - name: two disciplines lack their directory
        dialects: [sqlite, postgresql, mysql]     # default: all
        tables: {discipline: {columns: {Id: integer primary key, Name: varchar(20)}, rows: [[1, a]]}}
        sql: "UPDATE ..."                           # optional extra setup statements
        select: [DEMO001]
        args: [--var, x=1]
        expect: {DEMO001: 2}                        # violations per rule id ("skipped"/"pass" allowed)
        reasons: {DEMO002: "does not exist"}       # text the reason of a skipped/error rule contains
        unavailable: {DEMO003: "does not exist"}   # text of why a failing rule's fix cannot run here
        examples: {DEMO001: [{UserGroupScopeId: 5}]} # example keys, in order (at most 5 shown)
        diff: {DEMO001: [2]}                        # --diff: rows per fix step (and nothing written)
        diff_sql: {DEMO001: ["INSERT INTO"]}        # --diff: text the shown SQL contains
        fix: safe                                   # or unsafe: run --fix (--unsafe-fixes)
        fix_error: "still has"                      # the fix must roll back with this message
        after: {DEMO001: 0}                         # violations after the fix
        state:                                      # queries and their rows after the fix
          - {query: "SELECT COUNT(*) FROM x", rows: [[3]]}
    """

    file: Path
    name: str
    data: Mapping[str, Any]
    rules: list[Path]

    def __str__(self) -> str:
        return f"{self.file.stem}::{self.name}"

    def run(self, db: TestDatabase, run: Any) -> None:
        dialects = self.data.get("dialects") or DIALECTS
        if db.dialect not in dialects:
            pytest.skip(f"case {self.name} is not for {db.dialect}")
        db.create(self.data.get("tables") or {})
        if self.data.get("sql"):
            db.execute(self.data["sql"])
        base = ["check", db.url_string, "--format", "json", "--max-examples", "5"]
        for r in self.rules:
            base += ["--rules", str(r)]
        if self.data.get("select"):
            base += ["--select", ",".join(self.data["select"])]
        base += [str(a) for a in self.data.get("args") or []]
        before = db.checksum()
        res = run(*base)
        assert res.exit_code in (0, 1, 2), f"{self}: exit {res.exit_code}: {res.stderr}{res.stdout}"
        assert "Traceback" not in res.stderr, f"{self}: {res.stderr}"
        _expect(self, res, self.data.get("expect") or {}, "before the fix")
        for rule_id, text in (self.data.get("reasons") or {}).items():
            reason = res.rule(rule_id)["reason"]
            assert text in reason, f"{self}: {rule_id} reason {reason!r} lacks {text!r}"
        for rule_id, text in (self.data.get("unavailable") or {}).items():
            why = res.rule(rule_id)["fix_unavailable"] or ""
            assert text in why, f"{self}: {rule_id} fix_unavailable {why!r} lacks {text!r}"
            assert not res.rule(rule_id)["fixable"], f"{self}: {rule_id} is called fixable"
        for rule_id, keys in (self.data.get("examples") or {}).items():
            got_keys = [e["key"] for e in res.rule(rule_id)["examples"]]
            assert got_keys == keys, f"{self}: {rule_id} examples {got_keys}, expected {keys}"
        assert db.checksum() == before, f"{self}: check wrote to the database"
        unsafe = ["--unsafe-fixes"] if self.data.get("fix", "unsafe") == "unsafe" else []
        if self.data.get("diff") or self.data.get("diff_sql"):
            shown = run(*base, "--diff", *unsafe)
            assert shown.exit_code in (0, 1), (
                f"{self}: --diff exit {shown.exit_code}: {shown.stderr}{shown.stdout}"
            )
            for rule_id, rows in (self.data.get("diff") or {}).items():
                steps = shown.rule(rule_id).get("diff")
                assert steps is not None, f"{self}: --diff shows no fix for {rule_id}: {shown.rule(rule_id)}"
                got_rows = [s["rows"] for s in steps]
                assert got_rows == rows, f"{self}: --diff rows of {rule_id} are {got_rows}, expected {rows}"
            for rule_id, texts in (self.data.get("diff_sql") or {}).items():
                sql = "\n".join(s["sql"] for s in shown.rule(rule_id).get("diff") or [])
                for text in texts:
                    assert text in sql, f"{self}: --diff SQL of {rule_id} lacks {text!r}:\n{sql}"
            assert db.checksum() == before, f"{self}: --diff wrote to the database"
        if self.data.get("fix"):
            import tempfile

            undo_dir = Path(tempfile.mkdtemp(prefix="dblint-case-"))
            undo = undo_dir / "undo.sql"
            args = base + ["--fix"] + unsafe
            before = _originals(db.checksum())
            fixed = run(*args, "--undo-file", str(undo))
            # A fix rolled back for an error exits 2; by the re-check, 1 (findings remain).
            assert fixed.exit_code in ((1, 2) if self.data.get("fix_error") else (0, 1)), (
                f"{self}: --fix exit {fixed.exit_code}: {fixed.stderr}{fixed.stdout}"
            )
            fix_error = fixed.json().get("fix_error")
            if self.data.get("fix_error"):
                assert fix_error and self.data["fix_error"] in fix_error, f"{self}: fix_error {fix_error!r}"
                assert _originals(db.checksum()) == before, f"{self}: a rolled-back fix changed the database"
                return
            assert not fix_error, f"{self}: {fix_error}"
            _expect(self, fixed, self.data.get("after") or {}, "after the fix")
            for item in self.data.get("state") or []:
                got = [list(map(plain, r)) for r in db.query(item["query"])]
                assert got == item["rows"], f"{self}: {item['query']} gave {got}, expected {item['rows']}"
            settled = db.checksum()
            again = run(*args, "--undo-file", str(undo_dir / "again.sql"))
            assert sum(r["fixed"] for r in again.json()["rules"]) == 0, f"{self}: a second --fix changed rows"
            assert db.checksum() == settled, f"{self}: a second --fix changed the database"
            assert not (undo_dir / "again.sql").exists(), (
                f"{self}: a --fix that changed nothing wrote an undo script"
            )
            # Every case also proves its fix can be undone: the undo script restores every table.
            if any(r["fixed"] for r in fixed.json()["rules"]):
                assert undo.exists(), f"{self}: --fix changed rows but wrote no undo script"
                db.apply_script(undo)
                assert _originals(db.checksum()) == before, (
                    f"{self}: the undo script did not restore every table"
                )
            import shutil

            shutil.rmtree(undo_dir, ignore_errors=True)


def _originals(checksum: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in checksum.items() if not k.lower().startswith("dblint_quarantine_")}


def _expect(case: RuleCase, res: RunResult, expect: Mapping[str, Any], when: str) -> None:
    for rule_id, want in expect.items():
        r = res.rule(rule_id)
        if isinstance(want, str):
            assert r["status"] == want, (
                f"{case} {when}: {rule_id} is {r['status']} ({r['reason']}), expected {want}"
            )
        else:
            assert r["status"] in ("pass", "fail"), (
                f"{case} {when}: {rule_id} is {r['status']}: {r['reason']}"
            )
            assert r["violations"] == want, (
                f"{case} {when}: {rule_id} has {r['violations']} violations, expected {want}"
            )


def load_cases(*paths: str | Path) -> list[RuleCase]:
    """Every case of the given case files or folders (``*.yaml``), for ``pytest.mark.parametrize``."""
    import yaml

    files: list[Path] = []
    for p in map(Path, paths):
        # dot-files are the inline rules written below, not case files
        files += sorted(f for f in p.rglob("*.yaml") if not f.name.startswith(".")) if p.is_dir() else [p]
    out = []
    for f in files:
        doc = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        rules = doc.get("rules") or []
        rule_paths = [
            f.parent / r for r in ([rules] if isinstance(rules, str) else rules) if isinstance(r, str)
        ]
        if rules and not isinstance(rules, str) and not all(isinstance(r, str) for r in rules):
            inline = f.parent / f".{f.stem}.rules.yaml"  # inline rules: written beside, read by --rules
            text = yaml.safe_dump({"rules": rules, "vars": doc.get("vars") or {}}, sort_keys=False)
            # Parallel workers collect while others already run tests: never truncate in place.
            if not inline.exists() or inline.read_text(encoding="utf-8") != text:
                tmp = inline.with_name(f"{inline.name}.{os.getpid()}.tmp")
                tmp.write_text(text, encoding="utf-8")
                os.replace(tmp, inline)
            rule_paths = [inline]
        for i, case in enumerate(doc.get("cases") or []):
            _check_case(f, i, case)
            out.append(RuleCase(f, case["name"], case, rule_paths))
    return out


# Every key a case may have (see RuleCase): a misspelt key ("expects:") would otherwise be ignored
# and the case would pass without checking anything.
CASE_KEYS = frozenset(
    {
        "name",
        "dialects",
        "tables",
        "sql",
        "select",
        "args",
        "expect",
        "reasons",
        "unavailable",
        "examples",
        "diff",
        "diff_sql",
        "fix",
        "fix_error",
        "after",
        "state",
    }
)


def _check_case(file: Path, index: int, case: Any) -> None:
    where = f"{file}: cases[{index}]"
    if not isinstance(case, dict) or not isinstance(case.get("name"), str):
        raise ValueError(f"{where}: a case is a mapping with a name")
    unknown = sorted(set(case) - CASE_KEYS)
    if unknown:
        raise ValueError(
            f"{where} ({case['name']}): unknown key(s) {', '.join(unknown)} "
            f"(known: {', '.join(sorted(CASE_KEYS))})"
        )
    if case.get("fix") not in (None, "safe", "unsafe"):
        raise ValueError(f"{where} ({case['name']}): fix is safe or unsafe, not {case['fix']!r}")
    if not any(
        case.get(k)
        for k in (
            "expect",
            "examples",
            "reasons",
            "unavailable",
            "after",
            "state",
            "diff",
            "diff_sql",
            "fix_error",
        )
    ):
        raise ValueError(f"{where} ({case['name']}): the case expects nothing, so it cannot fail")
