"""Helpers for projects built with the real tools (Alembic, Django)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import yaml


def write_config(root: Path, url: str, **sections: Any) -> Path:
    cfg = {"database": {"url": url}, **sections}
    path = root / "dblint.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


class AlembicProject:
    """An ``alembic init`` project whose revisions are made by ``alembic revision`` with fixed ids."""

    def __init__(self, root: Path, url: str) -> None:
        from alembic.config import Config

        self.root = root
        self.url = url
        self.out = io.StringIO()
        self.cfg = Config(str(root / "alembic.ini"), stdout=self.out)
        self.cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))

    def revision(self, rev: str, body: str, head: str = "head", splice: bool = False) -> Path:
        from alembic import command

        script = command.revision(self.cfg, message=f"rev {rev}", rev_id=rev, head=head, splice=splice)
        path = Path(script.path)  # type: ignore[union-attr]
        text = path.read_text(encoding="utf-8")
        marker = '    """Upgrade schema."""\n    pass\n'
        assert marker in text
        path.write_text(
            text.replace(
                marker, '    """Upgrade schema."""\n' + textwrap.indent(textwrap.dedent(body), "    ")
            ),
            encoding="utf-8",
        )
        return path

    def run(self, name: str, *args: Any, **kw: Any) -> str:
        from alembic import command

        self.out.seek(0)
        self.out.truncate()
        getattr(command, name)(self.cfg, *args, **kw)
        return self.out.getvalue()


SETTINGS_TAIL = """
# --- test project: one app under test plus one contrib app whose rows dblint must leave alone ---
import os as _os
from urllib.parse import unquote as _unquote, urlsplit as _urlsplit

INSTALLED_APPS = ["django.contrib.contenttypes", "shop"]
MIDDLEWARE = []
_u = _urlsplit(_os.environ.get("DBLINT_DJANGO_URL", "sqlite:///" + str(BASE_DIR / "db.sqlite3")))
if _u.scheme.startswith("sqlite"):
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": _unquote(_u.path[1:])}}
else:
    if _u.scheme.startswith("mysql"):
        import pymysql

        pymysql.install_as_MySQLdb()
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends."
            + ("postgresql" if _u.scheme.startswith("postgresql") else "mysql"),
            "NAME": _u.path.lstrip("/"),
            "USER": _u.username or "",
            "PASSWORD": _u.password or "",
            "HOST": _u.hostname or "",
            "PORT": str(_u.port or ""),
        }
    }
"""


class DjangoProject:
    """A ``django-admin startproject`` project with app ``shop``; commands run as subprocesses
    (``manage.py``), as users run them, against ``url``."""

    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self.url = url

    def manage(
        self, *args: str, check: bool = True, paths: list[Path] = (), env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``manage.py ARGS`` with ``paths`` on PYTHONPATH after the project (installed apps)."""
        extra = env or {}
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(self.root), *map(str, paths)]), **extra)
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.pop("DBLINT_DJANGO_URL", None)
        if self.url:
            env["DBLINT_DJANGO_URL"] = self.url
        proc = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc

    @property
    def migrations(self) -> Path:
        return self.root / "shop" / "migrations"

    def models(self, source: str) -> None:
        (self.root / "shop" / "models.py").write_text(textwrap.dedent(source), encoding="utf-8")


def build_django_template(root: Path, versions: list[tuple[str, str]]) -> DjangoProject:
    """startproject + startapp + one makemigrations per (name, models source)."""
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "proj", str(root)], check=True, capture_output=True
    )
    p = DjangoProject(root, "")
    p.manage("startapp", "shop")
    settings = root / "proj" / "settings.py"
    settings.write_text(settings.read_text() + SETTINGS_TAIL, encoding="utf-8")
    (root / "proj" / "urls.py").write_text("urlpatterns = []\n", encoding="utf-8")  # no admin app here
    for name, source in versions:
        p.models(source)
        p.manage("makemigrations", "shop", "--name", name, "--noinput")
    return p


# The template project's models, one makemigrations per version.
MODELS_V1 = """
from django.db import models


class Shelf(models.Model):  # field types and indexes whose spelling differs per server: no drift expected
    products = models.ManyToManyField("Product")
    code = models.SlugField(unique=True)
    uid = models.UUIDField(null=True)
    meta = models.JSONField(default=dict)
    when = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True)
    size = models.PositiveSmallIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["size", "code"], name="shelf_size_code")]
        unique_together = [("uid", "size")]


class Product(models.Model):
    name = models.CharField(max_length=100, null=True)
    sku = models.CharField(max_length=20, null=True)
"""
MODELS_V2 = (
    MODELS_V1
    + """    price = models.DecimalField(max_digits=8, decimal_places=2, null=True)
"""
)
MODELS_V3 = (
    MODELS_V2
    + """

class Tag(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE)
    label = models.CharField(max_length=50)
"""
)
MODELS_V4 = (
    MODELS_V3.replace(
        "name = models.CharField(max_length=100, null=True)",
        'name = models.CharField(max_length=100, default="unnamed")',
    )
    .replace(
        "sku = models.CharField(max_length=20, null=True)",
        "sku = models.CharField(max_length=20, null=True, unique=True)",
    )
    .replace("label = models.CharField(max_length=50)", "label = models.CharField(max_length=10)")
)
MODELS_V5 = MODELS_V4.replace(
    "    price =", "    color = models.CharField(max_length=20, null=True)\n    price ="
)
DJANGO_VERSIONS = [
    ("initial", MODELS_V1),
    ("product_price", MODELS_V2),
    ("tag", MODELS_V3),
    ("tighten", MODELS_V4),
    ("product_color", MODELS_V5),
]


def migrate_plan(stdout: str) -> list[str]:
    """The migrations `manage.py migrate --plan` lists ("app.name"), in its order."""
    return [
        line.strip()
        for line in stdout.splitlines()
        if line.strip() and not line.startswith(" ") and not line.startswith("Planned operations")
    ]
