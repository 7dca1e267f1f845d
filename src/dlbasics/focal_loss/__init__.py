r"""Focal loss (Lin, Goyal, Girshick, He & Dollár, 2017, [arXiv:1708.02002](https://arxiv.org/abs/1708.02002)).

A one-stage detector scores ~100,000 candidate boxes per image and nearly all of them
are easy background. Cross-entropy gives each of those easy negatives a small loss, but
there are so many of them that together they dominate the loss and its gradient. Focal
loss multiplies cross-entropy by a *modulating factor* that vanishes for well-classified
examples:

\[
\mathrm{FL}(p_t) = -\alpha_t\,(1 - p_t)^\gamma \log p_t ,
\]

where \(p_t\) is the probability the model gives to the true label. With \(\gamma = 0\)
it is (α-balanced) cross-entropy.

- [`sigmoid_focal_loss`][dlbasics.focal_loss.sigmoid_focal_loss]: the binary / multi-label
  form used by RetinaNet, with the semantics of `torchvision.ops.sigmoid_focal_loss`.
- [`softmax_focal_loss`][dlbasics.focal_loss.softmax_focal_loss]: the multi-class form, a
  drop-in for `torch.nn.functional.cross_entropy` (equal to it at \(\gamma = 0\)).
- [`FocalLoss`][dlbasics.focal_loss.FocalLoss]: an `nn.Module` wrapping both.
- [`prior_bias`][dlbasics.focal_loss.prior_bias]: the paper's bias initialisation of the
  classifier, so that training starts from \(p \approx \pi\) instead of \(p = 0.5\).

Both losses start from the logits (log-sigmoid, log-softmax) and never compute
\(1 - p_t\) by subtraction, so that they stay finite, with finite gradients, for logits as
large as ±1e4 and for every \(\gamma \ge 0\).

The second half of the module holds the experiments of the
[focal loss page](https://dlbasics.github.io/dlbasics/focal-loss/).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dlbasics._threads import torch_threads
from dlbasics.cache import cached

__all__ = [
    "LOSS_SETTINGS",
    "METHODS",
    "PAPER_TABLE_1A",
    "PAPER_TABLE_1B",
    "FocalLoss",
    "anchor_count",
    "cumulative_loss",
    "downweighting_table",
    "easy_example_table",
    "gradient_curves",
    "loss_curves",
    "loss_shares",
    "make_imbalanced_data",
    "naive_gradient_check",
    "plot_cumulative_loss",
    "plot_gradient_curves",
    "plot_loss_curves",
    "plot_pr_curves",
    "plot_prior_bias",
    "prior_bias",
    "prior_bias_experiment",
    "reduction_conventions",
    "sigmoid_focal_loss",
    "simulate_detector_scores",
    "softmax_focal_loss",
    "train_imbalanced",
    "training_experiment",
    "tuning_sweep",
]

_REDUCTIONS = ("none", "mean", "sum")


# --- Argument checks -------------------------------------------------------------------


def _check_tensor(value: Any, name: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    return value


def _check_float_tensor(value: Any, name: str) -> torch.Tensor:
    tensor = _check_tensor(value, name)
    if not tensor.is_floating_point():
        raise ValueError(
            f"{name} must be a floating-point tensor, got dtype {tensor.dtype}; "
            f"convert it with {name}.float()"
        )
    return tensor


def _check_real(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    number = float(value)
    if math.isnan(number):
        raise ValueError(f"{name} must be a number, got nan")
    return number


def _check_gamma(gamma: Any) -> float:
    gamma = _check_real(gamma, "gamma")
    if not 0.0 <= gamma < math.inf:
        raise ValueError(f"gamma must be a finite number >= 0, got {gamma}")
    return gamma


def _check_reduction(reduction: Any) -> str:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    return str(reduction)


# --- Binary (sigmoid) focal loss --------------------------------------------------------


def sigmoid_focal_loss(
    inputs: torch.Tensor,
    targets: torch.Tensor,
    alpha: float = 0.25,
    gamma: float = 2.0,
    reduction: str = "none",
) -> torch.Tensor:
    r"""Focal loss of independent binary predictions (RetinaNet's classification loss).

    With \(p = \sigma(x)\) the predicted probability of the logit \(x\) and \(t\) the target,

    \[
    p_t = p\,t + (1 - p)(1 - t), \qquad
    \alpha_t = \alpha\,t + (1 - \alpha)(1 - t), \qquad
    \mathrm{FL} = \alpha_t\,(1 - p_t)^\gamma\,\mathrm{CE}(x, t),
    \]

    where \(\mathrm{CE}(x, t) = -t\log p - (1 - t)\log(1 - p)\) is binary cross-entropy,
    which is \(-\log p_t\) for hard targets. Same arguments, defaults and numbers as
    `torchvision.ops.sigmoid_focal_loss`, written from the formula:

    - \(\log p = \log\sigma(x)\) and \(\log(1 - p) = \log\sigma(x) - x\) come from the stable
      log-sigmoid, so \(\mathrm{CE} = (1 - t)\,x - \log\sigma(x)\) never takes \(\log 0\);
    - \(1 - p_t = t\,\sigma(-x) + (1 - t)\,\sigma(x)\) is never computed as \(1 - p_t\)
      (which rounds to 0 as soon as \(p_t\) rounds to 1);
    - for \(0 < \gamma < 1\) the slope \(\gamma u^{\gamma - 1}\) of \(u^\gamma\) is infinite
      at \(u = 0\) and overflows for subnormal \(u\), so \(u\) is clamped from below at
      the smallest normal float (`torch.finfo(dtype).tiny`, about 1e-38 in float32). The
      loss changes by less than that tiny number times the cross-entropy there (itself
      about \(u\)), and the loss and its gradient are finite for every logit up to ±1e4,
      where torchvision's formula returns NaN gradients.

    Args:
        inputs: Logits, a float tensor of any shape.
        targets: Same shape as `inputs`, floats in \([0, 1]\): 1 for the positive class,
            0 for the negative one, anything in between for soft labels.
        alpha: Weight \(\alpha \le 1\) of the positives (\(1 - \alpha\) for the negatives);
            a negative value switches the weighting off (\(\alpha_t = 1\)), as in torchvision.
        gamma: Focusing parameter \(\gamma \ge 0\); 0 gives (α-balanced) cross-entropy.
        reduction: `"none"` (torchvision's default: one loss per element), `"mean"` (over
            all elements, as torchvision) or `"sum"`. The paper divides the sum by the
            number of positive anchors instead: use `"sum"` and divide.

    Returns:
        The loss, shaped like `inputs` for `"none"`, a scalar otherwise.

    Raises:
        TypeError: `inputs` or `targets` is not a tensor, `alpha` or `gamma` not a number.
        ValueError: mismatched shapes, non-float tensors, targets outside \([0, 1]\),
            `gamma < 0`, `alpha > 1`, or an unknown `reduction`.
    """
    inputs = _check_float_tensor(inputs, "inputs")
    targets = _check_float_tensor(targets, "targets")
    if targets.shape != inputs.shape:
        raise ValueError(
            f"targets must have the shape of inputs {tuple(inputs.shape)}, "
            f"got {tuple(targets.shape)}"
        )
    alpha = _check_real(alpha, "alpha")
    if alpha > 1.0:
        raise ValueError(f"alpha must be <= 1 (or negative to switch it off), got {alpha}")
    gamma = _check_gamma(gamma)
    reduction = _check_reduction(reduction)
    if targets.numel():
        low, high = torch.aminmax(targets.detach())
        if not (low >= 0 and high <= 1):  # also false for NaN
            raise ValueError(
                f"targets must lie in [0, 1], got values from {low.item():g} to {high.item():g}"
            )

    x, t = inputs, targets.to(inputs.dtype)
    log_p = F.logsigmoid(x)  # log σ(x), exact for x → -∞ and x → +∞
    log_1mp = log_p - x  # log(1 − σ(x)) = log σ(−x)
    # Binary cross-entropy −t·log p − (1−t)·log(1−p), rearranged to use log p only.
    loss = (1 - t) * x - log_p

    if gamma > 0:
        # 1 − p_t = t·σ(−x) + (1−t)·σ(x): no cancellation when p_t is close to 1.
        u = t * torch.exp(log_1mp) + (1 - t) * torch.exp(log_p)
        if gamma < 1:
            # The slope γ·u^(γ−1) is infinite at u = 0 (and overflows for subnormal u);
            # from the smallest normal float on it is finite. Below it the loss is
            # ≤ u·(tiny)^γ ≈ 0, so clamping changes nothing measurable and zeroes the slope.
            u = u.clamp_min(torch.finfo(u.dtype).tiny)
        loss = u**gamma * loss

    if alpha >= 0:
        loss = (alpha * t + (1 - alpha) * (1 - t)) * loss

    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


# --- Multi-class (softmax) focal loss ---------------------------------------------------


def _check_class_weights(alpha: Any, num_classes: int, like: torch.Tensor) -> torch.Tensor:
    if isinstance(alpha, torch.Tensor):
        weights = alpha.detach()
    elif isinstance(alpha, Sequence) and not isinstance(alpha, str):
        weights = torch.as_tensor(list(alpha), dtype=like.dtype)
    else:
        raise TypeError(
            f"alpha must be None or a 1-D tensor of {num_classes} class weights, "
            f"got {type(alpha).__name__}"
        )
    if weights.ndim != 1 or weights.numel() != num_classes:
        raise ValueError(
            f"alpha must be a 1-D tensor of length C={num_classes} (one weight per class), "
            f"got shape {tuple(weights.shape)}"
        )
    if not weights.is_floating_point():
        weights = weights.to(like.dtype)
    if not bool(torch.all(torch.isfinite(weights))) or bool(torch.any(weights < 0)):
        raise ValueError(
            f"alpha must hold finite, non-negative class weights, got {weights.tolist()}"
        )
    return weights.to(device=like.device, dtype=like.dtype)


def softmax_focal_loss(
    inputs: torch.Tensor,
    target: torch.Tensor,
    gamma: float = 2.0,
    alpha: torch.Tensor | Sequence[float] | None = None,
    reduction: str = "mean",
    ignore_index: int = -100,
) -> torch.Tensor:
    r"""Multi-class focal loss over a softmax: `F.cross_entropy` with a modulating factor.

    With \(p_t = \operatorname{softmax}(x)_{y}\) the probability of the true class \(y\)
    and \(w_y\) its weight (`alpha[y]`, or 1),

    \[
    \ell_i = -w_{y_i}\,(1 - p_{t,i})^\gamma \log p_{t,i}, \qquad
    \text{mean} = \frac{\sum_i \ell_i}{\sum_{i\,\text{not ignored}} w_{y_i}} .
    \]

    At \(\gamma = 0\) this is exactly `F.cross_entropy(inputs, target, weight=alpha,
    ignore_index=ignore_index, reduction=reduction)`, including its weighted mean.
    \(\log p_t\) comes from `log_softmax`, \(1 - p_t\) from `-expm1(log p_t)` (no
    cancellation), and for \(0 < \gamma < 1\) the base of \((1 - p_t)^\gamma\) is clamped at
    the smallest normal float as in `sigmoid_focal_loss`, so the gradient stays finite even
    when \(p_t\) rounds to 1.

    Where every target is `ignore_index` (or every weight is 0), `"mean"` returns 0 with
    a zero gradient; `F.cross_entropy` returns NaN (0/0) there.

    Args:
        inputs: Logits, (N, C) or (N, C, d1, d2, ...), or (C,) for one example.
        target: Class indices in \([0, C)\) or `ignore_index`, shaped (N,) or
            (N, d1, d2, ...), or () for one example; an integer tensor.
        gamma: Focusing parameter \(\gamma \ge 0\).
        alpha: Optional per-class weights, length C, non-negative (values above 1 are
            fine, e.g. inverse class frequencies). Plays the role of `weight` in
            `F.cross_entropy`.
        reduction: `"mean"` (default, as `F.cross_entropy`), `"sum"` or `"none"`.
        ignore_index: Target value whose positions contribute neither loss nor weight.

    Returns:
        The loss, shaped like `target` for `"none"` (0 at ignored positions), else a scalar.

    Raises:
        TypeError: a non-tensor input, or `gamma`/`alpha`/`ignore_index` of the wrong type.
        ValueError: shape mismatch, non-float inputs, non-integer target, class indices
            out of range, `gamma < 0`, bad `alpha`, or an unknown `reduction`.
    """
    inputs = _check_float_tensor(inputs, "inputs")
    target = _check_tensor(target, "target")
    gamma = _check_gamma(gamma)
    reduction = _check_reduction(reduction)
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        raise TypeError(f"ignore_index must be an int, got {ignore_index!r}")
    if inputs.ndim == 0:
        raise ValueError("inputs must have shape (C,), (N, C) or (N, C, d1, ...), got a scalar")
    if target.is_floating_point() or target.is_complex() or target.dtype == torch.bool:
        raise ValueError(
            f"target must hold class indices (an integer tensor), got dtype {target.dtype}"
        )
    unbatched = inputs.ndim == 1
    if unbatched:
        inputs, target = inputs.unsqueeze(0), target.unsqueeze(0)
    num_classes = inputs.shape[1]
    expected = (inputs.shape[0], *inputs.shape[2:])
    if tuple(target.shape) != expected:
        raise ValueError(
            f"target must have shape {expected} for inputs of shape {tuple(inputs.shape)}, "
            f"got {tuple(target.shape)}"
        )
    valid = target != ignore_index
    y = torch.where(valid, target, 0)  # any valid class at ignored positions
    if y.numel():
        low, high = torch.aminmax(y)
        if low < 0 or high >= num_classes:
            raise ValueError(
                f"target must hold class indices in [0, {num_classes}) or "
                f"ignore_index={ignore_index}, got values from {low.item()} to {high.item()}"
            )
    weights = None if alpha is None else _check_class_weights(alpha, num_classes, inputs)

    y = y.unsqueeze(1)
    log_p_t = F.log_softmax(inputs, dim=1).gather(1, y).squeeze(1)
    loss = -log_p_t

    if gamma > 0:
        u = -torch.expm1(log_p_t)  # 1 − p_t, without the cancellation of 1 − exp(·)
        if gamma < 1:
            u = u.clamp_min(torch.finfo(u.dtype).tiny)  # finite slope, as in the sigmoid form
        loss = u**gamma * loss

    w = valid.to(inputs.dtype)
    if weights is not None:
        w = w * weights[y.squeeze(1)]
    loss = w * loss

    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        total = w.sum()
        # All ignored: 0 (not torch's 0/0 = NaN); its gradient is 0 because w is.
        return loss.sum() / torch.where(total > 0, total, torch.ones_like(total))
    return loss.squeeze(0) if unbatched else loss


# --- Module and initialisation ----------------------------------------------------------

_DEFAULT = object()


class FocalLoss(nn.Module):
    r"""Focal loss as a module: `FocalLoss(kind="sigmoid")` or `FocalLoss(kind="softmax")`.

    `FocalLoss(kind="sigmoid")` calls [`sigmoid_focal_loss`][dlbasics.focal_loss.sigmoid_focal_loss]
    (defaults `alpha=0.25`, `reduction="none"`); `FocalLoss(kind="softmax")` calls
    [`softmax_focal_loss`][dlbasics.focal_loss.softmax_focal_loss] (defaults `alpha=None`,
    `reduction="mean"`, `ignore_index=-100`), like `nn.CrossEntropyLoss(weight=alpha)`.
    The arguments are keyword-only, so a call cannot silently swap `alpha` and `gamma`.

    Args:
        kind: `"sigmoid"` or `"softmax"`.
        gamma: Focusing parameter \(\gamma \ge 0\).
        alpha: The chosen function's `alpha` (a float for sigmoid; per-class weights or
            None for softmax); defaults to that function's default.
        reduction: `"none"`, `"mean"` or `"sum"`; defaults to the chosen function's default.
        ignore_index: Softmax only: the target value to ignore.
    """

    def __init__(
        self,
        *,
        kind: str = "sigmoid",
        gamma: float = 2.0,
        alpha: Any = _DEFAULT,
        reduction: Any = _DEFAULT,
        ignore_index: int = -100,
    ) -> None:
        super().__init__()
        if kind not in ("sigmoid", "softmax"):
            raise ValueError(f"kind must be 'sigmoid' or 'softmax', got {kind!r}")
        self.kind = kind
        self.gamma = _check_gamma(gamma)
        default_reduction = "none" if kind == "sigmoid" else "mean"
        self.reduction = _check_reduction(default_reduction if reduction is _DEFAULT else reduction)
        self.ignore_index = ignore_index
        self.alpha: float | None = None
        self.weight: torch.Tensor | None
        if kind == "sigmoid":
            if ignore_index != -100:
                raise ValueError(
                    f"ignore_index applies to kind='softmax' only, got {ignore_index} "
                    "with kind='sigmoid'"
                )
            alpha = 0.25 if alpha is _DEFAULT else _check_real(alpha, "alpha")
            if alpha > 1:
                raise ValueError(f"alpha must be <= 1 (or negative to switch it off), got {alpha}")
            self.alpha = float(alpha)
            self.register_buffer("weight", None)
        else:
            if alpha is _DEFAULT or alpha is None:
                weight = None
            else:
                weight = torch.as_tensor(alpha, dtype=torch.get_default_dtype())
                if weight.ndim != 1 or bool(torch.any(weight < 0)):
                    raise ValueError(
                        "alpha must be a 1-D tensor of non-negative class weights, "
                        f"got {weight.tolist()}"
                    )
            self.register_buffer("weight", weight)

    def forward(self, inputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of `inputs` (logits) against `target`."""
        if self.kind == "sigmoid":
            assert self.alpha is not None
            return sigmoid_focal_loss(inputs, target, self.alpha, self.gamma, self.reduction)
        return softmax_focal_loss(
            inputs, target, self.gamma, self.weight, self.reduction, self.ignore_index
        )

    def extra_repr(self) -> str:
        alpha = self.alpha if self.kind == "sigmoid" else self.weight
        return (
            f"kind={self.kind!r}, gamma={self.gamma}, alpha={alpha}, reduction={self.reduction!r}"
        )


def prior_bias(pi: float) -> float:
    r"""The bias that makes a sigmoid classifier start at probability \(\pi\).

    RetinaNet initialises the bias of its last classification layer to

    \[
    b = -\log\frac{1 - \pi}{\pi}, \qquad \text{so that}\quad \sigma(b) = \pi ,
    \]

    with \(\pi = 0.01\): every anchor starts as "probably background", and the many
    negatives no longer produce a huge loss in the first iterations.

    Args:
        pi: The prior probability of the positive class, in \((0, 1)\).

    Returns:
        The bias \(b\) (a Python float; \(b \approx -4.595\) for \(\pi = 0.01\)).

    Raises:
        TypeError: `pi` is not a real number.
        ValueError: `pi` is not in \((0, 1)\).
    """
    pi = _check_real(pi, "pi")
    if not 0.0 < pi < 1.0:
        raise ValueError(f"pi must be a probability in the open interval (0, 1), got {pi}")
    return -math.log((1.0 - pi) / pi)


# --- Experiments for the page ---------------------------------------------------------
#
# Everything below backs a figure or a table of the focal-loss page. Functions that take
# more than a second are @cached; plot_* turn their results into inline HTML.


def anchor_count(
    image_size: tuple[int, int] = (800, 800),
    strides: tuple[int, ...] = (8, 16, 32, 64, 128),
    anchors_per_location: int = 9,
) -> int:
    r"""Number of anchors a RetinaNet-style detector scores on one image.

    Each pyramid level with stride \(s\) has \(\lceil H/s\rceil \times \lceil W/s\rceil\)
    locations and `anchors_per_location` anchors at each (3 scales × 3 aspect ratios in
    the paper; levels P3–P7 have strides 8 to 128).
    """
    if len(image_size) != 2 or min(image_size) < 1:
        raise ValueError(f"image_size must be (height, width) >= 1, got {image_size}")
    if not strides or min(strides) < 1:
        raise ValueError(f"strides must be positive integers, got {strides}")
    if anchors_per_location < 1:
        raise ValueError(f"anchors_per_location must be >= 1, got {anchors_per_location}")
    h, w = image_size
    return sum(math.ceil(h / s) * math.ceil(w / s) for s in strides) * anchors_per_location


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def _positive_example(x: torch.Tensor, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """Loss and ∂loss/∂x of positive examples (t = 1) at logits `x`, by autograd
    through `sigmoid_focal_loss` with α off: the one computation behind the curves and
    tables of the page's first sections."""
    z = x.detach().clone().requires_grad_()
    loss = sigmoid_focal_loss(z, torch.ones_like(z), alpha=-1, gamma=gamma)
    loss.sum().backward()
    assert z.grad is not None
    return loss.detach().numpy(), z.grad.numpy()


def loss_curves(
    gammas: Sequence[float] = (0.0, 0.5, 1.0, 2.0, 5.0), num: int = 400
) -> dict[str, Any]:
    r"""Focal loss against \(p_t\) (the paper's Figure 1), computed by `sigmoid_focal_loss`.

    A positive example (\(t = 1\)) with logit \(x = \log\frac{p_t}{1 - p_t}\), no α weighting.

    Returns:
        `{"p_t": array, "loss": {gamma: array}}`.
    """
    p_t = np.linspace(0.005, 0.995, num)
    x = torch.as_tensor(_logit(p_t))
    return {"p_t": p_t, "loss": {float(g): _positive_example(x, g)[0] for g in gammas}}


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_loss_curves(data: dict[str, Any] | None = None) -> str:
    """The paper's Figure 1 as inline SVG, from [`loss_curves`][dlbasics.focal_loss.loss_curves]."""
    from dlbasics.plotting import new_figure, to_svg

    data = loss_curves() if data is None else data
    fig, ax = new_figure(width=6.4, height=3.8)
    ax.axvspan(0.6, 1.0, color="#8a8a8a", alpha=0.12, lw=0)
    ax.text(0.8, 4.6, "well-classified\nexamples", ha="center", va="top", fontsize=9)
    for gamma, loss in data["loss"].items():
        label = f"γ = {gamma:g}" + (" (CE)" if gamma == 0 else "")
        ax.plot(data["p_t"], loss, label=label)
    ax.set(xlabel="probability of the ground-truth class $p_t$", ylabel="loss", ylim=(0, 5))
    ax.set_xlim(0, 1)
    ax.legend()
    return to_svg(
        fig,
        alt="Focal loss against p_t for gamma 0, 0.5, 1, 2 and 5: the larger gamma, "
        "the faster the loss of well-classified examples (p_t above 0.6) falls to zero.",
        caption="Loss of one example against the probability it gives its true class "
        "(computed by sigmoid_focal_loss, α off). γ = 0 is cross-entropy.",
    )


def downweighting_table(
    p_ts: Sequence[float] = (0.5, 0.9, 0.968, 0.99), gamma: float = 2.0
) -> list[dict[str, float]]:
    r"""How many times smaller focal loss is than cross-entropy at given \(p_t\).

    CE and FL are both computed by `sigmoid_focal_loss` (α off); the ratio CE / FL is
    compared with the closed form \((1 - p_t)^{-\gamma}\).
    """
    p = np.asarray(p_ts, dtype=np.float64)
    x = torch.as_tensor(_logit(p))
    ce, fl = _positive_example(x, 0.0)[0], _positive_example(x, gamma)[0]
    return [
        {
            "p_t": float(pi),
            "ce": float(c),
            "fl": float(f),
            "ratio": float(c / f),
            "closed_form": float((1 - pi) ** -gamma),
        }
        for pi, c, f in zip(p, ce, fl, strict=True)
    ]


def easy_example_table(
    ps: Sequence[float] = (0.1, 0.3, 0.5, 0.6, 0.75, 0.9), gamma: float = 2.0
) -> list[dict[str, float]]:
    r"""Loss and logit gradient of a positive example at probability \(p\), CE vs FL.

    Answers "is an example with \(p > 0.5\) still penalised?": the loss and the gradient
    \(\partial \ell / \partial x\) (by autograd through `sigmoid_focal_loss`, α off) of a
    positive with \(p = \sigma(x)\).
    """
    x = torch.as_tensor(_logit(np.asarray(ps, dtype=np.float64)))
    rows: dict[str, np.ndarray] = {}
    for name, g in (("ce", 0.0), ("fl", gamma)):
        rows[name], rows[name + "_grad"] = _positive_example(x, g)
    return [
        {
            "p": float(p),
            "ce": float(rows["ce"][i]),
            "fl": float(rows["fl"][i]),
            "ce_grad": float(rows["ce_grad"][i]),
            "fl_grad": float(rows["fl_grad"][i]),
        }
        for i, p in enumerate(ps)
    ]


def gradient_curves(
    gammas: Sequence[float] = (0.0, 1.0, 2.0, 5.0),
    x_range: tuple[float, float] = (-8.0, 8.0),
    num: int = 401,
) -> dict[str, Any]:
    r"""\(\partial \mathrm{FL} / \partial x\) of a positive example against its logit \(x\).

    By autograd through `sigmoid_focal_loss` (α off, float64). For a negative example the
    curves are mirrored (\(x \to -x\), sign flipped).

    Returns:
        `{"x": array, "grad": {gamma: array}}`.
    """
    x = torch.linspace(*x_range, num, dtype=torch.float64)
    return {"x": x.numpy(), "grad": {float(g): _positive_example(x, g)[1] for g in gammas}}


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_gradient_curves(data: dict[str, Any] | None = None) -> str:
    """|dFL/dx| against the logit, and its ratio to |dCE/dx|, as inline SVG."""
    from dlbasics.plotting import new_figure, to_svg

    data = gradient_curves() if data is None else data
    fig, (ax, ax_ratio) = new_figure(1, 2, width=8.0, height=3.4)
    ce = np.abs(data["grad"][0.0])
    for gamma, grad in data["grad"].items():
        label = f"γ = {gamma:g}" + (" (CE)" if gamma == 0 else "")
        ax.plot(data["x"], np.abs(grad), label=label)
        ax_ratio.semilogy(data["x"], np.abs(grad) / ce, label=label)
    for a in (ax, ax_ratio):
        a.axvline(0.0, color="#8a8a8a", lw=0.8, ls=":")
        a.set_xlabel("logit x of a positive example (p = σ(x))")
    ax.set_ylabel("|∂loss/∂x|")
    ax_ratio.set_ylabel("|∂FL/∂x| / |∂CE/∂x|")
    ax_ratio.set_ylim(1e-7, 3)
    ax.legend()
    return to_svg(
        fig,
        alt="Left: the size of the gradient with respect to the logit of a positive example. "
        "Cross-entropy's gradient is 1 - p and stays sizeable for correct examples; focal "
        "loss's gradient peaks for misclassified examples and vanishes for easy ones. Right: "
        "the ratio of focal to cross-entropy gradient falls by orders of magnitude once x > 0.",
        caption="Where the gradient goes: focal loss keeps (and for γ ≥ 1 slightly raises) "
        "the gradient of misclassified examples and shrinks that of well-classified ones.",
    )


def simulate_detector_scores(
    n_anchors: int = 200_200,
    neg_per_pos: int = 1000,
    seed: int = 0,
    pos_logit: tuple[float, float] = (1.0, 2.0),
    neg_logit: tuple[float, float] = (-4.5, 1.5),
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Made-up classifier outputs of a dense detector: few positives, many easy negatives.

    A stand-in for the logits of a partly trained one-stage detector: one positive anchor
    per `neg_per_pos` negatives; positive logits \(\sim \mathcal N(1, 2^2)\) (most found,
    some missed), negative logits \(\sim \mathcal N(-4.5, 1.5^2)\) (median
    \(p \approx 0.011\), about one in a thousand above \(p = 0.5\)). The numbers are ours,
    not the paper's: they only fix a plausible shape.

    Returns:
        `(logits, targets)`, float64 tensors of length `n_anchors`, positives first.
    """
    if n_anchors < neg_per_pos + 1 or neg_per_pos < 1:
        raise ValueError(
            f"n_anchors must be >= neg_per_pos + 1 and neg_per_pos >= 1, "
            f"got n_anchors={n_anchors}, neg_per_pos={neg_per_pos}"
        )
    rng = np.random.default_rng(seed)
    n_pos = n_anchors // (neg_per_pos + 1)
    n_neg = n_anchors - n_pos
    logits = np.concatenate(
        [rng.normal(*pos_logit, size=n_pos), rng.normal(*neg_logit, size=n_neg)]
    )
    targets = np.concatenate([np.ones(n_pos), np.zeros(n_neg)])
    return torch.as_tensor(logits), torch.as_tensor(targets)


#: (label, alpha, gamma) of the losses compared on the simulated detector output.
LOSS_SETTINGS: tuple[tuple[str, float, float], ...] = (
    ("CE", -1.0, 0.0),
    ("α-CE, α = 0.75 (paper's best for CE)", 0.75, 0.0),
    ("α-CE, α = 0.999 (inverse frequency)", 0.999, 0.0),
    ("FL, γ = 0.5", -1.0, 0.5),
    ("FL, γ = 1", -1.0, 1.0),
    ("FL, γ = 2", -1.0, 2.0),
    ("FL, γ = 5", -1.0, 5.0),
    ("FL, γ = 2, α = 0.25 (paper)", 0.25, 2.0),
)


@cached
@torch_threads(1)
def loss_shares(
    settings: Sequence[tuple[str, float, float]] = LOSS_SETTINGS,
    easy_p_t: float = 0.9,
    n_anchors: int = 200_200,
    neg_per_pos: int = 1000,
    seed: int = 0,
) -> list[dict[str, Any]]:
    r"""Who contributes the loss and the gradient on a simulated detector output.

    On [`simulate_detector_scores`][dlbasics.focal_loss.simulate_detector_scores], for
    each `(label, alpha, gamma)`: the share of the summed loss, and of the summed
    \(|\partial \ell / \partial x|\), that comes from positives, from *easy* negatives
    (\(p_t >\) `easy_p_t`) and from the remaining (hard) negatives.
    """
    logits, targets = simulate_detector_scores(n_anchors, neg_per_pos, seed)
    p_t = torch.where(targets > 0, torch.sigmoid(logits), torch.sigmoid(-logits))
    groups = {
        "positives": targets > 0,
        "easy negatives": (targets == 0) & (p_t > easy_p_t),
        "hard negatives": (targets == 0) & (p_t <= easy_p_t),
    }
    rows = []
    for label, alpha, gamma in settings:
        x = logits.clone().requires_grad_()
        loss = sigmoid_focal_loss(x, targets, alpha=alpha, gamma=gamma)
        loss.sum().backward()
        assert x.grad is not None
        loss_d, grad = loss.detach(), x.grad.abs()
        row: dict[str, Any] = {"loss": label}
        for name, mask in groups.items():
            row[f"{name} loss"] = float(loss_d[mask].sum() / loss_d.sum())
            row[f"{name} grad"] = float(grad[mask].sum() / grad.sum())
        rows.append(row)
    counts = {name: int(mask.sum()) for name, mask in groups.items()}
    for row in rows:
        row["counts"] = counts
    return rows


@cached
@torch_threads(1)
def cumulative_loss(
    gammas: Sequence[float] = (0.0, 0.5, 1.0, 2.0, 5.0),
    n_anchors: int = 200_200,
    neg_per_pos: int = 1000,
    seed: int = 0,
    points: int = 300,
) -> dict[str, Any]:
    r"""The paper's Figure 4 in small: cumulative normalised loss of positives and negatives.

    For each group, per-example focal losses (α off) are sorted from smallest to largest
    and their running sum divided by the group's total; plotted against the fraction of
    examples, a curve that stays low and rises at the end means that a few (hard)
    examples hold most of the loss.
    """
    logits, targets = simulate_detector_scores(n_anchors, neg_per_pos, seed)
    fraction = np.linspace(0.0, 1.0, points)
    curves: dict[str, dict[float, np.ndarray]] = {"positives": {}, "negatives": {}}
    for gamma in gammas:
        loss = sigmoid_focal_loss(logits, targets, alpha=-1, gamma=gamma).numpy()
        for name, mask in (("positives", targets.numpy() > 0), ("negatives", targets.numpy() == 0)):
            sorted_loss = np.sort(loss[mask])
            cdf = np.concatenate([[0.0], np.cumsum(sorted_loss) / sorted_loss.sum()])
            grid = np.linspace(0.0, 1.0, len(cdf))
            curves[name][float(gamma)] = np.interp(fraction, grid, cdf)
    return {"fraction": fraction, "curves": curves}


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_cumulative_loss(data: dict[str, Any] | None = None) -> str:
    """Cumulative normalised loss of positives and negatives (Figure 4 of the paper) as SVG."""
    from dlbasics.plotting import new_figure, to_svg

    data = cumulative_loss() if data is None else data
    fig, axes = new_figure(1, 2, width=8.0, height=3.4, sharey=True)
    for ax, name in zip(axes, ("positives", "negatives"), strict=True):
        for gamma, curve in data["curves"][name].items():
            ax.plot(data["fraction"], curve, label=f"γ = {gamma:g}")
        ax.set(xlabel=f"fraction of {name} (sorted by loss)", title=name, xlim=(0, 1), ylim=(0, 1))
    axes[0].set_ylabel("cumulative normalised loss")
    axes[1].legend()
    return to_svg(
        fig,
        alt="Cumulative normalised loss against the fraction of examples sorted by loss. "
        "For positives the curves change little with gamma. For negatives, as gamma grows "
        "the curve stays near zero for most of the range and rises only at the end: the "
        "loss concentrates on a few hard negatives.",
        caption="Cumulative share of the loss, examples sorted from easiest to hardest, on "
        "the simulated detector output (1 positive : 1000 negatives).",
    )


@cached
@torch_threads(1)
def reduction_conventions(
    n_anchors: int = 200_200, neg_per_pos: int = 1000, seed: int = 0
) -> dict[str, float]:
    """The paper's normalisation (sum / number of positives) vs torchvision's `"mean"`.

    On the simulated detector output, with α = 0.25, γ = 2.
    """
    logits, targets = simulate_detector_scores(n_anchors, neg_per_pos, seed)
    total = float(sigmoid_focal_loss(logits, targets, reduction="sum"))
    n_pos = int(targets.sum())
    return {
        "anchors": float(len(targets)),
        "positives": float(n_pos),
        "paper": total / n_pos,
        "torchvision_mean": float(sigmoid_focal_loss(logits, targets, reduction="mean")),
        "torchvision_default_shape": float(sigmoid_focal_loss(logits, targets).ndim),
    }


def naive_gradient_check(
    logits: Sequence[float] = (5.0, 17.0, 20.0, 100.0, 1e4),
    gammas: Sequence[float] = (0.5, 2.0),
) -> list[dict[str, float]]:
    r"""Gradient of a correct positive at large logits: textbook formula vs ours, float32.

    The textbook (torchvision) formula computes \(p = \sigma(x)\), then \((1 - p_t)^\gamma\);
    once \(p\) rounds to 1, \(1 - p_t = 0\) and, for \(\gamma < 1\), the derivative
    \(\gamma (1 - p_t)^{\gamma - 1} = \infty\) times 0 gives NaN. The float64 column is the
    textbook formula in double precision (finite until \(\sigma(x)\) rounds to 1 there too).
    """

    def textbook(x: torch.Tensor, gamma: float) -> torch.Tensor:
        p = torch.sigmoid(x)
        ce = F.binary_cross_entropy_with_logits(x, torch.ones_like(x), reduction="none")
        return 0.25 * ce * (1 - p) ** gamma

    rows = []
    for gamma in gammas:
        for value in logits:
            out: dict[str, float] = {"gamma": float(gamma), "x": float(value)}
            for name, dtype, fn in (
                ("textbook_f32", torch.float32, textbook),
                ("textbook_f64", torch.float64, textbook),
                ("ours_f32", torch.float32, None),
            ):
                x = torch.tensor([value], dtype=dtype, requires_grad=True)
                if fn is None:
                    loss = sigmoid_focal_loss(x, torch.ones_like(x), gamma=gamma)
                else:
                    loss = fn(x, gamma)
                loss.sum().backward()
                assert x.grad is not None
                out[name] = float(x.grad)
            rows.append(out)
    return rows


@functools.lru_cache(maxsize=8)
def make_imbalanced_data(
    imbalance: int = 100,
    positives: int = 400,
    seed: int = 0,
    n_features: int = 20,
    class_sep: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Synthetic binary data with one positive per `imbalance` negatives, split in halves.

    scikit-learn's `make_classification` (5 informative and 5 redundant features, two
    Gaussian clusters per class, **no label noise**: its default `flip_y=0.01` would make
    a random 1% of the examples positive, more than the real positives at 1 : 1000),
    with `positives · (imbalance + 1)` examples, standardised with the training half's
    statistics.

    Results are memoised in memory (the page and the tests ask for the same data sets
    several times): callers share the returned tensors and must not modify them.

    Returns:
        `(x_train, y_train, x_test, y_test)`: float32 inputs, float32 0/1 targets.
    """
    from dlbasics.datasets import require

    if imbalance < 1 or positives < 4:
        raise ValueError(
            f"imbalance must be >= 1 and positives >= 4, got imbalance={imbalance}, "
            f"positives={positives}"
        )
    sk = require("sklearn.datasets", "datasets")
    n = positives * (imbalance + 1)
    x, y = sk.make_classification(
        n_samples=n,
        n_features=n_features,
        n_informative=5,
        n_redundant=5,
        n_clusters_per_class=2,
        weights=[imbalance / (imbalance + 1)],
        flip_y=0.0,
        class_sep=class_sep,
        random_state=seed,
    )
    order = np.random.default_rng(seed).permutation(n)
    x, y = x[order], y[order]
    half = n // 2
    mean, std = x[:half].mean(axis=0), x[:half].std(axis=0)
    x = (x - mean) / std
    xt, yt = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    return xt[:half], yt[:half], xt[half:], yt[half:]


#: The training methods compared on the page: name → (loss, alpha, gamma).
METHODS: dict[str, tuple[str, float, float]] = {
    "CE": ("focal", -1.0, 0.0),
    "α-CE (α = 0.75)": ("focal", 0.75, 0.0),
    "OHEM (hardest 1/8, CE)": ("ohem", -1.0, 0.0),
    "FL (γ = 2, α = 0.25)": ("focal", 0.25, 2.0),
}


def _batch_loss(
    spec: tuple[str, float, float], logits: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    """Loss `(kind, alpha, gamma)` of each row of (models, batch) logits, batch-averaged."""
    kind, alpha, gamma = spec
    loss = sigmoid_focal_loss(logits, targets, alpha=alpha, gamma=gamma)
    if kind == "ohem":
        # Online hard example mining (Shrivastava et al., 2016): back-propagate only
        # through the k examples with the largest loss in the batch.
        return loss.topk(max(1, loss.shape[-1] // 8), dim=-1).values.mean(dim=-1)
    return loss.mean(dim=-1)


def _pr_curve(
    scores: np.ndarray, labels: np.ndarray, recall: np.ndarray
) -> tuple[float, np.ndarray]:
    """Average precision, and the interpolated precision (best at recall ≥ r) on `recall`."""
    from dlbasics.datasets import require

    metrics = require("sklearn.metrics", "datasets")
    precision, rec, _ = metrics.precision_recall_curve(labels, scores)
    # Average precision Σ (R_n − R_{n−1}) P_n, as sklearn's average_precision_score
    # (recall is decreasing in its output); one sort instead of two.
    ap = float(-np.sum(np.diff(rec) * precision[:-1]))
    envelope = np.maximum.accumulate(precision)  # recall falls along sklearn's arrays
    order = np.argsort(rec, kind="stable")
    return ap, np.interp(recall, rec[order], envelope[order])


class _ParallelMLPs(nn.Module):
    """M independent in–hidden–1 ReLU MLPs, evaluated as one batched matrix product.

    Such small models spend their time in Python and dispatch, not in arithmetic: training
    all of them in one product is an order of magnitude faster than one after the other,
    and each still has its own parameters, gradients and optimiser state. Model m is
    initialised like `nn.Linear` from a generator seeded with `seeds[m]`.
    """

    def __init__(self, seeds: Sequence[int], n_in: int, hidden: int) -> None:
        super().__init__()
        w1, b1, w2, b2 = [], [], [], []
        k1, k2 = 1 / math.sqrt(n_in), 1 / math.sqrt(hidden)
        for seed in seeds:
            g = torch.Generator().manual_seed(seed)
            w1.append((torch.rand(n_in, hidden, generator=g) * 2 - 1) * k1)
            b1.append((torch.rand(hidden, generator=g) * 2 - 1) * k1)
            w2.append((torch.rand(hidden, generator=g) * 2 - 1) * k2)
            b2.append((torch.rand((), generator=g) * 2 - 1) * k2)
        self.w1 = nn.Parameter(torch.stack(w1))  # (M, in, hidden)
        self.b1 = nn.Parameter(torch.stack(b1))  # (M, hidden)
        self.w2 = nn.Parameter(torch.stack(w2))  # (M, hidden)
        self.b2 = nn.Parameter(torch.stack(b2))  # (M,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (M, B) of inputs (M, B, in)."""
        h = torch.relu(torch.baddbmm(self.b1.unsqueeze(1), x, self.w1))
        return torch.baddbmm(self.b2.view(-1, 1, 1), h, self.w2.unsqueeze(2)).squeeze(2)

    def score(self, m: int, x: torch.Tensor) -> torch.Tensor:
        """Logits (N,) of model `m` for inputs (N, in)."""
        return torch.relu(x @ self.w1[m] + self.b1[m]) @ self.w2[m] + self.b2[m]


@cached
@torch_threads(1)
def train_imbalanced(
    imbalance: int = 100,
    seeds: Sequence[int] = (0, 1, 2),
    losses: Sequence[tuple[str, float, float]] = tuple(METHODS.values()),
    steps: int = 300,
    batch_size: int = 1024,
    lr: float = 0.01,
    hidden: int = 32,
    init_pi: float | None = 0.01,
    positives: int = 200,
    progress: bool = False,
) -> dict[str, Any]:
    r"""Train one small MLP per loss and seed on imbalanced synthetic data.

    Data from [`make_imbalanced_data`][dlbasics.focal_loss.make_imbalanced_data]. Per seed:
    its own data set, one initialisation and one sequence of minibatches shared
    by all losses, so that the runs differ only in their loss. Each model is a
    20–`hidden`–1 ReLU MLP trained with Adam on its loss `(kind, alpha, gamma)` (kind
    `"focal"`: `sigmoid_focal_loss`; `"ohem"`: the same on the hardest eighth of the
    batch; see `METHODS`) averaged over the batch; with Adam a constant scale of the loss barely
    matters, so the paper's division by the number of positives is left out. The last
    bias starts at [`prior_bias`][dlbasics.focal_loss.prior_bias]`(init_pi)` (0 if None).

    Returns:
        `{"ap": array (seeds, losses) of test average precision, "recall": grid,
        "precision": array (seeds, losses, grid) of interpolated test precision}`.
    """
    from tqdm.auto import tqdm

    bad = [spec for spec in losses if spec[0] not in ("focal", "ohem")]
    if bad:
        raise ValueError(f"losses must be (kind, alpha, gamma) with kind focal|ohem, got {bad}")
    data = [make_imbalanced_data(imbalance, positives, seed=s) for s in seeds]
    x_train = torch.stack([d[0] for d in data])  # (S, N, F)
    y_train = torch.stack([d[1] for d in data])
    n_seeds, n_methods = len(seeds), len(losses)
    # Model s·K + k: seed s, method k. Same initialisation for every method of a seed.
    model = _ParallelMLPs([s for s in seeds for _ in losses], x_train.shape[2], hidden)
    with torch.no_grad():
        model.b2.fill_(0.0 if init_pi is None else prior_bias(init_pi))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seeds[0])
    rows = torch.arange(n_seeds).unsqueeze(1)
    for _ in tqdm(range(steps), disable=not progress, desc=f"1:{imbalance}"):
        idx = torch.randint(0, x_train.shape[1], (n_seeds, batch_size), generator=generator)
        xb, yb = x_train[rows, idx], y_train[rows, idx]
        logits = model(xb.repeat_interleave(n_methods, dim=0)).view(n_seeds, n_methods, -1)
        # Parameters are disjoint, so the sum's gradient is each model's own gradient.
        loss = torch.stack(
            [_batch_loss(spec, logits[:, k], yb) for k, spec in enumerate(losses)]
        ).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    recall = np.linspace(0.0, 1.0, 101)
    ap = np.zeros((n_seeds, n_methods))
    precision = np.zeros((n_seeds, n_methods, len(recall)))
    with torch.no_grad():
        for s, (_, _, x_test, y_test) in enumerate(data):
            for k in range(n_methods):
                scores = model.score(s * n_methods + k, x_test).numpy()
                ap[s, k], precision[s, k] = _pr_curve(scores, y_test.numpy(), recall)
    return {"ap": ap, "recall": recall, "precision": precision}


def training_experiment(
    imbalances: Sequence[int] = (100, 1000), seeds: Sequence[int] = (0, 1, 2)
) -> dict[int, dict[str, Any]]:
    """[`train_imbalanced`][dlbasics.focal_loss.train_imbalanced] with every `METHODS` entry."""
    out = {}
    for imbalance in imbalances:
        run = train_imbalanced(imbalance, seeds, tuple(METHODS.values()))
        out[imbalance] = {**run, "methods": list(METHODS), "seeds": list(seeds)}
    return out


#: AP (COCO minival) of RetinaNet, ResNet-50-FPN, 600-pixel images: the paper's Table 1a
#: (α-balanced CE, γ = 0) and Table 1b (FL, with the best α for each γ).
PAPER_TABLE_1A: tuple[tuple[float, float], ...] = (
    (0.10, 0.0),
    (0.25, 10.8),
    (0.50, 30.2),
    (0.75, 31.1),
    (0.90, 30.8),
    (0.99, 28.7),
    (0.999, 25.1),
)
PAPER_TABLE_1B: tuple[tuple[float, float, float], ...] = (  # (γ, α, AP)
    (0.0, 0.75, 31.1),
    (0.1, 0.75, 31.4),
    (0.2, 0.75, 31.9),
    (0.5, 0.50, 32.9),
    (1.0, 0.25, 33.7),
    (2.0, 0.25, 34.0),
    (5.0, 0.25, 32.2),
)


def tuning_sweep(
    imbalance: int = 1000,
    gammas: Sequence[float] = (0.0, 0.5, 1.0, 2.0, 5.0),
    alphas: Sequence[float] = (0.25, 0.75),
    seeds: Sequence[int] = (0, 1, 2),
) -> dict[str, Any]:
    """Our small version of the paper's Table 1b: mean test AP over seeds for each (γ, α).

    Returns:
        `{"gammas", "alphas", "ap": array (gammas, alphas) of mean AP, "std": its std}`.
    """
    specs = tuple(("focal", float(a), float(g)) for g in gammas for a in alphas)
    ap = train_imbalanced(imbalance, seeds, specs)["ap"]  # (seeds, γ·α)
    shape = (len(gammas), len(alphas))
    return {
        "gammas": list(gammas),
        "alphas": list(alphas),
        "ap": ap.mean(axis=0).reshape(shape),
        "std": ap.std(axis=0).reshape(shape),
    }


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_pr_curves(data: dict[int, dict[str, Any]] | None = None, seed_index: int = 0) -> str:
    """Precision–recall curves of the training experiment (one seed), one panel per ratio."""
    from dlbasics.plotting import new_figure, to_svg

    data = training_experiment() if data is None else data
    fig, axes = new_figure(1, len(data), width=4.0 * len(data), height=3.6, sharey=True)
    axes = np.atleast_1d(axes)
    for ax, (imbalance, run) in zip(axes, data.items(), strict=True):
        for k, method in enumerate(run["methods"]):
            ax.plot(run["recall"], run["precision"][seed_index, k], label=method)
        ax.set(xlabel="recall", title=f"1 : {imbalance}", xlim=(0, 1), ylim=(0, 1.02))
    axes[0].set_ylabel("precision (interpolated)")
    axes[-1].legend(fontsize=8)
    return to_svg(
        fig,
        alt="Precision against recall on the test set for a small classifier trained with "
        "cross-entropy, alpha-balanced cross-entropy, online hard example mining and focal "
        "loss, at 1 to 100 and 1 to 1000 class imbalance.",
        caption="Test precision–recall curves of one seed (interpolated precision).",
    )


@cached
@torch_threads(1)
def prior_bias_experiment(
    imbalance: int = 1000,
    steps: int = 60,
    batch_size: int = 1024,
    lr: float = 0.01,
    seed: int = 0,
    positives: int = 200,
    probe: int = 20_000,
) -> dict[tuple[str, str], np.ndarray]:
    r"""First iterations of training with the last bias at 0 vs at `prior_bias(0.01)`.

    As in the paper: the per-example losses are *summed and divided by the number of
    positives* in the batch (at least 1), and the optimiser is SGD with momentum 0.9.
    The same MLP and data as [`train_imbalanced`][dlbasics.focal_loss.train_imbalanced];
    the four runs share the initial weights and the minibatches. A minibatch of 1024 holds
    about one positive at 1 : 1000, so its loss jumps from step to step; the curves report
    instead the loss (same normalisation) on a fixed probe set, the first `probe` training
    examples, before the first step and after each step.

    Returns:
        `{(loss_name, init_name): probe loss per positive, steps + 1 values}`.
    """
    x_train, y_train, _, _ = make_imbalanced_data(imbalance, positives, seed=seed)
    runs = [
        (loss_name, alpha, gamma, init_name, bias)
        for loss_name, alpha, gamma in (("CE", -1.0, 0.0), ("FL (γ = 2, α = 0.25)", 0.25, 2.0))
        for init_name, bias in (("b = 0", 0.0), ("b = prior_bias(0.01)", prior_bias(0.01)))
    ]
    model = _ParallelMLPs([seed] * len(runs), x_train.shape[1], 32)
    with torch.no_grad():
        model.b2.copy_(torch.tensor([run[4] for run in runs]))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    generator = torch.Generator().manual_seed(seed)
    x_probe, y_probe = x_train[:probe], y_train[:probe]

    def losses_on(xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        logits = model(xb.expand(len(runs), -1, -1))
        summed = [
            sigmoid_focal_loss(logits[r], yb, alpha, gamma, "sum")
            for r, (_, alpha, gamma, _, _) in enumerate(runs)
        ]
        return torch.stack(summed) / yb.sum().clamp_min(1)

    history = np.zeros((steps + 1, len(runs)))
    for step in range(steps + 1):
        with torch.no_grad():
            history[step] = losses_on(x_probe, y_probe).numpy()
        if step == steps:
            break
        idx = torch.randint(0, len(x_train), (batch_size,), generator=generator)
        optimizer.zero_grad()
        losses_on(x_train[idx], y_train[idx]).sum().backward()
        optimizer.step()
    return {(run[0], run[3]): history[:, r] for r, run in enumerate(runs)}


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_prior_bias(data: dict[tuple[str, str], np.ndarray] | None = None) -> str:
    """Training loss of the first iterations, bias 0 vs prior bias, as inline SVG."""
    from dlbasics.plotting import COLORS, new_figure, to_svg

    data = prior_bias_experiment() if data is None else data
    fig, ax = new_figure(width=6.4, height=3.6)
    colors = {name: COLORS[i] for i, name in enumerate(sorted({k[0] for k in data}))}
    for (loss_name, init_name), curve in data.items():
        style = "-" if init_name == "b = 0" else "--"
        steps = np.arange(len(curve))
        ax.semilogy(steps, curve, style, color=colors[loss_name], label=f"{loss_name}, {init_name}")
    ax.set(xlabel="training step", ylabel="probe loss / number of positives")
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt="Loss per positive on a fixed probe set over the first training steps, log scale, "
        "for cross-entropy and focal loss with the last bias at 0 or at the prior bias.",
        caption="First training steps on 1 : 1000 data: SGD with momentum, loss summed and "
        "divided by the number of positives (the paper's set-up), measured on a fixed probe "
        "set of training examples.",
    )
