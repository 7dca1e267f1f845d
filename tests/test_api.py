"""The documented API and the code agree: every public name is documented, nothing else is."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import dlbasics

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"
SRC = ROOT / "src" / "dlbasics"
#: The topic packages: the algorithm in __init__, the page's experiments and figures beside it.
TOPICS = sorted(p.parent.name for p in SRC.glob("*/__init__.py"))
#: One reference page each: the shared modules and the topic packages.
PAGES = sorted([p.stem for p in SRC.glob("*.py") if not p.stem.startswith("_")] + TOPICS)
#: Every public module, submodules of the topics included.
MODULES = sorted(
    [p.stem for p in SRC.glob("*.py") if not p.stem.startswith("_")]
    + [
        f"{p.parent.name}" if p.stem == "__init__" else f"{p.parent.name}.{p.stem}"
        for p in SRC.glob("*/*.py")
        if p.stem == "__init__" or not p.stem.startswith("_")
    ]
)


def test_the_five_topics_are_packages() -> None:
    assert TOPICS == ["batch_norm", "focal_loss", "gradients", "optimizers", "style_transfer"]
    for topic in TOPICS:
        assert (SRC / topic / "experiments.py").exists() and (SRC / topic / "figures.py").exists()


def test_every_module_has_a_reference_page() -> None:
    pages = {p.stem for p in REFERENCE.glob("*.md")} - {"index"}
    assert pages == set(PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_reference_page_documents_the_module(name: str) -> None:
    text = (REFERENCE / f"{name}.md").read_text()
    assert re.search(rf"^::: dlbasics\.{name}$", text, re.M), f"{name}.md must render the module"
    # Members are listed from __all__, so no page may filter them by hand.
    assert "members:" not in text


@pytest.mark.parametrize("topic", TOPICS)
def test_topic_reference_shows_the_algorithm_first_and_the_page_code_without_source(
    topic: str,
) -> None:
    text = (REFERENCE / f"{topic}.md").read_text()
    blocks = re.findall(r"^::: (\S+)\n((?:    .*\n)*)", text, re.M)
    assert [name for name, _ in blocks][:3] == [
        f"dlbasics.{topic}",
        f"dlbasics.{topic}.experiments",
        f"dlbasics.{topic}.figures",
    ]
    assert "show_source: false" not in blocks[0][1]  # the algorithm, with its source
    for _, options in blocks[1:]:
        assert "show_source: false" in options


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


def test_no_source_or_page_holds_a_control_character() -> None:
    """A docstring written with \\b or \\f in a non-raw string holds a backspace or a form
    feed: the formula it documents then breaks in the API reference."""
    bad = []
    for path in [*(ROOT / "src").rglob("*.py"), *(ROOT / "docs").rglob("*.md")]:
        text = path.read_text(encoding="utf-8")
        if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", text):
            bad.append(str(path.relative_to(ROOT)))
    assert not bad, f"control characters in {bad}"
