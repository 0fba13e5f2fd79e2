"""The cycle collector during a console-script run.

Nearly everything a check allocates lives until it ends (SQLAlchemy's and pydantic's classes, the
packs' rules, the plan), and collecting walked those again and again while a run started, and once
more at exit: 0.1-0.2 s of a 0.5-1 s check (docs/performance.md). The console script
(:mod:`linter.entry`) :func:`pause`\\ s the collector for a command; :func:`resume` turns it back
on where a run keeps allocating (a second target, a fix), after one collection of what is garbage
by then. A program using dblint as a library keeps its own collector settings: :func:`resume`
acts only after :func:`pause`."""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Collect what is garbage now (the last target's objects, say), freeze what survives so later
    collections do not walk it again, and turn the collector back on."""
    global _paused
    if _paused:
        _paused = False
        gc.collect()
        gc.freeze()
        gc.enable()


def at_exit() -> None:
    """Freeze what lives, so the interpreter's last collection has nothing of it to walk."""
    gc.freeze()
