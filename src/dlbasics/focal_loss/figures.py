"""The figures of the focal-loss page: experiment data in, inline HTML out.

Rendering is cached, keyed on the data, so that a warm build draws nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlbasics.cache import cached

__all__ = [
    "plot_cumulative_loss",
    "plot_gradient_curves",
    "plot_loss_curves",
    "plot_pr_curves",
    "plot_prior_bias",
]


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_loss_curves(data: dict[str, Any]) -> str:
    """The paper's Figure 1 as inline SVG, from
    [`loss_curves`][dlbasics.focal_loss.experiments.loss_curves]."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.8)
    ax.axvspan(0.6, 1.0, color="#8a8a8a", alpha=0.12, lw=0)
    ax.text(0.8, 4.6, "well-classified\nexamples", ha="center", va="top", fontsize=9)
    for gamma, loss in data["loss"].items():
        label = f"γ = {gamma:g}" + (" (CE)" if gamma == 0 else "")
        ax.plot(data["p_t"], loss, label=label)
    ax.set(xlabel="probability of the ground-truth class $p_t$", ylabel="loss", ylim=(0, 5))
    ax.set_xlim(0, 1)
    ax.legend()
    return to_svg(
        fig,
        alt="Focal loss against p_t for gamma 0, 0.5, 1, 2 and 5: the larger gamma, "
        "the faster the loss of well-classified examples (p_t above 0.6) falls to zero.",
        caption="Loss of one example against the probability it gives its true class "
        "(computed by sigmoid_focal_loss, α off). γ = 0 is cross-entropy.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_gradient_curves(data: dict[str, Any]) -> str:
    """|dFL/dx| against the logit, and its ratio to |dCE/dx|, as inline SVG."""
    from dlbasics.plotting import new_figure, to_svg

    fig, (ax, ax_ratio) = new_figure(1, 2, width=8.0, height=3.4)
    ce = np.abs(data["grad"][0.0])
    for gamma, grad in data["grad"].items():
        label = f"γ = {gamma:g}" + (" (CE)" if gamma == 0 else "")
        ax.plot(data["x"], np.abs(grad), label=label)
        ax_ratio.semilogy(data["x"], np.abs(grad) / ce, label=label)
    for a in (ax, ax_ratio):
        a.axvline(0.0, color="#8a8a8a", lw=0.8, ls=":")
        a.set_xlabel("logit x of a positive example (p = σ(x))")
    ax.set_ylabel("|∂loss/∂x|")
    ax_ratio.set_ylabel("|∂FL/∂x| / |∂CE/∂x|")
    ax_ratio.set_ylim(1e-7, 3)
    ax.legend()
    return to_svg(
        fig,
        alt="Left: the size of the gradient with respect to the logit of a positive example. "
        "Cross-entropy's gradient is 1 - p and stays sizeable for correct examples; focal "
        "loss's gradient peaks for misclassified examples and vanishes for easy ones. Right: "
        "the ratio of focal to cross-entropy gradient falls by orders of magnitude once x > 0.",
        caption="Where the gradient goes: focal loss keeps (and for γ ≥ 1 slightly raises) "
        "the gradient of misclassified examples and shrinks that of well-classified ones.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_cumulative_loss(data: dict[str, Any]) -> str:
    """Cumulative normalised loss of positives and negatives (Figure 4 of the paper) as SVG."""
    from dlbasics.plotting import new_figure, to_svg

    fig, axes = new_figure(1, 2, width=8.0, height=3.4, sharey=True)
    for ax, name in zip(axes, ("positives", "negatives"), strict=True):
        for gamma, curve in data["curves"][name].items():
            ax.plot(data["fraction"], curve, label=f"γ = {gamma:g}")
        ax.set(xlabel=f"fraction of {name} (sorted by loss)", title=name, xlim=(0, 1), ylim=(0, 1))
    axes[0].set_ylabel("cumulative normalised loss")
    axes[1].legend()
    return to_svg(
        fig,
        alt="Cumulative normalised loss against the fraction of examples sorted by loss. "
        "For positives the curves change little with gamma. For negatives, as gamma grows "
        "the curve stays near zero for most of the range and rises only at the end: the "
        "loss concentrates on a few hard negatives.",
        caption="Cumulative share of the loss, examples sorted from easiest to hardest, on "
        "the simulated detector output (1 positive : 1000 negatives).",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_pr_curves(data: dict[int, dict[str, Any]], seed_index: int = 0) -> str:
    """Precision–recall curves of the training experiment (one seed), one panel per ratio."""
    from dlbasics.plotting import new_figure, to_svg

    fig, axes = new_figure(1, len(data), width=4.0 * len(data), height=3.6, sharey=True)
    axes = np.atleast_1d(axes)
    for ax, (imbalance, run) in zip(axes, data.items(), strict=True):
        for k, method in enumerate(run["methods"]):
            ax.plot(run["recall"], run["precision"][seed_index, k], label=method)
        ax.set(xlabel="recall", title=f"1 : {imbalance}", xlim=(0, 1), ylim=(0, 1.02))
    axes[0].set_ylabel("precision (interpolated)")
    axes[-1].legend(fontsize=8)
    return to_svg(
        fig,
        alt="Precision against recall on the test set for a small classifier trained with "
        "cross-entropy, alpha-balanced cross-entropy, online hard example mining and focal "
        "loss, at 1 to 100 and 1 to 1000 class imbalance.",
        caption="Test precision–recall curves of one seed (interpolated precision).",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_prior_bias(data: dict[tuple[str, str], np.ndarray]) -> str:
    """Training loss of the first iterations, bias 0 vs prior bias, as inline SVG."""
    from dlbasics.plotting import COLORS, new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.6)
    colors = {name: COLORS[i] for i, name in enumerate(sorted({k[0] for k in data}))}
    for (loss_name, init_name), curve in data.items():
        style = "-" if init_name == "b = 0" else "--"
        steps = np.arange(len(curve))
        ax.semilogy(steps, curve, style, color=colors[loss_name], label=f"{loss_name}, {init_name}")
    ax.set(xlabel="training step", ylabel="probe loss / number of positives")
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt="Loss per positive on a fixed probe set over the first training steps, log scale, "
        "for cross-entropy and focal loss with the last bias at 0 or at the prior bias.",
        caption="First training steps on 1 : 1000 data: SGD with momentum, loss summed and "
        "divided by the number of positives (the paper's set-up), measured on a fixed probe "
        "set of training examples.",
    )
