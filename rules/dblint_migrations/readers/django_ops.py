"""What a Django migration's ``operations`` create in the database, read with ``ast`` (MIG007),
so that checking for clashes does not have to start Django (a child process costs about a
second on a 20-app project).

Only Django's own operations are read, with literal arguments: ``CreateModel`` (its table, and the
tables of its many-to-many fields; none for proxy or unmanaged models), ``AddField`` (its column,
``<name>_id`` for a ``ForeignKey``/``OneToOneField``, or its many-to-many table), ``AddIndex`` and
``AddConstraint`` (their names), ``AlterModelTable`` (where the model's table is), and the
``database_operations`` of ``SeparateDatabaseAndState``. ``RunSQL``, ``RunPython`` and custom
operations create nothing dblint claims. A migration whose operations cannot be read this way
(a computed list, a computed model name or ``db_table``) is *unknown*: Django's own loader is
asked instead.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

Created = tuple[str, str, str]  # (kind, table, name)


class Unknown(Exception):
    """An operation whose effect cannot be read without running the file."""


@dataclass
class Op:
    what: str  # CreateModel, AddField, AddIndex, AddConstraint, AlterModelTable, Database
    model: str = ""
    line: int = 0
    args: dict[str, ast.expr] = field(default_factory=dict)
    inner: list[Op] = field(default_factory=list)  # Database: SeparateDatabaseAndState's database ops
    state: list[Op] = field(default_factory=list)  # and its state ops


KNOWN = {"CreateModel", "AddField", "AddIndex", "AddConstraint", "AlterModelTable"}
PARAMS = {
    "CreateModel": ("name", "fields", "options"),
    "AddField": ("model_name", "name", "field"),
    "AddIndex": ("model_name", "index"),
    "AddConstraint": ("model_name", "constraint"),
    "AlterModelTable": ("name", "table"),
}


def _callee(node: ast.expr | None) -> str:
    f = node.func if isinstance(node, ast.Call) else None
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _str(node: ast.expr | None) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    raise Unknown(ast.unparse(node) if node is not None else "missing")


def read(node: ast.expr | None) -> list[Op]:
    """The operations list of a ``class Migration`` (Unknown when it is not a literal list)."""
    if node is None:
        return []
    if not isinstance(node, ast.List | ast.Tuple):
        raise Unknown("operations is computed")
    out = []
    for elt in node.elts:
        name = _callee(elt)
        if not isinstance(elt, ast.Call):
            raise Unknown("an operation is computed")
        if name == "SeparateDatabaseAndState":
            kw = {k.arg: k.value for k in elt.keywords if k.arg}
            db = read(kw.get("database_operations", elt.args[0] if elt.args else None))
            st = read(kw.get("state_operations", elt.args[1] if len(elt.args) > 1 else None))
            out.append(Op("Database", line=elt.lineno, inner=db, state=st))
        elif name in KNOWN:
            args = dict(zip(PARAMS[name], elt.args, strict=False))
            args.update({k.arg: k.value for k in elt.keywords if k.arg})
            model = _str(args.get("name" if name in ("CreateModel", "AlterModelTable") else "model_name"))
            out.append(Op(name, model.lower(), elt.lineno, args))
    return out


def _kw(call: ast.expr | None, key: str) -> ast.expr | None:
    if isinstance(call, ast.Call):
        return next((k.value for k in call.keywords if k.arg == key), None)
    return None


def _options(node: ast.expr | None) -> dict[str, object]:
    if node is None:
        return {}
    try:
        value = ast.literal_eval(node)
    except ValueError:
        if isinstance(node, ast.Dict):  # literal keys, some values computed (ordering, verbose names)
            out: dict[str, object] = {}
            for k, v in zip(node.keys, node.values, strict=True):
                key = k.value if isinstance(k, ast.Constant) else None
                if key in ("db_table", "managed", "proxy"):
                    out[str(key)] = ast.literal_eval(v)  # ValueError: computed where it matters
            return out
        raise Unknown("options are computed") from None
    return value if isinstance(value, dict) else {}


class Tables:
    """The table of each model of the configured apps, as the migrations so far have set it."""

    def __init__(self) -> None:
        self.tables: dict[tuple[str, str], str] = {}

    def of(self, app: str, model: str) -> str:
        return self.tables.get((app, model), f"{app}_{model}")

    def apply(self, app: str, ops: list[Op]) -> list[Created]:
        """Advance by one migration's operations; what they create in the database."""
        out: list[Created] = []
        for op in ops:
            if op.what == "Database":
                out += self._creates(app, op.inner)  # what the database sees
                self._track(app, op.state)  # where the state moves tables
                continue
            out += self._creates(app, [op])
            self._track(app, [op])
        return out

    def _track(self, app: str, ops: list[Op]) -> None:
        for op in ops:
            if op.what == "CreateModel":
                table = _options(op.args.get("options")).get("db_table")
                self.tables[(app, op.model)] = str(table) if table else f"{app}_{op.model}"
            elif op.what == "AlterModelTable":
                table = op.args.get("table")
                value = None if isinstance(table, ast.Constant) and table.value is None else _str(table)
                self.tables[(app, op.model)] = value or f"{app}_{op.model}"

    def _creates(self, app: str, ops: list[Op]) -> list[Created]:
        out: list[Created] = []
        for op in ops:
            if op.what == "CreateModel":
                opts = _options(op.args.get("options"))
                if opts.get("proxy") or opts.get("managed") is False:
                    continue
                table = str(opts.get("db_table") or f"{app}_{op.model}")
                out.append(("table", table, table))
                fields = op.args.get("fields")
                for pair in fields.elts if isinstance(fields, ast.List | ast.Tuple) else []:
                    if isinstance(pair, ast.Tuple) and len(pair.elts) == 2 and _m2m(pair.elts[1]):
                        m2m = f"{table}_{_str(pair.elts[0])}"
                        out.append(("table", m2m, m2m))
            elif op.what == "AddField":
                table, name, fld = self.of(app, op.model), _str(op.args.get("name")), op.args.get("field")
                if _m2m(fld):
                    out.append(("table", f"{table}_{name}", f"{table}_{name}"))
                    continue
                column = _kw(fld, "db_column")
                col = _str(column) if column is not None else name
                if column is None and _callee(fld) in ("ForeignKey", "OneToOneField"):
                    col = f"{name}_id"
                out.append(("column", table, col))
            elif op.what in ("AddIndex", "AddConstraint"):
                obj = op.args.get("index" if op.what == "AddIndex" else "constraint")
                name_node = _kw(obj, "name")
                if name_node is not None:
                    out.append(("index", self.of(app, op.model), _str(name_node)))
        return out


def _m2m(node: ast.expr | None) -> bool:
    """A ManyToManyField without ``through`` (which would name an existing model's table)."""
    return _callee(node) == "ManyToManyField" and _kw(node, "through") is None if node is not None else False
