"""Readers for the project around a database: migration files (Django, Alembic), read statically
with ``ast`` (nothing is imported, Django need not be installed), and the schema the models
describe. The pack's kinds (:mod:`dblint_migrations.kinds`) compare them with the live database."""

from __future__ import annotations

import ast
import heapq
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from linter import RuleError


class _Sortable(Hashable, Protocol):
    def __lt__(self, other: Any, /) -> bool: ...


T = TypeVar("T", bound=_Sortable)


class ProjectError(RuleError):
    """A migration file or model source cannot be read: the rule errors with this one line."""


def parse_python(path: Path, shown: object = None) -> ast.Module:
    """A migration or env.py file's syntax tree (never imported); a problem is one ProjectError
    line naming ``shown`` (default: the path) and the line."""
    where = path if shown is None else shown
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        raise ProjectError(f"{where}:{exc.lineno}: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"{where}: {exc}") from None


def ordered(nodes: Iterable[T], parents: Callable[[T], Iterable[T]], name: Callable[[T], str]) -> list[T]:
    """Parents before children, ties in sorted order; iterative (migration chains run to thousands,
    deeper than Python's recursion limit). A cycle is a ProjectError naming one of its members."""
    nodes = sorted(set(nodes))
    known = set(nodes)
    waiting = {n: {p for p in parents(n) if p in known and p != n} for n in nodes}
    children: dict[T, list[T]] = {n: [] for n in nodes}
    for n, ps in waiting.items():
        for p in ps:
            children[p].append(n)
    ready = [n for n in nodes if not waiting[n]]
    heapq.heapify(ready)
    out: list[T] = []
    while ready:
        n = heapq.heappop(ready)
        out.append(n)
        for c in children[n]:
            waiting[c].discard(n)
            if not waiting[c]:
                heapq.heappush(ready, c)
    if len(out) < len(nodes):
        stuck = next(n for n in nodes if waiting[n])
        raise ProjectError(f"{name(stuck)} is part of a dependency cycle")
    return out
