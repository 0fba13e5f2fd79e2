"""Projects built with the real tools (``alembic init``/``revision``, ``django-admin startproject``/
``makemigrations``), once per module, copied per test."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from mig_projects import DJANGO_VERSIONS, AlembicProject, DjangoProject, build_django_template


@pytest.fixture(scope="module")
def alembic_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from alembic import command
    from alembic.config import Config

    root = tmp_path_factory.mktemp("alembic_template")
    command.init(Config(str(root / "alembic.ini"), stdout=io.StringIO()), str(root / "alembic"))
    ini = root / "alembic.ini"  # init writes the absolute folder; make the copy relocatable
    ini.write_text(
        ini.read_text().replace(f"script_location = {root / 'alembic'}", "script_location = %(here)s/alembic")
    )
    return root


@pytest.fixture
def alembic_project(alembic_template: Path, tmp_path: Path, dblint_db: Any) -> AlembicProject:
    root = tmp_path / "proj"
    shutil.copytree(alembic_template, root)
    return AlembicProject(root, dblint_db.url_string)


@pytest.fixture(scope="module")
def django_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("django_template")
    build_django_template(root, DJANGO_VERSIONS)
    return root


@pytest.fixture
def django_project(django_template: Path, tmp_path: Path, dblint_db: Any) -> DjangoProject:
    root = tmp_path / "site"
    shutil.copytree(django_template, root)
    return DjangoProject(root, dblint_db.url_string)
