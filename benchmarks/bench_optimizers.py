"""`step()` time of dlbasics.optimizers vs torch.optim (foreach=False and foreach=True).

The parameters are spread over 100 float32 tensors on the CPU, with fixed random
gradients; each optimizer first takes a few warm-up steps (so its state exists), then
ours and torch's step in turn (alternating which goes first) and the median of each
one's timed `step()` calls is reported. Target (issue 4): ours within
1.2× of torch's `foreach=True`.

Run: `.venv/bin/python benchmarks/bench_optimizers.py` (add `--quick` for small sizes,
`--threads 1` for one torch thread instead of two).
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


def _time_pair(
    make_ours: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
    make_ref: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
    total: int,
    repeats: int,
) -> tuple[list[float], list[float]]:
    """Step times of both optimizers, alternating which goes first, so that load from
    other processes (the machine is shared) falls on both alike."""
    optimizers = [make_ours(_params(total)), make_ref(_params(total))]
    for opt in optimizers:
        for _ in range(3):  # warm-up: creates the state, fills caches
            opt.step()
    times: tuple[list[float], list[float]] = ([], [])
    for r in range(repeats):
        order = (0, 1) if r % 2 == 0 else (1, 0)
        for k in order:
            start = time.perf_counter()
            optimizers[k].step()
            times[k].append(time.perf_counter() - start)
    return times


def run(quick: bool = False, threads: int = 2) -> list[dict[str, Any]]:
    """One row per (optimizer, size, torch foreach setting), under `threads` torch threads.

    On a loaded machine two threads can stall: an element-wise op that torch splits over
    both threads waits for the one the OS has descheduled (a 1,000-element `sqrt` then
    takes a scheduler time slice, ~10 ms, instead of ~1 µs). `--threads 1` measures
    without that artefact.
    """
    torch.set_num_threads(threads)
    sizes = [10**5] if quick else [10**6, 10**7]
    repeats = 4 if quick else 30
    rows = []
    for total in sizes:
        for label, kwargs in CONFIGS.items():
            name = label.split()[0]
            ours_cls = getattr(ours, name)
            torch_cls = getattr(torch.optim, name)
            for foreach in (False, True):
                ours_s, ref_s = _time_pair(
                    partial(ours_cls, **kwargs),
                    partial(torch_cls, foreach=foreach, **kwargs),
                    total,
                    repeats,
                )
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


if __name__ == "__main__":
    from run_all import table  # the one table of `make bench`

    n_threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
    print(table(run(quick="--quick" in sys.argv, threads=n_threads)))
