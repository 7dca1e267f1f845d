"""dlbasics.optimizers.schedules: the decay formulas, LambdaLR driving torch optimizers, and the
warm-up cosine against torch's CosineAnnealingLR."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbasics import optimizers as O


@settings(deadline=None, max_examples=40)
@given(
    lr0=st.floats(1e-5, 10), epoch=st.integers(0, 200), dr=st.floats(0, 5), rate=st.floats(0.5, 1)
)
def test_schedules_against_formulas(lr0: float, epoch: int, dr: float, rate: float) -> None:
    assert O.inverse_time_decay(lr0, epoch, dr) == pytest.approx(lr0 / (1 + dr * epoch), rel=1e-12)
    assert O.exponential_decay(lr0, epoch, rate) == pytest.approx(rate**epoch * lr0, rel=1e-12)
    assert O.exponential_decay(lr0, epoch) == pytest.approx(0.95**epoch * lr0, rel=1e-12)


@pytest.mark.parametrize(
    ("schedule", "kwargs"),
    [(O.inverse_time_decay, {"decay_rate": 0.5}), (O.exponential_decay, {"rate": 0.9})],
)
def test_lr_decay_scheduler_drives_torch_optimizers(schedule: Callable, kwargs: dict) -> None:
    p, q = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.3}], lr=0.1)
    scheduler = O.lr_decay_scheduler(opt, schedule, **kwargs)
    for epoch in range(6):
        assert opt.param_groups[0]["lr"] == pytest.approx(schedule(0.1, epoch, **kwargs))
        assert opt.param_groups[1]["lr"] == pytest.approx(schedule(0.3, epoch, **kwargs))
        opt.step()
        scheduler.step()


@settings(deadline=None, max_examples=60)
@given(
    lr0=st.floats(1e-4, 10.0),
    warmup=st.integers(0, 50),
    extra=st.integers(1, 500),
    final=st.floats(0.0, 1e-3),
    data=st.data(),
)
def test_warmup_cosine_formula(
    lr0: float, warmup: int, extra: int, final: float, data: st.DataObject
) -> None:
    total = warmup + extra
    t = data.draw(st.integers(0, total))
    value = O.warmup_cosine(lr0, t, warmup, total, final)
    if t < warmup:
        assert value == pytest.approx(lr0 * t / warmup, rel=1e-12)
    else:
        angle = math.pi * (t - warmup) / extra
        assert value == pytest.approx(final + (lr0 - final) * (1 + math.cos(angle)) / 2, rel=1e-9)
    assert O.warmup_cosine(lr0, total, warmup, total, final) == pytest.approx(final, abs=1e-12)


def test_warmup_cosine_after_warmup_is_torchs_cosine_annealing() -> None:
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.5)
    warmup, total, final = 7, 57, 0.01
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=final)
    for t in range(warmup, total + 1):
        assert O.warmup_cosine(0.5, t, warmup, total, final) == pytest.approx(
            opt.param_groups[0]["lr"], rel=1e-9
        )
        opt.step()
        scheduler.step()
