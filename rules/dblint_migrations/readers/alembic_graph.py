"""Alembic's revision graph, read from the scripts without importing them.

``script_location`` comes from ``alembic.ini`` (``%(here)s`` and paths relative to the ini's folder)
or straight from the config; revisions are the ``*.py`` files of ``version_locations`` (default
``<script_location>/versions``) with module-level ``revision``, ``down_revision`` (a string, a
tuple for a merge, or None), ``depends_on`` and ``branch_labels``. ``upgrade()`` is read for the
tables, columns and indexes it creates (``op.create_table``, ``op.add_column``,
``op.create_index``, also inside ``batch_alter_table``), for MIG007. ``env.py`` is read for the
``version_table`` / ``version_table_schema`` its ``context.configure(...)`` calls give.
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


@dataclass
class Creates:
    """What one upgrade() creates: (kind, table, name, line)."""

    items: list[tuple[str, str, str, int]] = field(default_factory=list)


@dataclass
class Revision:
    revision: str
    path: Path
    down: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    branch_labels: tuple[str, ...] = ()
    creates: Creates = field(default_factory=Creates)

    @property
    def parents(self) -> tuple[str, ...]:
        return self.down + self.depends_on


def script_location(ini: Path | None, location: Path | None) -> tuple[Path, list[Path]]:
    """(script folder, version folders)."""
    versions: list[Path] = []
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
    assert location is not None
    if not location.is_dir():
        raise ProjectError(f"alembic script_location {location} is not a folder")
    return location, versions or [location / "versions"]


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
        r.creates = _creates(upgrade)
    return r


def _str(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _arg(call: ast.Call, i: int, name: str) -> ast.expr | None:
    if len(call.args) > i:
        return call.args[i]
    return next((k.value for k in call.keywords if k.arg == name), None)


def _column_name(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Call) and _callee(node) == "Column" and node.args:
        return _str(node.args[0])
    return None


def _callee(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _creates(fn: ast.FunctionDef) -> Creates:
    out = Creates()
    batch_tables: dict[str, str] = {}  # `with op.batch_alter_table("t") as batch_op` -> {"batch_op": "t"}
    for node in ast.walk(fn):
        if isinstance(node, ast.With):
            for item in node.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and _callee(call) == "batch_alter_table"
                    and isinstance(item.optional_vars, ast.Name)
                ):
                    t = _str(_arg(call, 0, "table_name"))
                    if t:
                        batch_tables[item.optional_vars.id] = t
    for node in ast.walk(fn):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value.id if isinstance(node.func.value, ast.Name) else ""
        what = node.func.attr
        batch = batch_tables.get(owner)
        if what == "create_table" and not batch:
            t = _str(_arg(node, 0, "table_name"))
            if t:
                out.items.append(("table", t, t, node.lineno))
        elif what == "add_column":
            t, col = (
                (batch, _arg(node, 0, "column"))
                if batch
                else (_str(_arg(node, 0, "table_name")), _arg(node, 1, "column"))
            )
            c = _column_name(col)
            if t and c:
                out.items.append(("column", t, c, node.lineno))
        elif what == "create_index":
            name = _str(_arg(node, 0, "index_name"))
            t = batch or _str(_arg(node, 1, "table_name"))
            if name and t:
                out.items.append(("index", t, name, node.lineno))
    out.items.sort(key=lambda item: item[3])  # ast.walk is breadth-first; report in source order
    return out


@dataclass
class Graph:
    location: Path
    revisions: dict[str, Revision]
    labels: dict[str, str]  # branch label -> the revision declaring it
    _head_sets: list[tuple[str, set[str]]] | None = field(default=None, repr=False)

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

    def head_of(self, rev: str) -> list[str]:
        """The heads a revision leads to (its branch)."""
        if self._head_sets is None:  # once per graph: a revision count of ancestor walks otherwise
            self._head_sets = [(h, self.ancestors([h])) for h in self.heads()]
        return [h for h, members in self._head_sets if rev in members]


def read(location: Path, versions: list[Path]) -> Graph:
    revisions: dict[str, Revision] = {}
    for folder in versions:
        if not folder.is_dir():
            raise ProjectError(f"alembic versions folder {folder} does not exist")
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            r = parse_file(path)
            if r is None:
                continue
            if r.revision in revisions:
                raise ProjectError(f"{path}: revision {r.revision} is also in {revisions[r.revision].path}")
            revisions[r.revision] = r
    labels = {label: r.revision for r in revisions.values() for label in r.branch_labels}
    return Graph(location, revisions, labels)
