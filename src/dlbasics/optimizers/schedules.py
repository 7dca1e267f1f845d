r"""Learning-rate schedules: inverse-time and exponential decay per epoch, linear warm-up
then cosine decay per step, and a `LambdaLR` that drives any torch optimizer with one.

Re-exported by [`dlbasics.optimizers`][dlbasics.optimizers].
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch.optim.lr_scheduler import LambdaLR

from dlbasics.optimizers._checks import _check_nonnegative, _real

__all__ = ["exponential_decay", "inverse_time_decay", "lr_decay_scheduler", "warmup_cosine"]


# --- Learning-rate decay ---


def inverse_time_decay(lr0: float, epoch: float, decay_rate: float) -> float:
    r"""\(\alpha = \alpha_0 / (1 + \text{decay\_rate} \cdot \text{epoch})\)."""
    _check_nonnegative("lr0", lr0)
    _check_nonnegative("epoch", epoch)
    _check_nonnegative("decay_rate", decay_rate)
    return float(lr0) / (1.0 + float(decay_rate) * float(epoch))


def exponential_decay(lr0: float, epoch: float, rate: float = 0.95) -> float:
    r"""\(\alpha = \text{rate}^{\text{epoch}} \cdot \alpha_0\), with `rate` in (0, 1]."""
    _check_nonnegative("lr0", lr0)
    _check_nonnegative("epoch", epoch)
    if not 0.0 < _real("rate", rate) <= 1.0:
        raise ValueError(f"rate must be in (0, 1], got {rate!r}")
    return float(rate) ** float(epoch) * float(lr0)


def lr_decay_scheduler(
    optimizer: torch.optim.Optimizer, schedule: Callable[..., float], **schedule_kwargs: Any
) -> LambdaLR:
    r"""Drive any torch optimizer's learning rate per epoch with `schedule`.

    Both schedules are proportional to \(\alpha_0\), so the factor that
    `torch.optim.lr_scheduler.LambdaLR` multiplies each group's initial lr by is
    `schedule(1.0, epoch, **schedule_kwargs)`. Call `scheduler.step()` once per epoch.

    Example:
        `lr_decay_scheduler(opt, exponential_decay, rate=0.9)`.
    """
    if not callable(schedule):
        raise TypeError(f"schedule must be callable, got {schedule!r}")
    schedule(1.0, 0, **schedule_kwargs)  # fail now, not at the first epoch, on bad arguments

    def factor(epoch: int) -> float:
        return schedule(1.0, epoch, **schedule_kwargs)

    return LambdaLR(optimizer, factor)


def warmup_cosine(lr0: float, step: float, warmup: int, total: int, final: float = 0.0) -> float:
    r"""Linear warm-up, then cosine decay: the schedule most large models train with.

    \[
    \alpha_t = \begin{cases}
    \alpha_0\, t / W & t < W, \\
    \alpha_f + \tfrac12(\alpha_0 - \alpha_f)\bigl(1 + \cos(\pi \tfrac{t - W}{T - W})\bigr)
        & W \le t \le T,
    \end{cases}
    \]

    with \(W\) = `warmup` steps and \(T\) = `total` steps (\(\alpha_T = \alpha_f\) = `final`).
    The warm-up keeps the first steps small while adaptive optimizers' second-moment
    estimates are still unreliable; the cosine spends most steps at a large rate and ends
    slowly.
    """
    _check_nonnegative("lr0", lr0)
    _check_nonnegative("final", final)
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be an integer >= 0, got {warmup!r}")
    if isinstance(total, bool) or not isinstance(total, int) or total <= warmup:
        raise ValueError(f"total must be an integer > warmup={warmup}, got {total!r}")
    t = _real("step", step)
    if not 0 <= t <= total:
        raise ValueError(f"step must be in [0, total={total}], got {step!r}")
    if t < warmup:
        return float(lr0) * t / warmup
    progress = (t - warmup) / (total - warmup)
    return float(final) + 0.5 * (float(lr0) - float(final)) * (1 + math.cos(math.pi * progress))
