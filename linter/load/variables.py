"""Rule-file variables: ``vars: {name: default}`` or ``vars: {name: {type: int, default: 3}}``.

Why: ``--var code=010`` must mean the text ``010``, not YAML 1.1's octal 8, and ``--var code=no``
the text ``no``, not false. A value given on the command line is a string unless the rule file
declares the variable's type: explicitly (``type: int|float|bool|string``) or by a default of that
type (``min_len: 3`` is an int). A value that does not fit is one line naming the variable.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from linter.errors import ConfigError, shown

TYPES = ("string", "int", "float", "bool")
_INT = re.compile(r"[-+]?[0-9]{1,18}")
_BOOL = {"true": True, "false": False, "1": True, "0": False}


@dataclass(frozen=True)
class VarSpec:
    type: str  # one of TYPES
    default: Any = None


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "string"


def declare(raw: Any) -> VarSpec:
    """The variable a rule file declares with ``raw``; ValueError says why it cannot be."""
    if isinstance(raw, dict):
        unknown = set(raw) - {"type", "default", "description"}
        if unknown or "type" not in raw:
            what = f"unknown key {sorted(map(str, unknown))[0]}" if unknown else "no type"
            raise ValueError(f"{what}: declare a variable as {{type: int|float|bool|string, default: …}}")
        kind = raw["type"]
        if kind not in TYPES:
            raise ValueError(f"type must be one of {', '.join(TYPES)}, not {shown(kind)}")
        default = raw.get("default")
        if (
            default is not None
            and _type_of(default) != kind
            and not (kind == "float" and _type_of(default) == "int")
        ):
            raise ValueError(f"default {shown(default)} is not of type {kind}")
        return VarSpec(kind, default)
    if isinstance(raw, (list, tuple)):
        raise ValueError("a variable's default is a single value")
    return VarSpec(_type_of(raw), raw)


def convert(name: str, spec: VarSpec | None, text: str) -> Any:
    """``--var name=text`` as the variable's type; ConfigError (one line) when it does not fit."""
    kind = spec.type if spec else "string"
    if kind == "string":
        return text
    if kind == "int" and _INT.fullmatch(text.strip()):
        return int(text.strip())
    if kind == "float":
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if math.isfinite(value) and len(text) <= 100:
            return value
    if kind == "bool" and text.strip().lower() in _BOOL:
        return _BOOL[text.strip().lower()]
    want = {"int": "an integer (at most 18 digits)", "float": "a finite number", "bool": "true or false"}[
        kind
    ]
    raise ConfigError(f"--var {shown(name)}={shown(text)}: expected {want}")
