"""How many threads torch uses while an experiment runs.

The pages' experiments train small networks (64-unit layers, digits-sized batches). On the
2-core build machines more threads gain nothing at that size and, under load, mostly wait
for each other (measured: 3 ms per step on one thread, 200 ms on two under load). One
thread also fixes the order of floating-point sums, so a result does not depend on the
core count of the machine that computed it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run a block, or as a decorator (`@torch_threads(1)`) a function, on `n` torch threads.

    The previous thread count is restored afterwards, also when the block raises.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
