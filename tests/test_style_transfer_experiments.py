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
