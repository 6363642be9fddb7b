"""The package's folders are its layers, and imports run one way: a module imports only from its own folder or
from the folders below it (core <- content <- model <- outputs <- engine <- commands <- the command line)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "site_builder"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / PACKAGE
LAYERS = ["core", "content", "model", "outputs", "engine", "commands", ""]  # "": the top (cli, __main__, __init__)
RANK = {layer: i for i, layer in enumerate(LAYERS)}


def modules() -> dict[str, Path]:
    """{dotted name under the package ('content.load', 'cli'): its file}, __init__ files as their folder's name."""
    found = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(PACKAGE_DIR).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def layer_of(module: str) -> str:
    return module.split(".")[0] if "." in module or module in RANK else ""


def imports_of(module: str, source: str) -> set[str]:
    """The package modules (dotted, as modules() names them) that source, the text of module, imports anywhere."""
    package = module.split(".")[:-1] if module in modules() and not _is_package(module) else module.split(".")
    known = modules()
    found: set[str] = set()

    def add(dotted: str, names: list[str]) -> None:
        for name in names:  # 'from x import y': y may be a module of x
            if f"{dotted}.{name}".strip(".") in known:
                found.add(f"{dotted}.{name}".strip("."))
            else:
                found.add(dotted)

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == PACKAGE:
                    found.add(".".join(parts[1:]))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                parts = (node.module or "").split(".")
                if parts[0] != PACKAGE:
                    continue
                add(".".join(parts[1:]), [a.name for a in node.names])
            else:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                assert node.level - 1 <= len(package), f"{module}: an import reaches outside the package"
                add(".".join([*base, *(node.module.split(".") if node.module else [])]), [a.name for a in node.names])
    return found - {module}


def _is_package(module: str) -> bool:
    return modules()[module].name == "__init__.py"


def violations(module: str, imported: set[str]) -> list[str]:
    """Why each import of module breaks the rule (empty when it keeps it)."""
    problems = []
    for target in sorted(imported):
        if target == "":
            continue  # the package itself: holds only __version__
        if target not in modules():
            problems.append(f"{module} imports {target}, which is not a module of the package")
        elif RANK[layer_of(target)] > RANK[layer_of(module)]:
            problems.append(
                f"{module} ({layer_of(module) or 'top'}) imports {target} ({layer_of(target)}), a layer above it"
            )
    return problems


def graph() -> dict[str, set[str]]:
    return {m: imports_of(m, path.read_text(encoding="utf-8")) for m, path in modules().items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle in the import graph, as a list of modules, or None."""
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_every_module_lives_in_a_layer_folder():
    strays = [m for m in modules() if layer_of(m) == "" and m not in ("", "cli", "__main__")]
    assert strays == [], "put each module in the folder of its layer: " + ", ".join(LAYERS[:-1])
    assert {m.split(".")[0] for m in modules() if "." in m} <= set(LAYERS)


def test_the_package_init_imports_nothing_from_the_package():
    assert graph()[""] == set()


@pytest.mark.parametrize("module", sorted(m for m in modules() if m))
def test_module_imports_only_from_its_layer_or_below(module):
    assert violations(module, graph()[module]) == []


def test_the_package_import_graph_has_no_cycle():
    edges = {m: {t for t in targets if not _is_package(t) or t == m} for m, targets in graph().items()}
    assert find_cycle(edges) is None


def test_the_import_reader_sees_every_form_of_import():
    source = """
from .. import __version__
from . import frontmatter
from ..core.errors import SiteError
import site_builder.core.urls
from site_builder.core.models import Site
from site_builder.core import config
import os, json
from jinja2 import Environment

def later():
    from ..commands.serve import serve
"""
    assert imports_of("content.load", source) == {
        "",
        "content.frontmatter",
        "core.errors",
        "core.urls",
        "core.models",
        "core.config",
        "commands.serve",
    }


@pytest.mark.parametrize(
    "module, source",
    [
        ("core.models", "from ..outputs.pages import Renderer\n"),  # three layers up
        ("core.errors", "from ..content.load import Archive\n"),  # one layer up
        (
            "engine.write",
            "def f():\n    from site_builder.commands.serve import serve\n",
        ),  # hidden in a function, absolute
        ("content.markdown", "from ..model import site\n"),  # a module of the layer above, by 'from package import'
        ("core.urls", "import site_builder.nonexistent\n"),  # not a module
    ],
)
def test_the_rule_rejects_imports_from_above(module, source):
    assert violations(module, imports_of(module, source)) != []


def test_the_rule_accepts_imports_from_below_and_beside():
    assert (
        violations(
            "engine.build",
            imports_of("engine.build", "from .write import write_site\nfrom ..core.errors import Problem\n"),
        )
        == []
    )
    assert violations("model.site", imports_of("model.site", "from ..content.load import Archive\n")) == []
