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

from dblint_migrations.config import migrations_section
from dblint_migrations.readers import ProjectError, project
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
        return "Django is not installed (pip install 'dblint[django]')"
    return None


def django_installed() -> bool:
    return importlib.util.find_spec("django") is not None


def require(ctx: Context) -> None:
    reason = unavailable(ctx)
    if reason:
        raise MissingObject(reason)


def load(ctx: Context, applied: set[tuple[str, str]]) -> State:
    require(ctx)
    key = "django_state:" + json.dumps(sorted(applied))

    def build() -> State:
        request = {"root": str(project.root(ctx)), "settings": settings(ctx), "applied": sorted(applied)}
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
        data = json.loads(proc.stdout)
        return State(data["applied"], data["pending"], data["steps"])

    return project.cached(ctx, key, build)
