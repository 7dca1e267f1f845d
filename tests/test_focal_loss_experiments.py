"""Tests of dlbasics.focal_loss.experiments: the page's experiments."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from dlbasics.focal_loss import (
    experiments,
)


def test_downweighting_factors_are_the_closed_form_and_the_paper_rounds() -> None:
    rows = experiments.downweighting_rows((0.5, 0.9, 0.968, 0.99), gamma=2.0)
    for r in rows:
        assert r["ratio"] == pytest.approx((1 - r["p_t"]) ** -2.0, rel=1e-10)
        assert r["ratio"] == pytest.approx(r["closed_form"], rel=1e-10)
    assert rows[1]["ratio"] == pytest.approx(100.0)  # the paper's "100×" is exact
    assert rows[2]["ratio"] == pytest.approx(976.5625)  # its "1000×" is rounded
    gamma5 = experiments.downweighting_rows((0.75,), gamma=5.0)[0]
    assert gamma5["ratio"] == pytest.approx(4.0**5)


def test_easy_examples_are_still_penalised_with_the_closed_form_gradient() -> None:
    ps = (0.1, 0.5, 0.6, 0.75, 0.9)
    for r in experiments.easy_example_rows(ps, gamma=2.0):
        p = r["p"]
        assert r["fl"] == pytest.approx((1 - p) ** 2 * -math.log(p))
        assert r["ce_grad"] == pytest.approx(-(1 - p))
        # dFL/dx = (1 - p)^γ (γ p log p - (1 - p)), derived on the page.
        assert r["fl_grad"] == pytest.approx((1 - p) ** 2 * (2 * p * math.log(p) - (1 - p)))
        assert r["fl"] > 0 and r["fl_grad"] < 0  # p > 0.5 still pushes the logit up


def test_loss_and_gradient_curves_match_the_formulas() -> None:
    curves = experiments.loss_curves(gammas=(0.0, 2.0), num=50)
    p_t = curves["p_t"]
    np.testing.assert_allclose(curves["loss"][0.0], -np.log(p_t), rtol=1e-10)
    np.testing.assert_allclose(curves["loss"][2.0], -((1 - p_t) ** 2) * np.log(p_t), rtol=1e-10)
    grads = experiments.gradient_curves(gammas=(0.0, 5.0), num=41)
    p = 1 / (1 + np.exp(-grads["x"]))
    np.testing.assert_allclose(grads["grad"][0.0], -(1 - p), rtol=1e-10)
    np.testing.assert_allclose(
        grads["grad"][5.0], (1 - p) ** 5 * (5 * p * np.log(p) - (1 - p)), rtol=1e-8, atol=1e-300
    )


def test_loss_shares_alpha_does_not_separate_easy_from_hard() -> None:
    settings = (("CE", -1.0, 0.0), ("aCE", 0.999, 0.0), ("FL1", -1.0, 1.0), ("FL2", -1.0, 2.0))
    rows = {
        r["loss"]: r for r in experiments.loss_shares(settings, n_anchors=20_020, neg_per_pos=1000)
    }
    for r in rows.values():
        total = r["positives loss"] + r["easy negatives loss"] + r["hard negatives loss"]
        assert total == pytest.approx(1.0)
        assert r["positives grad"] + r["easy negatives grad"] + r["hard negatives grad"] == (
            pytest.approx(1.0)
        )

    def easy_within_negatives(r: dict[str, Any]) -> float:
        return r["easy negatives loss"] / (r["easy negatives loss"] + r["hard negatives loss"])

    assert rows["aCE"]["positives loss"] > 10 * rows["CE"]["positives loss"]
    assert easy_within_negatives(rows["aCE"]) == pytest.approx(easy_within_negatives(rows["CE"]))
    assert (
        easy_within_negatives(rows["CE"])
        > easy_within_negatives(rows["FL1"])
        > easy_within_negatives(rows["FL2"])
    )


def test_cumulative_loss_curves_are_distribution_functions() -> None:
    data = experiments.cumulative_loss(
        gammas=(0.0, 2.0), n_anchors=10_010, neg_per_pos=100, points=50
    )
    for group in ("positives", "negatives"):
        for curve in data["curves"][group].values():
            assert curve[0] == 0.0 and curve[-1] == pytest.approx(1.0)
            assert np.all(np.diff(curve) >= -1e-12)
    neg = data["curves"]["negatives"]
    assert neg[2.0][len(neg[2.0]) // 2] < neg[0.0][len(neg[0.0]) // 2]  # loss moves to the tail


def test_reduction_conventions_differ_by_anchors_over_positives() -> None:
    r = experiments.reduction_convention_values(n_anchors=10_010, neg_per_pos=1000)
    assert r["paper"] / r["torchvision_mean"] == pytest.approx(r["anchors"] / r["positives"])
    assert r["torchvision_default_shape"] == 1.0


def test_naive_gradient_check_reports_nan_only_for_the_textbook_formula() -> None:
    rows = experiments.naive_gradient_rows(logits=(5.0, 20.0, 1e4), gammas=(0.5,))
    assert not math.isnan(rows[0]["textbook_f32"])
    assert math.isnan(rows[1]["textbook_f32"]) and math.isnan(rows[2]["textbook_f32"])
    assert all(math.isfinite(r["ours_f32"]) for r in rows)
    assert rows[1]["ours_f32"] == pytest.approx(rows[1]["textbook_f64"], rel=1e-4)


def test_average_precision_matches_sklearn() -> None:
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(0)
    labels = (rng.random(500) < 0.05).astype(float)
    scores = np.round(rng.normal(size=500) + 2 * labels, 1)  # with ties
    recall = np.linspace(0, 1, 11)
    ap, precision = experiments._pr_curve(scores, labels, recall)
    assert ap == pytest.approx(average_precision_score(labels, scores))
    assert np.all(np.diff(precision) <= 1e-12) and 0 <= precision.min() <= precision.max() <= 1


def test_imbalanced_data_has_the_requested_ratio() -> None:
    x_train, y_train, x_test, y_test = experiments.make_imbalanced_data(
        imbalance=50, positives=40, seed=1
    )
    n = 40 * 51
    assert len(x_train) + len(x_test) == n and x_train.shape[1] == 20
    assert abs(float(y_train.sum() + y_test.sum()) - 40) <= 1
    assert set(torch.unique(y_train).tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(x_train.mean(0), torch.zeros(20), atol=1e-5, rtol=0)


def test_parallel_mlps_are_independent_models() -> None:
    model = experiments._ParallelMLPs([0, 0, 1], n_in=5, hidden=4)
    x = torch.randn(3, 7, 5)
    out = model(x)
    for m in range(3):
        single = torch.relu(x[m] @ model.w1[m] + model.b1[m]) @ model.w2[m] + model.b2[m]
        torch.testing.assert_close(out[m], single)
        torch.testing.assert_close(model.score(m, x[m]), single)
    torch.testing.assert_close(model.w1[0], model.w1[1])  # same seed, same initialisation
    out[0].sum().backward()
    assert model.w1.grad is not None and model.w1.grad[1:].abs().sum() == 0


def test_paper_tables_say_what_the_page_reads_from_them() -> None:
    best = max(experiments.PAPER_TABLE_1B, key=lambda row: row[2])
    assert best[:2] == (2.0, 0.25)
    alphas = [a for _, a, _ in experiments.PAPER_TABLE_1B]
    assert alphas == sorted(alphas, reverse=True)  # the best α falls as γ rises


def closed_form_ratio(p: float, gamma: float) -> float:
    """|dFL/dx| / |dCE/dx| for a positive, written independently of the library."""
    return (1 - p) ** gamma - gamma * p * (1 - p) ** (gamma - 1) * math.log(p)


@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0, 5.0])
def test_gradient_ratio_and_its_crossing_match_the_closed_form(gamma: float) -> None:
    for p in (0.01, 0.2, 0.5, 0.9):
        assert experiments.gradient_ratio(p, gamma) == pytest.approx(
            closed_form_ratio(p, gamma), rel=1e-9
        )
    crossing = experiments.gradient_ratio_crossing(gamma)
    assert closed_form_ratio(crossing, gamma) == pytest.approx(1.0, abs=1e-9)
    assert closed_form_ratio(crossing / 2, gamma) > 1 > closed_form_ratio((1 + crossing) / 2, gamma)
    curves = experiments.gradient_ratio_curves(gammas=(gamma,), num=50)
    expected = [closed_form_ratio(p, gamma) for p in curves["p"]]
    np.testing.assert_allclose(curves["ratio"][gamma], expected, rtol=1e-8)


def test_the_crossings_the_page_quotes() -> None:
    got = {g: round(experiments.gradient_ratio_crossing(g), 2) for g in (0.5, 1.0, 2.0, 5.0)}
    assert got == {0.5: 0.42, 1.0: 0.37, 2.0: 0.30, 5.0: 0.20}
    assert round(experiments.gradient_ratio(0.5, 2.0), 2) == 0.60
    with pytest.raises(ValueError, match="gamma"):
        experiments.gradient_ratio_crossing(0.0)


def test_loss_star_curves_follow_the_appendix_formula() -> None:
    curves = experiments.loss_star_curves(params=((2.0, 1.0),), num=30)
    p_t = curves["p_t"]
    x = np.log(p_t) - np.log1p(-p_t)
    expected = np.log1p(np.exp(-(2.0 * x + 1.0))) / 2.0  # -log σ(γx + β) / γ
    np.testing.assert_allclose(curves["star"][(2.0, 1.0)], expected, rtol=1e-6)
    np.testing.assert_allclose(curves["ce"], -np.log(p_t), rtol=1e-9)


def test_tuning_sweep_keeps_the_runs_it_averages() -> None:
    sweep = experiments.tuning_sweep(
        imbalance=10, gammas=(0.0, 2.0), alphas=(0.25,), seeds=(0, 1, 2)
    )
    assert sweep["runs"].shape == (3, 2, 1)
    np.testing.assert_allclose(sweep["ap"], sweep["runs"].mean(axis=0))
    np.testing.assert_allclose(sweep["std"], sweep["runs"].std(axis=0, ddof=1))


def textbook_focal_loss(
    x: torch.Tensor, t: torch.Tensor, alpha: float, gamma: float
) -> torch.Tensor:
    """torchvision's `sigmoid_focal_loss` formula, written here independently of the library:
    p = σ(x), CE from `binary_cross_entropy_with_logits`, times α_t (1 − p_t)^γ."""
    p = torch.sigmoid(x)
    ce = torch.nn.functional.binary_cross_entropy_with_logits(x, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
    return loss


def test_gradient_ratio_crossing_docstring_has_no_control_characters() -> None:
    doc = experiments.gradient_ratio_crossing.__doc__ or ""
    assert "\t" not in doc and r"p \to 0" in doc and r"p \to 1" in doc


def test_exercise_answers_against_closed_forms() -> None:
    assert experiments.focal_value_answer() == pytest.approx(0.2**2 * -math.log(0.8), rel=1e-12)
    x = torch.tensor([math.log(0.8 / 0.2)], dtype=torch.float64)
    textbook = float(textbook_focal_loss(x, torch.ones_like(x), alpha=-1, gamma=2.0))
    assert experiments.focal_value_answer() == pytest.approx(textbook, rel=1e-12)
    assert round(experiments.focal_value_answer(), 5) == 0.00893
    # a negative with probability p has 1 − p_t = p: CE / FL = p^(−γ) = 1000 at p = 1000^(−1/3)
    assert experiments.negative_thousandfold_answer() == pytest.approx(1000 ** (-1 / 3), abs=1e-9)
    # p* of γ = 2: the root of the closed-form ratio, by scipy's Brent method
    from scipy.optimize import brentq

    root = brentq(lambda p: closed_form_ratio(p, 2.0) - 1, 0.05, 0.95, xtol=1e-14)
    assert experiments.gradient_crossing_answer() == pytest.approx(root, abs=1e-9)

    # every anchor at p = σ(b): α(1 − p)^γ(−log p) + N(1 − α)p^γ(−log(1 − p)) per positive
    def initial(p: float, n: int = 1000, a: float = 0.25, g: float = 2.0) -> float:
        return a * (1 - p) ** g * -math.log(p) + n * (1 - a) * p**g * -math.log(1 - p)

    assert experiments.initial_loss_answer() == pytest.approx(initial(0.5), rel=1e-12)
    assert experiments.initial_loss_answer() == pytest.approx(750.25 * 0.25 * math.log(2))
    assert experiments.prior_initial_loss_answer() == pytest.approx(initial(0.01), rel=1e-9)
    assert experiments.anchors_answer() == 9 * sum((640 // s) ** 2 for s in (8, 16, 32, 64, 128))
    assert experiments.anchors_answer() == 76_725


def test_choice_answers_by_another_route() -> None:
    # The crossing of FL_α's gradient over α-balanced CE's, for two α, by autograd through
    # the textbook formula and bisection: α cancels, so p* does not move (option 2).
    def ratio(p: float, alpha: float) -> float:
        grads = []
        for gamma in (2.0, 0.0):
            x = torch.tensor([math.log(p / (1 - p))], dtype=torch.float64, requires_grad=True)
            textbook_focal_loss(x, torch.ones_like(x), alpha, gamma).sum().backward()
            assert x.grad is not None
            grads.append(abs(float(x.grad)))
        return grads[0] / grads[1]

    def crossing(alpha: float) -> float:
        lo, hi = 0.05, 0.95
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if ratio(mid, alpha) > 1 else (lo, mid)
        return lo

    low, high = crossing(0.25), crossing(0.75)
    assert abs(high - low) < 1e-9
    expected = 0 if high > low + 1e-9 else 1 if high < low - 1e-9 else 2  # the options' order
    assert experiments.alpha_crossing_answer() == expected == 2
    # The largest share of the loss under FL (γ = 2, α = 0.25), from the textbook formula
    logits, targets = experiments.simulate_detector_scores()
    loss = textbook_focal_loss(logits, targets, alpha=0.25, gamma=2.0)
    p_t = torch.where(targets > 0, torch.sigmoid(logits), 1 - torch.sigmoid(logits))
    groups = [targets > 0, (targets == 0) & (p_t > 0.9), (targets == 0) & (p_t <= 0.9)]
    shares = [float(loss[g].sum() / loss.sum()) for g in groups]
    assert experiments.largest_share_answer() == int(np.argmax(shares)) == 2
    # The hardest tenth of the negatives: their exact share of the negatives' loss, sorted
    negative = targets == 0
    tenth = {}
    for gamma in (0.0, 2.0):
        losses = np.sort(textbook_focal_loss(logits, targets, -1, gamma)[negative].numpy())
        tenth[gamma] = losses[-len(losses) // 10 :].sum() / losses.sum()
    expected = 0 if tenth[2.0] < tenth[0.0] else 1 if tenth[2.0] < 0.9 else 2
    assert experiments.hardest_tenth_answer() == expected == 2


def test_focusing_explorer_is_the_closed_form() -> None:
    data = experiments.focusing_explorer(gammas=(0.0, 2.0), alphas=(0.25, 0.75), num=41)
    p = data["p_t"]
    np.testing.assert_allclose(data["ce"], -np.log(p), rtol=1e-10)
    for (gamma, alpha), frame in data["frames"].items():
        fl = (1 - p) ** gamma * -np.log(p)
        np.testing.assert_allclose(frame["positive"], alpha * fl, rtol=1e-9)
        np.testing.assert_allclose(frame["negative"], (1 - alpha) * fl, rtol=1e-9)
        r = np.array([closed_form_ratio(pi, gamma) for pi in p])
        np.testing.assert_allclose(frame["ratio"], r, rtol=1e-8)
        np.testing.assert_allclose(frame["ratio_positive"], alpha * r, rtol=1e-8)
        np.testing.assert_allclose(frame["ratio_negative"], (1 - alpha) * r, rtol=1e-8)
        assert frame["half"] == pytest.approx(closed_form_ratio(0.5, gamma), rel=1e-9)
        assert frame["half_positive"] == pytest.approx(alpha * frame["half"], rel=1e-9)
        assert frame["half_negative"] == pytest.approx((1 - alpha) * frame["half"], rel=1e-9)
    assert data["frames"][(0.0, 0.25)]["crossing"] is None
    assert np.all(data["frames"][(0.0, 0.25)]["ratio"] == pytest.approx(1.0, rel=1e-12))
    assert data["frames"][(2.0, 0.75)]["crossing"] == pytest.approx(0.2976, abs=1e-4)


def test_share_explorer_is_loss_shares_per_setting() -> None:
    data = experiments.share_explorer(gammas=(0.0, 2.0), alphas=(0.5,))
    assert set(data) == {(0.0, 0.5), (2.0, 0.5)}
    direct = experiments.loss_shares((("CE", -1.0, 0.0), ("FL", -1.0, 2.0)))
    # α = 0.5 weighs both classes alike: the shares are those of the unweighted losses
    for row, (gamma, _) in zip(direct, sorted(data), strict=True):
        for key in ("positives loss", "easy negatives loss", "hard negatives grad"):
            assert data[(gamma, 0.5)][key] == pytest.approx(row[key], rel=1e-9)
