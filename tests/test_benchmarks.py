"""Every benchmark runs (at quick sizes) and reports what `make bench` tabulates."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).resolve().parent.parent / "benchmarks").glob("bench_*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("path", BENCHMARKS, ids=[p.stem for p in BENCHMARKS])
def test_benchmark_runs_quick(path: Path) -> None:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.run(quick=True)
    assert isinstance(rows, list)
    for row in rows:
        assert {"benchmark", "ours_s", "reference_s", "ratio", "target"} <= set(row)
        assert row["ours_s"] > 0 and math.isfinite(row["ours_s"])
        if row["reference_s"] is not None:
            assert row["ratio"] == pytest.approx(row["ours_s"] / row["reference_s"], rel=1e-6)
