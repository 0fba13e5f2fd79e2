"""One ``dblint check``: a run object with named steps, as flake8's ``Application`` is.

For each target: :meth:`CheckRun.open_target` → :meth:`~CheckRun.applicable` (the packs that apply
to it) → :meth:`~CheckRun.check` → :meth:`~CheckRun.plan_fixes` (every fix built before anything
is written) → :meth:`~CheckRun.record_baseline` → :meth:`~CheckRun.diff_or_fix` →
:meth:`~CheckRun.adopt` (baseline and suppressions) → :meth:`~CheckRun.report`. The CLI builds
:class:`CheckOptions` from its flags and prints what :meth:`CheckRun.run` returns; tests can drive
a run without click.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from linter import collector, db
from linter.adopt import Adoption
from linter.adopt import baseline as baseline_file
from linter.adopt.suppressions import Suppressions
from linter.app import App
from linter.check.executor import check_target, recheck
from linter.check.planner import Plan, PlanOptions
from linter.errors import ConfigError, DblintError
from linter.fix.planning import FixPlan, plan_fixes
from linter.load.packs import applicability
from linter.load.rules import Rule
from linter.model import FixOutcome, Outcome, Status
from linter.report.base import Formatter, Report
from linter.report.exit_code import exit_code
from linter.targets.fixture_files import visible
from linter.targets.target import Target, open_target, refuse_overwrite


@dataclass(frozen=True)
class CheckOptions:
    """``dblint check``'s flags, validated together."""

    selected: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    fix: bool = False
    unsafe: bool = False
    diff: bool = False
    fmt: str = "text"
    output: str | None = None
    max_examples: int | None = None
    jobs: int | None = None
    timings: bool = False
    undo_file: str | None = None
    no_undo: bool = False
    quarantine: bool = False
    backup: bool = False
    verbose: bool = False
    baseline: str | None = None
    write_baseline: str | None = None
    statistics: bool = False
    quiet: bool = False
    exit_zero: bool = False
    fail_on: str = "info"
    color: str = "auto"  # --color auto|always|never
    show_fixes: bool = False
    pre_commit: bool = False  # the hook: fixture files only, every file reported, undo outside the tree

    def validate(self, targets: Sequence[str | None]) -> None:
        if self.fix and self.diff:
            raise ConfigError("--fix and --diff exclude each other: --diff shows what --fix would do")
        if self.write_baseline and len(targets) > 1:
            raise ConfigError("--write-baseline records one database: give one TARGET")
        for flag, given in (
            ("--undo-file", self.undo_file),
            ("--no-undo", self.no_undo),
            ("--quarantine", self.quarantine),
            ("--backup", self.backup),
        ):
            if given and not self.fix:
                raise ConfigError(f"{flag} only applies with --fix")
        if self.undo_file and self.no_undo:
            raise ConfigError("--undo-file and --no-undo exclude each other")
        for flag, path in (
            ("--output", self.output),
            ("--write-baseline", self.write_baseline),
            ("--undo-file", self.undo_file),
        ):
            if path:
                refuse_overwrite(flag, path, targets)


@dataclass
class Checked:
    """What the check step found on one target."""

    outcomes: list[Outcome]
    plan: Plan
    fixes: FixPlan
    not_applicable: dict[str, str]


class CheckRun:
    def __init__(self, app: App, options: CheckOptions, say: Callable[[str], None] | None = None) -> None:
        self.app = app
        self.opts = options
        self.say = say or (lambda line: print(f"dblint: {line}", file=sys.stderr))
        formatter = app.formats.get(options.fmt)
        if formatter is None:
            raise ConfigError(f"unknown format {options.fmt!r} (known: {', '.join(sorted(app.formats))})")
        self.formatter: Formatter = formatter()
        self.limit = app.config.max_examples if options.max_examples is None else options.max_examples
        self.jobs = options.jobs or app.config.jobs or _cpus()
        self.chosen = app.select(options.selected, options.ignored)
        self.adoption = Adoption(
            Suppressions(app.config.suppress),
            baseline_file.load(options.baseline) if options.baseline else None,
            self.limit,
        )
        self.to_run, self.suppressed = self.adoption.split(self.chosen)

    # --- the whole run ----------------------------------------------------------------------------

    def run(self, targets: Sequence[str | None]) -> tuple[str, int]:
        """Every target, then the combined output (the report or ``--statistics``) and exit code."""
        self.opts.validate(targets)
        if self.opts.pre_commit:
            targets = self.fixtures_only(targets)
            if not targets:
                return "", 0
        docs: list[str] = []
        reports: list[Report] = []
        code = 0
        for n, raw in enumerate(targets or (None,)):
            if n:
                collector.resume()  # what the last target built is garbage now
            try:
                report, c = self.run_target(n, raw)
            except DblintError as exc:
                if len(targets) < 2:
                    raise
                # One bad file among several: one line for it, the others still checked (exit 2).
                text = " ".join(db.mask_text(str(exc)).split())
                shown = None if raw is None else db.mask_url(raw)
                self.say(text if shown is None or text.startswith(shown) else f"{shown}: {text}")
                code = max(code, getattr(exc, "exit_code", 2))
                continue
            docs.append(self.formatter.render(report))
            reports.append(report)
            code = max(code, c)
        if self.opts.statistics:
            from linter.report.statistics import render

            text = render([o for r in reports for o in r.results], self.opts.fmt)
        else:
            text = self.formatter.join(docs) + self.formatter.total(reports)
        return text, code

    def fixtures_only(self, targets: Sequence[str | None]) -> list[str | None]:
        """--pre-commit: the staged files that are fixtures; the others (a pg_dump, a migration
        script) are not this hook's business (-v names them)."""
        from linter.targets.fixture_files import hook_refuses

        kept: list[str | None] = []
        for t in targets:
            why = hook_refuses(t, self.app.config) if t is not None else None
            if why is None:
                kept.append(t)
            elif self.opts.verbose:
                self.say(f"{t}: left alone: {why}")
        return kept

    def run_target(self, n: int, raw: str | None) -> tuple[Report, int]:
        target = self.open_target(raw)
        try:
            return self.run_open(n, target)
        finally:
            target.close()

    def run_open(self, n: int, target: Target) -> tuple[Report, int]:
        """Every step after opening, on an open ``target`` (library use keeps it open: an
        in-memory database lives as long as its engine)."""
        start = time.monotonic()
        rules, not_applicable = self.applicable(target)
        checked = self.check(target, rules, not_applicable, start)
        self.record_baseline(target, checked)
        outcomes, fix, fix_extra = self.diff_or_fix(n, target, checked)
        outcomes, extra = self.adopt(target, checked, outcomes)
        return self.report(target, outcomes, checked, fix, {**extra, **fix_extra})

    # --- the steps --------------------------------------------------------------------------------

    def open_target(self, raw: str | None) -> Target:
        app = self.app
        target = open_target(
            raw,
            config=app.config,
            variables=app.variables,
            handlers=app.handlers,
            jobs=self.jobs,
            fix=self.opts.fix,
        )
        if self.opts.backup and (target.dialect != "sqlite" or target.scratch):
            target.close()
            raise ConfigError(
                "--backup copies SQLite database files only; on a server, the undo script "
                "(or the server's dump tool) is the way back"
            )
        return target

    def applicable(self, target: Target) -> tuple[list[Rule], dict[str, str]]:
        """The selected rules of the packs that apply to ``target`` (and, for a dump or JSON
        fixture, whose tables it holds); the packs that do not apply, with the reason."""
        with db.read_only(target.engine, target.timeouts) as conn, target.schema.using(conn):
            info = target.info()  # connects first: an unreachable server says "cannot connect"
        verdicts = applicability(self.app.pm, info, self.app.config)
        off = {pack: v.reason for pack, v in verdicts.items() if not v.applies}
        for rule in self.chosen:
            if rule.pack not in off:
                rule.validate()  # a pack's rule is validated where it runs (one line, exit 2)
        rules = [r for r in self.to_run if r.pack not in off]
        if target.fixture is not None:
            rules = visible(rules, target.fixture.tables)
        return rules, off

    def check(
        self, target: Target, rules: list[Rule], not_applicable: dict[str, str], start: float
    ) -> Checked:
        """Check (read-only), then build the fix of every failing rule that has one, so the report
        can say which fixes are available here."""
        progress = self._progress(start)
        options = PlanOptions(jobs=self.jobs)
        outcomes, plan = check_target(target, rules, options, self.limit, progress)
        if progress:
            progress.clear()
        if self.opts.timings:
            from linter.report.timings import timing_table

            print(timing_table(outcomes, time.monotonic() - start, self.jobs), file=sys.stderr)
        with_fix = [o.rule for o in outcomes if o.status == Status.FAIL and o.rule.fix is not None]
        fixes = FixPlan()
        if with_fix:
            with db.read_only(target.engine, target.timeouts) as conn:
                fixes = plan_fixes(target, conn, with_fix, blocked=self.adoption.blocked(with_fix))
        outcomes = [_mark(o, fixes) for o in outcomes]
        return Checked(outcomes, plan, fixes, not_applicable)

    def record_baseline(self, target: Target, checked: Checked) -> None:
        """--write-baseline: write the file, say so, and report against it from now on."""
        path = self.opts.write_baseline
        if not path:
            return
        with db.read_only(target.engine, target.timeouts) as conn, target.schema.using(conn):
            n = baseline_file.write(
                conn, checked.outcomes, checked.plan.checks, path, self.adoption.suppressions
            )
        self.say(f"wrote {n} baseline entr{'y' if n == 1 else 'ies'} to {path}")
        self.adoption.baseline = baseline_file.load(path)

    def diff_or_fix(
        self, n: int, target: Target, checked: Checked
    ) -> tuple[list[Outcome], FixOutcome | None, dict[str, Any]]:
        """--diff: the statements each available fix would run; --fix: run them (the report's
        extra keys: the undo script and backup written)."""
        if self.opts.diff:
            return self._diff(target, checked), None, {}
        if self.opts.fix:
            collector.resume()
            return self._fix(n, target, checked)
        return checked.outcomes, None, {}

    def adopt(
        self, target: Target, checked: Checked, outcomes: list[Outcome]
    ) -> tuple[list[Outcome], dict[str, Any]]:
        """Hide what the baseline knows and the config suppresses; put back whole-rule suppressions."""
        if self.adoption.needs_reading(outcomes):
            with db.read_only(target.engine, target.timeouts) as conn, target.schema.using(conn):
                outcomes, extra = self.adoption.apply(conn, outcomes, checked.plan.checks)
        else:
            outcomes, extra = self.adoption.apply(None, outcomes, checked.plan.checks)
        ran = {o.rule.id: o for o in outcomes}
        merged = [
            ran.get(r.id) or self.suppressed[r.id]
            for r in self.chosen
            if r.id in ran or r.id in self.suppressed
        ]
        if target.fixture is not None and target.fixture.tables is not None:
            # A fixture file holds a few tables: rules that cannot apply to it are noise there.
            merged = [o for o in merged if o.status != Status.SKIPPED]
        return merged, extra

    def report(
        self,
        target: Target,
        outcomes: list[Outcome],
        checked: Checked,
        fix: FixOutcome | None,
        extra: dict[str, Any],
    ) -> tuple[Report, int]:
        nothing_ran = not any(o.status in (Status.PASS, Status.FAIL, Status.ERROR) for o in outcomes)
        if nothing_ran:
            self.say(_nothing_ran(target, outcomes, checked.not_applicable))
        unsafe_left = 0
        if not self.opts.unsafe:
            unsafe_left = sum(
                1 for o in outcomes if o.status == Status.FAIL and o.fixable and o.fix_safety == "unsafe"
            )
        mode = "diff" if self.opts.diff else "fix" if self.opts.fix else "check"
        report = Report(
            target.display,
            outcomes,
            mode,
            self.opts.unsafe,
            fix.error if fix else None,
            self.limit,
            self.opts.verbose,
            self.wants_color(),
            extra,
            quiet=self.opts.quiet,
            not_applicable=checked.not_applicable,
            unsafe_left=unsafe_left,
            show_fixes=self.opts.show_fixes,
        )
        code = exit_code(
            outcomes,
            fail_on=self.opts.fail_on,
            exit_zero=self.opts.exit_zero,
            fix=fix,
            nothing_ran=nothing_ran,
        )
        return report, code

    # --- diff and fix -------------------------------------------------------------------------------

    def _candidates(self, checked: Checked) -> list[str]:
        return [
            o.rule.id
            for o in checked.outcomes
            if o.status == Status.FAIL
            and o.rule.fix is not None
            and (o.rule.fix.safety == "safe" or self.opts.unsafe)
        ]

    def _diff(self, target: Target, checked: Checked) -> list[Outcome]:
        from linter.fix.diff import diff

        wanted = self._candidates(checked)
        shown = FixPlan({r: checked.fixes.fixes[r] for r in wanted if r in checked.fixes.fixes})
        with db.read_only(target.engine, target.timeouts) as conn:
            diffs = diff(target, conn, shown)
        out = []
        for o in checked.outcomes:
            if o.rule.id in diffs:
                steps, why = diffs[o.rule.id]
                o = replace(o, diff=steps, reason=why or o.reason)
            elif o.rule.id in wanted:  # unavailable: shown, with the reason, and no statement
                o = replace(o, diff=())
            out.append(o)
        return out

    def _fix(
        self, n: int, target: Target, checked: Checked
    ) -> tuple[list[Outcome], FixOutcome, dict[str, Any]]:
        from linter.fix.options import fix_options
        from linter.fix.transaction import apply_fixes

        wanted = self._candidates(checked)
        todo = FixPlan({r: checked.fixes.fixes[r] for r in wanted if r in checked.fixes.fixes})
        opts = fix_options(
            self.app.config,
            target,
            self.opts.undo_file,
            n,
            self.opts.no_undo or target.scratch,
            self.opts.quarantine,
            self.opts.backup,
            self._undo_dir(),
        )
        rules = [o.rule for o in checked.outcomes]
        result, after = apply_fixes(
            target,
            todo,
            checked.outcomes,
            lambda conn: recheck(target, conn, rules, self.limit),
            opts.undo,
            **opts.kwargs(),
        )
        for line in opts.announce():
            self.say(line)
        if after is None:
            return checked.outcomes, result, opts.report()
        if target.fixture is not None:
            target.fixture.fixed(after)  # a dump is rewritten from the fixed scratch database
        marked = [_mark(o, checked.fixes) for o in after]
        return [self._no_change(o, todo, result) for o in marked], result, opts.report()

    def _no_change(self, o: Outcome, todo: FixPlan, result: FixOutcome) -> Outcome:
        """A fix that ran, changed no row and left its rule failing cannot fix it: not fixable."""
        if o.rule.id not in todo.fixes or result.fixed.get(o.rule.id) or o.status != Status.FAIL:
            return o
        why = f"its fix changed no row; {o.violations} violation(s) remain (repair them by hand)"
        self.say(f"{o.rule.id}: {why}")
        return replace(o, fix_unavailable=why)

    # --- helpers ------------------------------------------------------------------------------------

    def _undo_dir(self) -> Path | None:
        from linter.targets.fixture_files import hook_undo_dir

        cfg = self.app.config
        if self.opts.pre_commit:
            return hook_undo_dir(cfg)
        return cfg.root / cfg.fix.undo_dir if cfg.fix.undo_dir else None

    def _progress(self, start: float) -> Any:
        from linter.report.progress import Progress, wanted

        machine = self.formatter.machine or self.opts.statistics
        if not wanted(
            sys.stderr, machine=machine, to_file=self.opts.output is not None, quiet=self.opts.quiet
        ):
            return None
        return Progress(sys.stderr, start=start)

    def wants_color(self) -> bool:
        from linter.report.progress import color

        return not self.formatter.machine and color(self.opts.color, to_file=self.opts.output is not None)


def _mark(o: Outcome, fixes: FixPlan) -> Outcome:
    why = fixes.unavailable.get(o.rule.id)
    return replace(o, fix_unavailable=why) if why else o


def _nothing_ran(target: Target, outcomes: Sequence[Outcome], not_applicable: dict[str, str]) -> str:
    why = [f"pack {p} does not apply ({r})" for p, r in sorted(not_applicable.items())]
    skipped = sum(o.status == Status.SKIPPED for o in outcomes)
    if skipped:
        why.append(f"{skipped} selected rule(s) skipped or suppressed (-v lists them)")
    return f"{target.display}: no selected rule could run" + (": " + "; ".join(why) if why else "")


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


def write_output(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--output {path}: cannot write: {exc.strerror or exc}") from None
