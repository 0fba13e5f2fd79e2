"""The schemas a Django project's migrations describe, from Django's own ``MigrationLoader`` and
``ProjectState``: the state after the applied migrations (what the database should look like now:
DRIFT, MIG007) and after all of them (what it must accept next: PRE), plus what each pending
migration creates.

It runs in a child process (``python -m dblint_migrations.readers.django_child``) because ``django.setup()``
is once per process and imports the project: dblint itself never imports user code for Django, and
several projects can be checked in one process (tests). The applied set comes from dblint's own
read of ``django_migrations``; Django never connects to the database.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from dblint_migrations.config import migrations_section
from dblint_migrations.readers import ProjectError, django_graph, project
from dblint_migrations.readers.django_graph import Key
from linter import Context, MissingObject

TIMEOUT = 120


@dataclass
class State:
    applied: dict[str, Any]  # {"tables": {...}} as described by _describe
    pending: dict[str, Any]
    steps: list[dict[str, Any]]  # [{"app", "name", "creates": [[kind, table, name], ...]}]


def settings(ctx: Context) -> str | None:
    cfg = migrations_section(ctx.config)
    return cfg.django.settings if cfg is not None and cfg.django is not None else None


def unavailable(ctx: Context) -> str | None:
    """Why Django's state cannot be had, or None."""
    if settings(ctx) is None:
        return "no migrations.django.settings configured (needed for Django's migration state)"
    if not django_installed():
        return (
            "Django is not installed (pip install Django; "
            "from a dblint clone: .venv/bin/pip install -e '.[django]')"
        )
    return None


def django_installed() -> bool:
    return importlib.util.find_spec("django") is not None


def require(ctx: Context) -> None:
    reason = unavailable(ctx)
    if reason:
        raise MissingObject(reason)


def _child(ctx: Context, request: dict[str, Any]) -> dict[str, Any]:
    """Run Django's loader in the child process on ``request``; its JSON answer."""
    request = {"root": str(project.root(ctx)), "settings": settings(ctx), **request}
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=str(settings(ctx)))
    env["PYTHONPATH"] = os.pathsep.join([str(project.root(ctx)), *filter(None, [env.get("PYTHONPATH")])])
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "dblint_migrations.readers.django_child"],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            cwd=str(project.root(ctx)),
            env=env,
        )
    except subprocess.TimeoutExpired:
        raise ProjectError(f"Django's migration loader took longer than {TIMEOUT}s") from None
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout).strip().splitlines() if ln.strip()]
        raise ProjectError(
            f"Django could not load the migration state: {lines[-1] if lines else proc.returncode}"
        )
    return dict(json.loads(proc.stdout))


def read_files(ctx: Context, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """What Django's own loader reads in the migration files dblint could not read statically:
    {key: {"dependencies", "replaces", "run_before"}} (swappable dependencies resolved)."""
    require(ctx)

    def build() -> dict[tuple[str, str], dict[str, Any]]:
        found = _child(ctx, {"files": [list(k) for k in keys]})["files"]
        return {(k.split(".", 1)[0], k.split(".", 1)[1]): v for k, v in found.items()}

    return project.cached(ctx, "django_files_read:" + json.dumps(sorted(keys)), build)


def graph(conn: Connection | None, ctx: Context, recorded: set[Key] | None = None) -> django_graph.Graph:
    """The configured apps' graph given the rows of django_migrations (read on ``conn`` unless
    ``recorded`` is given): read statically, and the files that cannot be read statically read
    by Django's own loader when the settings allow it."""
    apps = project.django_apps(ctx)
    assert apps is not None
    files = project.cached(ctx, "django_files", lambda: django_graph.read_all(apps))
    unreadable = sorted(k for k, m in files.items() if m.unreadable)
    if unreadable and unavailable(ctx) is None:
        try:
            read = read_files(ctx, unreadable)
        except ProjectError as exc:  # the loader refuses: the rest is still judged statically
            read = {}
            with ctx.cache_lock:
                ctx.cache["django_loader_refused"] = str(exc)
        files = dict(files)
        for k in unreadable:
            if k in read:
                files[k] = django_graph.from_loader(files[k], read[k])
    rows = recorded if recorded is not None else project.django_rows(conn, ctx) if conn is not None else set()
    return django_graph.build(apps, rows, files)


def not_read(ctx: Context) -> str:
    """Why Django's loader did not read the files dblint could not (for MIG009's message)."""
    return unavailable(ctx) or ctx.cache.get("django_loader_refused") or "Django's loader was not asked"


def refusal(g: django_graph.Graph) -> str | None:
    """Why Django's ``MigrationLoader`` would refuse the graph before reading any migration
    (NodeNotFoundError), as dblint's own finding names it; None when it would load."""
    for k, dep in sorted(g.missing):
        return f"{k[0]}.{k[1]} depends on {dep[0]}.{dep[1]}, which does not exist (MIG004)"
    return None


def load(ctx: Context, applied: set[tuple[str, str]]) -> State:
    require(ctx)
    refused = refusal(graph(None, ctx, applied))
    if refused:  # the root cause is a MIG rule's finding; Django would stop on it before reading
        raise MissingObject(f"Django's migration loader refuses this graph: {refused}")
    key = "django_state:" + json.dumps(sorted(applied))

    def build() -> State:
        data = _child(ctx, {"applied": sorted(applied)})
        return State(data["applied"], data["pending"], data["steps"])

    return project.cached(ctx, key, build)
