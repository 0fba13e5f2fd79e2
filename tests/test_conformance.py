"""The guard of "one path for every rule": every rule this repository ships (the built-in packs and
the example pack, enumerated from the loaded rule set) supports every feature, on every dialect its
failing YAML case allows (the first failing case of each kind of project: a Django project, an
Alembic one, examples/migrations), driven through the ``dblint`` command line as a user would:

- ``check``: the rule fails with the case's count; JSON lists every finding;
- every output format registered (text, json, sarif, junit, github, html, and any a plugin adds)
  renders, exit code 1, no traceback (SARIF valid against the 2.1.0 schema, JUnit XML parses);
- ``--diff`` (rules with a fix): shows statements, writes nothing;
- ``--write-baseline FILE`` records every finding, then ``--baseline FILE`` hides them all (exit 0);
- a suppression by key and one by table hide exactly the findings they name (``suppressed``);
- ``--fix`` (rules with a fix; ``--unsafe-fixes`` for unsafe ones) repairs the rule, and applying
  its undo script restores every table's checksum.

Also: every kind registered has a YAML case in which one of its rules fails, every kind with a
``Fix`` has a case that runs the fix, and every rule with a fix has a case whose ``--fix`` leaves
it at 0. A rule or kind without one fails here, naming the rule or kind and the feature.

Each (rule, case, dialect) builds the case's database once and runs every feature on it (the fix
last, its undo restoring the state); all features run, and the test reports every one that failed.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import pytest

from linter.app import App
from linter.load import rules as rules_mod
from linter.load.config import Config
from linter.load.rules import Rule
from linter.testing import DIALECTS, Prepared, RuleCase, RunResult, TestDatabase, load_cases, make_database

ROOT = Path(__file__).resolve().parent.parent
CASES = load_cases(ROOT / "tests" / "cases")
SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
APP = App.load(Config())


def _ships_here(rule: Rule) -> bool:
    """A rule of this repository: a built-in pack, or a pack under examples/ (installed editable)."""
    try:
        rule.file.resolve().relative_to(ROOT)
    except ValueError:
        return False
    return True


RULES = {r.id: r for r in APP.ruleset.rules if _ships_here(r)}
FORMATS = sorted(APP.formats)


def _failing_cases(rule_id: str) -> list[RuleCase]:
    """Cases in which the rule fails (not those whose fix must roll back, nor those showing a
    known defect of the rule: their expectations are what the rule should do)."""
    return [
        c for c in CASES if c.fails(rule_id) and not c.data.get("fix_error") and not c.data.get("known_issue")
    ]


def _one_per_project(cases: list[RuleCase]) -> list[RuleCase]:
    """The first failing case of each kind of project (config, copied folder): a Django project
    and an Alembic one take different paths through dblint, two cases on one schema do not."""
    seen: dict[str, RuleCase] = {}
    for c in cases:
        shape = json.dumps([c.config, str(c.project_source or "")], sort_keys=True, default=str)
        seen.setdefault(shape, c)
    return list(seen.values())


def _label(case: RuleCase, n: int) -> str:
    """A short name of the case's kind of project, for test ids."""
    if case.project_source is not None:
        return f"{case.project_source.parent.name}-{case.project_source.name}"
    migrations = case.config.get("migrations") or {}
    if migrations.get("django"):
        return "django-settings" if migrations["django"].get("settings") else "django"
    if migrations.get("alembic"):
        return "alembic"
    return str(n)


def _params() -> Iterator[Any]:
    for rule_id in sorted(RULES):
        failing = _failing_cases(rule_id)
        if not failing:
            yield pytest.param(rule_id, None, "any", id=f"{rule_id}-no-case")
            continue
        for dialect in DIALECTS:
            here = _one_per_project([c for c in failing if dialect in c.dialects])
            if not here:
                yield pytest.param(rule_id, None, dialect, id=f"{rule_id}-{dialect}-no-case")
            for n, case in enumerate(here):
                yield pytest.param(rule_id, case, dialect, id=f"{rule_id}-{dialect}-{_label(case, n)}")


class Problems:
    """Every feature runs; each one that fails is recorded with what dblint printed."""

    def __init__(self, rule_id: str, dialect: str, case: RuleCase) -> None:
        self.where = f"{rule_id} on {dialect} ({case})"
        self.found: list[str] = []

    @contextmanager
    def feature(self, name: str) -> Iterator[None]:
        try:
            yield
        except AssertionError as exc:
            self.found.append(f"{self.where}: {name}: {exc}")
        except Exception as exc:  # dblint_run does not catch exceptions: a crash is a finding too
            self.found.append(f"{self.where}: {name}: {type(exc).__name__}: {exc}")


def _shown(res: RunResult) -> str:
    return f"exit {res.exit_code}\nstderr: {res.stderr[-2000:]}\nstdout: {res.stdout[-3000:]}"


def _no_traceback(res: RunResult) -> None:
    assert "Traceback" not in res.stderr + res.stdout, _shown(res)


def _rule(res: RunResult, rule_id: str) -> dict[str, Any]:
    try:
        return res.rule(rule_id)
    except (ValueError, KeyError) as exc:
        raise AssertionError(f"no JSON report of {rule_id} ({exc}): {_shown(res)}") from None


def _originals(checksum: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in checksum.items() if not k.lower().startswith("dblint_quarantine_")}


def _matches(key: dict[str, Any], finding: dict[str, Any]) -> bool:
    # as a suppression matches: every key item equal (5 and "5" alike)
    return all(k in finding["key"] and str(finding["key"][k]) == str(v) for k, v in key.items())


@lru_cache(maxsize=1)
def _sarif_validator() -> Any:
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def _check_format(name: str, res: RunResult, rule_id: str) -> None:
    assert res.exit_code == 1, _shown(res)
    _no_traceback(res)
    assert res.stdout.strip(), f"--format {name} printed nothing: {_shown(res)}"
    if name == "json":
        assert _rule(res, rule_id)["status"] == "fail", _shown(res)
    elif name == "text":
        assert rule_id in res.stdout, _shown(res)
    elif name == "sarif":
        doc = json.loads(res.stdout)
        errors = sorted(_sarif_validator().iter_errors(doc), key=str)
        assert not errors, f"SARIF not valid against 2.1.0: {errors[0].message} at {list(errors[0].path)}"
        results = [r for run in doc["runs"] for r in run.get("results", [])]
        assert any(r.get("ruleId") == rule_id for r in results), f"no SARIF result for {rule_id}"
    elif name == "junit":
        root = ET.fromstring(res.stdout)
        cases = [c for c in root.iter("testcase") if rule_id in (c.get("name", "") + c.get("classname", ""))]
        assert cases, f"no JUnit test case for {rule_id}: {res.stdout[:2000]}"
        assert any(c.find("failure") is not None for c in cases), f"the JUnit case of {rule_id} did not fail"
    elif name == "github":
        lines = [line for line in res.stdout.splitlines() if line.startswith("::") and rule_id in line]
        assert lines, f"no workflow command names {rule_id}: {res.stdout[:2000]}"
    elif name == "html":
        assert res.stdout.startswith("<!DOCTYPE html>"), res.stdout[:500]
        assert f"id='{rule_id}'" in res.stdout, f"no HTML block for failing {rule_id}"


@pytest.mark.parametrize(("rule_id", "case", "dialect"), list(_params()))
def test_rule_supports_every_feature(
    rule_id: str, case: RuleCase | None, dialect: str, tmp_path: Path, dblint_run: Any
) -> None:
    if case is None:
        cases = _failing_cases(rule_id)
        if not cases:
            pytest.fail(f"{rule_id} has no YAML case in which it fails (tests/cases/<pack>/{rule_id}.yaml)")
        skipped = [c for c in CASES if dialect in c.dialects and c.expected(rule_id) == "skipped"]
        if skipped:
            pytest.skip(f"{rule_id} does not apply on {dialect}: case {skipped[0]} shows it skipped")
        pytest.fail(
            f"{rule_id} has no failing case on {dialect} (cases: {', '.join(map(str, cases))}): "
            f"add {dialect} to a case's dialects, or a case showing the rule skipped there"
        )
    rule = RULES[rule_id]
    gen = make_database(dialect, tmp_path)
    db = next(gen)
    try:
        _every_feature(rule, case, db, tmp_path, dblint_run)
    finally:
        gen.close()


@dataclass
class Run:
    """One (rule, case, dialect): the prepared case, the dblint runner and what check found."""

    rule: Rule
    case: Prepared
    db: TestDatabase
    tmp: Path
    dblint: Any
    want: int
    before: dict[str, str]
    findings: list[dict[str, Any]] = field(default_factory=list)

    def json(self, *args: str) -> RunResult:
        res = self.case.run(self.dblint, "--format", "json", *args)
        _no_traceback(res)
        return res

    @property
    def every(self) -> list[str]:
        return ["--max-examples", str(self.want)]

    @property
    def unsafe(self) -> list[str]:
        fix = self.rule.fix
        return ["--unsafe-fixes"] if fix is not None and fix.safety == "unsafe" else []


def _every_feature(rule: Rule, case: RuleCase, db: TestDatabase, tmp: Path, dblint: Any) -> None:
    prepared = case.prepare(db, tmp, select=[rule.id])
    r = Run(rule, prepared, db, tmp, dblint, case.fails(rule.id), db.checksum())
    problems = Problems(rule.id, db.dialect, case)
    with problems.feature("check"):
        _check(r)
    if not r.findings:
        pytest.fail("\n".join(problems.found))
    for name in FORMATS:
        with problems.feature(f"--format {name}"):
            _check_format(name, prepared.run(dblint, "--format", name), rule.id)
    # A fix that cannot run on this database (DDL on MariaDB) must say so, as the case declares.
    unavailable = (case.data.get("unavailable") or {}).get(rule.id) if rule.fix is not None else None
    if unavailable:
        with problems.feature("fix unavailable here"):
            _unavailable(r, unavailable)
    elif rule.fix is not None:
        with problems.feature("--diff"):
            _diff(r)
    baseline = tmp / "baseline.json"
    with problems.feature("--write-baseline"):
        _write_baseline(r, baseline)
    with problems.feature("--baseline"):
        _baseline(r, baseline)
    first = r.findings[0]
    with problems.feature("suppression by key"):
        _suppressed(r, "key", {"key": first["key"]}, sum(1 for f in r.findings if _matches(first["key"], f)))
    with problems.feature("suppression by table"):
        table = first["table"].lower()
        _suppressed(
            r, "table", {"table": first["table"]}, sum(1 for f in r.findings if f["table"].lower() == table)
        )
    if rule.fix is not None and not unavailable:
        with problems.feature("--fix"):
            _fix_and_undo(r)
    assert not problems.found, "\n".join(problems.found)


def _check(r: Run) -> None:
    res = r.json(*r.every)
    got = _rule(res, r.rule.id)
    assert res.exit_code == 1 and got["status"] == "fail", _shown(res)
    assert got["violations"] == r.want, f"{got['violations']} violations, the case expects {r.want}"
    r.findings = got["examples"]
    assert len(r.findings) == r.want, f"--max-examples {r.want} listed {len(r.findings)} findings"
    assert r.db.checksum() == r.before, "check wrote to the database"


def _diff(r: Run) -> None:
    res = r.json("--diff", *r.unsafe)
    assert res.exit_code == 1, _shown(res)
    steps = _rule(res, r.rule.id).get("diff")
    assert steps, f"--diff shows no statement for {r.rule.id}: {_shown(res)}"
    assert all(s["sql"].strip() for s in steps), f"--diff shows an empty statement: {steps}"
    assert r.db.checksum() == r.before, "--diff wrote to the database"


def _unavailable(r: Run, why: str) -> None:
    """--diff and --fix both say why the fix cannot run here, show and write nothing."""
    for args in (["--diff"], ["--fix", "--undo-file", str(r.tmp / "undo.sql")]):
        res = r.json(*args, *r.unsafe)
        got = _rule(res, r.rule.id)
        assert res.exit_code == 1 and got["violations"] == r.want and got["fixed"] == 0, _shown(res)
        assert why in (got.get("fix_unavailable") or ""), (
            f"{args[0]}: fix_unavailable lacks {why!r}: {_shown(res)}"
        )
        assert not got.get("diff"), f"{args[0]} shows statements of an unavailable fix: {got['diff']}"
        assert r.db.checksum() == r.before, f"{args[0]} wrote to the database"
    assert not (r.tmp / "undo.sql").exists(), "an unavailable fix wrote an undo script"


def _entry(table: str, key: dict[str, Any]) -> str:
    return json.dumps([table.lower(), key], sort_keys=True)


def _write_baseline(r: Run, baseline: Path) -> None:
    res = r.json("--write-baseline", str(baseline))
    assert res.exit_code == 0, _shown(res)
    entries = json.loads(baseline.read_text(encoding="utf-8"))["entries"]
    recorded = sorted(_entry(e["table"], e["key"]) for e in entries if e["rule"] == r.rule.id)
    found = sorted(_entry(f["table"], f["key"]) for f in r.findings)
    assert recorded == found, f"the baseline records {recorded}, check found {found}"
    assert len(set(recorded)) == r.want, f"{r.want} findings share keys: a baseline cannot tell them apart"


def _baseline(r: Run, baseline: Path) -> None:
    assert baseline.exists(), "no baseline file was written"
    res = r.json("--baseline", str(baseline))
    got = _rule(res, r.rule.id)
    assert res.exit_code == 0 and got["violations"] == 0, _shown(res)
    known = res.json().get("baseline", {}).get("known")
    assert known == r.want, f"baseline known {known}, expected {r.want}: {_shown(res)}"


def _suppressed(r: Run, what: str, entry: dict[str, Any], hidden: int) -> None:
    first = r.findings[0]
    suppress = [{"rule": r.rule.id, **entry, "reason": f"conformance: by {what}"}]
    cfg = r.case.write_config(f"suppress-{what}.yaml", suppress=suppress)
    res = r.json("--config", str(cfg), *r.every)
    got = _rule(res, r.rule.id)
    left = r.want - hidden
    assert res.exit_code == (1 if left else 0), _shown(res)
    assert got["violations"] == left, f"{got['violations']} violations left, expected {left}: {_shown(res)}"
    suppressed = res.json().get("suppressed")
    assert suppressed == hidden, f"suppressed {suppressed}, expected {hidden}: {_shown(res)}"
    listed = [f for f in got["examples"] if (f["table"], f["key"]) == (first["table"], first["key"])]
    assert not listed, "a suppressed finding is still listed"


def _fix_and_undo(r: Run) -> None:
    undo = r.tmp / "undo.sql"
    res = r.json("--fix", *r.unsafe, "--undo-file", str(undo))
    got = _rule(res, r.rule.id)
    assert not res.json().get("fix_error"), _shown(res)
    assert res.exit_code == 0 and got["status"] == "pass" and got["violations"] == 0, _shown(res)
    assert got["fixed"] > 0, f"--fix changed no row: {_shown(res)}"
    assert undo.exists(), "--fix changed rows but wrote no undo script"
    r.db.apply_script(undo)
    restored = _originals(r.db.checksum()) == _originals(r.before)
    assert restored, "the undo script did not restore every table"


# --- kinds -----------------------------------------------------------------------------------------


@cache
def _inline_rules(paths: tuple[Path, ...]) -> dict[str, Rule]:
    loaded = rules_mod.load([(p, "local", "") for p in paths], APP.kinds)
    return {r.id: r for r in loaded.rules}


def _case_rules(case: RuleCase) -> dict[str, Rule]:
    return {**{r.id: r for r in APP.ruleset.rules}, **_inline_rules(tuple(case.rules))}


def _kind_cases(kind: str) -> tuple[list[RuleCase], list[RuleCase]]:
    """(cases in which a rule of ``kind`` fails, those of them that run its fix)."""
    failing, fixing = [], []
    for case in CASES:
        known = _case_rules(case)
        ours = [known[i] for i in (case.data.get("expect") or {}) if i in known and case.fails(i)]
        ours = [r for r in ours if r.kind.name == kind]
        if not ours:
            continue
        failing.append(case)
        runs = case.data.get("fix") and not case.data.get("fix_error")
        if runs and any(
            r.fix is not None and (r.fix.safety == "safe" or case.data["fix"] == "unsafe") for r in ours
        ):
            fixing.append(case)
    return failing, fixing


@pytest.mark.parametrize("kind", sorted(APP.kinds))
def test_every_kind_has_a_failing_case_and_runs_its_fix(kind: str) -> None:
    failing, fixing = _kind_cases(kind)
    assert failing, f"kind {kind} has no YAML case under tests/cases in which one of its rules fails"
    if APP.kinds[kind].Fix is not None:
        assert fixing, (
            f"kind {kind} has a Fix, but no YAML case runs it (fix: safe|unsafe, a failing rule of it)"
        )


@pytest.mark.parametrize("rule_id", sorted(r for r in RULES if RULES[r].fix is not None))
def test_every_rule_with_a_fix_has_a_case_running_it(rule_id: str) -> None:
    safe = RULES[rule_id].fix.safety == "safe"  # type: ignore[union-attr]
    running = [
        c
        for c in _failing_cases(rule_id)
        if c.data.get("fix") in (("safe", "unsafe") if safe else ("unsafe",)) and "after" in c.data
    ]
    assert running, f"{rule_id} has a fix, but no YAML case runs it and says what is left (fix:, after:)"
    assert any(
        c.expected(rule_id) is not None and (c.data["after"] or {}).get(rule_id) == 0 for c in running
    ), f"no YAML case shows {rule_id}'s fix repairing it (after: {{{rule_id}: 0}})"


def test_the_guard_sees_every_builtin_rule_and_format() -> None:
    from linter.load import plugins

    pm = plugins.get_plugin_manager(builtin_only=True)
    builtin = {r.id for r in rules_mod.load(plugins.rule_sources(pm), plugins.collect_kinds(pm)).rules}
    assert builtin and builtin <= set(RULES), f"not guarded: {sorted(builtin - set(RULES))}"
    assert {"text", "json", "sarif", "junit", "github", "html"} <= set(FORMATS)
