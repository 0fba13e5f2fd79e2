"""Rule files load through libyaml when PyYAML has it (start-up time), with the same safety and
line numbers as the pure-Python loader."""

from pathlib import Path

import pytest

from linter.errors import RuleFileError
from linter.load import yamlfile

TEXT = "rules:\n  - id: A001\n    kind: not_null\n    params: {table: t, column: c}\n"


@pytest.mark.parametrize("fast", [True, False])
def test_lines_and_refusals(monkeypatch, fast):
    if not fast:
        monkeypatch.setattr(yamlfile, "_FastLoader", None)
    elif yamlfile._FastLoader is None:
        pytest.skip("PyYAML built without libyaml")
    doc = yamlfile.load_yaml(Path("r.yaml"), TEXT)
    assert doc["rules"][0].line == 2 and doc["rules"][0].lines == {"id": 2, "kind": 3, "params": 4}
    with pytest.raises(RuleFileError, match=r"r.yaml:\d: anchors and aliases are not allowed"):
        yamlfile.load_yaml(Path("r.yaml"), "a: &x [1, 2]\nb: *x\n")
    with pytest.raises(RuleFileError, match="r.yaml:2: duplicate key 'a'"):
        yamlfile.load_yaml(Path("r.yaml"), "a: 1\na: 2\n")
    with pytest.raises(RuleFileError, match="r.yaml:1: mapping keys must be plain scalars"):
        yamlfile.load_yaml(Path("r.yaml"), "? [1]\n: 2\n")
    assert yamlfile.load_yaml(Path("r.yaml"), "") is None
