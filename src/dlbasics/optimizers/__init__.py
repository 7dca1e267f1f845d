r"""Gradient descent and its descendants, written from their update equations.

Every optimizer here moves the parameters \(\theta\) against the gradient
\(g_t = \nabla_\theta J(\theta_{t-1})\) of the loss:

\[
\theta_t = \theta_{t-1} - \alpha \, u_t ,
\]

and they differ only in the *direction* \(u_t\) they build from the gradients seen so far.
The building blocks are few, so they are written once and shared:

- an **exponentially weighted average** \(V_t = \beta V_{t-1} + (1-\beta) X_t\)
  ([`ema`][dlbasics.optimizers.ema] for a numpy series, `_ema_` for a tensor),
  of the gradients (momentum, Adam's first moment) or of their squares
  (RMSprop, Adam's second moment);
- the **bias correction** \(1 - \beta^t\) that undoes the average's start at zero;
- **weight decay**, either added to the gradient (L2, \(g + \lambda\theta\)) or applied to
  the weights directly (decoupled, \(\theta \leftarrow (1 - \alpha\lambda)\theta\)).

[`SGD`][dlbasics.optimizers.SGD], [`RMSprop`][dlbasics.optimizers.RMSprop],
[`Adam`][dlbasics.optimizers.Adam] and [`AdamW`][dlbasics.optimizers.AdamW] are
`torch.optim.Optimizer` subclasses with torch's argument names and defaults. One
generic loop ([`EquationOptimizer`][dlbasics.optimizers.EquationOptimizer]) walks the
parameters; each class only says how to initialise its state and how to update one
parameter tensor. Over the valid range of their arguments they follow the same
trajectory as the `torch.optim` class of the same name (the tests check it to 1e-9
in float64). We are stricter than torch about arguments: `momentum=1.5` or
`RMSprop(alpha=0)` raise a `ValueError` here.

Also here, from sibling modules: moving averages and heavy-ball momentum in closed form
(`averages.py`), learning-rate schedules (`schedules.py`), and 2-D test surfaces with a
trajectory runner (`surfaces.py`). The page's experiments and figures are
`dlbasics.optimizers.experiments` and `dlbasics.optimizers.figures`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch

from dlbasics.optimizers._checks import (
    _check_betas,
    _check_bool,
    _check_nonnegative,
    _check_unit_interval,
    _real,
)
from dlbasics.optimizers.averages import (
    effective_window,
    ema,
    heavy_ball_rate,
    polyak_momentum,
    window_mass,
)
from dlbasics.optimizers.schedules import (
    exponential_decay,
    inverse_time_decay,
    lr_decay_scheduler,
    warmup_cosine,
)
from dlbasics.optimizers.surfaces import (
    SURFACES,
    Surface,
    beale,
    quadratic,
    rosenbrock,
    saddle,
    trajectory,
)

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "SURFACES",
    "Adagrad",
    "Adam",
    "AdamW",
    "EquationOptimizer",
    "RMSprop",
    "Surface",
    "TextbookMomentum",
    "UncorrectedAdam",
    "beale",
    "effective_window",
    "ema",
    "exponential_decay",
    "heavy_ball_rate",
    "inverse_time_decay",
    "lr_decay_scheduler",
    "make_optimizer",
    "polyak_momentum",
    "quadratic",
    "rosenbrock",
    "saddle",
    "trajectory",
    "warmup_cosine",
    "window_mass",
]


# --- The shared pieces: moving averages, bias correction, weight decay ---


def _ema_(average: torch.Tensor, value: torch.Tensor, beta: float) -> None:
    r"""In place: \(V \leftarrow \beta V + (1-\beta) X\).

    `lerp_(X, w)` computes \(V + w (X - V)\), the same average in one pass over memory.
    """
    average.lerp_(value, 1.0 - beta)


def _ema_of_squares_(average: torch.Tensor, grad: torch.Tensor, beta: float) -> None:
    r"""In place: \(v \leftarrow \beta v + (1-\beta) g^2\) (element-wise square)."""
    average.mul_(beta).addcmul_(grad, grad, value=1.0 - beta)


def _bias_correction(beta: float, step: int) -> float:
    r"""\(1 - \beta^t\): the total weight an average started at zero has put on data so far."""
    return 1.0 - beta**step


def _l2_penalty(grad: torch.Tensor, param: torch.Tensor, weight_decay: float) -> torch.Tensor:
    r"""The gradient of \(J + \tfrac{\lambda}{2}\lVert\theta\rVert^2\): \(g + \lambda\theta\).

    A new tensor: `param.grad` itself is never modified.
    """
    return grad.add(param, alpha=weight_decay) if weight_decay != 0 else grad


def _decoupled_decay_(param: torch.Tensor, lr: float, weight_decay: float) -> None:
    r"""In place: \(\theta \leftarrow (1 - \alpha\lambda)\,\theta\), outside the gradient."""
    if weight_decay != 0:
        param.mul_(1.0 - lr * weight_decay)


# --- One loop for every optimizer ---


class EquationOptimizer(torch.optim.Optimizer):
    """The loop shared by every optimizer of this module (labml-style).

    `step()` visits every parameter that has a gradient, creates its state on the first
    visit ([`init_state`][dlbasics.optimizers.EquationOptimizer.init_state]) and hands it
    to [`update`][dlbasics.optimizers.EquationOptimizer.update], which a subclass writes
    as its update equations. Parameters whose `.grad` is `None` are skipped and get no
    state, exactly as in `torch.optim`. Every parameter group is checked by
    [`check_group`][dlbasics.optimizers.EquationOptimizer.check_group] when it is added.
    `zero_grad`, `state_dict` and `load_state_dict` are torch's own.
    """

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group (torch fills in the defaults) and validate its hyper-parameters."""
        super().add_param_group(param_group)
        try:
            self.check_group(self.param_groups[-1])
        except (TypeError, ValueError):
            self.param_groups.pop()
            raise

    def check_group(self, group: dict[str, Any]) -> None:
        """Raise `ValueError`/`TypeError` naming the first invalid hyper-parameter."""
        _check_nonnegative("lr", group["lr"])
        _check_nonnegative("weight_decay", group["weight_decay"])
        _check_bool("maximize", group["maximize"])

    def init_state(self, state: dict[str, Any], group: dict[str, Any], param: torch.Tensor) -> None:
        """Fill the empty `state` of `param` before its first update."""

    def update(
        self,
        state: dict[str, Any],
        group: dict[str, Any],
        grad: torch.Tensor,
        param: torch.Tensor,
    ) -> None:
        """Apply one step to `param` in place, given its gradient (sign already set)."""
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        """One optimisation step; `closure` re-evaluates the loss (with gradients) if given."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if param.grad.is_sparse:
                    raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
                grad = -param.grad if group["maximize"] else param.grad
                state = self.state[param]
                if not state:
                    self.init_state(state, group, param)
                self.update(state, group, grad, param)
        return loss


# --- SGD with momentum ---


class SGD(EquationOptimizer):
    r"""Stochastic gradient descent with optional (Nesterov) momentum, as in `torch.optim.SGD`.

    Plain gradient descent is \(\theta_t = \theta_{t-1} - \alpha g_t\). With momentum
    \(\mu\) and dampening \(d\), torch keeps a buffer

    \[
    b_1 = g_1, \qquad b_t = \mu\, b_{t-1} + (1-d)\, g_t ,
    \]

    and steps \(\theta_t = \theta_{t-1} - \alpha\, b_t\), or with Nesterov
    \(\theta_t = \theta_{t-1} - \alpha\,(g_t + \mu\, b_t)\). Weight decay adds
    \(\lambda\theta\) to \(g_t\) first (L2).

    **Where torch departs from the textbook.** The textbook (the course videos of the note)
    averages, \(v_t = \beta v_{t-1} + (1-\beta) g_t\) with \(v_0 = 0\): torch's buffer has no
    \((1-\beta)\) factor, so it is a *sum* worth about \(1/(1-\mu)\) gradients (10 for
    \(\mu = 0.9\)), and torch's learning rate must be \((1-\beta)\) times the textbook's
    to give the same path. `dampening=μ` does *not* recover the textbook form: torch's
    first buffer is \(g_1\), not \((1-\mu) g_1\). Torch's Nesterov form is Sutskever et
    al.'s look-ahead rewritten at the current point.

    Args:
        params: Parameters or parameter groups (dicts), as for any torch optimizer.
        lr: Learning rate \(\alpha \ge 0\).
        momentum: \(\mu \in [0, 1)\).
        dampening: \(d \in [0, 1]\).
        weight_decay: L2 coefficient \(\lambda \ge 0\).
        nesterov: Use Nesterov momentum (needs `momentum > 0` and `dampening = 0`).
        maximize: Ascend instead of descend.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def check_group(self, group: dict[str, Any]) -> None:
        """Also: momentum in [0, 1), dampening in [0, 1], Nesterov needs momentum, no dampening."""
        super().check_group(group)
        _check_unit_interval("momentum", group["momentum"])
        if not 0.0 <= _real("dampening", group["dampening"]) <= 1.0:
            raise ValueError(f"dampening must be in [0, 1], got {group['dampening']!r}")
        _check_bool("nesterov", group["nesterov"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "nesterov=True requires momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def update(
        self,
        state: dict[str, Any],
        group: dict[str, Any],
        grad: torch.Tensor,
        param: torch.Tensor,
    ) -> None:
        """b ← μ b + (1 − d) g (b₁ = g); θ ← θ − α b, or θ − α (g + μ b) with Nesterov."""
        grad = _l2_penalty(grad, param, group["weight_decay"])
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.detach().clone()
            else:
                buf.mul_(momentum).add_(grad, alpha=1.0 - group["dampening"])
            grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
        param.add_(grad, alpha=-group["lr"])


# --- Adagrad: the step between SGD and RMSprop ---


class Adagrad(EquationOptimizer):
    r"""Adagrad (Duchi, Hazan & Singer 2011), as in `torch.optim.Adagrad`.

    Each parameter is divided by the root of the *sum* of all its squared gradients so far:

    \[
    s_t = s_{t-1} + g_t^2, \qquad
    \theta_t = \theta_{t-1} - \frac{\mathrm{lr}_t}{\sqrt{s_t} + \varepsilon}\, g_t, \qquad
    \mathrm{lr}_t = \frac{\mathrm{lr}}{1 + (t - 1)\,\mathrm{lr\_decay}} .
    \]

    Like RMSprop it gives each weight its own step size; unlike it, the sum never forgets,
    so under a constant gradient the step shrinks as \(1/\sqrt t\). RMSprop replaces the sum
    by an exponentially weighted average, which keeps the step of order lr.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate \(\ge 0\).
        lr_decay: \(\ge 0\), the inverse-time decay of the learning rate per step.
        weight_decay: L2 coefficient \(\ge 0\), added to the gradient.
        initial_accumulator_value: \(s_0 \ge 0\).
        eps: \(\varepsilon \ge 0\), added to \(\sqrt{s_t}\).
        maximize: Ascend instead of descend.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def check_group(self, group: dict[str, Any]) -> None:
        """Also: lr_decay, initial_accumulator_value and eps >= 0."""
        super().check_group(group)
        _check_nonnegative("lr_decay", group["lr_decay"])
        _check_nonnegative("initial_accumulator_value", group["initial_accumulator_value"])
        _check_nonnegative("eps", group["eps"])

    def init_state(self, state: dict[str, Any], group: dict[str, Any], param: torch.Tensor) -> None:
        """step = 0, s = initial_accumulator_value."""
        state["step"] = 0
        state["sum"] = torch.full_like(
            param, group["initial_accumulator_value"], memory_format=torch.preserve_format
        )

    def update(
        self,
        state: dict[str, Any],
        group: dict[str, Any],
        grad: torch.Tensor,
        param: torch.Tensor,
    ) -> None:
        """s ← s + g²; θ ← θ − lr_t · g / (√s + ε)."""
        state["step"] += 1
        grad = _l2_penalty(grad, param, group["weight_decay"])
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"].addcmul_(grad, grad, value=1.0)
        param.addcdiv_(grad, state["sum"].sqrt().add_(group["eps"]), value=-lr)


# --- RMSprop ---


class RMSprop(EquationOptimizer):
    r"""RMSprop (Hinton's lecture 6e), as in `torch.optim.RMSprop`.

    Each parameter gets its own step size from an average of its squared gradients:

    \[
    v_t = \alpha_{\text{avg}}\, v_{t-1} + (1-\alpha_{\text{avg}})\, g_t^2, \qquad
    \theta_t = \theta_{t-1} - \mathrm{lr}\,\frac{g_t}{\sqrt{v_t} + \varepsilon}.
    \]

    `centered=True` divides by an estimate of the standard deviation instead,
    \(\sqrt{v_t - \bar g_t^{\,2}} + \varepsilon\) with \(\bar g_t\) the average gradient;
    `momentum` \(\mu > 0\) accumulates the scaled gradient in a buffer
    \(b_t = \mu b_{t-1} + g_t / (\sqrt{v_t} + \varepsilon)\) and steps by \(\mathrm{lr}\,b_t\).

    **Where torch departs from the textbook.** \(\varepsilon\) is added *outside* the
    square root (some courses write \(\sqrt{v_t + \varepsilon}\)); there is no bias
    correction, so with \(v_0 = 0\) the first step is \(1/\sqrt{1-\alpha}\) times the
    learning rate (10× for the default 0.99). torch's default `alpha=0.99`; Hinton's
    lecture used 0.9; 0.999 is Adam's \(\beta_2\).

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate \(\ge 0\).
        alpha: Decay of the squared-gradient average, in \((0, 1)\).
        eps: \(\varepsilon \ge 0\), added to \(\sqrt{v_t}\).
        weight_decay: L2 coefficient \(\ge 0\), added to the gradient.
        momentum: \(\mu \in [0, 1)\).
        centered: Normalise by the estimated variance instead of the raw second moment.
        maximize: Ascend instead of descend.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def check_group(self, group: dict[str, Any]) -> None:
        """Also: alpha in (0, 1), eps >= 0, momentum in [0, 1), centered a bool."""
        super().check_group(group)
        if not 0.0 < _real("alpha", group["alpha"]) < 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {group['alpha']!r}")
        _check_nonnegative("eps", group["eps"])
        _check_unit_interval("momentum", group["momentum"])
        _check_bool("centered", group["centered"])

    def init_state(self, state: dict[str, Any], group: dict[str, Any], param: torch.Tensor) -> None:
        """step = 0, v = 0 (and ḡ = 0 when centered, b = 0 with momentum)."""
        state["step"] = 0
        state["square_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)
        if group["momentum"] > 0:
            state["momentum_buffer"] = torch.zeros_like(param, memory_format=torch.preserve_format)
        if group["centered"]:
            state["grad_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)

    def update(
        self,
        state: dict[str, Any],
        group: dict[str, Any],
        grad: torch.Tensor,
        param: torch.Tensor,
    ) -> None:
        """v ← α v + (1 − α) g²; θ ← θ − lr · g / (√v + ε) (centred and momentum variants)."""
        state["step"] += 1
        grad = _l2_penalty(grad, param, group["weight_decay"])
        alpha = group["alpha"]
        square_avg = state["square_avg"]
        _ema_of_squares_(square_avg, grad, alpha)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            _ema_(grad_avg, grad, alpha)
            rms = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()  # √(v − ḡ²)
        else:
            rms = square_avg.sqrt()
        rms.add_(group["eps"])  # ε outside the root, as torch does
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf.mul_(group["momentum"]).addcdiv_(grad, rms)
            param.add_(buf, alpha=-group["lr"])
        else:
            param.addcdiv_(grad, rms, value=-group["lr"])


# --- Adam and AdamW ---


class Adam(EquationOptimizer):
    r"""Adam (Kingma & Ba, 2015) = momentum + RMSprop + bias correction, as in `torch.optim.Adam`.

    \[
    \begin{aligned}
    m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t, &
    \hat m_t &= m_t / (1-\beta_1^t),\\
    v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2, &
    \hat v_t &= v_t / (1-\beta_2^t),\\
    \theta_t &= \theta_{t-1} - \alpha\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}.
    \end{aligned}
    \]

    With `amsgrad=True` the denominator uses the running maximum
    \(\max_{s \le t} v_s\) instead of \(v_t\) (Reddi et al., 2018). Weight decay is L2:
    \(\lambda\theta\) is added to \(g_t\), so it is then *divided by* \(\sqrt{\hat v_t}\)
    like the rest of the gradient (see [`AdamW`][dlbasics.optimizers.AdamW]).

    **Where torch departs from the paper.** \(\varepsilon\) is added to
    \(\sqrt{\hat v_t}\) (the paper's Algorithm 1 does the same; its "efficient" variant
    adds \(\hat\varepsilon\) to \(\sqrt{v_t}\) instead, a slightly different number).

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate \(\alpha \ge 0\).
        betas: \((\beta_1, \beta_2)\), each in \([0, 1)\).
        eps: \(\varepsilon \ge 0\).
        weight_decay: L2 coefficient \(\lambda \ge 0\).
        amsgrad: Use the running maximum of \(v_t\).
        maximize: Ascend instead of descend.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def check_group(self, group: dict[str, Any]) -> None:
        """Also: both betas in [0, 1), eps >= 0, amsgrad a bool."""
        super().check_group(group)
        _check_betas(group["betas"])
        _check_nonnegative("eps", group["eps"])
        _check_bool("amsgrad", group["amsgrad"])

    def init_state(self, state: dict[str, Any], group: dict[str, Any], param: torch.Tensor) -> None:
        """step = 0, m = 0, v = 0 (and max v = 0 with AMSGrad)."""
        state["step"] = 0
        state["exp_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)
        state["exp_avg_sq"] = torch.zeros_like(param, memory_format=torch.preserve_format)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = torch.zeros_like(param, memory_format=torch.preserve_format)

    def weight_decay(
        self, group: dict[str, Any], grad: torch.Tensor, param: torch.Tensor
    ) -> torch.Tensor:
        """L2: return g + λθ (Adam); [`AdamW`][dlbasics.optimizers.AdamW] overrides this."""
        return _l2_penalty(grad, param, group["weight_decay"])

    def bias_correction(self, beta: float, step: int) -> float:
        r"""\(1 - \beta^t\), the divisor of a moment average that started at zero."""
        return _bias_correction(beta, step)

    def update(
        self,
        state: dict[str, Any],
        group: dict[str, Any],
        grad: torch.Tensor,
        param: torch.Tensor,
    ) -> None:
        """The two moments, their bias corrections, and θ ← θ − α m̂ / (√v̂ + ε)."""
        state["step"] += 1
        t = state["step"]
        grad = self.weight_decay(group, grad, param)
        beta1, beta2 = group["betas"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        _ema_(m, grad, beta1)  # first moment: momentum
        _ema_of_squares_(v, grad, beta2)  # second moment: RMSprop
        if group["amsgrad"]:
            torch.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        # m̂ / (√v̂ + ε) with m̂ = m / (1 − β₁ᵗ) folded into the step size, as torch does.
        step_size = group["lr"] / self.bias_correction(beta1, t)
        denom = (v.sqrt() / math.sqrt(self.bias_correction(beta2, t))).add_(group["eps"])
        param.addcdiv_(m, denom, value=-step_size)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as in `torch.optim.AdamW`.

    The decay is taken out of the gradient and applied to the weights before the Adam
    step, so it is not rescaled by \(1/\sqrt{\hat v_t}\):

    \[
    \theta \leftarrow (1 - \alpha\lambda)\,\theta, \qquad
    \theta_t = \theta - \alpha\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon},
    \]

    with \(m_t, v_t\) the averages of the raw gradient (see [`Adam`][dlbasics.optimizers.Adam]).

    **Where torch departs from the paper.** The paper writes the decay with its own
    schedule multiplier \(\eta_t\), \(\theta \leftarrow \theta - \eta_t\lambda\theta\), *not*
    multiplied by the learning rate \(\alpha\); torch multiplies it by `lr`. So torch's
    `weight_decay=1e-2` with `lr=1e-3` shrinks the weights by \(10^{-5}\) per step.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate \(\alpha \ge 0\).
        betas: \((\beta_1, \beta_2)\), each in \([0, 1)\).
        eps: \(\varepsilon \ge 0\).
        weight_decay: Decoupled decay \(\lambda \ge 0\) (torch's default 1e-2).
        amsgrad: Use the running maximum of \(v_t\).
        maximize: Ascend instead of descend.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)

    def weight_decay(
        self, group: dict[str, Any], grad: torch.Tensor, param: torch.Tensor
    ) -> torch.Tensor:
        """Decoupled: θ ← (1 − αλ) θ in place; the gradient is returned untouched."""
        _decoupled_decay_(param, group["lr"], group["weight_decay"])
        return grad


# --- Variants that exist to be compared, and the optimizers by name ---
# Textbook momentum (an average, not torch's sum) and Adam without bias correction show on
# the page what torch's forms and the correction change.


class TextbookMomentum(EquationOptimizer):
    r"""Momentum as the course writes it: an *average* of gradients, not torch's sum.

    \[
    v_0 = 0, \qquad v_t = \beta v_{t-1} + (1-\beta)\, g_t, \qquad
    \theta_t = \theta_{t-1} - \alpha\, v_t .
    \]

    Same path as `SGD(lr=α(1−β), momentum=β)`; kept here to show that on the page.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, beta: float = 0.9) -> None:
        defaults = {"lr": lr, "beta": beta, "weight_decay": 0.0, "maximize": False}
        super().__init__(params, defaults)

    def check_group(self, group: dict[str, Any]) -> None:
        """Also: beta in [0, 1)."""
        super().check_group(group)
        _check_unit_interval("beta", group["beta"])

    def init_state(self, state: dict[str, Any], group: dict[str, Any], param: torch.Tensor) -> None:
        """v = 0."""
        state["velocity"] = torch.zeros_like(param)

    def update(
        self,
        state: dict[str, Any],
        group: dict[str, Any],
        grad: torch.Tensor,
        param: torch.Tensor,
    ) -> None:
        """v ← β v + (1 − β) g; θ ← θ − α v."""
        _ema_(state["velocity"], grad, group["beta"])
        param.add_(state["velocity"], alpha=-group["lr"])


class UncorrectedAdam(Adam):
    """Adam without bias correction (m and v used as they are), to show what the correction does."""

    def bias_correction(self, beta: float, step: int) -> float:
        """No correction: divide by 1."""
        return 1.0


OPTIMIZERS: dict[str, tuple[str, dict[str, Any]]] = {
    "SGD": ("SGD", {}),
    "Momentum": ("SGD", {"momentum": 0.9}),
    "Nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "Adagrad": ("Adagrad", {}),
    "RMSprop": ("RMSprop", {}),
    "Adam": ("Adam", {}),
    "AdamW": ("AdamW", {}),
}
"""The optimizers compared on the page: name → (class name, fixed arguments)."""

_CLASSES: dict[str, Any] = {
    "SGD": SGD,
    "Adagrad": Adagrad,
    "RMSprop": RMSprop,
    "Adam": Adam,
    "AdamW": AdamW,
}


def make_optimizer(
    name: str, params: Iterable[Any], lr: float, library: str = "dlbasics", **kwargs: Any
) -> torch.optim.Optimizer:
    """One of [`OPTIMIZERS`][dlbasics.optimizers.OPTIMIZERS] by name, ours or torch's.

    Args:
        name: A key of `OPTIMIZERS` ("SGD", "Momentum", "Nesterov", "RMSprop", "Adam", "AdamW").
        params: Parameters to optimise.
        lr: Learning rate.
        library: `"dlbasics"` for our class, `"torch"` for `torch.optim`'s.
        **kwargs: More arguments of the class (e.g. `weight_decay`).
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"name must be one of {sorted(OPTIMIZERS)}, got {name!r}")
    if library not in ("dlbasics", "torch"):
        raise ValueError(f"library must be 'dlbasics' or 'torch', got {library!r}")
    cls_name, fixed = OPTIMIZERS[name]
    cls = _CLASSES[cls_name] if library == "dlbasics" else getattr(torch.optim, cls_name)
    return cls(params, lr=lr, **fixed, **kwargs)
