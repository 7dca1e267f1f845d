"""The documented API and the code agree: every public name is documented, nothing else is."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import dlbasics

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"
MODULES = sorted(
    p.stem for p in (ROOT / "src" / "dlbasics").glob("*.py") if not p.stem.startswith("_")
)


def test_every_module_has_a_reference_page() -> None:
    pages = {p.stem for p in REFERENCE.glob("*.md")} - {"index"}
    assert pages == set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_reference_page_documents_the_module(name: str) -> None:
    text = (REFERENCE / f"{name}.md").read_text()
    assert re.search(rf"^::: dlbasics\.{name}$", text, re.M), f"{name}.md must render the module"
    # Members are listed from __all__, so no page may filter them by hand.
    assert "members:" not in text


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_exactly_the_public_names(name: str) -> None:
    module = importlib.import_module(f"dlbasics.{name}")
    assert hasattr(module, "__all__"), f"dlbasics.{name} must declare __all__"
    exported = set(module.__all__)
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"__all__ of dlbasics.{name} names what does not exist: {missing}"
    defined_here = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and getattr(v, "__module__", None) == module.__name__
        and (callable(v) or isinstance(v, type))
    }
    undocumented = defined_here - exported
    assert not undocumented, f"public but not in __all__ of dlbasics.{name}: {undocumented}"


@pytest.mark.parametrize("name", MODULES)
def test_public_callables_have_docstrings(name: str) -> None:
    module = importlib.import_module(f"dlbasics.{name}")
    assert module.__doc__ and module.__doc__.strip()
    for n in module.__all__:
        value = getattr(module, n)
        if callable(value):
            assert value.__doc__ and value.__doc__.strip(), f"dlbasics.{name}.{n} has no docstring"


def test_version_is_defined_once() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", dlbasics.__version__)
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and "\nversion =" not in pyproject
