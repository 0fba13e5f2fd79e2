"""``dblint init [TARGET]``: a starter ``dblint.yaml`` for one database.

It looks, read-only, at the target's tables and at the working directory, then writes a commented
config: the database URL (password replaced by ``${DBLINT_PASSWORD}``), the built-in and installed
packs that apply (the others listed under ``disable_packs``), and the Alembic/Django migrations
folders it found. Whether a pack applies is the pack's own answer (``dblint_applies``, through
:func:`linter.load.packs.applicability`, as ``check`` asks it), given the config being written.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from linter import db
from linter.commands.init_project import Project, read_project
from linter.errors import ConfigError, TargetError
from linter.load import plugins
from linter.load.config import Config
from linter.load.packs import EVERYWHERE, DatabaseInfo, applicability

SKIP_DIRS = {
    ".git",
    ".hg",
    ".venv",
    "venv",
    "env",
    "node_modules",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    "site-packages",
}
MAX_DEPTH = 4


@dataclass
class Findings:
    dialect: str
    url: str
    tables: set[str]
    packs: dict[str, bool] = field(default_factory=dict)  # pack -> applies
    reasons: dict[str, str] = field(default_factory=dict)
    alembic: list[tuple[str, str]] = field(default_factory=list)  # (kind: ini|script_location, path)
    django: dict[str, str] = field(default_factory=dict)  # app label -> migrations folder
    sections: set[str] = field(default_factory=set)  # config sections the loaded packs own
    project: Project = field(default_factory=Project)  # settings, database and models read statically


def _walk(root: Path) -> Iterator[Path]:
    """Folders under ``root``, a few levels deep, skipping virtualenvs and VCS folders."""
    stack = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        yield folder
        if depth >= MAX_DEPTH:
            continue
        try:
            children = sorted(p for p in folder.iterdir() if p.is_dir() and p.name not in SKIP_DIRS)
        except OSError:
            continue
        stack += [(c, depth + 1) for c in reversed(children) if not c.name.startswith(".")]


def find_migrations(root: Path) -> tuple[list[tuple[str, str]], dict[str, str]]:
    alembic: list[tuple[str, str]] = []
    django: dict[str, str] = {}
    for folder in _walk(root):
        ini = folder / "alembic.ini"
        if ini.is_file():
            cp = configparser.ConfigParser()
            try:
                cp.read(ini, encoding="utf-8")
                if cp.has_option("alembic", "script_location"):
                    alembic.append(("ini", os.path.relpath(ini, root)))
            except configparser.Error:
                pass
        if (
            (folder / "env.py").is_file()
            and (folder / "versions").is_dir()
            and (folder / "script.py.mako").is_file()
        ):
            rel = os.path.relpath(folder, root)
            if not any(k == "ini" for k, _ in alembic):
                alembic.append(("script_location", rel))
        if folder.name == "migrations" and (folder / "__init__.py").is_file():
            if any(p.name[:4].isdigit() for p in folder.glob("[0-9]*.py")):
                django.setdefault(folder.parent.name, os.path.relpath(folder, root))
    return alembic, django


def inspect(app: Any, target: str | None, cwd: Path) -> Findings:
    alembic, django = find_migrations(cwd)
    ini = next((cwd / path for kind, path in alembic if kind == "ini"), None)
    project = read_project(cwd, ini)
    if target is None and not app.config.database.url and not db.env_url():
        target = project.database  # what manage.py's settings or alembic.ini name, or the one SQLite file
        if target is None:
            raise TargetError(
                "no database: give a TARGET (URL or SQLite file); none found here (no manage.py "
                "settings DATABASES, alembic.ini sqlalchemy.url or single SQLite file)"
            )
    url = app.target_url(target)
    engine = db.create_engine(url)
    try:
        with db.read_only(engine) as conn:
            insp = sa.inspect(conn)
            tables = {t.lower() for t in insp.get_table_names(schema=app.config.database.schema_name)}
        dialect = db.dialect_of(engine)
    finally:
        engine.dispose()
    f = Findings(dialect, _url_for_config(url, target, cwd), tables)
    f.alembic, f.django, f.project = alembic, django, project
    f.sections = set(plugins.collect_config_sections(app.pm))
    answers = applicability(app.pm, DatabaseInfo.of(dialect, tables), _planned_config(app.config, f))
    for pack in sorted({pack for _path, pack, _version in plugins.rule_sources(app.pm)}):
        verdict = answers.get(pack, EVERYWHERE)  # a pack without dblint_applies applies anywhere
        f.packs[pack], f.reasons[pack] = verdict.applies, verdict.reason
    return f


def _migrations_block(f: Findings) -> dict[str, Any]:
    """The ``migrations:`` section for what was found (empty when nothing was)."""
    block: dict[str, Any] = {}
    if f.django:
        block["django"] = {"apps": dict(sorted(f.django.items()))}
        if f.project.django_settings:  # Django's own loader: DRIFT, PRE and MIG007 can run
            block["django"]["settings"] = f.project.django_settings
    if f.alembic:
        kind, path = f.alembic[0]
        block["alembic"] = {kind: path}
    return block


def _planned_config(config: Config, f: Findings) -> Config:
    """The config as it will be once the starter file is used: with the migrations found, so the
    migrations pack's answer agrees with the section written beside it."""
    block = _migrations_block(f)
    if not block or "migrations" not in f.sections or config.section("migrations") is not None:
        return config
    extra: dict[str, Any] = {"migrations": block}
    if f.project.metadata and "models" in f.sections:
        extra["models"] = {"metadata": f.project.metadata}
    return config.with_sections(extra)


def _url_for_config(url: sa.URL, target: str | None, cwd: Path) -> str:
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            return "sqlite://"
        try:
            return os.path.relpath(url.database, cwd)  # a path, relative to the config file
        except ValueError:
            return str(url.database)
    if url.password:  # never write a password into a file: the config reads it from the environment
        sentinel = "DBLINTPASSWORDPLACEHOLDER"
        return (
            url.set(password=sentinel)
            .render_as_string(hide_password=False)
            .replace(sentinel, "${DBLINT_PASSWORD}")
        )
    return url.render_as_string(hide_password=False)


def render(f: Findings, config_fields: Iterable[str]) -> str:
    """The starter config as commented YAML."""
    fields = set(config_fields)
    out = [
        "# dblint configuration written by `dblint init`; every key is described in config.example.yaml.",
        f"# Target: a {f.dialect} database with {len(f.tables)} table(s).",
        "",
        "database:",
        f"  url: {yaml.safe_dump(f.url, default_style=None).splitlines()[0]}",
    ]
    if f.dialect != "sqlite":
        out += ["  statement_timeout: 5m", "  lock_timeout: 10s"]
    out += ["", "# Rule packs, and why they do or do not apply to this database:"]
    for pack, applies in f.packs.items():
        out.append(f"#   {pack}: {'on' if applies else 'off'} ({f.reasons[pack]})")
    off = [p for p, a in f.packs.items() if not a]
    out.append(f"disable_packs: [{', '.join(off)}]")
    out += ["", "# Extra rule files or folders of your own, relative to this file.", "rules: []"]
    if f.alembic or f.django:
        out += ["", "# Migrations found under this folder (read by the migrations pack)."]
        dumped = yaml.safe_dump(
            {"migrations": _migrations_block(f)}, default_flow_style=False, sort_keys=False
        )
        block = dumped.splitlines()
        if f.project.django_settings and f.django:
            where = f.project.database_from
            out.append(f"# settings: from manage.py (DJANGO_SETTINGS_MODULE); database from {where}")
        if f.project.metadata:
            block += [
                "models:",
                f"  metadata: {f.project.metadata}  # target_metadata of {f.project.metadata_from}",
            ]
        if "migrations" in fields | f.sections:
            out += block
        else:  # this dblint has no migrations pack configuration: keep it as a note
            out += ["# " + line for line in block]
    out += [
        "",
        "# Accepted violations (rule, table and/or key, with a reason), e.g.",
        "# suppress: [{rule: CORE002, table: import_log, reason: staging table, no key by design}]",
        "suppress: []",
    ]
    return "\n".join(out) + "\n"


def verify(path: Path) -> str:
    """Check the database once with the written config, read-only, and say which rules run and
    why any do not: a starter config must not leave rules silently skipped."""
    import json

    from linter.app import App
    from linter.load.config import load_config
    from linter.run import CheckOptions, CheckRun

    app = App.load(load_config(path))
    text, _code = CheckRun(app, CheckOptions(fmt="json"), lambda line: None).run([None])
    rules = json.loads(text)["rules"]
    ran = [r for r in rules if r["status"] in ("pass", "fail")]
    by_reason: dict[str, list[str]] = {}
    for r in rules:
        if r["status"] in ("skipped", "error"):
            by_reason.setdefault(f"{r['status']}: {r['reason']}", []).append(r["id"])
    lines = [f"{len(ran)} of {len(rules)} rules of the packs that apply run on this database"]
    lines += [f"  {', '.join(ids)} {why}" for why, ids in by_reason.items()]
    if not by_reason:
        lines[0] += ": every one"
    return "\n".join(lines)


def write(path: Path, text: str, force: bool) -> None:
    if path.exists() and not force:
        raise ConfigError(f"{path} exists; use --force to replace it (or --output - to print)")
    path.write_text(text, encoding="utf-8")
