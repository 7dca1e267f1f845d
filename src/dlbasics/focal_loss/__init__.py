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

The experiments and figures of the
[focal loss page](https://dlbasics.github.io/dlbasics/focal-loss/) are
`dlbasics.focal_loss.experiments` and `dlbasics.focal_loss.figures`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "FocalLoss",
    "anchor_count",
    "focal_loss_star",
    "prior_bias",
    "sigmoid_focal_loss",
    "softmax_focal_loss",
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


def focal_loss_star(
    inputs: torch.Tensor,
    targets: torch.Tensor,
    gamma: float = 2.0,
    beta: float = 1.0,
    reduction: str = "none",
) -> torch.Tensor:
    r"""FL*, the variant of the paper's appendix A: a loss of the same spirit as focal loss,
    written on the logit instead of with a modulating factor.

    With \(x_t = x\) for a positive and \(-x\) for a negative (\(x_t = (2t - 1)\,x\)),

    \[
    p_t^* = \sigma(\gamma x_t + \beta), \qquad
    \mathrm{FL}^* = -\frac{\log p_t^*}{\gamma} ,
    \]

    so \(\gamma\) sharpens the sigmoid and \(\beta\) shifts it: well-classified examples
    (\(x_t \gg 0\)) get a loss that vanishes faster than cross-entropy's (\(\gamma = 1,
    \beta = 0\) is cross-entropy). Computed with the stable log-sigmoid.

    Args:
        inputs: Logits \(x\), any shape.
        targets: Labels in \([0, 1]\), same shape (soft labels interpolate \(x_t\)).
        gamma: \(\gamma > 0\).
        beta: \(\beta\), any real.
        reduction: `"none"`, `"mean"` or `"sum"`.
    """
    x = _check_float_tensor(inputs, "inputs")
    t = _check_float_tensor(targets, "targets")
    if t.shape != x.shape:
        raise ValueError(
            f"targets must have the shape of inputs {tuple(x.shape)}, got {tuple(t.shape)}"
        )
    g = _check_real(gamma, "gamma")
    if not g > 0:
        raise ValueError(f"gamma must be > 0, got {gamma!r}")
    b = _check_real(beta, "beta")
    reduction = _check_reduction(reduction)
    loss = -F.logsigmoid(g * (2 * t - 1) * x + b) / g
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


# --- How many anchors a detector scores ------------------------------------------------------


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
