"""The experiment cache: hits, misses on the right source changes, corrupt entries, concurrency."""

from __future__ import annotations

import ast
import importlib
import multiprocessing
import pickle
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from dlbasics import cache


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A throw-away package: `experiments` imports `helpers`; `unrelated` is imported by neither."""
    root = tmp_path / "src" / "cachedemo"
    root.mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "helpers.py").write_text("SCALE = 2\n")
    (root / "unrelated.py").write_text("X = 1\n")
    (root / "plots.py").write_text("STYLE = 'light'\n")
    (root / "lazy.py").write_text("VALUE = 3\n")
    (root / "experiments.py").write_text(
        textwrap.dedent(
            """
            from dlbasics.cache import cached
            from . import helpers

            CALLS = []

            @cached
            def experiment(n, *, offset=0.0):
                CALLS.append(n)
                return [helpers.SCALE * i + offset for i in range(n)]


            def _lazy_value():
                from cachedemo import lazy  # imported only when called

                return lazy.VALUE


            @cached
            def uses_lazy(n):
                CALLS.append(("lazy", n))
                return _lazy_value() * n


            def plot(values):
                from cachedemo import plots  # only the plotting code needs it

                return f"{plots.STYLE}: {values}"
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    yield root
    for name in [m for m in sys.modules if m.startswith("cachedemo")]:
        del sys.modules[name]


def load(package: Path):  # type: ignore[no-untyped-def]
    return importlib.import_module("cachedemo.experiments")


def test_off_by_default_runs_every_time(package: Path) -> None:
    module = load(package)
    assert cache.cache_dir() is None
    module.experiment(3)
    module.experiment(3)
    assert module.CALLS == [3, 3]


def test_hit_returns_stored_result_without_running(package: Path, tmp_path: Path) -> None:
    cache.enable(tmp_path / "store")
    module = load(package)
    first = module.experiment(4, offset=0.5)
    second = module.experiment(4, offset=0.5)
    assert first == second == [0.5, 2.5, 4.5, 6.5]
    assert module.CALLS == [4]
    module.experiment(4, offset=1.0)  # other arguments: a miss
    module.experiment(n=4, offset=0.5)  # same arguments spelt differently: a hit
    assert module.CALLS == [4, 4]


def test_env_var_switches_cache_on(
    package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "env-store"))
    module = load(package)
    module.experiment(2)
    module.experiment(2)
    assert module.CALLS == [2]
    assert any((tmp_path / "env-store").rglob("*.pkl"))
    cache.disable()
    module.experiment(2)
    assert module.CALLS == [2, 2]


def test_change_to_a_reached_definition_is_a_miss(package: Path, tmp_path: Path) -> None:
    cache.enable(tmp_path / "store")
    module = load(package)
    module.experiment(3)
    (package / "helpers.py").write_text("SCALE = 3\n")
    module.experiment(3)
    assert module.CALLS == [3, 3]


def test_comments_and_docstrings_do_not_count(package: Path, tmp_path: Path) -> None:
    cache.enable(tmp_path / "store")
    module = load(package)
    module.experiment(3)
    (package / "helpers.py").write_text(
        '"""Now with a docstring."""\n\nSCALE = (2)  # same value\n'
    )
    path = package / "experiments.py"
    path.write_text(path.read_text().replace("CALLS.append(n)", "CALLS.append(n)  # count it"))
    module.experiment(3)
    assert module.CALLS == [3]


def test_change_to_the_function_itself_is_a_miss(package: Path, tmp_path: Path) -> None:
    cache.enable(tmp_path / "store")
    module = load(package)
    module.experiment(3)
    path = package / "experiments.py"
    path.write_text(path.read_text().replace("helpers.SCALE * i", "helpers.SCALE * i * 1"))
    module.experiment(3)
    assert module.CALLS == [3, 3]


def test_change_to_another_definition_of_the_same_module_is_a_hit(
    package: Path, tmp_path: Path
) -> None:
    """Definition-level keys: editing `plot` (or adding code) keeps `experiment`'s result."""
    cache.enable(tmp_path / "store")
    module = load(package)
    module.experiment(3)
    path = package / "experiments.py"
    edited = path.read_text().replace('f"{plots.STYLE}: {values}"', 'f"{plots.STYLE} = {values}"')
    path.write_text(edited + "\n\ndef added():\n    return 1\n")
    module.experiment(3)
    assert module.CALLS == [3]


def test_change_to_unrelated_module_is_a_hit(package: Path, tmp_path: Path) -> None:
    cache.enable(tmp_path / "store")
    module = load(package)
    module.experiment(3)
    (package / "unrelated.py").write_text("X = 2\n")
    module.experiment(3)
    assert module.CALLS == [3]


def test_lazy_import_counts_only_for_functions_that_reach_it(package: Path, tmp_path: Path) -> None:
    cache.enable(tmp_path / "store")
    module = load(package)
    module.experiment(3)
    module.uses_lazy(2)
    (package / "plots.py").write_text("STYLE = 'dark'\n")  # only plot() imports it
    module.experiment(3)
    module.uses_lazy(2)
    assert module.CALLS == [3, ("lazy", 2)]
    (package / "lazy.py").write_text("VALUE = 4\n")  # reached through _lazy_value
    module.experiment(3)
    module.uses_lazy(2)
    assert module.CALLS == [3, ("lazy", 2), ("lazy", 2)]


def test_definitions_reached_follow_names_imports_and_attributes(package: Path) -> None:
    (package / "helpers.py").write_text(
        "from cachedemo import unrelated\n\nSCALE = 2\n\n\ndef used():\n    return unrelated.X\n"
    )
    module = load(package)
    assert cache.definitions_reached(module.experiment) == [
        "cachedemo.experiments:CALLS",
        "cachedemo.experiments:experiment",
        "cachedemo.helpers:SCALE",
    ]
    assert cache.definitions_reached(module.uses_lazy) == [
        "cachedemo.experiments:CALLS",
        "cachedemo.experiments:_lazy_value",
        "cachedemo.experiments:uses_lazy",
        "cachedemo.lazy:VALUE",
    ]


def test_a_dynamic_lookup_counts_the_whole_module(package: Path) -> None:
    (package / "dynamic.py").write_text(
        "from cachedemo import helpers\n\n\ndef pick(name):\n    return getattr(helpers, name)\n"
    )
    (package / "helpers.py").write_text("SCALE = 2\nOTHER = 3\n")
    module = importlib.import_module("cachedemo.dynamic")
    assert cache.definitions_reached(module.pick) == [
        "cachedemo.dynamic:pick",
        "cachedemo.helpers:OTHER",
        "cachedemo.helpers:SCALE",
    ]


def test_a_function_argument_counts_by_its_code(package: Path) -> None:
    module = load(package)
    func = module.experiment.__wrapped__
    by_lambda = cache.cache_key(func, (3,), {"offset": 0.0})
    assert by_lambda == cache.cache_key(func, (3,), {"offset": 0.0})

    def double(x: float) -> float:
        return 2 * x

    def triple(x: float) -> float:
        return 3 * x

    double.__qualname__ = triple.__qualname__ = "scale"  # same name, other code
    assert cache.cache_key(func, (double,), {}) != cache.cache_key(func, (triple,), {})
    helpers = importlib.import_module("cachedemo.experiments")
    before = cache.cache_key(func, (helpers._lazy_value,), {})
    (package / "lazy.py").write_text("VALUE = 5\n")  # what the passed function reaches
    assert cache.cache_key(func, (helpers._lazy_value,), {}) != before


def test_the_cache_module_itself_is_in_no_key(package: Path) -> None:
    module = load(package)
    assert not any(
        d.startswith("dlbasics.cache") for d in cache.definitions_reached(module.experiment)
    )


def test_versions_are_part_of_the_key(package: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = load(package)
    before = cache.cache_key(module.experiment.__wrapped__, (3,), {})
    monkeypatch.setattr(np, "__version__", "0.0.0")
    assert cache.cache_key(module.experiment.__wrapped__, (3,), {}) != before


def test_arrays_and_tensors_are_keyed_by_content(package: Path) -> None:
    module = load(package)
    func = module.experiment.__wrapped__
    a = cache.cache_key(func, (np.arange(3),), {})
    assert a == cache.cache_key(func, (np.arange(3),), {})
    assert a != cache.cache_key(func, (np.arange(1, 4),), {})
    t = cache.cache_key(func, (torch.ones(2),), {})
    assert t == cache.cache_key(func, (torch.ones(2),), {})
    assert t != cache.cache_key(func, (torch.ones(2, dtype=torch.float64),), {})


def test_unkeyable_argument_is_a_type_error(package: Path, tmp_path: Path) -> None:
    cache.enable(tmp_path / "store")
    module = load(package)
    with pytest.raises(TypeError, match="cache key"):
        module.experiment(object())


def test_corrupt_entry_is_recomputed_with_a_warning(package: Path, tmp_path: Path) -> None:
    store = cache.enable(tmp_path / "store")
    module = load(package)
    expected = module.experiment(5)
    [entry] = [p for p in store.rglob("*.pkl") if not p.parent.name.startswith(".")]
    entry.write_bytes(b"not a pickle")
    with pytest.warns(cache.CacheWarning, match="unreadable"):
        assert module.experiment(5) == expected
    assert module.CALLS == [5, 5]
    with entry.open("rb") as f:  # the recomputed result replaced the corrupt file
        assert pickle.load(f) == expected


def _hammer(args: tuple[str, str, int]) -> list[float]:
    src, store, n = args
    sys.path.insert(0, src)
    cache.enable(store)
    module = importlib.import_module("cachedemo.experiments")
    return [sum(module.experiment(k)) for k in range(n) for _ in range(3)]


def test_two_processes_share_a_folder_safely(package: Path, tmp_path: Path) -> None:
    store = tmp_path / "shared"
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        results = pool.map(_hammer, [(str(package.parent), str(store), 12)] * 2)
    expected = [float(sum(2 * i for i in range(k))) for k in range(12) for _ in range(3)]
    assert results == [expected, expected]
    assert not list(store.rglob(".tmp-*"))  # no temporary file left behind


# --- The library's own cached functions -------------------------------------------------------

SRC = Path(__file__).resolve().parent.parent / "src" / "dlbasics"


def _cached_definitions() -> list[tuple[str, ast.FunctionDef]]:
    """Every `@cached` function of dlbasics, with its module's name."""
    out = []
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and any(
                ast.unparse(d) == "cached" for d in node.decorator_list
            ):
                out.append((module, node))
    return out


def test_every_cached_experiment_pins_its_thread_count() -> None:
    """So that its result does not depend on which worker, or which machine, computed it."""
    experiments = [(m, f) for m, f in _cached_definitions() if m.endswith(".experiments")]
    assert len(experiments) > 40
    unpinned = [f"{m}.{f.name}" for m, f in experiments if cache._threads_of(f) is None]
    assert not unpinned, f"cached experiments without torch_threads(n): {unpinned}"


def test_no_definition_of_the_library_looks_names_up_dynamically() -> None:
    """`globals()`, `vars()` or `getattr(<a dlbasics module>, name)` would make a key count
    whole modules: keep the static reading exact."""
    dynamic = []
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        info = cache._module(module)
        assert info is not None, module
        for definition in info.definitions:
            local = {b: (m, a) for b, m, a in definition.local_imports}
            targets = [cache._module_named(d, local, info, "dlbasics") for d in definition.lookups]
            if definition.dynamic or any(targets):
                dynamic.append(f"{module}:{definition.names[0]}")
    assert dynamic == []


def test_a_figure_edit_leaves_the_experiments_keys_alone() -> None:
    from dlbasics.batch_norm import experiments, figures

    reached = cache.definitions_reached(experiments.learning_rate_sweep)
    assert not any(
        d.startswith(("dlbasics.batch_norm.figures", "dlbasics.plotting")) for d in reached
    )
    drawn = cache.definitions_reached(figures.plot_conv_training)
    assert "dlbasics.plotting:to_svg" in drawn
    assert not any(d.startswith("dlbasics.batch_norm:") for d in drawn)  # no algorithm code


# --- The soundness check ----------------------------------------------------------------------


@pytest.fixture
def checked(package: Path, tmp_path: Path) -> Iterator[Path]:
    (package / "tricky.py").write_text(
        textwrap.dedent(
            """
            import random
            import sys

            import numpy as np
            import torch

            from dlbasics.cache import cached


            def compute():
                return 41


            @cached
            def hidden_call():
                # The static reading sees only `sys`: the call below escapes the key.
                return sys.modules[__name__].compute() + 1


            @cached
            def unseeded_torch():
                return float(torch.rand(3).sum())


            @cached
            def unseeded_numpy():
                return float(np.random.rand())


            @cached
            def unseeded_python():
                return random.random()


            @cached
            def seeded():
                torch.manual_seed(0)
                gen = np.random.default_rng(0)
                return float(torch.rand(3).sum()) + float(gen.random())
            """
        )
    )
    cache.enable(tmp_path / "store", check=True)
    yield package
    cache.enable(tmp_path / "store", check=False)


def test_a_call_the_key_does_not_cover_fails_the_check(checked: Path) -> None:
    module = importlib.import_module("cachedemo.tricky")
    with pytest.raises(cache.CacheCheckError, match=r"cachedemo.tricky:compute"):
        module.hidden_call()


@pytest.mark.parametrize(
    ("name", "generator"),
    [("unseeded_torch", "torch"), ("unseeded_numpy", "numpy"), ("unseeded_python", "Python")],
)
def test_unseeded_global_randomness_fails_the_check(
    checked: Path, name: str, generator: str
) -> None:
    module = importlib.import_module("cachedemo.tricky")
    state = torch.get_rng_state()
    with pytest.raises(cache.CacheCheckError, match=generator):
        getattr(module, name)()
    assert torch.equal(torch.get_rng_state(), state)  # the check leaves the generators alone


def test_seeded_code_and_covered_calls_pass_the_check(checked: Path) -> None:
    module = importlib.import_module("cachedemo.tricky")
    first = module.seeded()
    cache.enable(check=False)
    assert module.seeded() == first  # a hit
    experiments = load(checked)
    cache.enable(check=True)
    assert experiments.uses_lazy(2) == 6  # reaches _lazy_value and cachedemo.lazy


def test_a_page_function_counts_with_what_it_calls_on_the_page(package: Path) -> None:
    """A block defines `transfer`, which calls the block's `gram`: editing `gram` (or a
    constant, or a default) changes the key of a result computed from `transfer`."""
    func = load(package).experiment.__wrapped__

    def key_of(source: str) -> str:
        namespace: dict[str, object] = {"__name__": "__main__"}
        exec(compile(source, "<code block>", "exec"), namespace)  # as markdown-exec runs a block
        return cache.cache_key(func, (namespace["transfer"],), {})

    base = (
        "SCALE = 2\ndef gram(f):\n    return f * SCALE\n"
        "def transfer(x, k=1):\n    return gram(x) + k\n"
    )
    key = key_of(base)
    assert key_of(base) == key
    assert key_of(base.replace("f * SCALE", "f * f * SCALE")) != key  # the helper it calls
    assert key_of(base.replace("SCALE = 2", "SCALE = 3")) != key  # a constant it reads
    assert key_of(base.replace("k=1", "k=2")) != key  # a default


def test_code_run_by_a_page_is_versioned_without_a_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """A callable defined on a page lives in markdown-exec's module (no file): its "version"
    is "?" at once, without scanning every installed distribution (a second per build)."""
    import types

    from dlbasics import cache

    name = "_code_block_id_test_page_only"
    monkeypatch.setitem(sys.modules, name, types.ModuleType(name))

    def no_scan() -> dict[str, list[str]]:
        raise AssertionError("scanned the installed distributions")

    monkeypatch.setattr(cache, "_distributions", no_scan)
    cache._version.cache_clear()
    assert cache._version(name) == "?"
