"""The Specify pack on the real Specify v7.12.0.6 schema (MariaDB): a fresh database with two
disciplines and three collections, repaired by `--fix`; then the repaired database broken in each of
the ways the pack checks, with exact counts per rule, repaired again, and checked to stay repaired."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from specify_db import SECOND_DISCIPLINE, load_mariadb_schema

from linter.testing import TestDatabase, make_database

# What a database that never went through Specify's repair lacks (RESEARCH.md §2, README "Using the schema").
FRESH = {
    "SPEC101": 430,
    "SPEC102": 430,
    "SPEC103": 0,
    "SPEC104": 0,
    "SPEC105": 0,
    "SPEC106": 0,
    "SPEC201": 3,
    "SPEC202": 3,
    "SPEC203": 3,
    "SPEC204": 3,
    "SPEC205": 3,
    "SPEC206": 0,
    "SPEC207": 0,
    "SPEC301": 31 * 2 + 17,
    "SPEC302": 0,
    "SPEC303": 0,
    "SPEC401": 2,
    "SPEC402": 0,
    "SPEC403": 0,
    "SPEC501": 2,
    "SPEC502": 0,
    "SPEC503": 0,
    "SPEC504": 0,
    "SPEC505": 0,
    "SPEC506": 0,
    "SPEC507": 0,
    "SPEC508": 0,
    "SPEC509": 0,
    "SPEC601": 3,
    "SPEC602": 0,
    "SPEC603": 0,
    "SPEC604": 0,
    "SPEC701": 0,
    "SPEC702": 0,
    "SPEC703": 6,
    "SPEC704": 0,
    "SPEC901": 0,
    "SPEC902": 0,
}

# Break the repaired database: comments say which rule counts what.
BREAK = """
-- SPEC101 (2): two containers gone with their items and strings; SPEC102 counts them too
DELETE s FROM splocaleitemstr s JOIN splocalecontaineritem i
  ON i.SpLocaleContainerItemID IN (s.SpLocaleContainerItemNameID, s.SpLocaleContainerItemDescID)
  JOIN splocalecontainer c ON c.SpLocaleContainerID = i.SpLocaleContainerID
  WHERE (c.DisciplineID, c.Name) IN ((3, 'localityupdate'), (5, 'spauditlog'));
DELETE i FROM splocalecontaineritem i JOIN splocalecontainer c
  ON c.SpLocaleContainerID = i.SpLocaleContainerID
  WHERE (c.DisciplineID, c.Name) IN ((3, 'localityupdate'), (5, 'spauditlog'));
DELETE s FROM splocaleitemstr s JOIN splocalecontainer c
  ON c.SpLocaleContainerID IN (s.SpLocaleContainerNameID, s.SpLocaleContainerDescID)
  WHERE (c.DisciplineID, c.Name) IN ((3, 'localityupdate'), (5, 'spauditlog'));
DELETE FROM splocalecontainer WHERE (DisciplineID, Name) IN ((3, 'localityupdate'), (5, 'spauditlog'));
-- SPEC102 (+3): three items gone, in three (discipline, table) pairs
DELETE s FROM splocaleitemstr s JOIN splocalecontaineritem i
  ON i.SpLocaleContainerItemID IN (s.SpLocaleContainerItemNameID, s.SpLocaleContainerItemDescID)
  JOIN splocalecontainer c ON c.SpLocaleContainerID = i.SpLocaleContainerID
  WHERE (c.DisciplineID, c.Name, i.Name)
    IN ((3, 'collectionobject', 'catalogNumber'), (3, 'locality', 'remarks'), (5, 'locality', 'remarks'));
DELETE i FROM splocalecontaineritem i JOIN splocalecontainer c
  ON c.SpLocaleContainerID = i.SpLocaleContainerID
  WHERE (c.DisciplineID, c.Name, i.Name)
    IN ((3, 'collectionobject', 'catalogNumber'), (3, 'locality', 'remarks'), (5, 'locality', 'remarks'));
-- SPEC103 (3): a container name, a container description, an item name string gone
DELETE s FROM splocaleitemstr s JOIN splocalecontainer c ON c.SpLocaleContainerID = s.SpLocaleContainerNameID
  WHERE c.DisciplineID = 3 AND c.Name = 'taxon';
DELETE s FROM splocaleitemstr s JOIN splocalecontainer c ON c.SpLocaleContainerID = s.SpLocaleContainerDescID
  WHERE c.DisciplineID = 5 AND c.Name = 'geography';
DELETE s FROM splocaleitemstr s JOIN splocalecontaineritem i
  ON i.SpLocaleContainerItemID = s.SpLocaleContainerItemNameID
  JOIN splocalecontainer c ON c.SpLocaleContainerID = i.SpLocaleContainerID
  WHERE c.DisciplineID = 5 AND c.Name = 'agent' AND i.Name = 'remarks';
-- SPEC104 (2): duplicate containers (one spelt differently), with their strings; the first holds the item
-- catalogNumber that its keeper lacks (SPEC102 still counts the keeper)
INSERT INTO splocalecontainer (Name, DisciplineID, SchemaType, IsHidden, IsSystem, TimestampCreated, version)
  VALUES ('CollectionObject', 3, 0, 0, 0, NOW(), 0);
SET @dup1 = LAST_INSERT_ID();
INSERT INTO splocaleitemstr (Text, Language, SpLocaleContainerNameID, TimestampCreated, version)
  VALUES ('Objects', 'en', @dup1, NOW(), 0);
INSERT INTO splocaleitemstr (Text, Language, SpLocaleContainerDescID, TimestampCreated, version)
  VALUES ('Objects', 'en', @dup1, NOW(), 0);
INSERT INTO splocalecontaineritem (Name, SpLocaleContainerID, IsHidden, IsSystem, TimestampCreated, version)
  VALUES ('catalogNumber', @dup1, 0, 0, NOW(), 0);
SET @dupitem = LAST_INSERT_ID();
INSERT INTO splocaleitemstr (Text, Language, SpLocaleContainerItemNameID, TimestampCreated, version)
  VALUES ('Cat #', 'en', @dupitem, NOW(), 0);
INSERT INTO splocaleitemstr (Text, Language, SpLocaleContainerItemDescID, TimestampCreated, version)
  VALUES ('Cat #', 'en', @dupitem, NOW(), 0);
INSERT INTO splocalecontainer (Name, DisciplineID, SchemaType, IsHidden, IsSystem, TimestampCreated, version)
  VALUES ('taxon', 5, 0, 0, 0, NOW(), 0);
SET @dup2 = LAST_INSERT_ID();
INSERT INTO splocaleitemstr (Text, Language, SpLocaleContainerNameID, TimestampCreated, version)
  VALUES ('Taxon', 'en', @dup2, NOW(), 0);
INSERT INTO splocaleitemstr (Text, Language, SpLocaleContainerDescID, TimestampCreated, version)
  VALUES ('Taxon', 'en', @dup2, NOW(), 0);
-- a WorkBench (SchemaType 1) container of the same name is not a duplicate
INSERT INTO splocalecontainer (Name, DisciplineID, SchemaType, IsHidden, IsSystem, TimestampCreated, version)
  VALUES ('taxon', 5, 1, 0, 0, NOW(), 0);
-- SPEC105 (2): duplicate items (any case), with their strings
INSERT INTO splocalecontaineritem (Name, SpLocaleContainerID, IsHidden, IsSystem, TimestampCreated, version)
  SELECT 'catalognumber', c.SpLocaleContainerID, 0, 0, NOW(), 0 FROM splocalecontainer c
  WHERE c.DisciplineID = 5 AND c.Name = 'collectionobject';
SET @i1 = LAST_INSERT_ID();
INSERT INTO splocalecontaineritem (Name, SpLocaleContainerID, IsHidden, IsSystem, TimestampCreated, version)
  SELECT 'text1', c.SpLocaleContainerID, 0, 0, NOW(), 0 FROM splocalecontainer c
  WHERE c.DisciplineID = 3 AND c.Name = 'locality';
SET @i2 = LAST_INSERT_ID();
INSERT INTO splocaleitemstr (Text, Language, SpLocaleContainerItemNameID, TimestampCreated, version)
  VALUES ('x', 'en', @i1, NOW(), 0), ('x', 'en', @i2, NOW(), 0);
INSERT INTO splocaleitemstr (Text, Language, SpLocaleContainerItemDescID, TimestampCreated, version)
  VALUES ('x', 'en', @i1, NOW(), 0), ('x', 'en', @i2, NOW(), 0);
-- SPEC106 (3): two copies of a container caption, one of an item description; a copy with a
-- Country is not one
INSERT INTO splocaleitemstr (Text, Language, SpLocaleContainerNameID, TimestampCreated, version)
  SELECT s.Text, s.Language, s.SpLocaleContainerNameID, NOW(), 0 FROM splocaleitemstr s
  JOIN splocalecontainer c ON c.SpLocaleContainerID = s.SpLocaleContainerNameID
  WHERE c.DisciplineID = 3 AND c.Name = 'agent' LIMIT 1;
INSERT INTO splocaleitemstr (Text, Language, SpLocaleContainerNameID, TimestampCreated, version)
  SELECT s.Text, s.Language, s.SpLocaleContainerNameID, NOW(), 0 FROM splocaleitemstr s
  JOIN splocalecontainer c ON c.SpLocaleContainerID = s.SpLocaleContainerNameID
  WHERE c.DisciplineID = 3 AND c.Name = 'agent' LIMIT 1;
INSERT INTO splocaleitemstr (Text, Language, Country, SpLocaleContainerNameID, TimestampCreated, version)
  SELECT s.Text, s.Language, 'US', s.SpLocaleContainerNameID, NOW(), 0 FROM splocaleitemstr s
  JOIN splocalecontainer c ON c.SpLocaleContainerID = s.SpLocaleContainerNameID
  WHERE c.DisciplineID = 3 AND c.Name = 'agent' LIMIT 1;
INSERT INTO splocaleitemstr (Text, Language, SpLocaleContainerItemDescID, TimestampCreated, version)
  SELECT s.Text, s.Language, s.SpLocaleContainerItemDescID, NOW(), 0 FROM splocaleitemstr s
  JOIN splocalecontaineritem i ON i.SpLocaleContainerItemID = s.SpLocaleContainerItemDescID
  JOIN splocalecontainer c ON c.SpLocaleContainerID = i.SpLocaleContainerID
  WHERE c.DisciplineID = 5 AND c.Name = 'locality' AND i.Name = 'text1' LIMIT 1;
-- SPEC201 (1) and SPEC206 (2): system lists gone in collections 4 and 6; user lists squat names in 6 and 7
DELETE FROM picklist WHERE Name = 'CollectionObjectType' AND CollectionID IN (4, 6);
INSERT INTO picklist (Name, Type, IsSystem, ReadOnly, CollectionID, TimestampCreated, version)
  VALUES ('collectionobjecttype', 0, 0, 0, 6, NOW(), 0), ('AGETYPE', 1, 0, 0, 7, NOW(), 0);
-- SPEC202 (2), SPEC203 (1), SPEC204 (1: an empty list), SPEC205 (2: one gone, one emptied)
DELETE i FROM picklistitem i JOIN picklist p ON p.PickListID = i.PickListID
  WHERE p.Name = 'SystemCOGTypes' AND p.CollectionID IN (6, 7);
DELETE FROM picklist WHERE Name = 'SystemCOGTypes' AND CollectionID IN (6, 7);
DELETE FROM picklist WHERE Name = 'COGTypes' AND CollectionID = 4;
DELETE i FROM picklistitem i JOIN picklist p ON p.PickListID = i.PickListID
  WHERE p.Name = 'AgeType' AND p.CollectionID = 6;
DELETE i FROM picklistitem i JOIN picklist p ON p.PickListID = i.PickListID
  WHERE p.Name = 'DisciplineType' AND p.CollectionID IN (4, 7);
DELETE FROM picklist WHERE Name = 'DisciplineType' AND CollectionID = 7;
-- SPEC301 (3): discipline 3's catalog-number rule and the global Permit rule gone;
-- SPEC302 (1): discipline 5's catalog-number rule is still a database constraint (so it is not the
-- default rule either)
SET @r = (SELECT u.UniquenessRuleID FROM uniquenessrule u JOIN uniquenessrule_fields f
  ON f.uniquenessruleid = u.UniquenessRuleID
          WHERE u.DisciplineID = 3 AND f.fieldPath = 'catalogNumber');
DELETE FROM uniquenessrule_fields WHERE uniquenessruleid = @r;
DELETE FROM uniquenessrule WHERE UniquenessRuleID = @r;
SET @r = (SELECT u.UniquenessRuleID FROM uniquenessrule u JOIN uniquenessrule_fields f
  ON f.uniquenessruleid = u.UniquenessRuleID
          WHERE u.DisciplineID IS NULL AND f.fieldPath = 'permitNumber');
DELETE FROM uniquenessrule_fields WHERE uniquenessruleid = @r;
DELETE FROM uniquenessrule WHERE UniquenessRuleID = @r;
UPDATE uniquenessrule u JOIN uniquenessrule_fields f ON f.uniquenessruleid = u.UniquenessRuleID
  SET u.isDatabaseConstraint = 1 WHERE u.DisciplineID = 5 AND f.fieldPath = 'catalogNumber';
-- SPEC303 (2): discipline copies of global rules (one spelt in other cases)
INSERT INTO uniquenessrule (modelName, isDatabaseConstraint, DisciplineID) VALUES ('Specifyuser', 1, 3);
INSERT INTO uniquenessrule_fields (uniquenessruleid, fieldPath, isScope) VALUES (LAST_INSERT_ID(), 'name', 0);
INSERT INTO uniquenessrule (modelName, isDatabaseConstraint, DisciplineID) VALUES ('institution', 0, 5);
INSERT INTO uniquenessrule_fields (uniquenessruleid, fieldPath, isScope) VALUES (LAST_INSERT_ID(), 'Name', 0);
-- SPEC401 (1), SPEC402 (1: the Type instead of the Name),
-- SPEC403 (2: empty duplicates; a third holds a resource)
DELETE FROM spappresourcedir WHERE DisciplineID = 5;
UPDATE spappresourcedir SET DisciplineType = 'fish' WHERE DisciplineID = 3;
INSERT INTO spappresourcedir (DisciplineID, IsPersonal, DisciplineType, TimestampCreated, version)
  VALUES (3, 0, 'Ichthyology', NOW(), 0), (3, 0, 'Ichthyology', NOW(), 0), (3, 0, 'Ichthyology', NOW(), 0);
INSERT INTO spappresource (SpAppResourceDirID, SpecifyUserID, Name, Level, TimestampCreated, version)
  VALUES (LAST_INSERT_ID() + 2, 1, 'preferences', 0, NOW(), 0);
-- SPEC506 (1), SPEC502 (1), SPEC503 (2), SPEC504 (3), SPEC505 (2)
UPDATE tectonicunittreedef t JOIN discipline d ON d.TectonicUnitTreeDefID = t.TectonicUnitTreeDefID
  SET t.DisciplineID = NULL WHERE d.UserGroupScopeId = 3;
UPDATE discipline SET TectonicUnitTreeDefID = NULL WHERE UserGroupScopeId = 5;
INSERT INTO tectonicunittreedef (Name, DisciplineID, TimestampCreated, version)
  VALUES ('Extra A', 3, NOW(), 0), ('Extra B', 5, NOW(), 0);
INSERT INTO tectonicunittreedef (Name, DisciplineID, TimestampCreated, version) VALUES ('Setup', 5, NOW(), 0);
SET @setup = LAST_INSERT_ID();
INSERT INTO tectonicunittreedefitem (Name, Title, RankID, IsEnforced, TectonicUnitTreeDefID,
  TimestampCreated, version)
  VALUES ('Root', 'Root', 0, 0, @setup, NOW(), 0);
INSERT INTO tectonicunittreedefitem (Name, Title, RankID, IsEnforced, ParentItemID, TectonicUnitTreeDefID,
  TimestampCreated, version)
  VALUES ('Superstructure', 'Superstructure', 100, 0, LAST_INSERT_ID(), @setup, NOW(), 0);
UPDATE tectonicunittreedefitem i JOIN tectonicunittreedef t
  ON t.TectonicUnitTreeDefID = i.TectonicUnitTreeDefID
  SET i.IsEnforced = NULL WHERE t.DisciplineID = 5 AND t.Name = 'Tectonic Unit' AND i.RankID = 0;
-- SPEC507 (2) and SPEC509 (1): taxon and geography trees lose their discipline; the institution's storage
-- tree has no owner. Discipline 3 has another taxon tree named "taxon": owning tree 1 ("Taxon") would break
-- the default rule "Taxontreedef: name in discipline", so tree 1 is SPEC509's.
UPDATE taxontreedef SET DisciplineID = NULL WHERE TaxonTreeDefID = 1;
INSERT INTO taxontreedef (TaxonTreeDefID, Name, FullNameDirection, DisciplineID, TimestampCreated, version)
  VALUES (3, 'taxon', 1, 3, NOW(), 0);
UPDATE geographytreedef SET DisciplineID = NULL WHERE GeographyTreeDefID = 2;
INSERT INTO storagetreedef (StorageTreeDefID, Name, TimestampCreated, version)
  VALUES (1, 'Storage', NOW(), 0);
UPDATE institution SET StorageTreeDefID = 1 WHERE UserGroupScopeId = 1;
-- SPEC508 (3): two taxa and a geography node are synonyms of nothing (a synonym of Life is fine)
INSERT INTO taxontreedefitem (TaxonTreeDefItemID, Name, RankID, TaxonTreeDefID, TimestampCreated, version)
  VALUES (1, 'Life', 0, 1, NOW(), 0);
INSERT INTO taxon (TaxonID, Name, IsAccepted, AcceptedID, IsHybrid, RankID, TaxonTreeDefID,
  TaxonTreeDefItemID, TimestampCreated, version)
  VALUES (1, 'Life', 1, NULL, 0, 0, 1, 1, NOW(), 0), (2, 'Lost one', 0, NULL, 0, 0, 1, 1, NOW(), 0),
         (3, 'Lost two', 0, NULL, 0, 0, 1, 1, NOW(), 0), (4, 'Vita', 0, 1, 0, 0, 1, 1, NOW(), 0);
INSERT INTO geographytreedefitem (GeographyTreeDefItemID, Name, RankID, GeographyTreeDefID,
  TimestampCreated, version)
  VALUES (1, 'Earth', 0, 2, NOW(), 0);
INSERT INTO geography (GeographyID, Name, IsAccepted, AcceptedID, RankID, GeographyTreeDefID,
  GeographyTreeDefItemID, TimestampCreated, version)
  VALUES (1, 'Nowhere', 0, NULL, 0, 2, 1, NOW(), 0);
-- SPEC601 (2) and SPEC602 (1): no default object types; discipline 5 has no taxon tree.
-- Object 2 has its own type.
INSERT INTO collectionobjecttype (CollectionObjectTypeID, Name, CollectionID, TaxonTreeDefID,
  TimestampCreated, version)
  VALUES (100, 'Tissue', 4, 1, NOW(), 0);
UPDATE collection SET CollectionObjectTypeID = NULL;
UPDATE collectionobject SET CollectionObjectTypeID = NULL WHERE CollectionObjectID = 1;
UPDATE collectionobject SET CollectionObjectTypeID = 100 WHERE CollectionObjectID = 2;
UPDATE discipline SET TaxonTreeDefID = NULL WHERE UserGroupScopeId = 5;
-- SPEC603 (1): collection 7 gets a second type named after its discipline, with its taxon tree;
-- SPEC604 (1): collection 7's Code is collection 4's (any case). SPEC601 leaves both collections alone.
INSERT INTO collectionobjecttype (CollectionObjectTypeID, Name, CollectionID, TaxonTreeDefID,
  TimestampCreated, version)
  VALUES (901, 'ICHTHYOLOGY', 7, 1, NOW(), 0);
UPDATE collection SET Code = 'fish' WHERE UserGroupScopeId = 7;
-- SPEC207 (1): a second COGTypes pick list in collection 7
INSERT INTO picklist (PickListID, Name, Type, TableName, IsSystem, ReadOnly, CollectionID,
  TimestampCreated, version)
  VALUES (900, 'cogtypes', 1, 'collectionobjectgrouptype', 1, 1, 7, NOW(), 0);
-- SPEC701 (3): a user, a role and a library role may upload without create_recordset
INSERT INTO spuserpolicy (collection_id, specifyuser_id, resource, action)
  VALUES (4, 2, '/workbench/dataset', 'upload');
INSERT INTO sprolepolicy (role_id, resource, action)
  SELECT id, '/workbench/dataset', 'upload' FROM sprole WHERE collection_id = 6 AND name = 'Collection Admin';
DELETE FROM splibraryrolepolicy WHERE action = 'create_recordset'
  AND role_id = (SELECT id FROM splibraryrole WHERE name = 'Full WorkBench access');
-- SPEC702 (2): two Full Access - Legacy roles lose statistics edit
DELETE FROM sprolepolicy WHERE resource = '/preferences/statistics'
  AND role_id IN (SELECT id FROM sprole WHERE name = 'Full Access - Legacy' AND collection_id IN (4, 6));
-- SPEC703 (2): a library role and a collection's Collection Admin role gone
DELETE FROM splibraryrolepolicy WHERE role_id = (SELECT id FROM splibraryrole WHERE name = 'Export Data');
DELETE FROM splibraryrole WHERE name = 'Export Data';
DELETE FROM sprolepolicy WHERE role_id = (SELECT id FROM sprole
  WHERE name = 'Collection Admin' AND collection_id = 7);
DELETE FROM sprole WHERE name = 'Collection Admin' AND collection_id = 7;
-- SPEC704 (2): % written twice, as SPEC703's fix once wrote it: a library role's /table/% (rewritten)
-- and a doubled twin of collection 4's Collection Admin policy % % (deleted)
UPDATE splibraryrolepolicy SET resource = '/table/%%' WHERE resource = '/table/%' AND action = 'read'
  AND role_id = (SELECT id FROM splibraryrole WHERE name = 'Read-Only Access');
INSERT INTO sprolepolicy (role_id, resource, action)
  SELECT id, '%%', '%%' FROM sprole WHERE collection_id = 4 AND name = 'Collection Admin';
-- SPEC901 (2), SPEC902 (3; an empty text is not missing)
INSERT INTO spquery (ContextName, ContextTableId, Name, Smushed, SpecifyUserID, TimestampCreated, version)
  VALUES ('CollectionObject', 1, 'q1', NULL, 1, NOW(), 0), ('CollectionObject', 1, 'q2', NULL, 1, NOW(), 0),
         ('CollectionObject', 1, 'q3', 1, 1, NOW(), 0);
INSERT INTO locality (LocalityName, SrcLatLongUnit, DisciplineID, Latitude1, Longitude1, Lat1Text, Long1Text,
  Latitude2, Lat2Text, TimestampCreated, version)
  VALUES ('A', 0, 3, 35.345, -120.5, NULL, NULL, NULL, NULL, NOW(), 0),
         ('B', 0, 5, NULL, NULL, NULL, NULL, 12.5, NULL, NOW(), 0),
         ('C', 0, 3, 10, 20, '10', '20', NULL, NULL, NOW(), 0),
         ('D', 0, 5, 1.5, NULL, '', NULL, NULL, NULL, NOW(), 0),
         ('E', 0, 5, NULL, 7.25, NULL, NULL, NULL, NULL, NOW(), 0);
"""

BROKEN = {
    "SPEC101": 2,
    "SPEC102": 5,
    "SPEC103": 3,
    "SPEC104": 2,
    "SPEC105": 2,
    "SPEC106": 3,
    "SPEC201": 1,
    "SPEC202": 2,
    "SPEC203": 1,
    "SPEC204": 1,
    "SPEC205": 2,
    "SPEC206": 2,
    "SPEC207": 1,
    "SPEC301": 3,
    "SPEC302": 1,
    "SPEC303": 2,
    "SPEC401": 1,
    "SPEC402": 1,
    "SPEC403": 2,
    "SPEC501": 0,
    "SPEC502": 1,
    "SPEC503": 2,
    "SPEC504": 3,
    "SPEC505": 2,
    "SPEC506": 1,
    "SPEC507": 2,
    "SPEC508": 3,
    "SPEC509": 1,
    "SPEC601": 0,
    "SPEC602": 1,
    "SPEC603": 1,
    "SPEC604": 1,
    "SPEC701": 3,
    "SPEC702": 2,
    "SPEC703": 2,
    "SPEC704": 2,
    "SPEC901": 2,
    "SPEC902": 3,
}
# With --var discipline_id=5 (institution-wide objects are always checked).
BROKEN_DISCIPLINE_5 = {
    "SPEC101": 1,
    "SPEC102": 2,
    "SPEC103": 2,
    "SPEC104": 1,
    "SPEC105": 1,
    "SPEC106": 1,
    "SPEC201": 0,
    "SPEC202": 1,
    "SPEC204": 1,
    "SPEC206": 1,
    "SPEC207": 0,
    "SPEC301": 2,
    "SPEC302": 1,
    "SPEC303": 1,
    "SPEC401": 1,
    "SPEC402": 0,
    "SPEC403": 0,
    "SPEC502": 1,
    "SPEC509": 0,
    "SPEC601": 0,
    "SPEC602": 1,
    "SPEC603": 0,
    "SPEC604": 0,
    "SPEC703": 1,
    "SPEC704": 1,
    "SPEC902": 2,
}
SPAUDITLOG = [
    "action",
    "createdByAgent",
    "fields",
    "modifiedByAgent",
    "parentRecordId",
    "parentTableNum",
    "recordId",
    "recordVersion",
    "tableNum",
    "timestampCreated",
    "timestampModified",
    "version",
]
# Rules without an automatic fix: what an administrator resolves by hand (see docs/specify.md).
BY_HAND = """
UPDATE picklist SET Name = 'User object types' WHERE Name = 'collectionobjecttype' AND Type = 0;
UPDATE picklist SET Name = 'User age types' WHERE Name = 'AGETYPE' AND Type = 1;
UPDATE discipline SET TaxonTreeDefID = 2 WHERE UserGroupScopeId = 5;
UPDATE taxontreedef SET Name = 'Taxon (copy)' WHERE TaxonTreeDefID = 3;
DELETE FROM picklist WHERE PickListID = 900;
DELETE FROM collectionobjecttype WHERE CollectionObjectTypeID = 901;
UPDATE collection SET Code = 'FT' WHERE UserGroupScopeId = 7;
"""


# The tables the pack's fixes write.
WRITTEN = [
    "splocalecontainer",
    "splocalecontaineritem",
    "splocaleitemstr",
    "picklist",
    "picklistitem",
    "uniquenessrule",
    "uniquenessrule_fields",
    "spappresourcedir",
    "tectonicunittreedef",
    "tectonicunittreedefitem",
    "tectonicunit",
    "collectionobjecttype",
    "sprole",
    "sprolepolicy",
    "splibraryrole",
    "splibraryrolepolicy",
    "spuserpolicy",
]


@pytest.fixture(scope="module")
def specify(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    gen = make_database("mysql", tmp_path_factory.mktemp("specify"))
    db = next(gen)
    try:
        load_mariadb_schema(db)
        db.execute(SECOND_DISCIPLINE)
        yield db
    finally:
        gen.close()


def counts(res) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        r["id"]: (r["violations"] if r["status"] in ("pass", "fail") else f"{r['status']}: {r['reason']}")
        for r in res.json()["rules"]
    }


def check(run, db: TestDatabase, *args: str):  # type: ignore[no-untyped-def]
    res = run("check", db.url_string, "--select", "SPEC", "--format", "json", "--max-examples", "50", *args)
    assert res.exit_code in (0, 1), res.stderr + res.stdout
    return res


def test_fresh_database_is_repaired_then_every_breakage_is_found_and_fixed(specify, dblint_run):
    # 1. A database that never went through Specify's repair: what run_key_migration_functions creates.
    assert counts(check(dblint_run, specify)) == FRESH
    fixed = check(dblint_run, specify, "--fix")
    assert all(v == 0 for v in counts(fixed).values()), counts(fixed)
    assert specify.count("splocalecontainer") == 430 and specify.count("splocalecontaineritem") == 9030
    assert specify.count("splocaleitemstr") == 2 * (430 + 9030)
    assert specify.count("uniquenessrule") == 18 + 31 * 2
    assert specify.count("tectonicunittreedefitem") == 12 and specify.count("tectonicunit") == 2
    assert specify.count("sprole", "name = 'Full Access - Legacy'") == 3
    assert (
        specify.scalar("SELECT CollectionObjectTypeID FROM collectionobject WHERE CollectionObjectID = 1")
        is not None
    )
    # the English captions are Specify's defaults
    assert (
        specify.scalar(
            "SELECT s.Text FROM splocaleitemstr s JOIN splocalecontaineritem i "
            "ON i.SpLocaleContainerItemID = s.SpLocaleContainerItemNameID "
            "JOIN splocalecontainer c ON c.SpLocaleContainerID = i.SpLocaleContainerID "
            "WHERE c.DisciplineID = 3 AND c.Name = 'collectionobject' AND i.Name = 'catalogNumber'"
        )
        == "Catalog Number"
    )
    assert sum(r["fixed"] for r in check(dblint_run, specify, "--fix").json()["rules"]) == 0

    # 2. Break the repaired database in each of the ways the pack checks.
    specify.execute(BREAK)
    broken = check(dblint_run, specify)
    assert counts(broken) == BROKEN
    by_discipline = counts(check(dblint_run, specify, "--var", "discipline_id=5"))
    assert {k: by_discipline[k] for k in BROKEN_DISCIPLINE_5} == BROKEN_DISCIPLINE_5

    # The text report reads like Specify's own: per discipline, missing containers, missing fields.
    text = dblint_run("check", specify.url_string, "--select", "SPEC101,SPEC102").stdout.splitlines()
    assert text[0] == specify.url.render_as_string(hide_password=True)  # the server, once
    ichthyology = text.index("SPEC101 error Discipline: Ichthyology (id=3)")
    assert text[ichthyology + 1].endswith("Missing container: LocalityUpdate")
    assert text[ichthyology + 2].endswith("SPEC101 error Discipline: Herpetology (id=5)")
    assert text[ichthyology + 3].endswith("Missing container: SpAuditLog")
    herpetology = [
        i for i, line in enumerate(text) if line.endswith("SPEC102 error Discipline: Herpetology (id=5)")
    ]
    assert len(herpetology) == 1
    assert [line.split(" Missing fields: ")[1] for line in text[herpetology[0] + 1 : herpetology[0] + 3]] == [
        "Locality: remarks",
        "SpAuditLog: " + ", ".join(sorted(SPAUDITLOG, key=str.lower)),
    ]
    assert "Missing fields: CollectionObject: catalogNumber" in "\n".join(text)

    # Safe fixes alone leave the duplicates (unsafe) and the pre-flight rules (no fix).
    safe = counts(check(dblint_run, specify, "--fix"))
    preflight = {"SPEC206": 2, "SPEC207": 1, "SPEC509": 1, "SPEC602": 1, "SPEC603": 1, "SPEC604": 1}
    assert {k for k, v in safe.items() if v} == {"SPEC104", "SPEC105", "SPEC106", "SPEC704", *preflight}

    after = counts(check(dblint_run, specify, "--fix", "--unsafe-fixes"))
    assert {k: v for k, v in after.items() if v} == preflight
    # SPEC704: the doubled library policy is rewritten; the doubled twin of % % is deleted
    assert specify.count("splibraryrolepolicy", "resource LIKE '%!%!%%' ESCAPE '!'") == 0
    admin = "role_id = (SELECT id FROM sprole WHERE collection_id = 4 AND name = 'Collection Admin')"
    assert specify.count("sprolepolicy", f"{admin} AND resource = '%' AND action = '%'") == 1
    assert specify.count("sprolepolicy", f"{admin} AND resource LIKE '%!%!%%' ESCAPE '!'") == 0
    # the naive repair would have given discipline 3 two taxon trees named "Taxon"
    assert specify.scalar("SELECT DisciplineID FROM taxontreedef WHERE TaxonTreeDefID = 1") is None
    assert (
        specify.count("collectionobject", "CollectionObjectID = 2 AND CollectionObjectTypeID = 100") == 1
    )  # kept
    assert (
        specify.count("spappresourcedir", "DisciplineID = 3 AND CollectionID IS NULL AND UserType IS NULL")
        == 2
    )
    assert (
        specify.count("splocalecontainer", "DisciplineID = 5 AND LOWER(Name) = 'taxon'") == 2
    )  # + WorkBench

    # 3. What the pre-flight rules ask of the administrator; then the repair completes.
    specify.execute(BY_HAND)
    assert {k: v for k, v in counts(check(dblint_run, specify)).items() if v} == {
        "SPEC201": 1,
        "SPEC507": 1,
        "SPEC601": 3,
    }
    final = counts(check(dblint_run, specify, "--fix", "--unsafe-fixes"))
    assert all(v == 0 for v in final.values()), final
    before = {t: specify.count(t) for t in WRITTEN}
    again = check(dblint_run, specify, "--fix", "--unsafe-fixes")
    assert sum(r["fixed"] for r in again.json()["rules"]) == 0
    assert {t: specify.count(t) for t in WRITTEN} == before


def test_unknown_specify_version_skips_the_datamodel_rules(specify, dblint_run):
    res = check(dblint_run, specify, "--var", "specify_version=7.99", "--select", "SPEC10")
    status = {r["id"]: (r["status"], r["reason"]) for r in res.json()["rules"]}
    assert status["SPEC101"][0] == status["SPEC102"][0] == "skipped"
    assert "no datamodel for Specify 7.99" in status["SPEC101"][1]
