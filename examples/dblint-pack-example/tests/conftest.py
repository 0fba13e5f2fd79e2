"""The pack's tests need the pack installed (its entry point is how dblint finds it)."""

from __future__ import annotations

from importlib import metadata

import pytest


@pytest.fixture(autouse=True)
def _pack_installed() -> None:
    try:
        metadata.version("dblint-pack-example")
    except metadata.PackageNotFoundError:
        pytest.fail(
            "dblint-pack-example is not installed: pip install -e examples/dblint-pack-example "
            "(scripts/setup test does)"
        )
