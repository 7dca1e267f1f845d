"""Tests of dlbasics.gradients.figures: the page's figures and tables."""

from __future__ import annotations

import pytest
import torch

from dlbasics.gradients import (
    ACTIVATIONS,
    INITS,
)
from dlbasics.gradients.experiments import (
    clipping,
    depth_explorer,
    evolution_vs_gradient_descent,
    fix_rows,
    init_explorer,
    init_sweep,
    recurrence_gradients,
    train_digits,
)
from dlbasics.gradients.figures import (
    draw_depth_frame,
    draw_init_frame,
    plot_clipping,
    plot_depth_explorer,
    plot_evolution,
    plot_init_explorer,
    plot_init_sweep,
    plot_recurrence,
    plot_training,
)

from .test_plotting_explorable import frames_of

# --- Experiments and plots: small versions run end to end ------------------------------------


def test_page_experiments_small() -> None:
    sweep = init_sweep(depth=2, width=8, batch_size=16)
    assert set(sweep) == {f"{a}/{i}" for a in ACTIVATIONS for i in INITS}
    assert all(len(v["grad"]) == 4 and len(v["act_std"]) == 3 for v in sweep.values())
    assert "<svg" in plot_init_sweep(sweep) and "<svg" in plot_init_sweep(sweep, "act_std")
    results = {
        name: train_digits(activation, depth=2, width=8, epochs=2, batch_size=256)
        for name, activation in (("a", "sigmoid"), ("b", "relu"))
    }
    r = results["a"]
    assert r["rel_update"].shape == (2, 4) and len(r["epoch_loss"]) == 2
    assert 0.0 <= r["test_accuracy"] <= 1.0
    for kind in ("loss", "updates", "grad_vs_update"):
        assert "<svg" in plot_training(results, kind)
    assert len(fix_rows(results)) == 2
    clip = clipping(((0.3, None), (0.3, 1.0)), depth=2, width=8, steps=3)
    assert all(max(run["grad_norm"]) > 0 for run in clip.values())
    assert "<svg" in plot_clipping(clip)
    evo = evolution_vs_gradient_descent(
        n_train=50, width=4, generations=2, population=4, gd_steps=2
    )
    assert evo["es"]["cost"] == [0.0, 4.0, 8.0] and evo["gd"]["cost"] == [0.0, 3.0, 6.0]
    assert "<svg" in plot_evolution(evo)


def test_recurrence_gradient_scales_like_the_spectral_radius() -> None:
    # ‖(Wᵀ)^T v‖^{1/T} → ρ(W) (Gelfand's formula); over 100 further steps the growth
    # rate must be within a few % of ρ.
    result = recurrence_gradients((0.8, 1.25), steps=200)
    for rho, norms in result["norms"].items():
        rate = (norms[-1] / norms[-101]) ** (1 / 100)
        assert rate == pytest.approx(rho, rel=0.03)
    assert "<svg" in plot_recurrence(result)


def test_explorer_readouts_are_the_librarys_numbers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import math

    from dlbasics import plotting
    from dlbasics.gradients import deep_mlp, gradient_norms, mean_field_gain
    from dlbasics.plotting import smallest_text_pt
    from dlbasics.training import digits

    variances = (1 / 3, 2.0)
    data = init_explorer(weight_variances=variances, activations=("sigmoid", "relu"), depth=2)
    depths = depth_explorer(depths=(1, 2), variants=("sigmoid", "sigmoid + residual"))
    plotting.figures_as_files(tmp_path)
    try:
        init_html = plot_init_explorer.__wrapped__(data)
        depth_html = plot_depth_explorer.__wrapped__(depths)
    finally:
        plotting.figures_as_files(None)
    frames = frames_of(init_html)
    combos = [(a, nv) for a in ("sigmoid", "relu") for nv in variances]  # the last fastest
    assert len(frames) == len(combos)
    x = digits(dtype=torch.float64)
    for frame, (activation, nv) in zip(frames, combos, strict=True):
        chi = mean_field_gain(activation, nv)["chi"]
        torch.manual_seed(0)
        model = deep_mlp(64, 10, 2, 64, activation, "normal", std=math.sqrt(nv / 64)).double()
        grads = gradient_norms(model, x.x_train[:256], x.y_train[:256])
        assert frame["readout"].startswith(
            f"{activation}, n·v = {nv:.3g}: mean-field χ = {chi:.3g} per layer; "
            f"‖∇W_in‖/‖∇W_out‖ = {grads[0] / grads[-1]:.2g}, ‖∇W_out‖ = {grads[-1]:.2g}"
        )
        assert frame["readout"] in frame["alt"]
    # the slider of activations shows their names; the default frame is sigmoid at 1/3
    assert "&quot;sigmoid&quot;, &quot;relu&quot;" in init_html
    assert 'value="0"' in init_html
    frames = frames_of(depth_html)
    assert len(frames) == 2
    for frame, depth in zip(frames, (1, 2), strict=True):
        parts = [
            f"{name} {depths['runs'][(name, depth)]['ratio']:.2g}"
            for name in ("sigmoid", "sigmoid + residual")
        ]
        assert frame["readout"] == f"depth {depth}: ‖∇W_in‖/‖∇W_out‖ = " + ", ".join(parts)
    # frames drawn at 10 pt or more, at most 7.6 inches wide
    for fig in (draw_init_frame(data, "relu", 2.0), draw_depth_frame(depths, 2)):
        assert (smallest_text_pt(fig) or 10) >= 10 and fig.get_figwidth() <= 7.6
