"""Fill the experiment cache with a pool of processes before MkDocs renders the pages.

MkDocs renders pages one after the other, in one process, so a cold build would take the sum
of every page's experiments. Here the pages whose results are missing run first, each in a
worker process of a pool (one per core), longest page first by its budget in
`tools/page_budgets.toml`; the workers write into the shared cache (atomic files), and
MkDocs then renders from a warm cache. A cold build so takes about as long as its longest
page, not the sum.

Which pages are stale comes from the manifest the previous build wrote: for each page, a
digest of its Markdown and, for each cached function it called, the digest of the
definitions that function's key covers (`dlbasics.cache`). A page is stale if it is new,
its source changed, or one of those digests changed. This only schedules work: a miss the
manifest did not foresee is computed by MkDocs itself, as before.

Results do not depend on who computes them: every cached experiment pins its thread count
and seeds its random numbers (the cache's check enforces both), and figures are drawn
deterministically. `DLBASICS_PREFILL=0` switches the pool off (a serial build).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sys
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import notebooks  # a sibling module, not an installed package

ROOT = Path(__file__).resolve().parent.parent
BUDGETS = ROOT / "tools" / "page_budgets.toml"
MANIFEST = ".pages.json"
REPORT = ".prefill.json"


def budgets() -> dict[str, float]:
    """Each page's cold-build budget in core-seconds, by source path (`optimizers.md`)."""
    with BUDGETS.open("rb") as f:
        return {page: float(seconds) for page, seconds in tomllib.load(f)["pages"].items()}


def source_digest(markdown: str) -> str:
    return hashlib.sha256(markdown.encode()).hexdigest()


def function_digests(functions: set[tuple[str, str]]) -> dict[str, str]:
    """`module:qualname` → digest of what its cache key covers (its closure), now."""
    import importlib

    from dlbasics import cache

    out = {}
    for module, qualname in sorted(functions):
        try:
            func = importlib.import_module(module)
            for part in qualname.split("."):
                func = getattr(func, part)
            out[f"{module}:{qualname}"] = cache.closure_digest(func)
        except Exception:  # gone or renamed: the page is stale
            out[f"{module}:{qualname}"] = "missing"
    return out


def stale_pages(docs_dir: Path, pages: list[str], folder: Path) -> list[str]:
    """The pages (source paths) with executed blocks whose results the manifest cannot vouch
    for, longest budget first."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    stale = []
    for page in pages:
        markdown = (docs_dir / page).read_text(encoding="utf-8")
        if not any(cell.kind == "code" for cell in notebooks.split_cells(markdown)):
            continue
        entry = manifest.get(page)
        if entry is None or entry.get("source") != source_digest(markdown):
            stale.append(page)
            continue
        recorded = entry.get("functions", {})
        functions = {tuple(key.split(":", 1)) for key in recorded}
        if function_digests(functions) != recorded:  # type: ignore[arg-type]
            stale.append(page)
    order = budgets()
    return sorted(stale, key=lambda p: (-order.get(p, 0.0), p))


def write_manifest(folder: Path, docs_dir: Path, used: dict[str, set[tuple[str, str]]]) -> None:
    """Record, after a build, what each page's results depend on (see `stale_pages`). Pages
    a dirty build did not render keep their entries."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    for page, functions in used.items():
        manifest[page] = {
            "source": source_digest((docs_dir / page).read_text(encoding="utf-8")),
            "functions": function_digests(functions),
        }
    manifest = {page: entry for page, entry in manifest.items() if (docs_dir / page).exists()}
    tmp = folder / f"{MANIFEST}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, folder / MANIFEST)


def _run_page(page: str, docs_dir: str, cache: str, critical: bool) -> dict[str, Any]:
    """In a worker: run every executed block of `page`, printing nowhere, so that each
    cached call stores its result (and each figure its files). Every page but the longest
    runs at a lower priority: it fills the cores the longest page leaves idle instead of
    slowing it down (the longest page is the build's critical path)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    if not critical:
        os.nice(10)
    start, cpu = time.perf_counter(), time.process_time()
    error = None
    try:
        import torch

        import dlbasics.cache
        import dlbasics.plotting

        torch.set_num_threads(1)  # experiments pin their own count; the rest stays on one
        import dlbasics.claims

        dlbasics.claims.raise_on_failure = False  # the build reports it, in its page
        folder = dlbasics.cache.enable(cache, check=True)
        dlbasics.plotting.figures_as_files(folder / "assets")
        markdown = (Path(docs_dir) / page).read_text(encoding="utf-8")
        blocks = [c.source for c in notebooks.split_cells(markdown) if c.kind == "code"]
        for i, source in enumerate(blocks):
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(source, f"<{page}: block {i + 1}>", "exec"), {"__name__": "__main__"})
    except Exception as exc:  # the build itself reports it, in its page
        error = f"{type(exc).__name__}: {exc}"
    return {
        "page": page,
        "seconds": time.perf_counter() - start,
        "core_seconds": time.process_time() - cpu,
        "error": error,
    }


def prefill(docs_dir: Path, pages: list[str], folder: Path, log: Any) -> list[dict[str, Any]]:
    """Run the stale pages in a pool; returns one report per page (also written to
    `<cache>/.prefill.json`)."""
    if os.environ.get("DLBASICS_PREFILL", "1") == "0":
        return []
    stale = stale_pages(docs_dir, pages, folder)
    if not stale:
        return []
    workers = min(len(stale), os.cpu_count() or 1)
    log.info("prefilling the cache: %s (%d workers)", ", ".join(stale), workers)
    reports = []
    start = time.perf_counter()
    # Spawned workers import this module by name, on the parent's sys.path (MkDocs restores
    # its path after loading the hooks, so the tools folder may be gone from it).
    tools = str(Path(__file__).resolve().parent)
    if tools not in sys.path:
        sys.path.insert(0, tools)
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        futures = [
            pool.submit(_run_page, page, str(docs_dir), str(folder), i == 0)
            for i, page in enumerate(stale)
        ]
        for future in as_completed(futures):
            report = future.result()
            reports.append(report)
            log.info(
                "prefilled %s in %.0f s (%.0f core-s)%s",
                report["page"],
                report["seconds"],
                report["core_seconds"],
                f", then stopped: {report['error']}" if report["error"] else "",
            )
    total = time.perf_counter() - start
    (folder / REPORT).write_text(
        json.dumps({"seconds": total, "pages": reports}, indent=1), encoding="utf-8"
    )
    return reports
