"""The example pack's own tests, on every dialect, with dblint's pytest fixtures (``dblint_db``,
``dblint_run``), the way any third-party pack tests its rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

LOCALITY = {
    "locality": {
        "columns": {
            "LocalityID": "integer primary key",
            "Latitude1": "numeric(12,8)",
            "Longitude1": "numeric(12,8)",
        },
        "rows": [[1, 59.9, 10.7], [2, 95.5, 10.7], [3, -91, 200], [4, None, -180], [5, 90, 180.5]],
    }
}


def test_pack_rules_find_and_clear_coordinates_off_the_globe(dblint_db: Any, dblint_run: Any) -> None:
    dblint_db.create(LOCALITY)
    base = ["check", dblint_db.url_string, "--select", "EXA", "--format", "json"]
    res = dblint_run(*base)
    assert res.exit_code == 1, res.stderr
    lat, lon = res.rule("EXA001"), res.rule("EXA002")
    assert (lat["violations"], lon["violations"]) == (2, 2)
    assert [e["key"] for e in lat["examples"]] == [{"LocalityID": 2}, {"LocalityID": 3}]
    assert (
        lat["examples"][0]["message"].startswith("Latitude1 = ")
        and "[-90, 90]" in lat["examples"][0]["message"]
    )

    shown = dblint_run(*base, "--diff", "--unsafe-fixes")
    assert [s["rows"] for s in shown.rule("EXA001")["diff"]] == [1, 1]  # below min, above max

    fixed = dblint_run(*base, "--fix", "--unsafe-fixes")
    assert fixed.exit_code == 0, fixed.stdout
    rows = dblint_db.query(
        'SELECT "LocalityID", "Latitude1", "Longitude1" FROM locality ORDER BY 1'
        if dblint_db.dialect != "mysql"
        else "SELECT LocalityID, Latitude1, Longitude1 FROM locality ORDER BY 1"
    )
    assert [(r[0], r[1] is None, r[2] is None) for r in rows] == [
        (1, False, False),
        (2, True, False),
        (3, True, True),
        (4, True, False),
        (5, False, True),
    ]


def test_clamp_fix_and_bounds(dblint_db: Any, dblint_run: Any, tmp_path: Path) -> None:
    dblint_db.create(
        {
            "reading": {
                "columns": {"id": "integer primary key", "pct": "integer", "kind": "varchar(8)"},
                "rows": [[1, -5, "a"], [2, 50, "a"], [3, 130, "a"], [4, 130, "b"], [5, None, "a"]],
            }
        }
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n"
        "  - id: PCT001\n    kind: range\n"
        "    params: {table: reading, column: pct, min: 0, max: 100, filter: {kind: a}}\n"
        "    fix: {safety: safe, action: clamp}\n"
        "  - id: PCT002\n    kind: range\n    params: {table: reading, column: pct, max: 100}\n"
    )
    base = ["check", dblint_db.url_string, "--rules", rules, "--select", "PCT", "--format", "json"]
    res = dblint_run(*base)
    assert (res.rule("PCT001")["violations"], res.rule("PCT002")["violations"]) == (2, 2)
    fixed = dblint_run(*base, "--fix")  # PCT002 has no fix; clamping for PCT001 halves its findings
    assert fixed.exit_code == 1 and fixed.rule("PCT001")["fixed"] == 2
    assert (fixed.rule("PCT001")["status"], fixed.rule("PCT002")["violations"]) == ("pass", 1)
    assert dblint_db.query("SELECT id, pct FROM reading ORDER BY id") == [
        (1, 0),
        (2, 50),
        (3, 100),
        (4, 130),
        (5, None),
    ]


def test_skipped_where_the_table_is_absent(dblint_db: Any, dblint_run: Any) -> None:
    res = dblint_run("check", dblint_db.url_string, "--select", "EXA", "--format", "json")
    assert res.exit_code == 2  # nothing checked is not a green run
    assert "no selected rule could run" in res.stderr
    assert res.rule("EXA001")["status"] == "skipped" and "locality" in res.rule("EXA001")["reason"]


def test_params_are_validated(dblint_run: Any, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - id: PCT003\n    kind: range\n    params: {table: t, column: c, min: 5, max: 1}\n"
    )
    res = dblint_run("rules", "--rules", rules)
    assert res.exit_code == 2
    assert "rules.yaml:4: PCT003: params: Value error, min (5.0) is greater than max (1.0)" in res.stderr
