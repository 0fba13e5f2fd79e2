#!/usr/bin/env python3
"""Derive the Specify pack's data files (rules/dblint_specify/data/) from Specify's reference files.

    python scripts/specify_data.py [REFERENCE_DIR]   # default: ../shared/reference/specify

Writes, per Specify version, a compact datamodel (tables → schema-config container name, fields and
relationships without the id field), the default uniqueness rules (verbatim) and the default library
roles with their policies (from the rows Specify's own migrations write). Run it again for a new
Specify version and commit the new ``datamodel_<version>.json``.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "rules" / "dblint_specify" / "data"
# PM-1b: the library roles Specify's permission initialisation guarantees by name.
DEFAULT_LIBRARY_ROLES = [
    "Assign Roles",
    "Create Data Sets",
    "Edit Forms and Global Preferences",
    "Edit Pick lists",
    "Edit Taxon Tree",
    "Export Data",
    "Full Data Access",
    "Full WorkBench access",
    "Inspect Audit Log",
    "Manage Interactions",
    "Print Reports",
    "Read-Only Access",
    "Run Queries",
    "Security Admin",
    "Collection Admin",
    "Read Only - Legacy",
    "Full Access - Legacy",
]
_STR = r"'((?:[^'\\]|\\.)*)'"


def _unescape(s: str) -> str:
    return re.sub(
        r"\\(.)", lambda m: {"n": "\n", "r": "\r", "t": "\t", "0": "\0"}.get(m.group(1), m.group(1)), s
    )


def datamodel(src: Path) -> dict:
    dm = json.loads(src.read_text(encoding="utf-8"))
    tables = []
    for t in dm["tables"]:
        fields = [
            [f["name"], f["type"], bool(f["required"])] for f in t["fields"] if f["name"] != t["idFieldName"]
        ]
        rels = [[r["name"], r["type"], bool(r["required"])] for r in t["relationships"]]
        tables.append(
            {
                "name": t["name"],
                "container": t["name"].lower(),
                "table": t["table"],
                "system": t["system"],
                "items": fields + rels,
            }
        )
    n = sum(len(t["items"]) for t in tables)
    assert n == dm["schema_config_item_count"], (n, dm["schema_config_item_count"])
    return {"specify_version": dm["specify_version"], "source_commit": dm["source_commit"], "tables": tables}


def library_roles(rows_sql: Path) -> list[dict]:
    text = rows_sql.read_text(encoding="utf-8")
    roles_block = text.split("INSERT INTO `splibraryrole` VALUES", 1)[1].split(";\n", 1)[0]
    pol_block = text.split("INSERT INTO `splibraryrolepolicy` VALUES", 1)[1].split(";\n", 1)[0]
    roles = {
        int(i): (_unescape(n), _unescape(d))
        for i, n, d in re.findall(rf"\((\d+),{_STR},{_STR}\)", roles_block)
    }
    policies: dict[int, list[list[str]]] = {}
    for _, res, act, rid in re.findall(rf"\((\d+),{_STR},{_STR},(\d+)\)", pol_block):
        policies.setdefault(int(rid), []).append([_unescape(res), _unescape(act)])
    out = []
    for rid, (name, desc) in sorted(roles.items()):
        if name in DEFAULT_LIBRARY_ROLES:
            out.append({"name": name, "description": desc, "policies": policies.get(rid, [])})
    assert [r["name"] for r in out] == DEFAULT_LIBRARY_ROLES, [r["name"] for r in out]
    return out


def main() -> None:
    ref = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "reference" / "specify"
    OUT.mkdir(parents=True, exist_ok=True)
    for src in sorted(ref.glob("datamodel_v*.json")):
        dm = datamodel(src)
        (OUT / f"datamodel_{dm['specify_version'].lstrip('v')}.json").write_text(
            json.dumps(dm, separators=(",", ":")) + "\n"
        )
    shutil.copyfile(ref / "uniqueness_rules.json", OUT / "uniqueness_rules.json")
    roles = library_roles(ref / "schema_v7.12.0.6_migration_rows.sql")
    (OUT / "library_roles.json").write_text(json.dumps(roles, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
