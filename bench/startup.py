"""Start-up figures for bench/run: `dblint --version`, import time, and what the packs that do not
apply cost a default run (all packs, no --select) on a plain database.

    .venv/bin/python bench/startup.py [--repeat 15] [--size 1e5]

Wall times are medians of whole processes; CPU times (user + system of the process) move less
when other processes compete for the cores. The default run and the run with only the packs that
apply (the others disabled) alternate, so a change in load hits both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def dblint_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("dblint")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "linter"]


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, exit code) of one process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    return time.perf_counter() - t0, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def cold_start(repeat: int = 15) -> float:
    return statistics.median(timed([*dblint_cmd(), "--version"])[0] for _ in range(repeat))


def import_offenders(code: str, top: int = 8, repeat: int = 5) -> tuple[float, list[tuple[str, float]]]:
    """Total import time of ``code`` and its top packages by self time (ms, best of ``repeat``)."""
    best: dict[str, float] = {}
    for _ in range(repeat):
        err = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True
        ).stderr
        for line in err.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            own, _, name = line[len("import time:") :].split("|")
            best[name.strip()] = min(best.get(name.strip(), 1e12), int(own) / 1000)
    by_pkg: dict[str, float] = {}
    for name, ms in best.items():
        by_pkg[name.split(".")[0]] = by_pkg.get(name.split(".")[0], 0) + ms
    return sum(best.values()), sorted(by_pkg.items(), key=lambda kv: -kv[1])[:top]


def packs_off(url: str) -> list[str]:
    """The packs that do not apply to ``url``: loaded by a default run, and then not run."""
    listed = subprocess.run(
        [*dblint_cmd(), "rules", "--format", "json"], capture_output=True, text=True, check=True
    )
    pack = {r["id"]: r["pack"] for r in json.loads(listed.stdout)}
    out = subprocess.run([*dblint_cmd(), "check", url, "--format", "json"], capture_output=True, text=True)
    ran = {pack[r["id"]] for r in json.loads(out.stdout)["rules"]}
    return sorted(set(pack.values()) - ran)


def default_overhead(url: str, repeat: int = 15) -> dict[str, float | list[str]]:
    """Median wall and CPU of `dblint check URL` (every pack) and of the same run with the packs that
    do not apply disabled (so neither imported nor loaded), alternating."""
    off = packs_off(url)
    base = [*dblint_cmd(), "check", url, "--format", "json"]
    only = [*base, *[x for p in off for x in ("--disable-pack", p)]]
    runs: dict[str, list[tuple[float, float, int]]] = {"default": [], "applicable": []}
    for _ in range(repeat):
        runs["default"].append(timed(base))
        runs["applicable"].append(timed(only))
    out: dict[str, float | list[str]] = {"off": off}
    for k, rs in runs.items():
        out[f"{k}_wall"] = statistics.median(r[0] for r in rs)
        out[f"{k}_cpu"] = statistics.median(r[1] for r in rs)
    return out


def main() -> None:
    sys.path.insert(0, str(HERE))
    import generate

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--size", default="1e5")
    a = ap.parse_args()
    # As bench/run: time dblint byte-compiled, as installed.
    root = HERE.parent
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(root / "linter"), str(root / "rules")], check=True
    )
    url = generate.build("sqlite", generate.parse_size(a.size), log=lambda s: print(s, file=sys.stderr))
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"dblint --version: {cold_start(a.repeat) * 1000:.0f} ms (median of {a.repeat})")
    d = default_overhead(url, a.repeat)
    print(
        f"default run (all packs): {d['default_wall']:.3f} s wall, {d['default_cpu']:.3f} s CPU; "
        f"only the packs that apply (--disable-pack {' '.join(d['off'])}): "  # type: ignore[arg-type]
        f"{d['applicable_wall']:.3f} s wall, {d['applicable_cpu']:.3f} s CPU; "
        f"difference {d['default_wall'] - d['applicable_wall']:+.3f} s wall, "  # type: ignore[operator]
        f"{d['default_cpu'] - d['applicable_cpu']:+.3f} s CPU (median of {a.repeat} each)"  # type: ignore[operator]
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
