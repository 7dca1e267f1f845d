"""The figures of the optimizers page: experiment data in, HTML out.

One style per optimizer on the whole page (`OPTIMIZER_STYLES`: a colour and a line style,
so that two paths on top of each other stay apart), one colour per batch size and per β.
Line plots are vector SVG with text of 10 points or more; only the dense rate map is a
raster. Rendering is cached, keyed on the data, so that a warm build draws nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib
import numpy as np

from dlbasics.cache import cached
from dlbasics.optimizers import SURFACES, Surface
from dlbasics.plotting import COLORS, Slider, explorable, fig_to_png, new_figure, to_svg

__all__ = [
    "BATCH_COLORS",
    "OPTIMIZER_STYLES",
    "draw_ema_frame",
    "draw_momentum_frame",
    "plot_batch_lr_sweep",
    "plot_bias_correction",
    "plot_decoupling",
    "plot_ema",
    "plot_ema_explorer",
    "plot_gd_variants",
    "plot_gradient_noise",
    "plot_lr_sweep",
    "plot_momentum_explorer",
    "plot_paths",
    "plot_rate_map",
    "plot_rmsprop_eps",
    "plot_runs",
    "plot_schedules",
    "plot_series",
    "plot_surface_paths",
    "plot_valley",
]

OPTIMIZER_STYLES: dict[str, tuple[str, Any]] = {
    "SGD": (COLORS[0], "-"),
    "Momentum": (COLORS[1], "--"),
    "Nesterov": (COLORS[2], ":"),
    "Adagrad": (COLORS[7], (0, (1, 1))),
    "RMSprop": (COLORS[3], "-."),
    "Adam": (COLORS[4], (0, (5, 1, 1, 1, 1, 1))),
    "AdamW": (COLORS[5], (0, (8, 2))),
}
"""Colour and line style of each optimizer, on every figure of the page."""

BATCH_COLORS: dict[str, str] = {
    "batch (1,348)": COLORS[0],
    "mini-batch (64)": COLORS[1],
    "stochastic (1)": COLORS[2],
}
"""Colour of each gradient-descent variant."""

_INK = "#8a8a8a"  # drawn in the palette's ink: data points, references, contours


def _style(name: str) -> dict[str, Any]:
    color, dashes = OPTIMIZER_STYLES.get(name, (None, "-"))
    return {"color": color, "linestyle": dashes}


def _contour(ax: Any, surface: str | Surface, levels: int = 12) -> None:
    """Log-spaced contour lines of a 2-D surface on `ax`, its minimum as a star."""
    s = SURFACES[surface] if isinstance(surface, str) else surface
    xs = np.linspace(*s.xlim, 100)
    ys = np.linspace(*s.ylim, 100)
    gx, gy = np.meshgrid(xs, ys)
    z = s.func(gx, gy)
    # log of the height above the lowest grid value: valleys and plateaus both show
    height = np.log10(z - z.min() + 1e-3)
    ax.contour(gx, gy, height, levels=levels, colors=_INK, linewidths=0.5, alpha=0.6)
    ax.plot(*s.minimum, marker="*", markersize=11, color=_INK, linestyle="none")
    ax.set(xlim=s.xlim, ylim=s.ylim, title=s.name)
    ax.grid(False)


def plot_paths(
    ax: Any,
    surface: str | Surface,
    paths: Mapping[str, np.ndarray | None],
    labels: Mapping[str, str],
) -> None:
    """Contour of `surface` with one styled path per optimizer (`labels` = legend text)."""
    _contour(ax, surface)
    for name, path in paths.items():
        if path is None:
            continue
        style = _style(name)
        ax.plot(path[:, 0], path[:, 1], lw=1.6, label=labels.get(name, name), **style)
        ax.plot(path[0, 0], path[0, 1], "o", color=style["color"], ms=4)


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_surface_paths(results: dict[str, dict[str, Any]]) -> str:
    """2×2 contour plots with the best path of each optimizer (vector)."""
    fig, axes = new_figure(2, 2, width=7.6, height=7.4)
    for ax, (key, res) in zip(axes.flat, results.items(), strict=False):
        plot_paths(ax, key, res["paths"], {})
        ax.set_title(f"{SURFACES[key].name}, {res['steps']} steps")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3)
    return to_svg(
        fig,
        alt="Four contour plots (Rosenbrock, Beale, an ill-conditioned quadratic, a saddle) "
        "with the paths of SGD, momentum, Nesterov, RMSprop and Adam from the same "
        "start, each in its own colour and dash pattern",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_gd_variants(res: dict[str, dict[str, np.ndarray]]) -> str:
    """Training loss of batch / mini-batch / stochastic GD against epochs and updates."""
    fig, (a, b) = new_figure(1, 2, width=7.6, height=3.4)
    for label, r in res.items():
        name = f"{label}, lr {float(r['lr']):g}"
        color = BATCH_COLORS.get(label)
        a.plot(r["epoch"][1:], r["train_loss"][1:], label=name, color=color)
        b.plot(r["step"][1:], r["train_loss"][1:], label=name, color=color)
    a.set(
        xscale="log",
        yscale="log",
        xlabel="epochs (1,348 example gradients each)",
        ylabel="training loss",
    )
    b.set(xscale="log", yscale="log", xlabel="updates (optimizer steps, of any batch size)")
    a.legend()
    return to_svg(
        fig,
        alt="Training loss of batch, mini-batch and stochastic gradient descent on digits, "
        "against epochs (left) and against the number of updates (right)",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_batch_lr_sweep(sweep: dict[str, Any]) -> str:
    """Final training loss against lr for each batch size; diverged runs marked on top."""
    fig, ax = new_figure(width=6.4, height=3.6)
    lrs = sweep["lrs"]
    finite = np.concatenate([v[np.isfinite(v)] for v in sweep["loss"].values()])
    top = float(finite.max()) * 3
    for label, loss in sweep["loss"].items():
        color = BATCH_COLORS.get(label)
        ax.plot(lrs, loss, "o-", color=color, label=label, ms=4)
        gone = ~np.isfinite(loss)
        ax.plot(lrs[gone], np.full(gone.sum(), top), "x", color=color, ms=8, mew=2)
    ax.axhline(top, color=_INK, lw=0.8, ls=":")
    ax.text(lrs[0], top * 1.15, "× diverged", va="bottom")
    ax.set(xscale="log", yscale="log", xlabel="learning rate", ylabel="final training loss")
    ax.legend(loc="lower left")
    return to_svg(
        fig,
        alt="Final training loss against learning rate for batch, mini-batch and stochastic "
        "gradient descent; the noisier the gradient, the lower the learning rate at which the "
        "run diverges (crosses at the top).",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_gradient_noise(res: dict[str, Any]) -> str:
    """Measured vs predicted relative gradient noise against the batch size (log-log)."""
    fig, ax = new_figure(width=6.4, height=3.6)
    keys = [k.removeprefix("measured_") for k in res if k.startswith("measured_")]
    for i, k in enumerate(keys):
        stage = "at initialisation" if k == "0" else f"after {k} epochs"
        color = COLORS[i]
        ax.plot(
            res["batch_sizes"], res[f"measured_{k}"], "o", color=color, label=f"measured, {stage}"
        )
        ax.plot(res["batch_sizes"], res[f"predicted_{k}"], "-", color=color, lw=1)
    ax.plot([], [], "-", color=_INK, lw=1, label="prediction (N−B)/(N−1) · σ²/B")
    ax.set(xscale="log", yscale="log", xlabel="batch size B", ylabel="E‖g_B − G‖² / ‖G‖²")
    ax.legend()
    return to_svg(
        fig,
        alt="Relative squared error of the mini-batch gradient against batch size, "
        "measured and predicted, falling roughly as one over the batch size",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_ema(curves: dict[str, Any]) -> str:
    """A noisy series, the curve under it, and its exponentially weighted averages."""
    fig, ax = new_figure(width=6.4, height=4.4)
    ax.plot(curves["data"], ".", color=_INK, ms=3, label="data X_t")
    ax.plot(curves["truth"], color=_INK, lw=2.4, alpha=0.5, label="the curve under the noise")
    for i, (beta, average) in enumerate(curves["ema"].items()):
        window = curves["window"][beta]
        ax.plot(average, color=COLORS[i], label=f"β = {beta} (≈ {window:g} samples)")
    ax.set(xlabel="t", ylabel="value")
    fig.legend(loc="outside lower center", ncols=3)  # below the axes: no data hidden
    return to_svg(
        fig,
        alt="A noisy series with the seasonal curve under it and its exponentially weighted "
        "averages: beta 0.5 follows the noise, 0.9 is smoother, 0.98 is smoothest but lags "
        "behind the curve",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_bias_correction(curves: dict[str, Any]) -> str:
    """The first values of an EMA with and without bias correction."""
    fig, ax = new_figure(width=6.4, height=3.6)
    ax.plot(curves["data"], ".", color=_INK, ms=3, label="data")
    ax.plot(curves["plain"], color=COLORS[2], label=rf"$V_t$ ($\beta$ = {curves['beta']})")
    ax.plot(curves["corrected"], color=COLORS[3], label=r"$V_t\,/\,(1-\beta^t)$")
    ax.set(xlabel="t", ylabel="value")
    ax.legend(loc="lower right")
    return to_svg(
        fig,
        alt="The plain exponentially weighted average starts at zero and takes dozens of "
        "samples to reach the data; the bias-corrected one follows the data from the start",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_valley(valley: dict[str, Any]) -> str:
    """Left: the paths on the quadratic; right: the swing |y| across the valley per step."""
    fig, (a, b) = new_figure(1, 2, width=7.6, height=4.2)
    styles = ("-", "--", "-.", ":")
    kappa = valley["condition"]
    _contour(a, SURFACES["quadratic"])
    a.set_title(f"½(x² + {kappa:g} y²)")
    for i, (label, run) in enumerate(valley["runs"].items()):
        color, dash = COLORS[i], styles[i]
        path = run["path"]
        a.plot(path[:, 0], path[:, 1], color=color, ls=dash, lw=1.4)
        swing = np.abs(path[:, 1])
        b.semilogy(
            np.arange(len(swing)), np.maximum(swing, 1e-12), color=color, ls=dash, label=label
        )
    b.set(xlabel="step", ylabel="|y| (across the valley)", ylim=(1e-8, 3))
    fig.legend(loc="outside lower center", ncols=2)  # below the panels: no data hidden
    return to_svg(
        fig,
        alt="Paths of gradient descent and momentum on an elongated quadratic bowl, and the "
        "size of the swing across the valley against the step: with alpha 0.075 plain "
        "descent's swing shrinks faster than momentum's; tuned by Polyak's formula, momentum "
        "shrinks it fastest",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_rate_map(data: dict[str, Any], marks: Mapping[str, tuple[float, float]]) -> str:
    """The per-step rate over (lr, β) as a raster, with the rate-1 edge and marked settings."""
    fig, ax = new_figure(width=6.4, height=4.8)
    lrs, betas = data["lrs"], data["betas"]
    rate = np.ma.masked_where(data["rate"] >= 1.0, data["rate"])  # diverging: drawn as "bad"
    cmap = matplotlib.colormaps["viridis_r"].with_extremes(bad="#bdbdbd")
    mesh = ax.pcolormesh(lrs, betas, rate, cmap=cmap, vmin=0.5, vmax=1.0, shading="auto")
    ax.contour(
        lrs, betas, data["rate"], levels=[0.8, 0.9, 0.95, 0.99], colors="white", linewidths=0.7
    )
    ax.contour(lrs, betas, data["rate"], levels=[1.0], colors="#D55E00", linewidths=1.6)
    for i, (label, (lr, beta)) in enumerate(marks.items()):
        ax.plot(lr, beta, ("*", "o", "s")[i % 3], color="white", mec="black", ms=11, label=label)
    ax.set(xscale="log", xlabel="lr (torch's form)", ylabel="β", title=f"κ = {data['condition']:g}")
    fig.colorbar(mesh, ax=ax, label="per-step rate (slower direction)")
    fig.legend(loc="outside lower center", ncols=2)
    ax.grid(False)
    return fig_to_png(
        fig,
        dpi=120,
        alt="Map of the convergence rate of heavy-ball momentum on the quadratic over learning "
        "rate and beta: yellow is fast, dark blue slow, grey diverges; white contours at "
        "rates 0.8, 0.9, 0.95 and 0.99; the red line is where the rate reaches 1; markers "
        "show Polyak's optimum and the page's settings.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_series(
    series: dict[str, np.ndarray],
    *,
    xlabel: str,
    ylabel: str,
    alt: str,
    logy: bool = False,
) -> str:
    """Several named curves against step (1, 2, …) on one axis."""
    fig, ax = new_figure(width=6.4, height=3.6)
    for i, (label, y) in enumerate(series.items()):
        ax.plot(np.arange(1, len(y) + 1), y, label=label, color=COLORS[i % len(COLORS)])
    ax.set(xlabel=xlabel, ylabel=ylabel, yscale="log" if logy else "linear")
    ax.legend()
    return to_svg(fig, alt=alt)


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_rmsprop_eps(res: dict[str, np.ndarray]) -> str:
    """Steady-state step / lr against |g| with ε outside (torch) and inside the root."""
    fig, ax = new_figure(width=6.4, height=3.6)
    ax.plot(res["grad"], res["outside"], color=COLORS[3], label="torch: g / (√v + ε)")
    ax.plot(res["grad"], res["inside"], "--", color=COLORS[0], label="g / √(v + ε)")
    ax.axvline(float(res["eps"]), color=_INK, lw=0.8, ls=":")
    ax.set(xscale="log", yscale="log", xlabel="|g| (constant gradient)", ylabel="step / lr")
    ax.legend(loc="lower right")
    return to_svg(
        fig,
        alt="Step size over learning rate against gradient size: with epsilon outside the "
        "root the step is about lr down to gradients near epsilon and proportional to the "
        "gradient below; inside the root the bend moves up to the square root of epsilon",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_schedules(curves: dict[str, Any]) -> str:
    """Learning-rate schedules over the steps of a run (lr / lr₀)."""
    fig, ax = new_figure(width=6.4, height=4.0)
    for i, (label, y) in enumerate(curves["curves"].items()):
        ax.plot(curves["step"], y, color=COLORS[i], label=label)
    ax.set(xlabel="epoch (or step)", ylabel="lr / lr₀", ylim=(0, 1.05))
    fig.legend(loc="outside lower center", ncols=2)
    return to_svg(
        fig,
        alt="Learning-rate multipliers: inverse-time decay falls fast then slowly, exponential "
        "decay by a constant factor, warm-up then cosine rises linearly, stays high and ends "
        "smoothly at zero",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_runs(
    res: dict[str, Any], key: str = "train_loss", ylabel: str = "training loss", logy: bool = True
) -> str:
    """Mean over seeds (line) and min–max band, per run label, against epochs."""
    fig, ax = new_figure(width=6.4, height=3.8)
    for i, (label, r) in enumerate(res.items()):
        values = r[key]
        style = _style(label) if label in OPTIMIZER_STYLES else {"color": COLORS[i]}
        name = f"{label} (lr {r['lr']:g})" if isinstance(r.get("lr"), float) else label
        ax.plot(r["epoch"], values.mean(axis=0), label=name, **style)
        ax.fill_between(
            r["epoch"], values.min(axis=0), values.max(axis=0), alpha=0.18, color=style["color"]
        )
    ax.set(xlabel="epoch", ylabel=ylabel, yscale="log" if logy else "linear")
    ax.legend()
    return to_svg(
        fig,
        alt=f"{ylabel} against epochs on digits, mean over seeds with a min-to-max band, per run",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_lr_sweep(res: dict[str, Any]) -> str:
    """Final training loss against lr, one line per optimizer, diverged runs marked on top."""
    fig, ax = new_figure(width=6.4, height=3.8)
    finite = np.concatenate(
        [r["train_loss"][np.isfinite(r["train_loss"])] for k, r in res.items() if k != "lrs"]
    )
    top = 10.0  # above every loss that trained; a loss past it diverged
    lrs = res["lrs"]
    names = [k for k in res if k != "lrs"]
    for k, name in enumerate(names):
        loss = np.asarray(res[name]["train_loss"], dtype=float)
        gone = ~np.isfinite(loss) | (loss > top)
        ax.plot(lrs[~gone], loss[~gone], marker="o", ms=3, label=name, **_style(name))
        # one row of crosses per optimizer above the line, so that none hides another
        row = np.full(gone.sum(), top * 1.45 ** (k + 1))
        ax.plot(lrs[gone], row, "x", color=_style(name)["color"], ms=7, mew=2)
    ax.axhline(top, color=_INK, lw=0.8, ls=":")
    ax.text(lrs[0], top * 1.45, "× diverged (one row per optimizer)", va="bottom")
    positive = finite[finite > 0]
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="learning rate",
        ylabel="training loss after 10 epochs",
        ylim=(float(positive.min()) / 3, top * 1.45 ** (len(names) + 1.5)),
    )
    ax.legend(loc="lower left", ncols=2)
    return to_svg(
        fig,
        alt="Final training loss against learning rate for each optimizer, with runs that "
        "diverged marked by crosses at the top: each optimizer has its own range of good "
        "learning rates, plain SGD and Adagrad at the largest, RMSprop and Adam around 0.01",
    )


def _power_of_ten(value: float) -> str:
    """A tick label: "0", "1", or 10^k in mathtext when the value is a power of ten."""
    if value == 0 or value == 1:
        return f"{value:g}"
    exponent = np.log10(value)
    return f"$10^{{{exponent:.0f}}}$" if exponent == round(exponent) else f"{value:g}"


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_decoupling(grid: dict[str, Any]) -> str:
    """Test accuracy over the lr × λ grid for Adam + L2 and AdamW, best cell of each row marked."""
    fig, axes = new_figure(1, 2, width=7.6, height=3.4, sharey=True)
    lrs, wds = grid["lrs"], grid["weight_decays"]
    for ax, name in zip(axes, ("Adam", "AdamW"), strict=True):
        acc = grid[name]["accuracy"]
        mesh = ax.imshow(acc, cmap="viridis", vmin=0.8, vmax=1.0, aspect="auto", origin="lower")
        for i in range(len(lrs)):
            j = int(np.argmax(acc[i]))
            ax.plot(j, i, "o", mfc="none", mec="white", ms=12, mew=1.6)
        ax.set_xticks(range(len(wds)), [_power_of_ten(w) for w in wds])
        ax.set_yticks(range(len(lrs)), [f"{v:g}" for v in lrs])
        ax.set(xlabel="weight decay λ", title=f"{name}{' + L2' if name == 'Adam' else ''}")
        ax.grid(False)
    axes[0].set_ylabel("learning rate")
    fig.colorbar(mesh, ax=axes, label="test accuracy")
    return to_svg(
        fig,
        alt="Test accuracy of Adam with L2 and of AdamW over a grid of learning rates and "
        "weight decays, the best weight decay of each learning rate circled",
    )


# --- Explorables -----------------------------------------------------------------------------


def draw_momentum_frame(data: dict[str, Any], lr: float, beta: float) -> Any:
    """One frame of the momentum explorable: the path for (lr, β) on the valley, and where
    (lr, β) sits on the rate map."""
    run = data["runs"][(lr, beta)]
    fig, (a, b) = new_figure(1, 2, width=7.6, height=3.6)
    _contour(a, SURFACES["quadratic"])
    path = run["path"]
    a.plot(path[:, 0], path[:, 1], color=COLORS[1], lw=1.4, marker="o", ms=2.5)
    a.set_title(f"60 steps of SGD(lr={lr:.3g}, momentum={beta:.3g})")
    grid = data["map"]
    # contour lines, not a filled map: each frame stays light to draw and to load
    lines = b.contour(
        grid["lrs"],
        grid["betas"],
        grid["rate"],
        levels=[0.7, 0.8, 0.9, 0.95, 0.99],
        colors=_INK,
        linewidths=0.8,
    )
    b.clabel(lines, fmt="%.2f", fontsize=10)
    b.contour(grid["lrs"], grid["betas"], grid["rate"], levels=[1.0], colors="#D55E00")
    b.plot(*grid["polyak"], "*", color=COLORS[2], ms=13, label="Polyak's optimum")
    b.plot(lr, beta, "o", mfc="none", mec=COLORS[1], ms=13, mew=2.5, label="this frame")
    b.set(xscale="log", xlabel="lr (torch's form)", ylabel="β", title="per-step rate (red: 1)")
    b.legend(loc="lower left")
    b.grid(False)
    return fig


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_momentum_explorer(data: dict[str, Any]) -> str:
    """Sliders for lr and β over
    [`draw_momentum_frame`][dlbasics.optimizers.figures.draw_momentum_frame]."""
    lrs = sorted({lr for lr, _ in data["runs"]})
    betas = sorted({b for _, b in data["runs"]})

    def readout(lr: float, beta: float) -> str:
        run = data["runs"][(lr, beta)]
        f = run["final_f"]
        end = f"f after 60 steps {f:.2g}" if np.isfinite(f) else "f overflows"
        verdict = "diverges" if run["rate"] >= 1 else "converges"
        return f"per-step rate {run['rate']:.3f} (slower direction): {verdict}; {end}"

    return explorable(
        lambda lr, beta: draw_momentum_frame(data, lr, beta),
        [
            # the page's α = 0.075, β = 0.9 (lr 0.0075) first, where the grid has it
            Slider("lr", "lr", tuple(lrs), 0.0075 if 0.0075 in lrs else lrs[0], "{:.3g}"),
            Slider("beta", "β", tuple(betas), 0.9 if 0.9 in betas else betas[-1], "{:.3g}"),
        ],
        alt=lambda lr, beta: (
            f"Path of heavy-ball momentum with lr {lr:.3g} and beta {beta:.3g} on the "
            f"quadratic valley, and its point on the map of convergence rates: "
            f"{readout(lr, beta)}"
        ),
        readout=readout,
    )


def draw_ema_frame(data: dict[float, dict[str, Any]], beta: float) -> Any:
    """One frame of the averaging explorable: the weights of β, and its plain and corrected
    averages of the noisy series."""
    d = data[beta]
    fig, (a, b) = new_figure(1, 2, width=7.6, height=3.4)
    inside = d["lag"] < d["window"]
    a.bar(d["lag"][inside], d["weights"][inside], color=COLORS[0], width=0.8, label="last 1/(1−β)")
    a.bar(d["lag"][~inside], d["weights"][~inside], color=_INK, width=0.8, label="older")
    a.set(xlabel="samples back k", ylabel="weight (1−β)βᵏ", title=f"β = {beta:g}")
    a.legend(loc="upper right")
    b.plot(d["data"], ".", color=_INK, ms=3, label="data")
    b.plot(d["plain"], color=COLORS[2], label="plain average")
    b.plot(d["corrected"], color=COLORS[3], label="bias-corrected")
    b.set(xlabel="t", ylim=(-2, 32))
    b.legend(loc="lower right")
    return fig


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_ema_explorer(data: dict[float, dict[str, Any]]) -> str:
    """A slider for β over [`draw_ema_frame`][dlbasics.optimizers.figures.draw_ema_frame]."""

    def readout(beta: float) -> str:
        d = data[beta]
        return (
            f"1/(1−β) = {d['window']:.3g} samples hold {d['window_mass']:.1%} of the weight; "
            f"mean lag {d['mean_lag']:.3g} samples"
        )

    return explorable(
        lambda beta: draw_ema_frame(data, beta),
        [Slider("beta", "β", tuple(sorted(data)), 0.9 if 0.9 in data else min(data), "{:g}")],
        alt=lambda beta: (
            f"Weights of an exponentially weighted average with beta {beta:g} and its plain "
            f"and bias-corrected averages of a noisy series: {readout(beta)}"
        ),
        readout=readout,
    )
