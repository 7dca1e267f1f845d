"""Shared test configuration."""

from __future__ import annotations

import os

import matplotlib
import pytest

matplotlib.use("Agg")

# Two cores on the build machines: keep torch from oversubscribing them when
# pytest-xdist or hypothesis run many small problems.
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True)
def _no_experiment_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run the real code: the experiment cache stays off unless a test turns it on."""
    import dlbasics.cache

    monkeypatch.delenv(dlbasics.cache.ENV_VAR, raising=False)
    monkeypatch.setattr(dlbasics.cache, "_explicit_dir", None)
    monkeypatch.setattr(dlbasics.cache, "_explicitly_disabled", False)
    monkeypatch.setattr(dlbasics.cache, "_check", False)
