"""Baselines (--write-baseline / --baseline) and config suppressions, on every dialect."""

import json

import pytest
from users_support import demo_args

from linter.adopt import baseline


def _config(tmp_path, text):
    p = tmp_path / "dblint.yaml"
    p.write_text(text)
    return str(p)


def test_baseline_hides_known_violations_and_counts_fixed_ones(demo_db, dblint_run, tmp_path):
    base = tmp_path / "baseline.json"
    wrote = dblint_run(*demo_args(demo_db, "--write-baseline", base))
    assert wrote.exit_code == 0, wrote.stdout + wrote.stderr
    assert "wrote 4 baseline entries" in wrote.stderr
    entries = json.loads(base.read_text())["entries"]
    assert [(e["rule"], e["table"].lower(), list(e["key"].values())) for e in entries] == [
        ("DEMO001", "discipline", [5]),
        ("DEMO001", "discipline", [7]),
        ("DEMO002", "collectionobject", [2]),
        ("DEMO002", "collectionobject", [3]),
    ]
    same = dblint_run(*demo_args(demo_db, "--baseline", base, "--format", "json"))
    assert same.exit_code == 0
    assert same.json()["baseline"] == {"entries": 4, "known": 4, "fixed": 0}

    # one known violation fixed, one new one: only the new one is reported, the fixed one counted
    q = demo_db.engine.dialect.identifier_preparer.quote
    demo_db.execute(
        f"UPDATE collectionobject SET {q('CatalogNumber')} = 'x' WHERE {q('CollectionObjectID')} = 2"
    )
    demo_db.execute("INSERT INTO discipline VALUES (11, 'Mammals')")
    later = dblint_run(*demo_args(demo_db, "--baseline", base, "--format", "json"))
    assert later.exit_code == 1
    assert later.json()["baseline"] == {"entries": 4, "known": 3, "fixed": 1}
    r = later.rule("DEMO001")
    assert (r["status"], r["violations"], [e["key"] for e in r["examples"]]) == (
        "fail",
        1,
        [{"UserGroupScopeId": 11}],
    )
    assert later.rule("DEMO002")["status"] == "pass"
    text = dblint_run(*demo_args(demo_db, "--baseline", base))
    assert "Baseline: 3 known violation(s) hidden. 1 baseline entry is fixed now" in text.stdout


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_baseline_streams_in_pages_with_exact_counts(dblint_db, dblint_run, tmp_path, monkeypatch):
    monkeypatch.setattr(baseline, "PAGE", 7)  # many pages for a few hundred rows
    dblint_db.create(
        {
            "t": {
                "columns": {"id": "integer primary key", "v": "integer"},
                "rows": [[i, None] for i in range(1, 301)],
            }
        }
    )
    rules = tmp_path / "r.yaml"
    rules.write_text("rules: [{id: T001, kind: not_null, params: {table: t, column: v}}]\n")
    args = ["check", dblint_db.url_string, "--rules", str(rules), "--select", "T001", "--max-examples", "3"]
    base = tmp_path / "b.json"
    assert dblint_run(*args, "--write-baseline", base).exit_code == 0
    assert len(json.loads(base.read_text())["entries"]) == 300
    dblint_db.execute("INSERT INTO t VALUES (301, NULL), (302, NULL); UPDATE t SET v = 1 WHERE id <= 10")
    res = dblint_run(*args, "--baseline", base, "--format", "json")
    r = res.rule("T001")
    assert (r["violations"], len(r["examples"])) == (2, 2)
    assert res.json()["baseline"] == {"entries": 300, "known": 290, "fixed": 10}


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_bad_baseline_files_are_one_line_errors(demo_db, dblint_run, tmp_path):
    missing = dblint_run(*demo_args(demo_db, "--baseline", tmp_path / "nope.json"))
    assert missing.exit_code == 2 and "no such baseline file" in missing.stderr
    junk = tmp_path / "junk.json"
    junk.write_text('{"something": 1}')
    res = dblint_run(*demo_args(demo_db, "--baseline", junk))
    assert res.exit_code == 2 and "not a dblint baseline" in res.stderr and "Traceback" not in res.stderr


def test_suppressions_by_rule_table_and_key(demo_db, dblint_run, tmp_path):
    cfg = _config(
        tmp_path,
        """suppress:
  - {rule: DEMO001, key: {UserGroupScopeId: 5}, reason: discipline 5 is being retired}
  - {rule: DEMO002, table: collectionobject, reason: catalog numbers come from the 2026 import}
""",
    )
    res = dblint_run(*demo_args(demo_db, "--config", cfg, "--format", "json"))
    assert res.exit_code == 1
    assert res.rule("DEMO001")["violations"] == 1 and res.rule("DEMO002")["status"] == "pass"
    assert res.json()["suppressed"] == 3
    whole = _config(tmp_path, "suppress: [{rule: DEMO00, reason: not ours}]\n")
    res = dblint_run(*demo_args(demo_db, "--config", whole, "--format", "json"))
    assert res.exit_code == 2 and "no selected rule could run" in res.stderr  # everything suppressed
    assert (
        res.rule("DEMO001")["status"] == "skipped"
        and "suppressed in config: not ours" in res.rule("DEMO001")["reason"]
    )


def test_fix_leaves_suppressed_rows_alone(demo_db, dblint_run, tmp_path):
    cfg = _config(
        tmp_path,
        "suppress: [{rule: DEMO001, key: {UserGroupScopeId: 5}, reason: retired}]\n",
    )
    res = dblint_run(*demo_args(demo_db, "--config", cfg, "--fix", "--unsafe-fixes", "--format", "json"))
    assert res.rule("DEMO002")["fixed"] == 2  # no suppression: fixed as usual
    assert res.rule("DEMO001")["fixed"] == 0 and res.rule("DEMO001")["violations"] == 1
    assert demo_db.count("spappresourcedir") == 1  # discipline 5's (suppressed) row was not inserted


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_suppressions_need_a_reason_and_a_known_rule(demo_db, dblint_run, tmp_path):
    cfg = _config(tmp_path, "suppress: [{rule: DEMO001}]\n")
    res = dblint_run(*demo_args(demo_db, "--config", cfg))
    assert res.exit_code == 2 and "dblint.yaml:1: suppress.0.reason: is required" in res.stderr
    cfg = _config(tmp_path, "suppress: [{rule: NOPE9, reason: x}]\n")
    res = dblint_run(*demo_args(demo_db, "--config", cfg))
    assert res.exit_code == 2 and "suppress[0]: rule NOPE9 matches no loaded rule" in res.stderr
    cfg = _config(tmp_path, "suppress: [{reason: x}]\n")
    res = dblint_run(*demo_args(demo_db, "--config", cfg))
    assert res.exit_code == 2 and "a suppression names a rule, a table, or both" in res.stderr
