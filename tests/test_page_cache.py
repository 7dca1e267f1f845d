"""tools/page_cache.py: what a stored page's key covers, and what a hit replays.

The whole-site check, that a build from stored pages gives the same bytes as one that
converts every page, is in test_reproducible.py.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import page_cache  # noqa: E402  (a build helper, not an installed module)
import serve_state  # noqa: E402

LIBRARY = ROOT / "src" / "dlbasics"


def test_only_pages_that_run_code_and_have_no_api_directive_are_stored() -> None:
    assert page_cache.cacheable('# A\n\n```python exec="true"\nprint(1)\n```\n')
    assert not page_cache.cacheable("# A\n\nJust prose.\n")
    assert not page_cache.cacheable('::: dlbasics.optimizers\n\n```python exec="true"\n```\n')


def test_a_page_reaches_what_it_names_and_what_that_imports() -> None:
    digests = serve_state._library_digests(LIBRARY)
    page = "```python\nfrom dlbasics.batch_norm.figures import plot_conv\n```"
    reached = page_cache.library_modules(page, digests)
    # the module, its package, what it imports (plotting), and what those import (cache)
    assert {"dlbasics", "dlbasics.batch_norm", "dlbasics.batch_norm.figures"} <= reached
    assert {"dlbasics.plotting", "dlbasics.cache"} <= reached
    assert "dlbasics.focal_loss.figures" not in reached


def _tree(tmp_path: Path) -> Path:
    src = tmp_path / "dlbasics"
    (src / "a").mkdir(parents=True)
    (src / "__init__.py").write_text("")
    (src / "a" / "__init__.py").write_text("from .b import f\n")
    (src / "a" / "b.py").write_text("def f():\n    import dlbasics.c\n    return 1\n")
    (src / "c.py").write_text("X = 1\n")
    (src / "d.py").write_text("Y = 2\n")
    return src


def test_the_key_changes_with_the_page_and_with_the_code_it_reaches_only(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    page = "```python\nfrom dlbasics.a import f\n```"

    def key(text: str = page, site: str = "site") -> str:
        return page_cache.page_key(site, "p.md", text, serve_state._library_digests(src), src)

    first = key()
    assert key() == first
    assert key(page + "\nMore prose.") != first
    assert key(site="another site") != first
    (src / "d.py").write_text("Y = 3\n")  # not reached
    assert key() == first
    (src / "c.py").write_text("X = 2\n")  # reached through an import inside a function
    assert key() != first


def test_the_site_digest_covers_config_page_list_and_tools(tmp_path: Path) -> None:
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: x\n")
    first = page_cache.site_digest(config, ["a.md", "b.md"])
    assert page_cache.site_digest(config, ["b.md", "a.md"]) == first
    assert page_cache.site_digest(config, ["a.md"]) != first
    config.write_text("site_name: y\n")
    assert page_cache.site_digest(config, ["a.md", "b.md"]) != first


class _Autorefs:
    def __init__(self) -> None:
        self.anchors: list[tuple[Any, ...]] = []

    def register_anchor(self, page: Any, identifier: str, **kwargs: Any) -> None:
        self.anchors.append((page.file.src_uri, identifier, kwargs))


def _page(source: Path) -> Any:
    file = SimpleNamespace(abs_src_path=str(source), src_uri="p.md")
    return SimpleNamespace(
        file=file, url="p/", content=None, toc=[], present_anchor_ids=None, links_to_anchors=None
    )


@pytest.fixture
def stored(tmp_path: Path) -> Any:
    source = tmp_path / "p.md"
    source.write_text('# P\n\n```python exec="true"\nprint(1)\n```\n')
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / ("a" * 24 + ".svg")).write_text("<svg/>")
    cache = page_cache.PageCache(tmp_path / "pages", "site", assets)
    return SimpleNamespace(source=source, assets=assets, cache=cache)


def test_a_hit_sets_what_render_sets_and_replays_the_pages_effects(stored: Any) -> None:
    import dlbasics.cache
    import dlbasics.claims
    import dlbasics.exercises

    autorefs = _Autorefs()
    calls = []

    def convert(page: Any, config: Any, files: Any) -> None:
        calls.append(page)
        page.content = f'<p>{len(calls)}</p><img src="dlb-asset:{"a" * 24}.svg">'
        page.toc = ["toc"]
        page._title_from_render = "P"
        page.present_anchor_ids = {"p"}
        page.links_to_anchors = {}
        dlbasics.cache.calls().add(("dlbasics.x", "f"))
        dlbasics.claims._claims.append(claim)
        dlbasics.exercises._asked["q"] = asked
        autorefs.register_anchor(page, "p", title="P", primary=True)

    claim = dlbasics.claims.Claim("a claim", True, {}, "p.md", "s", "S", 1)
    asked = {"kind": "numeric", "question": "Q?", "options": []}
    render = page_cache.wrap_render(convert, lambda: stored.cache, lambda: autorefs)
    dlbasics.cache.calls().clear()
    first = _page(stored.source)
    render(first, None, None)
    dlbasics.claims.forget("p.md")  # as the hooks do before a page is rendered again
    dlbasics.exercises.asked(clear=True)
    assert stored.cache.stored == ["p.md"] and len(calls) == 1

    dlbasics.cache.calls().clear()
    again = _page(stored.source)
    render(again, None, None)
    assert len(calls) == 1, "a stored page was converted again"
    assert stored.cache.hits == ["p.md"]
    assert again.content == first.content and again.toc == ["toc"]
    assert again._title_from_render == "P" and again.present_anchor_ids == {"p"}
    assert ("dlbasics.x", "f") in dlbasics.cache.calls()
    assert autorefs.anchors[-1] == ("p.md", "p", {"title": "P", "primary": True})
    assert dlbasics.claims.claims("p.md") == [claim]
    assert dlbasics.exercises.asked(clear=True) == {
        "q": {"kind": "numeric", "question": "Q?", "options": []}
    }
    dlbasics.claims.forget("p.md")

    # a figure file gone: converted again
    (stored.assets / ("a" * 24 + ".svg")).unlink()
    render(_page(stored.source), None, None)
    assert len(calls) == 2
    # the page edited: converted again
    (stored.assets / ("a" * 24 + ".svg")).write_text("<svg/>")
    stored.source.write_text(stored.source.read_text() + "\nMore.\n")
    render(_page(stored.source), None, None)
    assert len(calls) == 3


def test_a_page_that_warned_is_never_stored(stored: Any) -> None:
    def convert(page: Any, config: Any, files: Any) -> None:
        page.content, page.toc, page._title_from_render = "<p>x</p>", [], "P"
        logging.getLogger("mkdocs.plugins.test").warning("a broken link")

    render = page_cache.wrap_render(convert, lambda: stored.cache, lambda: None)
    render(_page(stored.source), None, None)
    assert stored.cache.stored == []
    assert not list(stored.cache.folder.glob("*.pkl"))


def test_search_entries_are_reused_while_the_page_is_unchanged(tmp_path: Path) -> None:
    made = []

    class Index:
        def __init__(self) -> None:
            self.entries: list[dict[str, str]] = []

        def add_entry_from_context(self, page: Any) -> None:
            made.append(page.url)
            self.entries.append({"location": page.url, "title": page.title, "text": page.content})

    def page(content: str) -> Any:
        return SimpleNamespace(url="p/", title="P", meta={}, toc=[], content=content)

    for expected in (1, 1):  # a second build reuses the first one's entries
        index = Index()
        page_cache.cache_search(index, tmp_path)
        index.add_entry_from_context(page("<p>one</p>"))
        assert index.entries == [{"location": "p/", "title": "P", "text": "<p>one</p>"}]
        assert len(made) == expected
    index = Index()
    page_cache.cache_search(index, tmp_path)
    index.add_entry_from_context(page("<p>two</p>"))
    assert len(made) == 2 and index.entries[0]["text"] == "<p>two</p>"
