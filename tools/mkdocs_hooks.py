"""MkDocs hooks for the site.

- Switches on the experiment cache (`dlbasics.cache`) for every build and `mkdocs serve`
  reload, so executed blocks reuse results whose code has not changed; every result it
  computes is traced (`check=True`).
- Makes figures files (`dlbasics.plotting.figures_as_files`): the figure functions write
  them, content-addressed, into the cache folder and return `dlb-asset:NAME` URLs, which
  `on_page_content` rewrites for the page and `on_post_build` copies into the site.
- Runs page code on one thread (the prefill workers do too), whatever the environment.
- Renders the math at build time (tools/katex_render.py: KaTeX in one Node process per
  build, cached by TeX), after the search plugin indexed the page; the reader's browser
  typesets nothing. KaTeX's CSS and fonts come from the npm package `katex` installed by
  `make setup` into `node_modules/`, and are added to the build as generated files
  (nothing third-party is committed, nothing is requested from a CDN).
- Generates a Jupyter notebook and a Python script from every page with executed
  blocks, and links them at the top of that page.
- Serves unchanged pages that run code from the page cache (tools/page_cache.py): a warm
  build converts only what changed.
- States in the footer the versions that produced the numbers, and the source commit.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

sys.path.insert(0, str(Path(__file__).resolve().parent))
import katex_render
import notebooks  # a sibling module, not an installed package
import page_cache
import page_conventions
import prefill
import reader_a11y
import serve_state

log = logging.getLogger("mkdocs.hooks.dlbasics")

ROOT = Path(__file__).resolve().parent.parent
KATEX_DIST = ROOT / "node_modules" / "katex" / "dist"
KATEX_FILES = ("katex.min.css",)
DOWNLOADS = "downloads"
LIBRARY = ROOT / "src" / "dlbasics"


def _git(*args: str) -> str | None:
    """The output of `git ARGS` in the project, or None outside a git checkout."""
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def _source_commit() -> str | None:
    return _git("rev-parse", "--short=12", "HEAD")


def _source_date() -> str | None:
    """The source commit's time (Unix seconds), for SOURCE_DATE_EPOCH."""
    return _git("log", "-1", "--format=%ct")


def on_startup(command: str, dirty: bool, **_: Any) -> None:
    if command == "serve":
        serve_state.start(dirty)


def on_config(config: MkDocsConfig, **_: Any) -> MkDocsConfig:
    os.environ.setdefault("MPLBACKEND", "Agg")
    # Page code that no cached experiment pins runs on one thread, as in the prefill workers:
    # its numbers (the rounding of a parallel float reduction) must not depend on the cores
    # or on OMP_NUM_THREADS, or a page stored by one build would differ from a conversion in
    # another. Set before torch is imported (it reads it then); cached experiments still
    # pin their own count.
    os.environ["OMP_NUM_THREADS"] = "1"
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    # MkDocs dates the sitemap with the build date unless SOURCE_DATE_EPOCH is set: the
    # commit's date instead, so that two builds of one commit give the same bytes on any day.
    date = _source_date()
    if date and "SOURCE_DATE_EPOCH" not in os.environ:
        os.environ["SOURCE_DATE_EPOCH"] = date
    if serve_state.dirty():  # before importing dlbasics: an edited module is re-imported
        changed = serve_state.reload_changed_library(LIBRARY)
        if changed:
            log.info("library changed: %s", ", ".join(sorted(changed)))
    import dlbasics.cache

    cache = os.environ.get("DLBASICS_CACHE_DIR") or ROOT / ".cache" / "dlbasics"
    folder = dlbasics.cache.enable(cache, check=True)  # trace every result computed
    log.info("dlbasics experiment cache: %s", folder)
    import dlbasics.plotting

    dlbasics.plotting.figures_as_files(folder / "assets")
    from mkdocs.structure.pages import Page

    if not hasattr(Page.render, "__wrapped__"):  # once per process (`mkdocs serve` rebuilds)
        Page.render = page_cache.wrap_render(  # type: ignore[method-assign]
            Page.render, lambda: _pages, lambda: _autorefs
        )
    if not (KATEX_DIST / "katex.min.css").exists():
        raise PluginError(
            f"KaTeX not found in {KATEX_DIST}: run `make setup` (it runs `npm ci`) first"
        )
    # No date here: two builds of one commit must give the same bytes.
    produced = (
        f"Numbers and figures computed by this build with dlbasics {version('dlbasics')}, "
        f"torch {version('torch')}, numpy {version('numpy')}"
    )
    commit = _source_commit()
    if commit:
        produced += f", from source commit <code>{commit}</code>"
    config.copyright = f"{config.copyright or ''}<br>{produced}."
    return config


FIGURES = "assets/figures"
# an image's src, or a frame's URL in an explorable's JSON (an attribute, so its quotes are
# escaped): always quoted
_ASSET_URL = re.compile(
    r'(?:(?<=")|(?<=&quot;))dlb-asset:([0-9a-f]{24}\.(?:svg|png|webp))(?="|&quot;)'
)
_assets_used: set[str] = set()


_page_calls: dict[str, set[tuple[str, str]]] = {}
#: Page URL → the ids of its exercises, for the home page's progress list (exercises.json).
_exercises: dict[str, list[str]] = {}
#: Page source → the exercises its blocks asked (`dlbasics.exercises.asked()`): the downloads'
#: question cells. Generated before the pages run (on_files), the downloads are written again
#: after the build with the questions of this build (a `make serve` keeps the last ones).
_asked: dict[str, dict[str, Any]] = {}
# an exercise's box; Markdown sorts a tag's attributes, so the id comes after the data-*
_EXERCISE_ID = re.compile(r'<div class="dlb-exercise"[^>]*? id="(exercise-[a-z0-9-]+)"')
#: Page source → (Markdown, title, URL, download stem) of the pages with downloads.
_download_sources: dict[str, tuple[str, str, str, str]] = {}


#: This build's page cache (None when off), and the autorefs plugin whose anchors it replays.
_pages: page_cache.PageCache | None = None
_autorefs: Any = None


def on_pre_build(config: MkDocsConfig, **_: Any) -> None:
    """Fill the cache for the pages whose results are missing, in a pool (see prefill.py);
    a page the page cache holds needs none of its results."""
    global _pages, _autorefs
    import dlbasics.cache
    import dlbasics.plotting

    folder = dlbasics.cache.cache_dir()
    assert folder is not None
    docs = Path(config.docs_dir)
    pages = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*.md"))
    _autorefs = config.plugins.get("autorefs")
    _pages = None
    if page_cache.enabled():
        assets = dlbasics.plotting._asset_dir
        assert assets is not None
        site = page_cache.site_digest(Path(config.config_file_path), [*pages, CLAIMS_PAGE])
        _pages = page_cache.PageCache(folder / page_cache.FOLDER, site, assets)
    if serve_state.dirty() and serve_state.rebuilding():
        return  # an author's edit under `mkdocs serve`: it recomputes only what it touches
    if _pages is not None:
        stored = set()
        for page in pages:
            source = (docs / page).read_text(encoding="utf-8")
            if page_cache.cacheable(source) and _pages.has(_pages.key(page, source)):
                stored.add(page)
        pages = [p for p in pages if p not in stored]
    prefill.prefill(docs, pages, folder, log)


CLAIMS_PAGE = "claims.md"
_blocks: dict[str, list[dict[str, Any]]] = {}


def on_page_content(html: str, page: Page, **_: Any) -> str:
    """`dlb-asset:NAME` (a figure file) becomes the file's URL relative to the page; figures
    are numbered; the cached functions the page called are recorded for the next prefill."""
    import dlbasics.cache

    _page_calls[page.file.src_uri] = set(dlbasics.cache.calls())
    _exercises[page.url] = _EXERCISE_ID.findall(html)
    import dlbasics.exercises

    asked = dlbasics.exercises.asked(clear=True)
    if asked:
        _asked[page.file.src_uri] = asked
    dlbasics.cache.calls().clear()
    html, _ = page_conventions.number_figures(html)
    prefix = "../" * page.url.count("/") + FIGURES + "/"

    def relative(match: re.Match[str]) -> str:
        _assets_used.add(match.group(1))
        return prefix + match.group(1)

    return _ASSET_URL.sub(relative, html)


def on_post_build(config: MkDocsConfig, **_: Any) -> None:
    """Copy the figure files the pages reference into the site; write the prefill manifest."""
    import dlbasics.cache
    import dlbasics.plotting

    folder = dlbasics.cache.cache_dir()
    assert folder is not None
    listing = {url: ids for url, ids in sorted(_exercises.items()) if ids}
    (Path(config.site_dir) / "exercises.json").write_text(
        json.dumps(listing, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    _write_downloads(Path(config.site_dir) / DOWNLOADS, only=set(_asked))
    used = {page: calls for page, calls in _page_calls.items() if calls}
    prefill.write_manifest(folder, Path(config.docs_dir), used)
    import dlbasics.claims

    page_conventions.write_report(config.site_dir, dlbasics.claims.claims(), _blocks)
    if "autorefs" in config.plugins:
        serve_state.save_autorefs(config.plugins["autorefs"], folder)
    if "material/search" in config.plugins:
        serve_state.stash_search(config.plugins["material/search"])
    serve_state.built()
    if _pages is not None and (_pages.hits or _pages.stored):
        log.info(
            "page cache: %d pages served, %d converted and stored",
            len(_pages.hits),
            len(_pages.stored),
        )

    store = dlbasics.plotting.figures_as_files(dlbasics.plotting._asset_dir)
    assert store is not None
    target = Path(config.site_dir) / FIGURES
    target.mkdir(parents=True, exist_ok=True)
    for name in sorted(_assets_used):
        source = store / name
        if not source.exists():
            raise PluginError(f"figure file {name} is referenced by a page but missing in {store}")
        destination = target / name
        if not destination.exists():
            shutil.copyfile(source, destination)


# Math rendered at build time: read every page's formulas once all pages are converted
# (on_env), render the ones not cached in one Node process, and put the HTML into each page
# after the search plugin has indexed it (on_post_page). See tools/katex_render.py.
_math: katex_render.Renderer | None = None


def on_env(env: Any, config: MkDocsConfig, files: Files, **_: Any) -> Any:
    global _math
    import dlbasics.cache

    folder = dlbasics.cache.cache_dir()
    assert folder is not None
    _math = katex_render.Renderer(folder / "katex" / "formulas.json")
    search = config.plugins.get("material/search")
    index = getattr(search, "search_index", None)
    if index is not None and page_cache.enabled():
        page_cache.cache_search(index, folder / page_cache.SEARCH_FOLDER)
    for file in files.documentation_pages():
        if file.page is not None and file.page.content is not None:
            _math.collect(file.page.content, file.src_uri)
    try:
        rendered = _math.render_missing()
    except katex_render.MathError as error:
        raise PluginError(str(error)) from None
    if rendered:
        log.info("KaTeX rendered %d formulas not in its cache", rendered)
    return env


def on_post_page(output: str, page: Page, **_: Any) -> str:
    if _math is None:
        raise PluginError("math renderer not set up (on_env did not run)")
    try:
        output = _math.substitute(output, page.file.src_uri)
        katex_url = "../" * page.url.count("/") + "assets/katex"
        output = katex_render.preload_fonts(output, katex_url)
        return reader_a11y.fix_page(output, page.file.src_uri)
    except (katex_render.MathError, reader_a11y.MarkupChanged) as error:
        raise PluginError(str(error)) from None


def _has_executed_blocks(markdown: str) -> bool:
    return any(cell.kind == "code" for cell in notebooks.split_cells(markdown))


def _download_stem(src_uri: str) -> str:
    return src_uri.removesuffix(".md").replace("/", "-")


def _dirty_rebuild(files: Files, config: MkDocsConfig) -> None:
    """Under `mkdocs serve --dirty`: keep the cross-references and the search index of the
    pages not rebuilt, and rebuild the pages that use an edited library module."""
    import dlbasics.cache

    folder = dlbasics.cache.cache_dir()
    assert folder is not None
    if "autorefs" in config.plugins:
        serve_state.restore_autorefs(config.plugins["autorefs"], folder)
    if "material/search" in config.plugins:
        serve_state.restore_search(config.plugins["material/search"])
    changed = serve_state.changed_library()
    if not changed:
        return
    pages = {f.src_uri: f for f in files.documentation_pages()}
    stale = serve_state.pages_using(Path(config.docs_dir), sorted(pages), changed, LIBRARY)
    for uri in sorted(stale):
        pages[uri].is_modified = lambda: True  # type: ignore[method-assign]
    log.info("rebuilding the pages that use it: %s", ", ".join(sorted(stale)) or "none")


def _downloads(uri: str) -> dict[str, str]:
    """The page's download files (name → text), with the exercises' questions as asked."""
    markdown, title, url, stem = _download_sources[uri]
    asked = _asked.get(uri)
    return {
        f"{stem}.ipynb": notebooks.to_notebook(
            markdown, title=title, page_url=url, exercises=asked
        ),
        f"{stem}.py": notebooks.to_script(markdown, title=title, page_url=url, exercises=asked),
    }


def _write_downloads(folder: Path, only: set[str]) -> None:
    for uri in sorted(only & set(_download_sources)):
        for name, text in _downloads(uri).items():
            path = folder / name
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")


def on_files(files: Files, config: MkDocsConfig, **_: Any) -> Files:
    if serve_state.dirty():
        _dirty_rebuild(files, config)
    paths = [KATEX_DIST / name for name in KATEX_FILES]
    paths += sorted((KATEX_DIST / "fonts").glob("*.woff2"))
    for path in paths:
        uri = "assets/katex/" + path.relative_to(KATEX_DIST).as_posix()
        files.append(File.generated(config, uri, abs_src_path=str(path)))

    for page in list(files.documentation_pages()):
        assert page.abs_src_path is not None
        markdown = Path(page.abs_src_path).read_text(encoding="utf-8")
        if not _has_executed_blocks(markdown):
            continue
        stem = _download_stem(page.src_uri)
        title = next(
            (line[2:].strip() for line in markdown.splitlines() if line.startswith("# ")), stem
        )
        url = (config.site_url or "") + page.url
        _download_sources[page.src_uri] = (markdown, title, url, stem)
        for name, text in _downloads(page.src_uri).items():
            files.append(File.generated(config, f"{DOWNLOADS}/{name}", content=text))
    # The claims page is generated, and appended last so that MkDocs renders it last.
    files.append(File.generated(config, CLAIMS_PAGE, content="# Claims checked by this build\n"))
    return files


def on_page_markdown(markdown: str, page: Page, files: Files, **_: Any) -> str:
    import dlbasics.cache
    import dlbasics.claims

    dlbasics.cache.calls().clear()  # what this page's blocks call is recorded from here
    uri = page.file.src_uri
    if uri == CLAIMS_PAGE:  # rendered last: every other page's claims are in
        titles = {
            f.src_uri: f.page.title
            for f in files.documentation_pages()
            if f.page is not None and f.page.title
        }
        return page_conventions.claims_markdown(dlbasics.claims.claims(), titles)
    dlbasics.claims.forget(uri)
    markdown, _blocks[uri] = page_conventions.locate_blocks(markdown, uri)
    stem = _download_stem(page.file.src_uri)
    if files.get_file_from_path(f"{DOWNLOADS}/{stem}.ipynb") is None:
        return markdown
    depth = page.file.src_uri.count("/")
    prefix = "../" * depth + DOWNLOADS
    links = (
        f'<div class="dlb-downloads" markdown>'
        f"[:material-notebook-outline: Notebook]({prefix}/{stem}.ipynb){{ .md-button download }} "
        f"[:material-language-python: Script]({prefix}/{stem}.py){{ .md-button download }}"
        f"</div>\n\n"
    )
    lines = markdown.split("\n")
    for index, line in enumerate(lines):
        if line.startswith("# "):
            lines.insert(index + 1, "\n" + links)
            break
    else:
        lines.insert(0, links)
    return "\n".join(lines)
