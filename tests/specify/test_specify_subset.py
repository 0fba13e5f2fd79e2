"""The Specify pack on SQLite and PostgreSQL: the subset of Specify's tables the rules read
(RESEARCH.md §5), in lower case as PostgreSQL folds them, two disciplines and three collections."""

from __future__ import annotations

import datetime

import pytest

INT, S, T, DT = "integer", "smallint", "varchar(255)", "datetime"
PK = "integer primary key"
STAMP = {"timestampcreated": DT, "version": INT}


def tree(name: str, owner: str = "disciplineid") -> dict[str, str]:
    return {f"{name}treedefid": PK, "name": T, owner: INT}


def nodes(name: str) -> dict[str, str]:
    return {f"{name}id": PK, "name": T, "isaccepted": S, "acceptedid": INT, f"{name}treedefid": INT}


TABLES = {
    # Specify's version table: with the hierarchy below, what makes this a Specify database (the
    # specify pack's dblint_applies).
    "spversion": {
        "columns": {
            "spversionid": PK,
            "appname": "varchar(32)",
            "appversion": "varchar(16)",
            "schemaversion": "varchar(16)",
            **STAMP,
        },
        "rows": [[1, "Specify", "7.12.0.6", "2.10", datetime.datetime(2025, 1, 1), 0]],
    },
    "institution": {
        "columns": {"usergroupscopeid": PK, "name": T, "storagetreedefid": INT},
        "rows": [[1, "Museum", 1]],
    },
    "division": {
        "columns": {"usergroupscopeid": PK, "name": T, "institutionid": INT},
        "rows": [[2, "Division", 1]],
    },
    "discipline": {
        "columns": {
            "usergroupscopeid": PK,
            "name": T,
            "type": T,
            "divisionid": INT,
            "taxontreedefid": INT,
            "geographytreedefid": INT,
            "geologictimeperiodtreedefid": INT,
            "lithostrattreedefid": INT,
            "tectonicunittreedefid": INT,
        },
        "rows": [
            [3, "Ichthyology", "fish", 2, 1, 1, 1, None, None],
            [5, "Herpetology", "herpetology", 2, None, 2, 2, None, None],
        ],
    },
    "collection": {
        "columns": {
            "usergroupscopeid": PK,
            "collectionname": T,
            "disciplineid": INT,
            "collectionobjecttypeid": INT,
            "code": T,
        },
        "rows": [
            [4, "Fish", 3, None, "FSH"],
            [6, "Reptiles", 5, None, "REP"],
            [7, "Fish Tissues", 3, None, "FT"],
        ],
    },
    "taxontreedef": {"columns": tree("taxon"), "rows": [[1, "Taxon", None]]},
    "geographytreedef": {"columns": tree("geography"), "rows": [[1, "Geo", 3], [2, "Geo 2", 5]]},
    "geologictimeperiodtreedef": {
        "columns": tree("geologictimeperiod"),
        "rows": [[1, "Chrono", 3], [2, "Chrono 2", 5]],
    },
    "lithostrattreedef": {"columns": tree("lithostrat")},
    "storagetreedef": {"columns": tree("storage", "institutionid"), "rows": [[1, "Storage", None]]},
    "taxon": {
        "columns": nodes("taxon"),
        "rows": [[1, "Life", 1, None, 1], [2, "Lost", 0, None, 1], [3, "Vita", 0, 1, 1]],
    },
    "geography": {"columns": nodes("geography")},
    "storage": {"columns": nodes("storage")},
    "geologictimeperiod": {"columns": nodes("geologictimeperiod")},
    "lithostrat": {"columns": nodes("lithostrat")},
    "collectionobjecttype": {
        "columns": {
            "collectionobjecttypeid": PK,
            "name": T,
            "collectionid": INT,
            "taxontreedefid": INT,
            **STAMP,
        }
    },
    "collectionobject": {
        "columns": {"collectionobjectid": PK, "collectionid": INT, "collectionobjecttypeid": INT},
        "rows": [[1, 4, None]],
    },
    "picklist": {
        "columns": {
            "picklistid": PK,
            "name": T,
            "type": S,
            "tablename": T,
            "fieldname": T,
            "formatter": T,
            "issystem": S,
            "readonly": S,
            "sizelimit": INT,
            "sorttype": S,
            "collectionid": INT,
            **STAMP,
        },
        "rows": [[1, "CollectionObjectType", 0, None, None, None, 0, 0, None, None, 7, None, 0]],
    },
    "picklistitem": {
        "columns": {"picklistitemid": PK, "picklistid": INT, "title": T, "value": T, "ordinal": INT, **STAMP}
    },
    "splocalecontainer": {
        "columns": {
            "splocalecontainerid": PK,
            "name": T,
            "disciplineid": INT,
            "schematype": S,
            "ishidden": S,
            "issystem": S,
            **STAMP,
        }
    },
    "splocalecontaineritem": {
        "columns": {
            "splocalecontaineritemid": PK,
            "splocalecontainerid": INT,
            "name": T,
            "type": T,
            "ishidden": S,
            "issystem": S,
            "isrequired": S,
            **STAMP,
        }
    },
    "splocaleitemstr": {
        "columns": {
            "splocaleitemstrid": PK,
            "text": "varchar(2048)",
            "language": T,
            "country": T,
            "variant": T,
            "splocalecontainernameid": INT,
            "splocalecontainerdescid": INT,
            "splocalecontaineritemnameid": INT,
            "splocalecontaineritemdescid": INT,
            **STAMP,
        }
    },
    "spappresourcedir": {
        "columns": {
            "spappresourcedirid": PK,
            "disciplineid": INT,
            "collectionid": INT,
            "specifyuserid": INT,
            "usertype": T,
            "ispersonal": S,
            "disciplinetype": T,
            **STAMP,
        },
        "rows": [
            [1, 3, None, None, None, 0, "fish", None, 0],
            [2, 3, None, None, None, 0, "Ichthyology", None, 0],
        ],
    },
    "spappresource": {"columns": {"spappresourceid": PK, "spappresourcedirid": INT, "name": T}},
    "spviewsetobj": {"columns": {"spviewsetobjid": PK, "spappresourcedirid": INT, "name": T}},
    "specifyuser": {
        "columns": {"specifyuserid": PK, "name": T, "usertype": T},
        "rows": [[1, "admin", "Manager"]],
    },
    "uniquenessrule": {
        "columns": {
            "uniquenessruleid": PK,
            "modelname": "varchar(256)",
            "isdatabaseconstraint": S,
            "disciplineid": INT,
        },
        "rows": [[1, "CollectionObject", 1, 5]],
    },
    "uniquenessrule_fields": {
        "columns": {"uniquenessrule_fieldid": PK, "uniquenessruleid": INT, "fieldpath": "text", "isscope": S},
        "rows": [[1, 1, "catalognumber", 0], [2, 1, "Collection", 1]],
    },
    "tectonicunittreedef": {
        "columns": {"tectonicunittreedefid": PK, "name": T, "disciplineid": INT, **STAMP},
        "rows": [[1, "Old orphan", None, None, 0]],
    },
    "tectonicunittreedefitem": {
        "columns": {
            "tectonicunittreedefitemid": PK,
            "name": T,
            "title": T,
            "rankid": INT,
            "isenforced": S,
            "isinfullname": S,
            "parentitemid": INT,
            "tectonicunittreedefid": INT,
            **STAMP,
        }
    },
    "tectonicunit": {
        "columns": {
            "tectonicunitid": PK,
            "name": T,
            "fullname": T,
            "rankid": INT,
            "isaccepted": S,
            "parentid": INT,
            "tectonicunittreedefid": INT,
            "tectonicunittreedefitemid": INT,
            **STAMP,
        }
    },
    "sprole": {
        "columns": {"id": PK, "collection_id": INT, "name": "varchar(1024)", "description": "text"},
        "rows": [[1, 4, "full access - legacy", "edited"]],
    },
    "sprolepolicy": {"columns": {"id": PK, "role_id": INT, "resource": T, "action": T}},
    "splibraryrole": {"columns": {"id": PK, "name": "varchar(1024)", "description": "text"}},
    "splibraryrolepolicy": {"columns": {"id": PK, "role_id": INT, "resource": T, "action": T}},
    "spuserpolicy": {
        "columns": {"id": PK, "collection_id": INT, "specifyuser_id": INT, "resource": T, "action": T},
        "rows": [[1, 4, 1, "/workbench/dataset", "upload"]],
    },
    "spquery": {"columns": {"spqueryid": PK, "name": T, "smushed": S}, "rows": [[1, "q", None], [2, "r", 0]]},
    "locality": {
        "columns": {
            "localityid": PK,
            "localityname": T,
            "disciplineid": INT,
            "latitude1": "numeric(22,10)",
            "longitude1": "numeric(22,10)",
            "latitude2": "numeric(22,10)",
            "longitude2": "numeric(22,10)",
            "lat1text": "varchar(50)",
            "long1text": "varchar(50)",
            "lat2text": "varchar(50)",
            "long2text": "varchar(50)",
        },
        "rows": [[1, "A", 3, 35.345, None, None, None, None, None, None, None]],
    },
}

EXPECTED = {
    "SPEC101": 430,
    "SPEC102": 430,
    "SPEC103": 0,
    "SPEC104": 0,
    "SPEC105": 0,
    "SPEC106": 0,
    "SPEC201": 2,
    "SPEC202": 3,
    "SPEC203": 3,
    "SPEC204": 3,
    "SPEC205": 3,
    "SPEC206": 1,
    "SPEC207": 0,
    "SPEC301": 31 * 2 + 18,
    "SPEC302": 1,
    "SPEC303": 0,
    "SPEC401": 1,
    "SPEC402": 1,
    "SPEC403": 1,
    "SPEC501": 2,
    "SPEC502": 0,
    "SPEC503": 1,
    "SPEC504": 1,
    "SPEC505": 0,
    "SPEC506": 0,
    "SPEC507": 2,
    "SPEC508": 1,
    "SPEC509": 0,
    "SPEC601": 2,
    "SPEC602": 1,
    "SPEC603": 0,
    "SPEC604": 0,
    "SPEC701": 1,
    "SPEC702": 1,
    "SPEC703": 17 + 3,
    "SPEC704": 0,
    "SPEC901": 1,
    "SPEC902": 1,
}


INDEXES = [  # the foreign-key indexes Specify's schema has on the tables the pack reads most
    "CREATE INDEX ix_item_container ON splocalecontaineritem (splocalecontainerid)",
    "CREATE INDEX ix_container_discipline ON splocalecontainer (disciplineid)",
    *[
        f"CREATE INDEX ix_str_{c} ON splocaleitemstr (splocalecontainer{c}id)"
        for c in ("name", "desc", "itemname", "itemdesc")
    ],
    "CREATE INDEX ix_rulefield_rule ON uniquenessrule_fields (uniquenessruleid)",
]


def _counts(res):  # type: ignore[no-untyped-def]
    return {
        r["id"]: (r["violations"] if r["status"] in ("pass", "fail") else f"{r['status']}: {r['reason']}")
        for r in res.json()["rules"]
    }


@pytest.mark.parametrize("dblint_db", ["sqlite", "postgresql"], indirect=True)
def test_specify_rules_on_the_table_subset(dblint_db, dblint_run):
    dblint_db.create(TABLES)
    dblint_db.execute(INDEXES)
    base = ["check", dblint_db.url_string, "--select", "SPEC", "--format", "json"]
    res = dblint_run(*base)
    assert res.exit_code == 1, res.stderr + res.stdout
    assert _counts(res) == EXPECTED

    text = dblint_run(
        "check",
        dblint_db.url_string,
        "--select",
        "SPEC101",
        "--var",
        "discipline_id=5",
        "--max-examples",
        "2",
    ).stdout
    lines = [line for line in text.splitlines() if "://" not in line]  # a server's URL: its heading
    assert lines[0].endswith("SPEC101 error Discipline: Herpetology (id=5)"), text
    assert (
        lines[1]
        == "    splocalecontainer[disciplineid=5, container=absoluteage] Missing container: AbsoluteAge"
    ), text
    one = _counts(dblint_run(*base, "--var", "discipline_id=5"))
    assert (
        one["SPEC101"],
        one["SPEC201"],
        one["SPEC401"],
        one["SPEC501"],
        one["SPEC601"],
        one["SPEC602"],
    ) == (215, 1, 1, 1, 0, 1)

    fixed = dblint_run(*base, "--fix", "--unsafe-fixes")
    after = _counts(fixed)
    assert {k: v for k, v in after.items() if v} == {"SPEC206": 1, "SPEC602": 1}, fixed.stdout[-2000:]
    assert dblint_db.count("splocalecontaineritem") == 2 * 4515
    assert dblint_db.count("tectonicunittreedefitem") == 3 * 6 and dblint_db.count("tectonicunit") == 3
    assert (
        dblint_db.count(
            "uniquenessrule",
            "disciplineid = 5 AND isdatabaseconstraint = 0 AND modelname = 'CollectionObject'",
        )
        == 1
    )
    assert dblint_db.count("splibraryrole") == 17 and dblint_db.count("splibraryrolepolicy") == 404
    assert dblint_db.scalar("SELECT lat1text FROM locality WHERE localityid = 1") is not None
    # the temporary marker names never survive the transaction
    assert (
        dblint_db.count("picklist", "name LIKE 'dblint:%'")
        == dblint_db.count("uniquenessrule", "modelname LIKE 'dblint:%'")
        == 0
    )
    again = dblint_run(*base, "--fix", "--unsafe-fixes")
    assert sum(r["fixed"] for r in again.json()["rules"]) == 0


@pytest.mark.parametrize("dblint_db", ["sqlite"], indirect=True)
def test_rules_whose_tables_are_absent_are_skipped(dblint_db, dblint_run):
    marker = ("spversion", "institution", "division", "discipline", "collection")  # a Specify database
    dblint_db.create({k: TABLES[k] for k in (*marker, "picklist", "spappresourcedir")})
    res = dblint_run("check", dblint_db.url_string, "--select", "SPEC", "--format", "json")
    status = {r["id"]: r["status"] for r in res.json()["rules"]}
    assert "error" not in status.values(), res.stdout
    reasons = {r["id"]: r["reason"] for r in res.json()["rules"]}
    assert status["SPEC501"] == "skipped" and "tectonicunittreedef" in reasons["SPEC501"]
    assert status["SPEC101"] == "skipped" and status["SPEC206"] == "fail" and status["SPEC402"] == "fail"
