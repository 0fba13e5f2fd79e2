"""Rule tests as YAML data (see :class:`RuleCase`): one parametrised test runs every case on every
dialect, with the checks every case gets for free (check and --diff write nothing, a second --fix
is a no-op, the undo script restores every table)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
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
class Prepared:
    """A case's database and project folder, ready for dblint runs (see :meth:`RuleCase.prepare`)."""

    case: RuleCase
    db: TestDatabase
    project: Path  # the working directory of every dblint run of the case
    args: list[str]  # TARGET, --rules, --select and the case's args (no command, no --format)

    def run(self, run: Callable[..., RunResult], *args: str) -> RunResult:
        """``dblint check <the case's args> <args>`` in the case's project folder."""
        return run("check", *self.args, *args, cwd=self.project)  # type: ignore[no-any-return]

    def write_config(self, name: str, **extra: Any) -> Path:
        """The case's config plus ``extra`` top-level keys, as ``name`` in the project folder
        (relative paths in it resolve as in the case's own config); for ``--config``."""
        import yaml

        own = self.project / "dblint.yaml"
        config = (yaml.safe_load(own.read_text(encoding="utf-8")) or {}) if own.exists() else {}
        path = self.project / name
        path.write_text(yaml.safe_dump({**config, **extra}, sort_keys=False), encoding="utf-8")
        return path


@dataclass
class RuleCase:
    """One case of a ``*.yaml`` case file::

    rules: rules.yaml                 # relative to the case file; or a list of rule mappings
    cases:
      - name: two disciplines lack their directory
        dialects: [sqlite, postgresql, mysql]     # default: all
        include: _specify.yaml                      # shared tables (and files, config): see below
        tables: {discipline: {columns: {Id: integer primary key, Name: varchar(20)}, rows: [[1, a]]}}
        sql: "UPDATE ..."                           # optional extra setup statements
        project: ../../examples/migrations          # a folder copied as the case's project folder
        files: {alembic.ini: "[alembic]\\n..."}      # files written into the project folder
        config: {migrations: {alembic: {ini: alembic.ini}}}  # written as the folder's dblint.yaml
        select: [DEMO001]
        args: [--var, x=1]
        expect: {DEMO001: 2}                        # violations per rule id ("skipped"/"pass" allowed)
        reasons: {DEMO002: "does not exist"}       # text the reason of a skipped/error rule contains
        unavailable: {DEMO003: "does not exist"}   # text of why a failing rule's fix cannot run here
        examples: {DEMO001: [{UserGroupScopeId: 5}]} # example keys, in order (at most 5 shown)
        messages: {DEMO001: ["discipline 5"]}       # text each example's message contains, in order
        diff: {DEMO001: [2]}                        # --diff: rows per fix step (and nothing written)
        diff_sql: {DEMO001: ["INSERT INTO"]}        # --diff: text the shown SQL contains
        fix: safe                                   # or unsafe: run --fix (--unsafe-fixes)
        fix_error: "still has"                      # the fix must roll back with this message
        after: {DEMO001: 0}                         # violations after the fix
        state:                                      # queries and their rows after the fix
          - {query: "SELECT COUNT(*) FROM x", rows: [[3]]}
        known_issue: "SPEC999 counts NULLs twice"   # the rule is wrong: the case shows how (xfail)

    Every dblint run of a case happens in a fresh project folder (its working directory): the copy
    of ``project:`` if given, then ``files:`` (``{relative/path: text}``; ``null`` leaves a copied
    file out) and ``config:`` (a mapping, written as ``dblint.yaml``), so ``migrations:`` and
    ``models:`` paths of the config resolve there. The database comes from ``tables:`` then ``sql:``.

    ``include:`` names YAML files (relative to the case file; one or a list) holding shared
    ``tables:``, ``files:`` and ``config:``, merged under the case's own, in order: a table, file
    or top-level config key of the case replaces the included one; a table given without
    ``columns:`` keeps the included columns and replaces only what it gives (``rows: []`` empties
    the table); ``null`` drops an included table or file. Case files whose name starts with ``_``
    or ``.`` are such shared files, not case files.

    ``known_issue:`` marks a case that shows a defect of the rule (a false or missing finding):
    the case is written as the rule *should* behave, and its failure is expected (``xfail``); once
    the rule is fixed the case passes and the test fails until the marker is removed.
    """

    file: Path
    name: str
    data: Mapping[str, Any]
    rules: list[Path]
    # merged with the included files (see above)
    tables: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str | None] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.file.stem}::{self.name}"

    # --- what a case says --------------------------------------------------------------------------

    @property
    def dialects(self) -> Sequence[str]:
        return self.data.get("dialects") or DIALECTS

    def expected(self, rule_id: str) -> Any:
        """What ``expect:`` says of ``rule_id`` (a count, a status), or None."""
        return (self.data.get("expect") or {}).get(rule_id)

    def fails(self, rule_id: str) -> int:
        """The number of violations the case expects of ``rule_id`` before any fix (0: none)."""
        want = self.expected(rule_id)
        return want if isinstance(want, int) and not isinstance(want, bool) and want > 0 else 0

    @property
    def project_source(self) -> Path | None:
        src = self.data.get("project")
        return (self.file.parent / src).resolve() if src else None

    # --- running it --------------------------------------------------------------------------------

    def prepare(self, db: TestDatabase, workdir: Path | None = None, select: Sequence[str] = ()) -> Prepared:
        """Build the case's database on ``db`` and its project folder (under ``workdir``, default
        a new temporary folder); ``select`` replaces the case's ``select:``."""
        db.create(self.tables)
        if self.data.get("sql"):
            db.execute(self.data["sql"])
        base = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="dblint-case-"))
        project = base / "project"
        if project.exists():
            shutil.rmtree(project)
        src = self.project_source
        if src is not None:
            shutil.copytree(src, project, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3", "*.pyc"))
        project.mkdir(parents=True, exist_ok=True)
        for rel, text in self.files.items():
            path = project / rel
            if text is None:
                path.unlink(missing_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if self.config:
            import yaml

            (project / "dblint.yaml").write_text(
                yaml.safe_dump(self.config, sort_keys=False), encoding="utf-8"
            )
        args = [db.url_string]
        for r in self.rules:
            args += ["--rules", str(r)]
        chosen = list(select) or list(self.data.get("select") or [])
        if chosen:
            args += ["--select", ",".join(chosen)]
        args += [str(a) for a in self.data.get("args") or []]
        return Prepared(self, db, project, args)

    def run(self, db: TestDatabase, run: Any, workdir: Path | None = None) -> None:
        if db.dialect not in self.dialects:
            pytest.skip(f"case {self.name} is not for {db.dialect}")
        issue = self.data.get("known_issue")
        if not issue:
            self._run(db, run, workdir)
            return
        try:
            self._run(db, run, workdir)
        except AssertionError as exc:
            pytest.xfail(f"known issue: {issue} ({' '.join(str(exc).split())[:300]})")
        pytest.fail(f"{self}: marked known_issue ({issue}) but passes now: remove known_issue")

    def _run(self, db: TestDatabase, run: Any, workdir: Path | None) -> None:
        workdir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="dblint-case-"))
        case = self.prepare(db, workdir)
        base = ["--format", "json", "--max-examples", "5"]
        before = db.checksum()
        res = case.run(run, *base)
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
        for rule_id, texts in (self.data.get("messages") or {}).items():
            got = [e["message"] for e in res.rule(rule_id)["examples"]]
            assert len(got) >= len(texts), f"{self}: {rule_id} has {len(got)} examples, expected {len(texts)}"
            for message, text in zip(got, texts, strict=False):
                assert text in message, f"{self}: {rule_id} example message {message!r} lacks {text!r}"
        assert db.checksum() == before, f"{self}: check wrote to the database"
        unsafe = ["--unsafe-fixes"] if self.data.get("fix", "unsafe") == "unsafe" else []
        if self.data.get("diff") or self.data.get("diff_sql"):
            shown = case.run(run, *base, "--diff", *unsafe)
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
            undo_dir = workdir / "undo"
            undo_dir.mkdir(exist_ok=True)
            undo = undo_dir / "undo.sql"
            args = [*base, "--fix", *unsafe]
            before = _originals(db.checksum())
            fixed = case.run(run, *args, "--undo-file", str(undo))
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
            again = case.run(run, *args, "--undo-file", str(undo_dir / "again.sql"))
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
    """Every case of the given case files or folders (``*.yaml``, not ``_*``/``.*``), for
    ``pytest.mark.parametrize``."""
    import yaml

    files: list[Path] = []
    for p in map(Path, paths):
        # dot-files are the inline rules written below, _-files are shared includes: not case files
        files += (
            sorted(f for f in p.rglob("*.yaml") if not f.name.startswith((".", "_"))) if p.is_dir() else [p]
        )
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
            tables, files_, config = _merged(f, i, case)
            out.append(RuleCase(f, case["name"], case, rule_paths, tables, files_, config))
    return out


# Every key a case may have (see RuleCase): a misspelt key ("expects:") would otherwise be ignored
# and the case would pass without checking anything.
CASE_KEYS = frozenset(
    {
        "name",
        "dialects",
        "include",
        "tables",
        "sql",
        "project",
        "files",
        "config",
        "select",
        "args",
        "expect",
        "reasons",
        "unavailable",
        "examples",
        "messages",
        "diff",
        "diff_sql",
        "fix",
        "fix_error",
        "after",
        "state",
        "known_issue",
    }
)
# What an included file may hold.
INCLUDE_KEYS = frozenset({"tables", "files", "config"})


def _check_case(file: Path, index: int, case: Any) -> None:
    where = f"{file}: cases[{index}]"
    if not isinstance(case, dict) or not isinstance(case.get("name"), str):
        raise ValueError(f"{where}: a case is a mapping with a name")
    where = f"{where} ({case['name']})"
    unknown = sorted(set(case) - CASE_KEYS)
    if unknown:
        raise ValueError(
            f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(CASE_KEYS))})"
        )
    if case.get("fix") not in (None, "safe", "unsafe"):
        raise ValueError(f"{where}: fix is safe or unsafe, not {case['fix']!r}")
    bad = [d for d in case.get("dialects") or [] if d not in DIALECTS]
    if bad:
        raise ValueError(
            f"{where}: unknown dialect(s) {', '.join(map(str, bad))} (known: {', '.join(DIALECTS)})"
        )
    for key in ("tables", "files", "config"):
        if case.get(key) is not None and not isinstance(case[key], dict):
            raise ValueError(f"{where}: {key} is a mapping")
    if case.get("known_issue") is not None and not (
        isinstance(case["known_issue"], str) and case["known_issue"]
    ):
        raise ValueError(f"{where}: known_issue says what is wrong, in words")
    if not any(
        case.get(k)
        for k in (
            "expect",
            "examples",
            "messages",
            "reasons",
            "unavailable",
            "after",
            "state",
            "diff",
            "diff_sql",
            "fix_error",
        )
    ):
        raise ValueError(f"{where}: the case expects nothing, so it cannot fail")


def _merged(
    file: Path, index: int, case: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The case's tables, files and config over those of its ``include:`` files."""
    import yaml

    where = f"{file}: cases[{index}] ({case['name']})"
    includes = case.get("include") or []
    tables: dict[str, Any] = {}
    files: dict[str, Any] = {}
    config: dict[str, Any] = {}
    layers: list[tuple[str, Mapping[str, Any]]] = []
    for inc in [includes] if isinstance(includes, str) else includes:
        path = file.parent / str(inc)
        if not path.is_file():
            raise ValueError(f"{where}: include {inc}: no such file {path}")
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(doc, dict) or set(doc) - INCLUDE_KEYS - {"_"}:
            raise ValueError(
                f"{path}: an included file is a mapping of {', '.join(sorted(INCLUDE_KEYS))} "
                f"(has: {', '.join(sorted(map(str, doc))) if isinstance(doc, dict) else type(doc).__name__})"
            )
        layers.append((f"{where}: include {inc}", doc))
    layers.append((where, case))
    for here, layer in layers:
        for name, t in (layer.get("tables") or {}).items():
            if t is None:
                tables.pop(name, None)
            elif not isinstance(t, dict):
                raise ValueError(f"{here}: table {name} is a mapping (columns, rows) or null")
            elif "columns" in t:
                tables[name] = dict(t)
            elif name in tables:
                tables[name] = {**tables[name], **t}
            else:
                raise ValueError(f"{here}: table {name} has no columns and no included table of that name")
        for rel, text in (layer.get("files") or {}).items():
            if text is not None and not isinstance(text, str):
                raise ValueError(f"{here}: files: {rel} is text (or null)")
            files[str(rel)] = text
        config.update(layer.get("config") or {})
    return tables, files, config
