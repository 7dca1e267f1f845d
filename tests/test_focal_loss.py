"""Tests of dlbasics.focal_loss against torch, an independent formula and the paper."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbasics import focal_loss as fl
from dlbasics.focal_loss import (
    FocalLoss,
    prior_bias,
    sigmoid_focal_loss,
    softmax_focal_loss,
)

# --- Independent references ------------------------------------------------------------


def torchvision_formula(
    inputs: torch.Tensor,
    targets: torch.Tensor,
    alpha: float = 0.25,
    gamma: float = 2.0,
    reduction: str = "none",
) -> torch.Tensor:
    """torchvision.ops.sigmoid_focal_loss as its documentation writes it (probabilities first)."""
    p = torch.sigmoid(inputs)
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def softmax_formula(
    inputs: torch.Tensor,
    target: torch.Tensor,
    gamma: float,
    weight: torch.Tensor | None,
    reduction: str,
    ignore_index: int,
) -> torch.Tensor:
    """-w_y (1 - p_y)^γ log p_y from the probabilities, with F.cross_entropy's weighted mean."""
    probs = torch.softmax(inputs, dim=1)
    valid = target != ignore_index
    y = torch.where(valid, target, 0)
    p_t = probs.gather(1, y.unsqueeze(1)).squeeze(1)
    w = valid.to(inputs.dtype) * (weight[y] if weight is not None else 1.0)
    loss = -w * (1 - p_t) ** gamma * torch.log(p_t)
    if reduction == "mean":
        return loss.sum() / w.sum()
    if reduction == "sum":
        return loss.sum()
    return loss


ALPHAS = (-1.0, 0.0, 0.25, 1.0)
GAMMAS = (0.0, 0.5, 2.0, 5.0)
REDUCTIONS = ("none", "mean", "sum")


@st.composite
def binary_problems(draw: Any) -> tuple[torch.Tensor, torch.Tensor]:
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    seed = draw(st.integers(0, 2**31 - 1))
    scale = draw(st.sampled_from([0.1, 3.0, 15.0]))
    hard = draw(st.booleans())
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64) * scale
    t = torch.rand(shape, generator=g, dtype=torch.float64)
    if hard:
        t = (t > 0.5).to(torch.float64)
    return x, t


# --- sigmoid_focal_loss ------------------------------------------------------------------


@settings(deadline=None, max_examples=80)
@given(
    problem=binary_problems(),
    alpha=st.sampled_from(ALPHAS),
    gamma=st.sampled_from(GAMMAS),
    reduction=st.sampled_from(REDUCTIONS),
)
def test_sigmoid_matches_torchvision_formula(
    problem: tuple[torch.Tensor, torch.Tensor], alpha: float, gamma: float, reduction: str
) -> None:
    x, t = problem
    ours_x = x.clone().requires_grad_()
    ref_x = x.clone().requires_grad_()
    ours = sigmoid_focal_loss(ours_x, t, alpha, gamma, reduction)
    ref = torchvision_formula(ref_x, t, alpha, gamma, reduction)
    assert ours.shape == ref.shape
    torch.testing.assert_close(ours, ref, rtol=1e-9, atol=1e-12)
    ours.sum().backward()
    ref.sum().backward()
    finite = torch.isfinite(ref_x.grad)  # where the textbook formula has a gradient
    torch.testing.assert_close(ours_x.grad[finite], ref_x.grad[finite], rtol=1e-7, atol=1e-10)
    assert torch.isfinite(ours_x.grad).all()


def test_sigmoid_float32_defaults_match_formula() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 10, generator=g) * 4
    t = (torch.rand(64, 10, generator=g) < 0.1).float()
    torch.testing.assert_close(sigmoid_focal_loss(x, t), torchvision_formula(x, t))
    assert sigmoid_focal_loss(x, t).shape == x.shape  # torchvision's default is "none"


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_sigmoid_gradcheck(gamma: float) -> None:
    g = torch.Generator().manual_seed(1)
    x = (torch.randn(4, 3, generator=g, dtype=torch.float64) * 3).requires_grad_()
    t = torch.rand(4, 3, generator=g, dtype=torch.float64)
    t[0] = torch.tensor([0.0, 1.0, 1.0], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda z: sigmoid_focal_loss(z, t, 0.25, gamma, "sum"), (x,))


@pytest.mark.parametrize("gamma", [0.0, 0.3, 0.5, 2.0])
def test_sigmoid_finite_at_huge_logits(gamma: float) -> None:
    x = torch.tensor([1e4, -1e4, 1e4, -1e4, 100.0, -100.0, 30.0], requires_grad=True)
    t = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.5])
    loss = sigmoid_focal_loss(x, t, alpha=-1, gamma=gamma)
    loss.sum().backward()
    assert torch.isfinite(loss).all() and torch.isfinite(x.grad).all()
    # Confidently right: (close to) zero loss and gradient; confidently wrong: loss = |x|.
    assert loss[0].item() == 0.0 and loss[1].item() == 0.0 and loss[4].item() < 1e-40
    assert loss[2].item() == pytest.approx(1e4) and loss[3].item() == pytest.approx(1e4)
    assert x.grad[0].item() == 0.0 and x.grad[1].item() == 0.0
    assert x.grad[2].item() == pytest.approx(1.0) and x.grad[3].item() == pytest.approx(-1.0)


def test_torchvision_formula_has_nan_gradient_where_ours_is_finite() -> None:
    """The claim on the page: 0 < γ < 1 and a saturated logit break the textbook formula."""
    x = torch.tensor([20.0], requires_grad=True)  # σ(20) rounds to 1 in float32
    torchvision_formula(x, torch.ones(1), gamma=0.5).sum().backward()
    assert torch.isnan(x.grad).all()
    z = torch.tensor([20.0], requires_grad=True)
    sigmoid_focal_loss(z, torch.ones(1), gamma=0.5).sum().backward()
    # In float64 σ(20) is not yet 1, so the textbook formula still gives the true slope.
    z64 = torch.tensor([20.0], dtype=torch.float64, requires_grad=True)
    torchvision_formula(z64, torch.ones(1, dtype=torch.float64), gamma=0.5).sum().backward()
    assert torch.isfinite(z.grad).all()
    assert z.grad.item() == pytest.approx(z64.grad.item(), rel=1e-4)


def test_sigmoid_integer_targets_rejected_and_soft_targets_accepted() -> None:
    x = torch.zeros(3)
    with pytest.raises(ValueError, match="targets"):
        sigmoid_focal_loss(x, torch.tensor([0, 1, 1]))
    soft = sigmoid_focal_loss(x, torch.tensor([0.0, 0.3, 1.0]), alpha=-1, gamma=0.0)
    torch.testing.assert_close(soft, torch.full((3,), math.log(2.0)))


# --- softmax_focal_loss ------------------------------------------------------------------


@st.composite
def multiclass_problems(draw: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    n = draw(st.integers(1, 6))
    c = draw(st.integers(1, 5))
    extra = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    seed = draw(st.integers(0, 2**31 - 1))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn((n, c, *extra), generator=g, dtype=torch.float64) * draw(
        st.sampled_from([0.5, 4.0])
    )
    y = torch.randint(0, c, (n, *extra), generator=g)
    if draw(st.booleans()):
        y[torch.rand(y.shape, generator=g) < 0.3] = -100
        y.view(-1)[0] = 0  # keep at least one target so torch's mean is defined
    weight = torch.rand(c, generator=g, dtype=torch.float64) * 3 if draw(st.booleans()) else None
    return x, y, weight


@settings(deadline=None, max_examples=60)
@given(problem=multiclass_problems(), reduction=st.sampled_from(REDUCTIONS))
def test_softmax_gamma_zero_is_cross_entropy(
    problem: tuple[torch.Tensor, torch.Tensor, torch.Tensor | None], reduction: str
) -> None:
    x, y, weight = problem
    if weight is not None and reduction == "mean" and weight[y[y != -100]].sum() == 0:
        return
    ours_x = x.clone().requires_grad_()
    ref_x = x.clone().requires_grad_()
    ours = softmax_focal_loss(ours_x, y, gamma=0.0, alpha=weight, reduction=reduction)
    ref = F.cross_entropy(ref_x, y, weight=weight, reduction=reduction)
    torch.testing.assert_close(ours, ref)
    ours.sum().backward()
    ref.sum().backward()
    torch.testing.assert_close(ours_x.grad, ref_x.grad)


@settings(deadline=None, max_examples=60)
@given(
    problem=multiclass_problems(),
    gamma=st.sampled_from(GAMMAS),
    reduction=st.sampled_from(REDUCTIONS),
)
def test_softmax_matches_formula(
    problem: tuple[torch.Tensor, torch.Tensor, torch.Tensor | None], gamma: float, reduction: str
) -> None:
    x, y, weight = problem
    if weight is not None and reduction == "mean" and weight[y[y != -100]].sum() == 0:
        return
    ours = softmax_focal_loss(x, y, gamma, weight, reduction, -100)
    ref = softmax_formula(x, y, gamma, weight, reduction, -100)
    torch.testing.assert_close(ours, ref, rtol=1e-9, atol=1e-12)


def test_softmax_unbatched_and_ignore_index() -> None:
    x = torch.tensor([2.0, -1.0, 0.5])
    torch.testing.assert_close(
        softmax_focal_loss(x, torch.tensor(2), gamma=0.0), F.cross_entropy(x, torch.tensor(2))
    )
    xs = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0, 7, 2, 7, 1])
    torch.testing.assert_close(
        softmax_focal_loss(xs, y, gamma=0.0, ignore_index=7, reduction="none"),
        F.cross_entropy(xs, y, ignore_index=7, reduction="none"),
    )


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_softmax_gradcheck(gamma: float) -> None:
    g = torch.Generator().manual_seed(2)
    x = (torch.randn(5, 4, generator=g, dtype=torch.float64) * 2).requires_grad_()
    y = torch.tensor([0, 3, -100, 1, 2])
    w = torch.tensor([0.5, 2.0, 1.0, 3.0], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda z: softmax_focal_loss(z, y, gamma, w), (x,))


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_softmax_finite_at_huge_logits(gamma: float) -> None:
    x = torch.tensor([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0], [30.0, 0.0, 0.0]], requires_grad=True)
    y = torch.tensor([0, 1, 0])
    loss = softmax_focal_loss(x, y, gamma=gamma, reduction="none")
    loss.sum().backward()
    assert torch.isfinite(loss).all() and torch.isfinite(x.grad).all()
    assert loss[0].item() == 0.0 and loss[2].item() < 1e-12  # confidently right
    assert loss[1].item() == pytest.approx(2e4)  # confidently wrong: the logit gap


def test_softmax_all_ignored_mean_is_zero_with_zero_gradient() -> None:
    x = torch.randn(4, 3, requires_grad=True)
    y = torch.full((4,), -100)
    loss = softmax_focal_loss(x, y)
    loss.backward()
    assert loss.item() == 0.0 and torch.equal(x.grad, torch.zeros(4, 3))
    assert torch.isnan(F.cross_entropy(x.detach(), y))  # torch: 0/0


# --- FocalLoss and prior_bias ------------------------------------------------------------


def test_module_wraps_the_functions_with_their_defaults() -> None:
    g = torch.Generator().manual_seed(3)
    x = torch.randn(6, 4, generator=g)
    t = (torch.rand(6, 4, generator=g) < 0.3).float()
    torch.testing.assert_close(FocalLoss()(x, t), sigmoid_focal_loss(x, t))
    assert FocalLoss()(x, t).shape == x.shape
    y = torch.tensor([0, 1, 2, 3, 0, -100])
    torch.testing.assert_close(FocalLoss(kind="softmax")(x, y), softmax_focal_loss(x, y))
    w = torch.tensor([1.0, 2.0, 0.5, 4.0])
    torch.testing.assert_close(
        FocalLoss(kind="softmax", gamma=0.0, alpha=w)(x, y),
        torch.nn.CrossEntropyLoss(weight=w)(x, y),
    )
    torch.testing.assert_close(
        FocalLoss(gamma=1.0, alpha=-1, reduction="sum")(x, t),
        sigmoid_focal_loss(x, t, -1, 1.0, "sum"),
    )
    with pytest.raises(TypeError):
        FocalLoss("sigmoid")  # type: ignore[misc]


@pytest.mark.parametrize("pi", [0.01, 0.2, 0.5, 0.999])
def test_prior_bias_gives_the_prior(pi: float) -> None:
    b = prior_bias(pi)
    assert torch.sigmoid(torch.tensor(b, dtype=torch.float64)).item() == pytest.approx(pi)
    assert b == pytest.approx(-math.log((1 - pi) / pi))


# --- Bad input -------------------------------------------------------------------------

X = torch.zeros(2, 3)
T = torch.zeros(2, 3)
Y = torch.tensor([0, 1])

BAD_INPUTS: list[tuple[str, Callable[[], Any]]] = [
    ("targets", lambda: sigmoid_focal_loss(X, torch.zeros(3, 2))),
    ("targets", lambda: sigmoid_focal_loss(X, torch.full((2, 3), 1.5))),
    ("targets", lambda: sigmoid_focal_loss(X, torch.full((2, 3), -0.1))),
    ("targets", lambda: sigmoid_focal_loss(X, torch.full((2, 3), math.nan))),
    ("targets", lambda: sigmoid_focal_loss(X, torch.zeros(2, 3, dtype=torch.long))),
    ("inputs", lambda: sigmoid_focal_loss(torch.zeros(2, 3, dtype=torch.long), T)),
    ("gamma", lambda: sigmoid_focal_loss(X, T, gamma=-0.5)),
    ("gamma", lambda: sigmoid_focal_loss(X, T, gamma=math.nan)),
    ("alpha", lambda: sigmoid_focal_loss(X, T, alpha=1.5)),
    ("reduction", lambda: sigmoid_focal_loss(X, T, reduction="avg")),
    ("target", lambda: softmax_focal_loss(X, torch.zeros(3, dtype=torch.long))),
    ("target", lambda: softmax_focal_loss(X, torch.tensor([0, 3]))),
    ("target", lambda: softmax_focal_loss(X, torch.tensor([-2, 0]))),
    ("target", lambda: softmax_focal_loss(X, torch.tensor([0.0, 1.0]))),
    ("inputs", lambda: softmax_focal_loss(torch.zeros(2, 3, dtype=torch.long), Y)),
    ("gamma", lambda: softmax_focal_loss(X, Y, gamma=-1.0)),
    ("alpha", lambda: softmax_focal_loss(X, Y, alpha=torch.ones(2))),
    ("alpha", lambda: softmax_focal_loss(X, Y, alpha=torch.tensor([1.0, -1.0, 1.0]))),
    ("alpha", lambda: softmax_focal_loss(X, Y, alpha=torch.ones(3, 1))),
    ("reduction", lambda: softmax_focal_loss(X, Y, reduction="batchmean")),
    ("kind", lambda: FocalLoss(kind="sigmoidal")),
    ("gamma", lambda: FocalLoss(gamma=-2.0)),
    ("alpha", lambda: FocalLoss(alpha=2.0)),
    ("alpha", lambda: FocalLoss(kind="softmax", alpha=[1.0, -0.5])),
    ("reduction", lambda: FocalLoss(reduction="median")),
    ("pi", lambda: prior_bias(0.0)),
    ("pi", lambda: prior_bias(1.0)),
    ("pi", lambda: prior_bias(-0.3)),
]


@pytest.mark.parametrize(("name", "call"), BAD_INPUTS)
def test_bad_input_raises_value_error_naming_the_argument(
    name: str, call: Callable[[], Any]
) -> None:
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("inputs", lambda: sigmoid_focal_loss([0.0], T)),  # type: ignore[arg-type]
        ("gamma", lambda: sigmoid_focal_loss(X, T, gamma="2")),  # type: ignore[arg-type]
        ("alpha", lambda: sigmoid_focal_loss(X, T, alpha=True)),
        ("pi", lambda: prior_bias("0.01")),  # type: ignore[arg-type]
    ],
)
def test_wrong_types_raise_type_error(name: str, call: Callable[[], Any]) -> None:
    with pytest.raises(TypeError, match=name):
        call()


# --- Experiments of the page ---------------------------------------------------------------


def test_anchor_count_matches_a_hand_count() -> None:
    # P3–P7 on 800×800: ceil(800 / s)² positions per level, 9 anchors each.
    assert fl.anchor_count() == 9 * (100**2 + 50**2 + 25**2 + 13**2 + 7**2)
    assert fl.anchor_count((64, 32), strides=(8,), anchors_per_location=1) == 8 * 4
    with pytest.raises(ValueError, match="strides"):
        fl.anchor_count(strides=())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("gamma", [0.01, 0.3, 0.99])
def test_sigmoid_small_gamma_finite_on_a_dense_logit_grid(gamma: float, dtype: torch.dtype) -> None:
    # Around |x| ≈ 87–104 (float32) 1 − p_t passes through the subnormal range, where
    # u^(γ−1) overflows unless it is handled.
    x = torch.cat([torch.linspace(-1e4, 1e4, 2001), torch.linspace(-800, 800, 16001)])
    x = x.to(dtype).requires_grad_()
    for target in (0.0, 1.0, 1e-7, 0.5):
        t = torch.full_like(x, target)
        loss = sigmoid_focal_loss(x, t, alpha=0.25, gamma=gamma)
        (grad,) = torch.autograd.grad(loss.sum(), x)
        assert torch.isfinite(loss).all() and torch.isfinite(grad).all(), target


# --- FL*, the appendix's variant ---------------------------------------------------------------


def test_focal_loss_star_is_the_appendix_formula() -> None:
    from dlbasics.focal_loss import focal_loss_star

    x = torch.linspace(-8, 8, 41, dtype=torch.float64)
    for t in (torch.ones_like(x), torch.zeros_like(x)):
        x_t = (2 * t - 1) * x
        expected = -torch.log(torch.sigmoid(2.0 * x_t + 1.0)) / 2.0
        torch.testing.assert_close(focal_loss_star(x, t, gamma=2.0, beta=1.0), expected)
    # gamma = 1, beta = 0 is cross-entropy.
    t = (torch.arange(41) % 2).double()
    torch.testing.assert_close(
        focal_loss_star(x, t, gamma=1.0, beta=0.0, reduction="mean"),
        F.binary_cross_entropy_with_logits(x, t),
    )
    big = torch.tensor([1e4, -1e4], dtype=torch.float64, requires_grad=True)
    focal_loss_star(big, torch.tensor([1.0, 1.0], dtype=torch.float64)).sum().backward()
    assert torch.isfinite(big.grad).all()


def test_focal_loss_star_gradient() -> None:
    from dlbasics.focal_loss import focal_loss_star

    x = torch.randn(12, dtype=torch.float64, requires_grad=True)
    t = (torch.rand(12, dtype=torch.float64) > 0.5).double()
    assert torch.autograd.gradcheck(lambda z: focal_loss_star(z, t, 4.0, 0.0), (x,))


def test_focal_loss_star_rejects_bad_arguments() -> None:
    from dlbasics.focal_loss import focal_loss_star

    x = torch.zeros(3)
    with pytest.raises(ValueError, match="gamma"):
        focal_loss_star(x, x, gamma=0.0)
    with pytest.raises(ValueError, match="targets"):
        focal_loss_star(x, torch.zeros(2))
    with pytest.raises(TypeError, match="beta"):
        focal_loss_star(x, x, beta="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="reduction"):
        focal_loss_star(x, x, reduction="max")
