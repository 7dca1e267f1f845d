"""`step()` time of dlbasics.optimizers vs torch.optim (foreach=False and foreach=True).

The parameters are spread over 100 float32 tensors on the CPU, with fixed random
gradients; each optimizer first takes a few warm-up steps (so its state exists), then
the median of repeated timed `step()` calls is reported. Target (issue 4): ours within
1.2× of torch's `foreach=True`.

Run: `.venv/bin/python benchmarks/bench_optimizers.py` (add `--quick` for small sizes).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import torch

from dlbasics import optimizers as ours

TARGET = 1.2
N_TENSORS = 100

CONFIGS: dict[str, dict[str, Any]] = {
    "SGD": {"lr": 1e-3},
    "SGD momentum": {"lr": 1e-3, "momentum": 0.9},
    "RMSprop": {"lr": 1e-3},
    "Adam": {"lr": 1e-3},
    "AdamW": {"lr": 1e-3},
}


def _params(total: int, seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    size = total // N_TENSORS
    params = []
    for _ in range(N_TENSORS):
        p = torch.randn(size, generator=g).requires_grad_()
        p.grad = torch.randn(size, generator=g)
        params.append(p)
    return params


def _time_steps(
    make: Callable[[list[torch.Tensor]], torch.optim.Optimizer], total: int, repeats: int
) -> list[float]:
    optimizer = make(_params(total))
    for _ in range(3):  # warm-up: creates the state, fills caches
        optimizer.step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        optimizer.step()
        times.append(time.perf_counter() - start)
    return times


def run(quick: bool = False) -> list[dict[str, Any]]:
    """One row per (optimizer, size, torch foreach setting)."""
    torch.set_num_threads(2)
    sizes = [10**5] if quick else [10**6, 10**7]
    repeats, rounds = (3, 1) if quick else (10, 3)
    rows = []
    for total in sizes:
        for label, kwargs in CONFIGS.items():
            name = label.split()[0]
            ours_cls = getattr(ours, name)
            torch_cls = getattr(torch.optim, name)
            for foreach in (False, True):
                # Interleave the two measurements so load from other processes hits both.
                ours_s: list[float] = []
                ref_s: list[float] = []
                make_ours = partial(ours_cls, **kwargs)
                make_ref = partial(torch_cls, foreach=foreach, **kwargs)
                for _ in range(rounds):
                    ours_s += _time_steps(make_ours, total, repeats)
                    ref_s += _time_steps(make_ref, total, repeats)
                o, r = statistics.median(ours_s), statistics.median(ref_s)
                rows.append(
                    {
                        "benchmark": f"{label} step, {total:.0e} params / {N_TENSORS} tensors, "
                        f"vs foreach={foreach}",
                        "ours_s": o,
                        "reference_s": r,
                        "ratio": o / r,
                        "target": TARGET if foreach else None,
                    }
                )
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    lines = ["| benchmark | ours (ms) | torch (ms) | ratio | target |", "|---|---|---|---|---|"]
    for r in rows:
        target = "" if r["target"] is None else f"≤ {r['target']}"
        lines.append(
            f"| {r['benchmark']} | {1e3 * r['ours_s']:.2f} | {1e3 * r['reference_s']:.2f} "
            f"| {r['ratio']:.2f} | {target} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(_table(run(quick="--quick" in sys.argv)))
