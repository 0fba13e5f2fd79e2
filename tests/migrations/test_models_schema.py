"""DRIFT004 and PRE004 against hand-built databases on every dialect: the models say one thing,
the database another; and what the database does with the same values when the column is altered."""

from __future__ import annotations

import textwrap

import sqlalchemy as sa
from mig_projects import write_config

MODELS = """
import sqlalchemy as sa

metadata = sa.MetaData()
item = sa.Table(
    "item", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("qty", sa.Integer, nullable=False, server_default="0"),
    sa.Column("code", sa.Integer),
    sa.Column("price", sa.Numeric(8, 2)),
    sa.Column("status", sa.String(10), server_default="new"),
    sa.Column("big", sa.Integer),
    sa.Column("flag", sa.Boolean, nullable=False, server_default=sa.false()),
)
"""


def _setup(dblint_db, tmp_path, module: str) -> None:
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(MODELS), encoding="utf-8")
    write_config(tmp_path, dblint_db.url_string, models={"metadata": f"{module}:metadata"})
    false = "FALSE" if dblint_db.dialect == "postgresql" else "0"
    dblint_db.execute(
        f"""
        CREATE TABLE item (
            id INTEGER NOT NULL PRIMARY KEY,
            qty INTEGER NOT NULL DEFAULT 0,
            code VARCHAR(20),
            price VARCHAR(20),
            status VARCHAR(10) NOT NULL,
            big BIGINT,
            flag BOOLEAN NOT NULL DEFAULT {false}
        );
        INSERT INTO item (id, code, price, status) VALUES
            (1, '12', '1.50', 'a'), (2, ' 7 ', '2e3', 'b'), (3, 'x1', 'abc', 'c'), (4, '3.5', NULL, 'd'),
            (5, NULL, '-.5', 'e')
        """
    )


def test_type_nullability_default_and_castability(dblint_db, dblint_run, tmp_path):
    _setup(dblint_db, tmp_path, f"schema_models_{dblint_db.dialect}")
    res = dblint_run(
        "check", "--config", str(tmp_path / "dblint.yaml"), "--select", "DRIFT004,PRE004", "--format", "json"
    )
    assert res.exit_code == 1, res.stderr + res.stdout
    drift = {e["key"]["column"]: e["message"] for e in res.rule("DRIFT004")["examples"]}
    expected = {"code", "price", "status"} | ({"big"} if dblint_db.dialect != "sqlite" else set())
    assert set(drift) == expected  # qty's DEFAULT 0 and flag's FALSE match however each server spells them
    assert drift["code"] == "type INTEGER in the models, VARCHAR(20) in the database"
    assert (
        drift["status"]
        == "nullable in the models, NOT NULL in the database; default new in the models, none in the database"
    )
    pre = sorted((e["key"]["id"], e["message"]) for e in res.rule("PRE004")["examples"])
    assert pre == [
        (
            "3",
            "code = 'x1' is not an integer (INTEGER in models:metadata)".replace(
                "models:metadata", f"schema_models_{dblint_db.dialect}:metadata"
            ),
        ),
        ("3", f"price = 'abc' is not a number (NUMERIC(8, 2) in schema_models_{dblint_db.dialect}:metadata)"),
        ("4", f"code = '3.5' is not an integer (INTEGER in schema_models_{dblint_db.dialect}:metadata)"),
    ]

    # What the database does with the values PRE004 named, when the column is converted.
    if dblint_db.dialect == "postgresql":
        alter = "ALTER TABLE item ALTER COLUMN code TYPE INTEGER USING code::integer"
        for bad in ("x1", "3.5"):  # it fails on each value PRE004 named, one at a time
            try:
                dblint_db.execute(alter)
                raise AssertionError("PostgreSQL converted the column")
            except sa.exc.DBAPIError as exc:
                assert f'invalid input syntax for type integer: "{bad}"' in str(exc)
            dblint_db.execute("UPDATE item SET code = NULL WHERE code = :bad", {"bad": bad})
        dblint_db.execute(alter)
    elif dblint_db.dialect == "mysql":
        try:
            dblint_db.execute("ALTER TABLE item MODIFY code INTEGER")
            raise AssertionError("MariaDB converted the column")
        except sa.exc.DBAPIError as exc:
            assert "x1" in str(exc) or "3.5" in str(exc)
    else:  # SQLite keeps whatever it is given: the junk would survive a table rebuild silently
        dblint_db.execute(
            "CREATE TABLE item2 (id INTEGER PRIMARY KEY, code INTEGER); "
            "INSERT INTO item2 SELECT id, code FROM item"
        )
        assert dblint_db.query("SELECT code FROM item2 WHERE id IN (3, 4) ORDER BY id") == [("x1",), (3.5,)]
