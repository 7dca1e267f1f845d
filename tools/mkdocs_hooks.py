"""MkDocs hooks for the site.

- Switches on the experiment cache (`dlbasics.cache`) for every build and `mkdocs serve`
  reload, so executed blocks reuse results whose code has not changed.
- Serves KaTeX from the site itself: its files come from the npm package `katex`
  installed by `make setup` into `node_modules/`, and are added to the build as
  generated files (nothing third-party is committed, nothing is requested from a CDN).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.dlbasics")

ROOT = Path(__file__).resolve().parent.parent
KATEX_DIST = ROOT / "node_modules" / "katex" / "dist"
KATEX_FILES = ("katex.min.js", "katex.min.css", "contrib/auto-render.min.js")


def on_config(config: MkDocsConfig, **_: Any) -> MkDocsConfig:
    os.environ.setdefault("MPLBACKEND", "Agg")
    import dlbasics.cache

    folder = dlbasics.cache.enable(
        os.environ.get("DLBASICS_CACHE_DIR") or ROOT / ".cache" / "dlbasics"
    )
    log.info("dlbasics experiment cache: %s", folder)
    if not (KATEX_DIST / "katex.min.js").exists():
        raise PluginError(
            f"KaTeX not found in {KATEX_DIST}: run `make setup` (it runs `npm ci`) first"
        )
    return config


def on_files(files: Files, config: MkDocsConfig, **_: Any) -> Files:
    paths = [KATEX_DIST / name for name in KATEX_FILES]
    paths += sorted((KATEX_DIST / "fonts").glob("*.woff2"))
    for path in paths:
        uri = "assets/katex/" + path.relative_to(KATEX_DIST).as_posix()
        files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files
