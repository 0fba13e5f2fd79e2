"""The Specify pack's reference data: Specify's datamodel (per version), its default uniqueness
rules and its default library roles, read from ``data/`` (written by ``scripts/specify_data.py``)
and offered to queries as named datasets (``{dm_tables}`` …, see :mod:`dblint_specify.templating`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from linter import MissingObject

DATA = Path(__file__).resolve().parent / "data"
MARK = "dblint:"  # prefix of temporary marker names; never left behind (the fix renames them)
REL_TYPES = {
    "many-to-one": "ManyToOne",
    "one-to-many": "OneToMany",
    "one-to-one": "OneToOne",
    "zero-to-one": "OneToOne",
    "many-to-many": "ManyToMany",
}
DEFAULT_VERSION = "7.12.0.6"


def title(name: str) -> str:
    """Specify's default caption: camelCase de-camelled and title-cased (catalogNumber → Catalog Number)."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name)
    return " ".join(w[:1].upper() + w[1:] for w in spaced.split())


@functools.lru_cache(maxsize=8)
def datamodel(version: str) -> dict[str, Any]:
    path = DATA / f"datamodel_{version}.json"
    if not path.exists():
        have = ", ".join(sorted(p.stem.removeprefix("datamodel_") for p in DATA.glob("datamodel_*.json")))
        raise MissingObject(f"the pack has no datamodel for Specify {version} (it has: {have})")
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=1)
def uniqueness_rules() -> list[dict[str, Any]]:
    """Specify's default uniqueness rules, numbered, with the scope that makes a rule global."""
    raw = json.loads((DATA / "uniqueness_rules.json").read_text(encoding="utf-8"))
    out: list[dict[str, Any]] = []
    for model, rules in raw.items():
        for r in rules:
            fields, scopes = r["rule"]
            parts = [p for s in scopes for p in s.split("__")]
            is_global = not scopes or any(p in ("division", "institution") for p in parts)
            out.append(
                {
                    "marker": f"{MARK}ur{len(out) + 1}",
                    "model": model,
                    "isdb": int(bool(r["isDatabaseConstraint"])),
                    "isglobal": int(is_global),
                    "nfields": len(fields) + len(scopes),
                    "label": f"{model}: {', '.join(fields)}"
                    + (f" in {', '.join(scopes)}" if scopes else "")
                    + f" (isDatabaseConstraint={int(bool(r['isDatabaseConstraint']))})",
                    "fields": [(f, 0) for f in fields] + [(s, 1) for s in scopes],
                }
            )
    return out


@functools.lru_cache(maxsize=1)
def library_roles() -> list[dict[str, Any]]:
    roles = json.loads((DATA / "library_roles.json").read_text(encoding="utf-8"))
    # PM-1c: which default roles every collection gets, and on what condition.
    need = {"Collection Admin": "always", "Read Only - Legacy": "limited", "Full Access - Legacy": "full"}
    for i, r in enumerate(roles, 1):
        r["marker"] = f"{MARK}role{i}"
        r["need"] = need.get(r["name"], "")
    return roles  # type: ignore[no-any-return]


Rows = tuple[list[str], list[tuple[Any, ...]]]


def _dm_tables(v: str) -> Rows:
    return ["container", "label", "title", "issystem"], [
        (t["container"], t["name"], title(t["name"]), int(bool(t["system"]))) for t in datamodel(v)["tables"]
    ]


def _dm_items(v: str) -> Rows:
    """The table's label is in dm_counts: once a table, not once an item (a smaller query text)."""
    rows = [(t["container"], i[0]) for t in datamodel(v)["tables"] for i in t["items"]]
    return ["container", "item"], rows


def _dm_counts(v: str) -> Rows:
    """How many distinct (lower-case) items each table has: SPEC102 compares counts first."""
    return ["container", "label", "n"], [
        (t["container"], t["name"], len({i[0].lower() for i in t["items"]})) for t in datamodel(v)["tables"]
    ]


def _dm_items_full(v: str) -> Rows:
    rows = []
    for t in datamodel(v)["tables"]:
        for name, type_, required in t["items"]:
            rows.append((t["container"], name, REL_TYPES.get(type_, type_), int(required)))
    return ["container", "item", "itemtype", "isrequired"], rows


def _dm_titles(v: str) -> Rows:
    return ["container", "litem", "title"], [
        (t["container"], i[0].lower(), title(i[0])) for t in datamodel(v)["tables"] for i in t["items"]
    ]


def _ur_rules(v: str) -> Rows:
    cols = ["marker", "model", "isdb", "isglobal", "nfields", "label"]
    return cols, [tuple(r[c] for c in cols) for r in uniqueness_rules()]


def _ur_fields(v: str) -> Rows:
    rows = [(r["marker"], f, s) for r in uniqueness_rules() for f, s in r["fields"]]
    return ["marker", "path", "isscope"], rows


def _lib_roles(v: str) -> Rows:
    return ["marker", "name", "description", "need"], [
        (r["marker"], r["name"], r["description"], r["need"]) for r in library_roles()
    ]


def _lib_policies(v: str) -> Rows:
    rows = [(r["marker"], p[0], p[1]) for r in library_roles() for p in r["policies"]]
    return ["marker", "resource", "action"], rows


Dataset = Callable[[str], Rows]  # a specify_version → (columns, rows)
DATASETS: dict[str, Dataset] = {
    "dm_tables": _dm_tables,  # per datamodel table: container (lower-case name), label, title, issystem
    "dm_items": _dm_items,  # per field/relationship (no id): container, item
    "dm_counts": _dm_counts,  # per datamodel table: container, label, n (its distinct lower-case items)
    "dm_items_full": _dm_items_full,  # container, item, itemtype, isrequired
    "dm_titles": _dm_titles,  # container, litem (lower-case item), title
    "ur_rules": _ur_rules,  # default uniqueness rules: marker, model, isdb, isglobal, nfields, label
    "ur_fields": _ur_fields,  # their field rows: marker, path, isscope
    "lib_roles": _lib_roles,  # default library roles: marker, name, description, need
    "lib_policies": _lib_policies,  # their policies: marker, resource, action
}
