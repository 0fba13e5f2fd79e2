"""Django's migration graph, read from the files without importing them.

Each ``<app>/migrations/NNNN_name.py`` holds ``class Migration`` whose ``dependencies``,
``replaces``, ``run_before`` and ``initial`` are literal lists in practice; they are read with
``ast`` so neither Django nor the project's settings are needed. A file whose lists are computed
(a dependency conditional on settings) is *unreadable*: its edges are unknown, and it is read by
Django's own loader when the settings are configured (:mod:`.django_state`), or its app is not
judged where the unknown edges matter. The graph is then resolved the way
Django's ``MigrationLoader.build_graph`` does, given the rows of ``django_migrations``: squashed
migrations replace their targets when all or none of those are applied, and stand aside when only
some are.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dblint_migrations.readers import ProjectError, django_ops, ordered, parse_python

Key = tuple[str, str]  # (app label, migration name)


@dataclass
class Migration:
    app: str
    name: str
    path: Path
    dependencies: list[Key] = field(default_factory=list)
    replaces: list[Key] = field(default_factory=list)
    run_before: list[Key] = field(default_factory=list)
    initial: bool | None = None
    # why its dependencies cannot be read without running the file ("path:line: ..."), or None
    unreadable: str | None = None
    # its operations as dblint reads them (django_ops); None when they cannot be read statically
    operations: list[django_ops.Op] | None = field(default_factory=list)

    @property
    def key(self) -> Key:
        return (self.app, self.name)


def _pairs(node: ast.expr, path: Path) -> list[Key]:
    """A literal list of (app, name) pairs; calls such as ``swappable_dependency(...)`` name an app
    only known from settings and are left out (Django resolves them to ``(app, '__first__')``)."""
    if not isinstance(node, ast.List | ast.Tuple):
        text = ast.unparse(node)
        text = text if len(text) <= 50 else text[:47] + "..."
        raise ProjectError(
            f"{path}:{node.lineno}: `{text}` is computed, not a list of (app, migration) pairs"
        )
    out: list[Key] = []
    for elt in node.elts:
        if isinstance(elt, ast.Call):
            continue
        try:
            value = ast.literal_eval(elt)
        except ValueError:
            raise ProjectError(
                f"{path}:{elt.lineno}: cannot read this dependency without running the file"
            ) from None
        if not (
            isinstance(value, tuple | list) and len(value) == 2 and all(isinstance(v, str) for v in value)
        ):
            raise ProjectError(f"{path}:{elt.lineno}: a dependency must be an (app, migration) pair")
        out.append((value[0], value[1]))
    return out


def parse_file(app: str, path: Path) -> Migration | None:
    """The migration in ``path``, or None when the file holds no ``class Migration`` (Django
    would refuse it; helper modules in the folder are allowed to exist)."""
    tree = parse_python(path)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Migration":
            m = Migration(app, path.stem, path)
            for stmt in node.body:
                target, value = _assignment(stmt)
                if target in ("dependencies", "replaces", "run_before") and value is not None:
                    try:
                        setattr(m, target, _pairs(value, path))
                    except ProjectError as exc:  # this file only: the others are still judged
                        m.unreadable = m.unreadable or str(exc).removeprefix(f"{path}:")
                elif target == "initial" and isinstance(value, ast.Constant):
                    m.initial = bool(value.value)
                elif target == "operations":
                    try:
                        m.operations = django_ops.read(value)
                    except (django_ops.Unknown, ValueError):
                        m.operations = None
            return m
    return None


def _assignment(stmt: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id, stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id, stmt.value
    return None, None


def read_app(app: str, folder: Path) -> dict[str, Migration]:
    if not folder.is_dir():
        raise ProjectError(f"migrations.django.apps.{app}: {folder} is not a folder")
    out: dict[str, Migration] = {}
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith(("_", "~")):  # as Django's loader: __init__, editor backups
            continue
        m = parse_file(app, path)
        if m is not None:
            out[m.name] = m
    return out


@dataclass
class Graph:
    """The resolved graph: nodes in use, their parents, and what the bookkeeping table says."""

    apps: dict[str, Path]
    files: dict[Key, Migration]  # every migration file found
    nodes: dict[Key, Migration]  # after squash resolution
    parents: dict[Key, list[Key]]  # within the configured apps (resolved)
    external: dict[Key, list[Key]]  # dependencies on apps not configured (as written)
    missing: list[tuple[Key, Key]]  # (migration, dependency that names nothing)
    applied: set[Key]  # nodes counted as applied (a squash: when all it replaces are)
    recorded: set[Key]  # every row of django_migrations

    @property
    def unreadable(self) -> dict[Key, str]:
        """Files whose dependencies could not be read ("line: what"), Django's loader not asked."""
        return {k: m.unreadable for k, m in sorted(self.files.items()) if m.unreadable}

    def unknown_edges(self) -> dict[str, str]:
        """Apps whose graph has edges dblint cannot know, with why: a dependency naming a missing
        migration of the app (Django would have had an edge there) or an unreadable file. Their
        leaves are unknowable."""
        out: dict[str, str] = {}
        for k, dep in sorted(self.missing):
            if dep[0] == k[0]:
                out.setdefault(
                    k[0], f"{k[0]}.{k[1]} depends on {dep[0]}.{dep[1]}, which does not exist (MIG004)"
                )
        for k in self.unreadable:
            out.setdefault(
                k[0], f"the dependencies of {k[0]}.{k[1]} cannot be read without running it (MIG009)"
            )
        return out

    def children(self) -> dict[Key, list[Key]]:
        out: dict[Key, list[Key]] = {k: [] for k in self.nodes}
        for k, ps in self.parents.items():
            for p in ps:
                out.setdefault(p, []).append(k)
        return out

    def leaves(self, app: str) -> list[Key]:
        kids = self.children()
        return sorted(k for k in self.nodes if k[0] == app and not any(c[0] == app for c in kids.get(k, [])))

    def known_names(self, app: str) -> set[str]:
        """Names a row of django_migrations may carry without being stale: files, and the
        migrations a present squash replaces (their files are normally deleted after squashing)."""
        out = {n for (a, n) in self.files if a == app}
        for m in self.files.values():
            out |= {n for (a, n) in m.replaces if a == app}
        return out

    def stale_rows(self) -> list[Key]:
        known = {app: self.known_names(app) for app in self.apps}
        return sorted(k for k in self.recorded if k[0] in known and k[1] not in known[k[0]])

    def plan(self) -> list[Key]:
        """Every node in dependency order (ties by app and name), as ``migrate`` would apply them."""
        return ordered(self.nodes, lambda k: self.parents.get(k, []), lambda k: f"migration {k[0]}.{k[1]}")


def read_all(apps: Mapping[str, Path]) -> dict[Key, Migration]:
    files: dict[Key, Migration] = {}
    for app, folder in apps.items():
        for m in read_app(app, folder).values():
            files[m.key] = m
    return files


def build(
    apps: Mapping[str, Path], recorded: Iterable[Key], files: dict[Key, Migration] | None = None
) -> Graph:
    """The graph as Django resolves it given the recorded rows. ``files``: from :func:`read_all`
    (read once per run and shared by the rules), else read now."""
    recorded = set(recorded)
    files = read_all(apps) if files is None else files
    nodes = dict(files)
    remap: dict[Key, Key] = {}
    applied = {k for k in recorded if k in files}
    for key, m in sorted(files.items()):
        if not m.replaces:
            continue
        statuses = [t in recorded for t in m.replaces]
        if all(statuses):
            applied.add(key)
        else:
            applied.discard(key)
        if all(statuses) or not any(statuses):
            for t in m.replaces:  # the squash stands for them
                nodes.pop(t, None)
                remap[t] = key
        else:
            nodes.pop(key, None)  # partially applied: the replaced migrations stay in use
            last = m.replaces[-1]
            remap[key] = last

    def first_or_latest(app: str, which: str) -> Key | None:
        in_app = sorted(k for k in nodes if k[0] == app)
        if not in_app:
            return None
        internal = {
            k: [d for d in nodes[k].dependencies if d[0] == app and remap.get(d, d) in nodes] for k in in_app
        }
        if which == "__first__":
            roots = [k for k in in_app if not internal[k]]
            return roots[0] if roots else in_app[0]
        has_child = {remap.get(d, d) for deps in internal.values() for d in deps}
        leaves = [k for k in in_app if k not in has_child]
        return leaves[0] if leaves else in_app[-1]

    parents: dict[Key, list[Key]] = {k: [] for k in nodes}
    external: dict[Key, list[Key]] = {k: [] for k in nodes}
    missing: list[tuple[Key, Key]] = []
    for key, m in nodes.items():
        for dep in m.dependencies:
            if dep[0] not in apps:
                external[key].append(dep)
                continue
            if dep[0] == key[0] and dep[1] == "__first__":
                continue
            target: Key | None = dep
            if dep[1] in ("__first__", "__latest__"):
                target = first_or_latest(dep[0], dep[1])
            else:
                target = remap.get(dep, dep)
            if target is None or target not in nodes:
                missing.append((key, dep))
            elif target != key:
                parents[key].append(target)
        for child in m.run_before:
            c = remap.get(child, child)
            if c in nodes:
                parents[c].append(key)
            elif child[0] in apps:
                missing.append((key, child))
    return Graph(dict(apps), files, nodes, parents, external, missing, applied, recorded)


def from_loader(m: Migration, read: Mapping[str, list[list[str]]]) -> Migration:
    """``m`` with the dependencies, replaces and run_before Django's own loader read (the file
    computes them, so dblint could not)."""

    def pairs(name: str) -> list[Key]:
        return [(str(a), str(b)) for a, b in read.get(name, [])]

    return Migration(
        m.app,
        m.name,
        m.path,
        pairs("dependencies"),
        pairs("replaces"),
        pairs("run_before"),
        m.initial,
        operations=m.operations,
    )
