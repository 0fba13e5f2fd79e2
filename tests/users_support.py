"""Shared data for the adoption, format and fixture tests (imported by the test modules)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_RULES = ROOT / "examples" / "demo" / "rules.yaml"

# The demo's planted problems, small enough for every dialect (see tests/cases/demo.yaml).
DEMO_TABLES = {
    "discipline": {
        "columns": {"UserGroupScopeId": "integer primary key", "Name": "varchar(64) not null"},
        "rows": [[3, "Ichthyology"], [5, "Herpetology"], [7, "Botany"]],
    },
    "spappresourcedir": {
        "columns": {
            "SpAppResourceDirID": "integer primary key autoincrement",
            "DisciplineID": "integer",
            "CollectionID": "integer",
            "UserType": "varchar(64)",
            "IsPersonal": "boolean not null",
            "DisciplineType": "varchar(64)",
        },
        "rows": [[1, 3, None, None, False, "Ichthyology"]],
    },
    "collectionobject": {
        "columns": {
            "CollectionObjectID": "integer primary key",
            "CollectionID": "integer",
            "CatalogNumber": "varchar(32)",
        },
        "rows": [[1, 4, "001"], [2, 4, None], [3, 4, None], [4, 6, None]],
    },
}


def demo_args(db, *more):
    return ["check", db.url_string, "--rules", str(DEMO_RULES), "--select", "DEMO001,DEMO002", *more]
