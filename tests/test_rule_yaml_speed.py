"""Rule files load through libyaml when PyYAML has it (start-up time), with the same safety and
line numbers as the pure-Python loader."""

from pathlib import Path

import pytest

from linter import rules
from linter.errors import RuleFileError

TEXT = "rules:\n  - id: A001\n    kind: not_null\n    params: {table: t, column: c}\n"


@pytest.mark.parametrize("fast", [True, False])
def test_lines_and_refusals(monkeypatch, fast):
    if not fast:
        monkeypatch.setattr(rules, "_FastLoader", None)
    elif rules._FastLoader is None:
        pytest.skip("PyYAML built without libyaml")
    doc = rules.load_yaml(Path("r.yaml"), TEXT)
    assert doc["rules"][0].line == 2 and doc["rules"][0].lines == {"id": 2, "kind": 3, "params": 4}
    with pytest.raises(RuleFileError, match=r"r.yaml:\d: anchors and aliases are not allowed"):
        rules.load_yaml(Path("r.yaml"), "a: &x [1, 2]\nb: *x\n")
    with pytest.raises(RuleFileError, match="r.yaml:2: duplicate key 'a'"):
        rules.load_yaml(Path("r.yaml"), "a: 1\na: 2\n")
    with pytest.raises(RuleFileError, match="r.yaml:1: mapping keys must be plain scalars"):
        rules.load_yaml(Path("r.yaml"), "? [1]\n: 2\n")
    assert rules.load_yaml(Path("r.yaml"), "") is None
