"""What `mkdocs serve --dirty` keeps from one rebuild to the next.

`mkdocs serve` runs every rebuild in the same process but with a new configuration, so new
plugin objects and a freshly loaded hooks module each time. A dirty rebuild renders only the
pages whose source changed, which breaks three things this module mends:

- **Cross-references.** autorefs resolves `[name][dlbasics.x.name]` from the anchors that the
  rendered pages register; the API pages are not re-rendered, so their anchors are missing.
  The URL maps of the last build are saved to the cache folder and loaded into autorefs
  before a dirty rebuild renders.
- **The library.** An edit under `src/dlbasics/` changes no page, and the process still has
  the old modules imported. A rebuild compares the library's files with the last build's;
  when one changed, every `dlbasics` module is dropped from `sys.modules` (so the pages'
  blocks import the new code) and the pages that import a changed module, directly or
  through others, are rebuilt. Their results recompute only where their cache keys changed.
- **Search.** Material's search plugin merges a dirty rebuild's page into the previous index;
  the previous index is kept here, since its plugin object does not survive a rebuild.

A plain `mkdocs build` uses none of this: it renders every page and resolves every
reference itself.
"""

from __future__ import annotations

import ast
import hashlib
import json
import sys
import types
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import notebooks  # a sibling module, not an installed package

#: One object per process: survives the rebuilds (the hooks module does not).
STATE: Any = sys.modules.setdefault("_dlbasics_serve_state", types.ModuleType("_serve"))
AUTOREFS = ".autorefs.json"
_MAPS = ("_primary_url_map", "_secondary_url_map", "_title_map", "_abs_url_map")


def start(dirty: bool) -> None:
    """Called once, when `mkdocs serve` starts."""
    STATE.dirty = dirty
    STATE.digests = None
    STATE.changed = set()


def dirty() -> bool:
    return bool(getattr(STATE, "dirty", False))


def rebuilding() -> bool:
    """Whether this is a rebuild after an edit (the server has built the site once)."""
    return getattr(STATE, "digests", None) is not None and getattr(STATE, "built", False)


def built() -> None:
    STATE.built = True


def _library_digests(src: Path) -> dict[str, str]:
    out = {}
    for path in sorted(src.rglob("*.py")):
        parts = path.relative_to(src.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def reload_changed_library(src: Path) -> set[str]:
    """The library modules changed since the last rebuild; drops every `dlbasics` module
    from `sys.modules` when there is one, so that the next import reads the new code."""
    now = _library_digests(src)
    before = getattr(STATE, "digests", None)
    STATE.digests = now
    if before is None:
        STATE.changed = set()
        return set()
    changed = {name for name in set(now) | set(before) if now.get(name) != before.get(name)}
    if changed:
        for name in [m for m in sys.modules if m == "dlbasics" or m.startswith("dlbasics.")]:
            del sys.modules[name]
    STATE.changed = changed
    return changed


def changed_library() -> set[str]:
    return set(getattr(STATE, "changed", set()))


def _imported(source: str, package: str = "dlbasics") -> set[str]:
    """The modules of `package` that Python source imports (statement by statement)."""
    found: set[str] = set()
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return found
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.partition(".")[0] == package}
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and not node.level
            and node.module.partition(".")[0] == package
        ):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


_IMPORTS: dict[tuple[str, str], set[str]] = {}


def _imports_of(name: str, digest: str, src: Path) -> set[str]:
    """The library modules that module `name` imports (memoised on its source digest)."""
    key = (name, digest)
    if key not in _IMPORTS:
        path = src.parent.joinpath(*name.split("."))
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        source = path.read_text(encoding="utf-8")
        found = _imported(source)
        # a package's relative imports name its submodules, a module's its siblings
        parent = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found |= {f"{parent}.{n}" for n in _relative_names(source)}
        _IMPORTS[key] = found
    return _IMPORTS[key]


def reachable(
    modules: set[str],
    src: Path,
    digests: dict[str, str] | None = None,
    *,
    packages: bool = False,
) -> set[str]:
    """`modules` and every library module they import, at any depth, as far as files exist;
    with `packages`, also the packages above each (importing a module runs their
    `__init__`). `digests`: the library's `_library_digests`, if already read."""
    if digests is None:
        digests = _library_digests(src)
    todo, seen = [m for m in modules if m in digests], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if packages:
            parts = name.split(".")
            todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        todo += [m for m in _imports_of(name, digests[name], src) if m in digests]
    return seen


def _relative_names(source: str) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            out.add(node.module)
    return out


def pages_using(docs_dir: Path, pages: list[str], changed: set[str], src: Path) -> set[str]:
    """The pages whose blocks (or `::: module` directives) reach a changed module."""
    out = set()
    digests = _library_digests(src)
    for page in pages:
        markdown = (docs_dir / page).read_text(encoding="utf-8")
        imported: set[str] = set()
        for cell in notebooks.split_cells(markdown):
            if cell.kind == "code":
                imported |= _imported(cell.source)
        for line in markdown.splitlines():
            if line.startswith("::: dlbasics"):
                imported.add(line[4:].strip())
        if reachable(imported, src, digests) & changed:
            out.add(page)
    return out


def save_autorefs(plugin: Any, folder: Path) -> None:
    data = {name: getattr(plugin, name, {}) for name in _MAPS}
    (folder / AUTOREFS).write_text(json.dumps(data, sort_keys=True), encoding="utf-8")


def restore_autorefs(plugin: Any, folder: Path) -> int:
    """Load the last build's anchors into autorefs (the pages rendered now add theirs)."""
    try:
        data = json.loads((folder / AUTOREFS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    for name in _MAPS:
        target = getattr(plugin, name, None)
        if isinstance(target, dict):
            for key, value in data.get(name, {}).items():
                target.setdefault(key, value)
    return len(data.get("_primary_url_map", {}))


def stash_search(plugin: Any) -> None:
    STATE.search_index = getattr(plugin, "search_index", None)


def restore_search(plugin: Any) -> None:
    previous = getattr(STATE, "search_index", None)
    if previous is not None and hasattr(plugin, "search_index_prev"):
        plugin.search_index_prev = previous
