"""What ``dblint init`` reads from the project around the database, statically (nothing is
imported or run): the settings module ``manage.py`` names and the database its ``DATABASES``
declares; ``alembic.ini``'s ``sqlalchemy.url``; the models' MetaData that Alembic's ``env.py``
hands to ``target_metadata``; else the one SQLite file in the folder."""

from __future__ import annotations

import ast
import configparser
import os
import re
from dataclasses import dataclass
from pathlib import Path

from linter.db.url import is_sqlite_file

_SETTINGS = re.compile(r"""DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']""")
DJANGO_ENGINES = {
    "django.db.backends.sqlite3": "sqlite",
    "django.db.backends.postgresql": "postgresql+psycopg",
    "django.db.backends.postgresql_psycopg2": "postgresql+psycopg",
    "django.db.backends.mysql": "mysql+pymysql",
}


@dataclass
class Project:
    django_settings: str | None = None  # "proj.settings", importable from the config's folder
    database: str | None = None  # a URL or SQLite path for the config (relative to cwd)
    database_from: str = ""  # where it was read ("proj/settings.py DATABASES['default']")
    metadata: str | None = None  # "models:Base.metadata"
    metadata_from: str = ""


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None


def django_settings(root: Path) -> tuple[str, Path] | None:
    """(settings module, its file) from ``root/manage.py``'s DJANGO_SETTINGS_MODULE default."""
    manage = root / "manage.py"
    try:
        m = _SETTINGS.search(manage.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    if not m:
        return None
    module = m.group(1)
    file = root / (module.replace(".", "/") + ".py")
    if not file.is_file():
        file = root / module.replace(".", "/") / "__init__.py"
    return module, file


def _literal(node: ast.AST | None) -> str | None:
    """A string a settings value ends in: "x", BASE_DIR / "x", os.path.join(BASE_DIR, "x")."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int):
        return str(node.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return _literal(node.right)
    if isinstance(node, ast.Call) and node.args:
        return _literal(node.args[-1])
    return None


def django_database(settings_file: Path, root: Path) -> str | None:
    """The default database of a settings file, as a URL (a server) or a path (SQLite; Django
    projects name it ``BASE_DIR / "db.sqlite3"``, BASE_DIR being the manage.py folder)."""
    tree = _parse(settings_file)
    if tree is None:
        return None
    for node in tree.body:
        if not (
            isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "DATABASES" for t in node.targets)
        ):
            continue
        default = _entry(node.value, "default")
        if not isinstance(default, ast.Dict):
            return None
        fields = {k: _literal(_entry(default, k)) for k in ("ENGINE", "NAME", "USER", "HOST", "PORT")}
        scheme = DJANGO_ENGINES.get(fields["ENGINE"] or "")
        if scheme is None or not fields["NAME"]:
            return None
        if scheme == "sqlite":
            return os.path.relpath(root / fields["NAME"])
        user = f"{fields['USER']}:${{DBLINT_PASSWORD}}@" if fields["USER"] else ""
        port = f":{fields['PORT']}" if fields["PORT"] else ""
        return f"{scheme}://{user}{fields['HOST'] or 'localhost'}{port}/{fields['NAME']}"
    return None


def _entry(node: ast.AST, key: str) -> ast.AST | None:
    if isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values, strict=True):
            if isinstance(k, ast.Constant) and k.value == key:
                return v
    return None


def alembic_url(ini: Path) -> str | None:
    cp = configparser.ConfigParser(interpolation=None)
    try:
        cp.read(ini, encoding="utf-8")
        url = cp.get("alembic", "sqlalchemy.url", fallback="").strip()
    except configparser.Error:
        return None
    if not url or "driver://" in url or "%(" in url:  # alembic init's placeholder, or computed
        return None
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        return os.path.relpath(ini.parent / url.removeprefix("sqlite:///"))
    return url


def alembic_metadata(env_py: Path) -> str | None:
    """``module:Name.metadata`` from ``target_metadata = Base.metadata`` and the import that
    brings ``Base`` (``from app.models import Base``), as env.py writes them."""
    tree = _parse(env_py)
    if tree is None:
        return None
    imported: dict[str, str] = {}
    value: ast.AST | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                imported[a.asname or a.name] = f"{node.module}:{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                imported[a.asname or a.name] = a.name + ":"
        elif isinstance(node, ast.Assign) and any(
            getattr(t, "id", "") == "target_metadata" for t in node.targets
        ):
            value = node.value
    chain: list[str] = []
    while isinstance(value, ast.Attribute):
        chain.insert(0, value.attr)
        value = value.value
    if not isinstance(value, ast.Name) or value.id not in imported:
        return None
    module, _, name = imported[value.id].partition(":")
    path = ".".join(p for p in [name, *chain] if p)
    if not path:  # `import models` … `target_metadata = models`: not a MetaData path
        return None
    return f"{module}:{path}"


def sqlite_files(root: Path) -> list[Path]:
    found = []
    for p in sorted(root.iterdir()):
        if p.is_file() and p.suffix.lower() in (".sqlite", ".sqlite3", ".db", ".db3"):
            if is_sqlite_file(p):
                found.append(p)
    return found


def read_project(root: Path, alembic_ini: Path | None) -> Project:
    p = Project()
    found = django_settings(root)
    if found is not None:
        p.django_settings = found[0]
        p.database = django_database(found[1], root)
        p.database_from = f"{os.path.relpath(found[1], root)} DATABASES['default']"
    if alembic_ini is not None:
        if p.database is None:
            p.database = alembic_url(alembic_ini)
            p.database_from = f"{os.path.relpath(alembic_ini, root)} sqlalchemy.url"
        cp = configparser.ConfigParser(interpolation=None)
        try:
            cp.read(alembic_ini, encoding="utf-8")
            scripts = cp.get("alembic", "script_location", fallback="alembic")
        except configparser.Error:
            scripts = "alembic"
        env_py = alembic_ini.parent / scripts.replace("%(here)s", ".") / "env.py"
        p.metadata = alembic_metadata(env_py)
        p.metadata_from = os.path.relpath(env_py, root)
    if p.database is None:
        files = sqlite_files(root)
        if len(files) == 1:
            p.database, p.database_from = os.path.relpath(files[0]), "the one SQLite file here"
    return p
