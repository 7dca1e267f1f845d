"""The author loop, measured: cold and warm builds, edits, `mkdocs serve`, the search index.

Everything runs on a copy of the project in a temporary folder (docs, library, tools,
configuration), with its own empty experiment cache, so the edits touch nothing here:

1. **cold build**: `mkdocs build --strict` from an empty cache; the total, and each page's
   time in the prefill pool (`tools/prefill.py`) against its budget in core-seconds
   (`tools/page_budgets.toml`);
2. **warm build**: the same build again;
3. **figure-function edit**: a changed string in one figure function, then a build: its
   time and how many cached results were recomputed (new cache entries);
4. **one-experiment edit**: a changed statement in one experiment, then a build: the same;
5. **serve prose edit**: `mkdocs serve --dirty` on the copy, a sentence added to a page,
   the seconds until the server returns it;
6. **search index**: the size of `search/search_index.json` (cap 1 MB).

Skipped in `--quick` mode (a cold build runs every experiment of the site).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEARCH_INDEX_CAP = 1_000_000
WARM_TARGET = 8.0
FIGURE_EDIT_TARGET = 15.0
SERVE_TARGET = 2.0

#: The two edits: (file, text, replacement, what is expected to recompute).
FIGURE_EDIT = (
    "src/dlbasics/batch_norm/figures.py",
    '"Test accuracy against steps of a two-layer convolutional network',
    '"Test accuracy (edited) against steps of a two-layer convolutional network',
)
EXPERIMENT_EDIT = (
    "src/dlbasics/batch_norm/experiments.py",
    '    out["mean_sd"], out["var_sd"] = mean_sd, var_sd\n',
    '    out["mean_sd"], out["var_sd"] = list(mean_sd), list(var_sd)\n',
)


def copy_project(target: Path) -> Path:
    for name in ("docs", "tools"):
        shutil.copytree(ROOT / name, target / name)
    shutil.copytree(ROOT / "src", target / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "mkdocs.yml", target / "mkdocs.yml")
    (target / "node_modules").symlink_to(ROOT / "node_modules")
    return target


def environment(project: Path, cache: Path) -> dict[str, str]:
    return dict(
        os.environ,
        DLBASICS_CACHE_DIR=str(cache),
        PYTHONPATH=str(project / "src"),
        NO_MKDOCS_2_WARNING="1",
    )


def entries(cache: Path) -> set[Path]:
    """The cached results (one file each), by module folder."""
    return {p.relative_to(cache) for p in cache.glob("dlbasics.*/*.pkl")}


def timed_build(project: Path, cache: Path) -> tuple[float, set[Path]]:
    """Seconds of `mkdocs build --strict`, and the cache entries it added."""
    before = entries(cache) if cache.exists() else set()
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(project / "site")],
        cwd=project,
        env=environment(project, cache),
        check=True,
    )
    return time.perf_counter() - start, entries(cache) - before


def edit(project: Path, change: tuple[str, str, str]) -> None:
    path, old, new = change
    source = (project / path).read_text(encoding="utf-8")
    if old not in source:
        raise RuntimeError(f"bench_build: the edit no longer applies to {path}: {old!r}")
    (project / path).write_text(source.replace(old, new, 1), encoding="utf-8")


def serve_prose_edit(project: Path, cache: Path) -> float:
    """Seconds from saving a prose edit to the server returning the edited page."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "mkdocs", "serve", "--dirty", "-a", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        cmd,
        cwd=project,
        env=environment(project, cache),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/dlbasics/focal-loss/"

    def page() -> str:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return str(response.read().decode("utf-8"))
        except OSError:
            return ""

    try:
        deadline = time.monotonic() + 300
        while "dlb-figure" not in page():
            if time.monotonic() > deadline:
                raise RuntimeError("mkdocs serve never answered")
            time.sleep(0.5)
        time.sleep(2)  # let the watcher settle after the first build
        source = project / "docs" / "focal-loss.md"
        text = source.read_text(encoding="utf-8")
        token = f"Edited at {time.time_ns()}."  # unique: the page cannot show it already
        start = time.perf_counter()
        source.write_text(text.replace("## 100,000 boxes", f"{token}\n\n## 100,000 boxes", 1))
        while f"<p>{token}</p>" not in page():
            if time.perf_counter() - start > 60:
                raise RuntimeError("the prose edit never showed up")
            time.sleep(0.05)
        return time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=30)


def row(name: str, seconds: float | None, target: str | None, note: str = "") -> dict[str, Any]:
    return {
        "benchmark": name,
        "ours_s": seconds,
        "reference_s": None,
        "ratio": None,
        "target": target,
        "note": note,
    }


def run(quick: bool = False) -> list[dict[str, Any]]:
    if quick:
        return []
    with (ROOT / "tools" / "page_budgets.toml").open("rb") as f:
        budgets = tomllib.load(f)["pages"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        cache = Path(tmp) / "cache"
        cold, _ = timed_build(project, cache)
        report = json.loads((cache / ".prefill.json").read_text(encoding="utf-8"))
        pages = {r["page"]: r for r in report["pages"]}
        longest = max(r["seconds"] for r in pages.values())
        rows.append(
            row(
                "cold build (empty cache)",
                cold,
                f"≤ longest page + 60 s = {longest + 60:.0f} s",
                f"prefill pool {report['seconds']:.0f} s",
            )
        )
        for page, budget in budgets.items():
            r = pages.get(page)
            if r is not None:
                rows.append(
                    row(
                        f"  {page}, cold",
                        r["seconds"],
                        f"≤ {budget:g} core-s",
                        f"{r['core_seconds']:.0f} core-s"
                        + (f"; {r['error']}" if r["error"] else ""),
                    )
                )
        warm, _ = timed_build(project, cache)
        rows.append(row("warm build", warm, f"≤ {WARM_TARGET:g} s"))
        edit(project, FIGURE_EDIT)
        seconds, added = timed_build(project, cache)
        rows.append(
            row(
                "figure-function edit, rebuild",
                seconds,
                f"≤ {FIGURE_EDIT_TARGET:g} s, no experiment",
                f"recomputed {len(added)}: " + ", ".join(sorted(str(p.parent) for p in added)),
            )
        )
        edit(project, EXPERIMENT_EDIT)
        seconds, added = timed_build(project, cache)
        rows.append(
            row(
                "one-experiment edit, rebuild",
                seconds,
                "that experiment only",
                f"recomputed {len(added)}: " + ", ".join(sorted(str(p.parent) for p in added)),
            )
        )
        index = (project / "site" / "search" / "search_index.json").stat().st_size
        rows.append(
            row("search index", None, f"≤ {SEARCH_INDEX_CAP / 1e6:g} MB", f"{index / 1e6:.2f} MB")
        )
        rows.append(row("serve, prose edit visible", serve_prose_edit(project, cache), "≤ 2 s"))
    return rows


if __name__ == "__main__":
    for r in run():
        seconds = f"{r['ours_s']:.1f} s" if r["ours_s"] is not None else ""
        print(f"{r['benchmark']:40s} {seconds:>9s}  {r['target'] or '':32s} {r['note']}")
