"""Bad input, fuzzed: malformed and hostile rule files and configs get exit code 2 and ONE line
naming the problem, never a traceback; YAML tags never execute; identifiers from rule files are
always quoted by SQLAlchemy (a name with quotes, semicolons or unicode is found, or reported
missing), never spliced into SQL."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linter.cli import cli

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VALID_RULE: dict[str, Any] = {
    "id": "FUZZ001",
    "title": "t",
    "severity": "error",
    "kind": "not_null",
    "params": {"table": "thing", "column": "name", "filter": {"id": {"gt": 0}}},
    "fix": {"safety": "unsafe", "set": "x"},
}
VALID_CONFIG: dict[str, Any] = {
    "database": {"statement_timeout": "30s", "lock_timeout": "2s"},
    "select": ["FUZZ"],
    "max_examples": 5,
    "vars": {},
    "fix": {"quarantine": False},
}

junk = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.text(max_size=30),
    st.just("x" * 200_000),  # huge value
)


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _assert_one_line_error(res: Any) -> None:
    assert "Traceback" not in res.output
    assert res.exit_code == 2, f"exit {res.exit_code}: {res.stdout} {res.stderr}"
    lines = res.stderr.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("dblint: "), res.stderr
    assert len(lines[0]) < 2000, "the error line repeats a huge value"


@st.composite
def broken_rule(draw: Any) -> dict[str, Any]:
    """A rule that is certainly invalid: one mutation that no validator can accept."""
    rule = copy.deepcopy(VALID_RULE)
    how = draw(
        st.sampled_from(
            [
                "drop",
                "unknown",
                "bad_id",
                "bad_kind",
                "bad_severity",
                "bad_param",
                "bad_fix",
                "param_unknown",
                "fix_unknown",
            ]
        )
    )
    if how == "drop":
        del rule[draw(st.sampled_from(["id", "kind"]))]
        if draw(st.booleans()):
            del rule["params"]["table"]
    elif how == "unknown":
        rule[
            draw(
                st.text(min_size=1, max_size=20).filter(
                    lambda k: k not in VALID_RULE and k not in ("description", "tags")
                )
            )
        ] = draw(junk)
    elif how == "bad_id":
        rule["id"] = draw(st.one_of(junk, st.from_regex(r"[a-z0-9;'\" ][^\n]{0,10}", fullmatch=True)))
    elif how == "bad_kind":
        rule["kind"] = draw(
            st.one_of(
                st.text(max_size=20).filter(
                    lambda k: (
                        k
                        not in (
                            "not_null",
                            "row_exists",
                            "unique",
                            "reference",
                            "sql",
                            "foreign_keys",
                            "primary_key",
                        )
                    )
                ),
                st.integers(),
            )
        )
    elif how == "bad_severity":
        rule["severity"] = draw(junk.filter(lambda v: v not in ("error", "warning", "info")))
    elif how == "bad_param":
        rule["params"][draw(st.sampled_from(["table", "column"]))] = draw(
            st.one_of(
                st.integers(),
                st.lists(st.text(max_size=3), max_size=2),
                st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
                st.booleans(),
                st.none(),
            )
        )
    elif how == "bad_fix":
        rule["fix"]["safety"] = draw(junk.filter(lambda v: v not in ("safe", "unsafe")))
    elif how == "param_unknown":
        rule["params"][
            draw(st.text(min_size=1, max_size=15).filter(lambda k: k not in ("table", "column", "filter")))
        ] = draw(junk)
    else:
        rule["fix"][
            draw(
                st.text(min_size=1, max_size=15).filter(
                    lambda k: k not in ("safety", "set", "handler", "quarantine")
                )
            )
        ] = draw(junk)
    return rule


@given(rule=broken_rule(), wrap=st.sampled_from(["mapping", "list"]))
@FUZZ
def test_broken_rules_are_one_line_errors(rule: dict[str, Any], wrap: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "rules.yaml"
        doc: Any = {"rules": [rule]} if wrap == "mapping" else [rule]
        p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        _assert_one_line_error(_invoke("rules", "--rules", str(p), "--disable-pack", "core"))


# YAML texts no rule file may be: tags that would run code, alias bombs, junk, deep nesting.
HOSTILE_YAML = [
    "rules: !!python/object/apply:os.system ['touch {marker}']\n",
    "!!python/object/apply:subprocess.check_call [['touch', '{marker}']]\n",
    "rules:\n  - !!python/object/new:os.system ['touch {marker}']\n",
    "rules: [!!python/name:os.system ]\n",
    "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nrules: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
    "rules: [" * 5000 + "]" * 5000 + "\n",
    "rules:\n\t- id: X1\n",
    "rules: {id: A1, id: A1}\n",
    "? [a, b]\n: c\nrules: []\n",
    "rules: [{id: A1, kind: not_null, params: {table: t, column: c}}]\n" + "x: 1\n",
    "rules: |\n  not a list\n",
    "\x00\x01\x02garbage",
    "%YAML 9.9\n---\nrules: []\n",
    "rules: []\n---\nrules: []\n",
    "- 1\n- 2\n",
    "just a string\n",
]


@given(text=st.sampled_from(HOSTILE_YAML), target=st.sampled_from(["rules", "config"]))
@settings(max_examples=60, deadline=None)
def test_hostile_yaml_never_executes_and_is_one_line(text: str, target: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        marker = Path(d) / "pwned"
        p = Path(d) / ("rules.yaml" if target == "rules" else "dblint.yaml")
        p.write_text(text.replace("{marker}", str(marker)), encoding="utf-8")
        args = ["rules", "--rules", str(p)] if target == "rules" else ["rules", "--config", str(p)]
        _assert_one_line_error(_invoke(*args))
        assert not marker.exists(), "a YAML tag executed code"


def test_invalid_utf8_and_oversized_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"rules: [\xff\xfe]\n")
    _assert_one_line_error(_invoke("rules", "--rules", str(bad)))
    huge = tmp_path / "huge.yaml"
    huge.write_text("rules: []\n# " + "x" * 6_000_000 + "\n")
    _assert_one_line_error(_invoke("rules", "--rules", str(huge)))
    _assert_one_line_error(_invoke("rules", "--config", str(huge)))


@st.composite
def broken_config(draw: Any) -> dict[str, Any]:
    cfg = copy.deepcopy(VALID_CONFIG)
    how = draw(
        st.sampled_from(
            ["unknown", "db_unknown", "timeout", "max_examples", "jobs", "lists", "database", "fix"]
        )
    )
    if how == "unknown":
        cfg[
            draw(
                st.text(min_size=1, max_size=15).filter(
                    lambda k: (
                        k
                        not in (
                            "database",
                            "rules",
                            "select",
                            "ignore",
                            "disable_packs",
                            "vars",
                            "max_examples",
                            "jobs",
                            "fix",
                        )
                    )
                )
            )
        ] = draw(junk)
    elif how == "db_unknown":
        cfg["database"][
            draw(
                st.text(min_size=1, max_size=15).filter(
                    lambda k: k not in ("url", "statement_timeout", "lock_timeout", "schema")
                )
            )
        ] = draw(junk)
    elif how == "timeout":
        cfg["database"][draw(st.sampled_from(["statement_timeout", "lock_timeout"]))] = draw(
            st.one_of(
                st.integers(max_value=0),
                st.floats(max_value=0),
                st.booleans(),
                st.lists(st.integers(), min_size=1, max_size=2),
                st.text(max_size=10).filter(
                    lambda s: not __import__("re").match(r"^\s*[0-9]*\.?[0-9]+\s*(ms|s|m|min|h)?\s*$", s)
                ),
                st.just("1e999h"),
                st.just("99999999999999999999999h"),
            )
        )
    elif how == "max_examples":
        cfg["max_examples"] = draw(
            st.one_of(
                st.integers(min_value=100_001),
                st.integers(max_value=-1),
                st.text(min_size=1, max_size=5).filter(lambda s: not s.strip().lstrip("+-").isdigit()),
                st.lists(st.integers(), max_size=2),
            )
        )
    elif how == "jobs":
        cfg["jobs"] = draw(st.one_of(st.integers(min_value=257), st.integers(max_value=0), st.just(10**100)))
    elif how == "lists":
        cfg[draw(st.sampled_from(["rules", "select", "ignore", "disable_packs"]))] = draw(
            st.one_of(
                st.integers(), st.dictionaries(st.text(max_size=3), st.integers(), min_size=1, max_size=2)
            )
        )
    elif how == "database":
        cfg["database"] = draw(
            st.one_of(st.integers(), st.lists(st.integers(), max_size=2), st.text(max_size=10))
        )
    else:
        cfg["fix"] = draw(
            st.one_of(
                st.integers(),
                st.text(max_size=5),
                st.dictionaries(
                    st.text(min_size=1, max_size=5).filter(lambda k: k != "quarantine"),
                    st.integers(),
                    min_size=1,
                    max_size=2,
                ),
            )
        )
    return cfg


@given(cfg=broken_config())
@FUZZ
def test_broken_configs_are_one_line_errors(cfg: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "dblint.yaml"
        p.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
        _assert_one_line_error(_invoke("rules", "--config", str(p)))


@given(cfg=broken_config())
@settings(max_examples=40, deadline=None)
def test_broken_pyproject_configs_are_one_line_errors(cfg: dict[str, Any]) -> None:
    import json

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "pyproject.toml"
        # JSON values are valid TOML inline values for these shapes (no nulls are generated).
        body = "\n".join(
            f"{json.dumps(k)} = {json.dumps(v)}" for k, v in cfg.items() if not isinstance(v, dict)
        )
        tables = "\n".join(
            f"[tool.dblint.{json.dumps(k)}]\n"
            + "\n".join(f"{json.dumps(k2)} = {json.dumps(v2)}" for k2, v2 in v.items())
            for k, v in cfg.items()
            if isinstance(v, dict)
        )
        try:
            p.write_text(f"[tool.dblint]\n{body}\n{tables}\n", encoding="utf-8")
            import tomllib

            tomllib.loads(p.read_text())
        except (ValueError, TypeError):
            return  # not expressible as TOML (NaN, huge floats): nothing to test
        _assert_one_line_error(_invoke("rules", "--config", str(p)))


# --- identifiers: quoted by SQLAlchemy, or reported missing ---------------------------------------

ident = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip() == s and s.strip())
HOSTILE_NAMES = [
    'a"b',
    "a'b",
    "x; DROP TABLE victim; --",
    "`t`",
    "[t]",
    "ünï☃",
    "a b",
    "a.b",
    "a%s",
    "a:b",
    "\\",
    'Robert"); DROP TABLE victim;--',
]


def _names() -> Any:
    return st.one_of(st.sampled_from(HOSTILE_NAMES), ident)


@given(table=_names(), column=_names(), exists=st.booleans())
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_hostile_identifiers_are_quoted_or_missing(table: str, column: str, exists: bool) -> None:
    with tempfile.TemporaryDirectory() as d:
        url = f"sqlite:///{d}/db.sqlite"
        eng = sa.create_engine(url)
        md = sa.MetaData()
        sa.Table("victim", md, sa.Column("id", sa.Integer, primary_key=True))
        if exists and table.lower() != "victim":
            sa.Table(
                table,
                md,
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column(column if column.lower() != "id" else column + "2", sa.Text),
            )
        md.create_all(eng)
        col = column if column.lower() != "id" else column + "2"
        if exists and table.lower() != "victim":
            with eng.begin() as c:
                c.execute(sa.insert(md.tables[table]), [{"id": 1, col: None}, {"id": 2, col: "v"}])
        eng.dispose()
        rules = Path(d) / "r.yaml"
        rules.write_text(
            yaml.safe_dump(
                {
                    "rules": [
                        {
                            "id": "FUZZ001",
                            "kind": "not_null",
                            "params": {"table": table, "column": col},
                            "fix": {"safety": "safe", "set": "'; DROP TABLE victim; --"},
                        }
                    ]
                },
                allow_unicode=True,
            ),
            encoding="utf-8",
        )
        res = _invoke(
            "check", url, "--rules", str(rules), "--select", "FUZZ", "--format", "json", "--fix", "--no-undo"
        )
        assert "Traceback" not in res.output
        import json

        doc = json.loads(res.stdout)
        r = doc["rules"][0]
        if exists and table.lower() != "victim":
            assert r["status"] == "pass" and r["fixed"] == 1, r  # found through quoting, and fixed
        else:
            assert r["status"] == "skipped" and "does not exist" in r["reason"], r
        eng = sa.create_engine(url)
        assert "victim" in sa.inspect(eng).get_table_names()
        eng.dispose()


@pytest.mark.parametrize("dblint_db", ["postgresql", "mysql"], indirect=True)
def test_hostile_identifiers_on_servers(dblint_db, dblint_run, tmp_path):
    names = ['we"ird', "it's", "semi;colon", "ünï☃"]
    md = sa.MetaData()
    for n in names:
        sa.Table(n, md, sa.Column("id", sa.Integer, primary_key=True), sa.Column(f"c{n}", sa.Text))
    sa.Table("victim", md, sa.Column("id", sa.Integer, primary_key=True))
    md.create_all(dblint_db.engine)
    with dblint_db.engine.begin() as c:
        for n in names:
            c.execute(sa.insert(md.tables[n]), [{"id": 1, f"c{n}": None}])
    rules = tmp_path / "r.yaml"
    rules.write_text(
        yaml.safe_dump(
            {
                "rules": [
                    {
                        "id": f"FUZZ00{i + 1}",
                        "kind": "not_null",
                        "params": {"table": n, "column": f"c{n}"},
                        "fix": {"safety": "safe", "set": "x'; DROP TABLE victim; --"},
                    }
                    for i, n in enumerate(names)
                ]
                + [{"id": "FUZZ009", "kind": "not_null", "params": {"table": "no\"such';x", "column": "c"}}]
            },
            allow_unicode=True,
        )
    )
    res = dblint_run(
        "check",
        dblint_db.url_string,
        "--rules",
        str(rules),
        "--select",
        "FUZZ",
        "--format",
        "json",
        "--fix",
        "--undo-file",
        str(tmp_path / "u.sql"),
    )
    assert res.exit_code == 0, res.stdout + res.stderr
    assert [r["fixed"] for r in res.json()["rules"][:4]] == [1, 1, 1, 1]
    assert res.rule("FUZZ009")["status"] == "skipped"
    assert "victim" in dblint_db.table_names()
    dblint_db.apply_script(tmp_path / "u.sql")
    for n in names:
        assert (
            dblint_db.count(n, f"{dblint_db.engine.dialect.identifier_preparer.quote('c' + n)} IS NULL") == 1
        )
