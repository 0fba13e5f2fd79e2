"""linter.db.literals writes plain text without SQLAlchemy's compiler (a Specify run renders tens of
thousands of datamodel names): it must be exactly what the compiler writes, on every dialect."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import mysql, postgresql, sqlite

from linter.db import literals

DIALECTS = [sqlite.dialect(), postgresql.psycopg.dialect(), mysql.pymysql.dialect()]
PLAIN = "abcXYZ019_ .,/()-"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=PLAIN + "'\\%:\"é\n;", max_size=12))
def test_a_literal_is_what_sqlalchemy_renders(value: str) -> None:
    for dialect in DIALECTS:
        assert literals.literal(value, dialect) == literals._render(value, dialect), dialect.name


@pytest.mark.parametrize("value", ["it's", "back\\slash", "100%", "a:b", "é"])
def test_text_to_escape_takes_the_compiler(value: str) -> None:
    assert not literals._PLAIN.fullmatch(value)


def test_plain_text_takes_the_short_path() -> None:
    assert literals._PLAIN.fullmatch("collectionobject.catalognumber (CO-1)")
