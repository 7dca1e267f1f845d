"""The experiment cache: hits, misses on the right source changes, corrupt entries, concurrency."""

from __future__ import annotations

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


def test_change_to_imported_module_is_a_miss(package: Path, tmp_path: Path) -> None:
    cache.enable(tmp_path / "store")
    module = load(package)
    module.experiment(3)
    (package / "helpers.py").write_text("SCALE = 2  # reworded comment changes the source\n")
    module.experiment(3)
    assert module.CALLS == [3, 3]


def test_change_to_own_module_is_a_miss(package: Path, tmp_path: Path) -> None:
    cache.enable(tmp_path / "store")
    module = load(package)
    module.experiment(3)
    path = package / "experiments.py"
    path.write_text(path.read_text() + "\n# edited\n")
    module.experiment(3)
    assert module.CALLS == [3, 3]


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
    (package / "lazy.py").write_text("VALUE = 3  # edited\n")  # reached through _lazy_value
    module.experiment(3)
    module.uses_lazy(2)
    assert module.CALLS == [3, ("lazy", 2), ("lazy", 2)]


def test_dependencies_follow_imports_transitively(package: Path) -> None:
    (package / "helpers.py").write_text("from cachedemo import unrelated\nSCALE = 2\n")
    assert cache.module_dependencies("cachedemo.experiments") == [
        "cachedemo.experiments",
        "cachedemo.helpers",
        "cachedemo.lazy",
        "cachedemo.plots",
        "cachedemo.unrelated",
    ]
    assert cache.module_dependencies("cachedemo.experiments", "experiment") == [
        "cachedemo.experiments",
        "cachedemo.helpers",
        "cachedemo.unrelated",
    ]


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
    [entry] = list(store.rglob("*.pkl"))
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
