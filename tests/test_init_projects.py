"""Issue 16: `dblint init` finishes the job on real Django and Alembic projects (made with the
real tools): no TARGET needed, the settings module manage.py names, the database the settings or
alembic.ini declare, the models' MetaData env.py hands to Alembic; and it says which rules run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow  # runs django-admin, manage.py and alembic

BIN = Path(sys.executable).parent
MODELS = """\
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "item"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(20), nullable=False)
"""


def sh(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBLINT_", "DJANGO_"))}
    proc = subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_init_on_a_django_project(tmp_path: Path) -> None:
    pytest.importorskip("django")
    py = sys.executable
    sh(tmp_path, py, "-m", "django", "startproject", "proj", ".")
    sh(tmp_path, py, "manage.py", "startapp", "shop")
    settings = tmp_path / "proj" / "settings.py"
    settings.write_text(
        settings.read_text().replace(
            "'django.contrib.staticfiles',", "'django.contrib.staticfiles',\n    'shop',"
        )
    )
    (tmp_path / "shop" / "models.py").write_text(
        "from django.db import models\n\n\n"
        "class Product(models.Model):\n    name = models.CharField(max_length=20)\n"
    )
    sh(tmp_path, py, "manage.py", "makemigrations", "shop", "-v0")
    sh(tmp_path, py, "manage.py", "migrate", "-v0")
    res = sh(tmp_path, str(BIN / "dblint"), "init")  # no TARGET: the settings name db.sqlite3
    cfg = yaml.safe_load((tmp_path / "dblint.yaml").read_text())
    assert cfg["database"]["url"] == "db.sqlite3"
    assert cfg["migrations"]["django"] == {"apps": {"shop": "shop/migrations"}, "settings": "proj.settings"}
    # It says what runs: with the settings, Django's state is read (DRIFT, PRE, MIG007 run).
    said = res.stderr.splitlines()
    assert said[1].startswith("19 of ") and "rules of the packs that apply run on this database" in said[1]
    skipped = "\n".join(said[2:])
    assert (
        "MIG006" in skipped and "DRIFT" not in skipped and "PRE0" not in skipped and "MIG007" not in skipped
    )
    _migration_rules_pass(tmp_path)


def test_init_on_an_alembic_project(tmp_path: Path) -> None:
    pytest.importorskip("alembic")
    alembic = str(BIN / "alembic")
    sh(tmp_path, alembic, "init", "alembic")
    ini = tmp_path / "alembic.ini"
    ini.write_text(
        "\n".join(
            "sqlalchemy.url = sqlite:///app.db" if line.startswith("sqlalchemy.url") else line
            for line in ini.read_text().splitlines()
        )
        + "\n"
    )
    (tmp_path / "models.py").write_text(MODELS)
    env = tmp_path / "alembic" / "env.py"
    env.write_text(
        env.read_text().replace(
            "target_metadata = None", "from models import Base\ntarget_metadata = Base.metadata"
        )
    )
    sh(tmp_path, alembic, "revision", "--autogenerate", "-m", "one")
    sh(tmp_path, alembic, "upgrade", "head")
    res = sh(tmp_path, str(BIN / "dblint"), "init")
    cfg = yaml.safe_load((tmp_path / "dblint.yaml").read_text())
    assert cfg["database"]["url"] == "app.db"
    assert cfg["migrations"] == {"alembic": {"ini": "alembic.ini"}}
    assert cfg["models"] == {"metadata": "models:Base.metadata"}
    assert "rules of the packs that apply run on this database" in res.stderr
    assert "DRIFT" not in res.stderr.split("\n", 2)[-1]  # the models were found: DRIFT runs
    _migration_rules_pass(tmp_path)


def test_init_without_target_takes_the_one_sqlite_file(tmp_path: Path) -> None:
    import sqlite3

    sqlite3.connect(tmp_path / "only.sqlite").execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY)"
    ).connection.close()
    sh(tmp_path, str(BIN / "dblint"), "init")
    assert yaml.safe_load((tmp_path / "dblint.yaml").read_text())["database"]["url"] == "only.sqlite"
    (tmp_path / "other.sqlite").write_bytes((tmp_path / "only.sqlite").read_bytes())
    (tmp_path / "dblint.yaml").unlink()
    two = subprocess.run([str(BIN / "dblint"), "init"], cwd=tmp_path, capture_output=True, text=True)
    assert two.returncode == 2 and "no database" in two.stderr  # two candidates: never a guess


def _migration_rules_pass(project: Path) -> None:
    """`dblint check` with the config `dblint init` wrote: every migration rule runs and passes."""
    check = subprocess.run(
        [str(BIN / "dblint"), "check", "--select", "MIG,DRIFT,PRE"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
