"""`make serve` for an author: a prose edit and a library edit show up, links intact.

The server runs on a copy of the project (docs, library, tools, configuration) in a
temporary folder, so the edits touch nothing here; it reads the experiment cache of
`make build`, so its first build is warm.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("DLBASICS_CACHE_DIR", ROOT / ".cache" / "dlbasics"))

pytestmark = [pytest.mark.site, pytest.mark.slow]

#: Cross-references of the focal-loss page, as the build renders them, and as raw text.
LINK = re.compile(r'<a class="autorefs autorefs-internal"[^>]*href="[^"]*reference/focal_loss/')
_RAW = re.compile(r"\]\[dlbasics\.[\w.]+\]")
_CODE = re.compile(r"<pre\b.*?</pre>", re.S)


class RAW:
    """An unresolved cross-reference in a page's text (a worked solution's source listing may
    show the syntax inside a docstring, in code, where it is meant literally)."""

    @staticmethod
    def search(html: str) -> re.Match[str] | None:
        return _RAW.search(_CODE.sub("", html))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode("utf-8"))


def wait_for(url: str, predicate: object, timeout: float) -> str:
    """Poll `url` until `predicate(html)` holds; the HTML."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            last = fetch(url)
            if predicate(last):  # type: ignore[operator]
                return last
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never showed the change within {timeout:.0f} s")


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    if not CACHE.exists():
        pytest.skip("run `make build` first (the server reuses its cache)")
    copy = tmp_path / "project"
    for name in ("docs", "tools"):
        shutil.copytree(ROOT / name, copy / name)
    shutil.copytree(ROOT / "src", copy / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    (copy / "node_modules").symlink_to(ROOT / "node_modules")
    yield copy


def test_serve_shows_prose_and_library_edits_with_links(project: Path) -> None:
    port = free_port()
    env = dict(
        os.environ,
        DLBASICS_CACHE_DIR=str(CACHE),
        PYTHONPATH=str(project / "src"),  # the copy's library, not the installed one
        NO_MKDOCS_2_WARNING="1",
    )
    cmd = [sys.executable, "-m", "mkdocs", "serve", "--dirty", "-a", f"127.0.0.1:{port}"]
    log = (project / "serve.log").open("w")
    server = subprocess.Popen(cmd, cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/dlbasics/focal-loss/"
    try:
        first = wait_for(url, lambda html: "dlb-figure" in html, timeout=300)
        assert LINK.search(first) and not RAW.search(first)

        # A prose edit: the page shows it, and its cross-references are still links.
        page = project / "docs" / "focal-loss.md"
        page.write_text(
            page.read_text(encoding="utf-8").replace(
                "## 100,000 boxes", "A sentence added by the test.\n\n## 100,000 boxes", 1
            ),
            encoding="utf-8",
        )
        edited = wait_for(url, lambda html: "A sentence added by the test." in html, 60)
        assert LINK.search(edited), "cross-references lost after a prose edit"
        assert not RAW.search(edited), RAW.search(edited)
        nav = re.findall(r'class="md-nav__link', edited)
        assert len(nav) > 20, "navigation lost after a prose edit"

        # A library edit: the figure function's new text shows up on the page using it.
        figures = project / "src" / "dlbasics" / "focal_loss" / "figures.py"
        source = figures.read_text(encoding="utf-8")
        assert '"Focal loss against p_t' in source
        figures.write_text(
            source.replace('"Focal loss against p_t', '"Focal loss (edited) against p_t'),
            encoding="utf-8",
        )
        redrawn = wait_for(url, lambda html: "Focal loss (edited) against p_t" in html, 120)
        assert LINK.search(redrawn) and not RAW.search(redrawn)
        assert "A sentence added by the test." in redrawn
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    output = (project / "serve.log").read_text(encoding="utf-8")
    assert "Could not find cross-reference target" not in output, output[-2000:]
