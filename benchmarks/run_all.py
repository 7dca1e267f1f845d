"""Run every `benchmarks/bench_*.py` and print one Markdown table.

Each benchmark module exposes `run(quick: bool = False) -> list[dict]`, with keys
`benchmark`, `ours_s`, `reference_s`, `ratio` and `target`: our implementation and its
torch reference timed in the same process, medians of repeated runs. The table also gets
the author loop's figures (see `bench_build.py`: cold and warm builds, per-page cold times
against their budgets, edit rebuilds, `mkdocs serve`, the search index); their targets are
stated in words and their last column says what was recomputed or measured. The table is printed and
written to `build/benchmarks.md` (git-ignored).

Usage: `python benchmarks/run_all.py [--quick] [--only NAME ...]`
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.1f} µs"


def table(rows: list[dict[str, Any]]) -> str:
    """Rows as a Markdown table; a "ratio of minimums" column when any row measured one."""
    with_min = any("ours_min_s" in row for row in rows)
    head = "| benchmark | ours | reference | ratio | target | |"
    rule = "|---|---:|---:|---:|---:|---|"
    if with_min:
        head, rule = head + " ratio of minimums |", rule + "---:|"
    lines = [head, rule]
    for row in rows:
        target = row.get("target")
        ratio = row.get("ratio")
        verdict = row.get("note", "")  # a row without a ratio explains itself here
        if isinstance(target, int | float) and ratio is not None:
            verdict = "✓" if ratio <= target else "✗ over target"
        if target is None:
            shown = "–"
        elif isinstance(target, str):  # a time budget, stated in words
            shown = target
        else:
            shown = f"≤ {target:g}"
        line = (
            f"| {row['benchmark']} | {fmt_seconds(row.get('ours_s'))} | "
            f"{fmt_seconds(row.get('reference_s'))} | "
            f"{'–' if ratio is None else f'{ratio:.2f}'} | {shown} | {verdict} |"
        )
        if with_min:
            if "ours_min_s" in row and row.get("reference_min_s"):
                line += f" {row['ours_min_s'] / row['reference_min_s']:.2f} |"
            else:
                line += " – |"
        lines.append(line)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--only", nargs="*", default=None, help="names like focal_loss or build")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(min(2, torch.get_num_threads()))
    rows: list[dict[str, Any]] = []
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if args.only is not None and name not in args.only:
            continue
        print(f"running {path.name} ...", file=sys.stderr, flush=True)
        rows.extend(load(path).run(quick=args.quick))
    header = (
        f"Measured on {platform.machine()} with {torch.get_num_threads()} torch threads, "
        f"torch {torch.__version__}, Python {platform.python_version()}"
        f"{' (quick sizes)' if args.quick else ''}.\n\n"
    )
    report = header + table(rows)
    print(report)
    out = ROOT / "build" / "benchmarks.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report, encoding="utf-8")
    print(f"written to {out.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
