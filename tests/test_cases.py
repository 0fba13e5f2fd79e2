"""Every YAML rule case under tests/cases, on every dialect."""

from pathlib import Path

import pytest

from linter.testing import load_cases

CASES = load_cases(Path(__file__).parent / "cases")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_case(case, dblint_db, dblint_run, tmp_path):
    case.run(dblint_db, dblint_run, tmp_path)
