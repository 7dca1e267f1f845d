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
from dlbasics.plotting import COLORS, Slider, explorable, new_figure, to_svg

__all__ = [
    "GAMMA_COLORS",
    "METHOD_COLORS",
    "draw_focusing_frame",
    "draw_share_frame",
    "plot_cumulative_loss",
    "plot_focusing_explorer",
    "plot_gradient_curves",
    "plot_loss_curves",
    "plot_loss_star",
    "plot_pr_curves",
    "plot_prior_bias",
    "plot_share_explorer",
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


def _fixed_layout(fig: Any, axes: Any, rects: Any) -> None:
    """Place the axes of an explorable's frame at fixed positions (figure fractions): every
    frame keeps its axes where the others have them, and no layout engine runs per frame
    (a third of a frame's drawing time)."""
    fig.set_layout_engine("none")
    for ax, rect in zip(axes, rects, strict=True):
        ax.set_position(rect)


def draw_focusing_frame(data: dict[str, Any], gamma: float, alpha: float) -> Any:
    """One frame of the focusing explorable: FL_α of a positive and of a negative against
    p_t (left), and its logit gradient over cross-entropy's (right), with the crossing of 1."""
    frame = data["frames"][(gamma, alpha)]
    color, p_t = GAMMA_COLORS.get(gamma), data["p_t"]
    fig, (ax, ax_ratio) = new_figure(1, 2, width=7.6, height=3.4)
    ax.plot(p_t, data["ce"], ":", color=_REFERENCE, label="CE, α off")
    ax.plot(p_t, frame["positive"], color=color, label=f"positive (× α = {alpha:g})")
    ax.plot(p_t, frame["negative"], "--", color=color, label=f"negative (× {1 - alpha:g})")
    ax.set(xlabel="$p_t$", ylabel="loss", xlim=(0, 1), ylim=(0, 3), title=f"loss, γ = {gamma:g}")
    ax.legend(loc="upper right")
    ax_ratio.axhline(1.0, color=_REFERENCE, lw=1.0, ls=":")
    ax_ratio.plot(p_t, frame["ratio"], color=color, label="over α-balanced CE")
    ax_ratio.plot(p_t, frame["ratio_positive"], "--", color=color, label="positive, over CE")
    ax_ratio.plot(p_t, frame["ratio_negative"], "-.", color=color, label="negative, over CE")
    if frame["crossing"] is not None:
        crossing = frame["crossing"]
        ax_ratio.plot([crossing], [1.0], "o", color=color, ms=7)
        ax_ratio.plot([crossing, crossing], [0.0, 1.0], ":", color=color, lw=1.0)
        ax_ratio.text(crossing + 0.015, 0.03, f"p* = {crossing:.2f}", va="bottom")
    ax_ratio.set(
        xlabel="$p_t$",
        ylabel="|∂FL/∂x| / |∂CE/∂x|",
        xlim=(0, 1),
        ylim=(0, 1.6),
        title="logit gradient over CE's",
    )
    ax_ratio.legend(loc="upper right")
    _fixed_layout(fig, (ax, ax_ratio), ([0.075, 0.15, 0.4, 0.76], [0.585, 0.15, 0.4, 0.76]))
    return fig


def _focusing_readout(data: dict[str, Any], gamma: float, alpha: float) -> str:
    f = data["frames"][(gamma, alpha)]
    plain = (
        f"over plain CE at p_t = 0.5: ×{f['half_positive']:.2f} for a positive, "
        f"×{f['half_negative']:.2f} for a negative"
    )
    if f["crossing"] is None:
        return f"γ = 0: FL is α-balanced CE, the ratio is 1 at every p_t (no crossing); {plain}"
    return (
        f"FL's gradient exceeds α-balanced CE's below p* = {f['crossing']:.2f} (α does not move "
        f"it); at p_t = 0.5 it is ×{f['half']:.2f}; {plain}"
    )


def _gamma_alpha_sliders(grid: Any) -> list[Slider]:
    """The γ and α sliders over the (γ, α) keys of an explorer's frames: γ = 2 and α = 0.25
    (the paper's choice) first when the grid has them."""
    gammas = sorted({g for g, _ in grid})
    alphas = sorted({a for _, a in grid})
    return [
        Slider("gamma", "γ", tuple(gammas), 2.0 if 2.0 in gammas else gammas[-1]),
        Slider("alpha", "α", tuple(alphas), 0.25 if 0.25 in alphas else alphas[0]),
    ]


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_focusing_explorer(data: dict[str, Any]) -> str:
    """Sliders for γ and α over
    [`draw_focusing_frame`][dlbasics.focal_loss.figures.draw_focusing_frame], from
    [`focusing_explorer`][dlbasics.focal_loss.experiments.focusing_explorer]."""
    return explorable(
        lambda gamma, alpha: draw_focusing_frame(data, gamma, alpha),
        _gamma_alpha_sliders(data["frames"]),
        alt=lambda gamma, alpha: (
            f"Left: focal loss with gamma {gamma:g} and alpha {alpha:g} of a positive and of a "
            f"negative example against p_t, next to cross-entropy. Right: the size of its "
            f"gradient with respect to the logit over cross-entropy's: "
            f"{_focusing_readout(data, gamma, alpha)}"
        ),
        readout=lambda gamma, alpha: _focusing_readout(data, gamma, alpha),
    )


_GROUPS = ("positives", "easy negatives", "hard negatives")


def draw_share_frame(
    data: dict[tuple[float, float], dict[str, Any]], gamma: float, alpha: float
) -> Any:
    """One frame of the loss-share explorable: the shares of the loss and of the gradient of
    each group (left), and the easy negatives' shares against γ at this α (right)."""
    row, color = data[(gamma, alpha)], GAMMA_COLORS.get(gamma)
    fig, (ax, ax_gamma) = new_figure(1, 2, width=7.6, height=3.2)
    y = np.arange(len(_GROUPS))[::-1]
    loss = [row[f"{g} loss"] for g in _GROUPS]
    grad = [row[f"{g} grad"] for g in _GROUPS]
    ax.barh(y + 0.2, loss, height=0.38, color=color, label="loss")
    ax.barh(
        y - 0.2,
        grad,
        height=0.38,
        facecolor="none",
        edgecolor=color,
        hatch="///",
        label="|gradient|",
    )
    for yi, value in zip([*(y + 0.2), *(y - 0.2)], [*loss, *grad], strict=True):
        ax.text(value + 0.02, yi, f"{value:.1%}", va="center")
    ax.set(xlim=(0, 1.3), xlabel="share of the total", title=f"γ = {gamma:g}, α = {alpha:g}")
    ax.set_yticks(y, _GROUPS)
    ax.set_xticks([0, 0.5, 1.0], ["0", "50%", "100%"])
    ax.legend(loc="upper right")
    gammas = sorted({g for g, a in data if a == alpha})
    easy_loss = [data[(g, alpha)]["easy negatives loss"] for g in gammas]
    easy_grad = [data[(g, alpha)]["easy negatives grad"] for g in gammas]
    ax_gamma.plot(gammas, easy_loss, "-", color=_REFERENCE, marker=".", label="loss")
    ax_gamma.plot(gammas, easy_grad, "--", color=_REFERENCE, label="|gradient|")
    ax_gamma.plot([gamma], [row["easy negatives loss"]], "o", color=color, ms=9)
    ax_gamma.plot([gamma], [row["easy negatives grad"]], "o", mfc="none", mec=color, ms=9, mew=2)
    ax_gamma.set(xlabel="γ", ylabel="easy negatives' share", ylim=(0, 0.7), title=f"α = {alpha:g}")
    ax_gamma.set_yticks([0, 0.25, 0.5], ["0", "25%", "50%"])
    ax_gamma.set_xticks(range(int(max(gammas)) + 1))
    ax_gamma.legend(loc="upper right")
    _fixed_layout(fig, (ax, ax_gamma), ([0.165, 0.16, 0.4, 0.74], [0.665, 0.16, 0.32, 0.74]))
    return fig


def _share_readout(
    data: dict[tuple[float, float], dict[str, Any]], gamma: float, alpha: float
) -> str:
    row = data[(gamma, alpha)]
    return "; ".join(
        f"{g} {row[f'{g} loss']:.1%} of the loss, {row[f'{g} grad']:.1%} of the gradient"
        for g in _GROUPS
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_share_explorer(data: dict[tuple[float, float], dict[str, Any]]) -> str:
    """Sliders for γ and α over [`draw_share_frame`][dlbasics.focal_loss.figures.draw_share_frame],
    from [`share_explorer`][dlbasics.focal_loss.experiments.share_explorer]."""
    return explorable(
        lambda gamma, alpha: draw_share_frame(data, gamma, alpha),
        _gamma_alpha_sliders(data),
        alt=lambda gamma, alpha: (
            f"Bars: the shares of the summed loss and of the summed gradient that the "
            f"positives, the easy and the hard negatives of the simulated detector output "
            f"carry under focal loss with gamma {gamma:g} and alpha {alpha:g}: "
            f"{_share_readout(data, gamma, alpha)}. Beside them, the easy negatives' shares "
            f"against gamma."
        ),
        readout=lambda gamma, alpha: _share_readout(data, gamma, alpha),
    )
