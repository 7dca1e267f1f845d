"""A small content-addressed disk cache for expensive experiments.

markdown-exec runs every code block of the site at every build (and at every
`mkdocs serve` reload). Training runs and style-transfer optimisations take
seconds to minutes, so the functions behind them are wrapped in [`cached`][dlbasics.cache.cached]:

```python
from dlbasics.cache import cached

@cached
def train(lr: float, steps: int) -> dict: ...
```

The key of a result is a SHA-256 over

- the function's qualified name and its arguments,
- the source of the function's module **and of every `dlbasics` module it can reach**:
  the modules imported at the top of its module or inside the functions it calls,
  followed transitively (so editing `plotting.py` keeps style-transfer results, since only
  the `plot_*` functions of `style_transfer.py` import `plotting`),
- the torch and numpy versions.

The cache is **off** for library users: a cached function simply runs. It is on when
the environment variable `DLBASICS_CACHE_DIR` names a folder, or after
[`enable`][dlbasics.cache.enable]; the site's MkDocs hook switches it on for every build.
Writes are atomic (a temporary file renamed into place), so two builds may share a
folder; an unreadable entry is recomputed with a warning.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import inspect
import os
import pickle
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

import numpy as np

__all__ = [
    "CacheWarning",
    "cache_dir",
    "cache_key",
    "cached",
    "disable",
    "enable",
    "module_dependencies",
]

ENV_VAR = "DLBASICS_CACHE_DIR"

P = ParamSpec("P")
R = TypeVar("R")

_explicit_dir: Path | None = None
_explicitly_disabled = False


class CacheWarning(RuntimeWarning):
    """Issued when a cache entry cannot be read and is recomputed."""


def enable(path: str | os.PathLike[str] | None = None) -> Path:
    """Switch the cache on, in `path` or else in `$DLBASICS_CACHE_DIR` or `.cache/dlbasics`.

    Returns the folder in use (created if missing).
    """
    global _explicit_dir, _explicitly_disabled
    folder = Path(path or os.environ.get(ENV_VAR) or ".cache/dlbasics").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    _explicit_dir = folder
    _explicitly_disabled = False
    return folder


def disable() -> None:
    """Switch the cache off, even when `$DLBASICS_CACHE_DIR` is set."""
    global _explicit_dir, _explicitly_disabled
    _explicit_dir = None
    _explicitly_disabled = True


def cache_dir() -> Path | None:
    """The folder in use, or `None` when the cache is off."""
    if _explicitly_disabled:
        return None
    if _explicit_dir is not None:
        return _explicit_dir
    env = os.environ.get(ENV_VAR)
    return Path(env).resolve() if env else None


def _module_origin(name: str) -> str | None:
    # An imported module knows its file; find_spec (slow: it searches sys.path) is only
    # for modules not imported yet. The file is re-read every time: it may have changed.
    module = sys.modules.get(name)
    origin = getattr(module, "__file__", None)
    if origin is None:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
    return origin if origin and origin.endswith(".py") else None


def _module_source(name: str) -> str:
    origin = _module_origin(name)
    return Path(origin).read_text(encoding="utf-8") if origin else ""


@functools.lru_cache(maxsize=512)
def _imports_of(name: str, digest: str, source: str) -> frozenset[str]:
    # Keyed on the source's digest: parsing runs once per version of a module.
    return frozenset(_package_imports(name, source))


@functools.lru_cache(maxsize=1024)
def _reached_imports_cached(name: str, digest: str, source: str, function: str) -> frozenset[str]:
    return _reached_imports(name, source, function)


def _imports_in(nodes: list[ast.AST], name: str) -> set[str]:
    """Modules of `name`'s own top-level package imported anywhere inside `nodes`."""
    root = name.partition(".")[0]
    package = name.rpartition(".")[0] or name

    def ours(module: str) -> bool:
        return module == root or module.startswith(root + ".")

    found: set[str] = set()
    for node in (n for top in nodes for n in ast.walk(top)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if ours(alias.name))
        elif isinstance(node, ast.ImportFrom):
            relative = "." * node.level + (node.module or "")
            base = importlib.util.resolve_name(relative, package) if node.level else relative
            if not ours(base):
                continue
            found.add(base)
            for alias in node.names:  # `from dlbasics import plotting` imports a module
                candidate = f"{base}.{alias.name}"
                try:
                    if importlib.util.find_spec(candidate) is not None:
                        found.add(candidate)
                except (ImportError, ValueError):  # base is a module, so alias is a name
                    pass
    # The package's __init__ holds only the version; counting it would make every
    # release invalidate every result.
    found.discard(root)
    return found


def _package_imports(name: str, source: str) -> set[str]:
    """Modules of `name`'s own top-level package that the module `name` imports directly."""
    return _imports_in([ast.parse(source)], name)


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _reached_imports(name: str, source: str, function: str) -> frozenset[str]:
    """Imports that `function` of module `name` can reach: the module's top-level
    statements, and the bodies of the module's functions and classes it refers to,
    followed by name through the module. A function that imports a module lazily adds
    that module to the key of only the functions that call it (so the experiments of a
    page do not depend on the plotting code that only its `plot_*` functions import).
    """
    tree = ast.parse(source)
    definitions = {node.name: node for node in tree.body if isinstance(node, _DEFINITIONS)}
    top_level: list[ast.AST] = [n for n in tree.body if not isinstance(n, _DEFINITIONS)]
    todo = [function.partition(".")[0]]
    todo += [n.id for top in top_level for n in ast.walk(top) if isinstance(n, ast.Name)]
    reached: set[str] = set()
    while todo:
        current = todo.pop()
        if current in reached or current not in definitions:
            continue
        reached.add(current)
        todo += [n.id for n in ast.walk(definitions[current]) if isinstance(n, ast.Name)]
    nodes = top_level + [definitions[n] for n in sorted(reached)]
    return frozenset(_imports_in(nodes, name))


def module_dependencies(module_name: str, function: str | None = None) -> list[str]:
    """The module itself and every module of its package it imports, transitively, sorted.

    With `function` (a qualified name in that module), only the imports that function can
    reach count for the module itself (see `_reached_imports`); the modules it reaches
    count with all their imports.
    """
    seen: set[str] = {module_name}
    todo: list[str] = []
    source = _module_source(module_name)
    if source:
        digest = hashlib.sha256(source.encode()).hexdigest()
        if function is None:
            todo += _imports_of(module_name, digest, source)
        else:
            todo += _reached_imports_cached(module_name, digest, source, function)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        source = _module_source(name)
        if source:
            digest = hashlib.sha256(source.encode()).hexdigest()
            todo.extend(_imports_of(name, digest, source) - seen)
    return sorted(seen)


def _fingerprint(value: Any, h: Any) -> None:
    """Feed a stable description of `value` into the hash `h`."""
    if value is None or isinstance(value, bool | int | float | complex | str | bytes):
        h.update(f"{type(value).__name__}:{value!r};".encode())
    elif isinstance(value, tuple | list):
        h.update(f"{type(value).__name__}[{len(value)}](".encode())
        for item in value:
            _fingerprint(item, h)
        h.update(b")")
    elif isinstance(value, dict):
        h.update(f"dict[{len(value)}](".encode())
        for key in sorted(value, key=repr):
            _fingerprint(key, h)
            _fingerprint(value[key], h)
        h.update(b")")
    elif isinstance(value, np.ndarray):
        h.update(f"ndarray:{value.dtype.str}:{value.shape};".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        array = value.detach().cpu().contiguous()
        h.update(f"tensor:{array.dtype}:{tuple(array.shape)};".encode())
        h.update(array.view(-1).view(dtype=__import__("torch").uint8).numpy().tobytes())
    elif isinstance(value, np.generic):
        _fingerprint(value.item(), h)
    elif callable(value) and hasattr(value, "__qualname__"):
        h.update(f"callable:{value.__module__}.{value.__qualname__};".encode())
    else:
        raise TypeError(
            f"cached: cannot build a cache key from an argument of type {type(value).__name__}; "
            "pass numbers, strings, tuples, lists, dicts, arrays, tensors or functions"
        )


def _versions() -> str:
    torch = sys.modules.get("torch")
    torch_version = getattr(torch, "__version__", None)
    if torch_version is None:
        try:
            from importlib.metadata import version

            torch_version = version("torch")
        except Exception:  # pragma: no cover - torch is a core dependency
            torch_version = "absent"
    return f"torch={torch_version};numpy={np.__version__}"


def cache_key(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The hex digest under which `func(*args, **kwargs)` is stored."""
    h = hashlib.sha256()
    h.update(f"{func.__module__}.{func.__qualname__};".encode())
    bound = inspect.signature(func).bind(*args, **kwargs)
    bound.apply_defaults()
    _fingerprint(dict(bound.arguments), h)
    for name in module_dependencies(func.__module__, func.__qualname__):
        h.update(name.encode())
        h.update(hashlib.sha256(_module_source(name).encode()).digest())
    h.update(_versions().encode())
    return h.hexdigest()


def cached(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator: store `func`'s result on disk when the cache is on (see the module docs)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        folder = cache_dir()
        if folder is None:
            return func(*args, **kwargs)
        key = cache_key(func, args, kwargs)
        # One folder per module, so a module's results can be listed or dropped together.
        path = folder / func.__module__ / f"{key}.pkl"
        if path.exists():
            try:
                with path.open("rb") as f:
                    return cast(R, pickle.load(f))
            except Exception as error:  # a truncated or foreign file: recompute
                warnings.warn(
                    f"dlbasics cache: unreadable entry {path} ({error!r}); recomputing",
                    CacheWarning,
                    stacklevel=2,
                )
        result = func(*args, **kwargs)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pkl")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)  # atomic: a concurrent reader sees the old or the new file
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return result

    return wrapper
