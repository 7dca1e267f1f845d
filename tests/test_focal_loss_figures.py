"""Tests of dlbasics.focal_loss.figures: the page's figures and tables."""

from __future__ import annotations

import numpy as np
import pytest

from dlbasics.focal_loss import (
    experiments,
    figures,
)


def test_small_training_runs_and_plots() -> None:
    run = experiments.train_imbalanced(
        imbalance=10,
        seeds=(0, 1),
        losses=tuple(experiments.METHODS.values()),
        steps=5,
        batch_size=64,
        positives=20,
    )
    assert run["ap"].shape == (2, len(experiments.METHODS)) and np.all(
        (run["ap"] >= 0) & (run["ap"] <= 1)
    )
    assert run["precision"].shape == (2, len(experiments.METHODS), len(run["recall"]))
    data = {10: {**run, "methods": list(experiments.METHODS), "seeds": [0, 1]}}
    assert figures.plot_pr_curves(data).startswith("<figure")
    curves = experiments.prior_bias_training(imbalance=10, steps=3, positives=10, probe=100)
    assert len(curves) == 4 and all(len(c) == 4 for c in curves.values())
    # The prior bias starts every positive at p = 0.01 and every negative at 0.99.
    assert curves[("CE", "b = 0")][0] > curves[("CE", "b = prior_bias(0.01)")][0]
    assert figures.plot_prior_bias(curves).startswith("<figure")
    with pytest.raises(ValueError, match="losses"):
        experiments.train_imbalanced(losses=(("hinge", 0.0, 0.0),), steps=1)


def test_page_plots_render() -> None:
    assert 'aria-label="Focal loss' in figures.plot_loss_curves(experiments.loss_curves(num=20))
    ratios = experiments.gradient_ratio_curves(gammas=(2.0,), num=21)
    ratios["crossing"] = {2.0: experiments.gradient_ratio_crossing(2.0)}
    drawn = figures.plot_gradient_curves(experiments.gradient_curves(num=21), ratios)
    assert drawn.startswith("<figure")
    star = figures.plot_loss_star(experiments.loss_star_curves(num=20))
    assert 'aria-label="Cross-entropy, focal loss' in star


def test_one_colour_per_gamma_and_method() -> None:
    assert len(set(figures.GAMMA_COLORS.values())) == len(figures.GAMMA_COLORS)
    assert figures.METHOD_COLORS["CE"] == figures.GAMMA_COLORS[0.0]
    assert figures.METHOD_COLORS["FL (γ = 2, α = 0.25)"] == figures.GAMMA_COLORS[2.0]
    assert set(figures.METHOD_COLORS) == set(experiments.METHODS)
    cumulative = experiments.cumulative_loss(n_anchors=2_002, neg_per_pos=100, points=20)
    assert figures.plot_cumulative_loss(cumulative).startswith("<figure")
