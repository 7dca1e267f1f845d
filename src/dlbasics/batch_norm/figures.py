"""The figures and tables of the batch-normalization page.

Each takes the data returned by an experiment of `dlbasics.batch_norm.experiments` and
returns inline HTML (figures) or Markdown (tables). Rendering is cached too, keyed on the
data, so that a warm build draws nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlbasics.batch_norm.experiments import _mean_acc, steps_to_accuracy
from dlbasics.cache import cached

__all__ = [
    "plot_batch_noise",
    "plot_conv_training",
    "plot_input_scaling",
    "plot_learned_gamma_beta",
    "plot_learning_rate_sweep",
    "plot_placement",
    "plot_test_time_statistics",
    "plot_training_path",
    "plot_unit_distribution",
    "table_covariate_shift",
    "table_gamma_beta",
    "table_ghost_batches",
    "table_learning_rate_sweep",
    "table_placement",
    "table_scale_invariance",
]


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_input_scaling(result: dict[str, Any]) -> str:
    """Final training loss of softmax regression against the learning rate, per input version."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.4)
    for name, losses in result["loss"].items():
        ax.plot(result["lrs"], losses, marker="o", label=name)
    ax.set(xscale="log", yscale="log", xlabel="learning rate", ylabel="training loss after GD")
    ax.legend()
    return to_svg(
        fig,
        alt="Final training loss of softmax regression against the learning rate, for raw, "
        "standardised and randomly rescaled pixels; missing points diverged.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_learning_rate_sweep(result: dict[str, Any]) -> str:
    """Test accuracy against steps, one panel per learning rate, with and without BN."""
    return _plot_accuracy_per_lr(
        result,
        (("none", "without BN"), ("before", "with BN")),
        width=9.6,
        legend_loc="center right",
        alt="Test accuracy against training steps of the sigmoid MLP with and without batch "
        "normalization, one panel per learning rate.",
    )


def _plot_accuracy_per_lr(
    result: dict[str, Any],
    variants: tuple[tuple[Any, str], tuple[Any, str]],
    *,
    width: float,
    legend_loc: str,
    alt: str,
) -> str:
    """Test accuracy against steps, one panel per learning rate: `result["runs"][(lr, key)]`
    for the (key, label) `variants`, without BN first (drawn in the second colour)."""
    from dlbasics.plotting import COLORS, new_figure, to_svg

    lrs = result["lrs"]
    fig, axes = new_figure(1, len(lrs), width=width, height=3.0, sharey=True)
    for ax, lr in zip(np.atleast_1d(axes), lrs, strict=True):
        for (key, label), color in zip(variants, (COLORS[1], COLORS[0]), strict=True):
            run = result["runs"][(lr, key)]
            ax.plot(run["step"], run["test_acc"], label=label, color=color)
        ax.set(title=f"learning rate {lr:g}", xlabel="training step", ylim=(0, 1))
    np.atleast_1d(axes)[0].set_ylabel("test accuracy")
    np.atleast_1d(axes)[0].legend(loc=legend_loc)
    return to_svg(fig, alt=alt)


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


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_unit_distribution(result: dict[str, Any], lr: float) -> str:
    """The paper's Figure 1(b, c): percentiles of one sigmoid's input over training."""
    from dlbasics.plotting import COLORS, new_figure, to_svg

    fig, axes = new_figure(1, 2, width=8.0, height=3.0, sharey=True)
    for ax, bn, title in zip(axes, ("none", "before"), ("without BN", "with BN"), strict=True):
        run = result["runs"][(lr, bn)]
        q = np.asarray(run["unit"])
        for i, (label, color) in enumerate(
            (("15th percentile", COLORS[2]), ("median", COLORS[0]), ("85th percentile", COLORS[3]))
        ):
            ax.plot(run["step"], q[:, i], label=label, color=color)
        ax.set(title=title, xlabel="training step")
    axes[0].set_ylabel("input of the sigmoid")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3)
    layer, unit = result["unit"]
    return to_svg(
        fig,
        alt=f"15th, 50th and 85th percentiles over the test set of the input of sigmoid {unit} "
        f"in hidden layer {layer + 1}, against training steps, without and with BN.",
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


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_training_path(result: dict[str, Any]) -> str:
    """Four measurements along the training path, with and without BN (log scale)."""
    from dlbasics.plotting import COLORS, new_figure, to_svg

    panels = (
        ("dist_shift", "input distribution shift\nafter earlier layers' step"),
        ("grad_shift", "gradient shift ‖G − G′‖/‖G‖\n(Santurkar et al.'s ICS)"),
        ("loss_range", "loss variation along\nthe gradient"),
        ("beta", "effective β-smoothness"),
    )
    fig, axes = new_figure(1, 4, width=11.0, height=3.0)
    for ax, (key, title) in zip(axes, panels, strict=True):
        for bn, label, color in (
            ("none", "without BN", COLORS[1]),
            ("before", "with BN", COLORS[0]),
        ):
            ax.plot(result[bn]["step"], result[bn][key], label=label, color=color)
        ax.set(title=title, xlabel="training step", yscale="log")
        ax.title.set_fontsize(9)
    axes[0].legend()
    return to_svg(
        fig,
        alt="Along the training path, with and without BN: the shift of a layer's input "
        "distribution, the change of its gradient after the earlier layers' update, the loss "
        "variation and the effective smoothness along the gradient.",
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
    fig, axes = new_figure(1, 2, width=8.0, height=2.8)
    for i, (g, b) in enumerate(zip(r["gamma"], r["beta"], strict=True)):
        axes[0].hist(g, bins=20, histtype="step", linewidth=1.8, label=f"layer {i + 1}")
        axes[1].hist(b, bins=20, histtype="step", linewidth=1.8, label=f"layer {i + 1}")
    axes[0].axvline(1.0, linestyle=":", color="#8a8a8a")
    axes[1].axvline(0.0, linestyle=":", color="#8a8a8a")
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
    from dlbasics.plotting import COLORS, new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.2)
    names = {"before": "BN before the activation", "after": "BN after", "none": "no BN"}
    for (key, name), color in zip(names.items(), COLORS, strict=False):
        runs = result[key]
        acc = np.mean([r["test_acc"] for r in runs], axis=0)
        ax.plot(runs[0]["step"], acc, label=name, color=color)
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
    return _plot_accuracy_per_lr(
        result,
        ((False, "without BN"), (True, "with BatchNorm2d")),
        width=8.0,
        legend_loc="lower right",
        alt="Test accuracy against steps of a two-layer convolutional network on the 8 by 8 "
        "digits, with and without BatchNorm2d, for two learning rates.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_batch_noise(result: dict[str, Any]) -> str:
    """Standard deviation of the batch mean and variance against the batch size (log-log)."""
    from dlbasics.plotting import COLORS, new_figure, to_svg

    b = np.asarray(result["batch_sizes"], dtype=float)
    sigma, mu4, n = result["sigma"], result["mu4"], result["n"]
    fig, ax = new_figure(width=6.4, height=3.4)
    ax.plot(b, result["mean_sd"], "o", color=COLORS[0], label="sd of the batch mean")
    ax.plot(
        b,
        sigma / np.sqrt(b) * np.sqrt((n - b) / (n - 1)),
        color=COLORS[0],
        linestyle=":",
        label="σ/√B · √((N−B)/(N−1))",
    )
    ax.plot(b, result["var_sd"], "s", color=COLORS[1], label="sd of the batch variance")
    ax.plot(
        b, np.sqrt((mu4 - sigma**4) / b), color=COLORS[1], linestyle=":", label="√((μ₄ − σ⁴)/B)"
    )
    ax.set(xscale="log", yscale="log", xlabel="batch size B", ylabel="standard deviation")
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt="On log-log axes, the standard deviation of the batch mean and of the batch "
        "variance of one unit falls with the batch size B, following the 1/sqrt(B) predictions.",
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
    """Spread of one example's predicted probability with batch statistics, per batch size."""
    from dlbasics.plotting import COLORS, new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.4)
    sizes = result["batch_sizes"]
    positions = np.arange(len(sizes))
    ax.boxplot(
        result["prob"],
        positions=positions,
        widths=0.5,
        medianprops={"color": COLORS[0]},
        flierprops={"markersize": 3, "markeredgecolor": "#8a8a8a"},
        boxprops={"color": "#8a8a8a"},
        whiskerprops={"color": "#8a8a8a"},
        capprops={"color": "#8a8a8a"},
    )
    ax.axhline(
        result["eval_prob"], color=COLORS[1], linestyle="--", label="eval mode (running statistics)"
    )
    ax.set_xticks(positions, [str(s) for s in sizes])
    ax.set(xlabel="batch size (the example and random batch-mates)", ylabel="P(true class)")
    ax.legend(loc="lower right")
    return to_svg(
        fig,
        alt="Box plots of one test example's predicted probability of its true class when "
        "normalised with the statistics of random batches of each size, and the single value "
        "given by the running statistics.",
    )
