"""Build Specify test databases: the real v7.12.0.6 MariaDB schema (tests/specify/data/, copied from
../shared/reference/specify) and, for SQLite and PostgreSQL, the subset of tables the pack reads."""

from __future__ import annotations

from pathlib import Path

from linter.testing import TestDatabase, split_sql

DATA = Path(__file__).parent / "data"

# A second discipline (5, Herpetology) and collections 6 and 7, two users and two collection objects.
SECOND_DISCIPLINE = """
SET FOREIGN_KEY_CHECKS = 0;
INSERT INTO geographytreedef (GeographyTreeDefID, Name, FullNameDirection, DisciplineID,
  TimestampCreated, version)
VALUES (2, 'Geography 2', -1, 5, NOW(), 0);
INSERT INTO geologictimeperiodtreedef (GeologicTimePeriodTreeDefID, Name, FullNameDirection, DisciplineID,
  TimestampCreated, version)
VALUES (2, 'Chronos 2', -1, 5, NOW(), 0);
INSERT INTO taxontreedef (TaxonTreeDefID, Name, FullNameDirection, DisciplineID, TimestampCreated, version)
VALUES (2, 'Herps', 1, 5, NOW(), 0);
INSERT INTO discipline (UserGroupScopeId, Name, Type, IsPaleoContextEmbedded, DivisionID, DataTypeID,
  GeographyTreeDefID, GeologicTimePeriodTreeDefID, TaxonTreeDefID, TimestampCreated, version)
VALUES (5, 'Herpetology', 'herpetology', 1, 2, 1, 2, 2, 2, NOW(), 0);
INSERT INTO collection (UserGroupScopeId, CollectionName, Code, CatalogFormatNumName,
  IsEmbeddedCollectingEvent, DisciplineID, TimestampCreated, version)
VALUES (6, 'Reptiles', 'REP', 'CatalogNumberNumeric', 1, 5, NOW(), 0),
  (7, 'Fish Tissues', 'FT', 'CatalogNumberNumeric', 1, 3, NOW(), 0);
SET FOREIGN_KEY_CHECKS = 1;
INSERT INTO specifyuser (SpecifyUserID, Name, Password, IsLoggedIn, IsLoggedInReport, UserType,
  TimestampCreated, version)
VALUES (1, 'admin', 'x', 0, 0, 'Manager', NOW(), 0), (2, 'curator', 'x', 0, 0, 'FullAccess', NOW(), 0);
INSERT INTO collectionobject (CollectionObjectID, CollectionID, CollectionMemberID, CatalogNumber,
  TimestampCreated, version)
VALUES (1, 4, 4, '001', NOW(), 0), (2, 4, 4, '002', NOW(), 0);
"""


def load_mariadb_schema(db: TestDatabase, migration_rows: bool = True) -> None:
    """DDL, the migrations' own rows (library roles, the global Storage rule) and the minimal
    institution → division → discipline 3 → collection 4 hierarchy."""
    files = ["schema_v7.12.0.6_mariadb.sql"]
    if migration_rows:
        files.append("schema_v7.12.0.6_migration_rows.sql")
    files.append("schema_v7.12.0.6_minimal_rows.sql")
    stmts = ["SET FOREIGN_KEY_CHECKS = 0"]
    for f in files:
        stmts += [
            s
            for s in split_sql((DATA / f).read_text(encoding="utf-8"))
            if not s.upper().startswith(("LOCK TABLES", "UNLOCK TABLES"))
        ]
    stmts.append("SET FOREIGN_KEY_CHECKS = 1")
    db.execute(stmts)
