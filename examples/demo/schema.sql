-- A small Specify-shaped database with planted inconsistencies, for `dblint check` demos and tests.
CREATE TABLE discipline (UserGroupScopeId INTEGER PRIMARY KEY, Name VARCHAR(64) NOT NULL);
CREATE TABLE collection (
  UserGroupScopeId INTEGER PRIMARY KEY,
  CollectionName VARCHAR(64) NOT NULL,
  DisciplineID INTEGER NOT NULL REFERENCES discipline (UserGroupScopeId)
);
CREATE TABLE spappresourcedir (
  SpAppResourceDirID INTEGER PRIMARY KEY AUTOINCREMENT,
  DisciplineID INTEGER REFERENCES discipline (UserGroupScopeId),
  CollectionID INTEGER REFERENCES collection (UserGroupScopeId),
  UserType VARCHAR(64),
  IsPersonal BOOLEAN NOT NULL,
  DisciplineType VARCHAR(64)
);
CREATE TABLE collectionobject (
  CollectionObjectID INTEGER PRIMARY KEY,
  CollectionID INTEGER NOT NULL REFERENCES collection (UserGroupScopeId),
  CatalogNumber VARCHAR(32)
);
CREATE TABLE splocalecontainer (
  SpLocaleContainerID INTEGER PRIMARY KEY,
  DisciplineID INTEGER NOT NULL REFERENCES discipline (UserGroupScopeId),
  Name VARCHAR(64) NOT NULL,
  SchemaType INTEGER NOT NULL
);
CREATE TABLE spquery (SpQueryID INTEGER PRIMARY KEY, Name VARCHAR(64) NOT NULL, Smushed BOOLEAN);
CREATE TABLE import_log (message TEXT);

INSERT INTO discipline VALUES (3, 'Ichthyology'), (5, 'Herpetology'), (7, 'Botany');
INSERT INTO collection VALUES (4, 'Fish', 3), (6, 'Reptiles', 5), (8, 'Plants', 7);
-- Only Ichthyology has its discipline-level app resource directory (DEMO001: 5 and 7 lack it).
INSERT INTO spappresourcedir (DisciplineID, CollectionID, UserType, IsPersonal, DisciplineType)
  VALUES (3, NULL, NULL, 0, 'Ichthyology');
-- Two objects of collection 4 without a catalog number (DEMO002), one pointing at collection 99,
-- which does not exist (DEMO004 and CORE001).
INSERT INTO collectionobject VALUES (1, 4, '000001'), (2, 4, NULL), (3, 4, NULL), (4, 6, NULL), (5, 99, '000005');
-- The same schema-config container twice in one discipline, differing only in case (DEMO003).
INSERT INTO splocalecontainer VALUES (10, 3, 'collectionobject', 0), (11, 3, 'CollectionObject', 0),
  (12, 3, 'taxon', 0), (13, 5, 'collectionobject', 0);
-- Saved queries with Smushed NULL (DEMO005).
INSERT INTO spquery VALUES (1, 'All fish', 0), (2, 'New this year', NULL), (3, 'Types', NULL);
INSERT INTO import_log VALUES ('created by examples/demo/schema.sql');
