"""Alembic's revision graph, read from the scripts without importing them.

``script_location`` comes from ``alembic.ini`` (``%(here)s`` and paths relative to the ini's folder)
or straight from the config; revisions are the ``*.py`` files of ``version_locations`` (default
``<script_location>/versions``) with module-level ``revision``, ``down_revision`` (a string, a
tuple for a merge, or None), ``depends_on`` and ``branch_labels``; with
``recursive_version_locations = true`` the version folders' subfolders too. ``upgrade()`` is read
for the schema operations it names (:mod:`dblint_migrations.readers.alembic_ops`). ``env.py`` is
read for the ``version_table`` / ``version_table_schema`` its ``context.configure(...)`` calls give.
"""

from __future__ import annotations

import ast
import configparser
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dblint_migrations.readers import ProjectError, ordered, parse_python
from dblint_migrations.readers.alembic_ops import Ops, read_upgrade


@dataclass
class Revision:
    revision: str
    path: Path
    down: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    branch_labels: tuple[str, ...] = ()
    ops: Ops = field(default_factory=Ops)

    @property
    def parents(self) -> tuple[str, ...]:
        return self.down + self.depends_on


def script_location(ini: Path | None, location: Path | None) -> tuple[Path, list[Path], bool]:
    """(script folder, version folders, whether their subfolders hold revisions too)."""
    versions: list[Path] = []
    recursive = False
    if ini is not None:
        if not ini.is_file():
            raise ProjectError(f"migrations.alembic.ini: {ini} does not exist")
        parser = configparser.ConfigParser(defaults={"here": str(ini.parent)})
        try:
            parser.read(ini, encoding="utf-8")
            loc = parser.get("alembic", "script_location")
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise ProjectError(f"{ini}: no [alembic] script_location ({str(exc).splitlines()[0]})") from None
        location = _resolve(ini.parent, loc)
        raw = parser.get("alembic", "version_locations", fallback="")
        if raw.strip():
            sep_name = parser.get("alembic", "path_separator", fallback="")
            sep = {"space": " ", "newline": "\n", "os": os.pathsep, ";": ";", ":": ":"}.get(sep_name)
            parts = raw.split(sep) if sep else re.split(r"[\s,]+", raw)
            versions = [_resolve(ini.parent, p.strip()) for p in parts if p.strip()]
        flag = parser.get("alembic", "recursive_version_locations", fallback="false")
        recursive = flag.strip().lower() in ("true", "1", "yes", "on")
    assert location is not None
    if not location.is_dir():
        raise ProjectError(f"alembic script_location {location} is not a folder")
    return location, versions or [location / "versions"], recursive


ENV_KEYS = ("version_table", "version_table_schema")


def env_settings(env: Path, shown: str, keys: Iterable[str] = ENV_KEYS) -> dict[str, str | None]:
    """What ``env.py`` passes as ``keys`` (``version_table``, ``version_table_schema``) to its
    ``configure`` calls (``context.configure(...)``), read statically: only the keys it gives, each
    a string literal (``version_table_schema`` may also be None). A value that is not a literal,
    or different literals in different calls, is a ProjectError naming the config key that
    settles it. No env.py: {}. ``shown`` is the path as messages name it."""
    keys = set(keys)
    if not env.is_file():
        return {}
    tree = parse_python(env, shown)
    given: list[tuple[int, str, ast.expr]] = sorted(
        (
            (kw.value.lineno, kw.arg, kw.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "configure"
            for kw in node.keywords
            if kw.arg in keys
        ),
        key=lambda g: (g[0], g[1]),
    )
    found: dict[str, tuple[str | None, int]] = {}
    for line, key, v in given:
        ok = isinstance(v, ast.Constant) and (
            (isinstance(v.value, str) and v.value != "")
            or (v.value is None and key == "version_table_schema")
        )
        if not ok:
            text = ast.unparse(v)
            text = text if len(text) <= 40 else text[:37] + "..."
            raise ProjectError(
                f"{shown}:{line}: {key}={text} is not a string literal, and dblint reads env.py without "
                f"running it: set migrations.alembic.{key} in the dblint config"
            )
        value = v.value  # type: ignore[attr-defined]
        if key in found and found[key][0] != value:
            first, at = found[key]
            raise ProjectError(
                f"{shown}:{line}: {key}={value!r}, but line {at} gives {first!r}: "
                f"set migrations.alembic.{key} in the dblint config"
            )
        found.setdefault(key, (value, line))
    return {k: v for k, (v, _) in found.items()}


def _resolve(base: Path, p: str) -> Path:
    path = Path(p)
    return path if path.is_absolute() else (base / path).resolve()


def _names(node: ast.expr | None, path: Path) -> tuple[str, ...]:
    if node is None:
        return ()
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise ProjectError(f"{path}:{node.lineno}: cannot read this value without running the file") from None
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple | list | set | frozenset) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ProjectError(f"{path}:{node.lineno}: expected a revision id, a tuple of them, or None")


def parse_file(path: Path) -> Revision | None:
    tree = parse_python(path)
    values: dict[str, ast.expr | None] = {}
    upgrade: ast.FunctionDef | None = None
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            values[stmt.targets[0].id] = stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            values[stmt.target.id] = stmt.value
        elif isinstance(stmt, ast.FunctionDef) and stmt.name == "upgrade":
            upgrade = stmt
    if "revision" not in values:
        return None  # not a revision script (a helper module)
    rev = _names(values["revision"], path)
    if len(rev) != 1:
        raise ProjectError(f"{path}: revision must be one string")
    r = Revision(
        rev[0],
        path,
        _names(values.get("down_revision"), path),
        _names(values.get("depends_on"), path),
        _names(values.get("branch_labels"), path),
    )
    if upgrade is not None:
        r.ops = read_upgrade(upgrade)
    return r


@dataclass
class Graph:
    location: Path
    revisions: dict[str, Revision]
    labels: dict[str, str]  # branch label -> the revision declaring it
    # scripts that cannot be read without running them: path -> "line: what" (MIG009)
    unreadable: dict[Path, str] = field(default_factory=dict)
    _head_sets: list[tuple[str, set[str]]] | None = field(default=None, repr=False)
    _labels_of: dict[str, frozenset[str]] | None = field(default=None, repr=False)

    def resolve(self, name: str) -> str | None:
        if name in self.revisions:
            return name
        return self.labels.get(name)

    def heads(self) -> list[str]:
        has_child = {p for r in self.revisions.values() for p in r.down}
        return sorted(k for k in self.revisions if k not in has_child)

    def missing(self) -> list[tuple[str, str]]:
        """(revision, parent it names that no script has)."""
        return [
            (r.revision, p) for r in self.revisions.values() for p in r.parents if self.resolve(p) is None
        ]

    def ancestors(self, revs: Iterable[str]) -> set[str]:
        """The revisions up to and including ``revs`` (via down_revision and depends_on)."""
        out: set[str] = set()
        todo = [r for r in revs if r in self.revisions]
        while todo:
            r = todo.pop()
            if r in out:
                continue
            out.add(r)
            for p in self.revisions[r].parents:
                q = self.resolve(p)
                if q is not None and q not in out:
                    todo.append(q)
        return out

    def order(self) -> list[str]:
        """Revisions with every parent before its children (ties by id)."""

        def parents(r: str) -> list[str]:
            return [q for q in (self.resolve(p) for p in self.revisions[r].parents) if q is not None]

        return ordered(self.revisions, parents, lambda r: f"alembic revision {r}")

    def branch_labels(self, rev: str) -> frozenset[str]:
        """The labels a revision carries, its own and its down_revision ancestors' (Alembic gives
        a label to every descendant of the revision declaring it)."""
        if self._labels_of is None:
            out: dict[str, frozenset[str]] = {}
            for r in self.order():
                inherited = [out[q] for q in (self.resolve(p) for p in self.revisions[r].down) if q in out]
                out[r] = frozenset(self.revisions[r].branch_labels).union(*inherited)
            self._labels_of = out
        return self._labels_of.get(rev, frozenset())

    def conflicting_heads(self) -> list[list[str]]:
        """Groups of heads that carry the same branch labels: two heads of one (labelled or
        unlabelled) branch need a merge; heads of differently labelled branches (Galaxy's gxy and
        tsi, Keystone's expand and contract) are there by design."""
        groups: dict[frozenset[str], list[str]] = {}
        for h in self.heads():
            groups.setdefault(self.branch_labels(h), []).append(h)
        return [g for _, g in sorted(groups.items(), key=lambda kv: sorted(kv[0])) if len(g) > 1]

    def upgrade_target(self, head: str) -> str:
        """What ``alembic upgrade`` takes to reach ``head``: ``head`` when it is the only one,
        ``<label>@head`` for a head alone on its labelled branch, else the revision itself."""
        heads = self.heads()
        if len(heads) == 1:
            return "head"
        labels = self.branch_labels(head)
        alone = [lb for lb in sorted(labels) if sum(lb in self.branch_labels(h) for h in heads) == 1]
        return f"{alone[0]}@head" if alone else head

    def head_of(self, rev: str) -> list[str]:
        """The heads a revision leads to (its branch)."""
        if self._head_sets is None:  # once per graph: a revision count of ancestor walks otherwise
            self._head_sets = [(h, self.ancestors([h])) for h in self.heads()]
        return [h for h, members in self._head_sets if rev in members]


def read(location: Path, versions: list[Path], recursive: bool = False) -> Graph:
    revisions: dict[str, Revision] = {}
    unreadable: dict[Path, str] = {}
    for folder in versions:
        if not folder.is_dir():
            raise ProjectError(f"alembic versions folder {folder} does not exist")
        for path in sorted(folder.rglob("*.py") if recursive else folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            try:
                r = parse_file(path)
            except ProjectError as exc:  # this file only: it is named once (MIG009), the rest is read
                unreadable[path] = str(exc).removeprefix(f"{path}:").removeprefix(f"{path}").lstrip(": ")
                continue
            if r is None:
                continue
            if r.revision in revisions:
                raise ProjectError(f"{path}: revision {r.revision} is also in {revisions[r.revision].path}")
            revisions[r.revision] = r
    labels = {label: r.revision for r in revisions.values() for label in r.branch_labels}
    return Graph(location, revisions, labels, unreadable=unreadable)
