"""Tests of dlbasics.optimizers.experiments: the page's experiments."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlbasics import optimizers as O
from dlbasics.optimizers import experiments


def test_uncorrected_adam_first_step() -> None:
    """m₁ = (1−β₁)g, v₁ = (1−β₂)g²: the first step is lr·(1−β₁)/√(1−β₂) (ε = 0)."""
    steps = experiments._constant_gradient_steps(
        lambda p: O.UncorrectedAdam(p, lr=1.0, eps=0.0), np.ones(3)
    )
    assert steps[0, 0] == pytest.approx(0.1 / math.sqrt(0.001), rel=1e-12)
    corrected = experiments._constant_gradient_steps(
        lambda p: O.Adam(p, lr=1.0, eps=0.0), np.ones(3)
    )
    np.testing.assert_allclose(corrected[:, 0], 1.0, rtol=1e-12)


def test_sgd_update_check_is_tiny() -> None:
    assert experiments.sgd_update_check() < 1e-12


# --- momentum on the narrow valley ---


def test_valley_rates_measure_the_closed_form() -> None:
    valley = experiments.valley_rates(condition=25.0, alpha=0.075, beta=0.9, steps=60)
    runs = list(valley["runs"].values())
    gd, momentum, gd_best, polyak = runs
    assert gd["measured_swing_rate"] == pytest.approx(0.875, abs=1e-9)  # |1 − 0.075·25|
    assert momentum["measured_swing_rate"] == pytest.approx(math.sqrt(0.9), abs=1e-3)
    assert momentum["rate_across"] == pytest.approx(math.sqrt(0.9), rel=1e-12)
    assert gd_best["rate_across"] == pytest.approx(24 / 26, rel=1e-12)  # (κ − 1)/(κ + 1)
    assert polyak["lr"] == pytest.approx(1 / 9) and polyak["beta"] == pytest.approx(4 / 9)
    assert polyak["rate_across"] == pytest.approx(2 / 3, rel=1e-6)
    assert polyak["final_f"] < 1e-10 * gd_best["final_f"]
    # the swing's amplitude at the end, as the issue measured it: ~0.08 against ~5e-4
    assert momentum["final_swing"] == pytest.approx(0.0786, rel=0.01)
    assert gd["final_swing"] == pytest.approx(1.5 * 0.875**60, rel=1e-9)


def test_half_period() -> None:
    assert experiments._half_period(0.075, 0.0, 25.0) == 1  # sign flips every step
    # complex roots √β e^{±iθ}: cos θ = (1 + β − lr h) / (2√β)
    theta = math.acos((1.9 - 0.0075 * 25) / (2 * math.sqrt(0.9)))
    assert experiments._half_period(0.0075, 0.9, 25.0) == math.ceil(math.pi / theta)


def test_momentum_rate_rows_for_kappa_100() -> None:
    (row,) = experiments.momentum_rate_rows(conditions=(100.0,), betas=(0.5, 0.9))
    (lr5, rate5), (_, rate9) = row[1], row[2]
    assert lr5 == pytest.approx(0.0296, abs=5e-4) and rate5 == pytest.approx(0.936, abs=1e-3)
    assert rate9 == pytest.approx(math.sqrt(0.9), rel=1e-9)
    assert row[3] == pytest.approx((9 / 11) ** 2) and row[5] == pytest.approx(9 / 11)


def test_measured_rates_follow_the_closed_form() -> None:
    rates = experiments.measured_rates(conditions=(10.0,), betas=(0.0, 0.5), steps=200)
    for measured, closed in rates.values():
        assert measured == pytest.approx(closed, abs=0.01)


def test_rate_map_shape_and_polyak_mark() -> None:
    data = experiments.rate_map(
        condition=25.0, lrs=np.array([0.01, 1 / 9]), betas=np.array([0.0, 4 / 9])
    )
    assert data["rate"].shape == (2, 2)
    assert data["rate"][1, 1] == pytest.approx(2 / 3, rel=1e-6)
    assert data["polyak"] == pytest.approx((1 / 9, 4 / 9))


# --- averages ---


def test_ema_lag_and_noise_closed_forms() -> None:
    (row,) = experiments.ema_lag_and_noise(betas=(0.9,), n=50_000)
    assert row["lag"] == pytest.approx(9.0, rel=1e-9)
    assert row["equivalent_n"] == pytest.approx(19.0, rel=0.05)
    assert row["equivalent_closed"] == pytest.approx(19.0)


# --- training runs ---


def test_train_digits_warmup_cosine_steps_per_update() -> None:
    r = experiments.train_digits("SGD", 0.5, epochs=2, schedule=("warmup_cosine", 0.25))
    updates = 2 * math.ceil(1348 / 64)
    warmup = round(0.25 * updates)
    # the lr recorded at the start of epoch 2 is the schedule's at that update
    expected = O.warmup_cosine(0.5, updates // 2, warmup, updates)
    assert r["lr"][0] == 0.0 and r["lr"][1] == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="schedule"):
        experiments.train_digits("SGD", 0.5, epochs=1, schedule=("step", 0.5))


def test_stack_pads_runs_cut_short() -> None:
    stacked = experiments._stack([{"x": np.ones(3)}, {"x": np.ones(2)}], "x")
    assert stacked.shape == (2, 3) and np.isnan(stacked[1, 2])


def test_batch_lr_sweep_marks_divergence() -> None:
    sweep = experiments.batch_lr_sweep(lrs=(0.03, 3.0))
    assert np.isfinite(sweep["loss"]["batch (1,348)"]).all()
    assert np.isnan(sweep["loss"]["stochastic (1)"][1])  # one example at a time cannot take 3
    assert sweep["largest_stable"]["stochastic (1)"] == 0.03


def test_decoupling_grid_small() -> None:
    grid = experiments.decoupling_grid(lrs=(1e-2,), weight_decays=(0.0, 1.0), epochs=2, seeds=(0,))
    for name in ("Adam", "AdamW"):
        assert grid[name]["accuracy"].shape == (1, 2)
    # λ = 0 is run once, as Adam: AdamW without decay must give the very same numbers
    alone = experiments.train_digits("AdamW", 1e-2, epochs=2, seed=0, weight_decay=0.0)
    assert grid["AdamW"]["loss"][0, 0] == alone["train_loss"][-1]
    # L2 at λ = 1 dominates Adam's normalised step; AdamW's decay is only lr·λ per step
    assert grid["Adam"]["loss"][0, 1] > grid["AdamW"]["loss"][0, 1]


def test_schedule_curves_start_at_lr0() -> None:
    curves = experiments.schedule_curves(total=50, warmup=5)
    inverse, exponential, cosine = curves["curves"].values()
    assert inverse[0] == exponential[0] == 1.0 and cosine[0] == 0.0
    assert cosine[5] == 1.0 and cosine[-1] == pytest.approx(0.0, abs=1e-12)


# --- the exercises' answers, by another route -------------------------------------------------


def test_exercise_answers_against_closed_forms() -> None:
    assert experiments.window_share_answer() == pytest.approx(1 - 0.95**20, rel=1e-6)
    assert experiments.window_ninety_answer() == math.ceil(math.log(0.1) / math.log(0.95))
    assert experiments.constant_average_answer() == pytest.approx(5 * (1 - 0.9**3))
    assert experiments.corrected_average_answer() == pytest.approx(5.0)
    assert experiments.textbook_alpha_answer() == pytest.approx(0.01 / (1 - 0.9))
    assert experiments.polyak_beta_answer() == pytest.approx((9 / 11) ** 2)
    t = np.arange(1, 301)
    assert experiments.uncorrected_adam_peak_answer() == pytest.approx(
        ((1 - 0.9**t) / np.sqrt(1 - 0.999**t)).max(), rel=1e-6
    )


def test_choice_answers_by_another_route() -> None:
    import torch

    # best β at lr 0.0075: measured on torch's own SGD paths, not from the closed form
    rates = []
    for beta in experiments.EXPLORER_BETAS:
        path = O.trajectory(
            lambda p, b=beta: torch.optim.SGD(p, lr=0.0075, momentum=b),
            experiments.partial_surface(25.0),
            (-4.5, 1.5),
            400,
        )
        rates.append(abs(path[-1, 0]) + abs(path[-1, 1]))
    assert experiments.best_beta_answer() == int(np.argmin(rates))
    # RMSprop after the drop: with torch's RMSprop
    steps = []
    for alpha in (0.9, 0.99, 0.999):
        p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.RMSprop([p], lr=1.0, alpha=alpha)
        for k in range(350):
            before = float(p.detach())
            p.grad = torch.tensor([1.0 if k < 300 else 0.1], dtype=torch.float64)
            opt.step()
        steps.append(abs(float(p.detach()) - before))
    assert experiments.smallest_step_after_drop_answer() == int(np.argmin(steps))
