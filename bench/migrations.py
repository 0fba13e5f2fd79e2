"""How long the static migration readers take on big histories: ``python bench/migrations.py [N]``.

Builds, in a temporary folder, a Django app and an Alembic project of N migrations each (a single
chain; every migration adds one column), records the first half as applied in an SQLite database,
and times ``dblint check --select MIG001,MIG002,MIG003,MIG004,MIG005,MIG006`` (no Django needed)
three times. Prints the best wall time and the findings, so a regression shows as a number.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build(root: Path, n: int) -> None:
    app = root / "shop" / "migrations"
    app.mkdir(parents=True)
    (app / "__init__.py").touch()
    versions = root / "alembic" / "versions"
    versions.mkdir(parents=True)
    for i in range(1, n + 1):
        deps = f"[('shop', '{i - 1:04d}_m')]" if i > 1 else "[]"
        (app / f"{i:04d}_m.py").write_text(
            "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
            f"    dependencies = {deps}\n"
            f"    operations = [migrations.AddField('item', 'c{i}', models.IntegerField(null=True))]\n"
        )
        down = repr(f"r{i - 1:04d}") if i > 1 else "None"
        (versions / f"r{i:04d}.py").write_text(
            f"revision = 'r{i:04d}'\ndown_revision = {down}\n\n\ndef upgrade():\n"
            f"    op.add_column('item', sa.Column('c{i}', sa.Integer))\n"
        )
    with sqlite3.connect(root / "db.sqlite3") as c:
        c.execute(
            "CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app TEXT, name TEXT, applied TEXT)"
        )
        c.executemany(
            "INSERT INTO django_migrations (app, name, applied) VALUES ('shop', ?, '2024-01-01')",
            [(f"{i:04d}_m",) for i in range(1, n // 2 + 1)],
        )
        c.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        c.execute("INSERT INTO alembic_version VALUES (?)", (f"r{n // 2:04d}",))
    c.close()
    (root / "dblint.yaml").write_text(
        "database: {url: db.sqlite3}\n"
        "migrations: {django: {apps: {shop: shop/migrations}}, alembic: {script_location: alembic}}\n"
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    dblint = str(Path(sys.executable).with_name("dblint"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(root, n)
        best, out = float("inf"), ""
        for _ in range(3):
            t0 = time.perf_counter()
            proc = subprocess.run(
                [dblint, "check", "--select", "MIG001,MIG002,MIG003,MIG004,MIG005,MIG006"],
                cwd=root,
                capture_output=True,
                text=True,
            )
            best = min(best, time.perf_counter() - t0)
            out = proc.stdout.strip().splitlines()[-1]
        print(f"{n} Django migrations + {n} Alembic revisions: best of 3 = {best:.2f} s wall; {out}")


if __name__ == "__main__":
    main()
