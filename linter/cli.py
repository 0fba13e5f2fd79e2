"""The command line: commands and flags only; a check is a :class:`linter.run.CheckRun`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from linter import __version__

FORMAT_HELP = "Output format: text, json, sarif, junit, github, html, or one a plugin adds."


def _fail(exc: BaseException) -> None:
    from linter.db import mask_text

    # One line, of bounded length, whatever the input was.
    text = " ".join(mask_text(str(exc)).split())
    if len(text) > 1000:
        text = text[:999] + "…"
    click.echo(f"dblint: {text}", err=True)
    sys.exit(getattr(exc, "exit_code", 2))


def _warn_line(message: Warning | str, category: type[Warning], *args: Any, **kw: Any) -> None:
    click.echo(f"dblint: warning: {message}", err=True)


class Group(click.Group):
    """Turns every known error into one line and exit code 2, and usage errors into exit 2."""

    def invoke(self, ctx: click.Context) -> Any:
        import warnings

        from linter.errors import DblintError

        try:
            with warnings.catch_warnings():
                warnings.showwarning = _warn_line  # a pack that failed to load: one line, not a traceback
                return super().invoke(ctx)
        except DblintError as exc:
            _fail(exc)
        except KeyboardInterrupt:
            click.echo("dblint: interrupted", err=True)
            sys.exit(130)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="dblint", message="%(prog)s %(version)s")
def cli() -> None:
    """dblint: a rule-based consistency linter for relational databases."""


def _common(f: Any) -> Any:
    f = click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        help="Config file (default: ./dblint.yaml or [tool.dblint] in pyproject.toml).",
    )(f)
    f = click.option(
        "--rules",
        "rule_paths",
        multiple=True,
        type=click.Path(),
        help="Extra rule file or folder (repeatable).",
    )(f)
    f = click.option(
        "--disable-pack", "disabled_packs", multiple=True, help="Do not load this rule pack (repeatable)."
    )(f)
    f = click.option(
        "--var",
        "variables",
        multiple=True,
        metavar="NAME=VALUE",
        help="Set a rule-pack variable (repeatable).",
    )(f)
    return f


def _app(
    config_path: str | None,
    rule_paths: tuple[str, ...],
    disabled_packs: tuple[str, ...],
    variables: tuple[str, ...],
) -> Any:
    from linter.app import App, parse_vars
    from linter.load.config import load_config

    cfg = load_config(config_path)
    return App.load(
        cfg, extra_rules=rule_paths, disabled_packs=disabled_packs, variables=parse_vars(variables)
    )


def _adoption(f: Any) -> Any:
    """check's reporting and adoption flags (baselines, statistics, exit policy)."""
    f = click.option(
        "--baseline",
        "baseline_path",
        type=click.Path(dir_okay=False),
        help="Report only violations not recorded in this baseline file.",
    )(f)
    f = click.option(
        "--write-baseline",
        "write_baseline_path",
        type=click.Path(dir_okay=False),
        help="Record every current violation in this baseline file.",
    )(f)
    f = click.option(
        "--statistics", is_flag=True, help="Print the number of violations per rule instead of the findings."
    )(f)
    f = click.option("-q", "--quiet", is_flag=True, help="Print the findings only: no summary, no progress.")(
        f
    )
    f = click.option(
        "--exit-zero",
        is_flag=True,
        help="Exit 0 even when rules fail (2 still means dblint could not run a rule).",
    )(f)
    f = click.option(
        "--fail-on",
        type=click.Choice(["error", "warning", "info"]),
        default="info",
        show_default=True,
        help="Lowest severity of a failing rule that makes the exit code 1.",
    )(f)
    return f


@cli.command()
@click.argument("targets", nargs=-1)
@_common
@click.option(
    "--select",
    "selected",
    multiple=True,
    help="Rule ids or prefixes to run, comma-separated (e.g. CORE,SPEC1).",
)
@click.option("--ignore", "ignored", multiple=True, help="Rule ids or prefixes to skip, comma-separated.")
@click.option("--fix", is_flag=True, help="Apply the safe fixes of failing rules in one transaction.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes marked unsafe.")
@click.option(
    "--diff",
    is_flag=True,
    help="Show the SQL each fix would run and how many rows it touches; write nothing.",
)
@click.option("--format", "--output-format", "fmt", default="text", show_default=True, help=FORMAT_HELP)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text output (auto: on a terminal, unless NO_COLOR is set; FORCE_COLOR forces it).",
)
@click.option(
    "--show-fixes",
    is_flag=True,
    help="List each failing rule's fix (after --fix: the rows each fix changed).",
)
@click.option("--output", type=click.Path(dir_okay=False), help="Write the report to this file.")
@click.option(
    "--max-examples", type=click.IntRange(0, 100_000), default=None, help="Examples per rule (default 20)."
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 256),
    default=None,
    help="Connections checking in parallel (default: the number of CPUs; config `jobs`).",
)
@click.option("--timings", is_flag=True, help="Print a per-rule timing table to stderr (slowest first).")
@click.option(
    "--undo-file",
    type=click.Path(dir_okay=False),
    help=(
        "With --fix: write the undo script here (default: dblint-undo-<timestamp>.sql next to the "
        "config, else in the working directory)."
    ),
)
@click.option(
    "--no-undo",
    is_flag=True,
    help="With --fix: write no undo script (also allows raw SQL fixes whose undo cannot be captured).",
)
@click.option(
    "--quarantine",
    is_flag=True,
    help="With --fix: copy rows a fix deletes to dblint_quarantine_<table> first.",
)
@click.option(
    "--backup",
    is_flag=True,
    help="With --fix on SQLite: copy the database file (online backup API) before the first change.",
)
@click.option("-v", "--verbose", is_flag=True, help="Also list skipped rules and their reasons.")
@click.option(
    "--pre-commit",
    "pre_commit",
    is_flag=True,
    help=(
        "The pre-commit hook's mode: take only SQLite files, SQLite dumps and the config's "
        "fixtures.files; undo scripts go to fix.undo_dir or the user's cache folder."
    ),
)
@_adoption
def check(
    targets: tuple[str, ...],
    config_path: str | None,
    rule_paths: tuple[str, ...],
    disabled_packs: tuple[str, ...],
    variables: tuple[str, ...],
    selected: tuple[str, ...],
    ignored: tuple[str, ...],
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    fmt: str,
    color: str,
    show_fixes: bool,
    output: str | None,
    max_examples: int | None,
    jobs: int | None,
    timings: bool,
    undo_file: str | None,
    no_undo: bool,
    quarantine: bool,
    backup: bool,
    verbose: bool,
    pre_commit: bool,
    baseline_path: str | None,
    write_baseline_path: str | None,
    statistics: bool,
    quiet: bool,
    exit_zero: bool,
    fail_on: str,
) -> None:
    """Check TARGET databases (SQLAlchemy URLs, SQLite files, .sql dumps or Django JSON fixtures)
    against the loaded rules."""
    from linter.run import CheckOptions, CheckRun, write_output

    opts = CheckOptions(
        selected, ignored, fix, unsafe_fixes, diff, fmt, output, max_examples, jobs, timings, undo_file,
        no_undo, quarantine, backup, verbose, baseline_path, write_baseline_path, statistics, quiet,
        exit_zero, fail_on, color, show_fixes, pre_commit,
    )  # fmt: skip
    opts.validate(targets)
    app = _app(config_path, rule_paths, disabled_packs, variables)
    if verbose:
        click.echo(f"dblint: config: {app.config.shown_source or 'none found (defaults)'}", err=True)
    runner = CheckRun(app, opts, lambda line: click.echo(f"dblint: {line}", err=True))
    text, code = runner.run(targets)
    if output:
        write_output(output, text)
    else:  # click strips colour from a pipe unless told: --color always / FORCE_COLOR tell it
        click.echo(text, nl=False, color=True if runner.wants_color() else None)
    sys.exit(code)


@cli.command("rules")
@_common
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_cmd(
    config_path: str | None,
    rule_paths: tuple[str, ...],
    disabled_packs: tuple[str, ...],
    variables: tuple[str, ...],
    fmt: str,
) -> None:
    """List every loaded rule with its pack."""
    import json

    app = _app(config_path, rule_paths, disabled_packs, variables)
    rows = [
        {
            "id": r.id,
            "title": r.title,
            "severity": r.severity,
            "kind": r.kind.name,
            "pack": r.pack,
            "pack_version": r.pack_version,
            "fix": r.fix.safety if r.fix else None,
            "source": r.where,
        }
        for r in sorted(app.ruleset.rules, key=lambda r: r.id)
    ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    width = max((len(r["id"]) for r in rows), default=4)
    for r in rows:
        fixmark = {"safe": "fix", "unsafe": "fix*", None: ""}[r["fix"]]
        pack = f"{r['pack']} {r['pack_version']}".strip()
        click.echo(f"{r['id']:<{width}}  {r['severity']:<7}  {fixmark:<4}  {pack:<18}  {r['title']}")
    click.echo(f"{len(rows)} rule(s); fix* = unsafe fix (needs --unsafe-fixes)")


@cli.command()
@click.argument("rule_id")
@_common
def explain(
    rule_id: str,
    config_path: str | None,
    rule_paths: tuple[str, ...],
    disabled_packs: tuple[str, ...],
    variables: tuple[str, ...],
) -> None:
    """Show what a rule checks, why, and how it fixes."""
    import yaml

    from linter.errors import ConfigError

    app = _app(config_path, rule_paths, disabled_packs, variables)
    rule = app.ruleset.get(rule_id.upper())
    if rule is None:
        raise ConfigError(f"no rule {rule_id!r} (see `dblint rules`)")
    click.echo(f"{rule.id}: {rule.title}")
    click.echo(
        f"severity: {rule.severity}    kind: {rule.kind.name}    pack: {rule.pack or '-'}    "
        f"source: {rule.where}"
    )
    if rule.spec.description:
        click.echo("")
        click.echo(rule.spec.description.strip())
    click.echo("\nparams:")
    click.echo(_indent(yaml.safe_dump(rule.params.model_dump(exclude_defaults=True), sort_keys=False)))
    if rule.fix:
        click.echo(
            f"fix ({rule.fix.safety}{'; needs --unsafe-fixes' if rule.fix.safety == 'unsafe' else ''}):"
        )
        click.echo(_indent(yaml.safe_dump(rule.fix.model_dump(exclude_defaults=True), sort_keys=False)))
    else:
        click.echo("fix: none (repair by hand, as described above)")


@cli.command()
@click.argument("target", required=False)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config to read the target from (default: ./dblint.yaml).",
)
@click.option("--output", "-o", default="dblint.yaml", show_default=True, help="File to write; - prints it.")
@click.option("--force", is_flag=True, help="Replace an existing file.")
def init(target: str | None, config_path: str | None, output: str, force: bool) -> None:
    """Write a starter dblint.yaml for TARGET: its dialect, the packs that apply, migrations found."""
    from linter.commands import init_config as starter
    from linter.load.config import Config

    app = _app(config_path, (), (), ())
    text = starter.render(starter.inspect(app, target, Path.cwd()), Config.model_fields)
    if output == "-":
        click.echo(text, nl=False)
        return
    starter.write(Path(output), text, force)
    click.echo(f"wrote {output}: check it, then run `dblint check`", err=True)
    if Path(output).resolve().parent == Path.cwd().resolve():  # where `dblint check` will find it
        click.echo(starter.verify(Path(output)), err=True)


@cli.command()
@click.argument("what", type=click.Choice(["rules", "config"]), default="rules")
@_common
def schema(
    what: str,
    config_path: str | None,
    rule_paths: tuple[str, ...],
    disabled_packs: tuple[str, ...],
    variables: tuple[str, ...],
) -> None:
    """Print the JSON Schema of rule files (with every loaded kind's params) or of the config."""
    import json

    from linter.commands import schema_export

    if what == "config":
        doc = schema_export.config_schema(disabled_packs)
    else:
        doc = schema_export.rules_schema(_app(config_path, rule_paths, disabled_packs, variables).kinds)
    click.echo(json.dumps(doc, indent=2))


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.rstrip().splitlines())


def main() -> None:
    cli(prog_name="dblint")


if __name__ == "__main__":
    main()
