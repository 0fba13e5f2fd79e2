"""``dblint check --timings``: a per-rule timing table, slowest first.

Written to stderr, whatever ``--format``: stdout stays exactly the report (JSON stays parseable,
``--output`` files are unchanged), and the table is for the person at the terminal. Rules that
share one scan of a table are each charged an equal share of that scan's time (the "how" column
says so); rules guaranteed by a constraint cost only a catalog read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def timing_table(results: Sequence[Any], wall: float, jobs: int) -> str:
    rows = sorted(results, key=lambda r: -r.seconds)
    width = max([len(r.rule.id) for r in rows] + [4])
    lines = [f"{'rule':<{width}}  {'seconds':>8}  {'status':<7}  how"]
    for r in rows:
        how = r.how or (r.reason if r.status in ("skipped", "error") else "own query")
        lines.append(f"{r.rule.id:<{width}}  {r.seconds:8.3f}  {r.status:<7}  {how}")
    busy = sum(r.seconds for r in rows)
    lines.append(f"{len(rows)} rule(s): {busy:.3f} s of queries in {wall:.3f} s wall with --jobs {jobs}")
    return "\n".join(lines)
