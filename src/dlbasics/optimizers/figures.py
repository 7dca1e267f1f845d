"""The figures of the optimizers page: experiment data in, inline HTML out.

Rendering is cached, keyed on the data, so that a warm build draws nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from dlbasics.cache import cached
from dlbasics.optimizers import (
    SURFACES,
    Surface,
    quadratic,
)

__all__ = [
    "plot_bias_correction",
    "plot_ema",
    "plot_gd_variants",
    "plot_gradient_noise",
    "plot_lr_schedules",
    "plot_lr_sweep",
    "plot_momentum_paths",
    "plot_paths",
    "plot_rmsprop_eps",
    "plot_runs",
    "plot_series",
    "plot_surface_paths",
]


def _style_names() -> dict[str, str]:
    from dlbasics.plotting import COLORS

    names = ("SGD", "Momentum", "Nesterov", "RMSprop", "Adam", "AdamW")
    return dict(zip(names, COLORS, strict=False))


def _contour(ax: Any, surface: str | Surface, levels: int = 18) -> None:
    """Draw log-spaced contour lines of a 2-D surface on `ax`, its minimum as a star."""
    s = SURFACES[surface] if isinstance(surface, str) else surface
    xs = np.linspace(*s.xlim, 300)
    ys = np.linspace(*s.ylim, 300)
    gx, gy = np.meshgrid(xs, ys)
    z = s.func(gx, gy)
    # log of the height above the lowest grid value: valleys and plateaus both show
    height = np.log10(z - z.min() + 1e-3)
    ax.contour(
        gx,
        gy,
        height,
        levels=levels,
        colors="#8a8a8a",
        linewidths=0.6,
        alpha=0.7,
        linestyles="solid",
    )
    ax.plot(*s.minimum, marker="*", markersize=12, color="#8a8a8a", linestyle="none")
    ax.set(xlim=s.xlim, ylim=s.ylim, title=s.name)
    ax.grid(False)


def plot_paths(
    ax: Any,
    surface: str | Surface,
    paths: Mapping[str, np.ndarray | None],
    labels: Mapping[str, str],
) -> None:
    """Contour of `surface` with one coloured path per optimizer (`labels` = legend text)."""
    from dlbasics.plotting import COLORS

    _contour(ax, surface)
    colors = _style_names()
    for i, (name, path) in enumerate(paths.items()):
        if path is None:
            continue
        color = colors.get(name, COLORS[i % len(COLORS)])
        ax.plot(path[:, 0], path[:, 1], color=color, lw=1.4, label=labels.get(name, name))
        ax.plot(path[0, 0], path[0, 1], "o", color=color, ms=4)


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_surface_paths(results: dict[str, dict[str, Any]]) -> str:
    """2×2 contour plots with the best path of each optimizer (PNG)."""
    from dlbasics.plotting import fig_to_png, new_figure

    fig, axes = new_figure(2, 2, width=9.0, height=8.0)
    for ax, (key, res) in zip(axes.flat, results.items(), strict=False):
        labels = {n: f"{n} (lr {lr:g})" for n, lr in res["lrs"].items() if lr is not None}
        plot_paths(ax, key, res["paths"], labels)
        ax.set_title(f"{SURFACES[key].name}, {res['steps']} steps")
        ax.legend(fontsize=7, loc="lower left")
    return fig_to_png(
        fig,
        alt="Four contour plots (Rosenbrock, Beale, an ill-conditioned quadratic, a saddle) "
        "with the paths of SGD, momentum, Nesterov, RMSprop and Adam from the same start",
        caption="Each optimizer uses the learning rate of its grid that gives the lowest "
        "mean loss along the path. Stars mark a minimum, dots the start.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_gd_variants(res: dict[str, dict[str, np.ndarray]]) -> str:
    """Training loss of batch / mini-batch / stochastic GD against epochs and against updates."""
    from dlbasics.plotting import new_figure, to_svg

    fig, (a, b) = new_figure(1, 2, width=9.0, height=3.4)
    for label, r in res.items():
        a.plot(r["epoch"][1:], r["train_loss"][1:], label=label)
        b.plot(r["step"][1:], r["train_loss"][1:], label=label)
    a.set(
        xscale="log", yscale="log", xlabel="epochs (passes over the data)", ylabel="training loss"
    )
    b.set(xscale="log", yscale="log", xlabel="updates (gradient evaluations)")
    a.legend()
    return to_svg(
        fig,
        alt="Training loss of batch, mini-batch and stochastic gradient descent on digits, "
        "against epochs (left) and against the number of updates (right)",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_gradient_noise(res: dict[str, Any]) -> str:
    """Measured vs predicted relative gradient noise against the batch size (log-log)."""
    from dlbasics.plotting import COLORS, new_figure, to_svg

    fig, ax = new_figure(width=6.0, height=3.6)
    keys = [k.removeprefix("measured_") for k in res if k.startswith("measured_")]
    for i, k in enumerate(keys):
        stage = "at initialisation" if k == "0" else f"after {k} epochs"
        ax.plot(
            res["batch_sizes"],
            res[f"measured_{k}"],
            "o",
            color=COLORS[i],
            label=f"measured, {stage}",
        )
        ax.plot(
            res["batch_sizes"],
            res[f"predicted_{k}"],
            "-",
            color=COLORS[i],
            lw=1,
            label="(N−B)/(N−1) · σ²/B",
        )
    ax.set(xscale="log", yscale="log", xlabel="batch size B", ylabel="E‖g_B − G‖² / ‖G‖²")
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt="Relative squared error of the mini-batch gradient against batch size, "
        "measured and predicted, falling roughly as one over the batch size",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_ema(curves: dict[str, Any]) -> str:
    """A noisy series and its exponentially weighted averages for several β, from
    [`ema_curves`][dlbasics.optimizers.experiments.ema_curves]."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure()
    ax.plot(curves["data"], ".", color="#999999", ms=3, label="data X_t")
    for beta, average in curves["ema"].items():
        ax.plot(average, label=f"β = {beta} (≈ {curves['window'][beta]:g} samples)")
    ax.set(xlabel="t", ylabel="value")
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt="A noisy series with its exponentially weighted averages: beta 0.5 follows the "
        "noise, 0.9 is smoother, 0.98 is smoothest but lags behind",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_bias_correction(curves: dict[str, Any]) -> str:
    """The first values of an EMA with and without bias correction, from
    [`bias_correction_curves`][dlbasics.optimizers.experiments.bias_correction_curves]."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure()
    ax.plot(curves["data"], ".", color="#999999", ms=3, label="data")
    ax.plot(curves["plain"], label=f"V_t (β = {curves['beta']})")
    ax.plot(curves["corrected"], label="V_t / (1 − β^t)")
    ax.set(xlabel="t", ylabel="value")
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt="The plain exponentially weighted average starts at zero and takes dozens of "
        "samples to reach the data; the bias-corrected one follows the data from the start",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_momentum_paths(paths: dict[str, np.ndarray], condition: float = 25.0) -> str:
    """Paths on the quadratic (left) and f along them (right)."""
    from dlbasics.plotting import fig_to_png, new_figure

    fig, (a, b) = new_figure(1, 2, width=9.5, height=3.6)
    plot_paths(a, "quadratic", paths, {})
    a.legend(fontsize=8, loc="lower right")
    for name, path in paths.items():
        b.plot(quadratic(path[:, 0], path[:, 1], condition), label=name)
    b.set(yscale="log", xlabel="step", ylabel="f(x, y)")
    return fig_to_png(
        fig,
        alt="On an elongated quadratic bowl gradient descent zig-zags across the valley; "
        "momentum damps the zig-zag and reaches lower loss in the same number of steps",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_series(
    series: dict[str, np.ndarray],
    *,
    xlabel: str,
    ylabel: str,
    alt: str,
    logy: bool = False,
    caption: str | None = None,
) -> str:
    """Several named curves against step (1, 2, …) on one axis, as SVG."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure()
    for label, y in series.items():
        ax.plot(np.arange(1, len(y) + 1), y, label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel, yscale="log" if logy else "linear")
    ax.legend(fontsize=8)
    return to_svg(fig, alt=alt, caption=caption)


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_rmsprop_eps(res: dict[str, np.ndarray]) -> str:
    """Steady-state step / lr against |g| with ε outside (torch) and inside the root."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure()
    ax.plot(res["grad"], res["outside"], label="torch: g / (√v + ε)")
    ax.plot(res["grad"], res["inside"], "--", label="g / √(v + ε)")
    ax.set(xscale="log", yscale="log", xlabel="|g| (constant gradient)", ylabel="step / lr")
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt="Step size over learning rate against gradient size: with epsilon outside the "
        "root the step stays 1 down to gradients near 1e-8; inside it falls below 1e-4",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_lr_schedules(curves: dict[str, Any]) -> str:
    """Both decay formulas of the note for a few rates, from
    [`lr_schedule_curves`][dlbasics.optimizers.experiments.lr_schedule_curves]."""
    from dlbasics.plotting import new_figure, to_svg

    e = curves["epoch"]
    fig, ax = new_figure()
    for dr, multipliers in curves["inverse_time"].items():
        ax.plot(e, multipliers, label=f"1/(1 + {dr:g}·epoch)")
    for rate, multipliers in curves["exponential"].items():
        ax.plot(e, multipliers, "--", label=f"{rate:g}^epoch")
    ax.set(xlabel="epoch", ylabel="lr / lr₀", yscale="log")
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt="Learning-rate multipliers over 50 epochs: inverse-time decay falls fast then "
        "slowly; exponential decay falls by a constant factor per epoch",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_runs(
    res: dict[str, Any], key: str = "train_loss", ylabel: str = "training loss", logy: bool = True
) -> str:
    """Mean over seeds (line) and min–max band, per run label, against epochs."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure()
    colors = _style_names()
    for label, r in res.items():
        values = r[key]
        color = colors.get(label)
        ax.plot(r["epoch"], values.mean(axis=0), label=label, color=color)
        ax.fill_between(r["epoch"], values.min(axis=0), values.max(axis=0), alpha=0.2, color=color)
    ax.set(xlabel="epoch", ylabel=ylabel, yscale="log" if logy else "linear")
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt=f"{ylabel} against epochs on digits, mean over seeds with a min-to-max band, per run",
        caption="Line: mean over seeds; band: min to max.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_lr_sweep(res: dict[str, Any]) -> str:
    """Final training loss against lr, one line per optimizer (log-log)."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.8)
    colors = _style_names()
    for name, r in res.items():
        if name == "lrs":
            continue
        ax.plot(res["lrs"], r["train_loss"], "o-", label=name, color=colors.get(name), ms=3)
    ax.set(
        xscale="log", yscale="log", xlabel="learning rate", ylabel="training loss after 10 epochs"
    )
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt="Final training loss against learning rate for each optimizer: SGD needs large "
        "rates, RMSprop and Adam work at small ones and blow up at large ones",
        caption="Missing points: the run diverged (loss became NaN or infinite).",
    )
