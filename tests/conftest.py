"""dblint's own tests use the same fixtures as pack authors (linter.testing, a pytest plugin)."""

import os

import pytest
from hypothesis import settings

# CI runs the property tests on a fixed sequence of examples so a landing never depends on luck;
# local runs explore new random examples each time (HYPOTHESIS_PROFILE=ci reproduces CI).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") or os.environ.get("HYPOTHESIS_PROFILE") == "ci":
    settings.load_profile("ci")


@pytest.fixture
def demo_db(dblint_db):
    """A database on each dialect with DEMO001 (2 violations: disciplines 5, 7) and DEMO002
    (2: collection objects 2, 3) failing (tests/users_support.py)."""
    from users_support import DEMO_TABLES

    dblint_db.create(DEMO_TABLES)
    return dblint_db
