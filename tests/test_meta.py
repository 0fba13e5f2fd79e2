"""Meta-tests (as Datasette does for its plugin hooks): documentation and tests cannot drift.

- docs/packs.md's hooks reference is exactly what linter/hookdoc.py renders from hookspecs.py;
- every hook is documented there and named by at least one test;
- every built-in rule id is documented (README.md or docs/*.md) and has a YAML case under
  tests/cases/ in which it fails (tests/test_conformance.py then runs every feature on that case).
"""

import re
from pathlib import Path

import pytest

from linter import hookdoc
from linter.app import App
from linter.load import plugins, rules
from linter.load.config import Config
from linter.testing import load_cases

ROOT = Path(__file__).resolve().parent.parent
PACKS_DOC = ROOT / "docs" / "packs.md"


def _texts(paths):
    return {p: p.read_text(encoding="utf-8") for p in paths if p.name != Path(__file__).name}


def _tests():
    return _texts(
        [
            *ROOT.glob("tests/**/*.py"),
            *ROOT.glob("tests/cases/**/*.yaml"),
            *ROOT.glob("examples/*/tests/**/*.py"),
        ]
    )


def _docs():
    return _texts([ROOT / "README.md", *ROOT.glob("docs/**/*.md")])


def _mentions(texts, word):
    pattern = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])")
    return sorted(str(p.relative_to(ROOT)) for p, t in texts.items() if pattern.search(t))


def test_hooks_reference_is_generated_from_hookspecs():
    assert hookdoc.section(PACKS_DOC.read_text(encoding="utf-8")) == hookdoc.render(), (
        "docs/packs.md's hooks reference is out of date: run `python -m linter.hookdoc --write`"
    )


def test_hookspecs_are_found():
    assert {"dblint_kinds", "dblint_rule_files", "dblint_fix_handlers", "dblint_formats"} <= set(
        hookdoc.hook_names()
    )


@pytest.mark.parametrize("hook", hookdoc.hook_names())
def test_every_hook_is_documented_and_tested(hook):
    assert f"### `{hook}`" in PACKS_DOC.read_text(encoding="utf-8"), f"{hook} is not in docs/packs.md"
    assert _mentions(_tests(), hook), f"no test names the hook {hook}"


def _builtin_rule_ids():
    pm = plugins.get_plugin_manager(builtin_only=True)
    kinds = plugins.collect_kinds(pm)
    ruleset = rules.load(plugins.rule_sources(pm), kinds)
    return sorted(r.id for r in ruleset.rules)


BUILTIN_RULES = _builtin_rule_ids()


def test_builtin_rules_are_found():
    assert {"CORE001", "CORE002"} <= set(BUILTIN_RULES)
    assert set(BUILTIN_RULES) <= {r.id for r in App.load(Config()).ruleset.rules}


CASES = load_cases(ROOT / "tests" / "cases")


@pytest.mark.parametrize("rule_id", BUILTIN_RULES)
def test_every_builtin_rule_is_documented_and_tested(rule_id):
    assert _mentions(_docs(), rule_id), f"{rule_id} is not documented in README.md or docs/*.md"
    failing = [c for c in CASES if c.fails(rule_id) and not c.data.get("known_issue")]
    assert failing, (
        f"{rule_id} has no YAML case under tests/cases/ in which it fails "
        f"(expect: {{{rule_id}: <count>}}; e.g. tests/cases/<pack>/{rule_id}.yaml)"
    )


def test_every_known_issue_case_is_listed():
    """tests/cases/KNOWN_ISSUES.md names the case file of every case marked known_issue."""
    listed = (ROOT / "tests" / "cases" / "KNOWN_ISSUES.md").read_text(encoding="utf-8")
    missing = [
        f"{c.file.relative_to(ROOT / 'tests' / 'cases')}: {c.name}"
        for c in CASES
        if c.data.get("known_issue") and str(c.file.relative_to(ROOT / "tests" / "cases")) not in listed
    ]
    assert not missing, f"known_issue cases missing from tests/cases/KNOWN_ISSUES.md: {missing}"
