"""The figures and tables of the transfer-learning and style-transfer page.

Images, loss histories and probe accuracies from `dlbasics.style_transfer.experiments` in,
inline HTML or Markdown out. Rendering is cached, keyed on the data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from dlbasics.cache import cached
from dlbasics.style_transfer.experiments import precision_differences

__all__ = [
    "plot_histories",
    "plot_images",
    "plot_probe",
    "text_precision",
]


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_images(
    images: Sequence[np.ndarray],
    titles: Sequence[str],
    *,
    alt: str,
    caption: str | None = None,
    ncols: int | None = None,
    width: float = 8.0,
) -> str:
    """A row (or grid) of images with titles, as an inline WebP figure (photographs: PNG
    would be several times larger)."""
    from dlbasics.plotting import fig_to_webp, new_figure

    n = len(images)
    ncols = ncols or n
    nrows = math.ceil(n / ncols)
    h, w = images[0].shape[:2]
    fig, axes = new_figure(
        nrows, ncols, width=width, height=width / ncols * h / w * nrows + 0.35 * nrows
    )
    for ax, image, title in zip(np.atleast_1d(axes).ravel(), images, titles, strict=False):
        ax.imshow(image)
        ax.set_title(title, fontsize=9)
    for ax in np.atleast_1d(axes).ravel():
        ax.set_axis_off()
    return fig_to_webp(fig, alt=alt, caption=caption)


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_histories(
    curves: dict[str, Sequence[float]],
    *,
    alt: str,
    ylabel: str = "total loss",
    caption: str | None = None,
    logy: bool = True,
) -> str:
    """Losses against evaluations, one line per run, as inline SVG."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.4)
    for label, values in curves.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("objective-and-gradient evaluations")
    ax.set_ylabel(ylabel)
    ax.legend()
    return to_svg(fig, alt=alt, caption=caption)


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_probe(results: dict[str, dict[int, tuple[float, float]]], *, alt: str) -> str:
    """Test accuracy against the number of labels, with ±1 std bands."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.4)
    for label, by_n in results.items():
        ns = sorted(by_n)
        mean = np.array([by_n[n][0] for n in ns])
        std = np.array([by_n[n][1] for n in ns])
        ax.plot(ns, mean, marker="o", label=label)
        ax.fill_between(ns, mean - std, mean + std, alpha=0.2)
    ax.set_xscale("log")
    ax.set_xticks(sorted(next(iter(results.values()))))
    ax.set_xticklabels([str(n) for n in sorted(next(iter(results.values())))])
    ax.set_xlabel("training labels (half faces)")
    ax.set_ylabel("test accuracy")
    ax.legend()
    return to_svg(fig, alt=alt)


def text_precision(comparison: dict[str, Any]) -> str:
    """[`precision_comparison`][dlbasics.style_transfer.experiments.precision_comparison] as a
    Markdown
    table (time per evaluation, final loss, mean distance from the float32 image in grey
    levels) and a sentence comparing bfloat16's distance with the rounding floor."""
    from dlbasics.plotting import markdown_table

    diff = precision_differences(comparison)
    distance, floor = diff["distance"], diff["floor"]
    rows = [
        (
            label,
            f"{run['seconds_per_eval'] * 1e3:.0f} ms",
            f"{run['history']['total'][-1]:.4g}",
            f"{distance[label]:.1f}",
        )
        for label, run in comparison["runs"].items()
    ]
    headers = ["run", "time per evaluation", "final loss", "mean difference from float32 (of 255)"]
    table = markdown_table(headers, rows)
    if "speed_up" not in diff:
        return table + (
            "\n\nThe CPU that built this page has no bfloat16 convolution kernels, so the "
            "bfloat16 run was left out (`transfer_style` refuses it there). Rounding alone "
            f"moves float32's image by {distance[floor]:.1f} grey levels on average.\n"
        )
    cpu = {
        "native": "computes in bfloat16 natively",
        "emulated": "emulates bfloat16 (its oneDNN kernels convert to float32 inside)",
    }[comparison["bfloat16_support"]]
    return table + (
        f"\n\nThe CPU that built this page {cpu}; bfloat16 ran {diff['speed_up']:.2f}× as fast "
        f"as float32 and ended at a loss {diff['loss_change']:+.1%} from float32's. Its image "
        f"lies {distance['bfloat16']:.1f} grey levels from float32's on average, "
        f"{distance['bfloat16'] / max(distance[floor], 1e-9):.1f}× the {distance[floor]:.1f} "
        "that float32 itself moves when only the thread count changes.\n"
    )


# Section 8: the tutorial's layer names ---------------------------------------------------
