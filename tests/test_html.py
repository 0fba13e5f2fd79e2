"""Issue 16: ``--format html``, one self-contained page a person wants to open. The page is
checked as text (no network, escaping, what each rule block holds) and rendered in headless
Chromium (Debian's ``chromium``, installed here when missing; skipped with a line when it cannot
be): the browser's DOM and a screenshot's pixels say what a person sees."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

DBLINT = str(Path(sys.executable).parent / "dblint")
ROOT = Path(__file__).resolve().parents[1]
RULES = """\
rules:
  - id: HTM001
    title: notes have a body
    description: A note without a body shows as an empty line in the app.
    severity: warning
    kind: not_null
    params: {table: note, column: body}
    fix: {safety: safe, set: "-"}
  - id: HTM002
    title: notes name their author
    severity: error
    kind: not_null
    params: {table: note, column: author}
  - id: HTM003
    title: authors are plain names
    severity: info
    kind: sql
    params: {query: "SELECT id, author FROM note WHERE author LIKE '<%'", table: note, key: [id]}
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBLINT_")}
    proc = subprocess.run([DBLINT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture
def page(tmp_path: Path) -> Path:
    """A report of 3000 NULL bodies (every one listed) and an author holding markup."""
    (tmp_path / "rules.yaml").write_text(RULES)
    with sqlite3.connect(tmp_path / "notes.sqlite") as c:
        c.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT, author TEXT)")
        c.executemany("INSERT INTO note VALUES (?, NULL, 'x')", [(i,) for i in range(1, 3001)])
        c.execute("INSERT INTO note VALUES (5000, 'b', NULL)")
        c.execute("INSERT INTO note VALUES (5001, 'c', '<script>alert(1)</script>')")
    c.close()
    out = tmp_path / "report.html"
    args = ("check", "notes.sqlite", "--rules", "rules.yaml", "--select", "HTM", "--format", "html")
    proc = run(*args, "--diff", "--max-examples", "5000", "--output", str(out), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    return out


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_self_contained_escaped_and_complete(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    parser = Tags()
    parser.feed(text)
    names = [t for t, _ in parser.tags]
    assert "script" not in names and "link" not in names and "img" not in names and "iframe" not in names
    assert not any(v and re.match(r"(?i)\w+://|//", v) for _, a in parser.tags for v in a.values())
    assert "default-src 'none'" in text  # the browser itself refuses any fetch
    assert "author=&#x27;&lt;script&gt;alert(1)&lt;/script&gt;&#x27;" in text  # shown, escaped
    assert "<script>alert" not in text
    # Summary by pack and severity; each failing rule with description, examples and its fix SQL.
    assert "<th>pack</th>" in text and "3000 in 1" in text and "1 in 1" in text
    assert "A note without a body shows as an empty line in the app." in text
    assert text.count("<tr><td><code>note[id=") == 3002  # every example, as asked
    assert "UPDATE note SET body=" in text and "-- set body = &#x27;-&#x27;: 3000 rows" in text


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], capture_output=True, timeout=900)
        found = shutil.which("chromium")
    if not found:
        pytest.skip("headless Chromium is not installed and could not be (apt-get install chromium)")
    return found


def browser(*args: str) -> subprocess.CompletedProcess[str]:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions"]
    return subprocess.run([chromium(), *flags, *args], capture_output=True, text=True, timeout=300)


def pixels(png: Path) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit non-interlaced PNG: no imaging library."""
    data = png.read_bytes()
    pos, chunks = 8, b""
    width = height = 0
    channels = 4
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), (depth, color)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            chunks += body
        pos += 12 + length
    raw = zlib.decompress(chunks)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytes(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            p = a + b - c
            pred = (
                a
                if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c)
                else b
                if abs(p - b) <= abs(p - c)
                else c
            )
            line[i] = (line[i] + (0, a, b, (a + b) // 2, pred)[f]) & 0xFF
        rows.append(bytes(line))
        prev = bytes(line)
    return width, height, [bytes(b for i, b in enumerate(r) if i % channels < 3) for r in rows]


def test_chromium_shows_the_report(page: Path, tmp_path: Path) -> None:
    dom = browser("--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    # The browser built the page: the summary, both rules, the first open with its examples.
    assert "dblint report" in html and "HTM001" in html and "HTM002" in html
    assert re.search(r"<details open=\"\" id=\"HTM002\">", html) or re.search(
        r"<details open=\"\" id=\"HTM001\">", html
    )
    shot = tmp_path / "shot.png"
    res = browser(f"--screenshot={shot}", "--window-size=1200,900", page.as_uri())
    assert shot.exists(), res.stderr[-2000:]
    width, height, rows = pixels(shot)
    assert (width, height) == (1200, 900)
    header = rows[10]
    assert header[:3] == bytes((0x22, 0x27, 0x2E))  # the dark header band, drawn
    seen = {row[i : i + 3] for row in rows for i in range(0, len(row), 3)}
    assert bytes((0xCF, 0x22, 0x2E)) in seen  # the red "error" badge, drawn
    assert bytes((0xBF, 0x87, 0x00)) in seen  # the amber "warning" badge, drawn
