"""`dblint explain` of every Specify rule says which Specify function it mirrors (or which one it is
a pre-flight for) and what dblint does differently."""

from __future__ import annotations

import json
import re

import pytest


def _spec_rules(dblint_run) -> list[str]:  # type: ignore[no-untyped-def]
    res = dblint_run("rules", "--format", "json")
    assert res.exit_code == 0, res.stderr
    return [r["id"] for r in json.loads(res.stdout) if r["id"].startswith("SPEC")]


def _paragraph(text: str, head: str) -> str:
    """The text after ``head`` up to the next blank line or the next ``Word:`` line."""
    m = re.search(rf"^{head}(.+?)(?=\n\n|\n[A-Z][a-z]+:|\Z)", text, re.S | re.M)
    return " ".join(m.group(1).split()) if m else ""


def test_every_specify_rule_says_what_it_mirrors_and_what_differs(dblint_run):
    ids = _spec_rules(dblint_run)
    assert len(ids) == 38, ids
    preflight = {"SPEC206", "SPEC207", "SPEC509", "SPEC602", "SPEC603", "SPEC604"}
    own = {"SPEC704"}  # repairs what an earlier dblint fix wrote: no Specify function to mirror
    for rule_id in ids:
        res = dblint_run("explain", rule_id)
        assert res.exit_code == 0, res.stderr
        mirrors = _paragraph(res.stdout, "Specify function: ")
        differs = _paragraph(res.stdout, "Differs: ")
        assert mirrors and differs, f"{rule_id} lacks 'Specify function:' or 'Differs:'\n{res.stdout}"
        # a function of Specify's, in backticks; a pre-flight says which function would stop
        assert "`" in mirrors, f"{rule_id}: {mirrors}"
        assert mirrors.startswith("none: a pre-flight") == (rule_id in preflight), f"{rule_id}: {mirrors}"
        own_repair = mirrors.startswith("none: it repairs what dblint's own")
        assert own_repair == (rule_id in own), f"{rule_id}: {mirrors}"


@pytest.mark.parametrize("rule_id", ["SPEC101", "SPEC102"])
def test_schema_config_rules_name_sync_schema_config_fields(dblint_run, rule_id):
    out = dblint_run("explain", rule_id).stdout
    assert "`sync_schema_config_fields`" in _paragraph(out, "Specify function: ")
