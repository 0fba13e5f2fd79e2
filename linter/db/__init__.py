"""Connections and catalogs: URLs (:mod:`.url`), engines and transactions (:mod:`.session`), the
schema resolver (:mod:`.schema`), what constraints guarantee (:mod:`.constraints`), raw SQL vetting
(:mod:`.sqltext`) and SQL literals (:mod:`.literals`). ``from linter import db`` gives the first three."""

from linter.db.schema import Schema
from linter.db.session import (
    Timeouts,
    create_engine,
    dialect_of,
    is_mariadb,
    read_only,
    writable,
)
from linter.db.url import (
    SQLITE_SUFFIXES,
    env_url,
    mask_text,
    mask_url,
    parse_target,
    remember_secret,
)

__all__ = [
    "SQLITE_SUFFIXES",
    "Schema",
    "Timeouts",
    "create_engine",
    "dialect_of",
    "env_url",
    "is_mariadb",
    "mask_text",
    "mask_url",
    "parse_target",
    "read_only",
    "remember_secret",
    "writable",
]
