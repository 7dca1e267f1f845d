"""Tests of dlbasics.batch_norm.figures: the page's figures and tables."""

from __future__ import annotations

import pytest

from dlbasics.batch_norm import (
    experiments,
    figures,
)

from .test_plotting_explorable import frames_of


@pytest.fixture
def small_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the experiments that reuse the trained networks train a tiny version instead.

    The cache is switched off here: results computed from the tiny networks must never be
    stored under the keys of the page's full experiments.
    """
    import dlbasics.cache

    monkeypatch.setattr(dlbasics.cache, "cache_dir", lambda: None)

    original = experiments.learning_rate_sweep

    def tiny(seed: int = 0) -> dict[str, object]:
        return original(lrs=(0.5,), steps=30, seed=seed)

    monkeypatch.setattr(experiments, "learning_rate_sweep", tiny)


def test_experiments_and_plots_run(small_training: None) -> None:

    lr = experiments.learning_rate_sweep()
    assert set(lr["runs"]) == {(0.5, "none"), (0.5, "before")}
    run = lr["runs"][(0.5, "before")]
    assert run["step"].tolist() == [0, 25] and run["unit"].shape == (2, 3)
    assert (run["unit"][:, 0] <= run["unit"][:, 2]).all()  # 15th ≤ 85th percentile
    assert "<svg" in figures.plot_learning_rate_sweep(
        lr
    ) and "<svg" in figures.plot_unit_distribution(lr, 0.5)
    assert "| 0.5 | yes |" in figures.table_learning_rate_sweep(lr)

    shift = experiments.covariate_shift()
    # BN with the shifted test set's own statistics undoes x ↦ a·x + b for a > 0 exactly
    accs = [
        row["BN, test-batch statistics"] for name, row in shift.items() if "inverted" not in name
    ]
    assert max(accs) - min(accs) < 1e-9
    assert "| test pixels |" in figures.table_covariate_shift(shift)

    scale = experiments.scale_invariance()
    assert max(scale["BN, batch statistics"]["change"]) < 1e-3  # scale invariance, but for ε
    assert min(scale["no BN"]["change"]) > 1e-2
    assert "× 10" in figures.table_scale_invariance(scale)

    noise = experiments.batch_noise(batch_sizes=(4, 64), draws=300)
    assert noise["mean_sd"][0] == pytest.approx(noise["sigma"] / 2, rel=0.2)  # σ/√4
    assert "<svg" in figures.plot_batch_noise(noise)

    test_time = experiments.test_time_statistics(batch_sizes=(2, 8, 256), draws=10)
    assert len(test_time["log_odds"][0]) == 10
    # Every row scores every test image once, also when the batch size does not divide 449.
    assert test_time["scored"] == [test_time["n"]] * 3 == [449] * 3
    assert "<svg" in figures.plot_test_time_statistics(test_time)

    pitfall = experiments.eval_mode_pitfall()
    assert set(pitfall) >= {"eval mode", "train mode, sorted by class batches"}
    folded = experiments.folding_check()
    assert folded["max_difference"] < 1e-4 and folded["numbers"] > folded["folded_numbers"]
    assert folded["accuracy"] == folded["folded_accuracy"]
    details = experiments.covariate_shift_details()
    assert 0 <= details["true_class_lowest"] <= 1 and details["pixels"] == 64
    moments = experiments.unit_moments()
    assert moments["gamma"] > 0
    scaled = scale["BN, batch statistics"]["scaled_grad"]
    assert scaled == pytest.approx([1.0] * len(scaled), abs=1e-3)  # Ioffe & Szegedy, 3.3
    assert len(scale["BN, running statistics"]["recomputed_accuracy"]) == len(scale["factors"])

    stats = experiments.running_statistics(batch_sizes=(2, 60), batches=200)
    # biased batch variance ≈ (m − 1)/m · σ², the unbiased running one ≈ σ²
    assert stats["biased"][0] == pytest.approx(0.5, abs=0.1)
    assert stats["running"][0] == pytest.approx(1.0, abs=0.2)


def test_small_training_experiments_run() -> None:

    scaling = experiments.input_scaling(lrs=(0.1, 1.0), steps=5)
    assert len(scaling["loss"]) == 3 and "<svg" in figures.plot_input_scaling(scaling)
    path = experiments.training_path(steps=20, every=10, dense=(5, 10), seeds=(0, 1))
    assert path["before"][0]["step"].tolist() == [5, 10, 20] and len(path["none"]) == 2
    assert (path["none"][1]["loss_range"] >= 0).all()
    assert "<svg" in figures.plot_training_path(path, band=(0.5, 3.0))
    phases = experiments.training_path_phases(path, band=(0.5, 3.0))
    verdicts = dict.fromkeys(experiments.PATH_MEASURES, "within noise")
    assert "matched loss" in figures.table_training_path(phases, verdicts)
    noisy = experiments.noisy_batch_norm(steps=50, every=25)
    assert noisy["noisy"]["step"].tolist() == [0, 25, 50] and noisy["noisy"]["drift"] > 0
    assert "<svg" in figures.plot_noisy_batch_norm(noisy)
    small = experiments.small_batches(steps=4, seeds=(0, 1))
    assert set(small["accuracy"]) == set(small["names"])
    assert "LayerNorm" in figures.table_small_batches(small, {"BatchNorm": "within noise"})
    bowl = experiments.elongated_bowl(steps=3)
    assert "<svg" in figures.plot_elongated_bowl(bowl)
    assert "<svg" in figures.plot_computation_graph()
    gb = experiments.gamma_beta(steps=10, seeds=(0, 1))
    assert len(gb["learned γ, β"]["gamma"]) == 3 and "frozen" in figures.table_gamma_beta(gb)
    assert "<svg" in figures.plot_learned_gamma_beta(gb)
    placement = experiments.placement(steps=25, seeds=(0, 1))
    assert "after the activation" in figures.table_placement(placement)
    assert "<svg" in figures.plot_placement(placement)
    conv = experiments.conv_training(lrs=(0.1,), steps=25)
    assert "<svg" in figures.plot_conv_training(conv)
    ghost = experiments.ghost_batches(ghost_sizes=(4, 60), batch_size=60, steps=10)
    assert set(ghost["runs"]) == {4, 60, "no BN"} and "gap" in figures.table_ghost_batches(ghost)
    same = experiments.ours_vs_torch(steps=3)
    assert max(same["float64"].values()) < 1e-10
    assert max(same["float32"].values()) < 1e-3
    stats = experiments.feature_map_statistics()
    assert stats["m"] == 60 * 8 * 8
    assert abs(stats["mean_after"]).max() < 1e-5
    assert abs(stats["std_after"] - 1).max() < 1e-3


def test_explorer_readouts_are_the_librarys_numbers(small_training: None, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import math

    import numpy as np
    import torch

    from dlbasics import plotting

    lrs = (0.5, 80.0)
    data = experiments.learning_rate_explorer(lrs=lrs, steps=30)
    gb = experiments.sigmoid_explorer(gammas=(1.0, 4.0), betas=(-2.0, 0.0))
    plotting.figures_as_files(tmp_path)
    try:
        lr_html = figures.plot_learning_rate_explorer.__wrapped__(data)
        gb_html = figures.plot_sigmoid_explorer.__wrapped__(gb)
        assert "<img" in figures.plot_learning_rate_run.__wrapped__(data, 80.0)
    finally:
        plotting.figures_as_files(None)

    lr_frames = frames_of(lr_html)
    assert len(lr_frames) == len(lrs)
    for frame, lr in zip(lr_frames, lrs, strict=True):
        assert frame["readout"].startswith(f"lr = {lr:g}, after 30 steps.")
        for name, bn in (("without BN", "none"), ("with BN", "before")):
            run = data["runs"][(lr, bn)]
            acc, loss = float(np.mean(run["test_acc"][-5:])), float(run["train_loss"][-1])
            assert f"{name}: test accuracy {acc:.2f}, training loss {loss:.2g}" in frame["readout"]
            if loss > 2 * math.log(10):
                assert f"{loss:.2g}, diverges" in frame["readout"]
    # the sigmoid explorer: x̂ is what the trained BN layer normalises (γx̂ + β is its output)
    model = experiments._trained_mlp(experiments.learning_rate_sweep(), 0.5, "before")
    with torch.no_grad():
        out = model.layers(experiments.digits().x_test)[1][gb["layer"]][:, gb["unit"]]
    gamma, beta = gb["learned"]
    np.testing.assert_allclose(gamma * gb["x_hat"] + beta, out.double().numpy(), atol=1e-5)
    combos = [(g, b) for g in (1.0, 4.0) for b in (-2.0, 0.0)]  # the last slider fastest
    gb_frames = frames_of(gb_html)
    assert len(gb_frames) == len(combos)
    for frame, (g, b) in zip(gb_frames, combos, strict=True):
        z = torch.as_tensor(g * gb["x_hat"] + b)
        s = torch.sigmoid(z)
        linear = float((z.abs() < 1).double().mean())
        saturated = float(((s < 0.05) | (s > 0.95)).double().mean())
        assert frame["readout"] == (
            f"γ = {g:g}, β = {b:g}: {linear:.0%} of the inputs in (−1, 1), {saturated:.0%} "
            f"saturated (σ below 0.05 or above 0.95); output mean {float(s.mean()):.2f}, "
            f"sd {float(s.std(unbiased=False)):.2f}"
        )
        counts = gb["frames"][(g, b)]
        assert counts["z_counts"].sum() == counts["s_counts"].sum() == len(gb["x_hat"])
