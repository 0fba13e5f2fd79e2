"""What an Alembic revision's ``upgrade()`` does to the schema, read with ``ast`` (never run).

Only ``op.<operation>(...)`` calls with literal table and column names are read, and the calls of
``with op.batch_alter_table("t") as batch_op:`` blocks are attributed to the table of the block they
are in (autogenerate names every block ``batch_op``, several to a function). Calls dblint cannot
read (``op.execute``, helper functions, computed names) are left out: what is read is a lower bound
of what the revision does, used to explain differences and to find clashes, never to claim the
revision does nothing else.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Op:
    """One schema operation: ``what`` is one of create_table, add_column, create_index, drop_table,
    drop_column, drop_index, alter_column, create_unique, create_foreign_key; ``columns`` the
    columns it names (for create_table: all of them)."""

    what: str
    table: str
    name: str  # the column (add/drop/alter_column), index or constraint name, or the table
    line: int
    columns: tuple[str, ...] = ()
    # add_column: whether the new column is NOT NULL without a server default (a table with
    # rows cannot take it)
    not_null_no_default: bool = False


@dataclass
class Ops:
    items: list[Op] = field(default_factory=list)

    def creates(self) -> list[tuple[str, str, str, int]]:
        """(kind, table, name, line) of the tables, columns and indexes it creates (MIG007)."""
        kinds = {"create_table": "table", "add_column": "column", "create_index": "index"}
        return [(kinds[o.what], o.table, o.name, o.line) for o in self.items if o.what in kinds]


def _str(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _arg(call: ast.Call, i: int, name: str) -> ast.expr | None:
    if len(call.args) > i:
        return call.args[i]
    return next((k.value for k in call.keywords if k.arg == name), None)


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _callee(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _names(node: ast.expr | None) -> tuple[str, ...]:
    if isinstance(node, ast.List | ast.Tuple):
        out = tuple(s for s in (_str(e) for e in node.elts) if s is not None)
        return out if len(out) == len(node.elts) else ()
    s = _str(node)
    return (s,) if s else ()


def _column(node: ast.expr | None) -> tuple[str, bool] | None:
    """A ``sa.Column("name", ...)`` call: (name, NOT NULL without a server default)."""
    if not (isinstance(node, ast.Call) and _callee(node) == "Column" and node.args):
        return None
    name = _str(node.args[0])
    if name is None:
        return None

    def flag(key: str) -> bool:
        v = _kw(node, key)
        return isinstance(v, ast.Constant) and v.value is True

    nullable = _kw(node, "nullable")
    not_null = (isinstance(nullable, ast.Constant) and nullable.value is False) and not flag("primary_key")
    default = _kw(node, "server_default")
    has_default = default is not None and not (isinstance(default, ast.Constant) and default.value is None)
    return name, not_null and not has_default


def read_upgrade(fn: ast.FunctionDef) -> Ops:
    out = Ops()
    _walk(fn.body, {}, out)
    out.items.sort(key=lambda o: o.line)
    return out


def _walk(stmts: list[ast.stmt], batch: dict[str, str], out: Ops) -> None:
    for stmt in stmts:
        if isinstance(stmt, ast.With | ast.AsyncWith):
            inner = dict(batch)  # this block's `as` names shadow outer ones, for its body only
            for item in stmt.items:
                call = item.context_expr
                if isinstance(call, ast.Call) and _callee(call) == "batch_alter_table":
                    t = _str(_arg(call, 0, "table_name"))
                    if isinstance(item.optional_vars, ast.Name):
                        if t:
                            inner[item.optional_vars.id] = t
                        else:
                            inner.pop(item.optional_vars.id, None)
            _walk(stmt.body, inner, out)
            continue
        bodies = [
            getattr(stmt, f)
            for f in ("body", "orelse", "finalbody")
            if isinstance(getattr(stmt, f, None), list)
        ]
        handlers = getattr(stmt, "handlers", None) or []
        if bodies or handlers:
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.expr):
                    _calls(child, batch, out)
            for b in bodies:
                _walk(b, batch, out)
            for h in handlers:
                _walk(h.body, batch, out)
            continue
        _calls(stmt, batch, out)


def _calls(node: ast.AST, batch: dict[str, str], out: Ops) -> None:
    for n in ast.walk(node):
        if (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and isinstance(n.func.value, ast.Name)
        ):
            owner = n.func.value.id
            if owner in batch:
                _batch_op(n, batch[owner], out)
            elif owner == "op":
                _op(n, out)


def _op(call: ast.Call, out: Ops) -> None:
    what, line = call.func.attr, call.lineno  # type: ignore[attr-defined]
    # the table is the first argument of column operations, the second of index and constraint ones
    first = what in ("add_column", "drop_column", "alter_column")
    table = _str(_arg(call, 0 if first else 1, "table_name"))
    if what == "create_table":
        t = _str(_arg(call, 0, "table_name"))
        if t:
            cols = tuple(c[0] for c in (_column(a) for a in call.args[1:]) if c)
            out.items.append(Op("create_table", t, t, line, cols))
    elif what == "drop_table":
        t = _str(_arg(call, 0, "table_name"))
        if t:
            out.items.append(Op("drop_table", t, t, line))
    elif what == "add_column":
        c = _column(_arg(call, 1, "column"))
        if table and c:
            out.items.append(Op("add_column", table, c[0], line, (c[0],), c[1]))
    elif what in ("drop_column", "alter_column"):
        col = _str(_arg(call, 1, "column_name"))
        if table and col:
            out.items.append(Op(what, table, col, line, (col,)))
    elif what == "create_index":
        name = _str(_arg(call, 0, "index_name"))
        if name and table:
            out.items.append(Op(what, table, name, line, _names(_arg(call, 2, "columns"))))
    elif what == "drop_index":
        name = _str(_arg(call, 0, "index_name"))
        if name:
            out.items.append(Op(what, table or "", name, line))
    elif what == "create_unique_constraint":
        name = _str(_arg(call, 0, "constraint_name")) or ""
        if table:
            out.items.append(Op("create_unique", table, name, line, _names(_arg(call, 2, "columns"))))
    elif what == "create_foreign_key":
        name = _str(_arg(call, 0, "constraint_name")) or ""
        source = _str(_arg(call, 1, "source_table"))
        if source:
            out.items.append(Op(what, source, name, line, _names(_arg(call, 3, "local_cols"))))


def _batch_op(call: ast.Call, table: str, out: Ops) -> None:
    """``batch_op.<operation>(...)``: the table is the block's; arguments shift left by one."""
    what, line = call.func.attr, call.lineno  # type: ignore[attr-defined]
    if what == "add_column":
        c = _column(_arg(call, 0, "column"))
        if c:
            out.items.append(Op("add_column", table, c[0], line, (c[0],), c[1]))
    elif what in ("drop_column", "alter_column"):
        col = _str(_arg(call, 0, "column_name"))
        if col:
            out.items.append(Op(what, table, col, line, (col,)))
    elif what == "create_index":
        name = _str(_arg(call, 0, "index_name"))
        if name:
            out.items.append(Op(what, table, name, line, _names(_arg(call, 1, "columns"))))
    elif what == "drop_index":
        name = _str(_arg(call, 0, "index_name"))
        if name:
            out.items.append(Op(what, table, name, line))
    elif what == "create_unique_constraint":
        name = _str(_arg(call, 0, "constraint_name")) or ""
        out.items.append(Op("create_unique", table, name, line, _names(_arg(call, 1, "columns"))))
    elif what == "create_foreign_key":
        name = _str(_arg(call, 0, "constraint_name")) or ""
        out.items.append(Op(what, table, name, line, _names(_arg(call, 2, "local_cols"))))
