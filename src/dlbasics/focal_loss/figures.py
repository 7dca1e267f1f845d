"""The figures of the focal-loss page: experiment data in, HTML out.

One colour per meaning on the whole page: each focusing parameter γ has its colour (γ = 0,
cross-entropy, is blue everywhere; γ = 2 is vermillion, also as the paper's FL with α = 0.25),
and the training methods reuse them. Text is drawn at 10 points or more, so that it stays
legible once the figure is scaled to the page's column. Rendering is cached, keyed on the
data, so that a warm build draws nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlbasics.cache import cached
from dlbasics.plotting import COLORS, new_figure, to_svg

__all__ = [
    "GAMMA_COLORS",
    "METHOD_COLORS",
    "plot_cumulative_loss",
    "plot_gradient_curves",
    "plot_loss_curves",
    "plot_loss_star",
    "plot_pr_curves",
    "plot_prior_bias",
]

GAMMA_COLORS: dict[float, str] = {
    0.0: COLORS[0],
    0.5: COLORS[1],
    1.0: COLORS[2],
    2.0: COLORS[3],
    5.0: COLORS[4],
}
"""The colour of each focusing parameter γ, on every figure of the page."""

METHOD_COLORS: dict[str, str] = {
    "CE": COLORS[0],
    "α-CE (α = 0.75)": COLORS[5],
    "OHEM (hardest 1/8, CE)": COLORS[2],
    "FL (γ = 2, α = 0.25)": COLORS[3],
}
"""The colour of each training method: CE and FL keep the colours of γ = 0 and γ = 2."""

_REFERENCE = "#8a8a8a"  # drawn in the palette's ink: reference lines and FL*


def _gamma_label(gamma: float) -> str:
    return f"γ = {gamma:g}" + (" (CE)" if gamma == 0 else "")


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_loss_curves(data: dict[str, Any]) -> str:
    """The paper's Figure 1, from [`loss_curves`][dlbasics.focal_loss.experiments.loss_curves]."""
    fig, ax = new_figure(width=6.4, height=3.8)
    ax.axvspan(0.6, 1.0, color=_REFERENCE, alpha=0.12, lw=0)
    ax.text(0.8, 4.6, "well-classified\nexamples", ha="center", va="top")
    for gamma, loss in data["loss"].items():
        ax.plot(data["p_t"], loss, label=_gamma_label(gamma), color=GAMMA_COLORS.get(gamma))
    ax.set(xlabel="probability of the ground-truth class $p_t$", ylabel="loss", ylim=(0, 5))
    ax.set_xlim(0, 1)
    ax.legend()
    return to_svg(
        fig,
        alt="Focal loss against p_t for gamma 0, 0.5, 1, 2 and 5: the larger gamma, "
        "the faster the loss of well-classified examples (p_t above 0.6) falls to zero.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_gradient_curves(grads: dict[str, Any], ratios: dict[str, Any]) -> str:
    r"""Left: \(|\partial\ell/\partial x|\) of a positive against \(p\); right: the ratio to
    cross-entropy's on a linear axis, with the crossing of 1 marked for each γ.

    Args:
        grads: [`gradient_curves`][dlbasics.focal_loss.experiments.gradient_curves].
        ratios: [`gradient_ratio_curves`][dlbasics.focal_loss.experiments.gradient_ratio_curves],
            with `"crossing": {gamma: p*}` added.
    """
    fig, (ax, ax_ratio) = new_figure(1, 2, width=7.6, height=3.4)
    p = 1 / (1 + np.exp(-grads["x"]))
    for gamma, grad in grads["grad"].items():
        ax.plot(p, np.abs(grad), label=_gamma_label(gamma), color=GAMMA_COLORS.get(gamma))
    ax.set(xlabel="p of a positive example", ylabel="|∂loss/∂x|", xlim=(0, 1))
    ax.legend()
    ax_ratio.axhline(1.0, color=_REFERENCE, lw=1.0, ls=":")
    for gamma, ratio in ratios["ratio"].items():
        color = GAMMA_COLORS.get(gamma)
        ax_ratio.plot(ratios["p"], ratio, color=color, label=_gamma_label(gamma))
        crossing = ratios["crossing"][gamma]
        ax_ratio.plot([crossing], [1.0], "o", color=color, ms=5)
    ax_ratio.set(
        xlabel="p of a positive example",
        ylabel="|∂FL/∂x| / |∂CE/∂x|",
        xlim=(0, 1),
        ylim=(0, 1.45),
    )
    return to_svg(
        fig,
        alt="Left: the size of the gradient with respect to the logit of a positive example "
        "against its probability: cross-entropy's is 1 - p, focal loss's is smaller for "
        "well-classified examples. Right: the ratio of the two on a linear axis; for every "
        "gamma it is a little above 1 for small p, crosses 1 once (marked) and falls to 0.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_cumulative_loss(data: dict[str, Any]) -> str:
    """Cumulative normalised loss of positives and negatives (the paper's Figure 4)."""
    fig, axes = new_figure(1, 2, width=7.6, height=3.4, sharey=True)
    for ax, name in zip(axes, ("positives", "negatives"), strict=True):
        for gamma, curve in data["curves"][name].items():
            ax.plot(data["fraction"], curve, label=f"γ = {gamma:g}", color=GAMMA_COLORS.get(gamma))
        ax.set(xlabel=f"fraction of {name} (sorted by loss)", title=name, xlim=(0, 1), ylim=(0, 1))
    axes[0].set_ylabel("cumulative normalised loss")
    axes[1].legend()
    return to_svg(
        fig,
        alt="Cumulative normalised loss against the fraction of examples sorted by loss. "
        "For positives the curves change little with gamma. For negatives, as gamma grows "
        "the curve stays near zero for most of the range and rises only at the end: the "
        "loss concentrates on a few hard negatives.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_pr_curves(data: dict[int, dict[str, Any]], seed_index: int = 0) -> str:
    """Precision–recall curves of the training experiment (one seed), one panel per ratio."""
    fig, axes = new_figure(1, len(data), width=3.8 * len(data), height=3.6, sharey=True)
    axes = np.atleast_1d(axes)
    for ax, (imbalance, run) in zip(axes, data.items(), strict=True):
        for k, method in enumerate(run["methods"]):
            ax.plot(
                run["recall"],
                run["precision"][seed_index, k],
                label=method,
                color=METHOD_COLORS.get(method),
            )
        ax.set(xlabel="recall", title=f"1 : {imbalance}", xlim=(0, 1), ylim=(0, 1.02))
    axes[0].set_ylabel("precision (interpolated)")
    axes[-1].legend()
    return to_svg(
        fig,
        alt="Precision against recall on the test set for a small classifier trained with "
        "cross-entropy, alpha-balanced cross-entropy, online hard example mining and focal "
        "loss, at 1 to 100 and 1 to 1000 class imbalance.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_prior_bias(data: dict[tuple[str, str], np.ndarray]) -> str:
    """Probe loss of the first iterations, bias 0 (solid) vs prior bias (dashed)."""
    fig, ax = new_figure(width=6.4, height=3.8)
    for (loss_name, init_name), curve in data.items():
        style = "-" if init_name == "b = 0" else "--"
        color = METHOD_COLORS.get(loss_name)
        steps = np.arange(len(curve))
        ax.semilogy(steps, curve, style, color=color, label=f"{loss_name}, {init_name}")
    ax.set(xlabel="training step", ylabel="probe loss / number of positives")
    ax.legend()
    return to_svg(
        fig,
        alt="Loss per positive on a fixed probe set over the first training steps, log scale, "
        "for cross-entropy and focal loss with the last bias at 0 or at the prior bias.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_loss_star(data: dict[str, Any]) -> str:
    """FL* of the paper's appendix against p_t, with CE and FL (γ = 2), from
    [`loss_star_curves`][dlbasics.focal_loss.experiments.loss_star_curves]."""
    fig, ax = new_figure(width=6.4, height=3.8)
    ax.plot(data["p_t"], data["ce"], label=_gamma_label(0.0), color=GAMMA_COLORS[0.0])
    ax.plot(data["p_t"], data["fl"], label="FL, γ = 2", color=GAMMA_COLORS[2.0])
    for ((gamma, beta), loss), style in zip(data["star"].items(), ("--", ":"), strict=False):
        label = f"FL*, γ = {gamma:g}, β = {beta:g}"
        ax.plot(data["p_t"], loss, style, color=_REFERENCE, label=label)
    ax.set(xlabel="probability of the ground-truth class $p_t$", ylabel="loss", ylim=(0, 5))
    ax.set_xlim(0, 1)
    ax.legend()
    return to_svg(
        fig,
        alt="Cross-entropy, focal loss with gamma 2, and the appendix's FL* with gamma 2, "
        "beta 1 and with gamma 4, beta 0, against p_t: both FL* curves, like focal loss, fall "
        "to almost zero for well-classified examples.",
    )
