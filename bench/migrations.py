"""How long ``dblint check --select MIG`` takes on big migration histories:
``python bench/migrations.py [--chain N] [--runs R]``.

Three projects, built in a temporary folder with an SQLite database:

- ``chain``: a Django app and an Alembic project of N migrations each (a single chain; every
  migration adds one column), the first half recorded as applied; MIG001-MIG006 (no Django needed);
- ``alembic-merges``: an Alembic history shaped like a large real one (326 revisions, 31 merge
  points: every eighth revision merges a two-revision side branch back), at its head except for the
  last ten; ``--select MIG`` (all nine rules, MIG007 reading every pending upgrade());
- ``django-apps``: a Django project of 20 apps with 5 migrations each (models with foreign keys
  between apps), migrated by ``manage.py migrate`` except each app's last migration, with
  ``migrations.django.settings``; ``--select MIG`` (MIG007 runs Django's loader in a child
  process).

Prints, for each, the best and median wall time of R runs of the whole ``dblint`` process, the
median CPU time (user + system, the process and its children: Django's child process too; it
hardly moves when other processes compete for the cores), the 1-minute load average and the
summary line, so a regression shows as a number. ``--dblint PATH`` times another checkout's.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DBLINT = str(Path(sys.executable).with_name("dblint"))


def build_chain(root: Path, n: int) -> list[str]:
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
    return ["--select", "MIG001,MIG002,MIG003,MIG004,MIG005,MIG006"]


def build_alembic_merges(root: Path, total: int = 326) -> list[str]:
    """A main line where every eighth revision merges a two-revision side branch back (31 merges)."""
    versions = root / "alembic" / "versions"
    versions.mkdir(parents=True)
    revs: list[tuple[str, object, str]] = []  # (revision, down_revision, upgrade body)
    head, i, merges = None, 0, 0
    while len(revs) < total:
        i += 1
        rev = f"m{i:04d}"
        if i % 8 == 0 and merges < 31 and len(revs) + 3 <= total:
            merges += 1
            s1, s2 = f"s{i:04d}a", f"s{i:04d}b"
            base = revs[-3][0]  # the side branch starts a little behind the main line
            revs.append(
                (s1, base, f"op.create_table('side_{i}', sa.Column('id', sa.Integer, primary_key=True))")
            )
            revs.append((s2, s1, f"op.add_column('side_{i}', sa.Column('note', sa.String(20)))"))
            revs.append((rev, (head, s2), "pass"))
        else:
            revs.append((rev, head, f"op.add_column('item', sa.Column('c{i}', sa.Integer, nullable=True))"))
        head = rev
    for rev, down, body in revs:
        (versions / f"{rev}.py").write_text(
            "import sqlalchemy as sa\nfrom alembic import op\n\n"
            f"revision = {rev!r}\ndown_revision = {down!r}\n"
            f"branch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    {body}\n"
        )
    with sqlite3.connect(root / "db.sqlite3") as c:
        c.execute("CREATE TABLE item (id INTEGER PRIMARY KEY)")
        c.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        c.execute("INSERT INTO alembic_version VALUES (?)", (revs[-11][0],))
    c.close()
    (root / "dblint.yaml").write_text(
        "database: {url: db.sqlite3}\nmigrations: {alembic: {script_location: alembic}}\n"
    )
    merges = sum(isinstance(d, tuple) for _, d, _ in revs)
    print(f"  alembic-merges: {len(revs)} revisions, {merges} merge points", file=sys.stderr)
    return ["--select", "MIG"]


def build_django_apps(root: Path, apps: int = 20, steps: int = 5) -> list[str]:
    subprocess.run([sys.executable, "-m", "django", "startproject", "proj", str(root)], check=True)
    names = [f"app{a:02d}" for a in range(apps)]
    settings = root / "proj" / "settings.py"
    settings.write_text(
        settings.read_text()
        + f"\nINSTALLED_APPS = ['django.contrib.contenttypes', *{names!r}]\nMIDDLEWARE = []\n"
        + "DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'\n"
    )
    (root / "proj" / "urls.py").write_text("urlpatterns = []\n")
    env = dict(os.environ, PYTHONPATH=str(root))
    for name in names:
        (root / name / "migrations").mkdir(parents=True)
        (root / name / "__init__.py").touch()
        (root / name / "migrations" / "__init__.py").touch()
    for step in range(1, steps + 1):
        for a, name in enumerate(names):
            fields = "\n".join(f"    f{k} = models.IntegerField(null=True)" for k in range(1, step + 1))
            fk = (
                f"    other = models.ForeignKey('app{a - 1:02d}.Thing', models.CASCADE, null=True)\n"
                if a
                else ""
            )
            (root / name / "models.py").write_text(
                f"from django.db import models\n\n\nclass Thing(models.Model):\n{fk}{fields}\n"
            )
        subprocess.run(
            [sys.executable, "manage.py", "makemigrations", "-v0", *names], cwd=root, env=env, check=True
        )
        if step == steps - 1:
            subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=root, env=env, check=True)
    apps_cfg = ", ".join(f"{n}: {n}/migrations" for n in names)
    (root / "dblint.yaml").write_text(
        "database: {url: db.sqlite3}\n"
        f"migrations: {{django: {{apps: {{{apps_cfg}}}, settings: proj.settings}}}}\n"
    )
    return ["--select", "MIG"]


def measure(dblint: str, root: Path, args: list[str], runs: int) -> tuple[float, float, float, str]:
    """(best wall, median wall, median CPU of the dblint process and its children, last line)."""
    times, cpus, out = [], [], ""
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run([dblint, "check", *args], cwd=root, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        out = (proc.stdout.strip().splitlines() or [proc.stderr.strip()])[-1]
    return min(times), statistics.median(times), statistics.median(cpus), out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chain", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=["chain", "alembic-merges", "django-apps"])
    parser.add_argument("--dblint", default=DBLINT, help="the dblint executable to time (another checkout's)")
    opts = parser.parse_args()
    projects = {
        "chain": lambda r: build_chain(r, opts.chain),
        "alembic-merges": build_alembic_merges,
        "django-apps": build_django_apps,
    }
    for name, build in projects.items():
        if opts.only and name != opts.only:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            args = build(root)
            best, median, cpu, out = measure(opts.dblint, root, args, opts.runs)
            print(
                f"{name}: best {best:.2f} s, median {median:.2f} s wall, median {cpu:.2f} s CPU "
                f"({opts.runs} runs, load {os.getloadavg()[0]:.1f}); {out}"
            )


if __name__ == "__main__":
    main()
