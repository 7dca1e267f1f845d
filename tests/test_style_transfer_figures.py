"""Tests of dlbasics.style_transfer.figures: the page's figures and tables."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlbasics import style_transfer as nst
from dlbasics.style_transfer import experiments, figures

# Tests that run the bfloat16 path need bfloat16 kernels (see `bfloat16_support`).
needs_bfloat16 = pytest.mark.skipif(
    nst.bfloat16_support("cpu") == "none", reason="this CPU has no bfloat16 kernels"
)


@needs_bfloat16
def test_precision_comparison_and_its_summary() -> None:
    before = torch.get_num_threads()
    comparison = experiments.precision_comparison(size=24, steps=3)
    assert torch.get_num_threads() == before  # restored after the one-thread run
    runs = comparison["runs"]
    assert list(runs)[:2] == ["float32", "bfloat16"] and len(runs) == 3
    for run in runs.values():
        assert run["image"].dtype == np.uint8 and run["image"].shape[2] == 3
        assert len(run["history"]["total"]) == 3 and run["seconds_per_eval"] > 0
    summary = figures.text_precision(comparison)
    assert summary.count("\n|") == 4  # header rule and three rows below the header
    assert "| float32 |" in summary and "0.0 |" in summary  # float32's distance to itself
    speed = runs["float32"]["seconds_per_eval"] / runs["bfloat16"]["seconds_per_eval"]
    assert f"{speed:.2f}× as fast" in summary


def test_precision_comparison_without_bfloat16_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(experiments, "bfloat16_support", lambda device="cpu": "none")
    comparison = experiments.precision_comparison(size=24, steps=2)
    assert comparison["bfloat16_support"] == "none"
    labels = list(comparison["runs"])
    assert labels[0] == "float32" and len(labels) == 2
    summary = figures.text_precision(comparison)
    assert "left out" in summary and summary.count("\n|") == 3
