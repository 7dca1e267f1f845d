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
from torch.optim.lr_scheduler import LambdaLR
from tqdm.auto import tqdm

from dlbasics._threads import torch_threads
from dlbasics.cache import cached
from dlbasics.optimizers import (
    SGD,
    SURFACES,
    Adagrad,
    Adam,
    RMSprop,
    TextbookMomentum,
    UncorrectedAdam,
    effective_window,
    ema,
    exponential_decay,
    heavy_ball_rate,
    inverse_time_decay,
    lr_decay_scheduler,
    make_optimizer,
    polyak_momentum,
    quadratic,
    trajectory,
    warmup_cosine,
    window_mass,
)
from dlbasics.training import accuracy, classification_loss, digits, fit, minibatches, model_loss

__all__ = [
    "EXPLORER_BETAS",
    "EXPLORER_LRS",
    "GD_VARIANTS",
    "LR_GRID",
    "SURFACE_LRS",
    "SURFACE_STEPS",
    "adagrad_steps",
    "adam_first_steps",
    "batch_lr_sweep",
    "best_beta_answer",
    "bias_correction_curves",
    "constant_average_answer",
    "corrected_average_answer",
    "decoupling_grid",
    "digits_mlp",
    "ema_curves",
    "ema_explorer",
    "ema_lag_and_noise",
    "ema_window_rows",
    "gd_variants",
    "gradient_noise",
    "lr_decay_runs",
    "lr_sweep",
    "measured_rates",
    "momentum_buffer",
    "momentum_explorer",
    "momentum_form_rows",
    "momentum_rate_rows",
    "noisy_series",
    "optimizer_comparison",
    "partial_surface",
    "polyak_beta_answer",
    "rate_map",
    "rmsprop_alpha_steps",
    "rmsprop_eps_placement",
    "schedule_curves",
    "seasonal_curve",
    "sgd_update_check",
    "smallest_step_after_drop_answer",
    "surface_gaps",
    "surface_paths",
    "textbook_alpha_answer",
    "torch_agreement_rows",
    "train_digits",
    "uncorrected_adam_peak_answer",
    "valley_rates",
    "weight_decay_runs",
    "window_ninety_answer",
    "window_share_answer",
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
        schedule: `("inverse_time", decay_rate)` or `("exponential", rate)`, stepped per
            epoch, or `("warmup_cosine", fraction)`:
            [`warmup_cosine`][dlbasics.optimizers.warmup_cosine] stepped per update, warming
            up over that fraction of all updates.
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
    generator = torch.Generator().manual_seed(seed)
    steps_per_epoch = -(-n // batch)
    scheduler = per_update = None
    if schedule is not None:
        kind, value = schedule
        if kind == "inverse_time":
            scheduler = lr_decay_scheduler(opt, inverse_time_decay, decay_rate=value)
        elif kind == "exponential":
            scheduler = lr_decay_scheduler(opt, exponential_decay, rate=value)
        elif kind == "warmup_cosine":
            total = epochs * steps_per_epoch
            warmup = round(value * total)
            per_update = LambdaLR(opt, lambda t: warmup_cosine(1.0, min(t, total), warmup, total))
        else:
            raise ValueError(
                "schedule must be ('inverse_time' | 'exponential' | 'warmup_cosine', value), "
                f"got {schedule!r}"
            )
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
        if per_update is not None:
            per_update.step()
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


def _stack(runs: Sequence[dict[str, np.ndarray]], key: str) -> np.ndarray:
    """One row per run; a run cut short by divergence is padded with NaN."""
    width = max(len(r[key]) for r in runs)
    return np.stack(
        [np.pad(r[key], (0, width - len(r[key])), constant_values=np.nan) for r in runs]
    )


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


def seasonal_curve(n: int = 200) -> np.ndarray:
    """The slow seasonal curve under
    [`noisy_series`][dlbasics.optimizers.experiments.noisy_series]."""
    t = np.arange(n)
    return 12.0 + 8.0 * np.sin(2 * np.pi * t / 365 * 1.5)


def noisy_series(n: int = 200, seed: int = 0) -> np.ndarray:
    """A daily-temperature-like series: a slow seasonal curve plus Gaussian noise (σ = 3)."""
    return seasonal_curve(n) + np.random.default_rng(seed).normal(0, 3, n)


def ema_curves(
    betas: Sequence[float] = (0.5, 0.9, 0.98), n: int = 200, seed: int = 0
) -> dict[str, Any]:
    """[`noisy_series`][dlbasics.optimizers.experiments.noisy_series] and its exponentially
    weighted averages for each β, with each average's effective window."""
    x = noisy_series(n, seed)
    return {
        "data": x,
        "truth": seasonal_curve(n),
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


def partial_surface(condition: float) -> Callable[[Any, Any], Any]:
    """[`quadratic`][dlbasics.optimizers.quadratic] with its condition number fixed."""

    def surface(x: Any, y: Any) -> Any:
        return quadratic(x, y, condition)

    return surface


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
    return {"grad": g, "outside": outside, "inside": inside, "eps": eps}


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
def adagrad_steps(steps: int = 600, drop_at: int = 300) -> dict[str, np.ndarray]:
    """Step / lr of Adagrad and of RMSprop (α = 0.99) when the gradient is 1 and then drops
    to 0.1 at `drop_at`: a sum that never forgets against an average that does."""
    grads = np.where(np.arange(steps) < drop_at, 1.0, 0.1)
    return {
        "Adagrad": _constant_gradient_steps(partial(Adagrad, lr=1.0), grads)[:, 0],
        "RMSprop α=0.99": _constant_gradient_steps(partial(RMSprop, lr=1.0, alpha=0.99), grads)[
            :, 0
        ],
    }


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
    start: Sequence[float] | np.ndarray,
    steps: int,
    lrs: Sequence[float],
    **options: Any,
) -> list[np.ndarray]:
    """Like `trajectory` for every lr at once: one param group (and one point) per lr.

    `start` is one point for all, or an `(len(lrs), 2)` array of one start per lr.
    The loss is the sum of f over the points, so each point gets its own gradient.
    `options` go to the optimizer (e.g. `momentum=0.9`). A diverged path is NaN from there on.
    """
    starts = np.broadcast_to(np.asarray(start, dtype=np.float64), (len(lrs), 2))
    points = [torch.tensor(s, dtype=torch.float64, requires_grad=True) for s in starts]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(points, lrs, strict=True)]
    opt = make_optimizer(name, groups, lrs[0], **options)
    out = np.full((len(lrs), steps + 1, 2), np.nan)
    out[:, 0] = starts
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
def surface_gaps(
    surface: str, starts: int = 5, jitter: float = 0.02, seed: int = 0
) -> dict[str, Any]:
    r"""How close each optimizer of [`surface_paths`][dlbasics.optimizers.experiments.surface_paths]
    ends to the minimum, from `starts` starting points, so that a ranking has runs to compare.

    Start 0 is the page's; the others are moved by \(\mathcal N(0, \sigma^2)\) with \(\sigma\) =
    `jitter` × the plotted width. Each optimizer keeps its chosen lr. The score is
    \(\log_{10}(f_{	ext{end}} - f_{\min})\), floored at −12 (float64 rounding: closer than
    that is a tie) and 3 for a run that diverges.

    Returns:
        `{"scores": {name: array over starts}, "starts": (starts, 2) array}`.
    """
    s = SURFACES[surface]
    chosen = surface_paths(surface)
    width = s.xlim[1] - s.xlim[0]
    rng = np.random.default_rng(seed)
    points = np.asarray(s.start) + rng.normal(0.0, jitter * width, size=(starts, 2))
    points[0] = s.start
    f_min = float(s.func(*s.minimum))
    scores = {}
    with torch_threads(1):
        for name, lr in chosen["lrs"].items():
            if lr is None:
                continue
            paths = _paths_per_lr(name, s.func, points, chosen["steps"], [lr] * starts)
            ends = np.array([p[-1] for p in paths])
            gap = s.func(ends[:, 0], ends[:, 1]) - f_min
            score = np.log10(np.maximum(gap, 1e-12))
            scores[name] = np.where(np.isfinite(score), score, 3.0)
    return {"scores": scores, "starts": points}


@cached
@torch_threads(1)
def lr_decay_runs(
    lr: float | None = None,
    epochs: int = 20,
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4),
    schedules: tuple[tuple[str, float] | None, ...] = (
        None,
        ("inverse_time", 0.2),
        ("exponential", 0.95),
        ("warmup_cosine", 0.1),
    ),
) -> dict[str, Any]:
    r"""Mini-batch SGD (batch 64) on digits with a constant lr and with each schedule.

    `lr` is \(\alpha_0\); `None` takes plain SGD's best lr of
    [`lr_sweep`][dlbasics.optimizers.experiments.lr_sweep] (lowest final training loss), the
    rate a practitioner would start from. Labels: `"constant"`, `"inverse_time (0.2)"`, ….
    """
    if lr is None:
        sweep = lr_sweep()
        lr = float(sweep["lrs"][int(np.nanargmin(sweep["SGD"]["train_loss"]))])
    out: dict[str, Any] = {}
    for schedule in schedules:
        label = "constant" if schedule is None else f"{schedule[0]} ({schedule[1]:g})"
        runs = [
            train_digits("SGD", lr, epochs=epochs, batch_size=64, seed=s, schedule=schedule)
            for s in seeds
        ]
        out[label] = {
            "epoch": max((r["epoch"] for r in runs), key=len),
            "train_loss": _stack(runs, "train_loss"),
            "test_accuracy": _stack(runs, "test_accuracy"),
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
    names: tuple[str, ...] = ("SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adam", "AdamW"),
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
    names: tuple[str, ...] = ("SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adam", "AdamW"),
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4),
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
            "epoch": max((r["epoch"] for r in runs), key=len),
            "train_loss": _stack(runs, "train_loss"),
            "test_accuracy": _stack(runs, "test_accuracy"),
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
        ("Adagrad", 1e-2, {"lr_decay": 1e-3, "weight_decay": 1e-3}),
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


# --- Batch size and learning rate ----------------------------------------------------------

#: The three gradient-descent variants of the page: label → (batch size, epochs, record every).
GD_VARIANTS: dict[str, tuple[int | None, int, int]] = {
    "batch (1,348)": (None, 200, 1),
    "mini-batch (64)": (64, 20, 4),
    "stochastic (1)": (1, 1, 13),
}


@cached
@torch_threads(1)
def batch_lr_sweep(
    lrs: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0), seed: int = 0
) -> dict[str, Any]:
    """Final training loss of plain SGD for each batch size of `GD_VARIANTS` and each lr.

    The budgets are the page's: 200 epochs of batch GD (200 updates), 20 epochs with
    batches of 64 (420 updates), one epoch of single examples (1,348 updates). NaN: the run
    diverged.

    Returns:
        `{"lrs": array, "loss": {label: array}, "largest_stable": {label: lr},
        "best": {label: lr}}`.
    """
    out: dict[str, Any] = {"lrs": np.asarray(lrs), "loss": {}, "largest_stable": {}, "best": {}}
    for label, (batch, epochs, every) in GD_VARIANTS.items():
        finals = []
        for lr in lrs:
            r = train_digits(
                "SGD", lr, epochs=epochs, batch_size=batch, seed=seed, record_every=every
            )
            final = float(r["train_loss"][-1])
            finals.append(final if np.isfinite(final) and final < 10 else np.nan)
        loss = np.asarray(finals)
        out["loss"][label] = loss
        stable = [lr for lr, f in zip(lrs, loss, strict=True) if np.isfinite(f)]
        out["largest_stable"][label] = max(stable) if stable else None
        out["best"][label] = float(np.asarray(lrs)[np.nanargmin(loss)])
    return out


# --- Momentum on the narrow valley: per-step rates ---------------------------------------------


def _swing_rate(y: np.ndarray, skip: int = 5) -> float:
    """Per-step factor by which the swing |y| shrinks: the slope of log|y| through its
    successive peaks (past the first `skip` steps), or through every step when |y| falls
    monotonically (a path that flips sign each step)."""
    a = np.abs(y[skip:])
    peaks = [i for i in range(1, len(a) - 1) if a[i] >= a[i - 1] and a[i] >= a[i + 1] and a[i] > 0]
    if len(peaks) < 2:
        peaks = list(range(len(a)))
    slope = np.polyfit(np.asarray(peaks, dtype=float), np.log(a[peaks]), 1)[0]
    return float(np.exp(slope))


def _half_period(lr: float, beta: float, curvature: float) -> int:
    r"""Steps between two peaks of |error| along a direction: π/θ for the complex roots
    \(\sqrt\beta\,e^{\pm i\theta}\) of heavy ball, 1 when the roots are real."""
    b = 1.0 + beta - lr * curvature
    if b * b >= 4 * beta:
        return 1
    theta = float(np.arccos(b / (2 * np.sqrt(beta))))
    return int(np.ceil(np.pi / theta))


@cached
@torch_threads(1)
def valley_rates(
    condition: float = 25.0, alpha: float = 0.075, beta: float = 0.9, steps: int = 60
) -> dict[str, Any]:
    r"""How fast the swing across the valley \(\tfrac12(x^2 + \kappa y^2)\) dies out.

    Four runs from the page's start: plain gradient descent and textbook momentum with the
    same \(\alpha\) (torch: `SGD(lr=α(1−β), momentum=β)`); then each at its optimum, plain
    descent at \(\mathrm{lr} = 2/(L + \mu)\) and Polyak's heavy ball
    ([`polyak_momentum`][dlbasics.optimizers.polyak_momentum]). For each: the per-step factor
    of the swing measured on the path, the closed-form rate
    ([`heavy_ball_rate`][dlbasics.optimizers.heavy_ball_rate]) across and along the valley,
    the swing \(|y|\) at the end, and \(f\) at the end.
    """
    surface = partial_surface(condition)
    start = SURFACES["quadratic"].start
    lr_star, beta_star = polyak_momentum(condition, 1.0)
    runs = {
        f"gradient descent, α = {alpha:g}": (alpha, 0.0),
        f"momentum, α = {alpha:g}, β = {beta:g}": (alpha * (1 - beta), beta),
        "gradient descent, best lr 2/(L + μ)": (2 / (condition + 1), 0.0),
        f"Polyak's heavy ball, lr = {lr_star:.3g}, β = {beta_star:.3g}": (lr_star, beta_star),
    }
    out: dict[str, Any] = {"condition": condition, "steps": steps, "runs": {}}
    for label, (lr, b) in runs.items():
        path = trajectory(partial(SGD, lr=lr, momentum=b), surface, start, steps)
        out["runs"][label] = {
            "lr": lr,
            "beta": b,
            "path": path,
            "measured_swing_rate": _swing_rate(path[:, 1]),
            "rate_across": heavy_ball_rate(lr, b, condition),
            "rate_along": heavy_ball_rate(lr, b, 1.0),
            # the swing's amplitude at the end: the largest |y| over its last half-period
            "final_swing": float(np.abs(path[-_half_period(lr, b, condition) :, 1]).max()),
            "final_f": float(surface(*path[-1])),
        }
    return out


@cached  # 38,400 closed-form rates: a warm build reads them
@torch_threads(1)
def rate_map(
    condition: float = 25.0,
    lrs: np.ndarray | None = None,
    betas: np.ndarray | None = None,
) -> dict[str, Any]:
    r"""The per-step convergence rate of heavy-ball momentum on the quadratic over a grid of
    (lr, β): the slower of the two eigendirections, \(\max(\rho(\mathrm{lr}, \beta, L),
    \rho(\mathrm{lr}, \beta, \mu))\), with \(L = \kappa\), \(\mu = 1\) (Distill's map, here
    from [`heavy_ball_rate`][dlbasics.optimizers.heavy_ball_rate]).
    """
    lrs = np.logspace(-3, np.log10(4 / condition), 160) if lrs is None else np.asarray(lrs)
    betas = np.linspace(0.0, 0.98, 120) if betas is None else np.asarray(betas)
    rate = np.array(
        [
            [max(heavy_ball_rate(lr, b, condition), heavy_ball_rate(lr, b, 1.0)) for lr in lrs]
            for b in betas
        ]
    )
    lr_star, beta_star = polyak_momentum(condition, 1.0)
    return {
        "condition": condition,
        "lrs": lrs,
        "betas": betas,
        "rate": rate,
        "polyak": (lr_star, beta_star),
    }


def _best_rate(condition: float, beta: float, lrs: np.ndarray) -> tuple[float, float]:
    rates = [
        max(heavy_ball_rate(lr, beta, condition), heavy_ball_rate(lr, beta, 1.0)) for lr in lrs
    ]
    i = int(np.argmin(rates))
    return float(lrs[i]), float(rates[i])


@cached
@torch_threads(1)
def momentum_rate_rows(
    conditions: tuple[float, ...] = (10.0, 100.0, 1000.0),
    betas: tuple[float, ...] = (0.0, 0.5, 0.9),
) -> list[list[Any]]:
    """Per condition number: the best per-step rate of each β (at its best lr, from the
    closed form on a fine lr grid) and Polyak's optimum.

    Rows: `[κ, (lr, rate) for each β…, Polyak β*, Polyak lr*, Polyak rate]`.
    """
    lrs = np.logspace(-5, 1, 6001)
    rows = []
    for kappa in conditions:
        row: list[Any] = [kappa]
        row += [_best_rate(kappa, beta, lrs) for beta in betas]
        lr_star, beta_star = polyak_momentum(kappa, 1.0)
        row += [beta_star, lr_star, heavy_ball_rate(lr_star, beta_star, kappa)]
        rows.append(row)
    return rows


@cached
@torch_threads(1)
def measured_rates(
    conditions: tuple[float, ...] = (10.0, 100.0),
    betas: tuple[float, ...] = (0.0, 0.5, 0.9),
    steps: int = 400,
) -> dict[tuple[float, float], tuple[float, float]]:
    """The closed-form rate checked on real paths: for each (κ, β) at its best lr, the
    per-step factor of \\(\\sqrt f\\) measured over the last half of `steps` of our `SGD`.

    Returns:
        `{(κ, β): (measured, closed form)}`.
    """
    lrs = np.logspace(-5, 1, 6001)
    out = {}
    for kappa in conditions:
        surface = partial_surface(kappa)
        for beta in betas:
            lr, rate = _best_rate(kappa, beta, lrs)
            path = trajectory(
                partial(SGD, lr=lr, momentum=beta), surface, SURFACES["quadratic"].start, steps
            )
            f = np.sqrt(np.maximum(surface(path[:, 0], path[:, 1]), 1e-300))
            half = steps // 2
            slope = np.polyfit(np.arange(half, steps + 1), np.log(f[half:]), 1)[0]
            out[(kappa, beta)] = (float(np.exp(slope)), rate)
    return out


# --- Exponentially weighted averages: lag and noise ---------------------------------------------


def ema_lag_and_noise(
    betas: Sequence[float] = (0.5, 0.9, 0.98), n: int = 200_000, seed: int = 0
) -> list[dict[str, float]]:
    r"""Two facts of an exponentially weighted average, measured with
    [`ema`][dlbasics.optimizers.ema]: its **mean lag** (the weighted age of what it averages,
    from its response to an impulse; \(\beta/(1-\beta)\) in closed form) and its **noise**,
    as the size \(N\) of the plain average that has the same variance on white noise
    (\((1+\beta)/(1-\beta)\) in closed form).
    """
    noise = np.random.default_rng(seed).normal(size=n)
    rows = []
    for beta in betas:
        length = int(40 / (1 - beta))
        impulse = np.zeros(length)
        impulse[0] = 1.0
        weights = ema(impulse, beta)  # the weight on a sample k steps back, k = 0, 1, …
        lag = float(np.sum(np.arange(length) * weights) / np.sum(weights))
        smoothed = ema(noise, beta)[length:]  # past the start-up
        equivalent = float(1.0 / np.var(smoothed))  # a plain average of N has variance 1/N
        rows.append(
            {
                "beta": float(beta),
                "lag": lag,
                "lag_closed": beta / (1 - beta),
                "equivalent_n": equivalent,
                "equivalent_closed": (1 + beta) / (1 - beta),
                "window": effective_window(beta),
            }
        )
    return rows


# --- Adam + L2 against AdamW on an lr × λ grid --------------------------------------------------


@cached
@torch_threads(1)
def decoupling_grid(
    lrs: tuple[float, ...] = (1e-3, 3e-3, 1e-2),
    weight_decays: tuple[float, ...] = (0.0, 1e-3, 1e-2, 1e-1, 1.0),
    epochs: int = 15,
    seeds: tuple[int, ...] = (0, 1, 2),
) -> dict[str, Any]:
    """Loshchilov & Hutter's Figure 2 in small: final test accuracy and training loss of
    `Adam(weight_decay=λ)` and `AdamW(weight_decay=λ)` over an lr × λ grid (batch 64,
    mean over `seeds`).

    Returns:
        `{"lrs", "weight_decays", "Adam": {"accuracy", "loss"}, "AdamW": {...}}`, arrays
        (lrs, weight_decays).
    """
    out: dict[str, Any] = {"lrs": np.asarray(lrs), "weight_decays": np.asarray(weight_decays)}
    for name in ("Adam", "AdamW"):
        acc = np.zeros((len(lrs), len(weight_decays), len(seeds)))
        loss = np.zeros_like(acc)
        for i, lr in enumerate(lrs):
            for j, wd in enumerate(weight_decays):
                for k, s in enumerate(seeds):
                    # λ = 0 is the same run for both (no decay of either kind): run it once
                    which = "Adam" if wd == 0 else name
                    r = train_digits(
                        which, lr, epochs=epochs, batch_size=64, seed=s, weight_decay=wd
                    )
                    acc[i, j, k] = r["test_accuracy"][-1]
                    loss[i, j, k] = r["train_loss"][-1]
        out[name] = {"accuracy": acc.mean(axis=2), "loss": loss.mean(axis=2), "runs": acc}
    return out


# --- Schedules used in practice -----------------------------------------------------------------


def schedule_curves(
    lr0: float = 1.0, total: int = 100, warmup: int = 10, epochs_per_step: float = 1.0
) -> dict[str, Any]:
    """The note's two decays next to warm-up + cosine, over `total` steps (lr / lr₀)."""
    t = np.arange(total + 1)
    return {
        "step": t,
        "curves": {
            "1/(1 + 0.1·t) (inverse time)": np.array(
                [inverse_time_decay(lr0, float(k), 0.1) for k in t]
            ),
            "$0.95^t$ (exponential)": np.array([exponential_decay(lr0, float(k), 0.95) for k in t]),
            f"warm-up {warmup} steps, then cosine": np.array(
                [warmup_cosine(lr0, float(k), warmup, total) for k in t]
            ),
        },
    }


# --- Explorables: every frame's data -------------------------------------------------------------

EXPLORER_LRS: tuple[float, ...] = (0.0075, 0.015, 0.03, 0.06, 1 / 9)
"""Learning rates (torch's form) of the momentum explorable: the page's 0.0075 up to
Polyak's 1/9 for κ = 25."""

EXPLORER_BETAS: tuple[float, ...] = (0.0, 0.2, 4 / 9, 0.7, 0.9)
"""Momentum values of the momentum explorable: plain descent up to the page's 0.9, with
Polyak's 4/9."""


@cached
@torch_threads(1)
def momentum_explorer(
    lrs: tuple[float, ...] = EXPLORER_LRS,
    betas: tuple[float, ...] = EXPLORER_BETAS,
    condition: float = 25.0,
    steps: int = 60,
) -> dict[str, Any]:
    """For every (lr, β): torch-form heavy ball's path on the quadratic valley from the page's
    start, its closed-form per-step rate and f after `steps`; and the rate map under them.

    Returns:
        `{"runs": {(lr, β): {"path", "rate", "final_f"}}, "map": rate_map(...), ...}`.
    """
    surface = partial_surface(condition)
    start = SURFACES["quadratic"].start
    runs = {}
    for lr in lrs:
        for beta in betas:
            path = trajectory(partial(SGD, lr=lr, momentum=beta), surface, start, steps)
            rate = max(heavy_ball_rate(lr, beta, condition), heavy_ball_rate(lr, beta, 1.0))
            end = path[np.isfinite(path[:, 0])][-1]
            final = float(surface(*end)) if np.isfinite(path[-1]).all() else float("inf")
            runs[(lr, beta)] = {"path": path, "rate": rate, "final_f": final}
    grid = rate_map(condition, lrs=np.logspace(-3, np.log10(4 / condition), 90))
    return {"runs": runs, "map": grid, "condition": condition, "steps": steps}


@cached
@torch_threads(1)
def ema_explorer(
    betas: tuple[float, ...] = (0.5, 0.8, 0.9, 0.95, 0.98, 0.99), n: int = 100, seed: int = 0
) -> dict[float, dict[str, Any]]:
    """For every β: the weights \\((1-\\beta)\\beta^k\\) of the last 60 samples, the share on
    the last 1/(1−β), the mean lag, and the plain and bias-corrected averages of the page's
    noisy series."""
    x = noisy_series(n, seed)
    out = {}
    for beta in betas:
        window = effective_window(beta)
        k = np.arange(60)
        out[float(beta)] = {
            "lag": np.arange(60),
            "weights": (1 - beta) * beta**k,
            "window": window,
            "window_mass": window_mass(beta, max(1, round(window))),
            "mean_lag": beta / (1 - beta),
            "data": x,
            "plain": ema(x, beta),
            "corrected": ema(x, beta, bias_correction=True),
        }
    return out


# --- Exercises: each answer computed by the library ---------------------------------------------


def window_share_answer(beta: float = 0.95, window: int = 20) -> float:
    """The share of an exponential average's weight on its last `window` samples."""
    return window_mass(beta, window)


def window_ninety_answer(beta: float = 0.95, share: float = 0.9) -> int:
    """How many of the latest samples hold `share` of an exponential average's weight."""
    n = 1
    while window_mass(beta, n) < share:
        n += 1
    return n


def constant_average_answer(value: float = 5.0, beta: float = 0.9, t: int = 3) -> float:
    """V_t of a constant series X ≡ `value`, without bias correction."""
    return float(ema(np.full(t, value), beta)[-1])


def corrected_average_answer(value: float = 5.0, beta: float = 0.9, t: int = 3) -> float:
    """V̂_t of a constant series X ≡ `value`, with bias correction."""
    return float(ema(np.full(t, value), beta, bias_correction=True)[-1])


def textbook_alpha_answer(lr: float = 0.01, beta: float = 0.9) -> float:
    """The textbook α whose path is torch's `SGD(lr, momentum=β)`: the ratio of their first
    steps under the same gradient (the paths then agree, as the page's table shows)."""
    torch_step = _constant_gradient_steps(partial(SGD, lr=lr, momentum=beta), np.ones(1))
    textbook_step = _constant_gradient_steps(
        lambda p: TextbookMomentum(p, lr=1.0, beta=beta), np.ones(1)
    )
    # _constant_gradient_steps divides by each optimizer's own lr: undo that for SGD
    return float(torch_step[0, 0] * lr / textbook_step[0, 0])


def polyak_beta_answer(condition: float = 100.0) -> float:
    """Polyak's best heavy-ball β for a quadratic of condition number `condition`."""
    return polyak_momentum(condition, 1.0)[1]


def uncorrected_adam_peak_answer() -> float:
    """The largest step / lr of Adam without bias correction under a constant gradient."""
    return float(adam_first_steps()["constant, uncorrected"].max())


def best_beta_answer(lr: float = 0.0075, betas: tuple[float, ...] = EXPLORER_BETAS) -> int:
    """Which of `betas` contracts fastest per step at `lr` on the page's valley (κ = 25)."""
    rates = [max(heavy_ball_rate(lr, b, 25.0), heavy_ball_rate(lr, b, 1.0)) for b in betas]
    return int(np.argmin(rates))


def smallest_step_after_drop_answer(alphas: tuple[float, ...] = (0.9, 0.99, 0.999)) -> int:
    """Which RMSprop decay takes the smallest step 50 steps after the gradient drops."""
    steps = rmsprop_alpha_steps(alphas=alphas, steps=600, drop_at=300)
    return int(np.argmin([steps[f"RMSprop α={a}"][349] for a in alphas]))
