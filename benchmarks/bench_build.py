"""Cold and warm `mkdocs build` times (the site's compute budget: cold ≤ 12 min, warm ≤ 20 s).

Cold: an empty experiment cache in a temporary folder. Warm: the same build again.
Skipped in `--quick` mode (a cold build runs every experiment of the site).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def timed_build(cache_dir: str, site_dir: str) -> float:
    env = dict(os.environ, DLBASICS_CACHE_DIR=cache_dir, NO_MKDOCS_2_WARNING="1")
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", site_dir],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return time.perf_counter() - start


def run(quick: bool = False) -> list[dict[str, Any]]:
    if quick:
        return []
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as site:
        cold = timed_build(cache, site)
        warm = timed_build(cache, site)
    return [
        {
            "benchmark": "make build, cold (empty cache)",
            "ours_s": cold,
            "reference_s": None,
            "ratio": None,
            "target": None,
        },
        {
            "benchmark": "make build, warm",
            "ours_s": warm,
            "reference_s": None,
            "ratio": None,
            "target": None,
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(f"{row['benchmark']}: {row['ours_s']:.1f} s")
