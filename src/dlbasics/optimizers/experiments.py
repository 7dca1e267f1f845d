"""The experiments of the optimizers page (docs/optimizers.md).

Training runs of a small MLP on scikit-learn's digits
([`train_digits`][dlbasics.optimizers.experiments.train_digits]), paths on the 2-D test
surfaces, and the step-by-step behaviour of the moving averages. Each experiment returns
plain data and is cached; `dlbasics.optimizers.figures` draws it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from dlbasics._threads import torch_threads
from dlbasics.cache import cached
from dlbasics.optimizers import (
    SGD,
    SURFACES,
    Adam,
    RMSprop,
    TextbookMomentum,
    UncorrectedAdam,
    effective_window,
    ema,
    exponential_decay,
    inverse_time_decay,
    lr_decay_scheduler,
    make_optimizer,
    quadratic,
    trajectory,
    window_mass,
)
from dlbasics.training import accuracy, classification_loss, digits, fit, minibatches, model_loss

__all__ = [
    "LR_GRID",
    "SURFACE_LRS",
    "SURFACE_STEPS",
    "adam_first_steps",
    "bias_correction_curves",
    "digits_mlp",
    "ema_curves",
    "ema_window_rows",
    "gd_variants",
    "gradient_noise",
    "lr_decay_runs",
    "lr_schedule_curves",
    "lr_sweep",
    "momentum_buffer",
    "momentum_condition_rows",
    "momentum_form_rows",
    "momentum_paths",
    "noisy_series",
    "optimizer_comparison",
    "partial_surface",
    "rmsprop_alpha_steps",
    "rmsprop_eps_placement",
    "sgd_update_check",
    "surface_paths",
    "torch_agreement_rows",
    "train_digits",
    "weight_decay_runs",
]


def digits_mlp(seed: int = 0, hidden: int = 32, dtype: torch.dtype = torch.float32) -> Any:
    """The page's small network: 64 → `hidden` → ReLU → 10, initialised from `seed`."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return torch.nn.Sequential(
            torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)
        ).to(dtype)


@cached
def train_digits(
    optimizer: str = "Adam",
    lr: float = 1e-3,
    epochs: int = 20,
    batch_size: int | None = 64,
    seed: int = 0,
    weight_decay: float | None = None,
    schedule: tuple[str, float] | None = None,
    record_every: int | None = None,
    hidden: int = 32,
    progress: bool = False,
) -> dict[str, np.ndarray]:
    """Train [`digits_mlp`][dlbasics.optimizers.experiments.digits_mlp] on digits with
    cross-entropy.

    Args:
        optimizer: A key of [`OPTIMIZERS`][dlbasics.optimizers.OPTIMIZERS].
        lr: Initial learning rate.
        epochs: Passes over the 1,348 training images.
        batch_size: Mini-batch size; `None` for the whole training set (batch GD).
        seed: Seeds the initial weights and the shuffling.
        weight_decay: Passed to the optimizer when not `None`.
        schedule: `("inverse_time", decay_rate)` or `("exponential", rate)`, stepped per epoch.
        record_every: Record the losses every this many steps (default: once per epoch).
        hidden: Width of the hidden layer.
        progress: Show a tqdm bar.

    Returns:
        `step`, `epoch`, `train_loss`, `test_loss`, `test_accuracy` at each record
        (the first at step 0), `lr` per epoch, and the final `weight_norm`. A run
        that diverges is cut short with NaN losses.
    """
    with torch_threads(1):
        return _train_digits(
            optimizer,
            lr,
            epochs,
            batch_size,
            seed,
            weight_decay,
            schedule,
            record_every,
            hidden,
            progress,
        )


def _train_digits(
    optimizer: str,
    lr: float,
    epochs: int,
    batch_size: int | None,
    seed: int,
    weight_decay: float | None,
    schedule: tuple[str, float] | None,
    record_every: int | None,
    hidden: int,
    progress: bool,
) -> dict[str, np.ndarray]:
    data = digits()
    n = len(data.x_train)
    batch = n if batch_size is None else int(batch_size)
    if batch < 1:
        raise ValueError(f"batch_size must be >= 1 or None, got {batch_size!r}")
    model = digits_mlp(seed, hidden)
    kwargs: dict[str, Any] = {} if weight_decay is None else {"weight_decay": weight_decay}
    opt = make_optimizer(optimizer, model.parameters(), lr, **kwargs)
    scheduler = None
    if schedule is not None:
        kind, value = schedule
        if kind == "inverse_time":
            scheduler = lr_decay_scheduler(opt, inverse_time_decay, decay_rate=value)
        elif kind == "exponential":
            scheduler = lr_decay_scheduler(opt, exponential_decay, rate=value)
        else:
            raise ValueError(
                f"schedule must be ('inverse_time' | 'exponential', value), got {schedule!r}"
            )
    generator = torch.Generator().manual_seed(seed)
    steps_per_epoch = -(-n // batch)
    every = record_every or steps_per_epoch
    log: dict[str, list[float]] = {
        k: [] for k in ("step", "train_loss", "test_loss", "test_accuracy")
    }
    lrs: list[float] = []
    done = 0  # steps taken in earlier epochs

    def record(step: int) -> None:
        with torch.no_grad():
            test_logits = model(data.x_test)
            log["step"].append(step)
            log["train_loss"].append(model_loss(model, data.x_train, data.y_train))
            log["test_loss"].append(float(F.cross_entropy(test_logits, data.y_test)))
            log["test_accuracy"].append(accuracy(test_logits, data.y_test))

    def after_step(step: int, loss: torch.Tensor) -> None:
        if (done + step) % every == 0:
            record(done + step)

    record(0)
    diverged = False
    batch_loss = classification_loss(model, data.x_train, data.y_train)
    for _ in tqdm(range(epochs), disable=not progress, desc=f"{optimizer} lr={lr:g}"):
        lrs.append(opt.param_groups[0]["lr"])
        epoch = minibatches(n, batch, generator=generator, epochs=1)
        result = fit(opt, epoch, batch_loss, after_step=after_step, stop_if_not_finite=True)
        done += result.steps
        if result.diverged:
            diverged = True
            break
        if scheduler is not None:
            scheduler.step()
    step = done
    out = {k: np.asarray(v, dtype=np.float64) for k, v in log.items()}
    if diverged:
        out["train_loss"] = np.append(out["train_loss"], np.nan)
        out["test_loss"] = np.append(out["test_loss"], np.nan)
        out["test_accuracy"] = np.append(out["test_accuracy"], np.nan)
        out["step"] = np.append(out["step"], step)
    out["epoch"] = out["step"] / steps_per_epoch
    out["lr"] = np.asarray(lrs)
    out["weight_norm"] = np.asarray(
        float(torch.sqrt(sum((p.detach() ** 2).sum() for p in model.parameters())))
    )
    return out


@cached
@torch_threads(1)
def sgd_update_check(lr: float = 0.1, seed: int = 0) -> float:
    r"""One [`SGD`][dlbasics.optimizers.SGD] step on the page's network vs \(W - \alpha\,dJ/dW\).

    Returns the largest absolute difference over all weights (0 when they agree exactly).
    """
    data = digits(dtype=torch.float64)
    model = digits_mlp(seed, dtype=torch.float64)
    before = [p.detach().clone() for p in model.parameters()]
    loss = torch.nn.functional.cross_entropy(model(data.x_train), data.y_train)
    grads = torch.autograd.grad(loss, list(model.parameters()))
    for p, g in zip(model.parameters(), grads, strict=True):
        p.grad = g
    SGD(model.parameters(), lr=lr).step()
    return max(
        float((p.detach() - (w - lr * g)).abs().max())
        for p, w, g in zip(model.parameters(), before, grads, strict=True)
    )


@cached
@torch_threads(1)
def gd_variants(
    lrs: tuple[float, float, float] = (0.5, 0.1, 0.01), seed: int = 0
) -> dict[str, dict[str, np.ndarray]]:
    """Batch, mini-batch (64) and stochastic (1) gradient descent with plain SGD.

    `lrs` are the learning rates of the three variants: the noisier the gradient, the
    smaller the step it tolerates.
    Budgets: 200 epochs of batch GD (200 updates), 20 epochs with batches of 64
    (420 updates), one epoch of single examples (1,348 updates).
    """
    runs: dict[str, dict[str, Any]] = {
        "batch (1,348)": {"batch_size": None, "epochs": 200, "record_every": 1},
        "mini-batch (64)": {"batch_size": 64, "epochs": 20, "record_every": 4},
        "stochastic (1)": {"batch_size": 1, "epochs": 1, "record_every": 13},
    }
    out = {}
    for lr, (label, kw) in zip(lrs, runs.items(), strict=True):
        r = train_digits("SGD", lr, seed=seed, **kw)
        out[label] = {k: r[k] for k in ("step", "epoch", "train_loss")} | {"lr": np.asarray(lr)}
    return out


@cached
def gradient_noise(
    batch_sizes: tuple[int, ...] = (1, 4, 16, 64, 256, 1024),
    draws: int = 100,
    trained_epochs: tuple[int, ...] = (0, 5),
    seed: int = 0,
) -> dict[str, Any]:
    r"""How far a mini-batch gradient is from the full-batch one, against the batch size.

    Per-sample gradients \(g_i\) of the network's loss are computed once
    (`torch.func.vmap` over `torch.func.grad`); a mini-batch gradient is the mean of `B`
    rows drawn without replacement. Measured: \(E\lVert g_B - G\rVert^2 / \lVert G\rVert^2\)
    over `draws` batches. Predicted by sampling theory:
    \(\frac{N-B}{N-1}\,\frac{\sigma^2}{B}\) with
    \(\sigma^2 = \frac1N\sum_i \lVert g_i - G\rVert^2\). Done at initialisation and
    after `trained_epochs` epochs of SGD (batch 64, lr 0.1).
    """
    from torch.func import functional_call, grad, vmap

    data = digits()
    n = len(data.x_train)
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {"batch_sizes": np.asarray(batch_sizes, dtype=np.float64)}
    with torch_threads(1):
        for epochs in trained_epochs:
            model = digits_mlp(seed)
            opt = SGD(model.parameters(), lr=0.1)
            batches = minibatches(n, 64, generator=seed, epochs=epochs)
            fit(opt, batches, classification_loss(model, data.x_train, data.y_train))
            params = {k: v.detach() for k, v in model.named_parameters()}

            def sample_loss(p: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> Any:
                logits = functional_call(model, p, (x[None],))  # noqa: B023
                return torch.nn.functional.cross_entropy(logits, y[None])

            per_sample = vmap(grad(sample_loss), in_dims=(None, 0, 0))(
                params, data.x_train, data.y_train
            )
            g = torch.cat([v.reshape(n, -1) for v in per_sample.values()], dim=1).double().numpy()
            full = g.mean(axis=0)
            sigma2 = float(((g - full) ** 2).sum(axis=1).mean())
            norm2 = float((full**2).sum())
            measured, predicted = [], []
            # Each draw is a prefix of its own random permutation: B rows without replacement.
            perms = np.argsort(rng.random((draws, n)), axis=1)
            rows = np.arange(draws)[:, None]
            for b in batch_sizes:
                select = np.zeros((draws, n))
                select[rows, perms[:, :b]] = 1.0 / b
                errors = ((select @ g - full) ** 2).sum(axis=1)  # one matmul for all draws
                measured.append(float(errors.mean()) / norm2)
                predicted.append((n - b) / (n - 1) * sigma2 / b / norm2)
            out[f"measured_{epochs}"] = np.asarray(measured)
            out[f"predicted_{epochs}"] = np.asarray(predicted)
    return out


def noisy_series(n: int = 200, seed: int = 0) -> np.ndarray:
    """A daily-temperature-like series: a slow seasonal curve plus Gaussian noise (σ = 3)."""
    t = np.arange(n)
    return (
        12.0 + 8.0 * np.sin(2 * np.pi * t / 365 * 1.5) + np.random.default_rng(seed).normal(0, 3, n)
    )


def ema_curves(
    betas: Sequence[float] = (0.5, 0.9, 0.98), n: int = 200, seed: int = 0
) -> dict[str, Any]:
    """[`noisy_series`][dlbasics.optimizers.experiments.noisy_series] and its exponentially
    weighted averages for each β, with each average's effective window."""
    x = noisy_series(n, seed)
    return {
        "data": x,
        "ema": {beta: ema(x, beta) for beta in betas},
        "window": {beta: effective_window(beta) for beta in betas},
    }


def bias_correction_curves(beta: float = 0.98, n: int = 100, seed: int = 0) -> dict[str, Any]:
    r"""A noisy series, its EMA as it is, and the bias-corrected EMA \(V_t / (1 - \beta^t)\)."""
    x = noisy_series(n, seed)
    return {
        "data": x,
        "beta": beta,
        "plain": ema(x, beta),
        "corrected": ema(x, beta, bias_correction=True),
    }


def lr_schedule_curves(
    epochs: int = 50,
    decay_rates: Sequence[float] = (0.1, 0.2, 1.0),
    rates: Sequence[float] = (0.95, 0.9),
) -> dict[str, Any]:
    """The multipliers lr/lr₀ of both decay formulas of the note, epoch 0 to `epochs`."""
    epoch = np.arange(epochs + 1)
    return {
        "epoch": epoch,
        "inverse_time": {
            dr: [inverse_time_decay(1.0, k, dr) for k in range(epochs + 1)] for dr in decay_rates
        },
        "exponential": {
            rate: [exponential_decay(1.0, k, rate) for k in range(epochs + 1)] for rate in rates
        },
    }


@cached
@torch_threads(1)
def ema_window_rows(betas: Sequence[float] = (0.5, 0.9, 0.98)) -> list[list[Any]]:
    """Rows: β, the rule of thumb 1/(1−β), the weight inside it, samples holding 90 %."""
    rows = []
    for beta in betas:
        window = round(effective_window(beta))
        ninety = next(k for k in range(1, 10_000) if window_mass(beta, k) >= 0.9)
        rows.append([beta, window, f"{100 * window_mass(beta, window):.1f} %", ninety])
    return rows


@cached
@torch_threads(1)
def momentum_paths(
    condition: float = 25.0, lr: float = 0.075, beta: float = 0.9, steps: int = 60
) -> dict[str, np.ndarray]:
    """Gradient descent vs momentum on the ill-conditioned quadratic, same start.

    "GD" uses `lr`; "momentum" is the textbook average with the same α = `lr`
    (torch: `SGD(lr=lr·(1−β), momentum=β)`).
    """
    surface = partial_surface(condition)
    start = SURFACES["quadratic"].start
    return {
        "gradient descent": trajectory(lambda p: SGD(p, lr=lr), surface, start, steps),
        f"momentum β={beta}": trajectory(
            lambda p: SGD(p, lr=lr * (1 - beta), momentum=beta), surface, start, steps
        ),
    }


def partial_surface(condition: float) -> Callable[[Any, Any], Any]:
    """[`quadratic`][dlbasics.optimizers.quadratic] with its condition number fixed."""

    def surface(x: Any, y: Any) -> Any:
        return quadratic(x, y, condition)

    return surface


@cached
def momentum_condition_rows(
    conditions: tuple[float, ...] = (10.0, 100.0, 1000.0),
    betas: tuple[float, ...] = (0.0, 0.5, 0.9),
    steps: int = 200,
    lrs: tuple[float, ...] = tuple(float(v) for v in np.logspace(-4, 0, 13)),
) -> list[list[Any]]:
    """Lowest f reached after `steps` on the quadratic, per condition number and momentum.

    Each (κ, β) gets the best learning rate of `lrs` (torch's form, `SGD(lr, momentum=β)`);
    β = 0 is plain gradient descent. Rows: κ, then the best final f for each β.
    """
    rows = []
    with torch_threads(1):
        for condition in conditions:
            surface = partial_surface(condition)
            row: list[Any] = [condition]
            for beta in betas:
                paths = _paths_per_lr(
                    "SGD", surface, SURFACES["quadratic"].start, steps, lrs, momentum=beta
                )
                # in torch, like the paths: a huge last point overflows to inf without a warning
                final = np.array([float(surface(*torch.from_numpy(p[-1]))) for p in paths])
                row.append(float(np.nanmin(np.where(np.isfinite(final), final, np.nan))))
            rows.append(row)
    return rows


@cached
@torch_threads(1)
def momentum_form_rows(lr: float = 0.075, beta: float = 0.9, steps: int = 100) -> list[list[Any]]:
    """The textbook average vs torch's sum on the quadratic: largest distance between paths."""
    start = SURFACES["quadratic"].start
    textbook = trajectory(
        lambda p: TextbookMomentum(p, lr=lr, beta=beta), "quadratic", start, steps
    )
    variants = {
        f"SGD(lr={lr:g}·(1−β), momentum=β)": lambda p: SGD(p, lr=lr * (1 - beta), momentum=beta),
        f"SGD(lr={lr:g}, momentum=β)": lambda p: SGD(p, lr=lr, momentum=beta),
        f"SGD(lr={lr:g}, momentum=β, dampening=β)": lambda p: SGD(
            p, lr=lr, momentum=beta, dampening=beta
        ),
    }
    rows = []
    for label, make in variants.items():
        path = trajectory(make, "quadratic", start, steps)
        first = np.linalg.norm(path[1] - path[0]) / np.linalg.norm(textbook[1] - textbook[0])
        gap = (
            np.nanmax(np.linalg.norm(path - textbook, axis=1))
            if np.isfinite(path).all()
            else np.inf
        )
        rows.append([label, float(gap), float(first)])
    return rows


@cached
@torch_threads(1)
def momentum_buffer(beta: float = 0.9, steps: int = 60) -> dict[str, np.ndarray]:
    """Buffers under a constant gradient g = 1: torch's sum → 1/(1−β), the average → 1."""
    out: dict[str, list[float]] = {"torch SGD buffer": [], "textbook v": []}
    p, q = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    torch_form, textbook = SGD([p], lr=0.0, momentum=beta), TextbookMomentum([q], lr=0.0, beta=beta)
    for _ in range(steps):
        p.grad, q.grad = torch.ones(1), torch.ones(1)
        torch_form.step()
        textbook.step()
        out["torch SGD buffer"].append(float(torch_form.state[p]["momentum_buffer"]))
        out["textbook v"].append(float(textbook.state[q]["velocity"]))
    return {k: np.asarray(v) for k, v in out.items()}


def _constant_gradient_steps(
    make: Callable[[list[torch.Tensor]], torch.optim.Optimizer], grads: np.ndarray
) -> np.ndarray:
    """|Δθ| / lr at each step when the gradients are exactly `grads` (one column each)."""
    grads = np.atleast_2d(np.asarray(grads, dtype=np.float64).T).T  # (steps, width)
    p = torch.zeros(grads.shape[1], dtype=torch.float64, requires_grad=True)
    opt = make([p])
    lr = opt.param_groups[0]["lr"]
    steps = []
    for g in grads:
        before = p.detach().clone()
        p.grad = torch.as_tensor(g)
        opt.step()
        steps.append(((p.detach() - before).abs() / lr).numpy())
    return np.asarray(steps)


@cached
@torch_threads(1)
def rmsprop_eps_placement(
    eps: float = 1e-8, alpha: float = 0.99, steps: int = 3000
) -> dict[str, np.ndarray]:
    r"""Steady-state step / lr against |g| with ε outside the root (torch) and inside.

    torch: \(g/(\sqrt v + \varepsilon)\); inside: \(g/\sqrt{v + \varepsilon}\), computed from
    the same `square_avg` \(v\) after `steps` constant gradients.
    """
    g = np.logspace(-12, 0, 61)
    p = torch.zeros(len(g), dtype=torch.float64, requires_grad=True)
    opt = RMSprop([p], lr=1.0, alpha=alpha, eps=eps)
    for _ in range(steps):
        before = p.detach().clone()
        p.grad = torch.as_tensor(g)
        opt.step()
    outside = (p.detach() - before).abs().numpy()
    v = opt.state[p]["square_avg"].numpy()
    inside = g / np.sqrt(v + eps)
    return {"grad": g, "outside": outside, "inside": inside}


@cached
@torch_threads(1)
def rmsprop_alpha_steps(
    alphas: Sequence[float] = (0.9, 0.99, 0.999), steps: int = 600, drop_at: int = 300
) -> dict[str, np.ndarray]:
    """Step / lr of RMSprop when the gradient is 1 and then drops to 0.1 at `drop_at`."""
    grads = np.where(np.arange(steps) < drop_at, 1.0, 0.1)
    out = {
        f"RMSprop α={a}": _constant_gradient_steps(partial(RMSprop, lr=1.0, alpha=a), grads)[:, 0]
        for a in alphas
    }
    out["Adam β₂=0.999 (β₁=0)"] = _constant_gradient_steps(
        lambda p: Adam(p, lr=1.0, betas=(0.0, 0.999)), grads
    )[:, 0]
    out["grad"] = grads
    return out


@cached
@torch_threads(1)
def adam_first_steps(steps: int = 300, seed: int = 0) -> dict[str, np.ndarray]:
    """Step / lr of Adam with and without bias correction, constant and noisy gradients."""
    noisy = np.random.default_rng(seed).normal(1.0, 1.0, steps)
    out = {}
    for label, grads in (("constant", np.ones(steps)), ("noisy", noisy)):
        out[f"{label}, corrected"] = _constant_gradient_steps(lambda p: Adam(p, lr=1.0), grads)[
            :, 0
        ]
        out[f"{label}, uncorrected"] = _constant_gradient_steps(
            lambda p: UncorrectedAdam(p, lr=1.0), grads
        )[:, 0]
    return out


LR_GRID: tuple[float, ...] = (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)
"""The learning rates of the digits sweep."""

SURFACE_STEPS: dict[str, int] = {"rosenbrock": 500, "beale": 300, "quadratic": 60, "saddle": 100}
"""Steps per surface on the page."""


def _paths_per_lr(
    name: str,
    func: Callable[[Any, Any], Any],
    start: Sequence[float],
    steps: int,
    lrs: Sequence[float],
    **options: Any,
) -> list[np.ndarray]:
    """Like `trajectory` for every lr at once: one param group (and one point) per lr.

    The loss is the sum of f over the points, so each point gets its own gradient.
    `options` go to the optimizer (e.g. `momentum=0.9`). A diverged path is NaN from there on.
    """
    points = [torch.tensor(start, dtype=torch.float64, requires_grad=True) for _ in lrs]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(points, lrs, strict=True)]
    opt = make_optimizer(name, groups, lrs[0], **options)
    out = np.full((len(lrs), steps + 1, 2), np.nan)
    out[:, 0] = start
    alive = np.ones(len(lrs), dtype=bool)
    for i in range(1, steps + 1):
        opt.zero_grad()
        xy = torch.stack(points)  # one vectorised graph: cheaper than one graph per point
        func(xy[:, 0], xy[:, 1])[torch.as_tensor(alive)].sum().backward()
        opt.step()
        now = np.stack([p.detach().numpy() for p in points])
        alive &= np.isfinite(now).all(axis=1)
        out[alive, i] = now[alive]
        for p, a in zip(points, alive, strict=True):
            if not a:
                p.grad = None  # a diverged point stops (its group is skipped)
        if not alive.any():
            break
    return list(out)


@cached
def surface_paths(
    surface: str,
    names: tuple[str, ...] = ("SGD", "Momentum", "Nesterov", "RMSprop", "Adam"),
    lrs: tuple[float, ...] | None = None,
    steps: int | None = None,
) -> dict[str, Any]:
    """For each optimizer, the path with the learning rate of `lrs` that does best.

    "Best" = lowest mean of f along the path (reaching low values early counts);
    paths that diverge or leave the plotted box are out.
    """
    s = SURFACES[surface]
    n = steps or SURFACE_STEPS[surface]
    paths: dict[str, np.ndarray | None] = {}
    chosen: dict[str, float | None] = {}
    box = 3 * max(map(abs, s.xlim)), 3 * max(map(abs, s.ylim))
    grid = SURFACE_LRS if lrs is None else lrs
    with torch_threads(1):
        for name in names:
            candidates = _paths_per_lr(name, s.func, s.start, n, grid)
            best: tuple[float, float | None, np.ndarray | None] = (np.inf, None, None)
            for lr, path in zip(grid, candidates, strict=True):
                inside = (np.abs(path) <= box).all()  # False for NaN (diverged) too
                score = float(np.mean(s.func(path[:, 0], path[:, 1]))) if inside else np.inf
                if score < best[0]:
                    best = (score, lr, path)
            paths[name], chosen[name] = best[2], best[1]
    return {"paths": paths, "lrs": chosen, "steps": n}


SURFACE_LRS: tuple[float, ...] = (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)
"""The learning rates tried on the 2-D surfaces."""


@cached
@torch_threads(1)
def lr_decay_runs(
    lr: float = 0.3,
    epochs: int = 20,
    seeds: tuple[int, ...] = (0, 1, 2),
    schedules: tuple[tuple[str, float] | None, ...] = (
        None,
        ("inverse_time", 0.2),
        ("exponential", 0.95),
    ),
) -> dict[str, Any]:
    """Mini-batch SGD (batch 64) on digits with a constant lr and with each decay schedule."""
    out: dict[str, Any] = {}
    for schedule in schedules:
        label = "constant" if schedule is None else f"{schedule[0]} ({schedule[1]:g})"
        runs = [
            train_digits("SGD", lr, epochs=epochs, batch_size=64, seed=s, schedule=schedule)
            for s in seeds
        ]
        out[label] = {
            "epoch": runs[0]["epoch"],
            "train_loss": np.stack([r["train_loss"] for r in runs]),
            "test_accuracy": np.stack([r["test_accuracy"] for r in runs]),
            "lr": runs[0]["lr"],
        }
    return out


@cached
@torch_threads(1)
def weight_decay_runs(
    weight_decays: tuple[float, ...] = (0.0, 1e-3, 1e-2, 1e-1, 1.0),
    lr: float = 3e-3,
    epochs: int = 15,
    seeds: tuple[int, ...] = (0,),
) -> dict[str, Any]:
    """Adam with L2 (`Adam(weight_decay=λ)`) vs decoupled decay (`AdamW(weight_decay=λ)`)."""
    out: dict[str, Any] = {"weight_decay": np.asarray(weight_decays)}
    for name in ("Adam", "AdamW"):
        rows = []
        for wd in weight_decays:
            runs = [
                train_digits(name, lr, epochs=epochs, batch_size=64, seed=s, weight_decay=wd)
                for s in seeds
            ]
            rows.append(
                [
                    np.mean([r["train_loss"][-1] for r in runs]),
                    np.mean([r["test_accuracy"][-1] for r in runs]),
                    np.mean([float(r["weight_norm"]) for r in runs]),
                ]
            )
        out[name] = np.asarray(rows)  # columns: train loss, test accuracy, weight norm
    return out


@cached
@torch_threads(1)
def lr_sweep(
    names: tuple[str, ...] = ("SGD", "Momentum", "Nesterov", "RMSprop", "Adam", "AdamW"),
    lrs: tuple[float, ...] = LR_GRID,
    epochs: int = 10,
    seed: int = 0,
) -> dict[str, Any]:
    """Final train loss and test accuracy after `epochs` (batch 64), per optimizer and lr."""
    out: dict[str, Any] = {"lrs": np.asarray(lrs)}
    for name in names:
        runs = [train_digits(name, lr, epochs=epochs, batch_size=64, seed=seed) for lr in lrs]
        out[name] = {
            "train_loss": np.asarray([r["train_loss"][-1] for r in runs]),
            "test_accuracy": np.asarray([r["test_accuracy"][-1] for r in runs]),
        }
    return out


@cached
@torch_threads(1)
def optimizer_comparison(
    names: tuple[str, ...] = ("SGD", "Momentum", "Nesterov", "RMSprop", "Adam", "AdamW"),
    seeds: tuple[int, ...] = (0, 1, 2, 3),
    epochs: int = 10,
) -> dict[str, Any]:
    """Each optimizer at its best lr of [`lr_sweep`][dlbasics.optimizers.experiments.lr_sweep],
    over seeds.

    The lr is chosen on seed 0 by final training loss; the other seeds are new
    initialisations and shuffles, so they are not flattered by the choice.
    """
    sweep = lr_sweep(names=names, epochs=epochs)
    out: dict[str, Any] = {}
    for name in names:
        losses = np.nan_to_num(sweep[name]["train_loss"], nan=np.inf)
        lr = float(sweep["lrs"][int(np.argmin(losses))])
        runs = [train_digits(name, lr, epochs=epochs, batch_size=64, seed=s) for s in seeds]
        out[name] = {
            "lr": lr,
            "epoch": runs[0]["epoch"],
            "train_loss": np.stack([r["train_loss"] for r in runs]),
            "test_accuracy": np.stack([r["test_accuracy"] for r in runs]),
        }
    return out


@cached
def torch_agreement_rows(steps: int = 100, seed: int = 0) -> list[list[Any]]:
    r"""Our classes vs torch.optim's training the page's network in float64, same batches.

    Returns rows: configuration, lr, and the largest relative difference of any parameter
    tensor, \(\lVert\theta_{ours} - \theta_{torch}\rVert / \lVert\theta_{torch}\rVert\),
    after `steps`.
    """
    configs: list[tuple[str, float, dict[str, Any]]] = [
        ("SGD", 0.1, {}),
        ("Nesterov", 0.05, {"weight_decay": 1e-3}),
        ("RMSprop", 1e-3, {"centered": True, "momentum": 0.9}),
        ("Adam", 1e-3, {"amsgrad": True, "weight_decay": 1e-2}),
        ("AdamW", 1e-3, {}),
    ]
    data = digits(dtype=torch.float64)
    rows = []
    with torch_threads(1):
        for name, lr, kwargs in configs:
            models = [digits_mlp(seed, dtype=torch.float64) for _ in range(2)]
            opts = [
                make_optimizer(name, m.parameters(), lr, library=lib, **kwargs)
                for m, lib in zip(models, ("dlbasics", "torch"), strict=True)
            ]
            n = len(data.x_train)
            batches = list(minibatches(n, 64, generator=seed, steps=steps, replacement=True))
            for model, opt in zip(models, opts, strict=True):  # independent: one after the other
                fit(opt, batches, classification_loss(model, data.x_train, data.y_train))
            diff = max(
                float((a - b).detach().norm() / b.detach().norm())
                for a, b in zip(models[0].parameters(), models[1].parameters(), strict=True)
            )
            label = name + (
                " " + ", ".join(f"{k}={v}" for k, v in kwargs.items()) if kwargs else ""
            )
            rows.append([label, lr, diff])
    return rows
