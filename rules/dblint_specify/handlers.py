"""The Specify pack's fix handlers (``fix: {handler: specify_…}``): repairs whose SQL several rules
share. Multi-table inserts with generated keys are set based: parent rows are inserted under a
temporary marker name, children are inserted joined on that marker, and the marker is then replaced
by the real name, all inside the engine's one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dblint_specify import templating
from dblint_specify.datasets import MARK
from dblint_specify.kind import require, summary
from linter import Context, FixStep

HIDDEN_ITEMS = ("timestampcreated", "timestampmodified", "version", "createdbyagent", "modifiedbyagent")

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
    return [FixStep(templating.expand(s, ctx), None, summary(s)) for s in statements]


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


HANDLERS: dict[str, Callable[..., list[FixStep]]] = {
    "specify_add_containers": add_containers,
    "specify_add_items": add_items,
    "specify_add_strings": add_strings,
    "specify_tectonic_create": tectonic_create,
    "specify_tectonic_link": tectonic_link,
    "specify_tectonic_ranks": tectonic_ranks,
    "specify_tectonic_roots": tectonic_roots,
    "specify_locality_text": locality_text,
}
