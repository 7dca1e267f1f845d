"""Forward + backward of our focal losses against plain references, float32, CPU.

- `sigmoid_focal_loss` (validated, log-space) vs the textbook formula that
  `torchvision.ops.sigmoid_focal_loss` uses (`sigmoid`, `binary_cross_entropy_with_logits`,
  `(1 - p_t) ** gamma`), written here because torchvision does not import beside our torch.
  Target ratio ≤ 2: the argument checks (a min/max pass over the targets) and the stable
  formulation may cost something; this measures how much.
- `softmax_focal_loss(gamma=0)` vs `F.cross_entropy` on the same (N, C) logits. Target ≤ 2.

Usage: `python benchmarks/bench_focal_loss.py [--quick]`.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from dlbasics.focal_loss import sigmoid_focal_loss, softmax_focal_loss


def textbook_sigmoid_focal_loss(
    inputs: torch.Tensor, targets: torch.Tensor, alpha: float = 0.25, gamma: float = 2.0
) -> torch.Tensor:
    """torchvision's formula, reduction="mean", no argument checks."""
    p = torch.sigmoid(inputs)
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return loss.mean()


def median_times(
    ours: Callable[[], None], reference: Callable[[], None], repeats: int
) -> tuple[float, float]:
    """Median seconds of each step, the two run alternately so both see the same load."""
    ours()  # warm-up: allocations, first-call dispatch
    reference()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for step, bucket in ((ours, times[0]), (reference, times[1])):
            start = time.perf_counter()
            step()
            bucket.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def forward_backward(
    loss_fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> Callable[[], None]:
    def step() -> None:
        x.grad = None
        loss_fn(x).backward()

    return step


def _row(name: str, ours: float, ref: float, target: float | None) -> dict[str, Any]:
    return {
        "benchmark": name,
        "ours_s": ours,
        "reference_s": ref,
        "ratio": ours / ref,
        "target": target,
    }


def sigmoid_rows(n: int, repeats: int, g: torch.Generator) -> list[dict[str, Any]]:
    x = (torch.randn(n, generator=g) * 3).requires_grad_()
    t = (torch.rand(n, generator=g) < 0.01).float()  # 1 : 100 positives
    rows = []
    for gamma in (2.0, 0.5):
        ours, ref = median_times(
            forward_backward(lambda z, gm=gamma: sigmoid_focal_loss(z, t, 0.25, gm, "mean"), x),
            forward_backward(lambda z, gm=gamma: textbook_sigmoid_focal_loss(z, t, 0.25, gm), x),
            repeats,
        )
        rows.append(
            _row(f"sigmoid_focal_loss γ={gamma:g} vs textbook, {n:.0e} logits", ours, ref, 2.0)
        )
    return rows


def softmax_rows(
    n: int, repeats: int, g: torch.Generator, classes: int = 10
) -> list[dict[str, Any]]:
    x = torch.randn(n // classes, classes, generator=g).requires_grad_()
    y = torch.randint(0, classes, (n // classes,), generator=g)
    rows = []
    for gamma, target in ((0.0, 2.0), (2.0, None)):
        ours, ref = median_times(
            forward_backward(lambda z, gm=gamma: softmax_focal_loss(z, y, gm), x),
            forward_backward(lambda z: F.cross_entropy(z, y), x),
            repeats,
        )
        name = f"softmax_focal_loss γ={gamma:g} vs F.cross_entropy, {n:.0e} logits (C={classes})"
        rows.append(_row(name, ours, ref, target))
    return rows


def run(quick: bool = False) -> list[dict[str, Any]]:
    torch.set_num_threads(2)
    g = torch.Generator().manual_seed(0)
    sizes = (10**5,) if quick else (10**6, 10**7)
    repeats = 3 if quick else 9
    rows = []
    for n in sizes:
        rows += sigmoid_rows(n, repeats, g)
    for n in sizes:
        rows += softmax_rows(n, repeats, g)
    return rows


if __name__ == "__main__":
    results = run(quick="--quick" in sys.argv)
    print("| benchmark | ours (s) | reference (s) | ratio | target |")
    print("|---|---|---|---|---|")
    for r in results:
        target = "—" if r["target"] is None else f"≤ {r['target']:g}"
        print(
            f"| {r['benchmark']} | {r['ours_s']:.4f} | {r['reference_s']:.4f} "
            f"| {r['ratio']:.2f} | {target} |"
        )
