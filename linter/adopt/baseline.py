"""Baselines: ``--write-baseline FILE`` records every violation of today by (rule, table, key);
``--baseline FILE`` then reports only violations that are not in it. The file is JSON sorted by
rule, table and key, so it diffs well."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from linter.adopt.suppressions import Suppressions
from linter.check.outcome import explain
from linter.errors import ConfigError, DblintError
from linter.kinds.base import Check
from linter.model import Outcome, Status

FORMAT_VERSION = 1
PAGE = 1000


def entry_key(table: str, key: dict[str, Any]) -> str:
    """Canonical text of one violation within a rule (table names compare case-insensitively)."""
    return json.dumps([(table or "").lower(), key], sort_keys=True, default=str)


def load(path: str | Path) -> dict[str, set[str]]:
    """rule id → canonical entry keys. A missing or malformed file is one clear error."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such baseline file (create it with --write-baseline {p})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{p}: not a dblint baseline: {exc}") from None
    if (
        not isinstance(doc, dict)
        or doc.get("dblint_baseline") != FORMAT_VERSION
        or not isinstance(doc.get("entries"), list)
    ):
        raise ConfigError(f"{p}: not a dblint baseline (version {FORMAT_VERSION})")
    out: dict[str, set[str]] = {}
    for i, e in enumerate(doc["entries"]):
        if (
            not isinstance(e, dict)
            or not isinstance(e.get("rule"), str)
            or not isinstance(e.get("key"), dict)
        ):
            raise ConfigError(f"{p}: entries[{i}] is not {{rule, table, key}}")
        out.setdefault(e["rule"], set()).add(entry_key(e.get("table") or "", e["key"]))
    return out


def write(
    conn: Connection,
    outcomes: Sequence[Outcome],
    checks: Mapping[str, Check],
    path: str | Path,
    suppressions: Suppressions,
) -> int:
    """Stream every violation of every failing rule to ``path`` (sorted by rule; each rule's
    stream is in a stable order); return the number of entries. Suppressed violations are left out.
    Memory holds one page of one rule at a time."""
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    n = 0
    failing = sorted((o for o in outcomes if o.status == Status.FAIL), key=lambda o: o.rule.id)
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(f'{{"dblint_baseline": {FORMAT_VERSION}, "entries": [')
        for o in failing:
            partial = suppressions.partial(o.rule.id)
            try:
                rows = _entries(conn, o, checks[o.rule.id], partial)
                for entry in rows:
                    fh.write(("," if n else "") + "\n  " + json.dumps(entry, ensure_ascii=False, default=str))
                    n += 1
            except Exception as exc:
                tmp.unlink(missing_ok=True)
                # A baseline without one rule's entries would hide nothing of it: none is written.
                raise DblintError(
                    f"--write-baseline {p}: cannot read {o.rule.id} again: {explain(exc)}"
                ) from None
        fh.write("\n]}\n")
    tmp.replace(p)  # a crash half way leaves the old baseline, not half a new one
    return n


def _entries(conn: Connection, o: Outcome, check: Check, partial: Sequence[Any]) -> Iterator[dict[str, Any]]:
    with conn.begin_nested():
        for e in check.stream(conn, PAGE):
            if not any(Suppressions.matches(s, e) for s in partial):
                yield {"rule": o.rule.id, "table": e.table, "key": e.key}
