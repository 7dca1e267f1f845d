"""The figures of the vanishing-gradients page: experiment data in, HTML out.

Rendering is cached, keyed on the data, so that a warm build draws nothing. A colour means one
thing on the whole page: an initialisation ([`INIT_COLORS`][dlbasics.gradients.figures.INIT_COLORS])
or a fix ([`VARIANT_COLORS`][dlbasics.gradients.figures.VARIANT_COLORS], which gives each
network the colour of what fixes it). What is neither (methods, steps, layers) is drawn in the
page's ink, told apart by line style.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlbasics.cache import cached
from dlbasics.gradients import ACTIVATIONS, INITS, _check_choice
from dlbasics.plotting import COLORS, Slider, explorable

__all__ = [
    "INIT_COLORS",
    "VARIANT_COLORS",
    "draw_depth_frame",
    "draw_init_frame",
    "plot_clipping",
    "plot_depth_explorer",
    "plot_evolution",
    "plot_init_explorer",
    "plot_init_sweep",
    "plot_recurrence",
    "plot_saturation",
    "plot_training",
    "plot_variance_sweep",
]

INIT_COLORS: dict[str, str] = {
    "default": COLORS[1],  # orange: torch's default, no fix
    "normal": COLORS[7],  # grey: N(0, std²)
    "xavier": COLORS[2],  # green
    "kaiming": COLORS[0],  # blue
}
"""The colour of each initialisation, on every figure of the page."""

VARIANT_COLORS: dict[str, str] = {
    "sigmoid": INIT_COLORS["default"],
    "ReLU": INIT_COLORS["default"],
    "sigmoid + Xavier": INIT_COLORS["xavier"],
    "ReLU + Kaiming": INIT_COLORS["kaiming"],
    "sigmoid + residual": COLORS[4],  # purple: a skip connection
    "sigmoid + batch norm": COLORS[3],  # vermillion: batch norm
    "ReLU + residual + batch norm": COLORS[5],  # sky blue: both
    "ReLU + He residual + batch norm": COLORS[5],
}
"""The colour of each trained network: the colour of its fix (its initialisation, the skip,
batch norm); unfixed networks are orange, like torch's default init."""

_INK = "#8a8a8a"  # replaced by the palette's ink, as text and axes are
_STYLES = ("-", "--", ":", "-.")


def _color(name: str) -> str:
    return VARIANT_COLORS.get(name, _INK)


def _decade_labels(ax: Any, axis: str = "y") -> None:
    """A log axis labelled at the decades only."""
    from matplotlib.ticker import NullFormatter

    getattr(ax, f"{axis}axis").set_minor_formatter(NullFormatter())


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_init_sweep(sweep: dict[str, dict[str, list[float]]], quantity: str = "grad") -> str:
    """Small multiples (one panel per activation, one line per init) of an
    [`init_sweep`][dlbasics.gradients.experiments.init_sweep] result on a log scale.

    Args:
        sweep: The result of `init_sweep`.
        quantity: `"grad"` (weight-gradient norm per linear layer), `"act_std"` (standard
            deviation of each hidden representation over all its entries) or `"unit_std"`
            (spread across examples per unit; exact zeros are drawn at 10⁻²⁰).
    """
    from matplotlib.ticker import LogLocator, MaxNLocator

    from dlbasics.plotting import new_figure, to_svg

    _check_choice("quantity", quantity, ("grad", "act_std", "unit_std"))
    floor = 1e-300 if quantity == "grad" else 1e-20
    fig, axes = new_figure(1, len(ACTIVATIONS), width=7.6, height=3.2, sharey=True)
    for ax, activation in zip(axes, ACTIVATIONS, strict=True):
        for init in INITS:
            values = np.asarray(sweep[f"{activation}/{init}"][quantity])
            ax.semilogy(
                np.arange(len(values)),
                np.maximum(values, floor),
                label=init,
                color=INIT_COLORS[init],
            )
        ax.set_title(activation)
        ax.set_xlabel("layer")
        ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        ax.yaxis.set_major_locator(LogLocator(numticks=6))
        _decade_labels(ax)
    ylabel = {
        "grad": "‖∇W‖ (weight gradient)",
        "act_std": "std of the layer's output",
        "unit_std": "spread across images, per unit",
    }[quantity]
    axes[0].set_ylabel(ylabel)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, title="init", loc="outside lower center", ncols=len(INITS))
    depth = len(next(iter(sweep.values()))["grad"]) - 2
    what = {
        "grad": "weight-gradient norms",
        "act_std": "activation standard deviations",
        "unit_std": "per-unit spreads across images",
    }[quantity]
    return to_svg(
        fig,
        alt=f"Per-layer {what} at initialisation of a depth-{depth} MLP, log scale, "
        "for sigmoid, tanh and ReLU with default, normal, Xavier and Kaiming initialisation",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_variance_sweep(result: dict[str, Any]) -> str:
    """The measured gradient ratio and the mean-field gain χ against the weight variance."""
    from dlbasics.plotting import new_figure, to_svg

    nv = np.asarray(result["weight_variances"], dtype=float)
    fig, (ax_ratio, ax_chi) = new_figure(1, 2, width=7.6, height=3.2)
    ax_ratio.loglog(nv, result["ratio"], "o-", color=_INK)
    ax_ratio.axhline(1.0, color=INIT_COLORS["normal"], linestyle=":")
    ax_ratio.set(xlabel="n·v (fan × weight variance)", ylabel="‖∇W_in‖ / ‖∇W_out‖")
    ax_ratio.set_title(f"measured, depth {result['depth']}")
    ax_chi.loglog(nv, result["chi"], "o-", color=_INK)
    ax_chi.axhline(1.0, color=INIT_COLORS["normal"], linestyle=":")
    ax_chi.set(xlabel="n·v (fan × weight variance)", ylabel="χ per layer")
    ax_chi.set_title("mean-field gain")
    for ax in (ax_ratio, ax_chi):
        for name, value in (("default", 1 / 3), ("xavier", 1.0), ("kaiming", 2.0)):
            ax.axvline(value, color=INIT_COLORS[name], linewidth=1.2, linestyle="--")
        _decade_labels(ax)
        _decade_labels(ax, "x")
    return to_svg(
        fig,
        alt="Left: the ratio of the input layer's to the output layer's gradient norm in a "
        "depth-50 sigmoid network against the weight variance, rising from 1e-44 to above 1. "
        "Right: the mean-field backward gain chi, which crosses 1 near n v = 100.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_saturation(result: dict[str, Any], layers: tuple[int, ...] = (1, 5, 10)) -> str:
    """Histograms of the sigmoid outputs of some layers, one panel per network."""
    from dlbasics.plotting import new_figure, to_svg

    names = [k for k in result if k != "edges"]
    edges = np.asarray(result["edges"])
    centres = (edges[:-1] + edges[1:]) / 2
    fig, axes = new_figure(1, len(names), width=7.6, height=3.0, sharey=True)
    for ax, name in zip(np.atleast_1d(axes), names, strict=True):
        color = INIT_COLORS["normal"] if "n·v" in name else _color(name)
        for layer, style in zip(layers, _STYLES, strict=False):
            counts = np.asarray(result[name]["hist"][layer - 1], dtype=float)
            ax.plot(centres, counts / counts.sum(), style, color=color, label=f"layer {layer}")
        ax.set(title=name, xlabel="σ output", yscale="log", xticks=(0, 0.5, 1))
        _decade_labels(ax)
    first = np.atleast_1d(axes)[0]
    first.set_ylabel("share of the outputs")
    handles, labels = first.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(layers))
    return to_svg(
        fig,
        alt="Histograms of sigmoid outputs in layers 1, 5 and 10 at initialisation: near 0.5 "
        "for torch's default init and with batch norm, piled up at 0 and 1 with large weights.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_training(results: dict[str, dict[str, Any]], kind: str = "loss") -> str:
    """Figures of [`train_digits`][dlbasics.gradients.experiments.train_digits] results.

    Args:
        results: `{variant name: train_digits result}`.
        kind: `"loss"` (training loss per epoch, all variants in one panel), `"updates"`
            (relative update per layer in the first and the last epoch, one panel per variant)
            or `"grad_vs_update"` (first epoch: mean gradient norm and relative update per
            layer, each relative to the output layer's, one panel per variant).
    """
    from matplotlib.ticker import LogLocator, MaxNLocator

    from dlbasics.plotting import new_figure, to_svg

    _check_choice("kind", kind, ("loss", "updates", "grad_vs_update"))
    names = list(results)
    if kind == "loss":
        fig, ax = new_figure(width=6.4, height=3.6)
        for name in names:
            loss = results[name]["epoch_loss"]
            ax.plot(np.arange(1, len(loss) + 1), loss, label=name, color=_color(name))
        ax.set(xlabel="epoch", ylabel="mean training loss", yscale="log")
        _decade_labels(ax)
        ax.legend()
        return to_svg(fig, alt="Training loss per epoch on the digits for " + ", ".join(names))
    ncols = min(2, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig, axes = new_figure(
        nrows, ncols, width=7.6, height=2.7 * nrows, sharex=True, sharey=True, squeeze=False
    )
    for ax, name in zip(axes.flat, names, strict=False):
        r = results[name]
        update = np.asarray(r["rel_update"])
        layers = np.arange(update.shape[1])
        color = _color(name)
        if kind == "updates":
            for epoch, style in ((0, "-"), (update.shape[0] - 1, "--")):
                # An update below float32 resolution is exactly 0: drawn at the floor.
                ax.semilogy(
                    layers,
                    np.maximum(update[epoch], 1e-12),
                    style,
                    color=color,
                    label=f"epoch {epoch + 1}",
                )
        else:
            grad = np.asarray(r["grad_norm"])[0]
            ax.semilogy(layers, grad / grad[-1], color=color, label="‖∇W‖")
            ax.semilogy(
                layers,
                np.maximum(update[0] / update[0][-1], 1e-12),
                "--",
                color=color,
                label="‖ΔW‖/‖W‖",
            )
        ax.set_title(name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(LogLocator(numticks=5))
        _decade_labels(ax)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("layer (0 = input)")
    ylabel = "relative update ‖ΔW‖/‖W‖" if kind == "updates" else "relative to output layer"
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)
    axes[0, 0].legend(loc="lower right")
    alt = (
        "Relative weight change per layer in the first and last epoch"
        if kind == "updates"
        else "Gradient norm and relative update per layer in the first epoch, both divided by "
        "the output layer's"
    )
    return to_svg(fig, alt=f"{alt}, log scale, for " + ", ".join(names))


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_recurrence(result: dict[str, Any]) -> str:
    """The gradient norms of
    [`recurrence_gradients`][dlbasics.gradients.experiments.recurrence_gradients]
    against the number of unrolled steps, with \\(\\rho^K\\) for reference."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.4)
    steps = np.asarray(result["steps"])
    for style, (rho, norms) in zip(_STYLES, result["norms"].items(), strict=False):
        ax.semilogy(steps, norms, style, color=_INK, label=f"ρ = {rho:g} (autograd)")
        ax.semilogy(
            steps,
            float(rho) ** steps,
            style,
            color=INIT_COLORS["normal"],
            linewidth=1.0,
            label=f"{rho:g}^K",
        )
    ax.set(xlabel="unrolled steps K", ylabel="‖∂L/∂h₀‖")
    _decade_labels(ax)
    ax.legend(ncols=2)
    return to_svg(
        fig,
        alt="Gradient norm through an unrolled linear recurrence against its length, "
        "shrinking for spectral radius 0.9 and growing for 1.1",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_clipping(result: dict[str, dict[str, Any]]) -> str:
    """Loss and gradient norm per step of a
    [`clipping`][dlbasics.gradients.experiments.clipping] result (non-finite values
    are left out, so a diverged run stops)."""
    from dlbasics.plotting import new_figure, to_svg

    fig, (ax_loss, ax_grad) = new_figure(1, 2, width=7.6, height=3.4)
    for label, run in result.items():
        kaiming = run["max_norm"] is None and label.startswith("Kaiming")
        color = INIT_COLORS["kaiming"] if kaiming else INIT_COLORS["normal"]
        style = "--" if run["max_norm"] is None and not kaiming else "-"
        for ax, key in ((ax_loss, "loss"), (ax_grad, "grad_norm")):
            values = np.asarray(run[key], dtype=float)
            values[~np.isfinite(values)] = np.nan
            ax.semilogy(np.arange(1, len(values) + 1), values, style, color=color, label=label)
    ax_loss.set(xlabel="SGD step", ylabel="training loss (mini-batch)")
    ax_grad.set(xlabel="SGD step", ylabel="‖gradient‖ before clipping")
    for ax in (ax_loss, ax_grad):
        _decade_labels(ax)
    handles, labels = ax_loss.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2)
    return to_svg(
        fig,
        alt="Loss and gradient norm per step for an over-initialised ReLU network with and "
        "without gradient clipping, and a Kaiming-initialised one",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_evolution(result: dict[str, Any]) -> str:
    """Training loss against cost (forward-pass equivalents) for an
    [`evolution_vs_gradient_descent`][dlbasics.gradients.experiments.evolution_vs_gradient_descent]
    result."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.4)
    for (key, label), style in zip(
        (("gd", "gradient descent (full batch)"), ("es", "evolution strategy")),
        _STYLES,
        strict=False,
    ):
        cost = np.asarray(result[key]["cost"])
        ax.plot(np.maximum(cost, 1), result[key]["loss"], style, color=_INK, label=label)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="cost: forward passes over the training set",
        ylabel="training loss",
    )
    _decade_labels(ax)
    ax.legend()
    return to_svg(
        fig,
        alt="Training loss against the number of forward-pass equivalents for gradient "
        "descent and for an evolution strategy on the same small network",
    )


# --- Explorables ---------------------------------------------------------------------------

_EXPLORER_FLOOR = 1e-60  # an exact 0 (a collapsed forward signal) is drawn here


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _log_layers(ax: Any, lo: float, hi: float, step: int) -> None:
    """A log y axis from `lo` to `hi` with a tick every `step` decades, integer layers on x.

    The tick labels are plain text (10⁻²⁰), not mathtext: an explorable draws many frames,
    and laying out mathtext labels was most of the cost of each."""
    from matplotlib.ticker import MaxNLocator, NullLocator

    ax.set_yscale("log")
    ax.set_ylim(lo, hi)
    decades = range(round(math.log10(lo)), round(math.log10(hi)) + 1, step)
    ax.set_yticks(
        [10.0**k for k in decades], ["10" + str(k).translate(_SUPERSCRIPTS) for k in decades]
    )
    ax.yaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))


def _init_readout(data: dict[str, Any], activation: str, nv: float) -> str:
    run = data["runs"][(activation, nv)]
    return (
        f"{activation}, n·v = {nv:.3g}: mean-field χ = {run['chi']:.3g} per layer; "
        f"‖∇W_in‖/‖∇W_out‖ = {run['ratio']:.2g}, ‖∇W_out‖ = {run['grad'][-1]:.2g}; "
        f"spread at layer {data['depth']} = {run['unit_std'][-1]:.2g}"
    )


def draw_init_frame(data: dict[str, Any], activation: str, nv: float) -> Any:
    """One frame of the initialisation explorable: for one activation and one n·v of an
    [`init_explorer`][dlbasics.gradients.experiments.init_explorer] result, each linear
    layer's gradient norm (left) and each hidden layer's spread across images (right)."""
    from dlbasics.plotting import new_figure

    run = data["runs"][(activation, nv)]
    color = INIT_COLORS["normal"]  # weights from N(0, v): the page's grey
    fig, (ax_grad, ax_spread) = new_figure(1, 2, width=7.6, height=3.2, sharex=True)
    grad = np.maximum(np.asarray(run["grad"]), _EXPLORER_FLOOR)
    spread = np.maximum(np.asarray(run["unit_std"]), _EXPLORER_FLOOR)
    ax_grad.plot(np.arange(len(grad)), grad, color=color)
    ax_spread.plot(np.arange(len(spread)), spread, color=color)
    for ax in (ax_grad, ax_spread):
        _log_layers(ax, _EXPLORER_FLOOR, 1e60, 20)
        ax.axhline(1.0, color=_INK, linestyle=":", linewidth=1)
        ax.set_xlabel("layer (0 = input)")
    ax_grad.set(ylabel="‖∇W‖ (weight gradient)", title=f"backward: χ = {run['chi']:.3g}")
    ax_spread.set(ylabel="spread across images", title="forward: per unit")
    return fig


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_init_explorer(data: dict[str, Any]) -> str:
    """Sliders for n·v and the activation over
    [`draw_init_frame`][dlbasics.gradients.figures.draw_init_frame]."""
    activations = tuple(dict.fromkeys(a for a, _ in data["runs"]))
    variances = tuple(sorted({nv for _, nv in data["runs"]}))
    start = min(variances, key=lambda v: abs(math.log(v / (1 / 3))))  # torch's default
    return explorable(
        lambda activation, nv: draw_init_frame(data, activation, nv),
        [
            # the activation φ is a named choice: its values are the names, written as they are
            Slider("activation", "φ", tuple(activations), "sigmoid", "{}"),
            Slider("nv", "n·v", variances, start, "{:.3g}"),
        ],
        alt=lambda activation, nv: (
            f"Per-layer weight-gradient norms and per-unit spreads across images, log scale, "
            f"of a depth-{data['depth']} {activation} network at initialisation with weight "
            f"variance n·v = {nv:.3g}: {_init_readout(data, activation, nv)}"
        ),
        readout=lambda activation, nv: _init_readout(data, activation, nv),
    )


def _depth_readout(data: dict[str, Any], depth: int) -> str:
    ratios = ", ".join(
        f"{name} {data['runs'][(name, depth)]['ratio']:.2g}" for name in data["variants"]
    )
    return f"depth {depth}: ‖∇W_in‖/‖∇W_out‖ = {ratios}"


def draw_depth_frame(data: dict[str, Any], depth: int) -> Any:
    """One frame of the depth explorable: at one depth of a
    [`depth_explorer`][dlbasics.gradients.experiments.depth_explorer] result, each layer's
    gradient norm relative to the output layer's (left), and every depth's first/last ratio
    with this depth marked (right)."""
    from dlbasics.plotting import new_figure

    fig, (ax_layers, ax_depth) = new_figure(1, 2, width=7.6, height=3.6)
    depths = np.asarray(data["depths"])
    for name in data["variants"]:
        grad = np.asarray(data["runs"][(name, depth)]["grad"])
        color = _color(name)
        ax_layers.plot(np.arange(len(grad)), grad / grad[-1], color=color, label=name)
        ratios = [data["runs"][(name, int(d))]["ratio"] for d in depths]
        ax_depth.plot(depths, ratios, "o-", ms=3, color=color)
        ax_depth.plot(depth, data["runs"][(name, depth)]["ratio"], "o", ms=9, mfc="none", mec=color)
    ax_layers.set_xlim(0, depths.max() + 1)
    ax_layers.set(xlabel="layer (0 = input)", ylabel="‖∇W‖ / ‖∇W_out‖", title=f"depth {depth}")
    ax_depth.axvline(depth, color=_INK, linestyle=":", linewidth=1)
    ax_depth.set(xlabel="depth (hidden layers)", ylabel="‖∇W_in‖ / ‖∇W_out‖", title="all depths")
    for ax in (ax_layers, ax_depth):
        _log_layers(ax, 1e-50, 1e5, 10)
    handles, labels = ax_layers.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels))
    return fig


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_depth_explorer(data: dict[str, Any]) -> str:
    """A slider for the depth over
    [`draw_depth_frame`][dlbasics.gradients.figures.draw_depth_frame]."""
    depths = tuple(data["depths"])
    return explorable(
        lambda depth: draw_depth_frame(data, depth),
        [Slider("depth", "depth", depths, 10 if 10 in depths else depths[0], "{:d}")],
        alt=lambda depth: (
            f"Per-layer weight-gradient norms relative to the output layer's at initialisation, "
            f"log scale, of networks with {depth} hidden layers ({', '.join(data['variants'])}), "
            f"and the input/output ratio against depth: {_depth_readout(data, depth)}"
        ),
        readout=lambda depth: _depth_readout(data, depth),
    )
