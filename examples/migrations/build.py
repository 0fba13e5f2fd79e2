"""Build the example's database in the state real ones end up in: ``python examples/migrations/build.py``.

Migrated with Alembic up to 0002; rows the application wrote since (NULL names, a duplicate SKU, a
tag of a deleted product, a label longer than 0003 allows); and a column added by hand that the
pending 0004 adds again.

``build.py --newer``: one fault only. Migrated to the head 0004, then upgraded by a newer release
whose revision (``9f3c1e2a``, adding nothing yet) this checkout does not have.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# `python examples/migrations/build.py` puts this folder first on sys.path, where alembic/ (the
# project's scripts) would shadow the alembic package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
try:
    from alembic import command
    from alembic.config import Config
except ImportError:
    sys.exit("build.py needs Alembic: .venv/bin/pip install -e '.[alembic]' (from the repository root)")


def build() -> Path:
    db = HERE / "shop.sqlite3"
    db.unlink(missing_ok=True)
    command.upgrade(Config(str(HERE / "alembic.ini")), "0002")
    with sqlite3.connect(db) as conn:
        conn.executescript(
            """
            INSERT INTO product (id, name, sku)
              VALUES (1, 'kettle', 'K-1'), (2, NULL, 'K-1'), (3, NULL, 'T-9'), (4, 'mug', NULL);
            INSERT INTO tag (id, product_id, label)
              VALUES (1, 1, 'kitchen'), (2, 99, 'discontinued items'), (3, 4, 'gift');
            ALTER TABLE product ADD COLUMN color VARCHAR(20);
            """
        )
    conn.close()
    return db


def build_newer() -> Path:
    db = HERE / "shop.sqlite3"
    db.unlink(missing_ok=True)
    command.upgrade(Config(str(HERE / "alembic.ini")), "head")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9f3c1e2a'")
    conn.close()
    return db


if __name__ == "__main__":
    import os

    print(f"built {os.path.relpath(build_newer() if '--newer' in sys.argv else build())}")
