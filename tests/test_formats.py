"""--format sarif/junit/github, --statistics, --quiet, --exit-zero, --fail-on, the progress line."""

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from users_support import DEMO_RULES, demo_args

from linter.report.progress import Progress, wanted

SARIF_SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


def test_sarif_is_valid_against_the_sarif_2_1_0_schema(demo_db, dblint_run):
    res = dblint_run(*demo_args(demo_db, "--format", "sarif"))
    assert res.exit_code == 1, res.stderr
    doc = json.loads(res.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    run = doc["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["DEMO001", "DEMO002"]
    got = sorted((r["ruleId"], r["level"], json.dumps(r["properties"]["key"])) for r in run["results"])
    assert got == [
        ("DEMO001", "error", '{"UserGroupScopeId": 5}'),
        ("DEMO001", "error", '{"UserGroupScopeId": 7}'),
        ("DEMO002", "warning", '{"CollectionObjectID": 2}'),
        ("DEMO002", "warning", '{"CollectionObjectID": 3}'),
    ]
    assert run["invocations"][0]["executionSuccessful"] is True
    # the same violation has the same fingerprint on every run
    again = json.loads(dblint_run(*demo_args(demo_db, "--format", "sarif")).stdout)
    fps = lambda d: sorted(r["partialFingerprints"]["dblintViolation/v1"] for r in d["runs"][0]["results"])  # noqa: E731
    assert fps(doc) == fps(again)


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_sarif_counts_what_the_examples_leave_out_and_merges_targets(demo_db, dblint_run, tmp_path):
    other = tmp_path / "other.sqlite"
    other.write_bytes(Path(demo_db.url.database).read_bytes())
    res = dblint_run(*demo_args(demo_db, "--format", "sarif", "--max-examples", "1"), str(other))
    doc = json.loads(res.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    assert len(doc["runs"]) == 2
    omitted = [r for r in doc["runs"][0]["results"] if "omitted" in r["properties"]]
    assert sorted((r["ruleId"], r["properties"]["omitted"]) for r in omitted) == [
        ("DEMO001", 1),
        ("DEMO002", 1),
    ]


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_junit_has_one_testcase_per_rule(demo_db, dblint_run):
    demo_db.execute("UPDATE collectionobject SET CatalogNumber = 'x'")  # DEMO002 passes now
    res = dblint_run(
        "check", demo_db.url_string, "--rules", str(DEMO_RULES), "--select", "DEMO", "--format", "junit"
    )
    root = ET.fromstring(res.stdout)
    suite = root.find("testsuite")
    cases = {c.get("name").split(":")[0]: c for c in suite.findall("testcase")}
    assert cases["DEMO001"].find("failure").get("message") == "2 violation(s)"
    assert "UserGroupScopeId=5" in cases["DEMO001"].find("failure").text
    assert cases["DEMO002"].find("failure") is None and cases["DEMO002"].find("skipped") is None
    assert cases["DEMO003"].find("skipped") is not None  # its table is missing
    assert (root.get("failures"), suite.get("tests")) == ("1", str(len(cases)))


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_github_annotations(demo_db, dblint_run, tmp_path, monkeypatch):
    res = dblint_run(*demo_args(demo_db, "--format", "github"))
    lines = res.stdout.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("::error file=") and ",title=DEMO001 Every discipline" in lines[0]
    assert lines[0].endswith(
        "::discipline UserGroupScopeId=5: no spappresourcedir row with DisciplineID=5, "
        "CollectionID=NULL, UserType=NULL, IsPersonal=0"
    )
    assert lines[2].startswith("::warning ")
    # a server URL is not a file of the repository: no file= property
    demo = tmp_path / "x.sqlite"
    demo.write_bytes(Path(demo_db.url.database).read_bytes())
    monkeypatch.chdir(tmp_path)
    res = dblint_run(
        "check", "x.sqlite", "--rules", str(DEMO_RULES), "--select", "DEMO001", "--format", "github"
    )
    assert res.stdout.startswith("::error file=x.sqlite,title=DEMO001 ")


def test_github_escapes_properties_and_data():
    from linter.report.github import escape_data as _data
    from linter.report.github import escape_property as _prop

    assert _prop("a,b:c%\n") == "a%2Cb%3Ac%25%0A"
    assert _data("a,b:c%\r\n") == "a,b:c%25%0D%0A"


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_statistics_counts_per_rule_most_first(demo_db, dblint_run):
    demo_db.execute("INSERT INTO collectionobject VALUES (9, 4, NULL)")  # DEMO002: 3
    res = dblint_run(*demo_args(demo_db, "--statistics"))
    assert res.exit_code == 1
    *lines, total = res.stdout.splitlines()
    assert total == "5 violations in 2 rules (5 fixable: [*])"
    rows = [line.split("\t") for line in lines]
    assert [(r[0].strip(), r[1].strip(), r[2][:3]) for r in rows] == [
        ("3", "DEMO002", "[*]"),
        ("2", "DEMO001", "[*]"),
    ]
    doc = json.loads(dblint_run(*demo_args(demo_db, "--statistics", "--format", "json")).stdout)
    assert [(d["code"], d["count"]) for d in doc] == [("DEMO002", 3), ("DEMO001", 2)]
    bad = dblint_run(*demo_args(demo_db, "--statistics", "--format", "sarif"))
    assert bad.exit_code == 2 and "--statistics prints text or json" in bad.stderr


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_quiet_prints_findings_only(demo_db, dblint_run):
    res = dblint_run(*demo_args(demo_db, "--quiet"))
    assert res.exit_code == 1 and len(res.stdout.splitlines()) == 4
    assert "Ran " not in res.stdout
    demo_db.execute("DELETE FROM discipline; DELETE FROM collectionobject")
    clean = dblint_run(*demo_args(demo_db, "-q"))
    assert (clean.exit_code, clean.stdout) == (0, "")


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_fail_on_and_exit_zero(demo_db, dblint_run):
    # DEMO001 is an error, DEMO002 a warning
    assert dblint_run(*demo_args(demo_db, "--fail-on", "error")).exit_code == 1
    only_warning = ["check", demo_db.url_string, "--rules", str(DEMO_RULES), "--select", "DEMO002"]
    assert dblint_run(*only_warning).exit_code == 1
    assert dblint_run(*only_warning, "--fail-on", "warning").exit_code == 1
    assert dblint_run(*only_warning, "--fail-on", "error").exit_code == 0
    assert dblint_run(*demo_args(demo_db, "--exit-zero")).exit_code == 0
    # a rule that cannot run is dblint failing, not the data: --exit-zero does not hide it
    broken = demo_db.url.database + ".rules.yaml"
    Path(broken).write_text(
        "rules: [{id: BAD1, kind: sql, params: {query: 'SELECT * FROM nowhere_at_all'}}]\n"
    )
    assert (
        dblint_run(
            "check", demo_db.url_string, "--rules", broken, "--select", "BAD1", "--exit-zero"
        ).exit_code
        == 2
    )


class FakeTty(io.StringIO):
    def isatty(self):
        return True


def test_progress_only_for_people_on_a_terminal():
    assert wanted(FakeTty(), machine=False, to_file=False, quiet=False)
    assert not wanted(io.StringIO(), machine=False, to_file=False, quiet=False)  # not a terminal
    assert not wanted(FakeTty(), machine=True, to_file=False, quiet=False)  # json, sarif, junit, github
    assert not wanted(FakeTty(), machine=False, to_file=True, quiet=False)
    assert not wanted(FakeTty(), machine=False, to_file=False, quiet=True)


def test_machine_formats_say_so():
    from linter.app import App
    from linter.load.config import Config

    formats = App.load(Config()).formats
    assert {n for n, f in formats.items() if not f.machine} == {"text"}
    assert {"json", "sarif", "junit", "github"} <= set(formats)


def test_progress_line_shows_rule_n_of_m_and_elapsed_then_clears():
    class Rule:
        id = "DEMO002"

    now = [100.0]
    out = FakeTty()
    p = Progress(out, delay=0.3, clock=lambda: now[0])
    p(0, 5, Rule())
    assert out.getvalue() == ""  # a quick run draws nothing
    now[0] = 101.5
    p(1, 5, Rule())
    assert "rule 2 of 5: DEMO002 (1.5s)" in out.getvalue()
    p.clear()
    assert out.getvalue().endswith("\r\033[K")


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_no_progress_output_when_stderr_is_not_a_terminal(demo_db, dblint_run):
    res = dblint_run(*demo_args(demo_db))
    assert res.stderr == ""
