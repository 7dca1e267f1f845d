"""Forward + backward of training-mode batch norm: dlbasics.batch_norm vs torch's modules.

Both run in the same process, on the same float32 CPU tensors, under two threads; each
timing is the median of the repeats. The target (issue "Batch normalization, library") is
a ratio ours/torch of at most 2.0.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import torch

from dlbasics.batch_norm import BatchNorm1d, BatchNorm2d

TARGET = 2.0


def _median_seconds(
    steps: tuple[Callable[[], None], Callable[[], None]], repeats: int
) -> tuple[float, float, float, float]:
    """Median and minimum time of each of two steps, run alternately so that both see the
    same load. Returns (median_a, median_b, min_a, min_b)."""
    for step in steps:
        step()  # warm-up: first-touch allocations, thread pool start
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for step, bucket in zip(steps, times, strict=True):
            start = time.perf_counter()
            step()
            bucket.append(time.perf_counter() - start)
    return (
        statistics.median(times[0]),
        statistics.median(times[1]),
        min(times[0]),
        min(times[1]),
    )


def _train_step(module: torch.nn.Module, x: torch.Tensor, grad: torch.Tensor) -> Callable[[], None]:
    def step() -> None:
        x.grad = None
        module.zero_grad(set_to_none=True)
        module(x).backward(grad)

    return step


class ComposedBatchNorm2d(torch.nn.Module):
    """Training-mode batch norm composed from tensor ops; autograd differentiates it.

    Not part of the library: the naive version the hand-derived backward pass is compared to.
    """

    def __init__(self, num_features: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(num_features))
        self.bias = torch.nn.Parameter(torch.zeros(num_features))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean((0, 2, 3), keepdim=True)
        var = ((x - mean) ** 2).mean((0, 2, 3), keepdim=True)
        x_hat = (x - mean) / torch.sqrt(var + self.eps)
        return x_hat * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


def _case(
    name: str,
    ours: torch.nn.Module,
    reference: torch.nn.Module,
    shape: tuple[int, ...],
    repeats: int,
    target: float | None = TARGET,
) -> dict[str, Any]:
    gen = torch.Generator().manual_seed(0)
    x = (torch.randn(shape, generator=gen) * 2 + 0.5).requires_grad_()
    grad = torch.randn(shape, generator=gen)
    ours_s, reference_s, ours_min, reference_min = _median_seconds(
        (_train_step(ours.train(), x, grad), _train_step(reference.train(), x, grad)), repeats
    )
    return {
        "benchmark": name,
        "ours_s": ours_s,
        "reference_s": reference_s,
        "ratio": ours_s / reference_s,
        "target": target,
        # On a shared machine the medians are noisy; the minimums show the undisturbed cost.
        "ours_min_s": ours_min,
        "reference_min_s": reference_min,
    }


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Time forward + backward (training mode) of BatchNorm2d and BatchNorm1d against torch's,
    and, for comparison, batch norm composed from tensor ops with autograd's backward.

    Full sizes: BatchNorm2d on (64, 64, 56, 56) and BatchNorm1d on (4096, 1024);
    `quick=True` uses (8, 64, 28, 28) and (512, 256) with fewer repeats.
    """
    torch.set_num_threads(2)
    if quick:
        shape2d, shape1d, repeats = (8, 64, 28, 28), (512, 256), 5
    else:
        shape2d, shape1d, repeats = (64, 64, 56, 56), (4096, 1024), 15
    c2, c1 = shape2d[1], shape1d[1]
    return [
        _case(
            f"BatchNorm2d fwd+bwd {shape2d}",
            BatchNorm2d(c2),
            torch.nn.BatchNorm2d(c2),
            shape2d,
            repeats,
        ),
        _case(
            f"BatchNorm1d fwd+bwd {shape1d}",
            BatchNorm1d(c1),
            torch.nn.BatchNorm1d(c1),
            shape1d,
            repeats,
        ),
        # For comparison, no target: what the hand-derived backward pass saves.
        _case(
            f"composed formula + autograd, fwd+bwd {shape2d}",
            ComposedBatchNorm2d(c2),
            torch.nn.BatchNorm2d(c2),
            shape2d,
            repeats,
            target=None,
        ),
    ]


if __name__ == "__main__":
    from run_all import table  # the one table of `make bench`

    print(table(run()))
