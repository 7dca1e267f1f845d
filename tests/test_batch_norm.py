"""dlbasics.batch_norm against torch's own batch norm and against the formulas written out here."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbasics.batch_norm import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNormFunction,
    batch_norm,
    batch_norm_backward,
    fold_batch_norm,
    recompute_running_stats,
)

F64 = torch.float64

SHAPES = {
    "1d-NC": ((12, 5), BatchNorm1d, torch.nn.BatchNorm1d),
    "1d-NCL": ((6, 5, 7), BatchNorm1d, torch.nn.BatchNorm1d),
    "2d-NCHW": ((4, 5, 3, 4), BatchNorm2d, torch.nn.BatchNorm2d),
}


def reference_formula(
    x: torch.Tensor, weight: torch.Tensor | None, bias: torch.Tensor | None, eps: float
) -> torch.Tensor:
    """Training-mode batch norm composed of plain tensor ops (autograd differentiates it)."""
    dims = [d for d in range(x.dim()) if d != 1]
    shape = [1, x.shape[1]] + [1] * (x.dim() - 2)
    mean = x.mean(dims, keepdim=True)
    var = ((x - mean) ** 2).mean(dims, keepdim=True)  # biased
    y = (x - mean) / torch.sqrt(var + eps)
    if weight is not None:
        y = y * weight.view(shape)
    if bias is not None:
        y = y + bias.view(shape)
    return y


def assert_close(
    a: torch.Tensor | None,
    b: torch.Tensor | None,
    what: str,
    atol: float = 1e-10,
    rtol: float = 1e-9,
) -> None:
    assert (a is None) == (b is None), what
    if a is not None and b is not None:
        torch.testing.assert_close(a, b, atol=atol, rtol=rtol, msg=lambda m: f"{what}: {m}")


# --- Modules against torch.nn.BatchNorm1d/2d ---------------------------------------------------


@settings(deadline=None, max_examples=40)
@given(
    kind=st.sampled_from(sorted(SHAPES)),
    momentum=st.sampled_from([0.1, 0.5, 0.0, 1.0, None]),
    affine=st.booleans(),
    track=st.booleans(),
    with_bias=st.booleans(),
    eps=st.sampled_from([1e-5, 1e-3, 0.5]),
    seed=st.integers(0, 2**16),
)
def test_modules_match_torch_over_training_then_eval(
    kind: str,
    momentum: float | None,
    affine: bool,
    track: bool,
    with_bias: bool,
    eps: float,
    seed: int,
) -> None:
    shape, ours_cls, torch_cls = SHAPES[kind]
    torch.manual_seed(seed)
    kwargs = dict(
        eps=eps,
        momentum=momentum,
        affine=affine,
        track_running_stats=track,
        dtype=F64,
        bias=with_bias,
    )
    ours, ref = ours_cls(5, **kwargs), torch_cls(5, **kwargs)
    if affine:  # non-trivial γ, β so that their role is tested
        with torch.no_grad():
            ours.weight.uniform_(0.5, 2.0)
            ref.weight.copy_(ours.weight)
            if with_bias:
                ours.bias.normal_()
                ref.bias.copy_(ours.bias)
    assert list(ours.state_dict()) == list(ref.state_dict())

    for step in range(4):  # training steps: outputs, gradients, running statistics
        x = (torch.randn(shape, dtype=F64) * (1 + step) + 3 * step).requires_grad_()
        x_ref = x.detach().clone().requires_grad_()
        grad = torch.randn(shape, dtype=F64)
        y, y_ref = ours(x), ref(x_ref)
        y.backward(grad)
        y_ref.backward(grad)
        assert_close(y, y_ref, f"output at step {step}")
        assert_close(x.grad, x_ref.grad, f"input grad at step {step}")
        if affine:
            assert_close(ours.weight.grad, ref.weight.grad, "weight grad")
            assert_close(
                ours.bias.grad if with_bias else None,
                ref.bias.grad if with_bias else None,
                "bias grad",
            )
        assert_close(ours.running_mean, ref.running_mean, "running_mean")
        assert_close(ours.running_var, ref.running_var, "running_var")
        assert_close(ours.num_batches_tracked, ref.num_batches_tracked, "num_batches_tracked")
        ours.zero_grad()
        ref.zero_grad()

    ours.eval()
    ref.eval()
    x = torch.randn(shape, dtype=F64, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_()
    y, y_ref = ours(x), ref(x_ref)
    assert_close(y, y_ref, "eval output")
    y.sum().backward()
    y_ref.sum().backward()
    assert_close(x.grad, x_ref.grad, "eval input grad")
    if affine:
        assert_close(ours.weight.grad, ref.weight.grad, "eval weight grad")
    assert_close(ours.num_batches_tracked, ref.num_batches_tracked, "eval leaves the count")


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_float32_matches_torch(kind: str) -> None:
    shape, ours_cls, torch_cls = SHAPES[kind]
    shape = (shape[0] * 8, *shape[1:])
    torch.manual_seed(0)
    ours, ref = ours_cls(5), torch_cls(5)
    x = (torch.randn(shape) * 2 + 1).requires_grad_()
    x_ref = x.detach().clone().requires_grad_()
    grad = torch.randn(shape)
    y, y_ref = ours(x), ref(x_ref)
    y.backward(grad)
    y_ref.backward(grad)
    torch.testing.assert_close(y, y_ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(x.grad, x_ref.grad, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(ours.weight.grad, ref.weight.grad, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(ours.running_var, ref.running_var, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("offset", [1e3, 1e5])
def test_float32_large_mean_is_not_spoilt_by_cancellation(offset: float) -> None:
    """E[x²] − μ² cancels when |μ| ≫ σ: the module must fall back to the centred formulas."""
    torch.manual_seed(1)
    x64 = torch.randn(64, 3, 5, 5, dtype=F64) + offset
    x32 = x64.float().requires_grad_()
    grad = torch.randn(x64.shape, dtype=F64)
    ref = x64.detach().clone().requires_grad_()
    expected = reference_formula(ref, None, None, 1e-5)
    expected.backward(grad)
    ours = BatchNorm2d(3, affine=False)
    y = ours(x32)
    y.backward(grad.float())
    # the float32 rounding of the input itself already moves x̂ by ~ ε·offset/σ
    tol = 4 * torch.finfo(torch.float32).eps * offset
    torch.testing.assert_close(y.double(), expected.detach(), atol=tol, rtol=0)
    torch.testing.assert_close(x32.grad.double(), ref.grad, atol=tol, rtol=0)


def test_cumulative_average_when_momentum_is_none() -> None:
    """momentum=None: running mean = plain average of the batch means (independent formula)."""
    torch.manual_seed(2)
    bn = BatchNorm1d(3, momentum=None, dtype=F64)
    batches = [torch.randn(10, 3, dtype=F64) * (k + 1) + k for k in range(5)]
    for x in batches:
        bn(x)
    means = torch.stack([x.mean(0) for x in batches])
    unbiased_vars = torch.stack([x.var(0, unbiased=True) for x in batches])
    torch.testing.assert_close(bn.running_mean, means.mean(0))
    torch.testing.assert_close(bn.running_var, unbiased_vars.mean(0))
    assert int(bn.num_batches_tracked) == 5


def test_running_variance_is_unbiased_and_momentum_weights_the_new_batch() -> None:
    torch.manual_seed(3)
    x = torch.randn(7, 2, dtype=F64) * 3 + 1
    y = batch_norm(
        x,
        rm := torch.zeros(2, dtype=F64),
        rv := torch.ones(2, dtype=F64),
        training=True,
        momentum=0.25,
    )
    torch.testing.assert_close(rm, 0.75 * 0 + 0.25 * x.mean(0))
    torch.testing.assert_close(rv, 0.75 * 1 + 0.25 * x.var(0, unbiased=True))
    # while the normalisation itself uses the biased variance
    torch.testing.assert_close(y, (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + 1e-5))


def test_reset_running_stats_and_parameters() -> None:
    bn = BatchNorm2d(3)
    with torch.no_grad():
        bn.weight.fill_(2.0)
    bn(torch.randn(4, 3, 2, 2) + 5)
    assert bn.running_mean.abs().sum() > 0 and int(bn.num_batches_tracked) == 1
    bn.reset_running_stats()
    assert torch.equal(bn.running_mean, torch.zeros(3))
    assert torch.equal(bn.running_var, torch.ones(3))
    assert int(bn.num_batches_tracked) == 0
    assert torch.equal(bn.weight, torch.full((3,), 2.0))
    bn.reset_parameters()
    assert torch.equal(bn.weight, torch.ones(3)) and torch.equal(bn.bias, torch.zeros(3))


def test_repr_matches_torch() -> None:
    assert repr(BatchNorm1d(4, momentum=None, affine=False)).replace("BatchNorm1d", "") == repr(
        torch.nn.BatchNorm1d(4, momentum=None, affine=False)
    ).replace("BatchNorm1d", "")


# --- The functional form against torch.nn.functional.batch_norm -------------------------------


@settings(deadline=None, max_examples=30)
@given(
    ndim=st.integers(2, 5),
    training=st.booleans(),
    with_stats=st.booleans(),
    with_weight=st.booleans(),
    with_bias=st.booleans(),
    momentum=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
)
def test_functional_matches_torch(
    ndim: int,
    training: bool,
    with_stats: bool,
    with_weight: bool,
    with_bias: bool,
    momentum: float,
    seed: int,
) -> None:
    if not training and not with_stats:
        training = True  # evaluation needs running statistics (tested among the bad inputs)
    gen = torch.Generator().manual_seed(seed)
    shape = (5, 3, 4, 2, 3)[:ndim]
    x = torch.randn(shape, dtype=F64, generator=gen) * 2 + 1
    stats = [
        torch.randn(3, dtype=F64, generator=gen),
        torch.rand(3, dtype=F64, generator=gen) + 0.5,
    ]
    weight = torch.rand(3, dtype=F64, generator=gen) + 0.5 if with_weight else None
    bias = torch.randn(3, dtype=F64, generator=gen) if with_bias else None
    ours_stats = [s.clone() for s in stats] if with_stats else [None, None]
    ref_stats = [s.clone() for s in stats] if with_stats else [None, None]
    y = batch_norm(x, *ours_stats, weight, bias, training, momentum, 1e-5)
    y_ref = torch.nn.functional.batch_norm(x, *ref_stats, weight, bias, training, momentum, 1e-5)
    assert_close(y, y_ref, "output")
    for a, b in zip(ours_stats, ref_stats, strict=True):
        assert_close(a, b, "running statistics")


# --- The hand-derived backward -----------------------------------------------------------------


@pytest.mark.parametrize("shape", [(9, 4), (5, 4, 6), (3, 4, 2, 5)])
@pytest.mark.parametrize("with_weight", [True, False])
def test_backward_equals_autograd_of_the_formula(shape: tuple[int, ...], with_weight: bool) -> None:
    torch.manual_seed(4)
    x = (torch.randn(shape, dtype=F64) * 1.5 - 0.7).requires_grad_()
    weight = (torch.rand(4, dtype=F64) + 0.5).requires_grad_() if with_weight else None
    bias = torch.randn(4, dtype=F64, requires_grad=True)
    grad = torch.randn(shape, dtype=F64)
    eps = 1e-3
    params = [x, bias] + ([weight] if weight is not None else [])
    expected = torch.autograd.grad(reference_formula(x, weight, bias, eps), params, grad)

    dims = [d for d in range(x.dim()) if d != 1]
    mean = x.detach().mean(dims)
    var = x.detach().var(dims, unbiased=False)
    inv_std = 1 / torch.sqrt(var + eps)
    gx, gw, gb = batch_norm_backward(
        grad, x.detach(), mean, inv_std, None if weight is None else weight.detach()
    )
    assert_close(gx, expected[0], "grad_input")
    assert_close(gb, expected[1], "grad_bias")
    if weight is not None:
        assert_close(gw, expected[2], "grad_weight")
    else:  # ∂L/∂γ at γ = 1 is Σ g x̂ whether or not γ exists
        x_hat = (x.detach() - mean.view([1, -1] + [1] * (x.dim() - 2))) * inv_std.view(
            [1, -1] + [1] * (x.dim() - 2)
        )
        assert_close(gw, (grad * x_hat).sum(dims), "grad_weight without weight")


def test_backward_centred_fallback_matches_formula() -> None:
    """|μ|·s large enough to trigger the centred path, in float64."""
    torch.manual_seed(5)
    x = (torch.randn(40, 3, dtype=F64) * 1e-4 + 1e4).requires_grad_()
    weight = torch.tensor([0.5, 1.0, 2.0], dtype=F64, requires_grad=True)
    grad = torch.randn(40, 3, dtype=F64)
    expected = torch.autograd.grad(reference_formula(x, weight, None, 0.0), [x, weight], grad)
    mean, var = x.detach().mean(0), x.detach().var(0, unbiased=False)
    gx, gw, _ = batch_norm_backward(grad, x.detach(), mean, var.rsqrt(), weight.detach())
    torch.testing.assert_close(gx, expected[0], rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(gw, expected[1], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 3, 2)])
@pytest.mark.parametrize("affine", [True, False])
def test_gradcheck(shape: tuple[int, ...], affine: bool) -> None:
    torch.manual_seed(6)
    x = torch.randn(shape, dtype=F64, requires_grad=True)
    if affine:
        weight = (torch.rand(3, dtype=F64) + 0.5).requires_grad_()
        bias = torch.randn(3, dtype=F64, requires_grad=True)
        assert torch.autograd.gradcheck(
            lambda x, w, b: BatchNormFunction.apply(x, w, b, 1e-5)[0], (x, weight, bias)
        )
    else:
        assert torch.autograd.gradcheck(
            lambda x: BatchNormFunction.apply(x, None, None, 1e-5)[0], (x,)
        )


def test_training_uses_the_autograd_function() -> None:
    y = batch_norm(torch.randn(4, 2, requires_grad=True), None, None, training=True)
    assert type(y.grad_fn).__name__ == "BatchNormFunctionBackward"


# --- state_dict interoperability -----------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SHAPES))
@pytest.mark.parametrize("affine,track", [(True, True), (False, True), (True, False)])
def test_state_dict_loads_both_ways(kind: str, affine: bool, track: bool) -> None:
    shape, ours_cls, torch_cls = SHAPES[kind]
    torch.manual_seed(7)
    ours = ours_cls(5, affine=affine, track_running_stats=track)
    if affine:
        with torch.no_grad():
            ours.weight.uniform_()
            ours.bias.normal_()
    for _ in range(3):
        ours(torch.randn(shape) * 2 + 1)
    ref = torch_cls(5, affine=affine, track_running_stats=track)
    ref.load_state_dict(ours.state_dict())  # strict: same keys
    back = ours_cls(5, affine=affine, track_running_stats=track)
    back.load_state_dict(ref.state_dict())
    for key, value in ours.state_dict().items():
        assert torch.equal(back.state_dict()[key], value), key
    for module in (ours, ref, back):
        module.eval()
    x = torch.randn(shape)
    torch.testing.assert_close(ours(x), ref(x))
    torch.testing.assert_close(back(x), ref(x))


def test_old_state_dict_without_num_batches_tracked_loads() -> None:
    state = BatchNorm1d(3).state_dict()
    del state["num_batches_tracked"]
    state._metadata = {"": {"version": 1}}  # type: ignore[attr-defined]
    bn = BatchNorm1d(3)
    bn.load_state_dict(state)
    assert int(bn.num_batches_tracked) == 0


# --- Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: BatchNorm1d(0), "num_features"),
        (lambda: BatchNorm1d(2.5), "num_features"),
        (lambda: BatchNorm1d(3, eps=-1e-5), "eps"),
        (lambda: BatchNorm2d(3, momentum=1.5), "momentum"),
        (lambda: BatchNorm2d(3, momentum=-0.1), "momentum"),
        (lambda: BatchNorm2d(3, momentum="0.1"), "momentum"),
    ],
)
def test_bad_constructor_arguments(make: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()  # type: ignore[operator]


@pytest.mark.parametrize(
    "module, x",
    [
        (BatchNorm1d(3), torch.randn(3)),  # 1-D
        (BatchNorm1d(3), torch.randn(2, 3, 4, 4)),  # 4-D into 1d
        (BatchNorm2d(3), torch.randn(2, 3, 4)),  # 3-D into 2d
        (BatchNorm2d(3), torch.randn(2, 3, 4, 4, 4)),  # 5-D into 2d
        (BatchNorm1d(3), torch.randn(4, 5)),  # wrong channel count
        (BatchNorm2d(3), torch.randn(2, 4, 2, 2)),  # wrong channel count
        (BatchNorm1d(3), torch.randn(1, 3)),  # one value per channel in training
        (BatchNorm2d(3), torch.randn(1, 3, 1, 1)),  # one value per channel in training
    ],
)
def test_bad_module_input(module: torch.nn.Module, x: torch.Tensor) -> None:
    with pytest.raises(ValueError, match="input"):
        module(x)


@pytest.mark.parametrize("training", [True, False])
def test_integer_input_is_a_type_error_in_the_modules_and_the_function(training: bool) -> None:
    x = torch.ones(4, 3, dtype=torch.int64)
    with pytest.raises(TypeError, match="floating-point"):
        BatchNorm1d(3).train(training)(x)
    with pytest.raises(TypeError, match="floating-point"):
        BatchNorm2d(3).train(training)(x[:, :, None, None])
    with pytest.raises(TypeError, match="floating-point"):
        batch_norm(x, torch.zeros(3), torch.ones(3), training=training)


def test_single_value_per_channel_is_fine_in_eval() -> None:
    bn = BatchNorm1d(3).eval()
    torch.testing.assert_close(
        bn(torch.ones(1, 3)), torch.nn.BatchNorm1d(3).eval()(torch.ones(1, 3))
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(input=torch.randn(4)), "input"),
        (dict(input=torch.randn(1, 3), training=True), "input"),
        (dict(running_mean=torch.zeros(4)), "running_mean"),
        (dict(running_var=torch.ones(2, 2)), "running_var"),
        (dict(weight=torch.ones(2)), "weight"),
        (dict(bias=torch.ones(4)), "bias"),
        (dict(eps=-1.0), "eps"),
        (dict(momentum=1.01), "momentum"),
        (dict(momentum=-0.5), "momentum"),
        (dict(momentum=None), "momentum"),
        (dict(running_mean=None), "running_mean"),
        (dict(running_var=None), "running_var"),
    ],
)
def test_bad_functional_input(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = dict(
        input=torch.randn(4, 3), running_mean=torch.zeros(3), running_var=torch.ones(3)
    )
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        batch_norm(**args)  # type: ignore[arg-type]


def test_bad_backward_input() -> None:
    x = torch.randn(4, 3)
    with pytest.raises(ValueError, match="grad_output"):
        batch_norm_backward(torch.randn(4, 2), x, torch.zeros(3), torch.ones(3))
    with pytest.raises(ValueError, match="inv_std"):
        batch_norm_backward(torch.randn(4, 3), x, torch.zeros(3), torch.ones(2))
    with pytest.raises(TypeError, match="input"):
        batch_norm([[1.0, 2.0]], None, None, training=True)  # type: ignore[arg-type]


# --- Inference: folding, and recomputing the running statistics -------------------------------


def _trained_norm(norm: torch.nn.Module, features: int, seed: int) -> torch.nn.Module:
    """A batch norm whose running statistics and affine parameters are not the defaults."""
    g = torch.Generator().manual_seed(seed)
    norm.train()
    for _ in range(5):
        norm(torch.randn(16, features, generator=g, dtype=F64) * 3 + 2)
    if getattr(norm, "weight", None) is not None:
        with torch.no_grad():
            norm.weight.uniform_(0.5, 2.0, generator=g)
            norm.bias.normal_(generator=g)
    return norm.eval()


@settings(deadline=None, max_examples=20)
@given(
    ours=st.booleans(),
    affine=st.booleans(),
    linear_bias=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_fold_batch_norm_equals_linear_then_eval_mode_norm(
    ours: bool, affine: bool, linear_bias: bool, seed: int
) -> None:
    torch.manual_seed(seed)
    linear = torch.nn.Linear(6, 4, bias=linear_bias).double()
    kind = BatchNorm1d if ours else torch.nn.BatchNorm1d
    norm = _trained_norm(kind(4, affine=affine, dtype=F64), 4, seed)
    x = torch.randn(10, 6, dtype=F64)
    folded = fold_batch_norm(linear, norm)
    assert isinstance(folded, torch.nn.Linear) and folded.weight.dtype == F64
    with torch.no_grad():
        torch.testing.assert_close(folded(x), norm(linear(x)), atol=1e-12, rtol=1e-12)
        # by the formula: W' = diag(a) W, b' = a (b − μ̂) + β, a = γ / √(σ̂² + ε)
        a = (norm.weight if affine else 1) / torch.sqrt(norm.running_var + norm.eps)
        torch.testing.assert_close(folded.weight, a[:, None] * linear.weight)


def test_fold_batch_norm_rejects_bad_input() -> None:
    linear = torch.nn.Linear(3, 4)
    with pytest.raises(TypeError, match="linear"):
        fold_batch_norm(torch.nn.Conv1d(3, 4, 1), BatchNorm1d(4))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="norm"):
        fold_batch_norm(linear, torch.nn.LayerNorm(4))
    with pytest.raises(ValueError, match="running statistics"):
        fold_batch_norm(linear, BatchNorm1d(4, track_running_stats=False))
    with pytest.raises(ValueError, match="out_features"):
        fold_batch_norm(linear, BatchNorm1d(5))


@pytest.mark.parametrize("ours", [True, False])
def test_recompute_running_stats_is_the_average_of_the_batch_statistics(ours: bool) -> None:
    torch.manual_seed(0)
    kind = BatchNorm1d if ours else torch.nn.BatchNorm1d
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), kind(4), torch.nn.Sigmoid()).double()
    model[1].momentum = 0.3
    model.eval()
    weights = [p.detach().clone() for p in model.parameters()]
    x = torch.randn(40, 3, dtype=F64) * 2 + 1
    recompute_running_stats(model, x, batch_size=10)
    with torch.no_grad():
        z = model[0](x)
    chunks = z.split(10)
    torch.testing.assert_close(
        model[1].running_mean, torch.stack([c.mean(0) for c in chunks]).mean(0)
    )
    torch.testing.assert_close(
        model[1].running_var, torch.stack([c.var(0) for c in chunks]).mean(0)
    )
    # The weights, the momentum and the mode are as they were.
    assert all(torch.equal(a, b) for a, b in zip(weights, model.parameters(), strict=True))
    assert model[1].momentum == 0.3 and not model.training and not model[1].training


def test_recompute_running_stats_drops_a_lone_last_example() -> None:
    model = torch.nn.Sequential(BatchNorm1d(2, dtype=F64))
    x = torch.randn(21, 2, dtype=F64)
    recompute_running_stats(model, x, batch_size=10)  # 10 + 10 + 1: the single one is skipped
    torch.testing.assert_close(
        model[0].running_mean, torch.stack([x[:10].mean(0), x[10:20].mean(0)]).mean(0)
    )


def test_recompute_running_stats_rejects_bad_input() -> None:
    model = torch.nn.Sequential(BatchNorm1d(2))
    x = torch.randn(8, 2)
    with pytest.raises(TypeError, match="model"):
        recompute_running_stats("model", x)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="inputs"):
        recompute_running_stats(model, x.numpy())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="batch_size"):
        recompute_running_stats(model, x, batch_size=1)
    with pytest.raises(ValueError, match="inputs"):
        recompute_running_stats(model, x[:1])
    with pytest.raises(ValueError, match="no batch norm"):
        recompute_running_stats(torch.nn.Sequential(torch.nn.Linear(2, 2)), x)
