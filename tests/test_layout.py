"""The layer rules of the topic packages, read from the source's AST.

Data flows one way: algorithm → experiments → figures → page. Each topic package
`dlbasics/<topic>/` holds

- the algorithm: `__init__.py` (and any sibling it re-exports from, such as
  `style_transfer/features.py`), what a programmer imports;
- `experiments.py`: the page's cached experiments, returning plain data;
- `figures.py`: experiment data in, HTML or Markdown out;
- optionally `cli.py`: a command line over the algorithm.

A failure names the file, the line and what it imports or calls.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "dlbasics"
TOPICS = sorted(p.parent.name for p in SRC.glob("*/__init__.py"))
PAGE_MODULES = ("experiments", "figures")
#: What only the page's code may use: the cache, exercises, the figures' helpers, training.
PAGE_ONLY = ("dlbasics.cache", "dlbasics.exercises", "dlbasics.plotting", "dlbasics.training")


@dataclass(frozen=True)
class Import:
    module: str  # the absolute module imported from
    names: tuple[str, ...]  # the names imported (empty for `import x`)
    line: int


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[Import]:
    """Every import in the file, at any depth (lazy imports inside functions count)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path.parent)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, (), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names = tuple(alias.name for alias in node.names)
            found.append(Import(module, names, node.lineno))
    return found


def _imported_modules(imp: Import) -> set[str]:
    """The modules an import statement brings in: `from dlbasics.x import figures` imports
    the module `dlbasics.x.figures`."""
    out = {imp.module}
    out |= {f"{imp.module}.{name}" for name in imp.names if name in PAGE_MODULES}
    out |= {f"{imp.module}.{name}" for name in imp.names if f"dlbasics.{name}" in PAGE_ONLY}
    return out


def _algorithm_files(topic: str) -> list[Path]:
    return [p for p in sorted((SRC / topic).glob("*.py")) if p.stem not in (*PAGE_MODULES, "cli")]


def _page_module(module: str) -> bool:
    """A topic's experiments or figures module (or something inside it)."""
    parts = module.split(".")
    return len(parts) >= 3 and parts[0] == "dlbasics" and parts[2] in PAGE_MODULES


def _decorators(node: ast.AST) -> list[str]:
    return [ast.unparse(d) for d in getattr(node, "decorator_list", [])]


def test_there_are_five_topic_packages() -> None:
    assert TOPICS == ["batch_norm", "focal_loss", "gradients", "optimizers", "style_transfer"]


@pytest.mark.parametrize("topic", TOPICS)
def test_the_algorithm_imports_no_page_code(topic: str) -> None:
    """No experiments or figures (its own or another topic's), no plotting, cache or
    training helper in an algorithm module."""
    offences = []
    for path in _algorithm_files(topic):
        for imp in _imports(path):
            for module in _imported_modules(imp):
                if _page_module(module) or module in PAGE_ONLY:
                    offences.append(f"{path.relative_to(SRC.parent)}:{imp.line} imports {module}")
    assert not offences, "the algorithm must not import page code:\n" + "\n".join(offences)


@pytest.mark.parametrize("topic", TOPICS)
def test_experiments_import_no_figures(topic: str) -> None:
    path = SRC / topic / "experiments.py"
    offences = [
        f"{path.relative_to(SRC.parent)}:{imp.line} imports {module}"
        for imp in _imports(path)
        for module in _imported_modules(imp)
        if module.endswith(".figures") or module == "dlbasics.plotting"
    ]
    assert not offences, "experiments return data; drawing belongs in figures.py:\n" + "\n".join(
        offences
    )


def test_cached_experiments_live_only_in_experiments_modules() -> None:
    """`@cached` outside `experiments.py` is allowed only on a figure's rendering."""
    offences = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "experiments.py" or path.name == "cache.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not any("cached" in d for d in _decorators(node)):
                continue
            name = getattr(node, "name", "?")
            if path.name == "figures.py" and name.startswith(("plot_", "table_", "text_")):
                continue  # rendering a figure is cached so that a warm build draws nothing
            offences.append(f"{path.relative_to(SRC.parent)}:{node.lineno} caches {name}")
    assert not offences, "a cached experiment belongs in an experiments.py:\n" + "\n".join(offences)


#: What a figure must not do: train, step an optimiser, or run an experiment.
FORBIDDEN_CALLS = ("backward", "step", "zero_grad", "fit", "trajectory", "transfer_style")


@pytest.mark.parametrize("topic", TOPICS)
def test_figures_train_nothing_and_take_their_data_as_arguments(topic: str) -> None:
    path = SRC / topic / "figures.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = path.relative_to(SRC.parent)
    offences = []
    for imp in _imports(path):
        if imp.module in ("dlbasics.training", "torch.optim") or (
            imp.module.startswith("dlbasics.optimizers") and topic != "optimizers"
        ):
            offences.append(f"{where}:{imp.line} imports {imp.module}")
        if imp.module.endswith(".experiments"):
            experiments = importlib.import_module(imp.module)
            for name in imp.names:
                if hasattr(getattr(experiments, name, None), "__wrapped__"):
                    offences.append(f"{where}:{imp.line} imports the experiment {name}")
    optimizer_classes = set(importlib.import_module("dlbasics.optimizers").__all__)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in FORBIDDEN_CALLS or (name in optimizer_classes and name[0].isupper()):
                offences.append(f"{where}:{node.lineno} calls {ast.unparse(func)}")
        elif isinstance(node, ast.Attribute) and ast.unparse(node).startswith("torch.optim"):
            offences.append(f"{where}:{node.lineno} uses {ast.unparse(node)}")
    assert not offences, "a figure draws data it is given:\n" + "\n".join(offences)


# --- One naming convention (CONTRIBUTING.md, "Names") ----------------------------------------


def _public_functions(path: Path) -> list[ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]


@pytest.mark.parametrize("topic", TOPICS)
def test_figure_names_say_what_they_return(topic: str) -> None:
    path = SRC / topic / "figures.py"
    wrong = [
        f"{f.name} (line {f.lineno})"
        for f in _public_functions(path)
        if not f.name.startswith(("plot_", "table_", "text_"))
        and not (f.name.startswith("draw_") and f.name.endswith("_frame"))
    ]
    assert not wrong, (
        f"{path.name} of {topic}: plot_* (HTML), table_* or text_* (Markdown), "
        f"draw_*_frame (an explorable's frame): {wrong}"
    )


@pytest.mark.parametrize("topic", TOPICS)
def test_experiment_names_are_nouns_and_rows_end_in_rows(topic: str) -> None:
    path = SRC / topic / "experiments.py"
    wrong = []
    for f in _public_functions(path):
        returns = ast.unparse(f.returns) if f.returns else ""
        if f.name.startswith(("plot_", "table_", "text_")):
            wrong.append(f"{f.name}: draws or formats, so it belongs in figures.py")
        if f.name.endswith("_experiment"):
            wrong.append(f"{f.name}: the module says it is an experiment; name what it measures")
        if returns.startswith("list[list") and not f.name.endswith("_rows"):
            wrong.append(f"{f.name}: returns table rows, so its name ends in _rows")
    assert not wrong, f"experiments of {topic}:\n" + "\n".join(wrong)


def test_the_layer_check_catches_an_offending_import(tmp_path: Path) -> None:
    """The checks above can fail: an algorithm file importing figures is reported."""
    bad = tmp_path / "dlbasics" / "demo" / "__init__.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("from dlbasics.demo.figures import plot_x\nimport dlbasics.cache\n")
    global SRC
    saved, SRC = SRC, tmp_path / "dlbasics"
    try:
        found = [m for imp in _imports(bad) for m in _imported_modules(imp)]
    finally:
        SRC = saved
    assert any(_page_module(m) for m in found) and "dlbasics.cache" in found
