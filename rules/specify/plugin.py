"""The Specify pack's code: one kind (``specify_sql``) and the fix handlers whose SQL is shared by
several rules.

``specify_sql`` is the built-in ``sql`` kind plus what Specify's repairs need and plain SQL cannot
carry by itself:

- ``{dataset}`` in a query or fix statement expands to a derived table of the pack's reference data
  (``SELECT … UNION ALL VALUES …``, constants rendered by SQLAlchemy's literal processor), chosen
  by the pack variable ``specify_version`` where the data depends on it (the datamodel).
  Datasets: :data:`DATASETS`.
- ``STRLIST(expr)`` is a string aggregate (``GROUP_CONCAT`` / ``STRING_AGG``) per dialect.
- ``requires: [table, table.column]`` skips the rule (with the reason) on databases that lack them,
  e.g. an older Specify without tectonic units.
- ``:name`` binds the variable ``name``; messages are ``{column}`` templates over each row.

Queries are written in portable SQL (all three dialects, lower-case aliases) and are counted in the
database; only ``--max-examples`` rows come back. Multi-table inserts with generated keys are set
based: parent rows are inserted under a temporary marker name, children are inserted joined on that
marker, and the marker is then replaced by the real name, all inside the engine's one transaction.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import field_validator
from sqlalchemy.engine import Connection

from linter.db import sqltext
from linter.errors import MissingObject, RuleError
from linter.hookspecs import hookimpl
from linter.kinds.base import Check, Context, Finding, FixStep, Kind
from linter.kinds.sql import RawSqlCheck, SqlFix, SqlParams
from linter.kinds.values import jsonable

DATA = Path(__file__).resolve().parent / "data"
MARK = "dblint:"  # prefix of temporary marker names; never left behind (the fix renames them)
HIDDEN_ITEMS = ("timestampcreated", "timestampmodified", "version", "createdbyagent", "modifiedbyagent")
REL_TYPES = {
    "many-to-one": "ManyToOne",
    "one-to-many": "OneToMany",
    "one-to-one": "OneToOne",
    "zero-to-one": "OneToOne",
    "many-to-many": "ManyToMany",
}


# --- reference data ------------------------------------------------------------------------------


def _title(name: str) -> str:
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
        (t["container"], t["name"], _title(t["name"]), int(bool(t["system"]))) for t in datamodel(v)["tables"]
    ]


def _dm_items(v: str) -> Rows:
    rows = [(t["container"], t["name"], i[0]) for t in datamodel(v)["tables"] for i in t["items"]]
    return ["container", "label", "item"], rows


def _dm_items_full(v: str) -> Rows:
    rows = []
    for t in datamodel(v)["tables"]:
        for name, type_, required in t["items"]:
            rows.append((t["container"], name, REL_TYPES.get(type_, type_), int(required)))
    return ["container", "item", "itemtype", "isrequired"], rows


def _dm_titles(v: str) -> Rows:
    return ["container", "litem", "title"], [
        (t["container"], i[0].lower(), _title(i[0])) for t in datamodel(v)["tables"] for i in t["items"]
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


DATASETS: dict[str, Callable[[str], Rows]] = {
    "dm_tables": _dm_tables,  # per datamodel table: container (lower-case name), label, title, issystem
    "dm_items": _dm_items,  # per field/relationship (no id): container, label, item
    "dm_items_full": _dm_items_full,  # container, item, itemtype, isrequired
    "dm_titles": _dm_titles,  # container, litem (lower-case item), title
    "ur_rules": _ur_rules,  # default uniqueness rules: marker, model, isdb, isglobal, nfields, label
    "ur_fields": _ur_fields,  # their field rows: marker, path, isscope
    "lib_roles": _lib_roles,  # default library roles: marker, name, description, need
    "lib_policies": _lib_policies,  # their policies: marker, resource, action
}


# --- SQL expansion -------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_STRLIST = re.compile(r"STRLIST\(([^()]*)\)")
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


def _strlist(dialect: str, expr: str) -> str:
    if dialect == "postgresql":
        return f"STRING_AGG({expr}, ', ' ORDER BY {expr})"
    if dialect == "mysql":
        return f"GROUP_CONCAT({expr} ORDER BY {expr} SEPARATOR ', ')"
    return f"GROUP_CONCAT({expr}, ', ')"


def expand(sql: str, ctx: Context, define: Mapping[str, str] | None = None) -> sa.TextClause:
    """Defined sub-queries, datasets, STRLIST and variables → one text clause; variables are bound."""
    params: dict[str, Any] = {}
    defs = define or {}
    for _ in range(3):  # a definition may use an earlier one
        sql = _PLACEHOLDER.sub(
            lambda m: f"({defs[m.group(1)].strip()})" if m.group(1) in defs else m.group(0), sql
        )
    version = str(ctx.variables.get("specify_version") or "7.12.0.6")

    quote = sa.String().literal_processor(ctx.schema.bind.dialect)

    def literal(value: Any) -> str:
        if isinstance(value, bool) or isinstance(value, int):
            return str(int(value))
        text = quote(str(value)) if quote else "'" + str(value).replace("'", "''") + "'"
        return text.replace(":", "\\:")  # not a bind parameter to sa.text()

    def dataset(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in DATASETS:
            raise RuleError(f"unknown dataset {{{name}}} (known: {', '.join(sorted(DATASETS))})")
        try:
            cols, rows = DATASETS[name](version)
        except MissingObject as exc:  # a fix cannot be skipped half way: say why it cannot run
            raise RuleError(str(exc)) from None
        # The pack's reference data are constants of the rule (like the literals written in its SQL):
        # rendered by SQLAlchemy's literal processor for the dialect. Thousands of bound parameters
        # would cost seconds of statement compilation per rule; variables stay bound parameters.
        head = "SELECT " + ", ".join(f"{literal(v)} AS {c}" for v, c in zip(rows[0], cols, strict=True))
        rest = ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows[1:])
        return f"({head}" + (f" UNION ALL VALUES {rest}" if rest else "") + ")"

    text = _STRLIST.sub(lambda m: _strlist(ctx.dialect, m.group(1).strip()), sql)
    # Variables before the datasets are expanded: only the rule's own ``:name`` are bind parameters.
    for name in set(_BIND.findall(text)):
        if name not in ctx.variables:
            raise RuleError(f"the query uses :{name}, which no variable defines")
        params[name] = ctx.variables[name]
    text = _PLACEHOLDER.sub(dataset, text)
    return sa.text(text).bindparams(**params) if params else sa.text(text)


def _finding(params: SpecSqlParams) -> Callable[[Mapping[str, Any]], Finding]:
    """A row (column names compared case-insensitively) as a finding: ``message`` and ``group`` are
    ``{column}`` templates; without a message, every column as ``name=value``."""

    def finding(r: Mapping[str, Any]) -> Finding:
        row = {k.lower(): v for k, v in r.items()}
        keys = params.key or list(row)[:1]
        msg = params.message or ", ".join(f"{k}={_plain(v)}" for k, v in row.items())
        key = {k: jsonable(row.get(k.lower())) for k in keys}
        return Finding(params.table, key, _fill(msg, row), _fill(params.group, row))

    return finding


def _fill(template: str, row: Mapping[str, Any]) -> str:
    def value(m: re.Match[str]) -> str:
        name = m.group(1).lower()
        return _plain(row[name]) if name in row else m.group(0)

    return _PLACEHOLDER.sub(value, template)


def _plain(v: Any) -> str:
    return "NULL" if v is None else str(v)


class SpecSqlParams(SqlParams):
    """The ``sql`` kind's params, plus what Specify's repairs need."""

    group: str = ""  # heading the text report groups examples under, e.g. "Discipline: {discipline}"
    requires: list[str] = []  # tables or table.column that must exist, else the rule is skipped
    define: dict[str, str] = {}  # named sub-queries: {name} in the query and the fix statements

    @field_validator("define")
    @classmethod
    def _reading_definitions(cls, v: dict[str, str]) -> dict[str, str]:
        for name, fragment in v.items():
            problem = sqltext.check_query_problem(fragment)
            if problem:
                raise ValueError(f"{name}: {problem}")
        return v


class SpecSqlFix(SqlFix):
    """The ``sql`` kind's fix: raw statements, vetted the same way."""


def require(ctx: Context, names: Sequence[str]) -> None:
    """MissingObject (→ skipped, with the reason) when a table or column is absent."""
    for n in names:
        table, _, column = n.partition(".")
        t = ctx.table(table)
        if column:
            ctx.col(t, column)


class SpecifySql(Kind[SpecSqlParams, SpecSqlFix]):
    name = "specify_sql"
    Params = SpecSqlParams
    Fix = SpecSqlFix

    def title(self, params: SpecSqlParams) -> str:
        return f"Specify query returns no rows{f' from {params.table}' if params.table else ''}"

    def tables(self, params: SpecSqlParams) -> list[str]:
        return sorted({n.partition(".")[0] for n in [params.table, *params.requires] if n})

    def _applies(self, ctx: Context, params: SpecSqlParams) -> None:
        if params.dialects and ctx.dialect not in params.dialects:
            raise MissingObject(f"written for {', '.join(params.dialects)}, not {ctx.dialect}")
        require(ctx, [n for n in [params.table, *params.requires] if n])
        if "{dm_" in params.query + "".join(params.define.values()):
            datamodel(str(ctx.variables.get("specify_version") or ""))

    def check(self, ctx: Context, params: SpecSqlParams) -> Check:
        self._applies(ctx, params)
        return RawSqlCheck(
            expand(params.query, ctx, params.define), _finding(params), table=params.table, key=params.key
        )

    def fix(self, ctx: Context, params: SpecSqlParams, fix: SpecSqlFix) -> list[FixStep]:
        self._applies(ctx, params)
        return [FixStep(expand(s, ctx, params.define), None, _summary(s)) for s in fix.statements]


def _summary(sql: str) -> str:
    words = sql.split()
    return " ".join(words[:3]).lower() if words else ""


# --- shared fix steps (several rules repair the same rows) -------------------------------------

DISC = "COALESCE(:discipline_id, {col}) = {col}"
KEEPER = (
    "NOT EXISTS (SELECT 1 FROM splocalecontainer k WHERE k.DisciplineID = c.DisciplineID AND k.SchemaType = 0"
    " AND LOWER(k.Name) = LOWER(c.Name) AND k.SpLocaleContainerID < c.SpLocaleContainerID)"
)

ADD_CONTAINERS = f"""
INSERT INTO splocalecontainer (Name, DisciplineID, SchemaType, IsHidden, IsSystem, TimestampCreated, version)
SELECT t.container, d.UserGroupScopeId, 0, 0, t.issystem, CURRENT_TIMESTAMP, 0
FROM discipline d CROSS JOIN {{dm_tables}} t
WHERE {DISC.format(col="d.UserGroupScopeId")}
  AND NOT EXISTS (SELECT 1 FROM splocalecontainer c WHERE c.DisciplineID = d.UserGroupScopeId
                  AND c.SchemaType = 0 AND LOWER(c.Name) = t.container)
"""


def _container_strings(slot: str) -> str:
    return f"""
INSERT INTO splocaleitemstr (Text, Language, {slot}, TimestampCreated, version)
SELECT COALESCE(t.title, c.Name), 'en', c.SpLocaleContainerID, CURRENT_TIMESTAMP, 0
FROM splocalecontainer c LEFT JOIN {{dm_tables}} t ON t.container = LOWER(c.Name)
WHERE c.SchemaType = 0 AND {DISC.format(col="c.DisciplineID")}
  AND NOT EXISTS (SELECT 1 FROM splocaleitemstr s WHERE s.{slot} = c.SpLocaleContainerID
                  AND LOWER(s.Language) = 'en')
"""


ADD_ITEMS = f"""
INSERT INTO splocalecontaineritem (Name, SpLocaleContainerID, Type, IsHidden, IsSystem, IsRequired,
                                   TimestampCreated, version)
SELECT f.item, c.SpLocaleContainerID, f.itemtype,
       CASE WHEN LOWER(f.item) IN ({", ".join(f"'{h}'" for h in HIDDEN_ITEMS)}) THEN 1 ELSE 0 END,
       0, f.isrequired, CURRENT_TIMESTAMP, 0
FROM splocalecontainer c JOIN {{dm_items_full}} f ON f.container = LOWER(c.Name)
WHERE c.SchemaType = 0 AND {DISC.format(col="c.DisciplineID")} AND {KEEPER}
  AND NOT EXISTS (SELECT 1 FROM splocalecontaineritem i WHERE i.SpLocaleContainerID = c.SpLocaleContainerID
                  AND LOWER(i.Name) = LOWER(f.item))
"""


def _item_strings(slot: str) -> str:
    return f"""
INSERT INTO splocaleitemstr (Text, Language, {slot}, TimestampCreated, version)
SELECT COALESCE(t.title, i.Name), 'en', i.SpLocaleContainerItemID, CURRENT_TIMESTAMP, 0
FROM splocalecontaineritem i JOIN splocalecontainer c ON c.SpLocaleContainerID = i.SpLocaleContainerID
     LEFT JOIN {{dm_titles}} t ON t.container = LOWER(c.Name) AND t.litem = LOWER(i.Name)
WHERE c.SchemaType = 0 AND {DISC.format(col="c.DisciplineID")}
  AND NOT EXISTS (SELECT 1 FROM splocaleitemstr s WHERE s.{slot} = i.SpLocaleContainerItemID
                  AND LOWER(s.Language) = 'en')
"""


CONTAINER_STRINGS = [
    _container_strings("SpLocaleContainerNameID"),
    _container_strings("SpLocaleContainerDescID"),
]
ITEM_STRINGS = [_item_strings("SpLocaleContainerItemNameID"), _item_strings("SpLocaleContainerItemDescID")]

# Tectonic units (TEC-1..4). The 0–50 chain of Specify's repair; a tree of the setup tool's 0–500
# scheme already has ranks, so it is never touched.
TECTONIC_RANKS = [
    (0, "Root"),
    (10, "Superstructure"),
    (20, "Tectonic Domain"),
    (30, "Tectonic Subdomain"),
    (40, "Tectonic Unit"),
    (50, "Tectonic Subunit"),
]
ADD_TECTONIC_DEFS = f"""
INSERT INTO tectonicunittreedef (Name, DisciplineID, TimestampCreated, version)
SELECT 'Tectonic Unit', d.UserGroupScopeId, CURRENT_TIMESTAMP, 0 FROM discipline d
WHERE d.TectonicUnitTreeDefID IS NULL AND {DISC.format(col="d.UserGroupScopeId")}
  AND NOT EXISTS (SELECT 1 FROM tectonicunittreedef t WHERE t.DisciplineID = d.UserGroupScopeId)
"""
LINK_TECTONIC_DEFS = f"""
UPDATE discipline SET TectonicUnitTreeDefID = (SELECT MIN(t.TectonicUnitTreeDefID) FROM tectonicunittreedef t
                                               WHERE t.DisciplineID = discipline.UserGroupScopeId)
WHERE TectonicUnitTreeDefID IS NULL AND {DISC.format(col="UserGroupScopeId")}
  AND EXISTS (SELECT 1 FROM tectonicunittreedef t WHERE t.DisciplineID = discipline.UserGroupScopeId)
"""


def _tectonic_rank_steps() -> list[str]:
    # The root rank goes in under a marker Title so the next ranks find the trees that were empty.
    root = f"""
INSERT INTO tectonicunittreedefitem (Name, Title, RankID, IsEnforced, IsInFullName, TectonicUnitTreeDefID,
                                     TimestampCreated, version)
SELECT 'Root', '{MARK}new', 0, 1, 0, t.TectonicUnitTreeDefID, CURRENT_TIMESTAMP, 0 FROM tectonicunittreedef t
WHERE NOT EXISTS (SELECT 1 FROM tectonicunittreedefitem i
                  WHERE i.TectonicUnitTreeDefID = t.TectonicUnitTreeDefID)
  AND (COALESCE(:discipline_id, -1) = -1 OR t.DisciplineID = :discipline_id)
"""
    steps = [root]
    for (prev, _), (rank, name) in zip(TECTONIC_RANKS, TECTONIC_RANKS[1:], strict=False):
        steps.append(f"""
INSERT INTO tectonicunittreedefitem (Name, Title, RankID, IsEnforced, IsInFullName, ParentItemID,
                                     TectonicUnitTreeDefID, TimestampCreated, version)
SELECT '{name}', '{name}', {rank}, 0, 0, p.TectonicUnitTreeDefItemID, p.TectonicUnitTreeDefID,
       CURRENT_TIMESTAMP, 0
FROM tectonicunittreedefitem p
WHERE p.RankID = {prev} AND EXISTS (SELECT 1 FROM tectonicunittreedefitem r
                                    WHERE r.TectonicUnitTreeDefID = p.TectonicUnitTreeDefID
                                    AND r.Title = '{MARK}new')
""")
    steps.append(f"UPDATE tectonicunittreedefitem SET Title = 'Root' WHERE Title = '{MARK}new'")
    return steps


ADD_TECTONIC_ROOTS = """
INSERT INTO tectonicunit (Name, FullName, RankID, IsAccepted, TectonicUnitTreeDefID,
                          TectonicUnitTreeDefItemID, TimestampCreated, version)
SELECT 'Root', 'Root', 0, 1, t.TectonicUnitTreeDefID,
       (SELECT MIN(i.TectonicUnitTreeDefItemID) FROM tectonicunittreedefitem i
        WHERE i.TectonicUnitTreeDefID = t.TectonicUnitTreeDefID AND i.RankID = 0),
       CURRENT_TIMESTAMP, 0
FROM tectonicunittreedef t
WHERE NOT EXISTS (SELECT 1 FROM tectonicunit u WHERE u.TectonicUnitTreeDefID = t.TectonicUnitTreeDefID
                  AND u.ParentID IS NULL)
  AND EXISTS (SELECT 1 FROM tectonicunittreedefitem i WHERE i.TectonicUnitTreeDefID = t.TectonicUnitTreeDefID
              AND i.RankID = 0)
  AND (COALESCE(:discipline_id, -1) = -1 OR t.DisciplineID = :discipline_id)
"""
# A tree with ranks but none at RankID 0 gets its root rank first (TEC-4's get-or-create).
ADD_TECTONIC_ROOT_RANK = """
INSERT INTO tectonicunittreedefitem (Name, Title, RankID, IsEnforced, IsInFullName, TectonicUnitTreeDefID,
                                     TimestampCreated, version)
SELECT 'Root', 'Root', 0, 1, 0, t.TectonicUnitTreeDefID, CURRENT_TIMESTAMP, 0 FROM tectonicunittreedef t
WHERE NOT EXISTS (SELECT 1 FROM tectonicunit u WHERE u.TectonicUnitTreeDefID = t.TectonicUnitTreeDefID
                  AND u.ParentID IS NULL)
  AND NOT EXISTS (SELECT 1 FROM tectonicunittreedefitem i
                  WHERE i.TectonicUnitTreeDefID = t.TectonicUnitTreeDefID AND i.RankID = 0)
  AND (COALESCE(:discipline_id, -1) = -1 OR t.DisciplineID = :discipline_id)
"""


def _steps(ctx: Context, statements: Sequence[str], needs: Sequence[str]) -> list[FixStep]:
    require(ctx, needs)
    return [FixStep(expand(s, ctx), None, _summary(s)) for s in statements]


SCHEMA_TABLES = ["discipline", "splocalecontainer", "splocalecontaineritem", "splocaleitemstr"]
TECTONIC_TABLES = [
    "discipline.TectonicUnitTreeDefID",
    "tectonicunittreedef",
    "tectonicunittreedefitem",
    "tectonicunit",
]


def add_containers(ctx: Context, rule: Any, conn: Connection) -> list[FixStep]:
    """SPEC101: the missing containers, then their English name and description."""
    return _steps(ctx, [ADD_CONTAINERS, *CONTAINER_STRINGS], SCHEMA_TABLES)


def add_items(ctx: Context, rule: Any, conn: Connection) -> list[FixStep]:
    """SPEC102: containers first (a missing table's fields are missing too), then items, then strings."""
    return _steps(ctx, [ADD_CONTAINERS, *CONTAINER_STRINGS, ADD_ITEMS, *ITEM_STRINGS], SCHEMA_TABLES)


def add_strings(ctx: Context, rule: Any, conn: Connection) -> list[FixStep]:
    """SPEC103: the missing English strings of containers and items."""
    return _steps(ctx, [*CONTAINER_STRINGS, *ITEM_STRINGS], SCHEMA_TABLES)


def tectonic_create(ctx: Context, rule: Any, conn: Connection) -> list[FixStep]:
    """SPEC501: a complete tree per discipline: definition, link, ranks, root node."""
    return _steps(
        ctx,
        [ADD_TECTONIC_DEFS, LINK_TECTONIC_DEFS, *_tectonic_rank_steps(), ADD_TECTONIC_ROOTS],
        TECTONIC_TABLES,
    )


def tectonic_link(ctx: Context, rule: Any, conn: Connection) -> list[FixStep]:
    """SPEC502: point the discipline at its tree (the lowest id when it has several)."""
    return _steps(ctx, [LINK_TECTONIC_DEFS], TECTONIC_TABLES)


def tectonic_ranks(ctx: Context, rule: Any, conn: Connection) -> list[FixStep]:
    """SPEC503: the six default ranks for trees that have none."""
    return _steps(ctx, _tectonic_rank_steps(), TECTONIC_TABLES)


def tectonic_roots(ctx: Context, rule: Any, conn: Connection) -> list[FixStep]:
    """SPEC504: ranks where a tree has none, a root rank where it lacks one, then the root node."""
    return _steps(ctx, [*_tectonic_rank_steps(), ADD_TECTONIC_ROOT_RANK, ADD_TECTONIC_ROOTS], TECTONIC_TABLES)


def locality_text(ctx: Context, rule: Any, conn: Connection) -> list[FixStep]:
    """SPEC902 (PAT-2): copy each decimal coordinate into its NULL text column, cast by the database."""
    t = ctx.table("locality")
    steps = []
    for text_col, num_col in (
        ("Lat1Text", "Latitude1"),
        ("Long1Text", "Longitude1"),
        ("Lat2Text", "Latitude2"),
        ("Long2Text", "Longitude2"),
    ):
        tc, nc = ctx.col(t, text_col), ctx.col(t, num_col)
        where = [tc.is_(None), nc.is_not(None)]
        did = ctx.variables.get("discipline_id")
        if did is not None:
            where.append(ctx.col(t, "DisciplineID") == did)
        stmt = sa.update(t).where(*where).values({tc.name: sa.cast(nc, sa.String(50))})
        count = sa.select(sa.func.count()).select_from(t).where(*where)
        steps.append(FixStep(stmt, count, f"set {tc.name} from {nc.name}"))
    return steps


@hookimpl
def dblint_kinds() -> list[type[Kind[Any, Any]]]:
    return [SpecifySql]


@hookimpl
def dblint_fix_handlers() -> Mapping[str, Callable[..., list[FixStep]]]:
    return {
        "specify_add_containers": add_containers,
        "specify_add_items": add_items,
        "specify_add_strings": add_strings,
        "specify_tectonic_create": tectonic_create,
        "specify_tectonic_link": tectonic_link,
        "specify_tectonic_ranks": tectonic_ranks,
        "specify_tectonic_roots": tectonic_roots,
        "specify_locality_text": locality_text,
    }
