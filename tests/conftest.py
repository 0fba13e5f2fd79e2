"""dblint's own tests use the same fixtures as pack authors (linter.testing, a pytest plugin)."""


import pytest  # noqa: E402


@pytest.fixture
def demo_db(dblint_db):
    """A database on each dialect with DEMO001 (2 violations: disciplines 5, 7) and DEMO002
    (2: collection objects 2, 3) failing (tests/users_support.py)."""
    from users_support import DEMO_TABLES

    dblint_db.create(DEMO_TABLES)
    return dblint_db
