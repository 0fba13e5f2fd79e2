"""The safety net of one ``--fix`` run, assembled from flags and config: the undo script
(:mod:`linter.fix.undo`), quarantine (:mod:`linter.fix.quarantine`) and the SQLite backup
(:mod:`linter.fix.backup`), handed to :func:`linter.fix.transaction.apply_fixes`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from linter.fix.backup import backup_path, sqlite_backup
from linter.fix.undo import UndoLog, default_path
from linter.fix.undo_script import REPLICA_NOTE
from linter.load.config import Config
from linter.targets.target import Target, display_name


@dataclass
class FixOptions:
    undo: UndoLog
    quarantine: bool
    backup_to: Path | None = None
    backed_up: list[Path] = field(default_factory=list)

    def kwargs(self) -> dict[str, Any]:
        return {"quarantine": self.quarantine, "before_changes": self._backup if self.backup_to else None}

    def _backup(self, conn: Connection) -> None:
        assert self.backup_to is not None
        database = Path(conn.engine.url.database or "")
        self.backed_up.append(sqlite_backup(database, self.backup_to))

    def written(self) -> Path | None:
        p = self.undo.path
        return p if p is not None and self.undo.enabled and p.exists() and self.undo.changed else None

    def announce(self) -> list[str]:
        lines = [f"backup of the database before the fix: {p}" for p in self.backed_up]
        undo = self.written()
        if undo is not None:
            lines.append(
                f"undo script: {undo} (apply it to the same database to restore the rows this fix changed)"
            )
            if self.undo.needs_replica_role:
                lines.append(f"undo script {undo.name} {REPLICA_NOTE}")
        return lines

    def report(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        undo = self.written()
        if undo is not None:
            out["undo_file"] = str(undo)
        if self.backed_up:
            out["backup_file"] = str(self.backed_up[0])
        return out


def fix_options(
    config: Config,
    target: Target,
    undo_file: str | None,
    index: int,
    no_undo: bool,
    quarantine: bool,
    backup: bool,
    undo_dir: Path | None = None,
) -> FixOptions:
    path: Path | None = None
    if not no_undo:
        if undo_file:
            path = Path(undo_file)
            if index:  # several targets: one script each
                path = path.with_name(f"{path.stem}-{index + 1}{path.suffix}")
            path = path.resolve()
        else:
            if undo_dir is not None:
                undo_dir.mkdir(parents=True, exist_ok=True)
            path = default_path(undo_dir or config.root)
    undo = UndoLog(
        path,
        dialect=target.engine.dialect,
        schema=target.schema,
        target=display_name(target.url),
        enabled=not no_undo,
    )
    backup_to = None
    if backup:
        backup_to = backup_path(Path(target.url.database or ""))
    return FixOptions(undo, quarantine or config.fix.quarantine, backup_to)
