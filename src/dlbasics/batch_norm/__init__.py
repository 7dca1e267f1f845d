r"""Batch normalization (Ioffe & Szegedy, 2015), written from its equations.

For a mini-batch of \(m\) values \(x_1, \dots, x_m\) of one feature (one channel of a
feature map: all its positions in all images of the batch), batch normalization computes

\[
\mu = \frac{1}{m}\sum_i x_i, \qquad
\sigma^2 = \frac{1}{m}\sum_i (x_i - \mu)^2, \qquad
\hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
y_i = \gamma \hat x_i + \beta ,
\]

with a learned scale \(\gamma\) and shift \(\beta\) per feature. During training it also keeps
running estimates of \(\mu\) and \(\sigma^2\), used in evaluation mode instead of the batch's.

The module reads top to bottom:

1. [`batch_norm`][dlbasics.batch_norm.batch_norm]: the functional form, with the semantics
   of `torch.nn.functional.batch_norm` (no call to torch's batch-norm kernels).
2. [`batch_norm_backward`][dlbasics.batch_norm.batch_norm_backward]: the hand-derived
   backward pass, and [`BatchNormFunction`][dlbasics.batch_norm.BatchNormFunction], the
   `torch.autograd.Function` that ties it to the forward pass.
3. [`BatchNorm1d`][dlbasics.batch_norm.BatchNorm1d] and
   [`BatchNorm2d`][dlbasics.batch_norm.BatchNorm2d]: drop-in replacements for torch's modules
   (same arguments, defaults, buffers and `state_dict` keys).
4. The experiments behind the documentation page, in their own section at the end.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any, cast

import numpy as np
import torch
from torch import Tensor, nn

from dlbasics._threads import torch_threads
from dlbasics.cache import cached

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNormFunction",
    "batch_noise_experiment",
    "batch_norm",
    "batch_norm_backward",
    "conv_experiment",
    "covariate_shift_experiment",
    "feature_map_statistics",
    "gamma_beta_experiment",
    "ghost_batch_experiment",
    "identity_check",
    "input_scaling_experiment",
    "learning_rate_experiment",
    "momentum_weights",
    "ours_vs_torch_experiment",
    "placement_experiment",
    "plot_batch_noise",
    "plot_conv",
    "plot_input_scaling",
    "plot_learned_gamma_beta",
    "plot_learning_rates",
    "plot_placement",
    "plot_test_time",
    "plot_training_path",
    "plot_unit_distribution",
    "running_statistics_experiment",
    "scale_invariance_experiment",
    "steps_to_accuracy",
    "summary_training_path",
    "table_covariate_shift",
    "table_gamma_beta",
    "table_ghost_batch",
    "table_learning_rates",
    "table_placement",
    "table_scale_invariance",
    "test_time_experiment",
    "training_path_experiment",
]


# --- Shapes: every input is seen as (N, C, L) ------------------------------------------------
#
# Batch norm reduces over every dimension except the channel dimension 1. Viewing an
# (N, C, *) input as (N, C, L) (or keeping (N, C) as it is) lets one set of helpers serve
# BatchNorm1d on (N, C) and (N, C, L) and BatchNorm2d on (N, C, H, W).


def _flat(t: Tensor) -> Tensor:
    return t if t.dim() == 2 else t.reshape(t.shape[0], t.shape[1], -1)


def _reduce_dims(t: Tensor) -> tuple[int, ...]:
    return (0,) if t.dim() == 2 else (0, 2)


def _per_channel(v: Tensor, like: Tensor) -> Tensor:
    """A (C,) vector shaped to broadcast against `like` = (N, C) or (N, C, L)."""
    return v.view(1, -1) if like.dim() == 2 else v.view(1, -1, 1)


def _channel_sum(t: Tensor) -> Tensor:
    return t.sum(_reduce_dims(t))


def _channel_dot(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor | None]:
    r"""\(\sum a\,b\) per channel, and the scratch tensor it used (or `None`).

    On (N, C, L) the N·C rows are contiguous vectors of length L, so one batched matrix
    product computes all their dot products, reading each input once and writing nothing big.
    On (N, C) the product is materialised and summed over columns; the caller may reuse that
    scratch tensor for its output instead of allocating another one.
    """
    if a.dim() == 2:
        product = a * b
        return product.sum(0), product
    n, c, length = a.shape
    rows = torch.bmm(a.reshape(n * c, 1, length), b.reshape(n * c, length, 1))
    return rows.view(n, c).sum(0), None


def _needs_two_passes(mean: Tensor, var: Tensor) -> bool:
    r"""Whether \(E[x^2] - \mu^2\) loses too many digits to cancellation.

    The one-pass variance has a relative error of about
    \(\varepsilon_\text{dtype}\,\mu^2/\sigma^2\); above \(10^{-5}\) (or for a variance
    \(\le 0\)) we redo it in two passes.
    """
    eps = torch.finfo(var.dtype).eps
    return bool((var <= (1e5 * eps) * mean.square()).any())


# --- The forward pass --------------------------------------------------------------------------


def _batch_statistics(x: Tensor) -> tuple[Tensor, Tensor, Tensor | None]:
    r"""Per-channel mean and *biased* variance of `x` = (N, C) or (N, C, L).

    One pass for \(\sum x\) and one for \(\sum x^2\) (a norm, which writes no temporary), then
    \(\sigma^2 = E[x^2] - \mu^2\); when cancellation would spoil that, the textbook two-pass
    \(\frac1m\sum (x-\mu)^2\). Returns (mean, var, a scratch tensor shaped like `x` or `None`).
    """
    dims = _reduce_dims(x)
    m = x.numel() // x.shape[1]
    mean = x.mean(dims)
    # Σx²: a norm reads (N, C, L) once without a temporary; on (N, C) the strided column
    # norm is slow, and squaring then summing columns is faster.
    scratch = None
    if x.dim() == 3:
        sum_sq = torch.linalg.vector_norm(x, dim=dims).square()
    else:
        sum_sq, scratch = _channel_dot(x, x)
    var = sum_sq / m - mean.square()
    if _needs_two_passes(mean, var):
        var = (x - _per_channel(mean, x)).square().mean(dims)
    return mean, var, scratch


def _affine(x: Tensor, scale: Tensor, shift: Tensor, out: Tensor | None = None) -> Tensor:
    """`x * scale + shift` per channel, in one pass over `x` (into `out` if given)."""
    if out is None:
        return torch.addcmul(_per_channel(shift, x), x, _per_channel(scale, x))
    return torch.addcmul(_per_channel(shift, x), x, _per_channel(scale, x), out=out)


# --- The backward pass -------------------------------------------------------------------------


def batch_norm_backward(
    grad_output: Tensor,
    input: Tensor,
    mean: Tensor,
    inv_std: Tensor,
    weight: Tensor | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    r"""Gradients of training-mode batch norm, derived by hand.

    Write \(g_i = \partial L/\partial y_i\) for the \(m\) values of one channel, and
    \(s = (\sigma^2+\epsilon)^{-1/2}\) for the inverse standard deviation, so that
    \(\hat x_i = (x_i - \mu)\,s\) and \(y_i = \gamma \hat x_i + \beta\). The parameters are easy:

    \[
    \frac{\partial L}{\partial \beta} = \sum_i g_i, \qquad
    \frac{\partial L}{\partial \gamma} = \sum_i g_i \hat x_i .
    \]

    For the input, the paper's chain rule goes through \(\hat x\), \(\sigma^2\) and \(\mu\)
    (every \(x_j\) moves the batch statistics, hence every \(\hat x_i\)):

    \[
    \frac{\partial L}{\partial \hat x_i} = \gamma g_i, \quad
    \frac{\partial L}{\partial \sigma^2} = -\frac{s^3}{2}\sum_i \gamma g_i (x_i-\mu), \quad
    \frac{\partial L}{\partial \mu} = -s\sum_i \gamma g_i, \quad
    \frac{\partial L}{\partial x_i} = \frac{\partial L}{\partial \hat x_i} s
      + \frac{\partial L}{\partial \sigma^2}\frac{2(x_i-\mu)}{m}
      + \frac{\partial L}{\partial \mu}\frac1m
    \]

    (the term of \(\partial L/\partial\mu\) through \(\sigma^2\) vanishes because
    \(\sum_i (x_i-\mu) = 0\)). Substituting \(x_i - \mu = \hat x_i / s\) collapses it to the
    compact form that only needs \(\hat x\) and \(s\):

    \[
    \frac{\partial L}{\partial x_i} = \frac{\gamma s}{m}
      \Big( m\,g_i - \sum_j g_j - \hat x_i \sum_j g_j \hat x_j \Big)
      = \frac{\gamma s}{m}\Big( m\,g_i - \frac{\partial L}{\partial \beta}
        - \hat x_i \frac{\partial L}{\partial \gamma}\Big).
    \]

    \(\hat x\) is never stored: it is affine in \(x\) per channel, so
    \(\sum_j g_j \hat x_j = s(\sum_j g_j x_j - \mu \sum_j g_j)\) and the input gradient is
    \(a\,g_i + b\,x_i + c\) with per-channel \(a, b, c\): two reductions and two passes over
    the big tensors (as in torch's kernel, which also keeps \(x\) rather than \(\hat x\)). When
    \(|\mu|\,s\) is so large that this would cancel digits, the centred \(x - \mu\) is used.

    Args:
        grad_output: \(\partial L/\partial y\), shaped like `input`.
        input: The input \(x\) of the forward pass, (N, C) or (N, C, *).
        mean: Batch mean \(\mu\) per channel, shape (C,).
        inv_std: \(s = (\sigma^2+\epsilon)^{-1/2}\) per channel, shape (C,).
        weight: \(\gamma\), shape (C,), or `None` for \(\gamma = 1\).

    Returns:
        `(grad_input, grad_weight, grad_bias)`: \(\partial L/\partial x\) shaped like `input`,
        \(\partial L/\partial \gamma\) and \(\partial L/\partial \beta\) of shape (C,).
    """
    if grad_output.shape != input.shape:
        raise ValueError(
            f"grad_output must have the shape of input {tuple(input.shape)}, "
            f"got {tuple(grad_output.shape)}"
        )
    _check_vector("mean", mean, input.shape[1])
    _check_vector("inv_std", inv_std, input.shape[1])
    if weight is not None:
        _check_vector("weight", weight, input.shape[1])
    return _backward(grad_output, input, mean, inv_std, weight)


def _backward(
    grad_output: Tensor, input: Tensor, mean: Tensor, inv_std: Tensor, weight: Tensor | None
) -> tuple[Tensor, Tensor, Tensor]:
    g, x = _flat(grad_output.contiguous()), _flat(input.contiguous())
    m = x.numel() // x.shape[1]
    scale = inv_std if weight is None else weight * inv_std  # γ s

    grad_bias = _channel_sum(g)  # Σ g
    centred = bool((mean * inv_std).square().max() * torch.finfo(x.dtype).eps > 1e-5)
    if centred:  # |μ| s too large: work with x - μ explicitly (one extra pass)
        x = x - _per_channel(mean, x)
        mean = torch.zeros_like(mean)
    dot, scratch = _channel_dot(g, x)
    grad_weight = inv_std * (dot - mean * grad_bias)  # Σ g x̂

    # ∂L/∂x = γs g − (γs/m) Σg − (γs/m) x̂ Σg x̂, with x̂ = s(x − μ):  a g + b x + c
    b = -scale * inv_std * grad_weight / m
    c = -scale * grad_bias / m - b * mean
    grad_input = _affine(x, b, c, out=scratch)  # reuse g·x's memory when there is one
    grad_input.addcmul_(g, _per_channel(scale, g))
    return grad_input.view(input.shape), grad_weight, grad_bias


class BatchNormFunction(torch.autograd.Function):
    r"""Training-mode batch norm with the hand-derived backward pass.

    `BatchNormFunction.apply(input, weight, bias, eps)` returns `(output, mean, var)`: the
    normalised, scaled and shifted input and the batch statistics (mean and *biased*
    variance, not differentiable) that [`batch_norm`][dlbasics.batch_norm.batch_norm] uses to
    update the running averages. `weight` and `bias` may be `None`. The backward pass is
    [`batch_norm_backward`][dlbasics.batch_norm.batch_norm_backward].
    """

    @staticmethod
    def forward(
        ctx: Any, input: Tensor, weight: Tensor | None, bias: Tensor | None, eps: float
    ) -> tuple[Tensor, Tensor, Tensor]:
        x = _flat(input.contiguous())
        mean, var, scratch = _batch_statistics(x)
        inv_std = torch.rsqrt(var + eps)
        # y = γ (x − μ) s + β = x (γ s) + (β − μ γ s): one pass over x.
        scale = inv_std if weight is None else weight * inv_std
        shift = -mean * scale if bias is None else bias - mean * scale
        output = _affine(x, scale, shift, out=scratch).view(input.shape)
        ctx.save_for_backward(input, weight, mean, inv_std)
        ctx.mark_non_differentiable(mean, var)
        return output, mean, var

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(
        ctx: Any, grad_output: Tensor, _grad_mean: Any, _grad_var: Any
    ) -> tuple[Tensor | None, Tensor | None, Tensor | None, None]:
        input, weight, mean, inv_std = ctx.saved_tensors
        grad_input, grad_weight, grad_bias = _backward(grad_output, input, mean, inv_std, weight)
        need_input, need_weight, need_bias, _ = ctx.needs_input_grad
        return (
            grad_input if need_input else None,
            grad_weight if need_weight else None,
            grad_bias if need_bias else None,
            None,
        )


# --- The functional form -----------------------------------------------------------------------


def _check_vector(name: str, value: Any, channels: int) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or None, got {type(value).__name__}")
    if value.shape != (channels,):
        raise ValueError(
            f"{name} must have shape ({channels},) (one value per channel of input), "
            f"got {tuple(value.shape)}"
        )


def _check_eps_momentum(eps: Any, momentum: Any, allow_none: bool) -> None:
    if isinstance(eps, bool) or not isinstance(eps, int | float) or not eps >= 0:
        raise ValueError(f"eps must be a number >= 0, got {eps!r}")
    if momentum is None and allow_none:
        return
    if isinstance(momentum, bool) or not isinstance(momentum, int | float):
        expected = "a number in [0, 1] or None" if allow_none else "a number in [0, 1]"
        raise ValueError(f"momentum must be {expected}, got {momentum!r}")
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    r"""Batch normalization over every dimension of `input` except the channel dimension 1.

    Same arguments and numbers as `torch.nn.functional.batch_norm`.

    **Training** (`training=True`): normalise with the statistics of this batch, the mean
    \(\mu\) and the *biased* variance \(\sigma^2 = \frac1m\sum_i (x_i-\mu)^2\) over the
    \(m = N \cdot L\) values of each channel, then scale and shift:

    \[
    y = \gamma\,\frac{x-\mu}{\sqrt{\sigma^2+\epsilon}} + \beta .
    \]

    If running statistics are given they are updated **in place**, with `momentum` weighting
    the *new* batch statistic, and with the *unbiased* variance:

    \[
    \hat\mu \leftarrow (1-\text{momentum})\,\hat\mu + \text{momentum}\,\mu, \qquad
    \hat\sigma^2 \leftarrow (1-\text{momentum})\,\hat\sigma^2
        + \text{momentum}\,\frac{m}{m-1}\sigma^2 .
    \]

    The gradient runs through [`BatchNormFunction`][dlbasics.batch_norm.BatchNormFunction].

    **Evaluation** (`training=False`): an affine map with the running statistics,
    \(y = \gamma (x-\hat\mu)/\sqrt{\hat\sigma^2+\epsilon} + \beta\); autograd differentiates it.

    Args:
        input: (N, C) or (N, C, *) floating tensor.
        running_mean: \(\hat\mu\), shape (C,), or `None` (then `training` must be true).
        running_var: \(\hat\sigma^2\), shape (C,), or `None` (then `training` must be true).
        weight: \(\gamma\), shape (C,), or `None` for 1.
        bias: \(\beta\), shape (C,), or `None` for 0.
        training: Use (and track) batch statistics instead of the running ones.
        momentum: Weight of the new batch statistic in the running averages, in [0, 1].
        eps: \(\epsilon \ge 0\), added to the variance for numerical stability.

    Returns:
        The normalised tensor, shaped like `input`.

    Raises:
        ValueError: `input` with fewer than 2 dimensions, or a single value per channel in
            training; statistics or parameters whose shape is not (C,); missing running
            statistics in evaluation; `eps < 0`; `momentum` outside [0, 1].
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"input must be a torch.Tensor, got {type(input).__name__}")
    if input.dim() < 2:
        raise ValueError(
            f"input must have at least 2 dimensions (N, C, *), got shape {tuple(input.shape)}"
        )
    _check_floating(input)
    channels = input.shape[1]
    for name, value in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if value is not None:
            _check_vector(name, value, channels)
    _check_eps_momentum(eps, momentum, allow_none=False)
    if not training and (running_mean is None or running_var is None):
        missing = "running_mean" if running_mean is None else "running_var"
        raise ValueError(
            f"{missing} must be a tensor in evaluation mode (training=False), got None"
        )
    _check_values_per_channel(input, training)
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def _check_floating(input: Tensor) -> None:
    if not input.is_floating_point():
        raise TypeError(f"input must be a floating-point tensor, got dtype {input.dtype}")


def _check_values_per_channel(input: Tensor, training: bool) -> None:
    # One value per channel has no variance: the unbiased running variance would divide by 0.
    m = input.numel() // input.shape[1] if input.shape[1] else 0
    if training and m <= 1:
        raise ValueError(
            "input must have more than 1 value per channel when training, "
            f"got shape {tuple(input.shape)}"
        )


def _batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None,
    bias: Tensor | None,
    training: bool,
    momentum: float,
    eps: float,
) -> Tensor:
    """`batch_norm` once its arguments are known to be valid."""
    if training:
        m = input.numel() // input.shape[1]
        output, mean, var = BatchNormFunction.apply(input, weight, bias, eps)
        with torch.no_grad():  # lerp: (1 − momentum) · running + momentum · batch
            if running_mean is not None:
                running_mean.lerp_(mean.to(running_mean.dtype), momentum)
            if running_var is not None:
                unbiased = var * (m / (m - 1))
                running_var.lerp_(unbiased.to(running_var.dtype), momentum)
        return output

    assert running_mean is not None and running_var is not None
    inv_std = torch.rsqrt(running_var + eps)
    scale = inv_std if weight is None else weight * inv_std
    shift = -running_mean * scale if bias is None else bias - running_mean * scale
    return _affine(_flat(input), scale, shift).view(input.shape)


# --- The modules -------------------------------------------------------------------------------


class _BatchNorm(nn.Module):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the shapes they accept."""

    _version = 2  # torch's version of the state dict format (with num_batches_tracked)
    _dims: tuple[int, ...] = ()
    _shape_text = ""

    running_mean: Tensor | None
    running_var: Tensor | None
    num_batches_tracked: Tensor | None

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 1:
            raise ValueError(f"num_features must be a positive integer, got {num_features!r}")
        _check_eps_momentum(eps, momentum, allow_none=True)
        factory: dict[str, Any] = {"device": device, "dtype": dtype}
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = nn.Parameter(torch.empty(num_features, **factory))
            if bias:
                self.bias = nn.Parameter(torch.empty(num_features, **factory))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features, **factory))
            self.register_buffer("running_var", torch.ones(num_features, **factory))
            self.register_buffer(
                "num_batches_tracked", torch.tensor(0, dtype=torch.long, device=device)
            )
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batch tracked."""
        if self.track_running_stats:
            assert self.running_mean is not None and self.running_var is not None
            assert self.num_batches_tracked is not None
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics, and \\(\\gamma = 1\\), \\(\\beta = 0\\)."""
        self.reset_running_stats()
        if self.affine:
            nn.init.ones_(self.weight)
            if self.bias is not None:
                nn.init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        """Normalise `input` with batch statistics (training) or running ones (evaluation)."""
        if not isinstance(input, Tensor):
            raise TypeError(f"input must be a torch.Tensor, got {type(input).__name__}")
        if input.dim() not in self._dims:
            raise ValueError(
                f"input must be {self._shape_text}, got {input.dim()}-D input of shape "
                f"{tuple(input.shape)}"
            )
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"input must have num_features={self.num_features} channels in dimension 1, "
                f"got shape {tuple(input.shape)}"
            )
        _check_floating(input)
        # momentum=None: a cumulative moving average, the k-th batch weighted 1/k.
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)
        # Batch statistics in training, and in evaluation when none are tracked.
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        _check_values_per_channel(input, use_batch)
        return _batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )

    def _load_from_state_dict(
        self,
        state_dict: dict[str, Any],
        prefix: str,
        local_metadata: dict[str, Any],
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        # State dicts saved before num_batches_tracked existed (version < 2) load with 0.
        version = local_metadata.get("version")
        key = prefix + "num_batches_tracked"
        if (version is None or version < 2) and self.track_running_stats and key not in state_dict:
            state_dict[key] = torch.tensor(0, dtype=torch.long)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )


class BatchNorm1d(_BatchNorm):
    r"""Batch normalization of (N, C) or (N, C, L) inputs: our `torch.nn.BatchNorm1d`.

    Each of the C features is normalised over the batch (and the length L), then scaled by
    \(\gamma\) (`weight`) and shifted by \(\beta\) (`bias`); see
    [`batch_norm`][dlbasics.batch_norm.batch_norm] for the equations.

    Args:
        num_features: C, the number of features or channels.
        eps: \(\epsilon\) added to the variance.
        momentum: Weight of the new batch statistic in the running averages (torch's
            convention: `running = (1 - momentum) * running + momentum * batch`), or `None`
            for a cumulative moving average (batch \(k\) weighted \(1/k\)).
        affine: Learn \(\gamma\) and \(\beta\); otherwise \(\gamma = 1\), \(\beta = 0\).
        track_running_stats: Keep `running_mean`, `running_var` and `num_batches_tracked`
            buffers and use them in evaluation; otherwise batch statistics are used in both
            modes.
        device: Device of the parameters and buffers.
        dtype: Floating dtype of the parameters and buffers.
        bias: With `affine`, learn \(\beta\) too (keyword only, as in torch).

    The `state_dict` keys (`weight`, `bias`, `running_mean`, `running_var`,
    `num_batches_tracked`) are torch's, so weights load into torch's module and back.
    """

    _dims = (2, 3)
    _shape_text = "2-D (N, C) or 3-D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    r"""Batch normalization of (N, C, H, W) feature maps: our `torch.nn.BatchNorm2d`.

    Each channel is normalised over the batch and all H·W positions (the statistics are
    shared across positions, as the convolution's weights are), then scaled and shifted.
    Arguments, defaults, buffers and `state_dict` keys are those of
    [`BatchNorm1d`][dlbasics.batch_norm.BatchNorm1d] and of `torch.nn.BatchNorm2d`.
    """

    _dims = (4,)
    _shape_text = "4-D (N, C, H, W)"


# --- Experiments for the page -----------------------------------------------------------------
#
# Everything below serves docs/batch-normalization.md: small networks on scikit-learn's
# digits, trained with plain SGD, with and without our BatchNorm1d/2d. The `@cached`
# functions return plain data (numbers, arrays, dicts); the `plot_*` functions turn that
# data into inline figures. Seeds fix the initialisation and the order of the batches.


_HIDDEN = (100, 100, 100)  # the paper's MNIST network: 3 hidden layers of 100 sigmoid units
_BATCH = 60  # ... trained on mini-batches of 60


class _GhostBatchNorm1d(BatchNorm1d):
    """BatchNorm1d whose training statistics come from consecutive chunks of `ghost` examples.

    All chunks are normalised at once: (k·g, C) is rearranged to (g, k·C), so that each
    (chunk, channel) pair is one channel of a plain batch norm over g values. The running
    averages are updated once per batch, with the chunk means and unbiased chunk variances
    averaged over the chunks.
    """

    def __init__(self, num_features: int, ghost: int) -> None:
        super().__init__(num_features)
        self.ghost = ghost

    def forward(self, input: Tensor) -> Tensor:
        n, c = input.shape
        g = self.ghost
        if not self.training or n <= g:
            return super().forward(input)
        if n % g:
            raise ValueError(f"input: batch of {n} is not a multiple of ghost={g}")
        k = n // g
        chunks = input.view(k, g, c)
        x = chunks.transpose(0, 1).reshape(g, k * c)
        y = batch_norm(x, None, None, training=True, eps=self.eps)
        y = y.view(g, k, c).transpose(0, 1).reshape(n, c)
        assert self.running_mean is not None and self.running_var is not None
        assert self.num_batches_tracked is not None and self.momentum is not None
        with torch.no_grad():
            self.num_batches_tracked.add_(1)
            self.running_mean.lerp_(chunks.mean(1).mean(0), self.momentum)
            self.running_var.lerp_(chunks.var(1).mean(0), self.momentum)
        return y * self.weight + self.bias


class _MLP(nn.Module):
    """Linear layers with a sigmoid or ReLU, and batch norm before or after the activation."""

    def __init__(
        self,
        bn: str = "before",
        activation: str = "sigmoid",
        hidden: tuple[int, ...] = _HIDDEN,
        affine: bool = True,
        ghost: int | None = None,
        norm: type[nn.Module] = BatchNorm1d,
    ) -> None:
        super().__init__()
        if bn not in ("none", "before", "after"):
            raise ValueError(f"bn must be 'none', 'before' or 'after', got {bn!r}")
        if activation not in ("sigmoid", "relu"):
            raise ValueError(f"activation must be 'sigmoid' or 'relu', got {activation!r}")
        self.bn = bn
        self.act = torch.sigmoid if activation == "sigmoid" else torch.relu
        sizes = (64, *hidden)
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))
        self.out = nn.Linear(sizes[-1], 10)
        norms: list[nn.Module] = []
        for width in hidden:
            if bn == "none":
                norms.append(nn.Identity())
            elif ghost is not None:
                norms.append(_GhostBatchNorm1d(width, ghost))
            else:
                norms.append(norm(width, affine=affine))
        self.norms = nn.ModuleList(norms)

    def layers(self, x: Tensor) -> tuple[Tensor, list[Tensor], list[Tensor]]:
        """Logits, the inputs of each activation, and the inputs of each linear layer."""
        act_inputs, layer_inputs = [], []
        h = x
        for linear, norm in zip(self.linears, self.norms, strict=True):
            layer_inputs.append(h)
            z = linear(h)
            if self.bn == "before":
                z = norm(z)
            act_inputs.append(z)
            h = self.act(z)
            if self.bn == "after":
                h = norm(h)
        layer_inputs.append(h)
        return self.out(h), act_inputs, layer_inputs

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)[0]


class _ConvNet(nn.Module):
    """Two 3×3 convolutions (16 and 32 channels) on the 8×8 digits, optional BatchNorm2d."""

    def __init__(self, bn: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.bn1: nn.Module = BatchNorm2d(16) if bn else nn.Identity()
        self.bn2: nn.Module = BatchNorm2d(32) if bn else nn.Identity()
        self.out = nn.Linear(32 * 4 * 4, 10)

    def forward(self, x: Tensor) -> Tensor:
        h = torch.relu(self.bn1(self.conv1(x)))
        h = torch.relu(self.bn2(self.conv2(h)))
        h = torch.nn.functional.max_pool2d(h, 2)  # 8×8 → 4×4
        return self.out(h.flatten(1))


def _digits(images: bool = False, dtype: torch.dtype = torch.float32) -> Any:
    from dlbasics.datasets import load_digits_split

    return load_digits_split(images=images, dtype=dtype)


def _accuracy(model: nn.Module, x: Tensor, y: Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def _loss(model: nn.Module, x: Tensor, y: Tensor) -> float:
    with torch.no_grad():
        return float(torch.nn.functional.cross_entropy(model(x), y))


def _batches(n: int, batch_size: int, steps: int, seed: int) -> Tensor:
    """Indices of `steps` mini-batches drawn without replacement within each epoch."""
    gen = torch.Generator().manual_seed(seed)
    per_epoch = n // batch_size
    epochs = -(-steps // per_epoch)
    order = torch.cat(
        [torch.randperm(n, generator=gen)[: per_epoch * batch_size] for _ in range(epochs)]
    )
    return order.view(-1, batch_size)[:steps]


def _state(model: nn.Module) -> dict[str, Any]:
    return {k: v.detach().clone().numpy() for k, v in model.state_dict().items()}


def _load(model: nn.Module, state: dict[str, Any]) -> nn.Module:
    model.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
    return model


def _train(
    model: nn.Module,
    data: Any,
    lr: float,
    steps: int,
    seed: int,
    batch_size: int = _BATCH,
    eval_every: int = 25,
    unit: tuple[int, int] | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Plain SGD on cross-entropy; test accuracy (eval mode) every `eval_every` steps.

    `unit = (layer, index)` also records the 15th, 50th and 85th percentiles, over the test
    set, of the input of that activation (the paper's Figure 1(b, c)).
    """
    from tqdm.auto import tqdm

    opt = torch.optim.SGD(model.parameters(), lr=lr)
    batches = _batches(len(data.x_train), batch_size, steps, seed + 1)
    record: dict[str, list[Any]] = {"step": [], "test_acc": [], "train_loss": [], "unit": []}
    running = 0.0

    def evaluate(step: int) -> None:
        model.eval()
        record["step"].append(step)
        record["test_acc"].append(_accuracy(model, data.x_test, data.y_test))
        record["train_loss"].append(running)
        if unit is not None:
            with torch.no_grad():
                z = model.layers(data.x_test)[1][unit[0]][:, unit[1]]  # type: ignore[operator]
            record["unit"].append(torch.quantile(z, torch.tensor([0.15, 0.5, 0.85])).tolist())
        model.train()

    model.train()
    evaluate(0)
    for step, idx in enumerate(tqdm(batches, disable=not progress, desc="training"), start=1):
        loss = torch.nn.functional.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        running = loss.item() if step == 1 else 0.9 * running + 0.1 * loss.item()
        if step % eval_every == 0:
            evaluate(step)
    model.eval()
    return {key: np.asarray(value) for key, value in record.items()}


def steps_to_accuracy(curve: dict[str, Any], level: float) -> int | None:
    """The first evaluated step at which a training record's test accuracy reaches `level`."""
    hit = np.nonzero(curve["test_acc"] >= level)[0]
    return int(curve["step"][hit[0]]) if hit.size else None


# --- Experiment: normalising the inputs, and faster training at higher learning rates ---------


@cached
@torch_threads(1)
def input_scaling_experiment(
    lrs: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0),
    steps: int = 200,
    seed: int = 0,
) -> dict[str, Any]:
    """Softmax regression on three versions of the same pixels, over a range of rates.

    The inputs: raw pixels (0–16), the same pixels standardised per pixel, and standardised
    pixels each multiplied by a fixed random factor between 0.1 and 10 (features on very
    different scales). Full-batch gradient descent on the training set; returns the final
    training loss for each (version, rate), NaN where it diverged.
    """
    from dlbasics.datasets import load_digits_split

    plain = load_digits_split(standardize=False)
    standard = _digits()
    factors = 10 ** (torch.rand(64, generator=torch.Generator().manual_seed(seed)) * 2 - 1)
    versions = {
        "raw pixels (0 to 16)": plain.x_train * 16,
        "standardised pixels": standard.x_train,
        "standardised × random scale (0.1 to 10)": standard.x_train * factors,
    }
    y = standard.y_train
    out: dict[str, Any] = {"lrs": list(lrs), "loss": {}}
    for name, x in versions.items():
        losses = []
        for lr in lrs:
            torch.manual_seed(seed)
            model = nn.Linear(64, 10)
            opt = torch.optim.SGD(model.parameters(), lr=lr)
            for _ in range(steps):
                loss = torch.nn.functional.cross_entropy(model(x), y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            final = _loss(model, x, y)
            losses.append(final if np.isfinite(final) else float("nan"))
        out["loss"][name] = losses
    return out


@cached
@torch_threads(1)
def learning_rate_experiment(
    lrs: tuple[float, ...] = (0.05, 0.5, 3.0, 15.0),
    steps: int = 1500,
    seed: int = 0,
    unit: tuple[int, int] = (2, 0),
    progress: bool = False,
) -> dict[str, Any]:
    """The paper's Figure 1 in small: the sigmoid MLP with and without BN at several rates.

    Returns, for each `(lr, bn)` with `bn` in `("none", "before")`, the training record of
    `_train` (test accuracy every 25 steps and the percentiles of the input of `unit`), and
    the final weights of every run (`"states"`) for the later experiments.
    """
    data = _digits()
    runs, states = {}, {}
    for lr in lrs:
        for bn in ("none", "before"):
            torch.manual_seed(seed)
            model = _MLP(bn=bn)
            runs[(lr, bn)] = _train(model, data, lr, steps, seed, unit=unit, progress=progress)
            states[(lr, bn)] = _state(model)
    return {"runs": runs, "states": states, "lrs": list(lrs), "steps": steps, "unit": unit}


def _trained_mlp(result: dict[str, Any], lr: float, bn: str) -> _MLP:
    """The network that `learning_rate_experiment` returned in `result`, at `lr` (eval mode).

    Callers fetch `result` once: without the disk cache every call would train the sweep."""
    model = _MLP(bn=bn)
    _load(model, result["states"][(lr, bn)])
    return model.eval()


# --- Experiment: covariate shift of the inputs -------------------------------------------------

#: Pixel transforms x ↦ a·x + b on the [0, 1] pixels, applied to the test images only.
SHIFTS: dict[str, tuple[float, float]] = {
    "none (as trained)": (1.0, 0.0),
    "darker: 0.5·x": (0.5, 0.0),
    "brighter: x + 0.3": (1.0, 0.3),
    "washed out: 0.3·x + 0.5": (0.3, 0.5),
    "inverted: 1 − x": (-1.0, 1.0),
}


@cached
@torch_threads(1)
def covariate_shift_experiment(lr: float = 0.5, seed: int = 0) -> dict[str, Any]:
    """Test accuracy of the trained MLPs when the test pixels are transformed by `SHIFTS`.

    Three ways of evaluating: the network without BN; the BN network in eval mode (running
    statistics from training); the BN network normalising with the statistics of the
    shifted test set itself (all 449 images as one batch).
    """
    from dlbasics.datasets import load_digits_split

    plain = load_digits_split(standardize=False)
    mean = plain.x_train.mean(0)
    std = plain.x_train.std(0, unbiased=False)
    std[std == 0] = 1.0
    trained = learning_rate_experiment(seed=seed)
    no_bn, bn = _trained_mlp(trained, lr, "none"), _trained_mlp(trained, lr, "before")
    rows = {}
    for name, (a, b) in SHIFTS.items():
        x = ((a * plain.x_test + b) - mean) / std  # shifted, then standardised as in training
        with torch.no_grad():  # a copy in training mode normalises with the test set's statistics
            batch_acc = float(
                (copy.deepcopy(bn).train()(x).argmax(1) == plain.y_test).float().mean()
            )
        rows[name] = {
            "no BN": _accuracy(no_bn, x, plain.y_test),
            "BN, running statistics": _accuracy(bn, x, plain.y_test),
            "BN, test-batch statistics": batch_acc,
        }
    return rows


# --- Experiment: the training path (internal covariate shift, smoothness) ---------------------


def _flat_grad(params: list[nn.Parameter]) -> Tensor:
    return torch.cat([p.grad.reshape(-1) for p in params])  # type: ignore[union-attr]


@cached
@torch_threads(1)
def training_path_experiment(
    lr: float = 0.5,
    steps: int = 1000,
    every: int = 25,
    step_sizes: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0),
    layer: int = 2,
    seed: int = 0,
) -> dict[str, Any]:
    r"""Measurements along the SGD path of the sigmoid MLP, with and without BN.

    Every `every` steps, on the current mini-batch, with gradient \(g\) and rate \(\eta\):

    - *distribution shift* of the input of hidden layer `layer` caused by the update of the
      layers before it alone: the change of each unit's mean and standard deviation over the
      batch, relative to its standard deviation, averaged over units;
    - *gradient shift* (Santurkar et al.'s internal covariate shift):
      \(\lVert G - G'\rVert / \lVert G\rVert\) for the gradient \(G\) of that layer's weights
      before and \(G'\) after the earlier layers take their step;
    - *loss variation* along the gradient: the range of \(L(w - k\eta g)\) over the
      multipliers \(k\) in `step_sizes`;
    - *gradient predictiveness*: the largest \(\lVert\nabla L(w - k\eta g) - \nabla L(w)\rVert\)
      over \(k\), and the "effective β-smoothness", that change divided by \(\lVert k\eta g\rVert\).
    """
    data = _digits()
    batches = _batches(len(data.x_train), _BATCH, steps, seed + 1)
    out: dict[str, Any] = {}
    for bn in ("none", "before"):
        torch.manual_seed(seed)
        model = _MLP(bn=bn)
        params = list(model.parameters())
        opt = torch.optim.SGD(params, lr=lr)
        earlier = [p for i in range(layer) for p in model.linears[i].parameters()]
        earlier += [p for i in range(layer) for p in model.norms[i].parameters()]
        target: nn.Parameter = model.linears[layer].weight  # type: ignore[assignment]
        record: dict[str, list[float]] = {
            k: [] for k in ("step", "dist_shift", "grad_shift", "loss_range", "grad_change", "beta")
        }
        model.train()
        for step, idx in enumerate(batches, start=1):
            x, y = data.x_train[idx], data.y_train[idx]

            if step % every == 0:
                _measure(model, x, y, lr, step_sizes, layer, earlier, target, params, record)
                record["step"].append(step)
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        out[bn] = {k: np.asarray(v) for k, v in record.items()}
    return out


def _measure(
    model: _MLP,
    x: Tensor,
    y: Tensor,
    lr: float,
    step_sizes: tuple[float, ...],
    layer: int,
    earlier: list[nn.Parameter],
    target: nn.Parameter,
    params: list[nn.Parameter],
    record: dict[str, list[float]],
) -> None:
    """One set of `training_path_experiment` measurements; leaves the weights unchanged.

    Batch-norm running statistics are saved and restored, so measuring does not move them.
    """
    buffers = {k: v.clone() for k, v in model.state_dict().items() if "running" in k or "num_" in k}
    saved = [p.detach().clone() for p in params]

    def grads() -> tuple[float, Tensor, Tensor]:
        model.zero_grad(set_to_none=True)
        logits, _, layer_inputs = model.layers(x)
        loss = torch.nn.functional.cross_entropy(logits, y)
        loss.backward()
        return loss.item(), layer_inputs[layer].detach(), _flat_grad(params)

    loss0, h0, g0 = grads()
    target_grad0 = target.grad.detach().clone()  # type: ignore[union-attr]
    # The earlier layers take their SGD step; the layer `layer` and later stay put.
    with torch.no_grad():
        for p in earlier:
            p.sub_(lr * p.grad)  # type: ignore[operator]
    _, h1, _ = grads()
    target_grad1 = target.grad.detach().clone()  # type: ignore[union-attr]
    std0 = h0.std(0) + 1e-8
    shift = ((h1.mean(0) - h0.mean(0)).abs() + (h1.std(0) - h0.std(0)).abs()) / std0
    record["dist_shift"].append(float(shift.mean()))
    record["grad_shift"].append(float((target_grad1 - target_grad0).norm() / target_grad0.norm()))
    # Along the full gradient direction from the original weights.
    losses, changes, betas = [loss0], [], []
    for k in step_sizes:
        with torch.no_grad():
            for p, w, gi in zip(params, saved, _split(g0, params), strict=True):
                p.copy_(w - k * lr * gi)
        loss_k, _, g_k = grads()
        losses.append(loss_k)
        change = float((g_k - g0).norm())
        changes.append(change)
        betas.append(change / (k * lr * float(g0.norm()) + 1e-12))
    record["loss_range"].append(max(losses) - min(losses))
    record["grad_change"].append(max(changes))
    record["beta"].append(max(betas))
    with torch.no_grad():
        for p, w in zip(params, saved, strict=True):
            p.copy_(w)
    model.load_state_dict(buffers, strict=False)
    model.zero_grad(set_to_none=True)


def _split(flat: Tensor, params: list[nn.Parameter]) -> list[Tensor]:
    sizes = [p.numel() for p in params]
    return [chunk.view_as(p) for chunk, p in zip(flat.split(sizes), params, strict=True)]


# --- Experiment: does each layer see a steadier input? ----------------------------------------


@cached
@torch_threads(1)
def scale_invariance_experiment(
    factors: tuple[float, ...] = (0.1, 0.5, 2.0, 10.0), lr: float = 0.5, seed: int = 0
) -> dict[str, Any]:
    r"""Multiply the first layer's weights by a factor; how much does layer 3's input move?

    For the trained networks: the relative change \(\lVert h' - h\rVert / \lVert h\rVert\)
    of the input \(h\) of the last hidden layer over the test set, and the test accuracy,
    after scaling the first layer's weight matrix. The BN network is evaluated twice: with
    batch statistics (the whole test set as one batch, as during training) and with its
    running statistics (as at test time).
    """
    data = _digits()
    settings = {
        "no BN": ("none", False),
        "BN, batch statistics": ("before", True),
        "BN, running statistics": ("before", False),
    }
    out: dict[str, Any] = {"factors": list(factors), "settings": list(settings)}
    trained = learning_rate_experiment(seed=seed)
    for name, (bn, batch_stats) in settings.items():
        model = _trained_mlp(trained, lr, bn)
        if batch_stats:
            model.train()
            for norm in model.norms:
                cast(BatchNorm1d, norm).momentum = 0.0  # use the batch, keep the averages
        with torch.no_grad():
            h0 = model.layers(data.x_test)[2][2]
            weight = cast(Tensor, model.linears[0].weight)
            original = weight.clone()
            changes, accs = [], []
            for f in factors:
                weight.copy_(original * f)
                logits, _, inputs = model.layers(data.x_test)
                changes.append(float((inputs[2] - h0).norm() / h0.norm()))
                accs.append(float((logits.argmax(1) == data.y_test).float().mean()))
            weight.copy_(original)
        out[name] = {"change": changes, "accuracy": accs}
    return out


# --- Experiment: why γ and β -------------------------------------------------------------------


@cached
@torch_threads(1)
def gamma_beta_experiment(
    lr: float = 0.5, steps: int = 1000, seeds: tuple[int, ...] = (0, 1, 2)
) -> dict[str, Any]:
    """The sigmoid MLP with BN, with learned γ and β, and with γ = 1 and β = 0 frozen.

    Returns the final test accuracy and training loss per seed, and for the learned run of
    the first seed the learned γ and β of every layer and the share of sigmoid inputs (on the
    test set) in the nearly linear range |z| < 1, for both variants.
    """
    data = _digits()
    out: dict[str, Any] = {"seeds": list(seeds)}
    for name, affine in (("learned γ, β", True), ("frozen γ = 1, β = 0", False)):
        accs, losses, linear_share = [], [], []
        gammas: list[Any] = []
        betas: list[Any] = []
        for seed in seeds:
            torch.manual_seed(seed)
            model = _MLP(bn="before", affine=affine)
            run = _train(model, data, lr, steps, seed, eval_every=steps)
            accs.append(float(run["test_acc"][-1]))
            losses.append(_loss(model, data.x_train, data.y_train))
            with torch.no_grad():
                z = model.layers(data.x_test)[1]
            linear_share.append([float((zi.abs() < 1).float().mean()) for zi in z])
            if affine and seed == seeds[0]:
                for norm in model.norms:
                    gammas.append(cast(BatchNorm1d, norm).weight.detach().numpy().copy())
                    betas.append(cast(BatchNorm1d, norm).bias.detach().numpy().copy())
        out[name] = {
            "test_acc": accs,
            "train_loss": losses,
            "linear_share": linear_share,
            "gamma": gammas,
            "beta": betas,
        }
    return out


def identity_check(seed: int = 0) -> dict[str, float]:
    r"""BN can undo itself: with \(\gamma = \sqrt{\sigma^2+\epsilon}\), \(\beta = \mu\), y = x.

    Returns the largest |y − x| on a random batch (float64) and, for comparison, the largest
    |y − x| with γ = 1, β = 0.
    """
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(60, 5, dtype=torch.float64, generator=gen) * 3 + 2
    mean, var = x.mean(0), x.var(0, unbiased=False)
    bn = BatchNorm1d(5, dtype=torch.float64)
    with torch.no_grad():
        plain = bn(x)
        bn.weight.copy_(torch.sqrt(var + bn.eps))
        bn.bias.copy_(mean)
        identity = bn(x)
    return {
        "identity": float((identity - x).abs().max()),
        "plain": float((plain - x).abs().max()),
    }


# --- Experiment: before or after the activation ------------------------------------------------


@cached
@torch_threads(1)
def placement_experiment(
    lr: float = 0.1,
    steps: int = 1000,
    seeds: tuple[int, ...] = (0, 1, 2),
    activation: str = "relu",
) -> dict[str, Any]:
    """The same MLP with BN before the activation, after it, and without BN, several seeds."""
    data = _digits()
    out: dict[str, Any] = {"seeds": list(seeds), "lr": lr, "activation": activation}
    for bn in ("before", "after", "none"):
        runs = []
        for seed in seeds:
            torch.manual_seed(seed)
            model = _MLP(bn=bn, activation=activation)
            run = _train(model, data, lr, steps, seed)
            run["final_train_loss"] = _loss(model, data.x_train, data.y_train)
            runs.append(run)
        out[bn] = runs
    return out


# --- Experiment: batch norm on feature maps ----------------------------------------------------


@cached
@torch_threads(1)
def conv_experiment(
    lrs: tuple[float, ...] = (0.02, 0.2), steps: int = 600, seed: int = 0
) -> dict[str, Any]:
    """A two-layer convolutional network on the 8×8 images, with and without BatchNorm2d."""
    data = _digits(images=True)
    out: dict[str, Any] = {"lrs": list(lrs), "runs": {}}
    for lr in lrs:
        for bn in (False, True):
            torch.manual_seed(seed)
            out["runs"][(lr, bn)] = _train(_ConvNet(bn), data, lr, steps, seed)
    return out


def feature_map_statistics(seed: int = 0) -> dict[str, Any]:
    """Per-channel mean and std of the first conv layer's maps, before and after BatchNorm2d.

    Uses an untrained convolution on a batch of 60 digit images; the statistics are taken, as
    BatchNorm2d takes them, over the batch and all 8×8 positions of each channel.
    """
    torch.manual_seed(seed)
    x = _digits(images=True).x_train[:60]
    conv, bn = nn.Conv2d(1, 4, 3, padding=1), BatchNorm2d(4)
    with torch.no_grad():
        maps = conv(x)
        normed = bn(maps)
    dims = (0, 2, 3)
    return {
        "shape": tuple(maps.shape),
        "m": maps.shape[0] * maps.shape[2] * maps.shape[3],
        "mean_before": maps.mean(dims).numpy(),
        "std_before": maps.std(dims, unbiased=False).numpy(),
        "mean_after": normed.mean(dims).numpy(),
        "std_after": normed.std(dims, unbiased=False).numpy(),
    }


# --- Experiment: the regularisation effect -----------------------------------------------------


@cached
@torch_threads(1)
def batch_noise_experiment(
    batch_sizes: tuple[int, ...] = (4, 8, 16, 32, 64, 128, 256),
    draws: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """How noisy are the batch mean and variance of one unit, against the batch size?

    The unit: the first pre-activation of the first layer of the trained BN network (the input
    of its first BatchNorm1d), over the N training images. For each batch size B, `draws`
    random batches (drawn without replacement) give a standard deviation of the batch mean and
    of the (biased) batch variance. Also returned: σ, the fourth central moment μ₄ and N, for
    the predictions σ/√B·√((N−B)/(N−1)) (exact) and √((μ₄ − σ⁴)/B) (to leading order in 1/B).
    """
    data = _digits()
    model = _trained_mlp(learning_rate_experiment(seed=seed), 0.5, "before")
    with torch.no_grad():
        z = model.linears[0](data.x_train)[:, 0].double()
    gen = torch.Generator().manual_seed(seed)
    sigma = float(z.std(unbiased=False))
    mu4 = float(((z - z.mean()) ** 4).mean())
    out: dict[str, Any] = {
        "batch_sizes": list(batch_sizes),
        "sigma": sigma,
        "mu4": mu4,
        "n": len(z),
    }
    mean_sd, var_sd = [], []
    for b in batch_sizes:
        idx = torch.stack([torch.randperm(len(z), generator=gen)[:b] for _ in range(draws)])
        samples = z[idx]
        mean_sd.append(float(samples.mean(1).std()))
        var_sd.append(float(samples.var(1, unbiased=False).std()))
    out["mean_sd"], out["var_sd"] = mean_sd, var_sd
    return out


@cached
@torch_threads(1)
def ghost_batch_experiment(
    ghost_sizes: tuple[int, ...] = (4, 10, 30, 120),
    batch_size: int = 120,
    lr: float = 0.5,
    steps: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """The train/test gap when BN's statistics come from smaller pieces of each batch.

    Every run takes the same SGD steps on batches of `batch_size`; only the number of examples
    over which BN computes its mean and variance (the "ghost" batch) changes. The gradient
    noise of SGD is the same in all runs, so what changes is the noise BN injects. A run
    without BN is the reference.
    """
    data = _digits()
    out: dict[str, Any] = {"ghost_sizes": list(ghost_sizes), "runs": {}}
    for ghost in (*ghost_sizes, None):
        torch.manual_seed(seed)
        model = _MLP(bn="none") if ghost is None else _MLP(bn="before", ghost=ghost)
        _train(model, data, lr, steps, seed, batch_size=batch_size, eval_every=steps)
        out["runs"]["no BN" if ghost is None else ghost] = {
            "train_loss": _loss(model, data.x_train, data.y_train),
            "test_loss": _loss(model, data.x_test, data.y_test),
            "train_acc": _accuracy(model, data.x_train, data.y_train),
            "test_acc": _accuracy(model, data.x_test, data.y_test),
        }
    return out


# --- Experiment: batch norm at test time -------------------------------------------------------


@cached
@torch_threads(1)
def test_time_experiment(
    batch_sizes: tuple[int, ...] = (2, 4, 8, 16, 64, 256),
    draws: int = 200,
    example: int = 0,
    lr: float = 0.5,
    seed: int = 0,
) -> dict[str, Any]:
    """One test example evaluated with batch statistics, among random batch-mates.

    For each batch size B, `draws` batches made of test example `example` and B − 1 other
    random test images: the predicted probability of the example's true class when the BN
    network normalises with the batch's statistics (training-mode normalisation, running
    averages untouched), and the test accuracy when the whole test set is evaluated in
    shuffled batches of B that way. The eval-mode (running statistics) numbers are the
    reference: one value, whatever the batch.
    """
    data = _digits()
    model = _trained_mlp(learning_rate_experiment(seed=seed), lr, "before")
    batch_model = copy.deepcopy(model).train()
    for norm in batch_model.norms:
        cast(BatchNorm1d, norm).momentum = 0.0  # normalise with the batch, leave the averages
    gen = torch.Generator().manual_seed(seed)
    n = len(data.x_test)
    label = int(data.y_test[example])
    others = torch.cat([torch.arange(example), torch.arange(example + 1, n)])
    out: dict[str, Any] = {"batch_sizes": list(batch_sizes), "prob": [], "accuracy": []}
    with torch.no_grad():
        out["eval_prob"] = float(model(data.x_test[example : example + 1]).softmax(1)[0, label])
        out["eval_accuracy"] = _accuracy(model, data.x_test, data.y_test)
        for b in batch_sizes:
            probs = []
            for _ in range(draws):
                mates = others[torch.randperm(n - 1, generator=gen)[: b - 1]]
                x = torch.cat([data.x_test[example : example + 1], data.x_test[mates]])
                probs.append(float(batch_model(x).softmax(1)[0, label]))
            out["prob"].append(probs)
            order = torch.randperm(n, generator=gen)
            usable = (n // b) * b  # whole batches only
            correct = 0
            for chunk in order[:usable].split(b):
                correct += int(
                    (batch_model(data.x_test[chunk]).argmax(1) == data.y_test[chunk]).sum()
                )
            out["accuracy"].append(correct / usable)
    return out


def momentum_weights(momentum: float | None = 0.1, batches: int = 8) -> list[float]:
    """The weight of each past batch in `running_mean`, read off our BatchNorm1d.

    Batch k (of `batches`) has mean 1 in channel k and 0 elsewhere, so after feeding them all
    (from a running mean of 0) channel k of `running_mean` *is* the weight of batch k.
    Returned newest first.
    """
    bn = BatchNorm1d(batches, momentum=momentum, affine=False, dtype=torch.float64)
    for k in range(batches):
        x = torch.zeros(2, batches, dtype=torch.float64)
        x[0, k], x[1, k] = 0.5, 1.5  # mean 1 in channel k
        bn(x)
    assert bn.running_mean is not None
    return bn.running_mean.flip(0).tolist()


@cached
@torch_threads(1)
def running_statistics_experiment(
    batch_sizes: tuple[int, ...] = (2, 4, 16, 60),
    batches: int = 400,
    lr: float = 0.5,
    seed: int = 0,
) -> dict[str, Any]:
    """Biased batch variance vs torch's unbiased running variance, against the batch size.

    For the input of the first BatchNorm1d of the trained network, over the training set:
    the population variance σ² of each unit, the average over `batches` random batches of
    the *biased* batch variance (what training normalises with) and the running variance
    that BatchNorm1d(momentum=None) accumulates over the same batches (unbiased). Each is
    reported relative to σ², averaged over the 100 units.
    """
    data = _digits()
    model = _trained_mlp(learning_rate_experiment(seed=seed), lr, "before")
    with torch.no_grad():
        z = model.linears[0](data.x_train).double()
    population = z.var(0, unbiased=False)
    gen = torch.Generator().manual_seed(seed)
    out: dict[str, Any] = {"batch_sizes": list(batch_sizes), "biased": [], "running": []}
    for b in batch_sizes:
        bn = BatchNorm1d(z.shape[1], momentum=None, affine=False, dtype=torch.float64)
        biased = torch.zeros_like(population)
        for _ in range(batches):
            x = z[torch.randperm(len(z), generator=gen)[:b]]
            biased += x.var(0, unbiased=False) / batches
            bn(x)
        assert bn.running_var is not None
        out["biased"].append(float((biased / population).mean()))
        out["running"].append(float((bn.running_var / population).mean()))
    return out


# --- Experiment: our BatchNorm1d against torch's -----------------------------------------------


@cached
@torch_threads(1)
def ours_vs_torch_experiment(steps: int = 300, lr: float = 0.5, seed: int = 0) -> dict[str, Any]:
    """Train the sigmoid MLP twice from the same weights on the same batches: with our
    BatchNorm1d and with torch's. Largest output difference on the test set (train and eval
    mode) after 1 step and after `steps` steps, in float32 and float64.
    """
    out: dict[str, Any] = {"steps": steps}
    for dtype in (torch.float32, torch.float64):
        data = _digits(dtype=dtype)
        models = []
        for norm in (BatchNorm1d, nn.BatchNorm1d):
            torch.manual_seed(seed)
            models.append(_MLP(bn="before", norm=norm).to(dtype))
        batches = _batches(len(data.x_train), _BATCH, steps, seed + 1)
        opts = [torch.optim.SGD(m.parameters(), lr=lr) for m in models]
        row: dict[str, float] = {}
        for step, idx in enumerate(batches, start=1):
            for model, opt in zip(models, opts, strict=True):
                model.train()
                loss = torch.nn.functional.cross_entropy(
                    model(data.x_train[idx]), data.y_train[idx]
                )
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            if step in (1, steps):
                with torch.no_grad():
                    for mode in ("train", "eval"):
                        outs = [
                            copy.deepcopy(m).train(mode == "train")(data.x_test) for m in models
                        ]
                        row[f"{mode} mode, after {step} step{'s' if step > 1 else ''}"] = float(
                            (outs[0] - outs[1]).abs().max()
                        )
        out[str(dtype).replace("torch.", "")] = row
    return out


# --- Figures and tables for the page -----------------------------------------------------------
#
# Each takes the data returned by an experiment above and returns inline HTML (figures) or
# Markdown (tables). matplotlib is imported only here, so that importing the module stays light.


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_input_scaling(result: dict[str, Any]) -> str:
    """Final training loss of softmax regression against the learning rate, per input version."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.4)
    for name, losses in result["loss"].items():
        ax.plot(result["lrs"], losses, marker="o", label=name)
    ax.set(xscale="log", yscale="log", xlabel="learning rate", ylabel="training loss after GD")
    ax.legend()
    return to_svg(
        fig,
        alt="Final training loss of softmax regression against the learning rate, for raw, "
        "standardised and randomly rescaled pixels; missing points diverged.",
    )


def _mean_acc(run: dict[str, Any], last: int = 5) -> float:
    return float(np.mean(run["test_acc"][-last:]))


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_learning_rates(result: dict[str, Any]) -> str:
    """Test accuracy against steps, one panel per learning rate, with and without BN."""
    return _plot_accuracy_per_lr(
        result,
        (("none", "without BN"), ("before", "with BN")),
        width=9.6,
        legend_loc="center right",
        alt="Test accuracy against training steps of the sigmoid MLP with and without batch "
        "normalization, one panel per learning rate.",
    )


def _plot_accuracy_per_lr(
    result: dict[str, Any],
    variants: tuple[tuple[Any, str], tuple[Any, str]],
    *,
    width: float,
    legend_loc: str,
    alt: str,
) -> str:
    """Test accuracy against steps, one panel per learning rate: `result["runs"][(lr, key)]`
    for the (key, label) `variants`, without BN first (drawn in the second colour)."""
    from dlbasics.plotting import COLORS, new_figure, to_svg

    lrs = result["lrs"]
    fig, axes = new_figure(1, len(lrs), width=width, height=3.0, sharey=True)
    for ax, lr in zip(np.atleast_1d(axes), lrs, strict=True):
        for (key, label), color in zip(variants, (COLORS[1], COLORS[0]), strict=True):
            run = result["runs"][(lr, key)]
            ax.plot(run["step"], run["test_acc"], label=label, color=color)
        ax.set(title=f"learning rate {lr:g}", xlabel="training step", ylim=(0, 1))
    np.atleast_1d(axes)[0].set_ylabel("test accuracy")
    np.atleast_1d(axes)[0].legend(loc=legend_loc)
    return to_svg(fig, alt=alt)


@cached  # the figure's HTML too: a warm build then draws nothing
def table_learning_rates(result: dict[str, Any], levels: tuple[float, ...] = (0.9, 0.95)) -> str:
    """Steps to reach each test accuracy level, and the final accuracy, with and without BN."""
    from dlbasics.plotting import markdown_table

    headers = ["learning rate", "BN"]
    headers += [f"steps to {level:.0%} test accuracy" for level in levels]
    headers.append("final test accuracy (mean of last 5 evaluations)")
    rows = []
    for lr in result["lrs"]:
        for bn in ("none", "before"):
            run = result["runs"][(lr, bn)]
            reached = [steps_to_accuracy(run, level) for level in levels]
            rows.append(
                [f"{lr:g}", "yes" if bn == "before" else "no"]
                + [f"{s}" if s is not None else f"not in {result['steps']}" for s in reached]
                + [f"{_mean_acc(run):.3f}"]
            )
    return markdown_table(headers, rows)


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_unit_distribution(result: dict[str, Any], lr: float) -> str:
    """The paper's Figure 1(b, c): percentiles of one sigmoid's input over training."""
    from dlbasics.plotting import COLORS, new_figure, to_svg

    fig, axes = new_figure(1, 2, width=8.0, height=3.0, sharey=True)
    for ax, bn, title in zip(axes, ("none", "before"), ("without BN", "with BN"), strict=True):
        run = result["runs"][(lr, bn)]
        q = np.asarray(run["unit"])
        for i, (label, color) in enumerate(
            (("15th percentile", COLORS[2]), ("median", COLORS[0]), ("85th percentile", COLORS[3]))
        ):
            ax.plot(run["step"], q[:, i], label=label, color=color)
        ax.set(title=title, xlabel="training step")
    axes[0].set_ylabel("input of the sigmoid")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3)
    layer, unit = result["unit"]
    return to_svg(
        fig,
        alt=f"15th, 50th and 85th percentiles over the test set of the input of sigmoid {unit} "
        f"in hidden layer {layer + 1}, against training steps, without and with BN.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def table_covariate_shift(rows: dict[str, dict[str, float]]) -> str:
    """Test accuracy under each pixel transform, for the three ways of evaluating."""
    from dlbasics.plotting import markdown_table

    columns = list(next(iter(rows.values())))
    return markdown_table(
        ["test pixels", *columns],
        [[name, *(f"{v[c]:.3f}" for c in columns)] for name, v in rows.items()],
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_training_path(result: dict[str, Any]) -> str:
    """Four measurements along the training path, with and without BN (log scale)."""
    from dlbasics.plotting import COLORS, new_figure, to_svg

    panels = (
        ("dist_shift", "input distribution shift\nafter earlier layers' step"),
        ("grad_shift", "gradient shift ‖G − G′‖/‖G‖\n(Santurkar et al.'s ICS)"),
        ("loss_range", "loss variation along\nthe gradient"),
        ("beta", "effective β-smoothness"),
    )
    fig, axes = new_figure(1, 4, width=11.0, height=3.0)
    for ax, (key, title) in zip(axes, panels, strict=True):
        for bn, label, color in (
            ("none", "without BN", COLORS[1]),
            ("before", "with BN", COLORS[0]),
        ):
            ax.plot(result[bn]["step"], result[bn][key], label=label, color=color)
        ax.set(title=title, xlabel="training step", yscale="log")
        ax.title.set_fontsize(9)
    axes[0].legend()
    return to_svg(
        fig,
        alt="Along the training path, with and without BN: the shift of a layer's input "
        "distribution, the change of its gradient after the earlier layers' update, the loss "
        "variation and the effective smoothness along the gradient.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def summary_training_path(result: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Median of each measurement over the path: (without BN, with BN)."""
    keys = ("dist_shift", "grad_shift", "loss_range", "grad_change", "beta")
    return {
        k: (float(np.median(result["none"][k])), float(np.median(result["before"][k])))
        for k in keys
    }


@cached  # the figure's HTML too: a warm build then draws nothing
def table_scale_invariance(result: dict[str, Any]) -> str:
    """Relative change of layer 3's input and test accuracy after scaling the first layer."""
    from dlbasics.plotting import markdown_table

    names = result["settings"]
    rows = []
    for i, f in enumerate(result["factors"]):
        rows.append(
            [f"× {f:g}"]
            + [f"{result[n]['change'][i]:.3g}" for n in names]
            + [f"{result[n]['accuracy'][i]:.3f}" for n in names]
        )
    headers = ["first layer's weights"]
    headers += [f"change of layer 3's input: {n}" for n in names]
    headers += [f"test accuracy: {n}" for n in names]
    return markdown_table(headers, rows)


def _mean_sd(values: Any) -> str:
    v = np.asarray(values, dtype=float)
    return f"{v.mean():.3f} ± {v.std(ddof=1) if v.size > 1 else 0.0:.3f}"


@cached  # the figure's HTML too: a warm build then draws nothing
def table_gamma_beta(result: dict[str, Any]) -> str:
    """Accuracy, training loss and share of near-linear sigmoid inputs, learned vs frozen."""
    from dlbasics.plotting import markdown_table

    rows = []
    for name in ("learned γ, β", "frozen γ = 1, β = 0"):
        r = result[name]
        share = np.asarray(r["linear_share"]).mean(0)
        rows.append(
            [
                name,
                _mean_sd(r["test_acc"]),
                _mean_sd(r["train_loss"]),
                " / ".join(f"{s:.0%}" for s in share),
            ]
        )
    return markdown_table(
        [
            "BN parameters",
            f"test accuracy (mean ± sd, {len(result['seeds'])} seeds)",
            "training loss",
            "share of sigmoid inputs in (−1, 1), layers 1 / 2 / 3",
        ],
        rows,
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_learned_gamma_beta(result: dict[str, Any]) -> str:
    """Histograms of the learned γ and β of each BN layer (first seed)."""
    from dlbasics.plotting import new_figure, to_svg

    r = result["learned γ, β"]
    fig, axes = new_figure(1, 2, width=8.0, height=2.8)
    for i, (g, b) in enumerate(zip(r["gamma"], r["beta"], strict=True)):
        axes[0].hist(g, bins=20, histtype="step", linewidth=1.8, label=f"layer {i + 1}")
        axes[1].hist(b, bins=20, histtype="step", linewidth=1.8, label=f"layer {i + 1}")
    axes[0].axvline(1.0, linestyle=":", color="#8a8a8a")
    axes[1].axvline(0.0, linestyle=":", color="#8a8a8a")
    axes[0].set(xlabel="learned γ", ylabel="units")
    axes[1].set(xlabel="learned β")
    axes[0].legend()
    return to_svg(
        fig,
        alt="Histograms of the learned scale gamma and shift beta of the 100 units of each BN "
        "layer; dotted lines mark the initial values 1 and 0.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def table_placement(result: dict[str, Any]) -> str:
    """Final test accuracy and training loss for BN before / after the activation / none."""
    from dlbasics.plotting import markdown_table

    names = {"before": "before the activation", "after": "after the activation", "none": "no BN"}
    rows = []
    for key, name in names.items():
        runs = result[key]
        rows.append(
            [
                name,
                _mean_sd([_mean_acc(r) for r in runs]),
                _mean_sd([r["final_train_loss"] for r in runs]),
                " / ".join(str(steps_to_accuracy(r, 0.95)) for r in runs),
            ]
        )
    return markdown_table(
        [
            f"BN ({result['activation']} MLP, lr {result['lr']:g})",
            f"final test accuracy (mean ± sd, {len(result['seeds'])} seeds)",
            "training loss",
            "steps to 95% test accuracy (per seed)",
        ],
        rows,
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_placement(result: dict[str, Any]) -> str:
    """Mean test accuracy over seeds against steps, for the three placements."""
    from dlbasics.plotting import COLORS, new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.2)
    names = {"before": "BN before the activation", "after": "BN after", "none": "no BN"}
    for (key, name), color in zip(names.items(), COLORS, strict=False):
        runs = result[key]
        acc = np.mean([r["test_acc"] for r in runs], axis=0)
        ax.plot(runs[0]["step"], acc, label=name, color=color)
    ax.set(xlabel="training step", ylabel="test accuracy (mean over seeds)", ylim=(0.5, 1))
    ax.legend(loc="lower right")
    return to_svg(
        fig,
        alt="Test accuracy against steps of a ReLU MLP with BN before the activation, after it, "
        "and without BN, averaged over seeds.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_conv(result: dict[str, Any]) -> str:
    """Test accuracy of the small convolutional network, with and without BatchNorm2d."""
    return _plot_accuracy_per_lr(
        result,
        ((False, "without BN"), (True, "with BatchNorm2d")),
        width=8.0,
        legend_loc="lower right",
        alt="Test accuracy against steps of a two-layer convolutional network on the 8 by 8 "
        "digits, with and without BatchNorm2d, for two learning rates.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_batch_noise(result: dict[str, Any]) -> str:
    """Standard deviation of the batch mean and variance against the batch size (log-log)."""
    from dlbasics.plotting import COLORS, new_figure, to_svg

    b = np.asarray(result["batch_sizes"], dtype=float)
    sigma, mu4, n = result["sigma"], result["mu4"], result["n"]
    fig, ax = new_figure(width=6.4, height=3.4)
    ax.plot(b, result["mean_sd"], "o", color=COLORS[0], label="sd of the batch mean")
    ax.plot(
        b,
        sigma / np.sqrt(b) * np.sqrt((n - b) / (n - 1)),
        color=COLORS[0],
        linestyle=":",
        label="σ/√B · √((N−B)/(N−1))",
    )
    ax.plot(b, result["var_sd"], "s", color=COLORS[1], label="sd of the batch variance")
    ax.plot(
        b, np.sqrt((mu4 - sigma**4) / b), color=COLORS[1], linestyle=":", label="√((μ₄ − σ⁴)/B)"
    )
    ax.set(xscale="log", yscale="log", xlabel="batch size B", ylabel="standard deviation")
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt="On log-log axes, the standard deviation of the batch mean and of the batch "
        "variance of one unit falls with the batch size B, following the 1/sqrt(B) predictions.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def table_ghost_batch(result: dict[str, Any]) -> str:
    """Train/test loss and accuracy for each BN batch ("ghost") size, and without BN."""
    from dlbasics.plotting import markdown_table

    rows = []
    for key, r in result["runs"].items():
        rows.append(
            [
                key if isinstance(key, str) else f"{key}",
                f"{r['train_loss']:.4f}",
                f"{r['test_loss']:.3f}",
                f"{r['test_loss'] - r['train_loss']:.3f}",
                f"{r['train_acc']:.3f}",
                f"{r['test_acc']:.3f}",
            ]
        )
    return markdown_table(
        [
            "examples per BN statistic",
            "train loss",
            "test loss",
            "gap (test − train loss)",
            "train accuracy",
            "test accuracy",
        ],
        rows,
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_test_time(result: dict[str, Any]) -> str:
    """Spread of one example's predicted probability with batch statistics, per batch size."""
    from dlbasics.plotting import COLORS, new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.4)
    sizes = result["batch_sizes"]
    positions = np.arange(len(sizes))
    ax.boxplot(
        result["prob"],
        positions=positions,
        widths=0.5,
        medianprops={"color": COLORS[0]},
        flierprops={"markersize": 3, "markeredgecolor": "#8a8a8a"},
        boxprops={"color": "#8a8a8a"},
        whiskerprops={"color": "#8a8a8a"},
        capprops={"color": "#8a8a8a"},
    )
    ax.axhline(
        result["eval_prob"], color=COLORS[1], linestyle="--", label="eval mode (running statistics)"
    )
    ax.set_xticks(positions, [str(s) for s in sizes])
    ax.set(xlabel="batch size (the example and random batch-mates)", ylabel="P(true class)")
    ax.legend(loc="lower right")
    return to_svg(
        fig,
        alt="Box plots of one test example's predicted probability of its true class when "
        "normalised with the statistics of random batches of each size, and the single value "
        "given by the running statistics.",
    )
