"""``--format github``: GitHub Actions workflow commands, one annotation line per violation
example (``::error file=…,title=…::message``), shown on the run's summary and, for fixture files
in the repository, on the file itself."""

from __future__ import annotations

from linter.hookspecs import hookimpl
from linter.report.base import Formatter, Report

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _key(key: dict[str, object]) -> str:
    return ",".join(f"{k}={v}" for k, v in key.items()) or "-"


class GithubFormatter(Formatter):
    name = "github"

    def render(self, report: Report) -> str:
        # A server URL is no file of the repository: annotate the run, not a file.
        where = "" if "://" in report.target else f"file={escape_property(report.target)},"
        lines = []
        for r in report.results:
            level = LEVELS[r.rule.severity]
            title = escape_property(f"{r.rule.id} {r.rule.title}")
            if r.status == "fail":
                for e in r.examples:
                    msg = f"{e.table or '-'} {_key(e.key)}: {e.message or r.rule.title}"
                    lines.append(f"::{level} {where}title={title}::{escape_data(msg)}")
                more = r.violations - len(r.examples)
                if more > 0:
                    lines.append(f"::{level} {where}title={title}::{more} more violation(s) not listed")
            elif r.status == "error":
                title = escape_property(r.rule.id + " could not run")
                lines.append(f"::error {where}title={title}::{escape_data(r.reason)}")
        if report.fix_error:
            lines.append(f"::error {where}title=dblint fix::{escape_data(report.fix_error)}")
        return "".join(line + "\n" for line in lines)


@hookimpl
def dblint_formats() -> dict[str, type[Formatter]]:
    return {"github": GithubFormatter}
