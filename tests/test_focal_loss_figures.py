"""Tests of dlbasics.focal_loss.figures: the page's figures and tables."""

from __future__ import annotations

import numpy as np
import pytest

from dlbasics.focal_loss import (
    experiments,
    figures,
)

from .test_plotting_explorable import frames_of


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


def _frames(tmp_path, render, data):  # type: ignore[no-untyped-def]

    from dlbasics import plotting

    plotting.figures_as_files(tmp_path)
    try:
        html = render.__wrapped__(data)
    finally:
        plotting.figures_as_files(None)
    return frames_of(html)


def test_explorer_readouts_are_the_librarys_numbers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import math

    gammas, alphas = (0.0, 2.0, 5.0), (0.25, 0.75)
    data = experiments.focusing_explorer(gammas=gammas, alphas=alphas, num=41)
    frames = _frames(tmp_path, figures.plot_focusing_explorer, data)
    combos = [(g, a) for g in gammas for a in alphas]  # the last slider varies fastest
    assert len(frames) == len(combos)
    for frame, (gamma, alpha) in zip(frames, combos, strict=True):
        text = frame["readout"]
        # the ratio at p_t = 0.5 in closed form: r = (1 − p)^γ − γ p (1 − p)^(γ−1) log p
        half = 0.5**gamma - gamma * 0.5 * 0.5 ** (gamma - 1) * math.log(0.5)
        assert f"×{alpha * half:.2f} for a positive, ×{(1 - alpha) * half:.2f} for a neg" in text
        if gamma == 0:
            assert "no crossing" in text and "p*" not in text
        else:
            assert f"p* = {experiments.gradient_ratio_crossing(gamma):.2f}" in text
            assert f"it is ×{half:.2f}" in text
        assert text in frame["alt"]
    shares = experiments.share_explorer(gammas=(0.0, 2.0), alphas=(0.25, 0.5))
    frames = _frames(tmp_path, figures.plot_share_explorer, shares)
    combos = [(g, a) for g in (0.0, 2.0) for a in (0.25, 0.5)]
    assert len(frames) == len(combos)
    rows = experiments.loss_shares(tuple((f"{g}, {a}", a, g) for g, a in combos))
    for frame, row in zip(frames, rows, strict=True):
        for group in ("positives", "easy negatives", "hard negatives"):
            assert (
                f"{group} {row[f'{group} loss']:.1%} of the loss, "
                f"{row[f'{group} grad']:.1%} of the gradient" in frame["readout"]
            )


def test_explorer_frames_are_light_and_legible() -> None:
    from dlbasics import plotting

    data = experiments.focusing_explorer(gammas=(2.0,), alphas=(0.25,), num=41)
    shares = experiments.share_explorer(gammas=(0.0, 2.0), alphas=(0.25,))
    for fig in (
        figures.draw_focusing_frame(data, 2.0, 0.25),
        figures.draw_share_frame(shares, 2.0, 0.25),
    ):
        assert fig.get_figwidth() <= 7.6
        assert plotting.smallest_text_pt(fig) >= 10
