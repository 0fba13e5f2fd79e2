"""Named SQL fragments several Specify rules share, offered to every ``specify_sql`` query and fix
statement as ``{name}`` (a rule's own ``define:`` takes precedence). They are the pack's own code,
like its handlers; rule files cannot share text (no YAML anchors), so the shared guards live here.

- ``tree_fresh``: tree definitions in use whose owner link is NULL, with the owner dblint gives
  them (SPEC507) and whether ``:discipline_id`` selects them;
- ``tree_name_rules``: uniqueness rules "<tree definition>: name in discipline (institution)";
- ``tree_clashes``: fresh definitions whose owner would then hold two of one name (SPEC509);
- ``tree_settled``: what SPEC507's fix may own: selected and clash-free;
- ``cot_best``: per collection, the collection object types fix_cots would take as its default
  (named after the discipline, any case; those with the discipline's taxon tree first);
- ``cot_ambiguous``: collections with two or more such equally good types (SPEC603);
- ``collection_clashes``: collections whose Code or CollectionName (any case) another collection
  of their discipline also has, against Specify's default rules (SPEC604);
- ``cot_ready``: the collections SPEC601 may repair: no default type, a taxon tree, selected, and
  neither of the two above.
"""

from __future__ import annotations

# tree definition table, its key, its owner column, the owner's table
TREES = [
    ("taxontreedef", "TaxonTreeDefID", "DisciplineID", "discipline"),
    ("geographytreedef", "GeographyTreeDefID", "DisciplineID", "discipline"),
    ("geologictimeperiodtreedef", "GeologicTimePeriodTreeDefID", "DisciplineID", "discipline"),
    ("lithostrattreedef", "LithoStratTreeDefID", "DisciplineID", "discipline"),
    ("storagetreedef", "StorageTreeDefID", "InstitutionID", "institution"),
]
IN_DISC = "COALESCE(:discipline_id, {col}) = {col}"


def _fresh(pos: int, tree: str, key: str, owner_col: str, owner: str) -> str:
    if owner == "institution":
        ownerid = f"(SELECT MIN(i.UserGroupScopeId) FROM institution i WHERE i.StorageTreeDefID = g.{key})"
        used = f"EXISTS (SELECT 1 FROM institution i WHERE i.StorageTreeDefID = g.{key})"
        inscope = "1"  # the institution's storage tree is checked whatever discipline_id says
    else:
        by_disc = f"(SELECT MIN(d.UserGroupScopeId) FROM discipline d WHERE d.{key} = g.{key})"
        used = f"EXISTS (SELECT 1 FROM discipline d WHERE d.{key} = g.{key})"
        disc_sel = (
            f"EXISTS (SELECT 1 FROM discipline d WHERE d.{key} = g.{key}"
            f" AND {IN_DISC.format(col='d.UserGroupScopeId')})"
        )
        ownerid, sel = by_disc, disc_sel
        if tree == "taxontreedef":  # collection object types use taxon trees too (COT-4)
            cot = (
                "FROM collectionobjecttype t JOIN collection c ON c.UserGroupScopeId = t.CollectionID"
                f" WHERE t.{key} = g.{key}"
            )
            ownerid = f"COALESCE({by_disc}, (SELECT MIN(c.DisciplineID) {cot}))"
            used = f"({used} OR EXISTS (SELECT 1 FROM collectionobjecttype t WHERE t.{key} = g.{key}))"
            sel = f"{disc_sel} OR EXISTS (SELECT 1 {cot} AND {IN_DISC.format(col='c.DisciplineID')})"
        inscope = f"CASE WHEN {sel} THEN 1 ELSE 0 END"
    return (
        f"SELECT {pos} AS pos, '{tree}' AS tree, g.{key} AS id, g.Name AS name, '{owner}' AS owner,"
        f" {ownerid} AS ownerid,"
        f" {inscope} AS inscope FROM {tree} g WHERE g.{owner_col} IS NULL AND {used}"
    )


TREE_FRESH = "\nUNION ALL\n".join(_fresh(pos, *t) for pos, t in enumerate(TREES))
TREE_OWNED = "\nUNION ALL\n".join(
    f"SELECT '{tree}' AS tree, o.{key} AS id, o.Name AS name, o.{col} AS ownerid FROM {tree} o"
    f" WHERE o.{col} IS NOT NULL"
    for tree, key, col, _ in TREES
)
# Exactly two field rows, name and the scope. Specify's default rule for taxon trees counts
# everywhere (a NULL discipline), present or not: SPEC301 restores it where it is missing.
TREE_NAME_RULES = """
SELECT LOWER(u.modelName) AS model, u.DisciplineID AS disciplineid FROM uniquenessrule u
WHERE (SELECT COUNT(*) FROM uniquenessrule_fields f WHERE f.uniquenessruleid = u.UniquenessRuleID) = 2
  AND EXISTS (SELECT 1 FROM uniquenessrule_fields f WHERE f.uniquenessruleid = u.UniquenessRuleID
              AND LOWER(f.fieldPath) = 'name' AND f.isScope = 0)
  AND EXISTS (SELECT 1 FROM uniquenessrule_fields f WHERE f.uniquenessruleid = u.UniquenessRuleID
              AND LOWER(f.fieldPath) IN ('discipline', 'institution') AND f.isScope = 1)
UNION ALL SELECT 'taxontreedef', NULL
"""
# Names compared case-insensitively, as MariaDB's collation makes Specify's uniqueness check.
TREE_CLASHES = """
SELECT n.pos, n.tree, n.id, n.name, n.owner, n.ownerid, n.inscope,
       (SELECT MIN(o.id) FROM (SELECT a.tree, a.id, a.name, a.ownerid FROM {tree_owned} a
                               UNION ALL SELECT b.tree, b.id, b.name, b.ownerid FROM {tree_fresh} b) o
        WHERE o.tree = n.tree AND o.id <> n.id AND o.ownerid = n.ownerid
          AND LOWER(o.name) = LOWER(n.name)) AS otherid
FROM {tree_fresh} n
WHERE EXISTS (SELECT 1 FROM {tree_name_rules} r WHERE r.model = n.tree
              AND (r.disciplineid IS NULL OR r.disciplineid = n.ownerid))
"""
TREE_SETTLED = """
SELECT s.tree, s.id, s.ownerid FROM {tree_fresh} s
WHERE s.inscope = 1
  AND NOT EXISTS (SELECT 1 FROM {tree_clashes} c
                  WHERE c.otherid IS NOT NULL AND c.tree = s.tree AND c.id = s.id)
"""

# Specify's fix_cots get_or_creates the type by (name, collection, taxon tree): two matches raise
# MultipleObjectsReturned. dblint also reuses a type of that name with another tree when it is the
# only one; two of them are as ambiguous.
COT_CANDIDATES = """
SELECT c.UserGroupScopeId AS collectionid, t.CollectionObjectTypeID AS typeid,
       CASE WHEN t.TaxonTreeDefID = d.TaxonTreeDefID THEN 1 ELSE 0 END AS sametree
FROM collection c JOIN discipline d ON d.UserGroupScopeId = c.DisciplineID
     JOIN collectionobjecttype t ON t.CollectionID = c.UserGroupScopeId AND LOWER(t.Name) = LOWER(d.Name)
WHERE c.CollectionObjectTypeID IS NULL
"""
COT_BEST = """
SELECT k.collectionid, k.typeid FROM {cot_candidates} k
WHERE k.sametree = (SELECT MAX(j.sametree) FROM {cot_candidates} j WHERE j.collectionid = k.collectionid)
"""
COT_AMBIGUOUS = """
SELECT b.collectionid, COUNT(*) AS n, MIN(b.typeid) AS firstid, MAX(b.typeid) AS lastid FROM {cot_best} b
GROUP BY b.collectionid HAVING COUNT(*) > 1
"""
# Specify's default rules "Collection: code in discipline" and "collectionName in discipline" (NULL
# values are never equal); otherid: the lowest other collection with that value.
COLLECTION_CLASHES = """
SELECT c.UserGroupScopeId AS collectionid, c.CollectionName AS name, c.DisciplineID AS disciplineid,
       'Code' AS field, c.Code AS value,
       (SELECT MIN(o.UserGroupScopeId) FROM collection o WHERE o.DisciplineID = c.DisciplineID
        AND o.UserGroupScopeId <> c.UserGroupScopeId AND LOWER(o.Code) = LOWER(c.Code)) AS otherid
FROM collection c
WHERE EXISTS (SELECT 1 FROM collection o WHERE o.DisciplineID = c.DisciplineID
              AND o.UserGroupScopeId <> c.UserGroupScopeId AND LOWER(o.Code) = LOWER(c.Code))
UNION ALL
SELECT c.UserGroupScopeId, c.CollectionName, c.DisciplineID, 'CollectionName', c.CollectionName,
       (SELECT MIN(o.UserGroupScopeId) FROM collection o WHERE o.DisciplineID = c.DisciplineID
        AND o.UserGroupScopeId <> c.UserGroupScopeId AND LOWER(o.CollectionName) = LOWER(c.CollectionName))
FROM collection c
WHERE EXISTS (SELECT 1 FROM collection o WHERE o.DisciplineID = c.DisciplineID
              AND o.UserGroupScopeId <> c.UserGroupScopeId
              AND LOWER(o.CollectionName) = LOWER(c.CollectionName))
"""
COT_READY = """
SELECT c.UserGroupScopeId AS collectionid
FROM collection c JOIN discipline d ON d.UserGroupScopeId = c.DisciplineID
WHERE c.CollectionObjectTypeID IS NULL AND d.TaxonTreeDefID IS NOT NULL AND d.Name IS NOT NULL
  AND COALESCE(:discipline_id, d.UserGroupScopeId) = d.UserGroupScopeId
  AND c.UserGroupScopeId NOT IN (SELECT a.collectionid FROM {cot_ambiguous} a)
  AND c.UserGroupScopeId NOT IN (SELECT x.collectionid FROM {collection_clashes} x)
"""

FRAGMENTS: dict[str, str] = {
    "cot_candidates": COT_CANDIDATES,
    "cot_best": COT_BEST,
    "cot_ambiguous": COT_AMBIGUOUS,
    "collection_clashes": COLLECTION_CLASHES,
    "cot_ready": COT_READY,
    "tree_fresh": TREE_FRESH,
    "tree_owned": TREE_OWNED,
    "tree_name_rules": TREE_NAME_RULES,
    "tree_clashes": TREE_CLASHES,
    "tree_settled": TREE_SETTLED,
}
