"""The figures and tables of the batch-normalization page.

Each takes the data returned by an experiment of `dlbasics.batch_norm.experiments` and
returns inline HTML (figures) or Markdown (tables). Rendering is cached too, keyed on the
data, so that a warm build draws nothing. A colour means one thing on the whole page
([`BN_COLORS`][dlbasics.batch_norm.figures.BN_COLORS]); what is not one of those networks
(input versions, layers, the path of gradient descent) is drawn in the page's ink, told
apart by line style and marker.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlbasics.batch_norm.experiments import PATH_MEASURES, _mean_acc, steps_to_accuracy
from dlbasics.cache import cached
from dlbasics.plotting import COLORS

__all__ = [
    "BN_COLORS",
    "draw_learning_rate_frame",
    "draw_sigmoid_frame",
    "plot_batch_noise",
    "plot_computation_graph",
    "plot_conv_training",
    "plot_elongated_bowl",
    "plot_input_scaling",
    "plot_learned_gamma_beta",
    "plot_learning_rate_explorer",
    "plot_learning_rate_run",
    "plot_learning_rate_sweep",
    "plot_noisy_batch_norm",
    "plot_placement",
    "plot_sigmoid_explorer",
    "plot_test_time_statistics",
    "plot_training_path",
    "plot_unit_distribution",
    "table_covariate_shift",
    "table_gamma_beta",
    "table_ghost_batches",
    "table_learning_rate_sweep",
    "table_placement",
    "table_scale_invariance",
    "table_small_batches",
    "table_training_path",
]

BN_COLORS: dict[str, str] = {
    "none": COLORS[1],  # orange: no normalisation
    "before": COLORS[0],  # blue: BN before the activation (the page's default BN)
    "after": COLORS[2],  # green: BN after the activation
    "noisy": COLORS[4],  # purple: BN followed by moving noise
    "reference": COLORS[7],  # grey: eval mode, predictions
}
"""The colour of each network on every figure of the page: no BN orange, BN blue, BN after
the activation green, "noisy" BN purple; reference values (eval mode, predictions) grey."""

_INK = "#8a8a8a"  # replaced by the palette's ink: drawn as text and axes are
_STYLES = ("-", "--", ":")
_MARKERS = ("o", "s", "^")

#: What the networks are called in legends.
_NAMES = {"none": "without BN", "before": "with BN", "after": "BN after", "noisy": "noisy BN"}


def _no_minor_labels(ax: Any, axis: str = "y") -> None:
    """A log axis with labels on the decades only (no "6×10⁰, 4×10⁰ …" clutter)."""
    from matplotlib.ticker import NullFormatter

    getattr(ax, f"{axis}axis").set_minor_formatter(NullFormatter())


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_elongated_bowl(result: dict[str, Any]) -> str:
    """Contours of the least-squares loss and the path of gradient descent, in the features'
    own units and standardised (Andrew Ng's elongated bowl)."""
    from dlbasics.plotting import new_figure, to_svg

    fig, axes = new_figure(1, 2, width=7.6, height=3.3)
    f1, f2 = result["features"]
    for ax, name in zip(axes, ("own units", "standardised"), strict=True):
        r = result[name]
        floor = float(r["loss"].min())
        levels = floor + (r["loss"].max() - floor) * np.linspace(0, 1, 12)[1:] ** 2
        ax.contour(r["w1"], r["w2"], r["loss"], levels=levels, colors=_INK, linewidths=0.8)
        path = r["path"]
        ax.plot(path[:, 0], path[:, 1], "-o", color=_INK, markersize=3, linewidth=1.2)
        ax.plot(*r["minimum"], "*", color=_INK, markersize=11)
        ax.set(
            title=f"{name}: {result['steps']} steps",
            xlabel=f"weight of {f1}",
            ylabel=f"weight of {f2}",
        )
        ax.set_aspect("equal")  # the same scale on both axes: the bowl's true shape
        ax.grid(False)
    return to_svg(
        fig,
        alt="Contour lines of a least-squares loss over two weights: long thin ellipses when "
        "the features keep their own units, near circles when they are standardised, with the "
        "zig-zag or direct path of gradient descent towards the minimum.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_input_scaling(result: dict[str, Any]) -> str:
    """Final training loss of softmax regression against the learning rate, per input version."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.4)
    for (name, losses), style, marker in zip(
        result["loss"].items(), _STYLES, _MARKERS, strict=True
    ):
        ax.plot(result["lrs"], losses, style, marker=marker, color=_INK, label=name)
    ax.set(xscale="log", yscale="log", xlabel="learning rate", ylabel="training loss after GD")
    _no_minor_labels(ax)
    ax.legend()
    return to_svg(
        fig,
        alt="Final training loss of softmax regression against the learning rate, for raw, "
        "standardised and randomly rescaled pixels; missing points diverged.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_computation_graph() -> str:
    """The computation graph of training-mode batch norm, one node per intermediate value,
    each with its forward formula and the local step of the backward pass."""
    from dlbasics.plotting import new_figure, to_svg

    nodes = {  # name: (x, y, forward, backward)
        "x": (0.08, 0.25, r"$x$", r"$\bar x = \bar d + \bar\mu/m$"),
        "mu": (0.22, 0.78, r"$\mu = \frac{1}{m}\sum_i x_i$", r"$\bar\mu = -\sum_i \bar d_i$"),
        "d": (0.37, 0.25, r"$d = x - \mu$", r"$\bar d = s\,\bar{\hat x} + \frac{2}{m} d\,\bar v$"),
        "v": (0.52, 0.78, r"$v = \frac{1}{m}\sum_i d_i^2$", r"$\bar v = -\frac{1}{2}s^3\bar s$"),
        "s": (0.8, 0.78, r"$s = (v+\epsilon)^{-1/2}$", r"$\bar s = \sum_i \bar{\hat x}_i d_i$"),
        "xhat": (0.66, 0.25, r"$\hat x = d\,s$", r"$\bar{\hat x} = \gamma\,\bar y$"),
        "y": (
            0.91,
            0.25,
            r"$y = \gamma\hat x + \beta$",
            r"$\bar\gamma = \sum_i \bar y_i \hat x_i$",
        ),
    }
    edges = [("x", "mu"), ("x", "d"), ("mu", "d"), ("d", "v"), ("v", "s"), ("s", "xhat")]
    edges += [("d", "xhat"), ("xhat", "y")]
    fig, ax = new_figure(width=7.6, height=3.2)
    ax.set_axis_off()
    ax.set(xlim=(0, 1), ylim=(0, 1))
    boxes = {}
    for name, (x, y, forward, backward) in nodes.items():
        # An invisible two-line text sizes the node's box; the two lines are drawn over it.
        boxes[name] = ax.text(
            x,
            y,
            forward + "\n" + backward,
            ha="center",
            va="center",
            fontsize=11,
            linespacing=1.6,
            alpha=0.0,  # the text is invisible, its box is not
            bbox={"boxstyle": "round,pad=0.45", "fc": "none", "ec": _INK, "lw": 1.0},
        )
        ax.annotate(
            forward,
            (x, y),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=11,
        )
        ax.annotate(
            backward,
            (x, y),
            xytext=(0, -2),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=11,
            color=COLORS[0],
        )
    for a, b in edges:
        ax.annotate(
            "",
            xy=(0.5, 0.5),
            xycoords=boxes[b],
            xytext=(0.5, 0.5),
            textcoords=boxes[a],
            arrowprops={
                "arrowstyle": "-|>",
                "color": _INK,
                "linewidth": 1.2,
                "patchA": boxes[a].get_bbox_patch(),
                "patchB": boxes[b].get_bbox_patch(),
                "shrinkA": 2,
                "shrinkB": 2,
            },
        )
    return to_svg(
        fig,
        alt="The computation graph of batch norm: x feeds the mean mu and the centred d; d "
        "feeds the variance v, which gives the inverse standard deviation s; d and s give x hat, "
        "which gamma and beta scale and shift into y. In each node, under the forward formula, "
        "the backward step that turns the gradient of its output into the gradient of its inputs.",
    )


def _accuracy_panels(
    result: dict[str, Any],
    variants: tuple[tuple[Any, str, str], ...],
    *,
    legend_loc: str,
    alt: str,
) -> str:
    """Test accuracy against steps, one panel per learning rate (two per row):
    `result["runs"][(lr, key)]` for each (key, label, colour) of `variants`."""
    from dlbasics.plotting import new_figure, to_svg

    lrs = result["lrs"]
    ncols = min(2, len(lrs))
    nrows = -(-len(lrs) // ncols)
    fig, axes = new_figure(
        nrows, ncols, width=7.6, height=0.4 + 2.6 * nrows, sharex=True, sharey=True, squeeze=False
    )
    for ax in axes.flat[len(lrs) :]:
        ax.set_visible(False)
    for ax, lr in zip(axes.flat, lrs, strict=False):
        for key, label, color in variants:
            run = result["runs"][(lr, key)]
            ax.plot(run["step"], run["test_acc"], label=label, color=color)
        ax.set(title=f"learning rate {lr:g}", ylim=(0, 1))
    for ax in axes[-1]:
        ax.set_xlabel("training step")
    for ax in axes[:, 0]:
        ax.set_ylabel("test accuracy")
    axes[0, 0].legend(loc=legend_loc)
    return to_svg(fig, alt=alt)


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_learning_rate_sweep(result: dict[str, Any]) -> str:
    """Test accuracy against steps, one panel per learning rate, with and without BN."""
    return _accuracy_panels(
        result,
        (("none", "without BN", BN_COLORS["none"]), ("before", "with BN", BN_COLORS["before"])),
        legend_loc="center right",
        alt="Test accuracy against training steps of the sigmoid MLP with and without batch "
        "normalization, one panel per learning rate.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def table_learning_rate_sweep(
    result: dict[str, Any], levels: tuple[float, ...] = (0.9, 0.95)
) -> str:
    """Steps to reach each test accuracy level, and the final accuracy, with and without BN."""
    from dlbasics.plotting import markdown_table

    headers = ["learning rate", "BN"]
    headers += [f"steps to {level:.0%} test accuracy" for level in levels]
    headers.append("final test accuracy (mean of last 5 evaluations)")
    rows = []
    for lr in result["lrs"]:
        for bn in ("none", "before"):
            run = result["runs"][(lr, bn)]
            reached = [steps_to_accuracy(run, level) for level in levels]
            rows.append(
                [f"{lr:g}", "yes" if bn == "before" else "no"]
                + [f"{s}" if s is not None else f"not in {result['steps']}" for s in reached]
                + [f"{_mean_acc(run):.3f}"]
            )
    return markdown_table(headers, rows)


def _percentile_lines(ax: Any, steps: Any, q: Any, color: str, label: str | None) -> None:
    """The 15th and 85th percentiles (dashed) and the median (solid) of a unit, one colour."""
    ax.fill_between(steps, q[:, 0], q[:, 2], color=color, alpha=0.18, linewidth=0)
    ax.plot(steps, q[:, 1], color=color, label=label)
    for i in (0, 2):
        ax.plot(steps, q[:, i], "--", color=color, linewidth=1.0)


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_unit_distribution(result: dict[str, Any], lr: float) -> str:
    """The paper's Figure 1(b, c): percentiles of one sigmoid's input over training."""
    from dlbasics.plotting import new_figure, to_svg

    fig, axes = new_figure(1, 2, width=7.6, height=3.0, sharey=True)
    for ax, bn in zip(axes, ("none", "before"), strict=True):
        run = result["runs"][(lr, bn)]
        _percentile_lines(ax, run["step"], np.asarray(run["unit"]), BN_COLORS[bn], None)
        ax.set(title=_NAMES[bn], xlabel="training step")
    axes[0].set_ylabel("input of the sigmoid")
    layer, unit = result["unit"]
    return to_svg(
        fig,
        alt=f"15th, 50th and 85th percentiles over the test set of the input of sigmoid {unit} "
        f"in hidden layer {layer + 1}, against training steps, without and with BN.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_noisy_batch_norm(result: dict[str, Any]) -> str:
    """Test accuracy, and one unit's input as the next layer sees it during training, for
    the networks without BN, with BN, and with BN followed by moving noise."""
    from dlbasics.plotting import new_figure, to_svg

    fig, (ax_acc, ax_unit) = new_figure(1, 2, width=7.6, height=3.3)
    for key in ("none", "before", "noisy"):
        run = result[key]
        ax_acc.plot(run["step"], run["test_acc"], color=BN_COLORS[key], label=_NAMES[key])
        _percentile_lines(ax_unit, run["step"], np.asarray(run["unit"]), BN_COLORS[key], None)
    ax_acc.set(xlabel="training step", ylabel="test accuracy", ylim=(0, 1))
    ax_unit.set(xlabel="training step", ylabel="sigmoid input (probe batch)")
    ax_acc.legend(loc="lower right")
    return to_svg(
        fig,
        alt="Left: test accuracy against steps without BN, with BN and with noisy BN, which "
        "trains as fast as BN. Right: median and 15th to 85th percentiles of one unit's input "
        "during training; for noisy BN they jump at every step.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def table_covariate_shift(rows: dict[str, dict[str, float]]) -> str:
    """Test accuracy under each pixel transform, for the three ways of evaluating."""
    from dlbasics.plotting import markdown_table

    columns = list(next(iter(rows.values())))
    return markdown_table(
        ["test pixels", *columns],
        [[name, *(f"{v[c]:.3f}" for c in columns)] for name, v in rows.items()],
    )


#: Panel titles of the training-path measurements.
_PATH_TITLES = {
    "dist_shift": "input distribution shift\n(Ioffe & Szegedy's ICS)",
    "grad_shift": "gradient shift ‖G − G′‖/‖G‖\n(Santurkar et al.'s ICS)",
    "loss_range": "loss variation\nalong the gradient",
    "lipschitz": "effective gradient\nLipschitz constant K",
}


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_training_path(result: dict[str, Any], band: tuple[float, float]) -> str:
    """The four training-path measurements against the batch loss (every seed), with and
    without BN; the shaded band is the range of loss levels both networks pass through."""
    from matplotlib.ticker import FixedLocator, FormatStrFormatter

    from dlbasics.plotting import new_figure, to_svg

    fig, axes = new_figure(2, 2, width=7.6, height=5.6, sharex=True)
    for ax, key in zip(axes.flat, PATH_MEASURES, strict=True):
        ax.axvspan(*band, color=BN_COLORS["reference"], alpha=0.2, linewidth=0)
        for bn in ("none", "before"):
            for i, run in enumerate(result[bn]):
                ax.plot(
                    run["loss"],
                    run[key],
                    "o",
                    markersize=2.5,
                    alpha=0.6,
                    color=BN_COLORS[bn],
                    label=_NAMES[bn] if i == 0 else None,
                )
        ax.set(title=_PATH_TITLES[key], xscale="log", yscale="log")
        _no_minor_labels(ax, "y")
        _no_minor_labels(ax, "x")
        ax.xaxis.set_major_locator(FixedLocator([0.01, 0.1, 1.0]))
        ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.invert_xaxis()  # training runs from left to right
    for ax in axes[-1]:
        ax.set_xlabel("batch loss (falls as training goes on)")
    axes[0, 0].legend(loc="lower left", markerscale=2.5)
    return to_svg(
        fig,
        alt="Four measurements along the training path plotted against the batch loss, with "
        "and without BN, over three seeds: the input distribution shift is smaller with BN, the "
        "gradient shift larger; a shaded band marks the loss levels both networks pass through.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def table_training_path(phases: dict[str, Any], verdicts: dict[str, str]) -> str:
    """Per measurement: the whole-path and the matched-loss medians (mean over seeds) with
    and without BN, their ratios, and the paired verdict at matched loss."""
    from dlbasics.plotting import markdown_table

    names = {
        "dist_shift": "input distribution shift (Ioffe & Szegedy's ICS)",
        "grad_shift": "gradient shift (Santurkar et al.'s ICS)",
        "loss_range": "loss variation along the gradient",
        "lipschitz": "effective gradient Lipschitz constant K",
    }
    lo, hi = phases["band"]
    rows = []
    for key in PATH_MEASURES:
        (wa, wb), (ma, mb) = phases["whole"][key], phases["matched"][key]
        rows.append(
            [
                names[key],
                f"{np.mean(wb) / np.mean(wa):.3g}",
                f"{np.mean(ma):.3g}",
                f"{np.mean(mb):.3g}",
                f"{np.mean(mb) / np.mean(ma):.3g}",
                verdicts[key],
            ]
        )
    return markdown_table(
        [
            "measurement",
            "BN / no BN, median over the whole path",
            f"without BN, loss in [{lo:g}, {hi:g}]",
            f"with BN, loss in [{lo:g}, {hi:g}]",
            "BN / no BN, matched loss",
            "with BN, at matched loss (paired over seeds)",
        ],
        rows,
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def table_scale_invariance(result: dict[str, Any]) -> str:
    """Relative change of layer 3's input and test accuracy after scaling the first layer."""
    from dlbasics.plotting import markdown_table

    names = result["settings"]
    rows = []
    for i, f in enumerate(result["factors"]):
        rows.append(
            [f"× {f:g}"]
            + [f"{result[n]['change'][i]:.3g}" for n in names]
            + [f"{result[n]['accuracy'][i]:.3f}" for n in names]
        )
    headers = ["first layer's weights"]
    headers += [f"change of layer 3's input: {n}" for n in names]
    headers += [f"test accuracy: {n}" for n in names]
    return markdown_table(headers, rows)


def _mean_sd(values: Any) -> str:
    v = np.asarray(values, dtype=float)
    return f"{v.mean():.3f} ± {v.std(ddof=1) if v.size > 1 else 0.0:.3f}"


@cached  # the figure's HTML too: a warm build then draws nothing
def table_gamma_beta(result: dict[str, Any]) -> str:
    """Accuracy, training loss and share of near-linear sigmoid inputs, learned vs frozen."""
    from dlbasics.plotting import markdown_table

    rows = []
    for name in ("learned γ, β", "frozen γ = 1, β = 0"):
        r = result[name]
        share = np.asarray(r["linear_share"]).mean(0)
        rows.append(
            [
                name,
                _mean_sd(r["test_acc"]),
                _mean_sd(r["train_loss"]),
                " / ".join(f"{s:.0%}" for s in share),
            ]
        )
    return markdown_table(
        [
            "BN parameters",
            f"test accuracy (mean ± sd, {len(result['seeds'])} seeds)",
            "training loss",
            "share of sigmoid inputs in (−1, 1), layers 1 / 2 / 3",
        ],
        rows,
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_learned_gamma_beta(result: dict[str, Any]) -> str:
    """Histograms of the learned γ and β of each BN layer (first seed)."""
    from dlbasics.plotting import new_figure, to_svg

    r = result["learned γ, β"]
    fig, axes = new_figure(1, 2, width=7.6, height=2.8)
    for i, (g, b) in enumerate(zip(r["gamma"], r["beta"], strict=True)):
        style = {"histtype": "step", "linewidth": 1.8, "color": BN_COLORS["before"]}
        style["linestyle"] = _STYLES[i]
        axes[0].hist(g, bins=20, label=f"layer {i + 1}", **style)
        axes[1].hist(b, bins=20, label=f"layer {i + 1}", **style)
    axes[0].axvline(1.0, linestyle=":", color=BN_COLORS["reference"])
    axes[1].axvline(0.0, linestyle=":", color=BN_COLORS["reference"])
    axes[0].set(xlabel="learned γ", ylabel="units")
    axes[1].set(xlabel="learned β")
    axes[0].legend()
    return to_svg(
        fig,
        alt="Histograms of the learned scale gamma and shift beta of the 100 units of each BN "
        "layer; dotted lines mark the initial values 1 and 0.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def table_placement(result: dict[str, Any]) -> str:
    """Final test accuracy and training loss for BN before / after the activation / none."""
    from dlbasics.plotting import markdown_table

    names = {"before": "before the activation", "after": "after the activation", "none": "no BN"}
    rows = []
    for key, name in names.items():
        runs = result[key]
        rows.append(
            [
                name,
                _mean_sd([_mean_acc(r) for r in runs]),
                _mean_sd([r["final_train_loss"] for r in runs]),
                " / ".join(str(steps_to_accuracy(r, 0.95)) for r in runs),
            ]
        )
    return markdown_table(
        [
            f"BN ({result['activation']} MLP, lr {result['lr']:g})",
            f"final test accuracy (mean ± sd, {len(result['seeds'])} seeds)",
            "training loss",
            "steps to 95% test accuracy (per seed)",
        ],
        rows,
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_placement(result: dict[str, Any]) -> str:
    """Mean test accuracy over seeds against steps, for the three placements."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.2)
    names = {"before": "BN before the activation", "after": "BN after", "none": "no BN"}
    for key, name in names.items():
        runs = result[key]
        acc = np.mean([r["test_acc"] for r in runs], axis=0)
        ax.plot(runs[0]["step"], acc, label=name, color=BN_COLORS[key])
    ax.set(xlabel="training step", ylabel="test accuracy (mean over seeds)", ylim=(0.5, 1))
    ax.legend(loc="lower right")
    return to_svg(
        fig,
        alt="Test accuracy against steps of a ReLU MLP with BN before the activation, after it, "
        "and without BN, averaged over seeds.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_conv_training(result: dict[str, Any]) -> str:
    """Test accuracy of the small convolutional network, with and without BatchNorm2d."""
    return _accuracy_panels(
        result,
        (
            (False, "without BN", BN_COLORS["none"]),
            (True, "with BatchNorm2d", BN_COLORS["before"]),
        ),
        legend_loc="lower right",
        alt="Test accuracy against steps of a two-layer convolutional network on the 8 by 8 "
        "digits, with and without BatchNorm2d, for two learning rates.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_batch_noise(result: dict[str, Any]) -> str:
    """Standard deviation of the batch mean and variance against the batch size (log-log),
    with the exact predictions for sampling without replacement and the first-order one."""
    from dlbasics.plotting import new_figure, to_svg

    b = np.asarray(result["batch_sizes"], dtype=float)
    blue, grey = BN_COLORS["before"], BN_COLORS["reference"]
    fig, ax = new_figure(width=6.4, height=3.6)
    ax.plot(b, result["mean_sd"], "o", color=blue, label="sd of the batch mean")
    ax.plot(b, result["mean_sd_exact"], ":", color=blue, label="exact (finite population)")
    label = "sd of the batch variance"
    ax.plot(b, result["var_sd"], "s", color=blue, fillstyle="none", label=label)
    ax.plot(b, result["var_sd_exact"], "-", color=blue, linewidth=1.0, label="exact")
    first = "first order: √((μ₄ − σ⁴)/B)"
    ax.plot(b, result["var_sd_first_order"], "--", color=grey, label=first)
    from matplotlib.ticker import FormatStrFormatter, LogLocator

    ax.set(xscale="log", yscale="log", xlabel="batch size B", ylabel="standard deviation")
    _no_minor_labels(ax)
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.set_xticks(b, [f"{int(v)}" for v in b])
    ax.legend(loc="lower left")
    return to_svg(
        fig,
        alt="On log-log axes, the standard deviation of the batch mean and of the batch "
        "variance of one unit falls with the batch size B, on the exact predictions; the "
        "first-order prediction for the variance lies above the measurements.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def table_ghost_batches(result: dict[str, Any]) -> str:
    """Train/test loss and accuracy for each BN batch ("ghost") size, and without BN."""
    from dlbasics.plotting import markdown_table

    rows = []
    for key, r in result["runs"].items():
        rows.append(
            [
                key if isinstance(key, str) else f"{key}",
                f"{r['train_loss']:.4f}",
                f"{r['test_loss']:.3f}",
                f"{r['test_loss'] - r['train_loss']:.3f}",
                f"{r['train_acc']:.3f}",
                f"{r['test_acc']:.3f}",
            ]
        )
    return markdown_table(
        [
            "examples per BN statistic",
            "train loss",
            "test loss",
            "gap (test − train loss)",
            "train accuracy",
            "test accuracy",
        ],
        rows,
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_test_time_statistics(result: dict[str, Any]) -> str:
    """Spread of one example's log-odds of its class with batch statistics, per batch size."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.4)
    sizes = result["batch_sizes"]
    positions = np.arange(len(sizes))
    ax.boxplot(
        result["log_odds"],
        positions=positions,
        widths=0.5,
        medianprops={"color": BN_COLORS["before"], "linewidth": 2},
        flierprops={"markersize": 3, "markeredgecolor": _INK},
        boxprops={"color": _INK},
        whiskerprops={"color": _INK},
        capprops={"color": _INK},
    )
    ax.axhline(
        result["eval_log_odds"],
        color=BN_COLORS["reference"],
        linestyle="--",
        label="eval mode (running statistics)",
    )
    ax.axhline(0.0, color=_INK, linewidth=0.8)
    ax.set_xticks(positions, [str(s) for s in sizes])
    ax.set(
        xlabel="batch size (the example and random batch-mates)",
        ylabel="log-odds of the true class",
    )
    ax.legend(loc="lower right")
    return to_svg(
        fig,
        alt="Box plots of one test example's log-odds of its true class when normalised with "
        "the statistics of random batches of each size: wide for small batches, down to below "
        "zero (a wrong answer), and narrowing towards the single eval-mode value.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def table_small_batches(result: dict[str, Any], verdicts: dict[str, str]) -> str:
    """Final test accuracy per normalisation (mean ± sd over seeds, and per seed), with the
    paired verdict of each against LayerNorm."""
    from dlbasics.plotting import markdown_table

    rows = []
    for name in result["names"]:
        accs = result["accuracy"][name]
        rows.append(
            [name, _mean_sd(accs), " / ".join(f"{a:.3f}" for a in accs), verdicts.get(name, "–")]
        )
    return markdown_table(
        [
            f"normalisation (batches of {result['batch_size']})",
            f"test accuracy (mean ± sd, {len(result['seeds'])} seeds)",
            "per seed",
            "against LayerNorm, paired",
        ],
        rows,
    )


# --- Explorables ------------------------------------------------------------------------------


def draw_learning_rate_frame(data: dict[str, Any], lr: float) -> Any:
    """One frame of the learning-rate explorable: test accuracy and training loss against
    steps at rate `lr`, with and without BN."""
    import math

    from dlbasics.plotting import new_figure

    fig, (a, b) = new_figure(1, 2, width=7.6, height=3.0, sharex=True)
    for bn in ("none", "before"):
        run = data["runs"][(lr, bn)]
        a.plot(run["step"], run["test_acc"], color=BN_COLORS[bn], label=_NAMES[bn])
        # step 0 has no training loss yet
        b.plot(run["step"][1:], run["train_loss"][1:], color=BN_COLORS[bn], label=_NAMES[bn])
    b.axhline(math.log(10), linestyle=":", color=BN_COLORS["reference"], label="chance: ln 10")
    a.set(ylim=(0, 1), xlabel="training step", ylabel="test accuracy")
    a.set_title(f"learning rate {lr:g}")
    b.set(yscale="log", ylim=(5e-4, 60), xlabel="training step", ylabel="training loss")
    _no_minor_labels(b)
    b.legend(loc="lower left")  # one legend for both panels: the curves fill the left one's corners
    return fig


def _learning_rate_readout(data: dict[str, Any], lr: float) -> str:
    parts = []
    for bn in ("none", "before"):
        run = data["runs"][(lr, bn)]
        parts.append(
            f"{_NAMES[bn]}: test accuracy {run['final_acc']:.2f}, training loss "
            f"{run['final_loss']:.2g}, {run['verdict']}"
        )
    return f"lr = {lr:g}, after {data['steps']} steps. " + "; ".join(parts)


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_learning_rate_run(data: dict[str, Any], lr: float) -> str:
    """One rate of the learning-rate explorable as a plain figure."""
    from dlbasics.plotting import to_svg

    return to_svg(
        draw_learning_rate_frame(data, lr),
        alt=f"Test accuracy and training loss against steps at learning rate {lr:g}, with "
        f"and without BN. {_learning_rate_readout(data, lr)}",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_learning_rate_explorer(data: dict[str, Any], default: float = 3.0) -> str:
    """A slider for the learning rate over
    [`draw_learning_rate_frame`][dlbasics.batch_norm.figures.draw_learning_rate_frame]."""
    from dlbasics.plotting import Slider, explorable

    lrs = tuple(data["lrs"])
    return explorable(
        lambda lr: draw_learning_rate_frame(data, lr),
        [Slider("lr", "learning rate", lrs, default if default in lrs else lrs[0], "{:g}")],
        alt=lambda lr: (
            f"Test accuracy and training loss against steps of the sigmoid network with and "
            f"without BN at learning rate {lr:g}. {_learning_rate_readout(data, lr)}"
        ),
        readout=lambda lr: _learning_rate_readout(data, lr),
    )


def draw_sigmoid_frame(data: dict[str, Any], gamma: float, beta: float) -> Any:
    """One frame of the γ/β explorable: the share of test images per bin of z = γx̂ + β with
    the sigmoid over it, and per bin of σ(z)."""
    from dlbasics.plotting import new_figure

    frame = data["frames"][(gamma, beta)]
    n = len(data["x_hat"])
    z_edges, s_edges = data["z_edges"], data["s_edges"]
    fig, (a, b) = new_figure(1, 2, width=7.6, height=3.0)
    a.axvspan(-1, 1, color=BN_COLORS["reference"], alpha=0.25, linewidth=0, label="(−1, 1)")
    a.stairs(frame["z_counts"] / n, z_edges, fill=True, color=BN_COLORS["before"], alpha=0.8)
    zs = np.linspace(z_edges[0], z_edges[-1], 200)
    a.plot(zs, 1 / (1 + np.exp(-zs)), color=_INK, linestyle="--", label="σ(z)")
    a.set(xlim=(z_edges[0], z_edges[-1]), ylim=(0, 1.02), xlabel="z = γx̂ + β")
    a.set(ylabel="share of test images", title=f"γ = {gamma:g}, β = {beta:g}")
    a.legend(loc="upper left")
    b.stairs(frame["s_counts"] / n, s_edges, fill=True, color=BN_COLORS["before"], alpha=0.8)
    b.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="sigmoid output σ(z)", title="the unit's output")
    return fig


def _sigmoid_readout(data: dict[str, Any], gamma: float, beta: float) -> str:
    f = data["frames"][(gamma, beta)]
    return (
        f"γ = {gamma:g}, β = {beta:g}: {f['linear_share']:.0%} of the inputs in (−1, 1), "
        f"{f['saturated_share']:.0%} saturated (σ below 0.05 or above 0.95); output mean "
        f"{f['output_mean']:.2f}, sd {f['output_sd']:.2f}"
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_sigmoid_explorer(data: dict[str, Any]) -> str:
    """Sliders for γ and β over
    [`draw_sigmoid_frame`][dlbasics.batch_norm.figures.draw_sigmoid_frame]."""
    from dlbasics.plotting import Slider, explorable

    gammas = tuple(sorted({g for g, _ in data["frames"]}))
    betas = tuple(sorted({b for _, b in data["frames"]}))
    return explorable(
        lambda gamma, beta: draw_sigmoid_frame(data, gamma, beta),
        [
            Slider("gamma", "γ", gammas, 1.0 if 1.0 in gammas else gammas[0], "{:g}"),
            Slider("beta", "β", betas, 0.0 if 0.0 in betas else betas[0], "{:g}"),
        ],
        alt=lambda gamma, beta: (
            f"Histogram of a sigmoid unit's input gamma times x-hat plus beta over the test "
            f"set, under the sigmoid curve, and histogram of its output. "
            f"{_sigmoid_readout(data, gamma, beta)}"
        ),
        readout=lambda gamma, beta: _sigmoid_readout(data, gamma, beta),
    )
