"""Tests of dlbasics.style_transfer.experiments: the page's experiments, on small sizes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlbasics import style_transfer as nst
from dlbasics.style_transfer import experiments


@pytest.mark.parametrize("scheme", ["balanced", "paper"])
def test_layer_weights_keep_the_start_and_change_only_the_split(scheme: str) -> None:
    layers = ("relu1_1", "relu2_1", "relu3_1")
    w = experiments.layer_weights(scheme, layers, 32)
    start = np.array(w["start"])
    weights = np.array(w["weights"])
    # the weighted style loss at the start equals the unweighted one
    assert float(weights @ start) == pytest.approx(float(start.sum()), rel=1e-9)
    if scheme == "balanced":  # every layer starts with the same share
        np.testing.assert_allclose(weights * start, (weights * start).mean(), rtol=1e-9)
    else:  # proportional to N²
        n = np.array(w["N"], dtype=float)
        np.testing.assert_allclose(weights / weights[0], n**2 / n[0] ** 2, rtol=1e-9)
    assert w["N"] == [64, 128, 256]


def test_layer_weights_bad_scheme() -> None:
    with pytest.raises(ValueError, match="scheme"):
        experiments.layer_weights("uniform", ("relu1_1",), 32)


def test_texture_crops_are_standardised_and_split_by_image_half() -> None:
    data = experiments.texture_crops(per_class=(3, 2), px=32)
    classes = len(experiments.TEXTURE_CLASSES)
    assert data["train"].shape == (3 * classes, 32, 32)
    assert data["test"].shape == (2 * classes, 32, 32)
    assert np.bincount(data["train_y"]).tolist() == [3] * classes
    assert np.bincount(data["test_y"]).tolist() == [2] * classes
    assert data["train"].min() >= 0 and data["train"].max() <= 1
    # standardised around 0.5 (clipping moves the mean a little)
    assert abs(float(data["train"].mean()) - 0.5) < 0.05


def test_subset_draws_per_class_without_replacement() -> None:
    labels = np.repeat(np.arange(3), 5)
    idx = experiments._subset(labels, 2, seed=0)
    assert len(set(idx.tolist())) == 6
    assert np.bincount(labels[idx]).tolist() == [2, 2, 2]
    assert not np.array_equal(idx, experiments._subset(labels, 2, seed=1))


def test_quantisation_sensitivity_reads_the_codebooks() -> None:
    q = experiments.quantisation_sensitivity(size=16, seeds=1)
    assert len(q["codebook"]) == 16 and max(q["codebook"].values()) <= 256
    assert 0 < max(q["weight_change"]) < 0.2
    assert len(q["content_change"]) == 1 and q["content_change"][0] > 0
    assert set(q["style_change"]) == set(nst.DEFAULT_STYLE_LAYERS)


def test_page_plan_counts_every_run_of_the_experiments() -> None:
    plan = experiments.page_plan_rows()
    assert plan[0] == ("the showcase", 1, experiments.HERO_STEPS, experiments.HERO_SIZE)
    by_section = {row[0]: row for row in plan}
    recon = by_section["content reconstructions"]
    assert recon[1] == len(experiments.RECONSTRUCTION_LAYERS)
    assert all(row[1] >= 1 and row[2] >= 1 for row in plan)


def test_tutorial_layer_names() -> None:
    names = experiments.tutorial_layer_names()
    assert len(names) == 16
    assert names["conv_4"] == "conv2_2" and names["conv_16"] == "conv5_4"


def test_run_transfer_returns_uint8_and_restores_threads() -> None:
    before = torch.get_num_threads()
    run = experiments.run_transfer(size=16, steps=2, style_layers=("relu1_1",))
    assert torch.get_num_threads() == before
    assert run["image"].dtype == np.uint8 and run["image"].shape[2] == 3
    assert len(run["history"]["total"]) == 2


def test_finetune_accuracy_reports_train_and_test_per_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    small = experiments.texture_crops.__wrapped__(per_class=(4, 2), px=32)  # type: ignore[attr-defined]
    monkeypatch.setattr(experiments, "texture_crops", lambda: small)
    ft = experiments.finetune_accuracy(label_counts=(2,), steps=2, px=32, seeds=2)
    for part in ("train", "test"):
        assert set(ft[part]) == set(experiments.FINETUNE_METHODS)
        for scores in ft[part].values():
            assert len(scores[2]) == 2 and all(0 <= s <= 1 for s in scores[2])
    assert len(ft["probe"][2]) == 2


# --- The exercises: every answer recomputed by another route ------------------------------


def test_tutorial_name_answer_by_counting_convolutions() -> None:
    # VGG19's configuration (Simonyan & Zisserman, table 1, column E): convolutions per block
    convs = [2, 2, 4, 4, 4]
    k = sum(convs[:3]) + 2  # conv4_2: after blocks 1-3, the second of block 4
    options = experiments.TUTORIAL_NAME_OPTIONS
    assert options[experiments.tutorial_name_answer()] == f"conv_{k}" == "conv_10"
    assert experiments.tutorial_name_answer("conv1_1", ("conv_2", "conv_1")) == 1


def test_paper_style_factor_is_n_squared_over_four() -> None:
    assert experiments.paper_style_factor_answer() == pytest.approx(256**2 / 4, rel=1e-9)
    # any layer: the paper's E_l is N_l²/4 times ours (relu1_1: 64 channels), at any size
    assert experiments.paper_style_factor_answer("relu1_1", 32) == pytest.approx(
        64**2 / 4, rel=1e-9
    )


def test_gram_gradient_answer_against_gradcheck_and_the_closed_form() -> None:
    n, m = 3, 5
    g = torch.Generator().manual_seed(1)
    a = torch.rand(n, n, dtype=torch.float64, generator=g)
    a = a + a.T  # a symmetric target, like a Gram matrix

    def loss(f: torch.Tensor) -> torch.Tensor:  # ‖G − A‖²/N² with G = FFᵀ/(NM), in plain torch
        return (((f @ f.T) / (n * m) - a) ** 2).sum() / n**2

    f = torch.rand(n, m, dtype=torch.float64, generator=g, requires_grad=True)
    assert torch.autograd.gradcheck(loss, (f,))
    # the library's hand-written Gram backward, checked the same way
    assert torch.autograd.gradcheck(
        lambda x: nst.style_loss(x, a[None]), (f.detach().reshape(1, n, m, 1).requires_grad_(),)
    )
    (grad,) = torch.autograd.grad(loss(f), f)
    gram = f.detach() @ f.detach().T / (n * m)
    closed = 4 * (gram - a) @ f.detach() / (n**3 * m)
    torch.testing.assert_close(grad, closed)
    assert experiments.GRADIENT_OPTIONS[experiments.gram_gradient_answer()] == (
        "4 (G − A) F / (N³ M)"
    )
    assert experiments.gram_gradient_answer(4, 7, seed=3) == experiments.gram_gradient_answer()


def test_content_factor_grows_with_the_positions() -> None:
    growth = experiments.content_factor_growth_answer()
    # relu4_2 sits after three 2×2 poolings: M = ⌊H/8⌋·⌊W/8⌋ at each size
    portrait = experiments._image(experiments.PAGE_CONTENT)
    shapes = [nst.load_rgb(portrait, px).shape[2:] for px in (64, 128)]
    m = [(h // 2 // 2 // 2) * (w // 2 // 2 // 2) for h, w in shapes]
    assert growth == pytest.approx(m[1] / m[0], rel=1e-9)
    assert growth == pytest.approx(4.0, rel=0.02)


def test_block_parameters_by_closed_form_and_by_the_module() -> None:
    assert experiments.block_parameters_answer() == 4 * (512 * 512 * 9 + 512)
    assert experiments.block_parameters_answer(1) == (3 * 64 + 64 * 64) * 9 + 2 * 64
    net = nst.vgg19_features(["relu5_4"])
    convs = [mod for mod in net.modules() if isinstance(mod, torch.nn.Conv2d)]
    assert sum(p.numel() for c in convs[-4:] for p in c.parameters()) == (
        experiments.block_parameters_answer()
    )


def test_early_drop_answer_reads_the_history(monkeypatch: pytest.MonkeyPatch) -> None:
    history = [100.0, 90.0, 40.0, 50.0, 10.0, 0.0]  # falls by 100; 60 of it by evaluation 3
    monkeypatch.setattr(experiments, "showcase", lambda: {"history": {"total": history}})
    assert experiments.early_drop_answer(k=2) == 0  # 10 % of the fall
    assert experiments.early_drop_answer(k=4) == 1  # 60 %: the best so far, not the last
    assert experiments.early_drop_answer(k=5) == 2  # 90 %


def test_weight_explorer_keys_and_shares_the_sweeps_runs() -> None:
    data = experiments.weight_explorer(betas=(1e-2, 1.0), size=16, steps=3)
    assert sorted(data) == [1.0, 100.0]
    for ratio, cell in data.items():
        assert cell["beta"] == pytest.approx(1 / ratio)
        assert cell["style_end"] == pytest.approx(cell["history"]["style"][-1] / cell["beta"])
    assert set(experiments.GRID_RATIOS) <= set(experiments.EXPLORER_BETAS)


def test_showcase_explorer_keeps_the_runs_images() -> None:
    data = experiments.showcase_explorer(size=16, steps=4, evaluations=(1, 4))
    assert sorted(data["images"]) == [1, 4] and len(data["history"]["total"]) == 4
    run = experiments.run_transfer(**experiments._showcase_settings(16, 4, (1, 4)))
    np.testing.assert_array_equal(data["images"][4], run["image"])
    assert set(experiments.SCRUB_EVALUATIONS) <= set(range(1, experiments.HERO_STEPS + 1))


def test_inline_transfer_check_runs_the_page_function_and_the_library() -> None:
    from dlbasics.style_transfer import transfer_style

    calls = []

    def page_transfer(net, content, style, c_layer, s_layers, alpha, beta, steps, clamp=False):  # type: ignore[no-untyped-def]
        calls.append((tuple(content.shape), c_layer, tuple(s_layers), alpha, beta, steps, clamp))
        return content, [float(steps) + clamp] * steps

    out = experiments.inline_transfer_check.__wrapped__(page_transfer, size=16, steps=3)
    assert [c[-1] for c in calls] == [False, True] and calls[0][1] == "relu4_2"
    assert min(calls[0][0][2:]) == 16  # the shorter side at size
    assert out["ours"] == [3.0] * 3 and out["clamped"] == [4.0] * 3
    photo, window = (experiments._image(n) for n in ("grace_hopper", "stained_glass"))
    from dlbasics._threads import torch_threads

    with torch_threads(experiments.THREADS):  # as the experiment runs: the same rounding
        library = transfer_style(photo, window, size=16, steps=3, device="cpu", progress=False)
    assert out["library"] == [float(v) for v in library.history["total"]]
    with pytest.raises(TypeError, match="transfer"):
        experiments.inline_transfer_check.__wrapped__(5)
    with pytest.raises(ValueError, match="size"):
        experiments.inline_transfer_check.__wrapped__(page_transfer, size=8)
