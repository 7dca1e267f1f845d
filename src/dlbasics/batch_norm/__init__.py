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
4. For inference: [`fold_batch_norm`][dlbasics.batch_norm.fold_batch_norm] merges an
   evaluation-mode batch norm into the linear layer before it, and
   [`recompute_running_stats`][dlbasics.batch_norm.recompute_running_stats] re-estimates the
   running statistics of a trained network from data.

The page's experiments and figures are `dlbasics.batch_norm.experiments` and
`dlbasics.batch_norm.figures`; nothing here depends on them.
"""

from __future__ import annotations

from typing import Any, cast

import torch
from torch import Tensor, nn

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNormFunction",
    "batch_norm",
    "batch_norm_backward",
    "fold_batch_norm",
    "recompute_running_stats",
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


# --- Inference: folding, and re-estimating the running statistics ----------------------------


def _check_norm(norm: Any, name: str = "norm") -> None:
    if not isinstance(norm, _BatchNorm | nn.modules.batchnorm._BatchNorm):
        raise TypeError(
            f"{name} must be a BatchNorm1d or BatchNorm2d (ours or torch's), "
            f"got {type(norm).__name__}"
        )


def fold_batch_norm(linear: nn.Linear, norm: nn.Module) -> nn.Linear:
    r"""The linear layer that computes `norm(linear(x))` in evaluation mode, in one map.

    In evaluation mode batch norm is the fixed affine map
    \(y = \gamma (z - \hat\mu)/\sqrt{\hat\sigma^2 + \epsilon} + \beta\) of \(z = W x + b\).
    With the per-feature factor \(a = \gamma / \sqrt{\hat\sigma^2 + \epsilon}\), the two maps
    compose into one linear layer,

    \[
    W' = \operatorname{diag}(a)\, W, \qquad b' = a \odot (b - \hat\mu) + \beta ,
    \]

    so that an inference network pays nothing for its batch norms.

    Args:
        linear: The `nn.Linear` whose outputs `norm` normalises (its bias may be `None`).
        norm: A batch norm over `linear.out_features` features with running statistics
            (ours or torch's `BatchNorm1d`).

    Returns:
        A new `nn.Linear` (same dtype and device as `linear`'s weight); the inputs are not
        modified.

    Raises:
        TypeError: `linear` is not an `nn.Linear`, or `norm` is not a batch norm.
        ValueError: `norm` has no running statistics, or its size is not
            `linear.out_features`.
    """
    if not isinstance(linear, nn.Linear):
        raise TypeError(f"linear must be a torch.nn.Linear, got {type(linear).__name__}")
    _check_norm(norm)
    running_mean = cast(Tensor | None, norm.running_mean)
    running_var = cast(Tensor | None, norm.running_var)
    gamma, beta = cast(Tensor | None, norm.weight), cast(Tensor | None, norm.bias)
    if running_mean is None or running_var is None:
        raise ValueError("norm must track running statistics (track_running_stats=True)")
    if norm.num_features != linear.out_features:
        raise ValueError(
            f"norm must normalise linear.out_features={linear.out_features} features, "
            f"got num_features={norm.num_features}"
        )
    with torch.no_grad():
        scale = torch.rsqrt(running_var + float(cast(float, norm.eps)))
        if gamma is not None:
            scale = scale * gamma
        bias = linear.bias if linear.bias is not None else torch.zeros_like(scale)
        shift = (bias - running_mean) * scale
        if beta is not None:
            shift = shift + beta
        weight = linear.weight
        folded = nn.Linear(
            linear.in_features, linear.out_features, device=weight.device, dtype=weight.dtype
        )
        folded.weight.copy_(weight * scale[:, None])
        folded.bias.copy_(shift)
    return folded


def recompute_running_stats(model: nn.Module, inputs: Tensor, batch_size: int = 256) -> nn.Module:
    r"""Re-estimate every batch norm's running statistics of `model` from `inputs`.

    After training, or after any change to the weights, the running averages may not match
    what the network now computes: they are an exponential average over the last few hundred
    *training* batches, taken while the weights were still moving. This resets them and feeds
    `inputs` through the network in training mode, in batches of `batch_size`, with a
    cumulative average (`momentum=None`: every batch weighted equally), without gradients;
    the weights are untouched. Then `momentum` and the train/eval mode are restored.

    Args:
        model: A network containing batch norms (ours or torch's) with running statistics.
        inputs: Examples from the distribution the network will see, shape (N, ...).
        batch_size: Examples per batch (at least 2): the batch variance feeds the average.

    Returns:
        `model` itself, with its running statistics recomputed.

    Raises:
        TypeError: `model` is not an `nn.Module` or `inputs` not a tensor.
        ValueError: `model` has no batch norm with running statistics, `batch_size < 2`,
            or `inputs` holds fewer than 2 examples.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(inputs, Tensor):
        raise TypeError(f"inputs must be a torch.Tensor, got {type(inputs).__name__}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 2:
        raise ValueError(f"batch_size must be an integer >= 2, got {batch_size!r}")
    if inputs.dim() < 1 or inputs.shape[0] < 2:
        raise ValueError(f"inputs must hold at least 2 examples, got shape {tuple(inputs.shape)}")
    norms = [
        m
        for m in model.modules()
        if isinstance(m, _BatchNorm | nn.modules.batchnorm._BatchNorm)
        and m.running_mean is not None
    ]
    if not norms:
        raise ValueError(
            f"model ({type(model).__name__}) has no batch norm with running statistics"
        )
    modes = {m: m.training for m in model.modules()}
    momenta = [m.momentum for m in norms]
    try:
        for m in norms:
            m.reset_running_stats()
            m.momentum = None
        model.train()
        with torch.no_grad():
            chunks = list(inputs.split(batch_size))
            if len(chunks) > 1 and len(chunks[-1]) < 2:  # a single example has no variance
                chunks = chunks[:-1]
            for chunk in chunks:
                model(chunk)
    finally:
        for m, momentum in zip(norms, momenta, strict=True):
            m.momentum = momentum
        for module, training in modes.items():
            module.train(training)
    return model
