"""The figures of the vanishing-gradients page: experiment data in, inline HTML out.

Rendering is cached, keyed on the data, so that a warm build draws nothing.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlbasics.cache import cached
from dlbasics.gradients import ACTIVATIONS, INITS, _check_choice

__all__ = [
    "plot_clipping",
    "plot_evolution",
    "plot_init_sweep",
    "plot_recurrence",
    "plot_training",
]


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_init_sweep(sweep: dict[str, dict[str, list[float]]], quantity: str = "grad") -> str:
    """Small multiples (one panel per activation, one line per init) of an
    [`init_sweep`][dlbasics.gradients.experiments.init_sweep] result on a log scale; inline SVG.

    Args:
        sweep: The result of `init_sweep`.
        quantity: `"grad"` (weight-gradient norm per linear layer) or `"act_std"`
            (standard deviation of each hidden representation).
    """
    from matplotlib.ticker import MaxNLocator

    from dlbasics.plotting import new_figure, to_svg

    _check_choice("quantity", quantity, ("grad", "act_std"))
    fig, axes = new_figure(1, len(ACTIVATIONS), width=9.6, height=3.4, sharey=True)
    for ax, activation in zip(axes, ACTIVATIONS, strict=True):
        for init in INITS:
            values = np.asarray(sweep[f"{activation}/{init}"][quantity])
            ax.semilogy(np.arange(len(values)), np.maximum(values, 1e-300), label=init)
        ax.set_title(activation)
        ax.set_xlabel("layer (0 = input layer)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ylabel = "‖∇W‖ (weight-gradient norm)" if quantity == "grad" else "std of the layer's output"
    axes[0].set_ylabel(ylabel)
    axes[-1].legend(title="init", fontsize=8)
    depth = len(next(iter(sweep.values()))["grad"]) - 2
    what = "weight-gradient norms" if quantity == "grad" else "activation standard deviations"
    return to_svg(
        fig,
        alt=f"Per-layer {what} at initialisation of a depth-{depth} MLP, log scale, "
        "for sigmoid, tanh and ReLU with default, normal, Xavier and Kaiming initialisation",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_training(results: dict[str, dict[str, Any]], kind: str = "loss") -> str:
    """Figures of [`train_digits`][dlbasics.gradients.experiments.train_digits] results; inline SVG.

    Args:
        results: `{variant name: train_digits result}`.
        kind: `"loss"` (training loss per epoch, all variants in one panel), `"updates"`
            (relative update per layer in the first and the last epoch, one panel per variant)
            or `"grad_vs_update"` (first epoch: mean gradient norm and relative update per
            layer, normalised by the output layer's, one panel per variant).
    """
    from matplotlib.ticker import MaxNLocator

    from dlbasics.plotting import new_figure, to_svg

    _check_choice("kind", kind, ("loss", "updates", "grad_vs_update"))
    names = list(results)
    if kind == "loss":
        fig, ax = new_figure(width=6.4, height=3.6)
        for name in names:
            loss = results[name]["epoch_loss"]
            ax.plot(np.arange(1, len(loss) + 1), loss, label=name)
        ax.set(xlabel="epoch", ylabel="mean training loss", yscale="log")
        ax.legend(fontsize=8)
        return to_svg(fig, alt="Training loss per epoch on the digits for " + ", ".join(names))
    ncols = min(4, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig, axes = new_figure(
        nrows, ncols, width=2.6 * ncols, height=2.5 * nrows, sharey=True, squeeze=False
    )
    for ax, name in zip(axes.flat, names, strict=False):
        r = results[name]
        update = np.asarray(r["rel_update"])
        layers = np.arange(update.shape[1])
        if kind == "updates":
            for epoch, style in ((0, "-"), (update.shape[0] - 1, "--")):
                # An update below float32 resolution is exactly 0: drawn at the floor.
                ax.semilogy(
                    layers, np.maximum(update[epoch], 1e-12), style, label=f"epoch {epoch + 1}"
                )
        else:
            grad = np.asarray(r["grad_norm"])[0]
            ax.semilogy(layers, grad / grad[-1], label="‖∇W‖")
            ax.semilogy(
                layers, np.maximum(update[0] / update[0][-1], 1e-12), "--", label="‖ΔW‖/‖W‖"
            )
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("layer (0 = input)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    axes[0, 0].set_ylabel("relative update" if kind == "updates" else "÷ output layer's")
    axes[0, 0].legend(fontsize=8)
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
    against the number of unrolled steps, with \\(\\rho^T\\) for reference; inline SVG."""
    from dlbasics.plotting import COLORS, new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.4)
    steps = np.asarray(result["steps"])
    for color, (rho, norms) in zip(COLORS, result["norms"].items(), strict=False):
        ax.semilogy(steps, norms, color=color, label=f"ρ = {rho:g} (autograd)")
        ax.semilogy(steps, float(rho) ** steps, ":", color=color, label=f"{rho:g}^T")
    ax.set(xlabel="unrolled steps T", ylabel="‖∂L/∂h₀‖")
    ax.legend(fontsize=8, ncols=2)
    return to_svg(
        fig,
        alt="Gradient norm through an unrolled linear recurrence against its length, "
        "shrinking for spectral radius 0.9 and growing for 1.1",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_clipping(result: dict[str, dict[str, Any]]) -> str:
    """Loss and gradient norm per step of a
    [`clipping`][dlbasics.gradients.experiments.clipping] result (non-finite values
    are left out, so a diverged run stops); inline SVG."""
    from dlbasics.plotting import new_figure, to_svg

    fig, (ax_loss, ax_grad) = new_figure(1, 2, width=9.6, height=3.4)
    for label, run in result.items():
        for ax, key in ((ax_loss, "loss"), (ax_grad, "grad_norm")):
            values = np.asarray(run[key], dtype=float)
            values[~np.isfinite(values)] = np.nan
            ax.semilogy(np.arange(1, len(values) + 1), values, label=label)
    ax_loss.set(xlabel="SGD step", ylabel="training loss (mini-batch)")
    ax_grad.set(xlabel="SGD step", ylabel="‖gradient‖ before clipping")
    ax_loss.legend(fontsize=8)
    return to_svg(
        fig,
        alt="Loss and gradient norm per step for an over-initialised ReLU network with and "
        "without gradient clipping, and a Kaiming-initialised one",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_evolution(result: dict[str, Any]) -> str:
    """Training loss against cost (forward-pass equivalents) for an
    [`evolution_vs_gradient_descent`][dlbasics.gradients.experiments.evolution_vs_gradient_descent]
    result; inline SVG."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.4)
    for key, label in (("gd", "gradient descent (full batch)"), ("es", "evolution strategy")):
        cost = np.asarray(result[key]["cost"])
        ax.plot(np.maximum(cost, 1), result[key]["loss"], label=label)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="cost: forward passes over the training set",
        ylabel="training loss",
    )
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt="Training loss against the number of forward-pass equivalents for gradient "
        "descent and for an evolution strategy on the same small network",
    )
